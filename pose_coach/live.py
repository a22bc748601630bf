"""Live coaching: the per-frame processor behind the webcam stream.

``LiveCoach`` owns pose estimators (video mode), a ``coach.Coach`` (the same measuring and judging
as a review) and the overlay. The webcam
stream (streamlit-webrtc) calls ``recv_queued`` from its own worker thread with every frame that
arrived since the previous call; only the newest ones, one per estimator, are processed and the rest
are dropped, so a slow moment costs frames, never latency.

MediaPipe's inference runs on one core and releases the GIL, and one inference of the pose model
(heavy, as for a review, unless the settings choose another) takes longer than a 30 fps frame
interval. So two estimators take turns, each tracking the person on every other frame, and two
frames queued together are detected side by side on both cores. The session still sees every
coached frame in time order. A person too small for the whole frame (a camera far off) is searched
for in windows of it, one window a frame, and followed in a window; the tracking is checked once a
second against a frame read afresh (``live_estimator``, ``pose.ZoomSearch``, ``pose.TrackCheck``).

Results leave through a bounded, thread-safe queue (``drain``): the UI thread reads them, because
UI calls do not work from the stream's thread.

Time comes from the frames' presentation timestamps, rebased to the first frame, so the session sees
the camera's clock, as it would a recorded video's.

The session is never lost: every ``CHECKPOINT_S`` of stream time and whenever a side is completed,
a summary of the session so far goes to ``on_checkpoint`` (``LiveJournal`` writes it to the
history from its own thread). An error in the stream's thread (a bad model, a failing frame) ends
the coaching: ``error`` says what went wrong, for the page to show, and frames pass through.

When the machine cannot keep up (more than ``MAX_DROP`` of the last ``DROP_WINDOW`` frames received
dropped) the coach steps down for the rest of the session: while the person holds the stretch,
every frame goes back at once with the last coaching drawn on it, and the model coaches frames in
the background when it is free, one in ``stride`` at most (two, then three if frames are still
dropped), or as many as it can while it coaches fewer than ``MIN_SKIP_FPS``; ``stepped_down`` says
so. The stream then never waits for the model. (A smaller image would not help: the model crops
the person to its own 256x256 input, and inference took the same time at 640x480, 480x360 and
320x240, see benchmarks/live_profile.py. A lite model, if the user has one, is the settings' model
path.)

Nothing here imports streamlit: the stream hands us ``av.VideoFrame`` objects and takes them back.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import av
import cv2
import numpy as np

from pose_coach.coach import Coach, Detector
from pose_coach.config import Settings
from pose_coach.input.landmarks import PoseFrame
from pose_coach.input.pose import ModelError, PoseEstimator
from pose_coach.judge.cues import Phase
from pose_coach.judge.reference import Reference
from pose_coach.judge.session import FrameResult, SessionSummary
from pose_coach.output.annotate import draw
from pose_coach.rom import RomSampler

# About two seconds of results at 30 fps; when the UI falls behind the oldest are discarded.
RESULT_QUEUE_SIZE = 64
# Pose estimators taking turns: one per core of a two-core machine. Measured by
# benchmarks/live_throughput.py: see the README.
ESTIMATORS = 2
# A summary of the session so far at least this often (stream seconds), and at every side done.
CHECKPOINT_S = 3.0
# Step down when more than MAX_DROP of the last DROP_WINDOW frames received were dropped, and
# again (judged on a fresh window) while they still are, down to one frame in MAX_STRIDE.
MAX_DROP = 0.10
DROP_WINDOW = 90  # three seconds at 30 fps
MAX_STRIDE = 3  # 10 frames a second through the model at 30 fps: above MIN_SKIP_FPS
WARM_UP_FRAMES = 30  # drops before this many frames are coached do not count (the model loads)
# Stepped down, the model waits for its turn (one frame in the stride) only while the last
# RATE_FRAMES were coached at this rate or more: below it, it takes every frame it can, as the
# checks over time need them (the bounce check takes running medians of three samples in a 1.5 s
# window). Seen: on 2 cores at load average 10-15,
# Chromium's faulty-form test (tests/browser/test_app_browser.py) coached a few frames a second;
# skipping every other one, no fault was cued in 120 s in 2 runs of 3 (1 run without: cued).
MIN_SKIP_FPS = 8.0
# A stepped-down coach skips frames while the person holds still: in a hold, and holding on once
# its time is reached. (In Chromium, 40 s from the start of a hold, the last 10 past its 30 s, the
# heavy model stepped down dropped 14% of the frames when it coached every frame it could once the
# hold was complete, 6% when it skipped them: benchmarks/browser_live.py, README.)
STILL_PHASES = (Phase.HOLDING, Phase.HOLD_COMPLETE)
RATE_FRAMES = 30
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveStats:
    """How the processor keeps up: frames received; coached, i.e. run through the model and judged
    (``processed``); shown with the last coaching after stepping down (``skipped``); dropped (neither);
    the time per coached frame. Rates are per second of stream time, over ``seconds``, the span of
    the frames received."""

    received: int
    processed: int
    dropped: int
    mean_process_ms: float
    seconds: float = 0.0
    skipped: int = 0
    recent_drop_fraction: float = 0.0  # of the last DROP_WINDOW frames received
    stride: int = 1  # stepped down: in a hold, the model runs on one frame in this many at most

    @property
    def drop_fraction(self) -> float:
        return self.dropped / self.received if self.received else 0.0

    @property
    def received_fps(self) -> float:
        return self._rate(self.received)

    @property
    def coached_fps(self) -> float:
        return self._rate(self.processed)

    @property
    def reused_fps(self) -> float:
        return self._rate(self.skipped)

    def _rate(self, count: int) -> float:
        return count / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class LiveOutcome:
    """A finished live session: when it started (wall clock), how long it ran, and its summary
    (its holds with the range of motion reached, ``pose_coach.rom``)."""

    started_at: datetime
    duration_s: float
    summary: SessionSummary


class LiveCoach:
    """Coach one stretch from a live stream of frames. Thread-safe: one stream thread calls
    ``recv_queued`` / ``process``, the UI thread calls ``drain``, ``stats`` and ``finish``.

    ``estimators``: ``detect(rgb, timestamp_s)`` callables that take turns, frame by frame; by
    default ``ESTIMATORS`` ``PoseEstimator``s in video mode, created on the first frame (so merely
    showing the page loads no model) and closed by ``close``. ``background``: where a stepped-down
    coach coaches frames while the stream goes on (default: a thread of its own).
    """

    def __init__(
        self,
        reference: Reference,
        settings: Settings | None = None,
        sides: tuple[str, ...] = ("left", "right"),
        *,
        estimators: Sequence[Detector] = (),
        queue_size: int = RESULT_QUEUE_SIZE,
        on_checkpoint: Callable[[LiveOutcome], None] | None = None,
        background: Executor | None = None,
    ) -> None:
        self.reference = reference
        self.settings = settings or Settings()
        self.coach = Coach(reference, self.settings, sides)
        self.rom = RomSampler(reference)
        self.sides = self.coach.sides
        self.results: queue.Queue[FrameResult] = queue.Queue(maxsize=queue_size)
        self._detectors = list(estimators)
        self._owned: list[PoseEstimator] = []
        self._pool: ThreadPoolExecutor | None = None
        self._turn = 0  # which detector takes the next frame
        self._lock = threading.Lock()  # guards the session and the estimators
        self._t0: float | None = None
        self._last_t: float | None = None
        self._started_at: datetime | None = None
        self._finished = False
        self._stride = 1  # stepped down: the model runs on one frame in this many of a hold
        self._skip_run = 0  # frames skipped since the model last ran
        # Stepped down, the model coaches in the background while frames go back at once.
        self._background_pool = background or ThreadPoolExecutor(1, "pose-coach-live-background")
        self._background: Future[list[np.ndarray]] | None = None
        self._held: list[tuple[np.ndarray, float]] = []  # shown, not coached yet
        self._received = self._processed = self._dropped = self._skipped = 0
        self._received_t: tuple[float, float] | None = None  # first and newest frame received
        self._busy_s = 0.0
        self._on_checkpoint = on_checkpoint
        self._checkpoint_t = 0.0
        self._sides_done = 0
        self._complete = False  # the last coached frame's hold had reached its target
        self._recent: deque[int] = deque(maxlen=DROP_WINDOW)  # 1 per frame dropped, 0 coached
        self._last: FrameResult | None = None
        self._coached_t: deque[float] = deque(maxlen=RATE_FRAMES)  # stream times of the last ones
        self.error: str | None = None

    # -- the stream's side -------------------------------------------------------------------

    async def recv_queued(self, frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        """streamlit-webrtc's queued-frames callback: coach the newest frames, one per estimator,
        drop the older ones, and send back the newest.

        Only one frame goes back: the stream sends one frame per camera frame, so frames returned
        together would queue up there and add a frame interval of latency each.
        """
        self._note_received(frames)
        if self._stepped_down_now():
            return [self._show_last(frames)]
        self._wait_background()  # the session sees its frames in time order
        newest = frames[-self._capacity() :]
        self._count_dropped(len(frames) - len(newest))
        coached = self.process_many(
            [(frame.to_ndarray(format="rgb24"), self._timestamp(frame)) for frame in newest]
        )
        return [_video_frame(coached[-1])]

    def _note_received(self, frames: list[av.VideoFrame]) -> None:
        self._received += len(frames)
        newest = self._timestamp(frames[-1])
        first = self._received_t[0] if self._received_t else self._timestamp(frames[0])
        self._received_t = (first, newest)

    def _count_dropped(self, dropped: int) -> None:
        self._dropped += dropped
        if self._processed < WARM_UP_FRAMES:  # frames queued while the model loaded
            return
        self._recent.extend([1] * dropped)
        recent = self._recent
        full = len(recent) == recent.maxlen
        if full and sum(recent) > MAX_DROP * len(recent) and self._stride < MAX_STRIDE:
            LOG.warning("live coaching cannot keep up: %d of the last %d frames dropped; "
                        "in steady holds the model now runs on one frame in %d",
                        sum(recent), len(recent), self._stride + 1)  # fmt: skip
            self._stride += 1
            recent.clear()  # the next step is judged on frames received at this one

    def _note_shown(self, count: int) -> None:
        """``count`` frames were coached or shown with the last coaching (none dropped)."""
        if self._processed >= WARM_UP_FRAMES:
            self._recent.extend([0] * count)

    @property
    def stepped_down(self) -> bool:
        """True once the coach could not keep up and skips frames of steady holds."""
        return self._stride > 1

    def _stepped_down_now(self) -> bool:
        """Stepped down, the person holding still in the stretch (in a hold, or still holding
        once it is complete), where a frame says little the next does not."""
        if self._stride == 1 or self._finished or self.error is not None:
            return False
        return self._last is not None and self._last.phase in STILL_PHASES

    def _show_last(self, frames: list[av.VideoFrame]) -> av.VideoFrame:
        """Stepped down: the newest frame goes back at once with the last coaching drawn on it
        (older ones are dropped), and the stream never waits for the model. When no coaching is
        under way and ``_stride`` frames have passed since the last, the model coaches this frame
        in the background; when it coaches fewer than MIN_SKIP_FPS, every frame it can, with the
        one held back before it side by side."""
        self._count_dropped(len(frames) - 1)
        rgb, t = frames[-1].to_ndarray(format="rgb24"), self._timestamp(frames[-1])
        busy = self._background is not None and not self._background.done()
        # Below MIN_SKIP_FPS coached, the checks over time need every frame the model can take.
        few = self._recent_fps() < MIN_SKIP_FPS
        if (few or self._skip_run >= self._stride - 1) and not busy:
            side_by_side = self._held if few and self._capacity() > 1 else []
            if not side_by_side:
                self._let_go(self._held)  # never to be coached
            batch = [*side_by_side, (rgb.copy(), t)]
            self._held, self._skip_run = [], 0
            self._background = self._background_pool.submit(self.process_many, batch)
        else:
            self._skip_run += 1
            self._let_go(self._held)  # superseded: they will never be coached
            if few:  # kept to be coached side by side with the next (a copy: the overlay is
                # drawn on ``rgb``)
                self._held = [(rgb.copy(), t)]
            else:
                self._held = []
                self._let_go([(rgb, t)])
        return _video_frame(self._overlay_last(rgb))

    def _let_go(self, held: list[tuple[np.ndarray, float]]) -> None:
        """Frames shown with the last coaching and never coached."""
        self._skipped += len(held)
        self._note_shown(len(held))

    def _wait_background(self) -> None:
        """Wait for the coaching under way in the background, if any (errors are its own)."""
        self._let_go(self._held)
        self._held = []
        if self._background is not None:
            self._background.result()
            self._background = None

    def _recent_fps(self) -> float:
        """Frames coached a second of stream time, over the last ``RATE_FRAMES`` coached."""
        times = self._coached_t
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return (len(times) - 1) / span if span > 0 else 0.0

    def _overlay_last(self, rgb: np.ndarray) -> np.ndarray:
        if self._last is not None and not self._finished:
            draw(rgb, self._last, self.reference)
        return rgb

    def recv(self, frame: av.VideoFrame) -> av.VideoFrame:
        """Process one frame and return it with the coaching drawn on it (same size, yuv420p)."""
        return _video_frame(self.process(frame.to_ndarray(format="rgb24"), self._timestamp(frame)))

    def _timestamp(self, frame: av.VideoFrame) -> float:
        """The frame's presentation time in seconds; the wall clock only if the stream gives none."""
        return frame.time if frame.time is not None else time.monotonic()

    def _capacity(self) -> int:
        return len(self._detectors) or ESTIMATORS

    def process(self, rgb: np.ndarray, timestamp_s: float) -> np.ndarray:
        """Coach one RGB frame taken at ``timestamp_s`` (any clock); returns it annotated."""
        return self.process_many([(rgb, timestamp_s)])[0]

    def process_many(self, frames: list[tuple[np.ndarray, float]]) -> list[np.ndarray]:
        """Coach RGB frames given with their times, oldest first; returns them annotated.

        A frame not later than the previous one (a repeated or reordered timestamp) is passed
        through undrawn, as is every frame after ``finish`` or an error.
        """
        with self._lock:
            if self._finished or self.error is not None or not frames:
                return [rgb for rgb, _ in frames]
            try:
                results, todo, busy_s = self._coach(frames)
            except Exception as error:  # the page shows it; the session so far is kept
                self._fail(error)
                return [rgb for rgb, _ in frames]
            checkpoint = self._checkpoint_due(results)
        for (rgb, _), result in zip(todo, results, strict=True):
            draw(rgb, result, self.reference)
            self._publish(result)
        self._note_shown(len(todo))
        self._processed += len(todo)
        self._busy_s += busy_s
        if checkpoint is not None and self._on_checkpoint is not None:
            self._on_checkpoint(checkpoint)
        return [rgb for rgb, _ in frames]

    def _coach(
        self, frames: list[tuple[np.ndarray, float]]
    ) -> tuple[list[FrameResult], list[tuple[np.ndarray, float]], float]:
        detectors = self._ensure_detectors()  # loading models is not counted as processing
        started = time.perf_counter()
        if self._t0 is None:
            self._t0 = frames[0][1]
            self._started_at = datetime.now(timezone.utc)
        todo = []
        for rgb, timestamp_s in frames:
            t = timestamp_s - self._t0
            if self._last_t is not None and t <= self._last_t:
                self._dropped += 1
                continue
            self._last_t = t
            self._coached_t.append(t)
            todo.append((rgb, t))
        poses = self._detect(detectors, todo)
        results = [self.coach.step(pose, t) for pose, (_, t) in zip(poses, todo, strict=True)]
        for result in results:
            self.rom.add(result)
        if results:
            self._last = results[-1]
        return results, todo, time.perf_counter() - started

    def _fail(self, error: Exception) -> None:
        """Stop coaching after an error in the stream's thread, keeping what was coached."""
        if isinstance(error, ModelError):
            self.error = str(error)
        else:
            LOG.exception("live coaching failed on a frame")
            self.error = f"the coach failed on a frame ({type(error).__name__}: {error})"
        self._close_estimators()

    def _checkpoint_due(self, results: list[FrameResult]) -> LiveOutcome | None:
        """The session so far, when ``CHECKPOINT_S`` have passed or a side was just completed."""
        if not results or self._started_at is None or self._last_t is None:
            return None
        # A side is completed when its hold timer reaches the target (and again when it ends).
        done = len(self.coach.session.holds.done)
        completed = results[-1].phase is Phase.HOLD_COMPLETE
        newly = (completed and not self._complete) or done != self._sides_done
        self._complete, self._sides_done = completed, done
        if self._last_t - self._checkpoint_t < CHECKPOINT_S and not newly:
            return None
        self._checkpoint_t = self._last_t
        return self.snapshot()

    def snapshot(self) -> LiveOutcome | None:
        """The session so far, as if it ended now (a hold in progress ends here), leaving it
        running; None before the first coached frame."""
        if self._started_at is None or self._last_t is None:
            return None
        return self._outcome(copy.deepcopy(self.coach).finish(self._last_t, expect_holds=False))

    def _outcome(self, summary: SessionSummary) -> LiveOutcome:
        """The outcome so far of ``summary``, its holds with the range of motion reached."""
        holds = self.rom.holds(summary.holds)
        return LiveOutcome(self._started_at, self._last_t, replace(summary, holds=holds))

    def _detect(
        self, detectors: list[Detector], frames: list[tuple[np.ndarray, float]]
    ) -> list[PoseFrame | None]:
        """Poses of the frames; the detectors take turns, and run side by side on frames that
        arrive together (each detector still sees its own frames in time order)."""
        turns = [(self._turn + n) % len(detectors) for n in range(len(frames))]
        self._turn = (self._turn + len(frames)) % len(detectors)
        jobs = [
            functools.partial(detectors[turn], rgb, t)
            for turn, (rgb, t) in zip(turns, frames, strict=True)
        ]
        if self._pool is None or len(jobs) == 1:
            return [job() for job in jobs]
        poses: list[PoseFrame | None] = []
        for start in range(0, len(jobs), len(detectors)):
            futures = [self._pool.submit(job) for job in jobs[start : start + len(detectors)]]
            poses.extend(future.result() for future in futures)
        return poses

    def _ensure_detectors(self) -> list[Detector]:
        if not self._detectors:
            for _ in range(ESTIMATORS):
                self._owned.append(live_estimator(self.settings.model_path))
            self._detectors = [estimator.detect for estimator in self._owned]
        if len(self._detectors) > 1 and self._pool is None:
            self._pool = ThreadPoolExecutor(len(self._detectors), "pose-coach-live")
        return self._detectors

    def _publish(self, result: FrameResult) -> None:
        """Queue a result; when the queue is full the oldest result makes room."""
        while True:
            try:
                self.results.put_nowait(result)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):  # the UI took one meanwhile
                    self.results.get_nowait()

    # -- the UI's side -----------------------------------------------------------------------

    def drain(self) -> list[FrameResult]:
        """Every result queued since the last call, oldest first."""
        drained = []
        while True:
            try:
                drained.append(self.results.get_nowait())
            except queue.Empty:
                return drained

    def stats(self) -> LiveStats:
        processed = self._processed
        mean_ms = 1000 * self._busy_s / processed if processed else 0.0
        first, newest = self._received_t or (0.0, 0.0)
        recent = self._recent
        return LiveStats(max(self._received, processed), processed, self._dropped, mean_ms,
                         newest - first, self._skipped, sum(recent) / len(recent) if recent else 0.0,
                         self._stride)  # fmt: skip

    @property
    def started(self) -> bool:
        """True once a frame has been coached."""
        return self._t0 is not None

    @property
    def finished(self) -> bool:
        return self._finished

    def finish(self) -> LiveOutcome | None:
        """End the session (later frames pass through uncoached) and close the estimator.

        Returns the outcome, or None if no frame was ever coached or it was already finished.
        """
        with self._lock:
            if self._finished:
                return None
            self._finished = True
            self._close_estimators()
            if self._started_at is None or self._last_t is None:
                return None
            return self._outcome(self.coach.finish(self._last_t))

    def close(self) -> None:
        """Release the pose model (also done by ``finish``); safe to call more than once."""
        with self._lock:
            self._close_estimators()

    def _close_estimators(self) -> None:
        self._background_pool.shutdown(wait=False)  # it may be the caller: never join it
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._owned:
            for estimator in self._owned:
                estimator.close()
            self._owned = []
            self._detectors = []


def live_estimator(model_path: Path | None = None) -> PoseEstimator:
    """A pose estimator as live coaching runs it: video mode, a person too small for the whole
    frame searched for one window a frame (``pose.ZoomSearch``), and the tracking checked
    (``pose.TrackCheck``: heavy, taking turns, loses a person turning round without it)."""
    return PoseEstimator(model_path, zoom_search=True, spread_search=True, track_check=True)


def _video_frame(rgb: np.ndarray) -> av.VideoFrame:
    """An RGB image as a frame for the stream's VP8 encoder: yuv420p converted by OpenCV when the
    size allows (several times faster than the conversion the encoder would otherwise make)."""
    if rgb.shape[0] % 2 or rgb.shape[1] % 2:
        return av.VideoFrame.from_ndarray(rgb, format="rgb24")
    return av.VideoFrame.from_ndarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), format="yuv420p")
