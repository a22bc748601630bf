"""The coaching session: measurements in, what to tell the person and fault events out.

The same object serves the live webcam and a recorded video: time comes only from the frames'
timestamps. Phases: no person / wrong view -> getting into position -> holding -> hold complete ->
switch sides -> ... -> done. The hold timer runs only while every form check is ok.

Jobs are kept apart: measuring is done before (``measure.measurement``), holds and form checks in
``holds`` and ``form``, what to say in ``cues``; the session ties them together per frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pose_coach.config import Settings
from pose_coach.events import Event, Fault, Hold
from pose_coach.input.landmarks import PoseFrame
from pose_coach.judge.checks import Episode
from pose_coach.judge.cues import NO_PERSON_CUE, CueBoard, Phase, candidates
from pose_coach.judge.form import SHOWN_FIRST
from pose_coach.judge.holds import HoldTracker
from pose_coach.judge.reference import Reference
from pose_coach.measure.angles import Angles
from pose_coach.measure.measurement import Measurement
from pose_coach.measure.view import BodyView
from pose_coach.terms import SIDES

MAX_STEP_S = 0.5  # a longer gap between frames counts as this much time (a stalled camera)
# Once a hold has started, seen from a view the stretch is judged from, the view is not judged again
# until the hold ends: the camera does not move in the middle of a hold, so a view that turns there
# is the pose model reading the body's turn (on all fours a trunk leaning 53 degrees, seen from a
# three-quarter view, read as a front view: "move the camera" and the side "not held"). The hold
# still ends when its angles leave the hold zone. dev3, dev5-dev10: trunk faults found 15 -> 16 of
# 18 (`dev5045`), every other report and credit as before; dev11 unchanged.
VIEW_KEPT_IN_HOLD = True

__all__ = ["CoachingSession", "FrameResult", "Phase", "SessionSummary"]


@dataclass(frozen=True)
class FrameResult:
    """Everything the screen, the voice and a report need about one frame."""

    measurement: Measurement
    phase: Phase
    side: str | None  # the working side being held, or the one expected next
    hold_s: float  # good-form time of the current hold
    hold_target_s: float
    form_ok: bool
    angle_states: dict[str, int]  # program angle name -> -1 too low, 0 fine, +1 too high
    faults: tuple[Fault, ...]  # faults reported right now
    cue: str | None
    cue_is_new: bool  # say it (it just replaced another cue)
    events: tuple[Event, ...] = ()  # faults that ended with this frame (form faults: with the hold)
    # The leg read for ``side`` in a hold, by the pose model's labels: the side's own, unless the
    # model swapped the legs' labels (``holds.LABELS_SWAP``, ``holds.SAME_LEG_AGAIN``).
    legs: str | None = None

    @property
    def timestamp_s(self) -> float:
        return self.measurement.timestamp_s

    @property
    def pose(self) -> PoseFrame | None:
        return self.measurement.pose

    @property
    def angles(self) -> Angles | None:
        """The angles under the pose model's labels, as its landmarks are drawn."""
        return self.measurement.angles

    @property
    def body_angles(self) -> Angles | None:
        """The angles as the coach reads them: left and right are the body's, the legs' labels
        exchanged where the pose model swapped them (``legs``). Range of motion, ``angles.csv``,
        the tuning's angle table and the evaluation read these."""
        angles = self.measurement.angles
        if angles is None or self.legs is None or self.legs == self.side:
            return angles
        return angles.legs_swapped()

    @property
    def view(self) -> BodyView | None:
        return self.measurement.view


@dataclass(frozen=True)
class SessionSummary:
    holds: tuple[Hold, ...]
    events: tuple[Event, ...]
    sides_done: tuple[str, ...]


