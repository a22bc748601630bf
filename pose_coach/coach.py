"""The review core: one video's coaching as a plain function of (frames, detector, reference,
settings), with a frozen, typed, picklable result.

``coach_video`` serves the command line, the app's review and tuning pages, the evaluation and any
batch worker; ``Coach`` is the same measuring and judging, frame by frame, for live coaching.
Nothing here reads files, writes files or draws: the caller passes the frames and the detector in,
and may watch each coached frame through ``on_frame`` (the annotated-video writer does).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from pose_coach.config import Settings
from pose_coach.events import Event, Hold
from pose_coach.input.landmarks import PoseFrame
from pose_coach.judge.reference import Reference
from pose_coach.judge.session import CoachingSession, FrameResult, SessionSummary
from pose_coach.judge.still import StillVerdict, judge_still
from pose_coach.measure.measurement import Measurement, Measurer
from pose_coach.terms import SIDES

# Finds the person in an RGB frame taken at a time in seconds: PoseEstimator.detect, or a fake.
Detector = Callable[[np.ndarray, float], PoseFrame | None]
Progress = Callable[[int, int], None]  # (frames done, frames expected)
FrameObserver = Callable[[np.ndarray, FrameResult], None]


class Pace:
    """Which frames of a video the pose model analyses: about ``max_fps`` a second of video time
    (0: every frame). A frame is due when at least 0.85 of ``1 / max_fps`` has passed since the
    last due one (or time went back), so at 15 a 24-30 fps video is analysed on every other frame
    and a 60 fps one on every fourth, whatever the jitter in its timestamps."""

    def __init__(self, max_fps: float) -> None:
        self.gap_s = 0.85 / max_fps if max_fps > 0 else 0.0
        self._last_s: float | None = None

    def due(self, timestamp_s: float) -> bool:
        if self._last_s is not None and 0 <= timestamp_s - self._last_s < self.gap_s:
            return False
        self._last_s = timestamp_s
        return True


@dataclass(frozen=True)
class VideoFacts:
    """What was coached: the source's name and its frames' size and rate."""

    name: str
    width: int
    height: int
    fps: float  # nominal; 0.0 for a still or when unknown
    duration_s: float
    expected_frames: int = 0  # as the container says; 0 when unknown
    is_image: bool = False


class Coach:
    """Measures and judges one stream, frame by frame (a video's frames, or a webcam's)."""

    def __init__(
        self, reference: Reference, settings: Settings | None = None, sides: tuple[str, ...] = SIDES
    ) -> None:
        self.settings = settings or Settings()
        self.measurer = Measurer(self.settings)
        self.session = CoachingSession(reference, self.settings, sides)

    @property
    def sides(self) -> tuple[str, ...]:
        return self.session.sides

    def step(self, pose: PoseFrame | None, timestamp_s: float) -> FrameResult:
        return self.session.update(self.measurer.measure(pose, timestamp_s))

    def finish(self, timestamp_s: float | None = None, expect_holds: bool = True) -> SessionSummary:
        return self.session.finish(timestamp_s, expect_holds)


@dataclass(frozen=True, eq=False)
class CoachingRun:
    """One coached video: every frame's result, the holds, the events and the video facts, with
    the reference and settings it was judged by."""

    video: VideoFacts
    reference: Reference
    settings: Settings
    sides: tuple[str, ...]
    frames: tuple[FrameResult, ...]
    summary: SessionSummary
    still: StillVerdict | None = None  # a still photo's verdict (``judge.still``); None for a video

    @property
    def holds(self) -> tuple[Hold, ...]:
        return self.summary.holds

    @property
    def events(self) -> tuple[Event, ...]:
        return self.summary.events

    @property
    def sides_done(self) -> tuple[str, ...]:
        return self.summary.sides_done

    @property
    def frames_with_pose(self) -> int:
        return sum(frame.measurement.person for frame in self.frames)

    def good_form_s(self) -> dict[str, float]:
        """Seconds of good form per side held."""
        good: Counter[str] = Counter()
        for hold in self.holds:
            good[hold.side] += hold.good_form_s
        return dict(good)

    def fault_counts(self) -> dict[str, int]:
        return dict(Counter(event.kind.value for event in self.events))


def coach_video(
    frames: Iterable[tuple[np.ndarray, float]],
    *,
    detector: Detector,
    reference: Reference,
    settings: Settings | None = None,
    sides: tuple[str, ...] = SIDES,
    video: VideoFacts | None = None,
    on_frame: FrameObserver | None = None,
    progress: Progress | None = None,
) -> CoachingRun:
    """Coach every ``(rgb, timestamp_s)`` frame, in time order, against ``reference``.

    The detector sees about ``settings.analysis_fps`` frames a second (``Pace``); the poses of the
    frames between two it saw are on the straight line between those two (``PoseFrame.toward``),
    so the judge still measures every frame, as smoothly as the person moves.
    ``video``: the facts of the source (from its container); without them they are taken from the
    frames. A single frame is judged as a still: no hold is expected of it.
    """
    settings = settings or Settings()
    coach = Coach(reference, settings, sides)
    pace = Pace(settings.analysis_fps)
    results: list[FrameResult] = []
    size = (0, 0)
    expected = video.expected_frames if video else 0

    def step(rgb: np.ndarray, t: float, pose: PoseFrame | None) -> None:
        result = coach.step(pose, t)
        results.append(result)
        if on_frame is not None:
            on_frame(rgb, result)
        if progress is not None:
            progress(len(results), expected)

    seen: PoseFrame | None = None  # the pose in the last frame the detector saw
    between: list[tuple[np.ndarray, float]] = []  # frames since then, waiting for the next one
    for rgb, t in frames:
        size = (rgb.shape[1], rgb.shape[0])
        if not pace.due(t):
            between.append((rgb, t))
            continue
        pose = detector(rgb, t)
        for waiting, t_waiting in between:
            step(waiting, t_waiting, seen and seen.toward(pose, t_waiting))
        between.clear()
        step(rgb, t, pose)
        seen = pose
    for waiting, t_waiting in between:  # after the last frame seen: its pose, held
        step(waiting, t_waiting, seen and seen.toward(None, t_waiting))
    if video is None:
        video = _facts_from(results, size)
    is_image = video.is_image or len(results) == 1
    last_t = results[-1].timestamp_s if results else 0.0
    summary = coach.finish(last_t, expect_holds=not is_image)
    still = _still(results, reference, settings, coach.sides) if is_image else None
    return CoachingRun(video, reference, settings, coach.sides, tuple(results), summary, still)


def rejudge(run: CoachingRun, reference: Reference) -> CoachingRun:
    """The same measurements judged against another reference (a tuned one): no model runs."""
    still = run.video.is_image or len(run.frames) == 1
    results, summary = judge_measurements(
        (frame.measurement for frame in run.frames), reference, run.settings, run.sides, not still
    )
    verdict = _still(results, reference, run.settings, run.sides) if still else None
    return replace(run, reference=reference, frames=tuple(results), summary=summary, still=verdict)


def _still(
    results: list[FrameResult], reference: Reference, settings: Settings, sides: tuple[str, ...]
) -> StillVerdict | None:
    return judge_still(results[0].measurement, reference, settings, sides) if results else None


def judge_measurements(
    measurements: Iterable[Measurement],
    reference: Reference,
    settings: Settings | None = None,
    sides: tuple[str, ...] = SIDES,
    expect_holds: bool = True,
) -> tuple[list[FrameResult], SessionSummary]:
    """Judge measured frames (angle sequences in tests, stored measurements in experiments)."""
    session = CoachingSession(reference, settings, sides)
    results = [session.update(m) for m in measurements]
    last_t = results[-1].timestamp_s if results else 0.0
    return results, session.finish(last_t, expect_holds)


def _facts_from(results: list[FrameResult], size: tuple[int, int]) -> VideoFacts:
    times = [r.timestamp_s for r in results]
    duration = times[-1] - times[0] if len(times) > 1 else 0.0
    fps = (len(times) - 1) / duration if duration > 0 else 0.0
    return VideoFacts("", max(size[0], 1), max(size[1], 1), fps, duration, len(results),
                      is_image=len(results) == 1)  # fmt: skip
