"""A stick figure holding the kneeling psoas stretch (left leg back), built from the shipped
reference's own targets so it stays good form when the targets are re-measured."""

from __future__ import annotations

from pose_coach.landmarks import PoseFrame
from pose_coach.reference import builtin_dir, load_reference
from tests.factories import stick_figure

KNEELING = load_reference(builtin_dir() / "kneeling_psoas.yaml")


def kneeling(t: float, working_hip_offset: float = 0.0) -> PoseFrame:
    """Good form at time ``t``; ``working_hip_offset`` degrees moves the back leg off its target
    (negative: higher, the reference's "too deep")."""
    target = {name: check.target for name, check in KNEELING.angles.items()}
    return stick_figure(
        t,
        facing="right",
        trunk=target["trunk"],
        hip=(target["working_hip"] + working_hip_offset, 90.0),
        knee=(target["working_knee"], 90.0),
        shoulder=(90.0, target["other_shoulder"]),
        pelvis_tilt=KNEELING.hip_alignment.tilt[0],
    )