class CoachingSession:
    """Coach one stretch for the given sides. ``update`` once per measured frame; ``finish`` at
    the end."""

    def __init__(
        self,
        reference: Reference,
        settings: Settings | None = None,
        sides: tuple[str, ...] = SIDES,
    ) -> None:
        self.reference = reference
        self.settings = settings or Settings()
        if not sides or any(s not in SIDES for s in sides):
            raise ValueError(f"sides must name 'left' and/or 'right', got {sides!r}")
        self.sides = tuple(dict.fromkeys(sides))
        s = self.settings
        self.presence = Episode(Fault.NO_PERSON, s.lost_after_s)
        self.wrong_view = Episode(Fault.WRONG_VIEW, s.wrong_view_after_s)
        self.holds = HoldTracker(reference, s, self.sides)
        self.cues = CueBoard(s.cue_cooldown_s)
        self.events: list[Event] = []
        self.last_t: float | None = None

    def update(self, measurement: Measurement) -> FrameResult:
        t = measurement.timestamp_s
        dt = 0.0 if self.last_t is None else min(max(t - self.last_t, 0.0), MAX_STEP_S)
        self.last_t = t
        new: list[Event] = []
        absent = not measurement.person
        self._record([self.presence.update(t, absent, math.nan, NO_PERSON_CUE, None)], new)
        view = measurement.view
        holding = VIEW_KEPT_IN_HOLD and self.holds.hold is not None
        wrong = view is not None and not holding and self._wrong_view(view)
        self._record([self.wrong_view.update(t, wrong, math.nan, self.reference.camera, None)], new)
        step = self.holds.update(
            t, dt, measurement.angles, view, wrong, measurement.hint, measurement.pose
        )
        self._record(step.events, new)
        return self._result(measurement, step.states, step.form_ok, new, step.legs)

    def _record(self, events: list[Event | None], new: list[Event]) -> None:
        for event in events:
            if event is not None:
                self.events.append(event)
                new.append(event)

    def _wrong_view(self, view: BodyView) -> bool:
        return view.view not in (None, "unknown") and not self.reference.judged_from(view.view)

    # -- what to show ------------------------------------------------------------------------

    def _phase(self) -> Phase:
        hold = self.holds.hold
        if self.presence.active:
            return Phase.NO_PERSON
        if self.wrong_view.reported(self.last_t or 0.0):
            return Phase.WRONG_VIEW
        if hold is not None:
            return Phase.HOLD_COMPLETE if hold.complete else Phase.HOLDING
        if not self.holds.pending():
            return Phase.DONE
        return Phase.SWITCH_SIDES if self.holds.done else Phase.POSITIONING

    def _shown(self, t: float) -> list[tuple[Fault, str]]:
        """The form faults shown now with their cues: a bounce first, then in judging order."""
        hold = self.holds.hold
        if hold is None:
            return []
        checks = sorted(hold.checks, key=lambda c: not isinstance(c, SHOWN_FIRST))
        return [shown for check in checks for shown in check.reported(t)]

    def _result(
        self,
        measurement: Measurement,
        states: dict[str, int],
        form_ok: bool,
        new: list[Event],
        legs: str | None,
    ) -> FrameResult:
        t = measurement.timestamp_s
        phase = self._phase()
        hold, side = self.holds.hold, self.holds.side
        shown = self._shown(t)
        following = [s for s in self.holds.pending() if s != side]
        cue, is_new = self.cues.update(t, candidates(
            phase, side, following[0] if following else None,
            person_reported=self.presence.reported(t), camera_cue=self.reference.camera,
            first_step=self.reference.instructions[0],
            form_cues=list(dict.fromkeys(cue for _, cue in shown)),
            turn_round=self.holds.turn_round,
        ))  # fmt: skip
        faults: list[Fault] = []
        if self.presence.reported(t):
            faults.append(Fault.NO_PERSON)
        if self.wrong_view.reported(t):
            faults.append(Fault.WRONG_VIEW)
        faults += [kind for kind, _ in shown]
        return FrameResult(
            measurement=measurement,
            phase=phase,
            side=side,
            hold_s=hold.good_form_s if hold else 0.0,
            hold_target_s=self.reference.hold_s,
            form_ok=form_ok,
            angle_states=states,
            faults=tuple(dict.fromkeys(faults)),
            cue=cue,
            cue_is_new=is_new,
            events=tuple(new),
            legs=legs,
        )

    # -- end ---------------------------------------------------------------------------------

    def finish(self, timestamp_s: float | None = None, expect_holds: bool = True) -> SessionSummary:
        """Close what is still open (a hold in progress, a lost person) and summarise.

        With ``expect_holds`` (not for a still image) a side never held is a ``hold_too_short``.
        """
        t = timestamp_s if timestamp_s is not None else (self.last_t or 0.0)
        new: list[Event] = []
        if self.holds.hold is not None:
            self._record(self.holds.end(min(self.holds.hold.last_in_s, t)), new)
        self._record([self.presence.close(t, None), self.wrong_view.close(t, None)], new)
        if expect_holds:
            self._record(self.holds.skipped(t), new)
        events = tuple(sorted(self.events, key=lambda e: (e.start_s, e.kind.value)))
        return SessionSummary(tuple(self.holds.holds), events, tuple(self.holds.done))
