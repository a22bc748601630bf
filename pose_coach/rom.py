"""Range of motion: how far the working hip went in each hold while the form was good.

Each stretch has its own measure, from the working hip's sagittal angle (``measure/angles.py``: +
flexion, - extension): hip **extension** for the stretches that take the working leg behind the
body (the kneeling stretch on all fours, the half-kneeling one), hip **flexion** for those that lift
it in front (lying, standing). Either way a bigger number is further into the stretch.

Per hold: the median over its good-form frames (``FrameResult.form_ok``, inside the hold's
interval) and the best (the largest). The frames are the filtered ones the judge saw, so a single
landmark glitch does not make the best. Nothing here judges form: it only reads what was judged.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace

from pose_coach.events import Hold
from pose_coach.judge.reference import Reference
from pose_coach.judge.session import FrameResult
from pose_coach.terms import program_name

KEY_ANGLE = "working_hip"


@dataclass(frozen=True)
class RomMeasure:
    """A stretch's range-of-motion measure: ``name`` and ``sign`` times the working hip angle."""

    name: str
    sign: float

    def of(self, hip_deg: float) -> float:
        return self.sign * hip_deg


EXTENSION = RomMeasure("hip extension", -1.0)
FLEXION = RomMeasure("hip flexion", 1.0)
# By posture: the leg goes back when kneeling (all fours, half-kneeling), forward lying or standing.
MEASURES = {"all_fours": EXTENSION, "kneeling": EXTENSION, "lying": FLEXION, "standing": FLEXION}


def measure_for(reference: Reference) -> RomMeasure:
    return MEASURES[reference.posture]


def target_band(reference: Reference) -> tuple[float, float]:
    """The working hip's target +- tolerance, in the stretch's measure (low, high)."""
    check, sign = reference.angles[KEY_ANGLE], measure_for(reference).sign
    ends = (sign * (check.target - check.tolerance), sign * (check.target + check.tolerance))
    return min(ends), max(ends)


class RomSampler:
    """Keeps the measure of every good-form frame, as frames are coached (live or from a file),
    and gives each finished hold its median and best."""

    def __init__(self, reference: Reference) -> None:
        self.measure = measure_for(reference)
        self.samples: list[tuple[float, str, float]] = []  # (time, side, degrees)

    def add(self, result: FrameResult) -> None:
        angles = result.body_angles if result.form_ok and result.side is not None else None
        if angles is None:
            return
        value = angles[program_name(KEY_ANGLE, result.side)]
        if math.isfinite(value):
            self.samples.append((result.timestamp_s, result.side, self.measure.of(value)))

    def holds(self, holds: Iterable[Hold]) -> tuple[Hold, ...]:
        """``holds`` with ``rom_median_deg`` and ``rom_best_deg`` set (None without a good frame)."""
        measured = []
        for hold in holds:
            values = [v for t, side, v in self.samples
                      if side == hold.side and hold.start_s <= t <= hold.end_s]  # fmt: skip
            if values:
                hold = replace(hold, rom_median_deg=statistics.median(values),
                               rom_best_deg=max(values))  # fmt: skip
            measured.append(hold)
        return tuple(measured)


def with_range_of_motion(
    holds: Iterable[Hold], frames: Iterable[FrameResult], reference: Reference
) -> tuple[Hold, ...]:
    """The holds of a coached run, each with the range of motion of its good-form frames."""
    sampler = RomSampler(reference)
    for frame in frames:
        sampler.add(frame)
    return sampler.holds(holds)
