"""Tuning maths for the pages, free of streamlit: a reviewed clip's angles as arrays, which frames a
set of targets flags, and targets learned from a clip of good form.

The per-frame angles come from a review (``pose_coach.review``): the rows of angles.csv, measured by
the same session the live coach runs. A slider change then only re-evaluates thresholds on these
arrays; nothing is measured again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pose_coach.judge.reference import AngleCheck, Reference
from pose_coach.measure.angles import ANGLE_NAMES, relative_angles

# Frames the session judges: those inside a hold (the person is in the stretch's hold zone).
JUDGED_PHASES = frozenset({"holding", "hold_complete"})
# Learning: a frame is steady when no key angle moves faster than this.
STEADY_DEG_S = 30.0
# Learning: fewest steady frames worth learning from (a second at 30 fps).
MIN_LEARN_FRAMES = 30
# Learning: the tolerance is this many robust standard deviations, but never under MIN_TOLERANCE
# (MediaPipe's own frame-to-frame noise is a few degrees) nor outside the schema's limits.
SPREAD_FACTOR = 3.0
MIN_TOLERANCE_DEG = 5.0
MAX_TOLERANCE_DEG = 90.0
MAD_TO_SD = 1.4826  # the median absolute deviation of a normal distribution, in standard deviations


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


def _number(value: Any) -> float:
    return math.nan if value in ("", None) else float(value)


def angle_table(rows: list[dict[str, Any]]) -> AngleTable:
    """Build the table from a review's rows (the columns of angles.csv)."""
    n = len(rows)
    time_s = np.array([float(row["time_s"]) for row in rows], dtype=float)
    sides = tuple(str(row["side"] or "") for row in rows)
    judged = np.array([row["phase"] in JUDGED_PHASES for row in rows], dtype=bool)
    values: dict[str, np.ndarray] = {}
    for i, row in enumerate(rows):
        if not sides[i]:
            continue
        named = relative_angles({name: _number(row[name]) for name in ANGLE_NAMES}, sides[i])
        for name, value in named.items():
            values.setdefault(name, np.full(n, np.nan))[i] = value
    return AngleTable(time_s, sides, judged, values)


def angle_states(table: AngleTable, checks: dict[str, AngleCheck]) -> dict[str, np.ndarray]:
    """Per angle, per frame: -1 below the band, +1 above, 0 inside, unseen or not judged.

    The frame-by-frame verdict, without the session's anti-flicker delay.
    """
    states = {}
    for name, check in checks.items():
        values = table.values.get(name, np.full(len(table), np.nan))
        offset = values - check.target
        state = np.where(np.abs(offset) > check.tolerance, np.sign(offset), 0.0)
        states[name] = np.where(table.judged & np.isfinite(values), state, 0.0).astype(int)
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


def learn_targets(table: AngleTable, names: list[str]) -> dict[str, tuple[float, float]]:
    """Target and tolerance per angle from a clip of good form: the median over the steady frames,
    and ``SPREAD_FACTOR`` robust standard deviations (from the median absolute deviation)."""
    steady = steady_frames(table, names)
    if steady.sum() < MIN_LEARN_FRAMES:
        raise LearnError(
            f"only {int(steady.sum())} steady frames with every angle visible; learning needs "
            f"{MIN_LEARN_FRAMES}: use a clip that holds the stretch still for a few seconds, "
            "filmed as the stretch's camera instructions say"
        )
    learned = {}
    for name in names:
        values = table.values[name][steady]
        median = float(np.median(values))
        spread = MAD_TO_SD * float(np.median(np.abs(values - median)))
        tolerance = min(max(SPREAD_FACTOR * spread, MIN_TOLERANCE_DEG), MAX_TOLERANCE_DEG)
        learned[name] = (round(median, 1), round(tolerance, 1))
    return learned


def all_checks(reference: Reference) -> dict[str, AngleCheck]:
    """Every target and tolerance of a stretch, under relative angle names: its angles, then the
    pelvis limits of its hip alignment."""
    return reference.angles | reference.hip_alignment.checks()


def tuned_reference(
    reference: Reference,
    values: dict[str, tuple[float, float]],
    max_shift_deg: float | None = None,
) -> Reference:
    """The reference with new (target, tolerance) for the named checks (see ``all_checks``) and,
    if given, a new limit on the pelvis moving from where it settled."""
    angles = {
        name: replace(check, target=values[name][0], tolerance=values[name][1])
        if name in values
        else check
        for name, check in reference.angles.items()
    }
    hips = reference.hip_alignment
    pelvis = {
        field: values.get(f"pelvis_{field}", getattr(hips, field))
        for field in ("tilt", "rotation")
        if getattr(hips, field) is not None
    }
    if max_shift_deg is not None:
        pelvis["max_shift_deg"] = max_shift_deg
    return replace(reference, angles=angles, hip_alignment=replace(hips, **pelvis))
