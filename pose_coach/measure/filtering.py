"""Landmark jitter filter: a One-Euro filter (Casiez et al., CHI 2012) per coordinate, vectorised.

A One-Euro filter is an exponential low-pass whose cutoff rises with the signal's speed. At rest the
low cutoff removes jitter; when a landmark moves the cutoff opens so a real movement (a bounce) is not
flattened. Two changes to the original, both measured with ``benchmarks/filter_response.py``:

- The speed that opens the cutoff is the envelope of |speed| (its magnitude low-passed at
  ``ENVELOPE_CUTOFF_HZ``), not |low-passed speed|: the latter drops to zero at each turning point of
  a bounce, closing the filter exactly where the amplitude is decided.
- Speeds below ``speed_floor`` do not open the cutoff (a dead zone), so jitter alone keeps the filter
  at ``min_cutoff``: ``cutoff = min_cutoff + beta * max(0, envelope - speed_floor)``.

On the benchmark's 30 fps tracks this takes jitter to about a quarter where the original One-Euro,
tuned to keep the same 3 Hz bounce, only halved it. Speed is measured in body lengths per second (image
points divided by the torso length in pixels, world points by the torso length in metres), so one set
of parameters works at any resolution and distance, for image and world points.

Time comes from ``PoseFrame.timestamp_s`` only, so irregular frame intervals are handled exactly and
a replayed video filters identically. The filter resets itself when time goes backwards or jumps by
more than ``max_gap_s``.

Missing landmarks: a landmark with any NaN coordinate (image or world) comes out NaN in both (never
a guess) and its state is kept; when it comes back within ``max_gap_s`` it is filtered on from where
it was, after a longer absence it starts afresh from its raw position.
"""

from __future__ import annotations

import math

import numpy as np

from pose_coach.config import Settings
from pose_coach.geometry import torso_length
from pose_coach.input.landmarks import NUM_LANDMARKS, PoseFrame

# Chosen with benchmarks/filter_response.py (30 fps, 1.5 px jitter, torso 150 px = 0.5 m).
DEFAULT_D_CUTOFF = 2.0  # Hz: cutoff of the speed estimate
DEFAULT_SPEED_FLOOR = 0.15  # torso lengths per second: slower than this is treated as jitter
ENVELOPE_CUTOFF_HZ = 1.0  # Hz: smoothing of |speed| into the envelope that sets the cutoff
DEFAULT_MAX_GAP_S = 0.5  # s: a longer gap between frames resets the filter
SCALE_TIME_CONSTANT_S = 1.0  # s: smoothing of the body scale itself
FALLBACK_WORLD_SCALE_M = 0.5  # m: a typical torso length, used until a torso has been seen

_IMAGE_COLS = slice(0, 2)
_WORLD_COLS = slice(2, 5)


def body_scale_px(image: np.ndarray) -> float:
    """Body size in pixels: the torso length (shoulder midpoint to hip midpoint).

    Floored at a quarter of the landmarks' bounding-box diagonal, so a torso foreshortened towards
    the camera does not make the scale tiny. NaN if it cannot be measured.
    """
    torso = torso_length(image)
    finite = image[np.isfinite(image).all(axis=1)]
    if len(finite) < 2:
        return torso
    diagonal = math.dist(finite.max(axis=0), finite.min(axis=0))
    return 0.25 * diagonal if math.isnan(torso) else max(torso, 0.25 * diagonal)


def _alpha(dt: np.ndarray, cutoff: np.ndarray | float) -> np.ndarray:
    """Smoothing factor of a first-order low-pass with ``cutoff`` Hz over ``dt`` seconds."""
    rate = 2.0 * np.pi * cutoff * dt
    return rate / (rate + 1.0)


