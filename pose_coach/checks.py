"""Checks over time: small stateful objects fed one timestamped sample at a time.

Each check decides and returns events; none of them draws or talks. Anti-flicker is explicit:
a fault is reported only after it has lasted ``min_s`` (its start time is when it first appeared), and
it clears only when the value is back inside the tolerance by a hysteresis margin.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from pose_coach.events import Event, Fault
from pose_coach.reference import AngleCheck, BounceLimits, Bound


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
        self, t: float, raised: bool, value: float, message: str, side: str | None
    ) -> Event | None:
        if raised:
            if self.start_s is None:
                self.start_s, self.value = t, value
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


class AngleLimit:
    """One angle against its target and tolerance, with hysteresis, as two episodes (low, high)."""

    def __init__(self, name: str, check: AngleCheck, min_s: float, hysteresis_deg: float) -> None:
        self.name, self.check, self.hysteresis = name, check, hysteresis_deg
        self.low = Episode(check.too_low.fault, min_s)
        self.high = Episode(check.too_high.fault, min_s)
        self.state = 0  # -1 below the band, 0 inside, +1 above

    def _state(self, value: float) -> int:
        if math.isnan(value):
            return 0  # an unseen angle is not judged
        offset = value - self.check.target
        limit = self.check.tolerance
        if self.state != 0 and math.copysign(1, offset) == self.state:
            limit = max(0.0, limit - self.hysteresis)  # stay raised until clearly back inside
        if abs(offset) <= limit:
            return 0
        return 1 if offset > 0 else -1

    def update(self, t: float, value: float, side: str) -> list[Event]:
        self.state = self._state(value)
        events = [
            self.low.update(t, self.state < 0, value, self.check.too_low.cue, side),
            self.high.update(t, self.state > 0, value, self.check.too_high.cue, side),
        ]
        return [e for e in events if e]

    def close(self, t: float, side: str) -> list[Event]:
        self.state = 0
        return [e for e in (self.low.close(t, side), self.high.close(t, side)) if e]

    def reported_cue(self, t: float) -> str | None:
        for episode, bound in ((self.low, self.check.too_low), (self.high, self.check.too_high)):
            if episode.reported(t):
                return bound.cue
        return None


class SymmetricLimit(AngleLimit):
    """A value that must stay within +-limit of zero, reported as one fault kind either way."""

    def __init__(self, name: str, fault: Fault, limit: float, cue: str, min_s: float, hyst: float):
        bound = Bound(fault, cue)
        super().__init__(name, AngleCheck(0.0, limit, bound, bound), min_s, hyst)


@dataclass(frozen=True)
class Motion:
    """How much an angle moves around its own slow trend in the last window."""

    amplitude_deg: float  # half the 5-95 percentile range of the detrended angle (a sine's amplitude)
    speed_deg_s: float  # the fastest change over ``SPEED_SPAN_S``


SPEED_SPAN_S = 0.1
BOUNCE_CLEAR = 0.8


class BounceDetector:
    """Bouncing and jerks during a hold, from one angle's recent history.

    Within a sliding window of ``window_s`` the angle's straight-line trend is removed (a slow glide
    deeper into the stretch is not a bounce); what is left swinging more than ``max_amplitude_deg``,
    or any change faster than ``max_speed_deg_s`` over 0.1 s, is a bounce. The history is bounded.
    """

    def __init__(self, limits: BounceLimits, min_s: float, max_fps: float = 120.0) -> None:
        self.limits = limits
        self.samples: deque[tuple[float, float]] = deque(maxlen=int(limits.window_s * max_fps) + 2)
        self.episode = Episode(Fault.BOUNCE, min_s)

    def reset(self, t: float, side: str | None) -> Event | None:
        self.samples.clear()
        return self.episode.close(t, side)

    def motion(self) -> Motion | None:
        """The current window's motion, or None until a full window of samples is there."""
        if len(self.samples) < 5 or self.samples[-1][0] - self.samples[0][0] < self.limits.window_s * 0.9:
            return None
        data = np.array(self.samples)
        t, v = data[:, 0], data[:, 1]
        slope, offset = np.polyfit(t - t[0], v, 1)
        residual = v - (slope * (t - t[0]) + offset)
        low, high = np.percentile(residual, [5, 95])  # robust to single noisy frames
        amplitude = float(high - low) / 2
        lag = max(1, round(SPEED_SPAN_S / float(np.median(np.diff(t)))))
        if lag >= len(t):
            return Motion(amplitude, 0.0)
        speed = float(np.max(np.abs(v[lag:] - v[:-lag]) / np.maximum(t[lag:] - t[:-lag], 1e-6)))
        return Motion(amplitude, speed)

    def update(self, t: float, value: float, side: str) -> list[Event]:
        if math.isnan(value):
            return []
        while self.samples and t - self.samples[0][0] > self.limits.window_s:
            self.samples.popleft()
        self.samples.append((t, value))
        motion = self.motion()
        if motion is None:
            return []
        # Hysteresis: once bouncing, the motion must calm to 80% of the limits to clear.
        margin = BOUNCE_CLEAR if self.episode.active else 1.0
        raised = (
            motion.amplitude_deg > self.limits.max_amplitude_deg * margin
            or motion.speed_deg_s > self.limits.max_speed_deg_s * margin
        )
        event = self.episode.update(t, raised, motion.amplitude_deg, self.limits.cue, side)
        return [event] if event else []
