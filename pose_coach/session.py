"""The coaching session: timestamped pose frames in, what to tell the user and fault events out.

The same object serves the live webcam and a recorded video: time comes only from the frames'
timestamps. Phases: no person / wrong view -> getting into position -> holding -> hold complete ->
switch sides -> ... -> done. The hold timer runs only while every check is within tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum

from pose_coach.angles import compute_angles, relative_angles
from pose_coach.checks import AngleLimit, BounceDetector, Episode, PelvisShift, Steadiness
from pose_coach.config import Settings
from pose_coach.events import Event, Fault, Hold
from pose_coach.filtering import LandmarkFilter
from pose_coach.landmarks import PoseFrame
from pose_coach.reference import Reference
from pose_coach.view import BodyView, ViewTracker, classify_view

NO_PERSON_CUE = "Step into view: the camera must see your whole body"
MAX_STEP_S = 0.5  # a longer gap between frames counts as this much time (a stalled camera)
ENTER_S = 0.5  # in position this long starts a hold
MIN_HOLD_S = 2.0  # shorter stays in position, or never holding still, are not holds
HOLD_SLACK_S = 1.0  # a hold this much shorter than the hold time still counts as long enough
STEADY_WINDOW_S = 1.0  # the key angle must stay within the bounce amplitude this long
SETTLE_S = 2.0  # where the pelvis sits over the first seconds held still is its baseline
# Readings taken against the trunk line: while the trunk is off they are off with it.
TRUNK_RELATIVE = (
    "working_hip",
    "other_hip",
    "working_shoulder",
    "other_shoulder",
    "pelvis_tilt",
)
PELVIS = ("pelvis_tilt", "pelvis_rotation")
# Episodes of one fault closer than this in a hold are one fault (it flickered at the tolerance's
# edge, or two angles told the same thing).
MERGE_GAP_S = 2.0
# The article's stretches are entered and left gently, over a few seconds: a too-shallow episode
# this short at the very start of a hold is the person easing in, and any fault this short at its
# very end is the person coming out of the stretch, not a fault.
EASE_S = 5.0
EDGE_S = 1.0  # "at the very start or end": this close to it


class Phase(str, Enum):
    NO_PERSON = "no_person"
    WRONG_VIEW = "wrong_view"
    POSITIONING = "getting_into_position"
    HOLDING = "holding"
    HOLD_COMPLETE = "hold_complete"
    SWITCH_SIDES = "switch_sides"
    DONE = "done"


@dataclass(frozen=True)
class FrameResult:
    """Everything the screen, the voice and a report need about one frame."""

    timestamp_s: float
    pose: PoseFrame | None
    angles: dict[str, float]
    view: BodyView | None
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


@dataclass(frozen=True)
class SessionSummary:
    holds: tuple[Hold, ...]
    events: tuple[Event, ...]
    sides_done: tuple[str, ...]


@dataclass
class _Hold:
    side: str
    start_s: float
    last_in_s: float
    shift: PelvisShift
    limits: list[AngleLimit]  # in judging order: the trunk first, the pelvis last
    names: list[str]  # the limits' angles under the program's names (``hip_left`` ...)
    good_form_s: float = 0.0
    complete: bool = False
    # The stretch proper: from the first to the last moment the body held still in position
    # (entering the zone happens mid-move; leaving it, mid-release).
    first_steady_s: float | None = None
    last_steady_s: float | None = None
    last_good_s: float = 0.0
    # Form faults, kept until the hold ends: see `_hold_faults`.
    faults: list[Event] = field(default_factory=list)

    def interval(self, end_s: float) -> tuple[float, float]:
        if self.first_steady_s is None or self.last_steady_s is None:
            return self.start_s, end_s
        return self.first_steady_s, min(self.last_steady_s, end_s)


class CueBoard:
    """One cue at a time, most important first: a new cue is given at most once per ``cooldown_s``.

    A cue that no longer applies is taken off the screen at once; the cooldown still counts from the
    last new cue, so two cues are never spoken closer together than ``cooldown_s``.
    """

    def __init__(self, cooldown_s: float) -> None:
        self.cooldown_s = cooldown_s
        self.cue: str | None = None
        self.since = -math.inf

    def update(self, t: float, candidates: list[str]) -> tuple[str | None, bool]:
        """``candidates`` in order of importance -> (the cue to show, whether it is new)."""
        if self.cue in candidates and t - self.since < self.cooldown_s:
            return self.cue, False
        if not candidates:
            self.cue = None
            return None, False
        best = candidates[0]
        if best == self.cue or t - self.since < self.cooldown_s:
            return self.cue if self.cue in candidates else None, False
        self.cue, self.since = best, t
        return best, True


class CoachingSession:
    """Coach one stretch for the given sides. ``update`` once per frame; ``finish`` at the end."""

    def __init__(
        self,
        reference: Reference,
        settings: Settings | None = None,
        sides: tuple[str, ...] = ("left", "right"),
    ) -> None:
        self.reference = reference
        self.settings = settings or Settings()
        if not sides or any(s not in ("left", "right") for s in sides):
            raise ValueError(f"sides must name 'left' and/or 'right', got {sides!r}")
        self.sides = tuple(dict.fromkeys(sides))
        s = self.settings
        self.filter = LandmarkFilter(s.filter_min_cutoff, s.filter_beta)
        self.view_tracker = ViewTracker()
        self.presence = Episode(Fault.NO_PERSON, s.lost_after_s)
        self.wrong_view = Episode(Fault.WRONG_VIEW, s.wrong_view_after_s)
        self.bounce = BounceDetector(reference.bounce, s.min_fault_s)
        self.steady = Steadiness(STEADY_WINDOW_S, reference.bounce.max_amplitude_deg)
        self.cues = CueBoard(s.cue_cooldown_s)
        self.events: list[Event] = []
        self.holds: list[Hold] = []
        self.done: list[str] = []
        self.hold: _Hold | None = None
        self.zone_since: float | None = None
        self.last_t: float | None = None

    # -- per frame ---------------------------------------------------------------------------

    def update(self, frame: PoseFrame | None, timestamp_s: float) -> FrameResult:
        t = timestamp_s
        dt = 0.0 if self.last_t is None else min(max(t - self.last_t, 0.0), MAX_STEP_S)
        self.last_t = t
        new: list[Event] = []
        if frame is None:
            self.filter.reset()
            angles, view = {}, None
        else:
            frame = self.filter(frame)
            angles = compute_angles(frame, self.settings.min_visibility)
            view = self.view_tracker.update(classify_view(frame, self.settings.min_visibility), t)
        self._record(self.presence.update(t, frame is None, float("nan"), NO_PERSON_CUE, None), new)
        wrong = view is not None and self._wrong_view(view)
        self._record(
            self.wrong_view.update(t, wrong, float("nan"), self.reference.camera, None), new
        )

        side = self.hold.side if self.hold else self._fit_side(angles)
        relative = relative_angles(angles, side) if angles and side else {}
        in_zone = bool(relative) and not wrong and self._in_zone(relative, view)
        states: dict[str, int] = {}
        form_ok = False
        if self.hold is None and side is not None:
            self.zone_since = (self.zone_since or t) if in_zone else None
            if self.zone_since is not None and t - self.zone_since >= ENTER_S:
                self._start_hold(side, self.zone_since)
        hold = self.hold
        if hold is not None:
            if in_zone:
                hold.last_in_s = t
                form_ok = self._check_form(t, relative, states, new)
                if form_ok:
                    hold.last_good_s = t
                    hold.good_form_s += dt
                    hold.complete = hold.complete or hold.good_form_s >= self.reference.hold_s
            # A complete hold ends when good form ends (the release); any other when the zone does.
            last = hold.last_good_s if hold.complete else hold.last_in_s
            if t - last >= self.settings.release_after_s:
                self._end_hold(last, new)
        return self._result(t, frame, angles, view, states, form_ok, new)

    def _record(self, event: Event | None, new: list[Event]) -> None:
        if event is not None:
            self.events.append(event)
            new.append(event)

    def _wrong_view(self, view: BodyView) -> bool:
        wanted = self.reference.view
        return wanted != "any" and view.view not in (None, "unknown", wanted)

    def _pending(self) -> list[str]:
        return [s for s in self.sides if s not in self.done]

    def _fit_side(self, angles: dict[str, float]) -> str | None:
        """The pending side whose mirrored targets the angles fit best (in tolerances)."""
        pending = self._pending()
        if not angles or not pending:
            return pending[0] if pending else None

        def misfit(side: str) -> float:
            relative = relative_angles(angles, side)
            errors = [
                ((relative[name] - check.target) / check.tolerance) ** 2
                for name, check in self.reference.angles.items()
                if not math.isnan(relative[name])
            ]
            return sum(errors) / len(errors) if errors else math.inf

        scores = {side: misfit(side) for side in pending}
        best = min(pending, key=lambda s: scores[s])
        return best if math.isfinite(scores[best]) else pending[0]

    def _in_zone(self, relative: dict[str, float], view: BodyView | None) -> bool:
        posture = view.posture if view else None
        if posture not in (None, "unknown", self.reference.posture):
            return False
        # The first zone angle must be seen and inside; the others count only when seen.
        for i, (name, (low, high)) in enumerate(self.reference.hold_zone.items()):
            value = relative[name]
            if (i == 0 or not math.isnan(value)) and not low <= value <= high:
                return False
        return True

    def _start_hold(self, side: str, start: float) -> None:
        s = self.settings
        hips = self.reference.hip_alignment
        checks = self.reference.angles | hips.checks()
        # Under the program's names for the frame's angle states: the reference's angles, in
        # order, then the pelvis limits.
        names = dict(zip(checks, [*self.reference.targets_for(side), *hips.checks()], strict=True))
        limits = [AngleLimit(name, check, s.min_fault_s, s.hysteresis_deg)
                  for name, check in checks.items()]  # fmt: skip
        limits.sort(key=lambda limit: _judging_order(limit.name))  # see _check_form
        shift = PelvisShift(hips.max_shift_deg, SETTLE_S, s.min_fault_s, s.hysteresis_deg, hips.cue)
        self.hold = _Hold(
            side, start, start, shift, limits, [names[limit.name] for limit in limits]
        )
        self.bounce.reset(start, side)

    def _check_form(
        self,
        t: float,
        relative: dict[str, float],
        states: dict[str, int],
        new: list[Event],
    ) -> bool:
        hold = self.hold
        assert hold is not None
        steady = self.steady.update(t, relative[self.reference.bounce.angle])
        if steady:
            if hold.first_steady_s is None:
                hold.first_steady_s = max(hold.start_s, t - STEADY_WINDOW_S)
            hold.last_steady_s = t
        # The trunk first: hip, shoulder and pelvis readings are taken against the trunk, so while
        # the trunk is off they are off with it, and only the trunk is reported. The pelvis last:
        # MediaPipe's hip landmarks follow the thighs, so while a leg is off its target the pelvis
        # reads off with it, and only the leg is reported.
        judging = steady and not hold.complete  # a completed hold is being released: no new faults
        trunk_ok = legs_ok = True
        for limit in hold.limits:
            judge = judging and (trunk_ok or limit.name not in TRUNK_RELATIVE)
            if limit.name in PELVIS:
                judge = judge and legs_ok
            hold.faults += limit.update(t, relative[limit.name], hold.side, judge=judge)
            if limit.name == "trunk":
                trunk_ok = limit.state == 0
            elif limit.name not in PELVIS:
                legs_ok = legs_ok and limit.state == 0
        # Where the pelvis settled is taken, and compared, only in position and holding still
        # (bouncing moves the pelvis too).
        shift_judge = judging and trunk_ok and legs_ok and not self.bounce.episode.active
        tilt, rotation = relative["pelvis_tilt"], relative["pelvis_rotation"]
        hold.faults += hold.shift.update(t, tilt, rotation, hold.side, shift_judge)
        if not hold.complete:
            for event in self.bounce.update(t, relative[self.reference.bounce.angle], hold.side):
                self._record(event, new)
        states.update(
            {name: limit.state for name, limit in zip(hold.names, hold.limits, strict=True)}
        )
        return (
            all(limit.state == 0 for limit in hold.limits)
            and hold.shift.state == 0
            and not self.bounce.episode.active
        )

    def _end_hold(self, end: float, new: list[Event]) -> None:
        hold = self.hold
        assert hold is not None
        for limit in hold.limits:
            hold.faults += limit.close(end, hold.side)
        hold.faults += hold.shift.close(end, hold.side)
        # Easing in and out is told from the stretch proper: from the first to the last moment held
        # still in position.
        for event in _hold_faults(hold.faults, *hold.interval(end)):
            self._record(event, new)
        self._record(self.bounce.reset(end, hold.side), new)
        self.hold = None
        self.zone_since = None
        start, end = hold.interval(end)
        if hold.first_steady_s is None or end - start < MIN_HOLD_S:
            return  # passing through the zone (turning round, moving in and out) is not a hold
        self.holds.append(Hold(hold.side, start, end, hold.good_form_s))
        if hold.complete:
            self.done.append(hold.side)
        if end - start < self.reference.hold_s - HOLD_SLACK_S:
            self._record(self._short_hold(hold.side, start, end), new)

    def _short_hold(self, side: str, start: float, end: float) -> Event:
        """A hold shorter than the reference's hold time; its value is the seconds held."""
        target = self.reference.hold_s
        message = (
            f"Hold the {side} side for {target:.0f} s: this time it was {end - start:.0f} s"
            if end > start
            else f"The {side} side was not held: hold it for {target:.0f} s"
        )
        return Event(Fault.HOLD_TOO_SHORT, side, start, end, end - start, message)

    # -- what to show ------------------------------------------------------------------------

    def _phase(self) -> Phase:
        if self.presence.active:
            return Phase.NO_PERSON
        if self.wrong_view.reported(self.last_t or 0.0):
            return Phase.WRONG_VIEW
        if self.hold is not None:
            return Phase.HOLD_COMPLETE if self.hold.complete else Phase.HOLDING
        if not self._pending():
            return Phase.DONE
        return Phase.SWITCH_SIDES if self.done else Phase.POSITIONING

    def _candidates(self, t: float, phase: Phase) -> list[str]:
        if phase is Phase.NO_PERSON:
            return [NO_PERSON_CUE] if self.presence.reported(t) else []
        if phase is Phase.WRONG_VIEW:
            return [self.reference.camera]
        side = self.hold.side if self.hold else (self._pending() or [None])[0]
        if phase is Phase.DONE:
            return ["Well done: both sides are complete"]
        if phase is Phase.HOLD_COMPLETE:
            following = [s for s in self._pending() if s != side]
            return [f"Well done. Now switch to your {following[0]} side" if following else
                    "Well done. Release the stretch gently"]  # fmt: skip
        if phase in (Phase.POSITIONING, Phase.SWITCH_SIDES):
            return [f"Get into position, {side} side: {self.reference.instructions[0]}"]
        assert self.hold is not None
        cues = [self.reference.bounce.cue] if self.bounce.episode.reported(t) else []
        checks = [*self.hold.limits, self.hold.shift]
        cues += [cue for check in checks if (cue := check.reported_cue(t))]
        return cues or ["Good form: hold it and breathe"]

    def _result(
        self,
        t: float,
        frame: PoseFrame | None,
        angles: dict[str, float],
        view: BodyView | None,
        states: dict[str, int],
        form_ok: bool,
        new: list[Event],
    ) -> FrameResult:
        phase = self._phase()
        cue, is_new = self.cues.update(t, self._candidates(t, phase))
        faults: list[Fault] = []
        if self.presence.reported(t):
            faults.append(Fault.NO_PERSON)
        if self.wrong_view.reported(t):
            faults.append(Fault.WRONG_VIEW)
        if self.hold is not None:
            episodes = [e for limit in self.hold.limits for e in (limit.low, limit.high)]
            episodes.append(self.hold.shift.episode)
            faults += [e.kind for e in [self.bounce.episode, *episodes] if e.reported(t)]
        side = self.hold.side if self.hold else (self._pending() or [None])[0]
        return FrameResult(
            timestamp_s=t,
            pose=frame,
            angles=angles,
            view=view,
            phase=phase,
            side=side,
            hold_s=self.hold.good_form_s if self.hold else 0.0,
            hold_target_s=self.reference.hold_s,
            form_ok=form_ok,
            angle_states=states,
            faults=tuple(dict.fromkeys(faults)),
            cue=cue,
            cue_is_new=is_new,
            events=tuple(new),
        )

    # -- end ---------------------------------------------------------------------------------

    def finish(self, timestamp_s: float | None = None, expect_holds: bool = True) -> SessionSummary:
        """Close what is still open (a hold in progress, a lost person) and summarise.

        With ``expect_holds`` (not for a still image) a side never held is a ``hold_too_short``.
        """
        t = timestamp_s if timestamp_s is not None else (self.last_t or 0.0)
        new: list[Event] = []
        if self.hold is not None:
            self._end_hold(min(self.hold.last_in_s, t), new)
        self._record(self.presence.close(t, None), new)
        self._record(self.wrong_view.close(t, None), new)
        attempted = {h.side for h in self.holds}
        for side in self._pending() if expect_holds else ():
            if side not in attempted:
                self._record(self._short_hold(side, t, t), new)
        events = tuple(sorted(self.events, key=lambda e: (e.start_s, e.kind.value)))
        return SessionSummary(tuple(self.holds), events, tuple(self.done))


