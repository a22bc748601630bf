"""How much jitter the landmark filter removes and how much of a real bounce it keeps.

Synthetic tracks at 30 fps: a steady side-view standing pose (torso 150 px = 0.5 m, so 300 px/m) with
Gaussian jitter of 1.5 px per coordinate (5 mm in world coordinates), and the same pose bouncing
vertically (pelvis, trunk, arms and head; feet fixed, knees half) at 1-4 Hz with 2-6 cm amplitude.

- jitter ratio: residual std / raw std of the filtered steady track (lower is better).
- bounce kept: amplitude of the filtered hip height at the bounce frequency (least-squares sinusoid
  fit, after a 1 s warm-up) / the true amplitude, with the jitter present.

- move lag: the largest distance between the filtered and the true hip during a sudden 0.6 m/s
  sideways move of 30 cm (what the filter costs a real movement in latency).
- robustness: the jitter ratio and the 3 Hz bounces at 15 and 60 fps and at 1.0 and 2.0 px jitter.

Run: ``python benchmarks/filter_response.py [--min-cutoff X --beta Y --d-cutoff Z --speed-floor W]``
"""

from __future__ import annotations

import argparse
import time
from typing import Protocol

import numpy as np

from pose_coach.config import Settings
from pose_coach.input.landmarks import NUM_LANDMARKS, PoseFrame
from pose_coach.input.landmarks import Landmark as L
from pose_coach.measure.filtering import (
    DEFAULT_D_CUTOFF,
    DEFAULT_SPEED_FLOOR,
    LandmarkFilter,
)

PX_PER_M = 300.0  # torso 0.5 m = 150 px
JITTER_PX = 1.5
FREQUENCIES_HZ = (1.0, 2.0, 3.0, 4.0)
AMPLITUDES_M = (0.02, 0.04, 0.06)
WARMUP_S = 1.0

# A standing person seen from the side, facing image left: (x forward... in metres, y down), hips at 0.
_JOINTS_M = {
    L.NOSE: (-0.10, -0.68),
    L.LEFT_EAR: (0.0, -0.66),
    L.RIGHT_EAR: (0.0, -0.66),
    L.LEFT_SHOULDER: (0.0, -0.50),
    L.RIGHT_SHOULDER: (0.0, -0.50),
    L.LEFT_ELBOW: (0.0, -0.22),
    L.RIGHT_ELBOW: (0.0, -0.22),
    L.LEFT_WRIST: (0.0, 0.03),
    L.RIGHT_WRIST: (0.0, 0.03),
    L.LEFT_HIP: (0.0, 0.0),
    L.RIGHT_HIP: (0.0, 0.0),
    L.LEFT_KNEE: (0.0, 0.45),
    L.RIGHT_KNEE: (0.0, 0.45),
    L.LEFT_ANKLE: (0.0, 0.88),
    L.RIGHT_ANKLE: (0.0, 0.88),
}


def base_pose_m() -> np.ndarray:
    """(33, 2) metres: the joints above, every other landmark at its nearest listed neighbour."""
    points = np.zeros((NUM_LANDMARKS, 2))
    for index in range(NUM_LANDMARKS):
        near = min(_JOINTS_M, key=lambda joint: abs(int(joint) - index))
        points[index] = _JOINTS_M.get(L(index), _JOINTS_M[near])
    return points


def bounce_weights() -> np.ndarray:
    """(33,) how much each landmark follows a pelvis bounce: feet 0, knees 0.5, the rest 1."""
    weights = np.ones(NUM_LANDMARKS)
    weights[[L.LEFT_KNEE, L.RIGHT_KNEE]] = 0.5
    weights[int(L.LEFT_ANKLE) :] = 0.0
    return weights


class Filter(Protocol):
    """What the measurements need of a filter."""

    def reset(self) -> None: ...

    def __call__(self, frame: PoseFrame) -> PoseFrame: ...


