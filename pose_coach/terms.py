"""The words every layer shares, written once: sides, postures, camera views and angle names.

Angles have two kinds of names. The program's names say which leg (``hip_left``); a reference's
relative names say which role the leg plays in the stretch (``working_hip``, ``other_knee``), so a
stretch is written once for the working side and mirrored for the other (``program_name``).
"""

from __future__ import annotations

SIDES = ("left", "right")
POSTURES = ("standing", "kneeling", "all_fours", "lying")
# Postures a raised or turned camera can mistake for one another (the posture is read from world
# landmarks, which lean with the camera): the hold zone's angles tell them apart.
POSTURE_FAMILY = {"standing": "upright", "kneeling": "upright", "all_fours": "horizontal",
                  "lying": "horizontal"}  # fmt: skip
# The camera views a stretch can ask for ("any": it does not mind).
CAMERA_VIEWS = ("side", "front", "three_quarter", "any")

# The program's angle names, in the order reports and tables list them.
ANGLE_NAMES: tuple[str, ...] = (
    "hip_left",
    "hip_right",
    "knee_left",
    "knee_right",
    "shoulder_left",
    "shoulder_right",
    "trunk",
    "pelvis_tilt",
    "pelvis_rotation",
)
LIMB_JOINTS = ("hip", "knee", "shoulder")
PELVIS = ("pelvis_tilt", "pelvis_rotation")
# The angles a reference may check, under relative names.
CHECKED_ANGLES = (
    "working_hip",
    "other_hip",
    "working_knee",
    "other_knee",
    "working_shoulder",
    "other_shoulder",
    "trunk",
)
RELATIVE_NAMES: tuple[str, ...] = (*CHECKED_ANGLES, *PELVIS)
# A hold zone may also bound one gap between the legs (working - other), so that the leg that moved
# into the stretch is the working one and a start position with both legs alike is not a hold:
# ``hip_gap``, how far the working hip is from the other (degrees), or ``foot_gap``, how much higher
# the working foot is than the other along the body's front (per cent of a thigh's length; lying,
# off the floor: ``measure.angles.foot_height``).
HIP_GAP = "hip_gap"
FOOT_GAP = "foot_gap"
LEG_GAPS = (HIP_GAP, FOOT_GAP)
ZONE_ANGLES = (*CHECKED_ANGLES, *LEG_GAPS)


def other_side(side: str) -> str:
    """The mirror of ``side``."""
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return "right" if side == "left" else "left"


def program_name(relative: str, side: str) -> str:
    """The program's name of a relative angle for a working ``side``: ``working_hip`` -> ``hip_left``.

    The trunk and the pelvis are one for the whole body and keep their names (the pelvis values
    are mirrored by ``measure.angles.Angles.for_side``, not renamed).
    """
    if relative not in RELATIVE_NAMES:
        raise ValueError(f"unknown relative angle {relative!r}; known: {', '.join(RELATIVE_NAMES)}")
    if relative == "trunk" or relative in PELVIS:
        return relative
    role, joint = relative.split("_", 1)
    return f"{joint}_{side if role == 'working' else other_side(side)}"


# History: whose sessions, when no one is named (a single user never sees it).
DEFAULT_PERSON = "me"
# Progress: left and right further apart than this (weekly medians, degrees) is called out.
ASYMMETRY_DEG = 10.0
# --stretch auto: recognise the stretch from the posture held (pose_coach.recognise).
AUTO = "auto"