class LandmarkFilter:
    """One-Euro filter over a pose's 33 image points (pixels) and 33 world points (metres).

    Call it once per frame in time order; it returns the frame with filtered points (visibility,
    timestamp and size unchanged). Cost is a few dozen numpy operations on (33, 5) arrays per frame.
    """

    def __init__(
        self,
        min_cutoff: float = Settings.filter_min_cutoff,
        beta: float = Settings.filter_beta,
        d_cutoff: float = DEFAULT_D_CUTOFF,
        speed_floor: float = DEFAULT_SPEED_FLOOR,
        max_gap_s: float = DEFAULT_MAX_GAP_S,
    ) -> None:
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0 or speed_floor < 0 or max_gap_s <= 0:
            raise ValueError(
                "expected min_cutoff > 0, d_cutoff > 0, beta >= 0, speed_floor >= 0, max_gap_s > 0,"
                f" got {min_cutoff=}, {d_cutoff=}, {beta=}, {speed_floor=}, {max_gap_s=}"
            )
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.speed_floor = speed_floor
        self.max_gap_s = max_gap_s
        self.reset()

    def reset(self) -> None:
        """Forget all history: the next frame passes through unfiltered."""
        shape = (NUM_LANDMARKS, 5)
        self._value = np.zeros(shape)
        self._speed = np.zeros(shape)
        self._envelope = np.zeros(shape)
        self._last_seen = np.full(NUM_LANDMARKS, -np.inf)
        self._last_time: float | None = None
        self._last_output: tuple[np.ndarray, np.ndarray] | None = None
        self._scale: tuple[float, ...] | None = None  # smoothed (image px, world m) torso lengths

    def __call__(self, frame: PoseFrame) -> PoseFrame:
        """Filter one frame (frames must come in time order; see the module doc for resets)."""
        t = frame.timestamp_s
        if self._last_time is not None:
            if t == self._last_time and self._last_output is not None:
                return frame.with_points(*self._last_output)  # a repeated frame: nothing new
            if t < self._last_time or t - self._last_time > self.max_gap_s:
                self.reset()
        raw = np.concatenate([frame.image, frame.world], axis=1)
        scale = self._update_scale(frame, t)
        present = np.isfinite(raw).all(axis=1)
        since = t - self._last_seen
        fresh = present & (since > self.max_gap_s)
        tracked = (present & ~fresh)[:, None]
        dt = np.where(tracked[:, 0], since, 1.0)[:, None]

        speed = (raw - self._value) / (dt * scale)
        speed = self._speed + _alpha(dt, self.d_cutoff) * (speed - self._speed)
        envelope = self._envelope + _alpha(dt, ENVELOPE_CUTOFF_HZ) * (
            np.abs(speed) - self._envelope
        )
        cutoff = self.min_cutoff + self.beta * np.maximum(envelope - self.speed_floor, 0.0)
        value = self._value + _alpha(dt, cutoff) * (raw - self._value)

        fresh = fresh[:, None]
        self._value = np.where(tracked, value, np.where(fresh, raw, self._value))
        self._speed = np.where(tracked, speed, np.where(fresh, 0.0, self._speed))
        self._envelope = np.where(tracked, envelope, np.where(fresh, 0.0, self._envelope))
        self._last_seen = np.where(present, t, self._last_seen)
        self._last_time = t
        out = np.where(present[:, None], self._value, np.nan)
        self._last_output = (out[:, _IMAGE_COLS], out[:, _WORLD_COLS])
        return frame.with_points(*self._last_output)

    def _update_scale(self, frame: PoseFrame, t: float) -> np.ndarray:
        """Smoothed (image px, world m) torso lengths, spread over the five coordinate columns."""
        measured = (body_scale_px(frame.image), torso_length(frame.world))
        if self._scale is None:
            fallback = (0.3 * frame.height, FALLBACK_WORLD_SCALE_M)
            self._scale = tuple(m if m > 0 else f for m, f in zip(measured, fallback, strict=True))
        else:
            dt = t - (self._last_time if self._last_time is not None else t)
            a = dt / (dt + SCALE_TIME_CONSTANT_S)
            self._scale = tuple(
                s + a * (m - s) if m > 0 else s for s, m in zip(self._scale, measured, strict=True)
            )
        image_scale, world_scale = self._scale
        return np.array([image_scale, image_scale, world_scale, world_scale, world_scale])
