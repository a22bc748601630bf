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


# Devices whose field of view a placement may take: (horizontal FOV range of the LONG image side,
# degrees). A portrait frame turns the device: its horizontal FOV is then the short side's.
DEVICE_HFOV_DEG: dict[str, tuple[float, float]] = {
    "laptop": (60.0, 68.0),
    "usb_webcam": (70.0, 78.0),
    "phone": (65.0, 75.0),
}


def short_side_fov(long_fov_deg: float, long_px: int, short_px: int) -> float:
    """The field of view across the short side of a frame whose long side sees `long_fov_deg`."""
    half = np.tan(np.radians(long_fov_deg) / 2) * short_px / long_px
    return float(np.degrees(2 * np.arctan(half)))


@dataclass(frozen=True)
class Placement:
    """Where a hand-placed camera stands: height above the floor, pitch down, off the exact side.

    height_m: camera height above the floor. pitch_deg: how far the camera looks down (0 = level).
    yaw_off_side_deg: how far the camera is turned away from the person's exact side, positive
        towards the person's front (0 = exact side view, 45 = three-quarter view), negative towards
        their back. hfov_deg: horizontal field of view of the frame as rendered (the short side's
        in portrait). distance_m: horizontal distance from the person's centre; None = the
        nearest distance that frames the whole person through the video (see `fit_distance`).
    """

    height_m: float
    pitch_deg: float
    yaw_off_side_deg: float
    hfov_deg: float
    distance_m: float | None = None
    device: str = ""
    margin: float = 0.05  # fraction of the frame kept clear on every side when fitting
    max_distance_m: float = 4.5  # the furthest a fitted camera may stand (a room's size)

    def azimuth_deg(self) -> float:
        """Camera azimuth from the person's forward direction (positive on their left)."""
        return 90.0 - self.yaw_off_side_deg


def placed_camera(
    placement: Placement,
    centre: np.ndarray,
    distance_m: float,
    width: int,
    height: int,
    on_left: bool = True,
    forward_yaw_deg: float = 0.0,
) -> Camera:
    """A camera `distance_m` (horizontally) from `centre` (x, y), at the placement's height,
    turned to face the centre and pitched down by the placement's pitch."""
    azimuth = placement.azimuth_deg() if on_left else -placement.azimuth_deg()
    yaw = np.radians(forward_yaw_deg + azimuth)
    direction = np.array([np.sin(yaw), -np.cos(yaw), 0.0])
    position = np.array([centre[0], centre[1], 0.0]) + distance_m * direction
    position[2] = placement.height_m
    pitch = np.radians(placement.pitch_deg)
    forward = -direction * np.cos(pitch) - np.array([0.0, 0.0, np.sin(pitch)])
    # The target: the point on the optical axis at the person's horizontal distance.
    target = position + forward * distance_m / max(np.cos(pitch), 1e-6)
    return Camera(
        position=position, target=target, width=width, height=height, hfov_deg=placement.hfov_deg
    )


def fits(camera: Camera, points: np.ndarray, margin: float) -> bool:
    """Every point in front of the camera and inside the frame, `margin` of it kept clear."""
    uv, depth = camera.project(points)
    if np.any(depth < 0.2):
        return False
    mx, my = margin * camera.width, margin * camera.height
    u, v = uv[..., 0], uv[..., 1]
    return bool(
        u.min() >= mx
        and u.max() <= camera.width - mx
        and v.min() >= my
        and v.max() <= camera.height - my
    )


def fit_distance(
    placement: Placement,
    points: np.ndarray,
    width: int,
    height: int,
    on_left: bool = True,
    near_m: float = 1.0,
    far_m: float = 4.5,
    step_m: float = 0.05,
) -> tuple[np.ndarray, float | None]:
    """The centre (x, y) the camera faces and the nearest distance that frames every point.

    points: (N, 3) room points of the person over the whole video. Returns (centre, None) when
    no distance up to `far_m` frames them (the pitch does not suit the height).
    """
    lo, hi = points[:, :2].min(0), points[:, :2].max(0)
    centre = (lo + hi) / 2

    def ok(d: float) -> bool:
        cam = placed_camera(placement, centre, float(d), width, height, on_left)
        return fits(cam, points, placement.margin)

    coarse = 4 * step_m  # scan coarsely, then step back finely from the first fit
    for d in np.arange(near_m, far_m + 1e-9, coarse):
        if ok(d):
            best = d
            for k in range(1, 4):
                if d - k * step_m >= near_m and ok(d - k * step_m):
                    best = d - k * step_m
                else:
                    break
            return centre, round(float(best), 3)
    return centre, None
