"""Which stretch a video shows (``--stretch auto``), from the posture held.

Measuring does not depend on the stretch, so the pose model runs once; every stretch then judges
the same measurements (``coach.rejudge``: no model runs) and is scored by the seconds the person
held its hold zone *in its own posture* (all fours, lying, standing, kneeling, as read per frame
from the body). The best score wins when it is at least ``MIN_HELD_S`` and clearly ahead of the
next (``MIN_LEAD``); otherwise the video is not placed, and the caller says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pose_coach.coach import CoachingRun, rejudge
from pose_coach.judge.reference import Reference
from pose_coach.terms import AUTO  # noqa: F401 - the --stretch value that asks for recognition

MIN_HELD_S = 5.0  # at least this long held in the stretch's posture to place a video
MIN_LEAD = 1.5  # and this many times longer than any other stretch


class UnplacedError(ValueError):
    """The stretch of a video could not be recognised; the message says what was seen."""


@dataclass(frozen=True)
class Recognition:
    """The stretch chosen (None: not placed) and each stretch's score, seconds held in posture."""

    stretch: str | None
    held_s: dict[str, float]
    run: CoachingRun | None  # the video judged as the chosen stretch

    def describe(self) -> str:
        scores = ", ".join(f"{s} {v:.1f} s" for s, v in sorted(self.held_s.items(), key=_score))
        return f"held in each stretch's posture: {scores}"


def _score(item: tuple[str, float]) -> tuple[float, str]:
    return (-item[1], item[0])


def held_in_posture_s(run: CoachingRun) -> float:
    """Seconds of ``run``'s holds spent in its reference's posture (frames with a person only)."""
    posture = run.reference.posture
    frames = run.frames
    total = 0.0
    for hold in run.holds:
        inside = [f for f in frames if hold.start_s <= f.timestamp_s <= hold.end_s]
        seen = [f for f in inside if f.measurement.view is not None]
        if seen:
            share = sum(f.measurement.view.posture == posture for f in seen) / len(seen)
            total += (hold.end_s - hold.start_s) * share
    return total


def recognise(run: CoachingRun, references: Iterable[Reference]) -> Recognition:
    """Judge ``run``'s measurements as each stretch and choose the one held longest in posture."""
    runs = {ref.id: rejudge(run, ref) for ref in references}
    held = {stretch: round(held_in_posture_s(r), 2) for stretch, r in runs.items()}
    ranked = sorted(held.items(), key=_score)
    best, best_s = ranked[0]
    runner_up_s = ranked[1][1] if len(ranked) > 1 else 0.0
    if best_s >= MIN_HELD_S and best_s >= MIN_LEAD * runner_up_s:
        return Recognition(best, held, runs[best])
    return Recognition(None, held, None)
