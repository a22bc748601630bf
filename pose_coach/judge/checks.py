"""Checks over time: small stateful objects fed one timestamped sample at a time.

Each check decides and returns events; none of them draws or talks. Anti-flicker is explicit:
a fault is reported only after it has lasted ``min_s`` (its start time is when it first appeared), and
it clears only when the value is back inside the tolerance by a hysteresis margin.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from pose_coach.events import Event, Fault
from pose_coach.judge.reference import AngleCheck, BounceLimits


class Episode:
    """Turns a noisy raised/cleared condition into events with a start and an end.

    ``update`` returns the finished event once the condition has stayed clear for ``clear_s``
    (the event ends when it first cleared) if it lasted ``min_s``, else None. While it lasts, ``reported`` tells whether it has lasted long enough to be shown.
    The event's value is the largest-magnitude value seen during the episode.
    """

    def __init__(self, kind: Fault, min_s: float, clear_s: float | None = None) -> None:
        self.kind, self.min_s = kind, min_s
        self.clear_s = min_s / 2 if clear_s is None else clear_s
        self.start_s: float | None = None
        self.clear_since: float | None = None
        self.value = float("nan")
        self.message = ""

    @property
    def active(self) -> bool:
        return self.start_s is not None

    def reported(self, t: float) -> bool:
        return self.start_s is not None and t - self.start_s >= self.min_s

    def update(
        self,
        t: float,
        raised: bool,
        value: float,
        message: str,
        side: str | None,
        since: float | None = None,
    ) -> Event | None:
        """``since``: when the condition began, if known to be earlier than ``t``."""
        if raised:
            if self.start_s is None:
                self.start_s, self.value = t if since is None else min(since, t), value
            elif not math.isnan(value) and not abs(value) <= abs(self.value):
                self.value = value
            self.message = message
            self.clear_since = None
            return None
        if self.start_s is None:
            return None
        if self.clear_since is None:
            self.clear_since = t
        if t - self.clear_since < self.clear_s:
            return None  # wait: a condition that comes back soon is the same episode
        return self.close(self.clear_since, side)

    def close(self, t: float, side: str | None) -> Event | None:
        """End the episode now; an event only if it lasted long enough to have been reported."""
        if self.start_s is None:
            return None
        start, self.start_s = self.start_s, None
        t = self.clear_since if self.clear_since is not None else t
        self.clear_since = None
        if t - start < self.min_s:
            return None
        return Event(self.kind, side, start, max(t, start), self.value, self.message)


# A fault is dated from when its angle left the band, though it is raised only once the body holds
# still: moving into the stretch is not holding a wrong angle, and the fault was there from then.
# But an angle read off because of another fault (a hip read against a trunk leaning forward: see
# ``form``) is not dated from before that fault ended: `dev18046`'s trunk leaned forward through a
# half-kneeling hold, the hip read against it "too shallow", and once the trunk came back, a moment
# before the release, the hip's fault was raised dated from the hold's start, a 13 s "too shallow"
# no one had shown.
EXCUSED_NOT_DATED = True


class AngleLimit:
    """One angle against its target and tolerance, with hysteresis, as two episodes (low, high)."""

    def __init__(self, name: str, check: AngleCheck, min_s: float, hysteresis_deg: float) -> None:
        self.name, self.check, self.hysteresis = name, check, hysteresis_deg
        self.low = Episode(check.too_low.fault, min_s)
        self.high = Episode(check.too_high.fault, min_s)
        self.state = 0  # -1 below the band, 0 inside, +1 above
        self.out_since: float | None = None

    def _state(self, value: float, room: tuple[float, float]) -> int:
        if math.isnan(value):
            return 0  # an unseen angle is not judged
        offset = value - self.check.target
        below, above = room
        limit = self.check.tolerance + (below if offset < 0 else above)
        if self.state != 0 and math.copysign(1, offset) == self.state:
            limit = max(0.0, limit - self.hysteresis)  # stay raised until clearly back inside
        if abs(offset) <= limit:
            return 0
        return 1 if offset > 0 else -1

    def update(
        self,
        t: float,
        value: float,
        side: str,
        judge: bool = True,
        room: tuple[float, float] = (0.0, 0.0),
        excused: bool = False,
    ) -> list[Event]:
        """Track the state; raise a fault only while ``judge`` (the body is holding still);
        ``room``: degrees this reading may go below and above the band before it is out;
        ``excused``: the reading is off because of another fault (the trunk's), so it is not
        judged, and a fault raised later is dated from when it was no longer excused."""
        state = self._state(value, room)
        if state != self.state or excused and EXCUSED_NOT_DATED:
            self.out_since = t if state else None  # when it left the band, to date the fault
        judge = judge and not excused
        self.state = state
        since = self.out_since
        events = [
            self.low.update(t, judge and state < 0, value, self.check.too_low.cue, side, since),
            self.high.update(t, judge and state > 0, value, self.check.too_high.cue, side, since),
        ]
        events = [e for e in events if e]
        if events and state:
            self.out_since = t  # judged again later, it is a new episode from then, not a repeat
        return events

    def close(self, t: float, side: str) -> list[Event]:
        self.state, self.out_since = 0, None
        return [e for e in (self.low.close(t, side), self.high.close(t, side)) if e]

    def reported_cue(self, t: float) -> str | None:
        for episode, bound in ((self.low, self.check.too_low), (self.high, self.check.too_high)):
            if episode.reported(t):
                return bound.cue
        return None


class PelvisShift:
    """The pelvis moving away from where it settled in the hold: a hip hiked or dropped mid-hold.

    Seen from the side MediaPipe reads only part of a hip hike or drop (on renders a 15-degree
    hike read as 2-7 degrees of tilt and rotation together), less than where level hips read
    varies between people and camera placements; against the person's own settled position the
    change shows. The baseline is the median tilt and rotation over the first ``settle_s`` of
    judged frames; a fault is raised while they have moved together (the length of the
    change as a vector) more than ``max_deg`` from it, and clears below ``max_deg - hysteresis``.
    """

    def __init__(
        self, max_deg: float, settle_s: float, min_s: float, hysteresis_deg: float, cue: str
    ) -> None:
        self.max_deg, self.settle_s, self.cue = max_deg, settle_s, cue
        self.clear_deg = max(0.0, max_deg - hysteresis_deg)
        self.episode = Episode(Fault.HIP_MISALIGNED, min_s)
        self.samples: list[tuple[float, float]] = []
        self.first_s: float | None = None
        self.baseline: tuple[float, float] | None = None
        self.state = 0  # 1 while shifted

    def update(self, t: float, tilt: float, rotation: float, side: str, judge: bool) -> list[Event]:
        rotation = 0.0 if math.isnan(rotation) else rotation  # a reference may not check it
        if math.isnan(tilt) or not judge:
            shift = math.nan
        elif self.baseline is None:
            self.first_s = t if self.first_s is None else self.first_s
            self.samples.append((tilt, rotation))
            if t - self.first_s >= self.settle_s:
                tilts, rotations = zip(*self.samples, strict=True)
                self.baseline = (float(np.median(tilts)), float(np.median(rotations)))
            shift = math.nan
        else:
            shift = math.hypot(tilt - self.baseline[0], rotation - self.baseline[1])
        if not math.isnan(shift):
            self.state = int(shift > (self.clear_deg if self.state else self.max_deg))
        event = self.episode.update(t, judge and self.state == 1, shift, self.cue, side)
        return [event] if event else []

    def close(self, t: float, side: str) -> list[Event]:
        self.state = 0
        event = self.episode.close(t, side)
        return [event] if event else []

    def reported_cue(self, t: float) -> str | None:
        return self.cue if self.episode.reported(t) else None


class LegsAsOne:
    """Readings in which the two legs came together: the pose model put both legs' points near
    one leg for a moment (from the side it now and then does, for a few frames).

    A person moves the working leg while the other stays (or both the same way, as the pelvis
    pulses), so against their medians over the last ``window_s`` (once the hips are ``min_gap_deg``
    apart) a reading is taken for legs read as one when the gap between the hips shrank below
    ``fraction`` of its median, or the other leg moved ``other_deg`` or more towards the working
    one while that did not move away.
    """

    def __init__(
        self, window_s: float, min_gap_deg: float, fraction: float, other_deg: float
    ) -> None:
        self.window_s, self.min_gap_deg = window_s, min_gap_deg
        self.fraction, self.other_deg = fraction, other_deg
        self.samples: deque[tuple[float, float, float]] = deque()

    def update(self, t: float, working: float, other: float) -> bool:
        if math.isnan(working - other):
            return False
        self.samples.append((t, working, other))
        while t - self.samples[0][0] > self.window_s:
            self.samples.popleft()
        usual_working = float(np.median([w for _, w, _ in self.samples]))
        usual_other = float(np.median([o for _, _, o in self.samples]))
        usual = usual_working - usual_other
        if abs(usual) < self.min_gap_deg:
            return False
        toward = -1.0 if usual > 0 else 1.0  # from the working leg towards the other
        closer = (working - usual_working) * toward >= 0
        other_moved = (other - usual_other) * -toward >= self.other_deg
        return (closer and other_moved) or (working - other) / usual < self.fraction


class _PairedReadings:
    """Two readings of a leg against their medians over the last ``window_s``: ``offsets`` gives
    how far this frame's pair lies from them, once the hold has ``settled`` and from
    ``min_samples`` readings on (else None)."""

    def __init__(self, window_s: float, min_samples: int) -> None:
        self.window_s, self.min_samples = window_s, min_samples
        self.samples: deque[tuple[float, float, float]] = deque()

    def offsets(self, t: float, a: float, b: float, settled: bool) -> tuple[float, float] | None:
        if not (math.isfinite(a) and math.isfinite(b)):
            return None
        self.samples.append((t, a, b))
        while t - self.samples[0][0] > self.window_s:
            self.samples.popleft()
        if not settled or len(self.samples) < self.min_samples:
            return None
        return (a - float(np.median([s[1] for s in self.samples])),
                b - float(np.median([s[2] for s in self.samples])))  # fmt: skip


class LegLengths(_PairedReadings):
    """Readings in which the working leg changed length: the pose model misplaced a point of it.

    A leg cannot stretch, and held in a stretch it hardly turns, so its thigh and shin keep their
    length in the picture. Against their medians over the last ``window_s``, a frame whose thigh
    or shin is more than ``fraction`` longer or shorter is a knee or ankle put in the wrong place
    (on the other leg, or on the floor), not the leg moving. It is told only once the hold has
    ``settled`` (moving into the stretch turns the leg, and changes its length in the picture),
    and from ``min_samples`` readings on.
    """

    def __init__(self, window_s: float, fraction: float, min_samples: int) -> None:
        super().__init__(window_s, min_samples)
        self.fraction = fraction

    def update(self, t: float, thigh: float, shin: float, settled: bool) -> bool:
        off = self.offsets(t, thigh, shin, settled)
        if off is None:
            return False
        # The medians are the readings less their offsets.
        return (abs(off[0]) > self.fraction * (thigh - off[0])
                or abs(off[1]) > self.fraction * (shin - off[1]))  # fmt: skip


class MovedTogether(_PairedReadings):
    """Readings in which the pose model misplaced the joint between two angles of a leg.

    Held in a stretch, a leg may swing at the hip (a bounce) while its knee keeps its angle; a knee
    put in the wrong place for a frame or a few bends both angles at once. Against their medians
    over the last ``window_s``, a frame whose ``moving`` angle is more than ``min_deg`` off and whose
    ``held`` angle moved the same way by more than ``fraction`` of that is such a misread. Told only
    once the hold has ``settled``, and from ``min_samples`` readings on.
    """

    def __init__(self, window_s: float, min_deg: float, fraction: float, min_samples: int) -> None:
        super().__init__(window_s, min_samples)
        self.min_deg, self.fraction = min_deg, fraction

    def update(self, t: float, moving: float, held: float, settled: bool) -> bool:
        off = self.offsets(t, moving, held, settled)
        if off is None:
            return False
        moved, along = off
        return abs(moved) > self.min_deg and along / moved > self.fraction


class Steadiness:
    """Whether an angle is holding still: its range over the last ``window_s`` is within ``max_deg``.

    Moving into or out of the stretch is not holding a wrong angle: angle faults are judged only
    while the body is steady (a bounce is caught by ``BounceDetector``).
    """

    def __init__(self, window_s: float, max_deg: float, max_fps: float = 120.0) -> None:
        self.window_s, self.max_deg = window_s, max_deg
        self.samples: deque[tuple[float, float]] = deque(maxlen=int(window_s * max_fps) + 2)

    def update(self, t: float, value: float) -> bool:
        if not math.isnan(value):
            self.samples.append((t, value))
        while self.samples and t - self.samples[0][0] > self.window_s:
            self.samples.popleft()
        if len(self.samples) < 2 or t - self.samples[0][0] < self.window_s * 0.8:
            return False
        values = [v for _, v in self.samples]
        return max(values) - min(values) <= self.max_deg


@dataclass(frozen=True)
class Swing:
    """One monotonic move of an angle between two turning points."""

    start_s: float
    end_s: float
    size_deg: float  # signed

    @property
    def speed_deg_s(self) -> float:
        return abs(self.size_deg) / max(self.end_s - self.start_s, 1e-6)


def swings(samples: list[tuple[float, float]], min_deg: float) -> list[Swing]:
    """Split a series into swings between turning points at least ``min_deg`` apart (a zig-zag).

    Reversals smaller than ``min_deg`` (jitter) are not turning points. The last swing runs to the
    latest extreme.
    """
    if not samples:
        return []
    pivots = [samples[0]]
    extreme, trend = samples[0], 0
    for t, v in samples[1:]:
        if trend >= 0 and v >= extreme[1] or trend <= 0 and v <= extreme[1]:
            extreme = (t, v)
            if trend == 0 and abs(v - pivots[0][1]) >= min_deg:
                trend = 1 if v > pivots[0][1] else -1
        elif (
            abs(v - extreme[1]) >= min_deg
        ):  # turned back far enough: the extreme was a turning point
            pivots.append(extreme)
            extreme, trend = (t, v), -trend
    pivots.append(extreme)
    return [
        Swing(a[0], b[0], b[1] - a[1])
        for a, b in zip(pivots, pivots[1:], strict=False)
        if abs(b[1] - a[1]) >= min_deg
    ]


# MediaPipe now and then misplaces a knee or hip for a frame or two, and the angle jumps 3-6
# degrees and back: two swings that look like a bounce. A running median of this many samples
# removes such spikes and keeps a bounce (at 24 fps five samples are 0.2 s, a 2.5 Hz bounce's half
# period). Chosen on the development split: bounce precision 0.56 -> 0.71 at recall 1.0.
SPIKE_MEDIAN_N = 3


def despiked(samples: list[tuple[float, float]], n: int) -> list[tuple[float, float]]:
    """``samples`` (time, value) as running medians of ``n``, each at its window's middle (the
    newest ``n // 2`` samples wait for their neighbours)."""
    if n <= 1 or len(samples) < n:
        return samples
    values = np.array([v for _, v in samples])
    medians = np.median(np.lib.stride_tricks.sliding_window_view(values, n), axis=1)
    middles = samples[n // 2 : len(samples) - n // 2]
    return [(t, float(m)) for (t, _), m in zip(middles, medians, strict=True)]


# The review analyses about 15 frames a second and draws the frames between on a straight line
# (coach.Pace), so a pose the model got wrong in one analysed frame is a spike three or four frames
# wide, which the running median keeps. A spike is told by time instead: a reading more than
# SPIKE_DEG from the mean of the readings SPIKE_REACH_S before and after it, while those two agree
# (within half that), is a misplaced joint, and the readings between those two are drawn on the
# straight line between them. A body cannot go out that far and back in 0.2 s; the renders' jerks
# (11-18 degrees out and back in 0.3 s) and bounces (up to 9 degrees at 2.4 Hz) are kept.
# Development splits: bounce precision 16/25 -> 16/22 at the same recall (27/30).
SPIKE_REACH_S = 0.1
SPIKE_DEG = 10.0


def unspiked(samples: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``samples`` (time, value) with one-off spikes drawn out (see ``SPIKE_REACH_S``), less the
    first and last ``SPIKE_REACH_S``: a spike there cannot be told yet (the newest samples wait for
    their later neighbour) or any more (the oldest were told while they were in the middle)."""
    reach_s, spike_deg = SPIKE_REACH_S, SPIKE_DEG
    if reach_s <= 0:
        return samples
    times = [t for t, _ in samples]
    out = list(samples)
    first, last = len(samples), len(samples)  # the samples with both neighbours
    for i, (t, value) in enumerate(samples):
        before = bisect.bisect_right(times, t - reach_s) - 1
        after = bisect.bisect_left(times, t + reach_s)
        if after == len(samples):
            last = i
            break
        if before < 0:
            continue
        first = min(first, i)
        (t0, v0), (t1, v1) = samples[before], samples[after]
        if abs(value - (v0 + v1) / 2) > spike_deg and abs(v0 - v1) < spike_deg / 2:
            for j in range(before + 1, after):
                w = (times[j] - t0) / (t1 - t0)
                out[j] = (times[j], (1 - w) * v0 + w * v1)
    return out[first:last]


# Now and then the pose model switches between two readings of a leg for a while (seen from a
# low three-quarter view, `dev14036`): the angle steps 10-16 degrees from one frame to the next,
# stays there, still, for a third of a second or more, and steps back, or stays. No body gets from
# one still angle to another in a tenth of a second: a jerk is out and back (its top is still for
# under 0.3 s) and a bounce is never still. So a step of more than STEP_DEG within SPIKE_REACH_S,
# the readings STEP_STILL_S before it and after it each within STEP_STILL of its size, is the pose
# model's, not the person's: the bounce check takes it out. On the development splits it takes
# out `dev14036`'s false bounce (the steps' readings there held within 0.16 of their size over
# 0.3 s) and no other reading changes; the renders' jerks and bounces held no closer than 0.26.
STEP_DEG = 10.0
STEP_STILL_S = 0.3
STEP_STILL = 0.2


def unstepped(samples: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``samples`` (time, value) less the pose model's steps (see ``STEP_DEG``): the readings after
    a step are shifted back by it, those within it held at its start."""
    times = [t for t, _ in samples]
    values = [v for _, v in samples]

    def still(first: int, last: int, step: float) -> bool:
        held = values[first : last + 1]
        return (times[last] - times[first] >= STEP_STILL_S / 2
                and max(held) - min(held) < STEP_STILL * abs(step))  # fmt: skip

    out, shift, j = list(values), 0.0, 1
    while j < len(samples):
        i = bisect.bisect_left(times, times[j] - SPIKE_REACH_S)  # where the step began
        step = values[j] - values[i]
        if abs(step) > STEP_DEG:
            before = bisect.bisect_left(times, times[i] - STEP_STILL_S)
            after = bisect.bisect_right(times, times[j] + STEP_STILL_S) - 1
            if still(before, i, step) and still(j, after, step):
                out[i + 1 : j] = [values[i] - shift] * (j - i - 1)
                shift += step
                out[j : after + 1] = [v - shift for v in values[j : after + 1]]
                j = after + 1
                continue
        out[j] = values[j] - shift
        j += 1
    return list(zip(times, out, strict=True))


class BounceDetector:
    """Bouncing and jerks during a hold, from one angle's recent history.

    A bounce is the angle going out and back: at least two swings (turning points at least
    ``max_amplitude_deg`` apart) within ``window_s``, each either wide (more than twice
    ``max_amplitude_deg``, peak to peak) or fast (over 1.5 times it, faster than ``max_speed_deg_s``).
    A glide into the stretch, however fast, is one swing, and jitter makes no turning points. The
    pose model's steps and spikes are taken out first (``unstepped``, ``unspiked``, ``despiked``).
    The value reported is half the median peak-to-peak of those swings: a sine's amplitude.
    """

    def __init__(self, limits: BounceLimits, min_s: float, max_fps: float = 120.0) -> None:
        self.limits = limits
        # The window and SPIKE_REACH_S either side of it: ``unspiked`` needs them to tell spikes.
        self.kept_s = limits.window_s + 2 * SPIKE_REACH_S
        self.samples: deque[tuple[float, float]] = deque(maxlen=int(self.kept_s * max_fps) + 2)
        self.episode = Episode(Fault.BOUNCE, min_s)

    def reset(self, t: float, side: str | None) -> Event | None:
        self.samples.clear()
        return self.episode.close(t, side)

    def bounce_swings(self) -> list[Swing]:
        """The swings in the window that count towards a bounce."""
        amplitude, max_speed = self.limits.max_amplitude_deg, self.limits.max_speed_deg_s
        return [
            s
            for s in swings(
                despiked(unspiked(unstepped(list(self.samples))), SPIKE_MEDIAN_N), amplitude
            )
            if abs(s.size_deg) > 2 * amplitude
            or (abs(s.size_deg) > 1.5 * amplitude and s.speed_deg_s > max_speed)
        ]

    def update(self, t: float, value: float, side: str) -> list[Event]:
        if math.isnan(value):
            return []
        while self.samples and t - self.samples[0][0] > self.kept_s:
            self.samples.popleft()
        self.samples.append((t, value))
        counted = self.bounce_swings()
        raised = len(counted) >= 2
        size = float(np.median([abs(s.size_deg) for s in counted])) / 2 if raised else math.nan
        since = counted[0].end_s if raised else None  # the bounce's first turning point
        event = self.episode.update(t, raised, size, self.limits.cue, side, since)
        return [event] if event else []
