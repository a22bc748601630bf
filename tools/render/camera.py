"""A pinhole camera in the room (Z up, metres) and the named views.

Camera coordinates follow OpenCV and MediaPipe's world landmarks: x right, y down, z away
from the camera. Pixel coordinates are continuous: pixel (i, j) covers [i, i+1) x [j, j+1),
so its centre is at (i + 0.5, j + 0.5), the convention MediaPipe's normalised landmarks use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Camera azimuth in degrees, measured from the person's forward direction, per view.
# Positive azimuths put the camera on the person's left side.
VIEW_AZIMUTH_DEG: dict[str, float] = {"side": 90.0, "three_quarter": 45.0, "front": 0.0}


@dataclass(frozen=True)
class Camera:
    position: np.ndarray  # (3,) metres in the room
    target: np.ndarray  # (3,) the point at the image centre
    width: int = 640
    height: int = 480
    hfov_deg: float = 62.0

    @property
    def rotation(self) -> np.ndarray:
        """World-to-camera rotation: rows are the camera's right, down and forward axes."""
        forward = self.target - self.position
        forward = forward / np.linalg.norm(forward)
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right = right / np.linalg.norm(right)
        down = np.cross(forward, right)
        return np.stack([right, down, forward])

    @property
    def focal_px(self) -> float:
        return 0.5 * self.width / np.tan(np.radians(self.hfov_deg) / 2)

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """Room points (..., 3) into camera coordinates (..., 3)."""
        return (points - self.position) @ self.rotation.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Room points (..., 3) -> pixel coordinates (..., 2) and depth along the view (...)."""
        cam = self.to_camera(points)
        depth = cam[..., 2]
        f = self.focal_px
        uv = np.stack(
            [f * cam[..., 0] / depth + self.width / 2, f * cam[..., 1] / depth + self.height / 2],
            axis=-1,
        )
        return uv, depth

    def pixel_rays(self) -> np.ndarray:
        """Unit ray directions in the room through every pixel centre, (height, width, 3)."""
        f = self.focal_px
        u = (np.arange(self.width) + 0.5 - self.width / 2) / f
        v = (np.arange(self.height) + 0.5 - self.height / 2) / f
        uu, vv = np.meshgrid(u, v)
        cam = np.stack([uu, vv, np.ones_like(uu)], axis=-1)
        rays = cam @ self.rotation
        return rays / np.linalg.norm(rays, axis=-1, keepdims=True)


def view_camera(
    view: str,
    forward_yaw_deg: float,
    target: np.ndarray,
    distance_m: float,
    height_m: float,
    width: int = 640,
    height: int = 480,
    on_left: bool = True,
) -> Camera:
    """A camera looking at `target` from `distance_m` away (horizontally), `height_m` above the floor.

    forward_yaw_deg: the person's forward direction in the room, as a yaw from -Y (anny's front).
    on_left: the camera is on the person's left (side and three-quarter views), else their right.
    """
    if view not in VIEW_AZIMUTH_DEG:
        raise ValueError(f"view must be one of {sorted(VIEW_AZIMUTH_DEG)}, got {view!r}")
    azimuth = VIEW_AZIMUTH_DEG[view] if on_left else -VIEW_AZIMUTH_DEG[view]
    yaw = np.radians(forward_yaw_deg + azimuth)
    # Yaw 0 looks from the person's front (-Y); positive yaws turn towards the person's left (+X).
    direction = np.array([np.sin(yaw), -np.cos(yaw), 0.0])
    position = np.asarray(target, dtype=float) + distance_m * direction
    position[2] = height_m
    return Camera(
        position=position, target=np.asarray(target, dtype=float), width=width, height=height
    )
