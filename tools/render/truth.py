"""Ground truth: the 33 BlazePose landmarks from the true 3D body, and the program's own angles.

Each BlazePose slot is filled from anny's COCO-style keypoints (which sit closer to where
MediaPipe puts its landmarks than the bone heads do) or, for the hands and the face details that
COCO lacks, from bone heads and small offsets. `image` is the pinhole projection of those 3D points
into the rendered frame; `world` is the same points in metres in camera axes (x right, y down,
z away from the camera), origin midway between the hips, as MediaPipe's world landmarks.

The truth also carries `angles_anatomical`: the same angle definitions over anny's joint
centres (hip = upperleg01, knee = lowerleg01, ...), which is where the skeleton really is.
"""

from __future__ import annotations

import numpy as np

try:  # the package's layout after its refactor, else the one before
    from pose_coach.input.landmarks import NUM_LANDMARKS, PoseFrame
    from pose_coach.input.landmarks import Landmark as L
    from pose_coach.measure.angles import compute_angles
except ImportError:  # pragma: no cover
    from pose_coach.angles import compute_angles
    from pose_coach.landmarks import NUM_LANDMARKS, PoseFrame
    from pose_coach.landmarks import Landmark as L
from tools.render.camera import Camera

# BlazePose slot -> anny COCO keypoint name.
FROM_COCO: dict[L, str] = {
    L.NOSE: "nose",
    L.LEFT_EYE: "left_eye",
    L.RIGHT_EYE: "right_eye",
    L.LEFT_EAR: "left_ear",
    L.RIGHT_EAR: "right_ear",
    L.LEFT_SHOULDER: "left_shoulder",
    L.RIGHT_SHOULDER: "right_shoulder",
    L.LEFT_ELBOW: "left_elbow",
    L.RIGHT_ELBOW: "right_elbow",
    L.LEFT_WRIST: "left_wrist",
    L.RIGHT_WRIST: "right_wrist",
    L.LEFT_HIP: "left_hip",
    L.RIGHT_HIP: "right_hip",
    L.LEFT_KNEE: "left_knee",
    L.RIGHT_KNEE: "right_knee",
    L.LEFT_ANKLE: "left_ankle",
    L.RIGHT_ANKLE: "right_ankle",
    L.LEFT_HEEL: "left_heel",
    L.RIGHT_HEEL: "right_heel",
    L.LEFT_FOOT_INDEX: "left_big_toe",
    L.RIGHT_FOOT_INDEX: "right_big_toe",
}
# BlazePose slot -> anny joint centre, for the anatomical variant of the truth angles.
JOINT_CENTRES: dict[L, str] = {}
for _side, _s in (("LEFT", "L"), ("RIGHT", "R")):
    JOINT_CENTRES |= {
        L[f"{_side}_SHOULDER"]: f"upperarm01.{_s}",
        L[f"{_side}_ELBOW"]: f"lowerarm01.{_s}",
        L[f"{_side}_WRIST"]: f"wrist.{_s}",
        L[f"{_side}_HIP"]: f"upperleg01.{_s}",
        L[f"{_side}_KNEE"]: f"lowerleg01.{_s}",
        L[f"{_side}_ANKLE"]: f"foot.{_s}",
    }
# BlazePose slot -> anny bone whose head is the point (the hand's knuckles).
FROM_BONES: dict[L, str] = {
    L.LEFT_PINKY: "finger5-1.L",
    L.RIGHT_PINKY: "finger5-1.R",
    L.LEFT_INDEX: "finger2-1.L",
    L.RIGHT_INDEX: "finger2-1.R",
    L.LEFT_THUMB: "finger1-2.L",
    L.RIGHT_THUMB: "finger1-2.R",
}