class ClassicOneEuro:
    """The original One-Euro filter (|low-passed speed|, no dead zone), for comparison only.

    Same speed units as LandmarkFilter (torso lengths per second, fixed torso here), regular frames.
    """

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    def reset(self) -> None:
        self._state: tuple[np.ndarray, np.ndarray, float] | None = None

    def __call__(self, frame: PoseFrame) -> PoseFrame:
        raw = np.concatenate([frame.image / PX_PER_M, frame.world], axis=1) / 0.5
        if self._state is None:
            value, speed = raw, np.zeros_like(raw)
        else:
            previous, speed, t = self._state
            dt = frame.timestamp_s - t
            speed = speed + _alpha(dt, self.d_cutoff) * ((raw - previous) / dt - speed)
            value = previous + _alpha(dt, self.min_cutoff + self.beta * np.abs(speed)) * (
                raw - previous
            )
        self._state = (value, speed, frame.timestamp_s)
        out = value * 0.5
        return frame.with_points(out[:, :2] * PX_PER_M, out[:, 2:])


def _alpha(dt: float, cutoff: np.ndarray | float) -> np.ndarray | float:
    rate = 2 * np.pi * cutoff * dt
    return rate / (rate + 1)


def make_track(
    freq_hz: float,
    amplitude_m: float,
    seconds: float,
    fps: float = 30.0,
    jitter_px: float = JITTER_PX,
    seed: int = 0,
    shift_m: float = 0.0,
) -> list[PoseFrame]:
    """Frames of the base pose bouncing vertically (``amplitude_m`` 0 for a steady pose) with jitter.

    ``shift_m``: also move the whole body that far sideways at 0.6 m/s, starting at 1 s.
    """
    rng = np.random.default_rng(seed)
    base = base_pose_m()
    weights = bounce_weights()
    frames = []
    for i in range(int(seconds * fps)):
        t = i / fps
        pose = base.copy()
        pose[:, 1] += weights * amplitude_m * np.sin(2 * np.pi * freq_hz * t)
        pose[:, 0] += np.sign(shift_m) * np.clip(0.6 * (t - 1.0), 0.0, abs(shift_m))
        image = pose * PX_PER_M + (320.0, 200.0) + rng.normal(0, jitter_px, pose.shape)
        world_xy = pose + rng.normal(0, jitter_px / PX_PER_M, pose.shape)
        world = np.column_stack([world_xy, np.zeros(NUM_LANDMARKS)])
        frames.append(PoseFrame(image, np.ones(NUM_LANDMARKS), world, t, 640, 480))
    return frames


def amplitude_at(times: np.ndarray, values: np.ndarray, freq_hz: float) -> float:
    """Amplitude of the ``freq_hz`` sinusoid that best fits ``values`` (least squares, with offset)."""
    phase = 2 * np.pi * freq_hz * times
    design = np.column_stack([np.sin(phase), np.cos(phase), np.ones_like(times)])
    (a, b, _), *_ = np.linalg.lstsq(design, values, rcond=None)
    return float(np.hypot(a, b))


def run(frames: list[PoseFrame], filt: Filter) -> tuple[np.ndarray, list[PoseFrame]]:
    """The frames' timestamps and the filtered frames."""
    filt.reset()
    return np.array([f.timestamp_s for f in frames]), [filt(f) for f in frames]


def jitter_ratio(
    filt: Filter, fps: float = 30.0, seconds: float = 30.0, jitter_px: float = JITTER_PX
) -> float:
    """Residual std / raw std over all image coordinates of a steady jittered track."""
    frames = make_track(1.0, 0.0, seconds, fps, jitter_px)
    times, out = run(frames, filt)
    keep = times >= WARMUP_S
    raw = np.stack([f.image for f in frames])[keep]
    filtered = np.stack([f.image for f in out])[keep]
    truth = base_pose_m() * PX_PER_M + (320.0, 200.0)
    return float(np.std(filtered - truth) / np.std(raw - truth))


def bounce_kept(
    filt: Filter,
    freq_hz: float,
    amplitude_m: float,
    fps: float = 30.0,
    seconds: float = 10.0,
    jitter_px: float = JITTER_PX,
) -> tuple[float, float]:
    """Fraction of the bounce amplitude kept in the hip's image y and world y."""
    frames = make_track(freq_hz, amplitude_m, seconds, fps, jitter_px, seed=1)
    times, out = run(frames, filt)
    keep = times >= WARMUP_S
    image_y = np.array([f.image[L.LEFT_HIP, 1] for f in out])[keep]
    world_y = np.array([f.world[L.LEFT_HIP, 1] for f in out])[keep]
    kept_image = amplitude_at(times[keep], image_y, freq_hz) / (amplitude_m * PX_PER_M)
    kept_world = amplitude_at(times[keep], world_y, freq_hz) / amplitude_m
    return kept_image, kept_world


