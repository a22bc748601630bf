"""Live coaching: the per-frame processor behind the webcam stream.

``LiveCoach`` owns a pose estimator (video mode), a ``CoachingSession`` and the overlay. The webcam
stream (streamlit-webrtc) calls ``recv_queued`` from its own worker thread with every frame that
arrived since the previous call; only the newest is processed and the rest are dropped, so a slow
moment costs frames, never latency. Results leave through a bounded, thread-safe queue (``drain``):
the UI thread reads them, because UI calls do not work from the stream's thread.

Time comes from the frames' presentation timestamps, rebased to the first frame, so the session sees
the camera's clock, as it would a recorded video's.

Nothing here imports streamlit: the stream hands us ``av.VideoFrame`` objects and takes them back.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import av
import cv2
import numpy as np

from pose_coach.annotate import draw
from pose_coach.config import Settings
from pose_coach.landmarks import PoseFrame
from pose_coach.pose import PoseEstimator
from pose_coach.reference import Reference
from pose_coach.session import CoachingSession, FrameResult, SessionSummary

# About two seconds of results at 30 fps; when the UI falls behind the oldest are discarded.
RESULT_QUEUE_SIZE = 64

Detector = Callable[[np.ndarray, float], PoseFrame | None]


@dataclass(frozen=True)
class LiveStats:
    """How the processor keeps up: frames received, processed and dropped, and the time per frame."""

    received: int
    processed: int
    dropped: int
    mean_process_ms: float

    @property
    def drop_fraction(self) -> float:
        return self.dropped / self.received if self.received else 0.0


@dataclass(frozen=True)
class LiveOutcome:
    """A finished live session: when it started (wall clock), how long it ran, and its summary."""

    started_at: datetime
    duration_s: float
    summary: SessionSummary


class LiveCoach:
    """Coach one stretch from a live stream of frames. Thread-safe: one stream thread calls
    ``recv_queued`` / ``process``, the UI thread calls ``drain``, ``stats`` and ``finish``.

    ``estimator``: a ``detect(rgb, timestamp_s)`` callable; default a ``PoseEstimator`` in video mode,
    created on the first frame (so merely showing the page loads no model) and closed by ``close``.
    """

    def __init__(
        self,
        reference: Reference,
        settings: Settings | None = None,
        sides: tuple[str, ...] = ("left", "right"),
        *,
        estimator: Detector | None = None,
        queue_size: int = RESULT_QUEUE_SIZE,
    ) -> None:
        self.reference = reference
        self.settings = settings or Settings()
        self.session = CoachingSession(reference, self.settings, sides)
        self.sides = self.session.sides
        self.results: queue.Queue[FrameResult] = queue.Queue(maxsize=queue_size)
        self._detect = estimator
        self._owned: PoseEstimator | None = None
        self._lock = threading.Lock()  # guards the session and the estimator
        self._t0: float | None = None
        self._last_t: float | None = None
        self._started_at: datetime | None = None
        self._finished = False
        self._received = self._processed = self._dropped = 0
        self._busy_s = 0.0

    # -- the stream's side -------------------------------------------------------------------

    async def recv_queued(self, frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        """streamlit-webrtc's queued-frames callback: process the newest frame, drop the others."""
        self._received += len(frames)
        self._dropped += len(frames) - 1
        return [self.recv(frames[-1])]

    def recv(self, frame: av.VideoFrame) -> av.VideoFrame:
        """Process one frame and return it with the coaching drawn on it (same size, yuv420p)."""
        return _video_frame(self.process(frame.to_ndarray(format="rgb24"), self._timestamp(frame)))

    def _timestamp(self, frame: av.VideoFrame) -> float:
        """The frame's presentation time in seconds; the wall clock only if the stream gives none."""
        return frame.time if frame.time is not None else time.monotonic()

    def process(self, rgb: np.ndarray, timestamp_s: float) -> np.ndarray:
        """Coach one RGB frame taken at ``timestamp_s`` (any clock); returns it annotated.

        A frame not later than the previous one (a repeated or reordered timestamp) is passed
        through undrawn, as is every frame after ``finish``.
        """
        with self._lock:
            if self._finished:
                return rgb
            detect = self._detector()  # loading the model is not counted as processing time
            started = time.perf_counter()
            if self._t0 is None:
                self._t0 = timestamp_s
                self._started_at = datetime.now(timezone.utc)
            t = timestamp_s - self._t0
            if self._last_t is not None and t <= self._last_t:
                self._dropped += 1
                return rgb
            self._last_t = t
            result = self.session.update(detect(rgb, t), t)
        draw(rgb, result, self.reference)
        self._publish(result)
        self._processed += 1
        self._busy_s += time.perf_counter() - started
        return rgb

    def _detector(self) -> Detector:
        if self._detect is None:
            self._owned = PoseEstimator(self.settings.model_path, video_mode=True)
            self._detect = self._owned.detect
        return self._detect

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
        return LiveStats(max(self._received, processed), processed, self._dropped, mean_ms)

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
            self._close_estimator()
            if self._started_at is None or self._last_t is None:
                return None
            summary = self.session.finish(self._last_t)
            return LiveOutcome(self._started_at, self._last_t, summary)

    def close(self) -> None:
        """Release the pose model (also done by ``finish``); safe to call more than once."""
        with self._lock:
            self._close_estimator()

    def _close_estimator(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None
            self._detect = None


def _video_frame(rgb: np.ndarray) -> av.VideoFrame:
    """An RGB image as a frame for the stream's VP8 encoder: yuv420p converted by OpenCV when the
    size allows (several times faster than the conversion the encoder would otherwise make)."""
    if rgb.shape[0] % 2 or rgb.shape[1] % 2:
        return av.VideoFrame.from_ndarray(rgb, format="rgb24")
    return av.VideoFrame.from_ndarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), format="yuv420p")