def landmarks_3d(
    keypoints: np.ndarray,
    keypoint_labels: list[str],
    joints: np.ndarray,
    bone_index: dict[str, int],
    anatomical: bool = False,
) -> np.ndarray:
    """(33, 3) room positions of the BlazePose landmarks for one posed body.

    anatomical: put shoulders, elbows, wrists, hips, knees and ankles at anny's joint centres
    instead of the COCO keypoints (which, like MediaPipe, sit on the skin: a flexed hip's
    keypoint moves forward and up).
    """
    kp = {name: keypoints[i] for i, name in enumerate(keypoint_labels)}
    points = np.full((NUM_LANDMARKS, 3), np.nan)
    for slot, name in FROM_COCO.items():
        points[slot] = kp[name]
    for slot, bone in FROM_BONES.items():
        points[slot] = joints[bone_index[bone]]
    if anatomical:
        for slot, bone in JOINT_CENTRES.items():
            points[slot] = joints[bone_index[bone]]
    # Eye corners 1.5 cm either side of each eye along the eye line; mouth corners below the nose.
    across = kp["left_eye"] - kp["right_eye"]  # towards the person's left
    unit_across = across / np.linalg.norm(across)
    for eye, inner, outer, sign in (
        ("left_eye", L.LEFT_EYE_INNER, L.LEFT_EYE_OUTER, 1.0),
        ("right_eye", L.RIGHT_EYE_INNER, L.RIGHT_EYE_OUTER, -1.0),
    ):
        points[inner] = kp[eye] - sign * 0.015 * unit_across
        points[outer] = kp[eye] + sign * 0.015 * unit_across
    eyes_mid = (kp["left_eye"] + kp["right_eye"]) / 2
    mouth = kp["nose"] + 0.7 * (kp["nose"] - eyes_mid)
    points[L.MOUTH_LEFT] = mouth + 0.022 * unit_across
    points[L.MOUTH_RIGHT] = mouth - 0.022 * unit_across
    return points


def pose_frame(points: np.ndarray, camera: Camera, timestamp_s: float) -> PoseFrame:
    """The PoseFrame a perfect pose model would return for these true 3D landmarks."""
    image, _ = camera.project(points)
    hips = (points[L.LEFT_HIP] + points[L.RIGHT_HIP]) / 2
    world = (points - hips) @ camera.rotation.T
    return PoseFrame(
        image=image,
        visibility=np.ones(NUM_LANDMARKS),
        world=world,
        timestamp_s=timestamp_s,
        width=camera.width,
        height=camera.height,
    )


def true_angles(frame: PoseFrame) -> dict[str, float]:
    """The program's own angle definitions (pose_coach.measure.angles) on the true landmarks."""
    return compute_angles(frame)


ANGLES_3D = ("hip_left", "hip_right", "knee_left", "knee_right")


def body_axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The body's own (forward, up, left) unit axes from 3D landmarks (room or camera frame).

    up: the trunk line (hip midpoint -> shoulder midpoint). left: the mean of the hip line and the
    shoulder line (right -> left), made perpendicular to `up`. forward = left x up. The sagittal
    plane is spanned by forward and up.
    """
    shoulders = (points[L.LEFT_SHOULDER] + points[L.RIGHT_SHOULDER]) / 2
    hips = (points[L.LEFT_HIP] + points[L.RIGHT_HIP]) / 2
    up = shoulders - hips
    up = up / np.linalg.norm(up)
    hip_line = points[L.LEFT_HIP] - points[L.RIGHT_HIP]
    shoulder_line = points[L.LEFT_SHOULDER] - points[L.RIGHT_SHOULDER]
    left = hip_line / np.linalg.norm(hip_line) + shoulder_line / np.linalg.norm(shoulder_line)
    left = left - (left @ up) * up
    left = left / np.linalg.norm(left)
    return np.cross(left, up), up, left


def angles_3d(points: np.ndarray) -> dict[str, float]:
    """True hip and knee angles from 3D landmark positions, in pose_coach's sign conventions.

    hip_<side>: the thigh (hip -> knee) against the trunk line continued downwards, in the body's
    sagittal plane (the thigh projected onto it): + flexion (thigh forward), - extension.
    knee_<side>: the 3D angle between the thigh and the shank (knee -> ankle), + flexion (the shank
    turned backwards from the thigh in the sagittal plane), - hyperextension.
    """
    forward, up, _ = body_axes(points)
    out = {}
    for side, (hip, knee, ankle) in {
        "left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
        "right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
    }.items():
        thigh = points[knee] - points[hip]
        shank = points[ankle] - points[knee]
        tf, tu = thigh @ forward, thigh @ up
        out[f"hip_{side}"] = float(np.degrees(np.arctan2(tf, -tu)))
        cos = thigh @ shank / (np.linalg.norm(thigh) * np.linalg.norm(shank))
        bend = float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
        sf, su = shank @ forward, shank @ up
        backwards = tf * su - tu * sf  # < 0: the shank turned backwards (clockwise) from the thigh
        out[f"knee_{side}"] = bend if backwards <= 0 else -bend
    return out