def move_lag_cm(filt: Filter, fps: float = 30.0) -> float:
    """Largest lag of the filtered hip behind the truth during a 30 cm move at 0.6 m/s, in cm."""
    frames = make_track(1.0, 0.0, 3.0, fps, jitter_px=0.0, shift_m=0.3)
    _, out = run(frames, filt)
    lag_px = [
        abs(f.image[L.LEFT_HIP, 0] - o.image[L.LEFT_HIP, 0])
        for f, o in zip(frames, out, strict=True)
    ]
    return max(lag_px) / PX_PER_M * 100


def ms_per_frame(filt: Filter, fps: float = 30.0) -> float:
    """Mean cost of one filter call, in milliseconds."""
    frames = make_track(3.0, 0.04, 20.0, fps)
    filt.reset()
    start = time.perf_counter()
    for frame in frames:
        filt(frame)
    return (time.perf_counter() - start) / len(frames) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-cutoff", type=float, default=Settings.filter_min_cutoff)
    parser.add_argument("--beta", type=float, default=Settings.filter_beta)
    parser.add_argument("--d-cutoff", type=float, default=DEFAULT_D_CUTOFF)
    parser.add_argument("--speed-floor", type=float, default=DEFAULT_SPEED_FLOOR)
    args = parser.parse_args()
    filt = LandmarkFilter(args.min_cutoff, args.beta, args.d_cutoff, args.speed_floor)
    print(
        f"min_cutoff={args.min_cutoff} beta={args.beta} d_cutoff={args.d_cutoff} "
        f"speed_floor={args.speed_floor}; 30 fps, {JITTER_PX} px jitter, torso 150 px = 0.5 m"
    )
    print(f"jitter: residual std / raw std = {jitter_ratio(filt):.2f}")
    print("bounce amplitude kept, hip image y (world y):")
    print("freq   " + "".join(f"{a * 100:>14.0f} cm" for a in AMPLITUDES_M))
    for freq in FREQUENCIES_HZ:
        cells = []
        for amplitude in AMPLITUDES_M:
            kept_image, kept_world = bounce_kept(filt, freq, amplitude)
            cells.append(f"{kept_image:>8.0%} ({kept_world:.0%})")
        print(f"{freq:.0f} Hz  " + "".join(f"{c:>17}" for c in cells))
    print(f"lag during a 0.6 m/s move: {move_lag_cm(filt):.1f} cm at most")
    print("robustness (jitter ratio; 3 Hz bounce kept at 2 / 4 / 6 cm, image y):")
    for fps, jitter in ((15.0, JITTER_PX), (60.0, JITTER_PX), (30.0, 1.0), (30.0, 2.0)):
        kept = [bounce_kept(filt, 3.0, a, fps, jitter_px=jitter)[0] for a in AMPLITUDES_M]
        print(
            f"  {fps:.0f} fps, {jitter} px: {jitter_ratio(filt, fps, jitter_px=jitter):.2f}; "
            + " / ".join(f"{k:.0%}" for k in kept)
        )
    print(f"filter cost: {ms_per_frame(filt):.3f} ms/frame (including the output PoseFrame)")
    # The original One-Euro, at the settings that best kept a 3 Hz, 2 cm bounce (a grid search over
    # min_cutoff 0.5-3, beta 5-80, d_cutoff 0.5-4): for comparison.
    classic = ClassicOneEuro(1.0, 10.0, 4.0)
    kept = [bounce_kept(classic, 3.0, a)[0] for a in AMPLITUDES_M]
    print(
        f"original One-Euro (1.0, 10, 4.0) for comparison: jitter ratio "
        f"{jitter_ratio(classic):.2f}; 3 Hz bounce kept " + " / ".join(f"{k:.0%}" for k in kept)
    )


if __name__ == "__main__":
    main()
