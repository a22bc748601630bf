"""Small factories that build landmark frames from literals: a stick figure seen from the side."""

from __future__ import annotations

import math

import numpy as np

from pose_coach.input.landmarks import NUM_LANDMARKS, PoseFrame
from pose_coach.input.landmarks import Landmark as L

WIDTH, HEIGHT = 640, 480
PX_PER_M = 240.0
SEGMENTS_PX = {"torso": 120, "thigh": 100, "shank": 95, "upper_arm": 70, "forearm": 65}


def frame_from_points(
    points: dict[int, tuple[float, float]],
    t: float = 0.0,
    visibility: float | dict[int, float] = 1.0,
    depth: dict[int, float] | None = None,
) -> PoseFrame:
    """A PoseFrame with the given image points (pixels, y down); other landmarks sit at the centre.

    World coordinates are the image points in metres plus ``depth`` (z, away from the camera).
    """
    image = np.full((NUM_LANDMARKS, 2), [WIDTH / 2, HEIGHT / 2], dtype=float)
    for index, xy in points.items():
        image[index] = xy
    vis = np.full(NUM_LANDMARKS, visibility if isinstance(visibility, float) else 1.0)
    if isinstance(visibility, dict):
        for index, value in visibility.items():
            vis[index] = value
    world = np.zeros((NUM_LANDMARKS, 3))
    world[:, :2] = (image - image[[L.LEFT_HIP, L.RIGHT_HIP]].mean(axis=0)) / PX_PER_M
    for index, z in (depth or {}).items():
        world[index, 2] = z
    return PoseFrame(image, vis, world, t, WIDTH, HEIGHT)


def _rotate(v: np.ndarray, degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    return np.array(
        [v[0] * math.cos(a) - v[1] * math.sin(a), v[0] * math.sin(a) + v[1] * math.cos(a)]
    )


def stick_figure(
    t: float = 0.0,
    *,
    facing: str = "right",
    trunk: float = 0.0,
    hip: tuple[float, float] = (0.0, 0.0),
    knee: tuple[float, float] = (0.0, 0.0),
    shoulder: tuple[float, float] = (0.0, 0.0),
    pelvis_tilt: float = 0.0,
    centre: tuple[float, float] = (320.0, 240.0),
    visibility: float | dict[int, float] = 1.0,
) -> PoseFrame:
    """A side view of a body with the given angles (as ``pose_coach.measure.angles`` defines them).

    ``hip``, ``knee``, ``shoulder`` are (left, right). ``pelvis_tilt`` raises the left hip in the
    image, as a side view shows a hip hike.
    """
    sense = -1.0 if facing == "right" else 1.0  # rotating the head direction to the front
    up = _rotate(np.array([0.0, 1.0]), sense * trunk)
    down = -up
    front = _rotate(up, sense * 90)
    hips = np.array(centre, dtype=float) * np.array([1, -1])  # work in y-up pixels
    shoulders = hips + up * SEGMENTS_PX["torso"]
    pts: dict[int, np.ndarray] = {
        L.NOSE: shoulders + up * 35 + front * 14,
        L.LEFT_EAR: shoulders + up * 33,
        L.RIGHT_EAR: shoulders + up * 33,
    }
    legs = {"left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
            "right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)}  # fmt: skip
    arms = {"left": (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST),
            "right": (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST)}  # fmt: skip
    # A tilted pelvis raises the left hip in the image by the hip width (0.2 m) times the sine.
    rise = 0.2 * PX_PER_M * math.sin(math.radians(pelvis_tilt)) / 2
    for i, side in enumerate(("left", "right")):
        h, k, a, heel, toe = legs[side]
        thigh = _rotate(down, -sense * hip[i])
        shank = _rotate(thigh, sense * knee[i])
        pts[h] = hips + np.array([0.0, rise if side == "left" else -rise])
        pts[k] = pts[h] + thigh * SEGMENTS_PX["thigh"]
        pts[a] = pts[k] + shank * SEGMENTS_PX["shank"]
        pts[heel] = pts[a] + shank * 8
        pts[toe] = pts[a] + _rotate(shank, -sense * 90) * 20
        s, e, w = arms[side]
        arm = _rotate(down, -sense * shoulder[i])
        pts[s] = shoulders
        pts[e] = shoulders + arm * SEGMENTS_PX["upper_arm"]
        pts[w] = pts[e] + arm * SEGMENTS_PX["forearm"]
    image_points = {index: (p[0], -p[1]) for index, p in pts.items()}
    far = 0.1 if facing == "right" else -0.1  # the left side is away from the camera facing right
    depth = {}
    for index in range(NUM_LANDMARKS):
        name = L(index).name
        if name.startswith("LEFT_"):
            depth[index] = far
        elif name.startswith("RIGHT_"):
            depth[index] = -far
    frame = frame_from_points(image_points, t, visibility, depth)
    world = frame.world.copy()  # the hips' world height stays level: the hip width stays 0.2 m
    world[[L.LEFT_HIP, L.RIGHT_HIP], 1] = world[[L.LEFT_HIP, L.RIGHT_HIP], 1].mean()
    return frame.with_points(frame.image, world)