def _hold_faults(events: list[Event], start: float, end: float) -> list[Event]:
    """The form faults of a hold from ``start`` to ``end``, as reported: one event for each run of
    one fault (episodes of a kind less than ``MERGE_GAP_S`` apart are joined; the longest gives
    the value and message), without a short too-shallow run at the start (easing in) nor a short
    run of any fault at the end (coming out of the stretch moves everything).
    """
    merged: list[Event] = []
    for kind in {e.kind for e in events}:
        run: list[Event] = []
        for event in sorted((e for e in events if e.kind is kind), key=lambda e: e.start_s):
            if run and event.start_s - max(e.end_s for e in run) > MERGE_GAP_S:
                merged.append(_joined(run))
                run = []
            run.append(event)
        merged.append(_joined(run))

    def easing(event: Event) -> bool:
        easing_in = event.kind is Fault.TOO_SHALLOW and event.start_s - start <= EDGE_S
        releasing = end - event.end_s <= EDGE_S
        return (easing_in or releasing) and event.duration_s <= EASE_S

    return sorted((e for e in merged if not easing(e)), key=lambda e: e.start_s)


def _joined(run: list[Event]) -> Event:
    longest = max(run, key=lambda e: e.duration_s)
    start, end = min(e.start_s for e in run), max(e.end_s for e in run)
    return replace(longest, start_s=start, end_s=end)


def _judging_order(name: str) -> int:
    """The trunk first, the pelvis last: see ``CoachingSession._check_form``."""
    return 0 if name == "trunk" else 2 if name in PELVIS else 1
