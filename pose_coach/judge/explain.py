"""Why a hold's good-form time is less than its length: the seconds the hold timer did not count,
and what the coach saw then (read from the frames' results, so it says what the judge decided and
changes nothing of it); and how the hold was seen (its view, the body's size in the picture) where
that makes the verdicts less sure.

A fault is reported only after it lasts ``min_fault_s``, and easing into and out of the stretch is
not reported at all (``holds.hold_faults``), yet the timer stops for both: without this, a hold of
30.2 s credited with 29.1 s would leave the missing second unexplained.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from pose_coach.events import Fault, Hold
from pose_coach.geometry import extent
from pose_coach.judge.cues import Phase
from pose_coach.judge.reference import Reference
from pose_coach.judge.session import MAX_STEP_S, FrameResult

# What the person was doing when the timer stopped, by the fault shown or the angle off.
REASONS = {
    Fault.BOUNCE: "bouncing",
    Fault.TOO_DEEP: "too deep",
    Fault.TOO_SHALLOW: "not deep enough",
    Fault.TRUNK_MISALIGNED: "trunk off",
    Fault.HIP_MISALIGNED: "hips moved",
    Fault.NO_PERSON: "out of view",
    Fault.WRONG_VIEW: "turned from the camera",
}
_IN_A_HOLD = (Phase.HOLDING, Phase.NO_PERSON, Phase.WRONG_VIEW)  # the timer may count or stop
MOVING = "moving (a swing of the leg or the hips shifting)"
OUT_OF_POSITION = "out of the stretch's position"
MIN_SHOWN_S = 0.05  # shorter stretches of time are not worth a line


@dataclass(frozen=True)
class Uncounted:
    """A stretch of a hold the timer did not count, and why."""

    start_s: float
    end_s: float
    seconds: float
    reason: str

    def to_dict(self) -> dict:
        return {"start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2),
                "seconds": round(self.seconds, 2), "reason": self.reason}  # fmt: skip


def uncounted(frames: tuple[FrameResult, ...], hold: Hold, reference: Reference) -> list[Uncounted]:
    """The stretches of ``hold`` (from its start to its end) whose time was not counted."""
    spans: list[Uncounted] = []
    previous: float | None = None
    for frame in frames:
        t = frame.timestamp_s
        dt = 0.0 if previous is None else min(max(t - previous, 0.0), MAX_STEP_S)
        previous = t
        if not hold.start_s < t <= hold.end_s or frame.form_ok or frame.side != hold.side:
            continue
        if frame.phase not in _IN_A_HOLD:
            continue  # not yet in the hold, or it is complete: nothing more was needed
        reason = _reason(frame, reference, hold.side)
        last = spans[-1] if spans else None
        if last is not None and last.reason == reason and t - last.end_s <= MAX_STEP_S:
            spans[-1] = Uncounted(last.start_s, t, last.seconds + dt, reason)
        else:
            spans.append(Uncounted(t - dt, t, dt, reason))
    return [span for span in spans if span.seconds >= MIN_SHOWN_S]


def _reason(frame: FrameResult, reference: Reference, side: str) -> str:
    if frame.faults:
        return REASONS[frame.faults[0]]
    targets = reference.targets_for(side)
    for name, state in frame.angle_states.items():
        if state and name in targets:
            bound = targets[name].too_low if state < 0 else targets[name].too_high
            return REASONS[bound.fault]
    # Judged in position with every angle in its band, yet not good form: the bounce or pelvis
    # check objected (they colour no angle); not judged at all: out of the hold zone.
    return MOVING if frame.angle_states else OUT_OF_POSITION


def describe(spans: list[Uncounted], most: int = 3) -> str:
    """One line: "1.1 s not counted: not deep enough at 40 s, bouncing at 52 s"."""
    if not spans:
        return ""
    total = sum(span.seconds for span in spans)
    biggest = sorted(sorted(spans, key=lambda s: -s.seconds)[:most], key=lambda s: s.start_s)
    parts = [f"{span.reason} at {span.start_s:.0f} s ({span.seconds:.1f} s)" for span in biggest]
    more = len(spans) - len(biggest)
    return f"{total:.1f} s not counted: " + ", ".join(parts) + (f" and {more} more" if more else "")


def hold_view(frames: tuple[FrameResult, ...], hold: Hold) -> str | None:
    """The view the camera had of the body for most of ``hold`` (``measure.view.VIEWS``), None if
    the body's view was never read."""
    views = Counter(frame.measurement.view.view for frame in frames
                    if hold.start_s < frame.timestamp_s <= hold.end_s
                    and frame.measurement.view is not None)  # fmt: skip
    return views.most_common(1)[0][0] if views else None


def view_note(view: str | None) -> str:
    """What the person should know about a hold's view ("" when nothing): from a three-quarter
    view hips and knees read further from the true joint angle than from the side (README,
    "Accuracy"), so its depth verdicts are less sure."""
    if view != "three_quarter":
        return ""
    return ("seen from a three-quarter view, where hips and knees read less surely than side-on: "
            "film from the side for the surest judgement of depth")  # fmt: skip


# A body small in the picture is read less surely, the far leg most. On the development splits
# (480 pixels on the long side) people under 120 pixels across the picture had 53 of 60 good holds
# credited and 8 false reports, those larger 321 of 332 and 10; and `dev19` rendered at 1280
# pixels instead of 480 (the same people and cameras) had 46 against 43 of 48 credited and 1
# against 5 false reports, `dev10` 53 against 51 of 54 but 3 against 1 (README, "Accuracy", "What
# this shows").
SMALL_BODY_PX = 120
SHARP_CAMERA_PX = 1280  # the long side of a 720p video


def hold_size(frames: tuple[FrameResult, ...], hold: Hold) -> tuple[float, int] | None:
    """The body's size in the picture over ``hold``: the larger of its landmarks' width and height,
    the median over the hold's frames with a pose, in pixels; and the picture's long side. None when
    no frame of the hold has a pose."""
    poses = [frame.pose for frame in frames
             if hold.start_s < frame.timestamp_s <= hold.end_s and frame.pose is not None]  # fmt: skip
    if not poses:
        return None
    return float(np.median([extent(p.image) for p in poses])), max(poses[0].width, poses[0].height)


def size_note(size: tuple[float, int] | None) -> str:
    """What the person should know about the body's ``size`` in the picture (``hold_size``): ""
    unless it is small (``SMALL_BODY_PX``)."""
    if size is None or not size[0] < SMALL_BODY_PX:
        return ""
    sharper = ", or film at 720p or more" if size[1] < SHARP_CAMERA_PX else ""
    return (
        f"the body filled only about {size[0]:.0f} pixels of the picture, where the legs read "
        f"less surely: bring the camera nearer{sharper}"
    )


def seen_notes(view: str | None, size: tuple[float, int] | None) -> list[str]:
    """What the person should know about how a hold was seen: its ``view`` (``hold_view``) and the
    body's ``size`` (``hold_size``)."""
    return [note for note in (view_note(view), size_note(size)) if note]


def hold_notes(frames: tuple[FrameResult, ...], hold: Hold) -> list[str]:
    """``seen_notes`` of ``hold``."""
    return seen_notes(hold_view(frames, hold), hold_size(frames, hold))
