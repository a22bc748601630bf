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
    """The program's own angle definitions (pose_coach.angles) on the true landmarks."""
    return compute_angles(frame)
