"""Factories for the coach's tests: angles named for a working side, and a stick figure holding the
kneeling psoas stretch (left leg back), built from the shipped reference's own targets so it stays
good form when the targets are re-measured."""

from __future__ import annotations

import numpy as np

from pose_coach.coach import CoachingRun, VideoFacts, judge_measurements
from pose_coach.config import Settings
from pose_coach.input.landmarks import PoseFrame
from pose_coach.judge.reference import Reference, builtin_dir, load_reference
from pose_coach.measure.angles import Angles
from pose_coach.measure.measurement import Measurement
from pose_coach.measure.view import BodyView
from pose_coach.terms import LIMB_JOINTS, program_name
from tests.factories import stick_figure

KNEELING = load_reference(builtin_dir() / "kneeling_psoas.yaml")


def kneeling(t: float, working_hip_offset: float = 0.0) -> PoseFrame:
    """Good form at time ``t``; ``working_hip_offset`` degrees moves the back leg off its target
    (negative: higher, the reference's "too deep")."""
    target = {name: check.target for name, check in KNEELING.angles.items()}
    return stick_figure(
        t,
        facing="left",  # the working (left) leg nearest the camera, as the camera cue asks
        trunk=target["trunk"],
        hip=(target["working_hip"] + working_hip_offset, 90.0),
        knee=(target["working_knee"], 90.0),
        shoulder=(90.0, target["other_shoulder"]),
        pelvis_tilt=0.0,
    )


def angles_for(side: str, **relative: float) -> Angles:
    """``Angles`` from values named for the working ``side`` (``working_hip=-5, trunk=80`` ...);
    the inverse of ``Angles.for_side``. Unnamed angles are NaN."""
    named = {program_name(n, side): v for n, v in relative.items()
             if n.split("_", 1)[-1] in LIMB_JOINTS}  # fmt: skip
    mirror = 1.0 if side == "left" else -1.0
    return Angles(
        **named,
        trunk=relative.get("trunk", float("nan")),
        pelvis_tilt=mirror * relative.get("pelvis_tilt", float("nan")),
        pelvis_rotation=mirror * relative.get("pelvis_rotation", float("nan")),
    )


SIDE_VIEW = BodyView("side", "right", "all_fours")


def kneeling_measurement(side: str, amount: float, hip_offset: float = 0.0, tilt: float = 0.0,
                         t: float = 0.0, rng: np.random.Generator | None = None,
                         view: BodyView = SIDE_VIEW) -> Measurement:  # fmt: skip
    """All fours (amount 0) blended into the kneeling psoas stretch on ``side`` (amount 1), as the
    measuring stage would report it; ``hip_offset`` moves the back leg (positive: short of the
    target), ``tilt`` the pelvis (positive: the working hip higher)."""
    target = {name: check.target for name, check in KNEELING.angles.items()}
    rest = {"working_hip": 90.0, "working_knee": 90.0, "other_shoulder": 90.0}

    def blend(name: str) -> float:
        return rest[name] + amount * (target[name] - rest[name])

    relative = {
        "working_hip": blend("working_hip") + hip_offset,
        "other_hip": 90.0,
        "working_knee": blend("working_knee"),
        "other_knee": 90.0,
        "working_shoulder": 90.0,
        "other_shoulder": blend("other_shoulder"),
        "trunk": target["trunk"],
        "pelvis_tilt": tilt,
        "pelvis_rotation": 0.0,
    }
    if rng is not None:  # the angles' frame-to-frame jitter from MediaPipe's landmarks
        relative = {name: value + rng.normal(0, 0.3) for name, value in relative.items()}
    return Measurement(t, angles_for(side, **relative), view)


def run_of(measurements: list[Measurement], reference: Reference = KNEELING,
           sides: tuple[str, ...] = ("left", "right")) -> CoachingRun:  # fmt: skip
    """A ``CoachingRun`` judged from measurements, as ``coach_video`` would make it."""
    results, summary = judge_measurements(measurements, reference, Settings(), sides)
    duration = measurements[-1].timestamp_s if measurements else 0.0
    facts = VideoFacts("test.mp4", 640, 480, 30.0, duration, len(measurements))
    return CoachingRun(facts, reference, Settings(), sides, tuple(results), summary)
