"""Tuning maths, free of any UI: a coached clip's angles as arrays, which frames a tuned reference
flags, and targets learned from a clip of good form.

The clip is measured once (``coach.coach_video``); a tuned reference is judged on the same
measurements by the same session the live coach runs (``coach.rejudge``), so the frames shown as
flagged are exactly those the coach would flag: hysteresis and hold zone included.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pose_coach.coach import CoachingRun, rejudge
from pose_coach.judge.cues import Phase
from pose_coach.judge.reference import Reference
from pose_coach.terms import RELATIVE_NAMES, program_name

# Frames the session judges: those inside a hold (the person is in the stretch's hold zone).
JUDGED_PHASES = frozenset({Phase.HOLDING, Phase.HOLD_COMPLETE})
# Learning: a frame is steady when no key angle moves faster than this.
STEADY_DEG_S = 30.0
# Learning: fewest steady frames worth learning from (a second at 30 fps).
MIN_LEARN_FRAMES = 30
# Learning: the band covers this central share of the steady frames (the rest: the model's glitches),
# is widened by the hysteresis, and its half-width is never under MIN_TOLERANCE (MediaPipe's own
# frame-to-frame noise is a few degrees) nor outside the schema's limits.
COVERED = 0.99
MIN_TOLERANCE_DEG = 5.0
MAX_TOLERANCE_DEG = 90.0


class LearnError(ValueError):
    """The clip does not hold enough steady, visible frames to learn targets from."""


@dataclass(frozen=True, eq=False)
class AngleTable:
    """Per-frame angles of a clip, named for the working side of each frame (``working_hip``...).

    time_s: (n,) seconds. side: the working side per frame ("" when unknown). judged: (n,) True in
    frames inside a hold. values: relative angle name -> (n,) degrees, NaN where not measured.
    """

    time_s: np.ndarray
    side: tuple[str, ...]
    judged: np.ndarray
    values: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.time_s)


def angle_table(run: CoachingRun) -> AngleTable:
    """The per-frame angles of a coached clip, named for each frame's working side."""
    n = len(run.frames)
    time_s = np.array([frame.timestamp_s for frame in run.frames], dtype=float)
    sides = tuple(frame.side or "" for frame in run.frames)
    judged = np.array([frame.phase in JUDGED_PHASES for frame in run.frames], dtype=bool)
    values = {name: np.full(n, np.nan) for name in RELATIVE_NAMES}
    for i, frame in enumerate(run.frames):
        angles = frame.body_angles if sides[i] else None
        if angles is not None:
            for name, value in angles.for_side(sides[i]).items():
                values[name][i] = value
    return AngleTable(time_s, sides, judged, values)


def flagged_states(run: CoachingRun, reference: Reference) -> dict[str, np.ndarray]:
    """Per check of ``reference`` (relative names), per frame: -1 below its band, +1 above, 0
    inside, unseen or not judged, as the coach judges ``run``'s measurements against it."""
    judged = rejudge(run, reference)
    states = {name: np.zeros(len(judged.frames), dtype=int) for name in reference.checks()}
    for i, frame in enumerate(judged.frames):
        if not frame.side:
            continue
        for name in states:
            states[name][i] = frame.angle_states.get(program_name(name, frame.side), 0)
    return states


def flagged_frames(states: dict[str, np.ndarray]) -> np.ndarray:
    """True in frames where any angle is outside its band."""
    if not states:
        return np.zeros(0, dtype=bool)
    return np.any(np.stack([s != 0 for s in states.values()]), axis=0)


def steady_frames(table: AngleTable, names: list[str]) -> np.ndarray:
    """Frames worth learning from: inside a hold (or anywhere, if the clip has no hold), every key
    angle measured, and none moving faster than ``STEADY_DEG_S``."""
    base = table.judged if table.judged.sum() >= MIN_LEARN_FRAMES else np.ones(len(table), bool)
    steady = base.copy()
    for name in names:
        values = table.values.get(name, np.full(len(table), np.nan))
        steady &= np.isfinite(values)
        if len(table) >= 2:
            speed = np.abs(np.gradient(values, table.time_s))
            steady &= ~(speed > STEADY_DEG_S)  # NaN speed (a neighbour unseen) does not exclude
    return steady


def _seen_frames(table: AngleTable, name: str) -> int:
    values = table.values.get(name)
    return 0 if values is None else int(np.isfinite(values).sum())


def learn_targets(
    table: AngleTable, names: list[str], *, hysteresis_deg: float
) -> dict[str, tuple[float, float]]:
    """Target and tolerance per angle from a clip of good form: the band that holds the central
    ``COVERED`` share of the steady frames, widened by ``hysteresis_deg`` (the coach's own, as in
    ``Settings``), so that the clip's steady frames are judged good.

    The band is not centred on the median: a good hold's angles are skewed (the leg settles into
    the stretch, the knee eases), and a band of a few standard deviations about the median flagged
    the clip's own easing frames; a band edge at the bulk of the frames flags a whole hold, since a
    fault clears only ``hysteresis_deg`` back inside.

    An angle the clip hardly shows (fewer than ``MIN_LEARN_FRAMES`` frames; the pose model may not
    see the far arm) is left out of the result, so it keeps its values; the others are learned.
    """
    seen = [name for name in names if _seen_frames(table, name) >= MIN_LEARN_FRAMES]
    steady = steady_frames(table, seen) if seen else np.zeros(len(table), bool)
    if steady.sum() < MIN_LEARN_FRAMES:
        raise LearnError(
            f"only {int(steady.sum())} steady frames with its angles visible; learning needs "
            f"{MIN_LEARN_FRAMES}: use a clip that holds the stretch still for a few seconds, "
            "filmed as the stretch's camera instructions say"
        )
    tail = (1.0 - COVERED) / 2
    learned = {}
    for name in seen:
        low, high = np.quantile(table.values[name][steady], [tail, 1.0 - tail])
        half_width = (high - low) / 2 + hysteresis_deg
        tolerance = min(max(half_width, MIN_TOLERANCE_DEG), MAX_TOLERANCE_DEG)
        learned[name] = (round(float(low + high) / 2, 1), round(float(tolerance), 1))
    return learned


def tuned_reference(
    reference: Reference,
    values: dict[str, tuple[float, float]],
    max_shift_deg: float | None = None,
) -> Reference:
    """The reference with new (target, tolerance) for the named checks (see ``Reference.checks``) and,
    if given, a new limit on the pelvis moving from where it settled."""
    angles = {
        name: replace(check, target=values[name][0], tolerance=values[name][1])
        if name in values
        else check
        for name, check in reference.angles.items()
    }
    hips = reference.hip_alignment
    pelvis = {
        field: values.get(f"pelvis_{field}", getattr(hips, field)) for field in ("tilt", "rotation")
    }
    if max_shift_deg is not None:
        pelvis["max_shift_deg"] = max_shift_deg
    return replace(reference, angles=angles, hip_alignment=replace(hips, **pelvis))
