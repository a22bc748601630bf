"""Tests of view, facing and posture recognition on hand-made 3D skeletons seen by a pinhole camera.

Skeletons are built in a gravity frame G (metres: x east, y north, z up). Upright bodies face north;
horizontal bodies have their head to the north. A camera 3 m away looks at the hips horizontally (or
pitched), so its axes give MediaPipe-like world landmarks (camera-aligned, origin between the hips)
and pixel coordinates. A camera to the east sees an upright body's right side, with north (the body's
front) to the image right.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pose_coach.input.landmarks import NUM_LANDMARKS, PoseFrame
from pose_coach.input.landmarks import Landmark as L
from pose_coach.measure.view import BodyView, ViewTracker, classify_view

E, W, N, S, U, D = (
    np.eye(3)[0],
    -np.eye(3)[0],
    np.eye(3)[1],
    -np.eye(3)[1],
    np.eye(3)[2],
    -np.eye(3)[2],
)
THIGH, SHANK, UPPER_ARM, FOREARM = 0.43, 0.42, 0.30, 0.27


def unit(*parts: np.ndarray) -> np.ndarray:
    v = np.sum(parts, axis=0)
    return v / np.linalg.norm(v)


def towards(a: np.ndarray, b: np.ndarray, degrees: float) -> np.ndarray:
    """Direction ``a`` turned ``degrees`` towards ``b`` (a and b perpendicular)."""
    r = np.radians(degrees)
    return np.cos(r) * a + np.sin(r) * b


def skeleton(
    hip_z: float,
    trunk: np.ndarray,
    front: np.ndarray,
    thighs: tuple[np.ndarray, np.ndarray],
    shanks: tuple[np.ndarray, np.ndarray],
    arms: tuple[np.ndarray, np.ndarray] = (D, D),
    forearms: tuple[np.ndarray, np.ndarray] | None = None,
    feet: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """(33, 3) landmark positions in G. Pairs are (left, right); ``trunk`` points hips -> head."""
    trunk, front = unit(trunk), unit(front)
    left = np.cross(trunk, front)
    hip_c = np.array([0.0, 0.0, hip_z])
    p = np.zeros((NUM_LANDMARKS, 3))
    ears = hip_c + 0.68 * trunk
    p[L.NOSE] = ears + 0.10 * front - 0.02 * trunk
    for sign, eye_in, eye, eye_out, ear, mouth in (
        (1, L.LEFT_EYE_INNER, L.LEFT_EYE, L.LEFT_EYE_OUTER, L.LEFT_EAR, L.MOUTH_LEFT),
        (-1, L.RIGHT_EYE_INNER, L.RIGHT_EYE, L.RIGHT_EYE_OUTER, L.RIGHT_EAR, L.MOUTH_RIGHT),
    ):
        for index, offset in ((eye_in, 0.015), (eye, 0.03), (eye_out, 0.045)):
            p[index] = ears + 0.08 * front + 0.02 * trunk + sign * offset * left
        p[ear] = ears + sign * 0.07 * left
        p[mouth] = ears + 0.08 * front - 0.06 * trunk + sign * 0.025 * left
    forearms = forearms or arms
    feet = feet or (front, front)
    sides = (
        (1, L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, (L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB),
         L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
        (-1, L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, (L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB),
         L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    )  # fmt: skip
    for i, (sign, sh, el, wr, hand, hp, kn, an, heel, toe) in enumerate(sides):
        p[sh] = hip_c + 0.50 * trunk + sign * 0.18 * left
        p[el] = p[sh] + UPPER_ARM * unit(arms[i])
        p[wr] = p[el] + FOREARM * unit(forearms[i])
        for index in hand:
            p[index] = p[wr] + 0.07 * unit(forearms[i])
        p[hp] = hip_c + sign * 0.09 * left
        p[kn] = p[hp] + THIGH * unit(thighs[i])
        p[an] = p[kn] + SHANK * unit(shanks[i])
        p[heel] = p[an] - 0.05 * unit(feet[i]) + 0.03 * unit(shanks[i])
        p[toe] = p[an] + 0.17 * unit(feet[i]) + 0.03 * unit(shanks[i])
    return p


# Each pose: its joints in G (see the module doc for the orientation).
POSES: dict[str, np.ndarray] = {
    # Standing straight, arms by the sides.
    "standing": skeleton(0.92, U, N, (D, D), (D, D)),
    # Standing psoas stretch: left thigh 70 degrees forward, knee bent 80, hands forward on a wall.
    "standing_leg_lift": skeleton(
        0.92, U, N, (towards(D, N, 70), D), (towards(D, S, 10), D), (unit(N, D), unit(N, D)), (N, N)
    ),
    # A lunge, right foot forward, back (left) knee about 20 cm above the floor.
    "lunge": skeleton(0.56, U, N, (towards(D, S, 35), towards(D, N, 80)), (towards(D, S, 60), D)),
    # Half-kneeling hip flexor stretch: left knee down with the shin on the floor, right foot forward.
    "half_kneeling": skeleton(0.475, U, N, (towards(D, S, 15), N), (S, D), feet=(S, N)),
    # Kneeling upright on both knees.
    "tall_kneeling": skeleton(0.49, U, N, (D, D), (S, S), feet=(S, S)),
    # On all fours: hands under the shoulders, knees under the hips, facing the floor.
    "all_fours": skeleton(0.52, unit(N, 0.1 * U), D, (D, D), (S, S), feet=(S, S)),
    # Bird-dog (the kneeling psoas stretch): left leg extended back, right arm reaching forward.
    "bird_dog": skeleton(0.52, unit(N, 0.1 * U), D, (S, D), (S, S), (D, N), feet=(D, S)),
    # Lying on the back, legs straight, arms along the body.
    "lying": skeleton(0.10, N, U, (S, S), (S, S), (S, S), feet=(U, U)),
    # Lying psoas stretch: right foot flat with the knee bent, left thigh vertical, shin level.
    "lying_leg_lift": skeleton(
        0.10, N, U, (U, unit(S, 1.3 * U)), (S, unit(S, -2.7 * U)), (S, S), feet=(S, U)
    ),
    # Not a posture we name: sitting on a chair.
    "sitting": skeleton(0.47, U, N, (N, N), (D, D)),
    # Not a posture we name: bent forward from standing, trunk level, arms hanging.
    "forward_bend": skeleton(0.92, N, D, (D, D), (D, D)),
}

CAMERAS = {"east": E, "west": W, "north": N, "south": S, "north_east": unit(N, E)}


def frame_from(
    pose: str,
    camera: str,
    *,
    height: float = 0.9,
    pitch_deg: float = 0.0,
    visibility: dict[int, float] | None = None,
    t: float = 0.0,
) -> PoseFrame:
    """The pose seen from 3 m away in the named direction, camera at ``height``, pitched down."""
    points = POSES[pose]
    hip_c = (points[L.LEFT_HIP] + points[L.RIGHT_HIP]) / 2
    toward_camera = CAMERAS[camera]
    position = np.array([hip_c[0], hip_c[1], height]) + 3.0 * toward_camera
    forward = towards(-toward_camera, D, pitch_deg)
    right = unit(np.cross(forward, U))
    down = np.cross(forward, right)
    axes = np.stack([right, down, forward])
    cam = (points - position) @ axes.T
    image = 600.0 * cam[:, :2] / cam[:, 2:] + (320.0, 240.0)
    world = (points - hip_c) @ axes.T
    vis = np.ones(NUM_LANDMARKS)
    for index, value in (visibility or {}).items():
        vis[index] = value
    return PoseFrame(image, vis, world, t, 640, 480)


RIGHT_LEG_HIDDEN = {i: 0.3 for i in (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)}
LEFT_SHIN_HIDDEN = {i: 0.3 for i in (L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX)}
LEFT_LEG_HIDDEN = {i: 0.3 for i in (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX)}


@pytest.mark.parametrize(
    ("pose", "camera", "kwargs", "expected"),
    [
        # Standing, right side to the camera: the front (north) is image right.
        ("standing", "east", {}, BodyView("side", "right", "standing")),
        # Standing, left side to the camera: facing image left.
        ("standing", "west", {}, BodyView("side", "left", "standing")),
        # Standing, face to the camera: no left/right facing in a front view.
        ("standing", "north", {}, BodyView("front", None, "standing")),
        # Standing, back to the camera: also a "front" view.
        ("standing", "south", {}, BodyView("front", None, "standing")),
        # Standing, seen at 45 degrees from front-right: a three-quarter view, front towards image right.
        ("standing", "north_east", {}, BodyView("three_quarter", "right", "standing")),
        # A camera pitched 12 degrees down does not change the answer.
        ("standing", "west", {"pitch_deg": 12.0}, BodyView("side", "left", "standing")),
        # The standing psoas stretch, lifted leg near the camera, standing leg seen too.
        ("standing_leg_lift", "west", {}, BodyView("side", "left", "standing")),
        # The same with the far (standing) leg hidden: the floor is unknown, so no posture.
        ("standing_leg_lift", "west", {"visibility": RIGHT_LEG_HIDDEN}, BodyView("side", "left", None)),
        # A lunge with the back knee off the floor is still on the feet.
        ("lunge", "east", {}, BodyView("side", "right", "standing")),
        # Half-kneeling, kneeling (left) leg near the camera, far leg hidden: kneeling.
        ("half_kneeling", "west", {"visibility": RIGHT_LEG_HIDDEN}, BodyView("side", "left", "kneeling")),
        # Half-kneeling seen from the front-leg side with both legs seen.
        ("half_kneeling", "east", {}, BodyView("side", "right", "kneeling")),
        # Half-kneeling with the kneeling leg hidden behind: it cannot be told from a lunge.
        ("half_kneeling", "east", {"visibility": LEFT_LEG_HIDDEN}, BodyView("side", "right", None)),
        # Half-kneeling with the kneeling knee seen but its shin hidden: kneeling or a deep lunge?
        ("half_kneeling", "west", {"visibility": LEFT_SHIN_HIDDEN}, BodyView("side", "left", None)),
        # Half-kneeling seen from the front.
        ("half_kneeling", "north", {}, BodyView("front", None, "kneeling")),
        # Kneeling upright on both knees, from the side.
        ("tall_kneeling", "east", {}, BodyView("side", "right", "kneeling")),
        # All fours from the side, camera at hip height: the front points at the floor, no facing.
        ("all_fours", "east", {"height": 0.5}, BodyView("side", None, "all_fours")),
        # All fours seen from the head end: the shoulder line lies in the image plane.
        ("all_fours", "north", {"height": 0.5}, BodyView("front", None, "all_fours")),
        # Bird-dog, extended leg near the camera, far knee (the one on the floor) hidden.
        ("bird_dog", "west", {"height": 0.5, "visibility": RIGHT_LEG_HIDDEN}, BodyView("side", None, "all_fours")),
        # Lying on the back seen from the side, camera near the floor.
        ("lying", "east", {"height": 0.3}, BodyView("side", None, "lying")),
        # Lying seen from the feet: a front view.
        ("lying", "south", {"height": 0.3}, BodyView("front", None, "lying")),
        # Lying psoas stretch, lifted (left) leg near the camera, other leg hidden.
        ("lying_leg_lift", "west", {"height": 0.3, "visibility": RIGHT_LEG_HIDDEN}, BodyView("side", None, "lying")),
        # Sitting on a chair is none of the four postures.
        ("sitting", "east", {}, BodyView("side", "right", None)),
        # A standing forward bend: trunk level but hips a leg's length up: not all fours.
        ("forward_bend", "east", {}, BodyView("side", None, None)),
    ],
)  # fmt: skip
def test_classify_view(pose: str, camera: str, kwargs: dict, expected: BodyView) -> None:
    assert replace(classify_view(frame_from(pose, camera, **kwargs)), near=None) == expected


@pytest.mark.parametrize(
    ("pose", "camera", "near"),
    [
        ("standing", "west", "left"),  # the left side to the camera
        ("standing", "east", "right"),
        ("standing", "north_east", "right"),  # three-quarter, from the front-right
        ("all_fours", "west", "left"),
        ("lying", "east", "left"),  # head to the north, face up: the left side is to the east
        ("standing", "north", None),  # a front view: neither hip is the near one
    ],
)
def test_near_side_is_the_hip_nearer_the_camera(pose: str, camera: str, near: str | None) -> None:
    assert classify_view(frame_from(pose, camera, height=0.5)).near == near


def test_hidden_torso_gives_unknown() -> None:
    frame = frame_from("standing", "east", visibility={L.LEFT_HIP: 0.2})
    assert classify_view(frame) == BodyView("unknown", None, None)


def test_hidden_face_gives_no_facing() -> None:
    hidden = {L.NOSE: 0.1}
    assert classify_view(frame_from("standing", "east", visibility=hidden)) == BodyView(
        "side", None, "standing", "right"
    )


def test_nan_landmarks_count_as_unseen() -> None:
    frame = frame_from("standing", "east")
    world = frame.world.copy()
    world[L.LEFT_ANKLE] = np.nan
    assert classify_view(frame.with_points(frame.image, world)) == BodyView(
        "side", "right", "standing", "right"
    )
    world = world.copy()  # PoseFrame made the last one read-only
    world[L.RIGHT_HIP] = np.nan
    assert classify_view(frame.with_points(frame.image, world)) == BodyView("unknown", None, None)


def test_min_visibility_is_respected() -> None:
    frame = frame_from("standing", "east", visibility={L.LEFT_SHOULDER: 0.6})
    assert classify_view(frame, min_visibility=0.5).view == "side"
    assert classify_view(frame, min_visibility=0.7).view == "unknown"


def test_body_view_rejects_unknown_values() -> None:
    with pytest.raises(ValueError):
        BodyView("sideways", None, None)
    with pytest.raises(ValueError):
        BodyView("side", "up", None)
    with pytest.raises(ValueError):
        BodyView("side", None, "sitting")


SIDE = BodyView("side", "left", "kneeling")
THREE_QUARTER = BodyView("three_quarter", "left", "kneeling")


def run_tracker(views: list[BodyView], fps: float = 30.0) -> list[BodyView]:
    tracker = ViewTracker(window_s=0.7)
    return [tracker.update(v, i / fps) for i, v in enumerate(views)]


@pytest.mark.parametrize(
    ("views", "expected_last", "changes"),
    [
        # A steady view is reported from the first frame.
        ([SIDE] * 30, SIDE, 1),
        # A single stray frame does not flip the answer.
        ([SIDE] * 30 + [THREE_QUARTER] + [SIDE] * 5, SIDE, 1),
        # Alternating frames (a view right at a threshold) keep the first answer.
        ([SIDE] * 30 + [THREE_QUARTER, SIDE] * 20, SIDE, 1),
        # A lasting change is followed once it holds 60% of the window.
        ([SIDE] * 30 + [THREE_QUARTER] * 30, THREE_QUARTER, 2),
        # Unknown frames (person half out of view) take over only when they are the majority.
        ([SIDE] * 30 + [BodyView("unknown", None, None)] * 5, SIDE, 1),
    ],
)
def test_tracker_smooths(views: list[BodyView], expected_last: BodyView, changes: int) -> None:
    out = run_tracker(views)
    assert out[-1] == expected_last
    assert sum(1 for a, b in zip([None, *out], out, strict=False) if a != b) == changes


def test_tracker_switches_within_the_window() -> None:
    out = run_tracker([SIDE] * 30 + [THREE_QUARTER] * 30)
    switch = next(i for i, v in enumerate(out) if v == THREE_QUARTER) - 30
    assert 0 < switch <= 0.6 * 0.7 * 30 + 2  # 60% of a 0.7 s window at 30 fps


def test_tracker_drops_facing_outside_side_views() -> None:
    tracker = ViewTracker()
    out = tracker.update(BodyView("front", None, "standing"), 0.0)
    assert out.facing is None


def test_tracker_resets_when_time_goes_back() -> None:
    tracker = ViewTracker()
    for i in range(30):
        tracker.update(SIDE, i / 30)
    assert tracker.update(THREE_QUARTER, 0.0) == THREE_QUARTER
