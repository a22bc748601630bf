"""The pose adapter: the only module in the package that imports mediapipe.

It runs MediaPipe's PoseLandmarker (BlazePose) on RGB frames and returns our own `PoseFrame`,
so everything downstream is independent of the pose library. The models ship with the package
(`pose_coach/models/`: BlazePose heavy, the default for recorded video, and full, live coaching's)
and nothing is ever downloaded.

Model bytes are read once per process and shared; a `PoseEstimator` is per video stream, because in
video mode MediaPipe tracks the person from frame to frame.
"""

from __future__ import annotations

import atexit
import concurrent.futures.thread  # noqa: F401 - registers its exit hook before ours
import contextlib
import functools
import io
import math
import signal
import threading
import weakref
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from pose_coach.geometry import HIPS, SHOULDERS, midpoint
from pose_coach.input.landmarks import NUM_LANDMARKS, PoseFrame
from pose_coach.input.model_files import model_visibility, resolve_model_path
from pose_coach.measure.view import classify_view

# A MediaPipe pose landmarker bundle is a zip holding these two models.
_BUNDLE_MEMBERS = frozenset({"pose_detector.tflite", "pose_landmarks_detector.tflite"})


class ModelError(ValueError):
    """The pose model file is missing or is not a MediaPipe pose landmarker `.task`."""


def load_model_bytes(path: Path) -> bytes:
    """The model's bytes, read from disk once per process (again only if the file changes)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ModelError(
            f"pose model not found: {path}; give the path of a pose landmarker .task file "
            "(e.g. pose_landmarker_full.task), or leave it unset to use the model shipped "
            "with pose-coach"
        ) from None
    except OSError as error:
        raise ModelError(f"cannot read pose model {path}: {error}") from error
    return _read_model(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_model(path: Path, mtime_ns: int, size: int) -> bytes:
    """Read and sanity-check a model; mtime and size are in the cache key so a new file reloads."""
    del mtime_ns, size  # Only part of the cache key.
    if not path.is_file():
        raise ModelError(f"pose model {path} is not a file; give the path of a .task file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelError(f"cannot read pose model {path}: {error}") from error
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        names = set()
    if not names >= _BUNDLE_MEMBERS:
        raise ModelError(
            f"{path} is not a MediaPipe pose landmarker model (a .task zip holding "
            f"{' and '.join(sorted(_BUNDLE_MEMBERS))}); use an official "
            "pose_landmarker_lite/full/heavy task file, or leave the model unset to use the one "
            "shipped with pose-coach"
        )
    return data


# Estimators not closed yet. MediaPipe runs every native call through a thread pool, which Python
# shuts down before `atexit` handlers run, so a landmarker still open then fails noisily when closed.
# A threading-exit hook registered after concurrent.futures.thread's own runs before it (they run
# last-registered first), so open estimators are closed while the pool still works.
_OPEN_ESTIMATORS: weakref.WeakSet[PoseEstimator] = weakref.WeakSet()


def _close_open_estimators() -> None:
    for estimator in list(_OPEN_ESTIMATORS):
        estimator.close()


getattr(threading, "_register_atexit", atexit.register)(_close_open_estimators)


# Ctrl-C and a request to stop are for the main thread, where Python turns them into exceptions.
# The kernel hands a signal sent to the process to any thread that does not block it. A review
# interrupted under load hung twice, its main thread waiting on a frame MediaPipe's graph never
# finished; a signal taken by one of MediaPipe's threads is the likely cause (not reproduced since,
# so not proven). So they are blocked while MediaPipe starts its threads, which keep that mask.
_MAIN_THREAD_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_kept_for_the_main_thread():
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no POSIX signal masks
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _MAIN_THREAD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# (rgb, timestamp_s[, corner, size]) -> the person read as a still image (``_read_afresh``)
ReadAfresh = Callable[..., PoseFrame | None]


def _check_confidence(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


class PoseEstimator:
    """Finds one person's 33 landmarks in RGB frames.

    video_mode=True (for a video or webcam stream) tracks the person between frames and needs
    increasing timestamps; video_mode=False treats each frame as an unrelated still.

    MediaPipe's video mode rejects a timestamp (in whole ms) not greater than the previous one.
    Streams do have duplicate or backwards presentation times (webcams, rounding to ms), so such
    a frame is given to the model at the previous time + 1 ms; the PoseFrame keeps the true time.

    Use it as a context manager, or call close(): it holds native resources.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        video_mode: bool = True,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        zoom_search: bool = False,
        spread_search: bool = False,
        track_check: bool = False,
    ) -> None:
        """``zoom_search``: look for a person too small for the whole frame (``ZoomSearch``),
        one window a frame with ``spread_search`` (live coaching, where reading every window at
        once would stall the stream); ``track_check``: now and then read a frame afresh, and
        start the tracking again when it has lost the person (``TrackCheck``)."""
        _check_confidence("min_detection_confidence", min_detection_confidence)
        _check_confidence("min_tracking_confidence", min_tracking_confidence)
        self.model_path = resolve_model_path(model_path)
        self.video_mode = video_mode
        self._options = functools.partial(
            vision.PoseLandmarkerOptions,
            base_options=BaseOptions(model_asset_buffer=load_model_bytes(self.model_path)),
            num_poses=1,
            min_pose_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._landmarker: vision.PoseLandmarker | None = self._create(video_mode)
        # The search's and the check's landmarker in image mode: a still's own, a video's made
        # when first needed (image mode keeps nothing from frame to frame, so one serves both).
        self._still: vision.PoseLandmarker | None = None if video_mode else self._landmarker
        self._last_ms: int | None = None
        self.zoom = (
            ZoomSearch(self._create, self._read_afresh, spread=spread_search)
            if zoom_search
            else None
        )
        self.check = (
            TrackCheck(self._read_afresh, model_visibility(self.model_path))
            if track_check and video_mode
            else None
        )
        _OPEN_ESTIMATORS.add(self)

    def _create(self, video_mode: bool) -> vision.PoseLandmarker:
        mode = vision.RunningMode.VIDEO if video_mode else vision.RunningMode.IMAGE
        try:
            with _signals_kept_for_the_main_thread():
                return vision.PoseLandmarker.create_from_options(self._options(running_mode=mode))
        except (RuntimeError, ValueError) as error:
            raise ModelError(
                f"MediaPipe could not load pose model {self.model_path}: {error}; "
                "use a pose landmarker .task file made for MediaPipe Tasks"
            ) from error

    def _read_afresh(
        self,
        rgb: np.ndarray,
        timestamp_s: float,
        corner: tuple[int, int] = (0, 0),
        size: tuple[int, int] | None = None,
    ) -> PoseFrame | None:
        """The person in ``rgb`` (in the window at ``corner`` of ``size``, if given) read as a
        still image, whatever the video mode's tracking follows."""
        if self._still is None:
            self._still = self._create(False)
        return _landmarks(self._still, rgb, None, timestamp_s, corner, size)

    def detect(self, rgb: np.ndarray, timestamp_s: float) -> PoseFrame | None:
        """Landmarks of the person in an RGB uint8 (H, W, 3) frame, or None when nobody is found."""
        if self._landmarker is None:
            raise RuntimeError("this PoseEstimator is closed; create a new one")
        if (
            not isinstance(rgb, np.ndarray)
            or rgb.dtype != np.uint8
            or rgb.ndim != 3
            or rgb.shape[2] != 3
        ):
            got = f"{rgb.dtype} {rgb.shape}" if isinstance(rgb, np.ndarray) else type(rgb).__name__
            raise ValueError(f"frame must be an RGB uint8 array of shape (H, W, 3), got {got}")
        if not math.isfinite(timestamp_s):
            raise ValueError(f"timestamp_s must be finite, got {timestamp_s}")
        ms = self._model_timestamp_ms(timestamp_s) if self.video_mode else None
        whole = self.zoom is None or self.zoom.reads_whole_frame(timestamp_s)
        found = _landmarks(self._landmarker, rgb, ms, timestamp_s) if whole else None
        if self.check is not None and found is not None:
            fresh = self.check.lost(found, rgb, timestamp_s)
            if fresh is not None:  # the tracking followed a body no longer there: start again
                self._landmarker.close()
                self._landmarker = self._create(True)
                found = fresh
        if self.zoom is not None:
            return self.zoom.after(found, rgb, ms, timestamp_s)
        return found

    def _model_timestamp_ms(self, timestamp_s: float) -> int:
        """Whole ms for MediaPipe, bumped to stay strictly increasing."""
        ms = round(timestamp_s * 1000.0)
        if self._last_ms is not None and ms <= self._last_ms:
            ms = self._last_ms + 1
        self._last_ms = ms
        return ms

    def close(self) -> None:
        """Release the native landmarker; safe to call more than once."""
        landmarker, self._landmarker = self._landmarker, None
        still, self._still = self._still, None
        if still is not None and still is not landmarker:
            still.close()
        if landmarker is not None:
            landmarker.close()
        if self.zoom is not None:
            self.zoom.close()
        _OPEN_ESTIMATORS.discard(self)

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# MediaPipe's video mode finds the person once, then follows the landmarks it found from frame to
# frame for as long as it trusts them. A person who turns round on the floor can leave it following
# a body that is no longer there: in `dev17008` (lying, three-quarter on) the tracked shoulders
# stayed where the person's legs had come to be through the whole second side, read as a body seen
# from the front in no posture, while the same frames read afresh found the person where they lay.
# So every CHECK_EVERY_S a frame is also read afresh (image mode). Where the two readings' shoulders
# or hips (the midpoint of each pair, so swapped left and right labels do not count) lie more than
# TRACK_GAP of the fresh torso's length apart, the fresh reading replaces the tracked one, and the
# tracking starts again from it, when only the fresh one is a body the coach can judge: seen from
# the side or three-quarter on, in a posture it knows (``measure.view``). A fresh reading can be the
# wrong one too (on the development splits it was in 85 of 148 such disagreements, mostly lying
# bodies read afresh as folded in no posture): replacing every disagreeing reading lost 3 good holds
# and made 6 reports more where it gained 2 and removed 2.
CHECK_EVERY_S = 1.0
TRACK_GAP = 0.5


class TrackCheck:
    """Tells when the video mode's tracking has lost the person (see ``CHECK_EVERY_S``)."""

    def __init__(self, read_afresh: ReadAfresh, min_visibility: float) -> None:
        self._read_afresh = read_afresh
        self.min_visibility = min_visibility
        self._checked_s = -math.inf

    def lost(self, tracked: PoseFrame, rgb: np.ndarray, timestamp_s: float) -> PoseFrame | None:
        """The frame read afresh when the tracking lost the person in ``tracked``, else None; a
        frame is read afresh at most every ``CHECK_EVERY_S``."""
        if 0 <= timestamp_s - self._checked_s < CHECK_EVERY_S:
            return None
        self._checked_s = timestamp_s
        fresh = self._read_afresh(rgb, timestamp_s)
        if fresh is None or not torso_gap(tracked, fresh) > TRACK_GAP:
            return None
        if self._judgeable(tracked) or not self._judgeable(fresh):
            return None
        return fresh

    def _judgeable(self, pose: PoseFrame) -> bool:
        """A body seen from the side or three-quarter on, in a posture the coach knows."""
        seen = classify_view(pose, self.min_visibility)
        return seen.view in ("side", "three_quarter") and seen.posture is not None


def torso_gap(pose: PoseFrame, other: PoseFrame) -> float:
    """How far apart two readings of a person are: the larger distance between their shoulders'
    midpoints and between their hips', in ``other``'s torso lengths (NaN when not measurable)."""
    torso = np.linalg.norm(midpoint(other.image, SHOULDERS) - midpoint(other.image, HIPS))
    apart = max(
        np.linalg.norm(midpoint(pose.image, pair) - midpoint(other.image, pair))
        for pair in (SHOULDERS, HIPS)
    )
    return float(apart / torso) if torso > 0 else math.nan


# A person far from the camera can be too small for the pose detector, which sees the whole frame
# shrunk to 224 pixels: a phone on the floor, pitched down, frames a kneeling person 5 m away
# about 100 x 45 pixels in a 480 x 270 video, and no frame of it found anybody (`dev7004`). Half
# of the frame, twice as large, finds them. So when the whole frame finds nobody, windows of
# 1/ZOOM of the frame (ZOOM + 1 positions each way, overlapping) are searched, at most every
# SEARCH_EVERY_S; the person found is then followed in a window of that size centred on them (a
# second landmarker, with its own tracking) until the whole frame finds them again. A still image
# is searched whenever the whole of it finds nobody. Live coaching cannot wait for nine readings
# in one frame (at 30 fps a frame has 33 ms): there the search is spread, one window a frame in
# turn, so a frame costs about two readings while nobody is found (``benchmarks/live_throughput.py
# --small``), and a person in view is found within nine frames of an estimator; the person found
# is followed in their window, and the whole frame read again only every SEARCH_EVERY_S (read
# whole, a frame finding nobody costs the detector's time).
ZOOM = 2
SEARCH_EVERY_S = 1.0


class ZoomSearch:
    """Finds and follows a person too small for the whole frame (see ``ZOOM``)."""

    def __init__(
        self,
        create: Callable[[bool], vision.PoseLandmarker],
        read_afresh: ReadAfresh,
        *,
        spread: bool = False,
    ) -> None:
        """``spread``: read one window a frame, in turn, instead of all of them at most every
        ``SEARCH_EVERY_S`` (live coaching, where a frame must not wait for nine readings)."""
        self._create = create  # video_mode -> a new landmarker of the estimator's model
        self._read_afresh = read_afresh
        self.spread = spread
        self._follow: vision.PoseLandmarker | None = None
        self.window: tuple[int, int] | None = None  # the followed window's top-left corner
        self._searched_s = -math.inf
        self._turn = 0  # spread: the window read next
        self._whole_s = -math.inf  # when the whole frame was last read

    def reads_whole_frame(self, timestamp_s: float) -> bool:
        """Whether the frame at ``timestamp_s`` is read whole first: always, except when
        ``spread`` and following someone in a window, at most every ``SEARCH_EVERY_S``."""
        following = self.spread and self.window is not None
        if following and 0 <= timestamp_s - self._whole_s < SEARCH_EVERY_S:
            return False
        self._whole_s = timestamp_s
        return True

    def after(
        self, found: PoseFrame | None, rgb: np.ndarray, ms: int | None, timestamp_s: float
    ) -> PoseFrame | None:
        """The person of this frame, given what the whole frame ``found`` (None too when it was
        not read, ``reads_whole_frame``); ``ms``: the video mode's timestamp, None for a still
        image."""
        if found is not None:
            self.window = None
            return found
        height, width = rgb.shape[:2]
        size = (max(width // ZOOM, 1), max(height // ZOOM, 1))
        if self.window is not None and ms is not None:
            if self._follow is None:
                self._follow = self._create(True)
            found = _landmarks(self._follow, rgb, ms, timestamp_s, self.window, size)
        elif self.spread and ms is not None:
            corners = _windows(size, (width, height))
            corner, self._turn = corners[self._turn % len(corners)], self._turn + 1
            found = self._read_afresh(rgb, timestamp_s, corner, size)
        elif ms is None or not 0 <= timestamp_s - self._searched_s < SEARCH_EVERY_S:
            self._searched_s = timestamp_s
            hits = [self._read_afresh(rgb, timestamp_s, corner, size)
                    for corner in _windows(size, (width, height))]  # fmt: skip
            found = max((h for h in hits if h is not None), default=None,
                        key=lambda h: float(h.visibility.mean()))  # fmt: skip
        self.window = None if found is None else _centred(found, size, (width, height))
        return found

    def close(self) -> None:
        if self._follow is not None:
            self._follow.close()
        self._follow = None


def _windows(size: tuple[int, int], frame: tuple[int, int]) -> list[tuple[int, int]]:
    """The top-left corners of the searched windows of ``size``: ZOOM + 1 positions each way,
    overlapping, row by row."""
    xs = np.linspace(0, frame[0] - size[0], ZOOM + 1).astype(int)
    ys = np.linspace(0, frame[1] - size[1], ZOOM + 1).astype(int)
    return [(int(x), int(y)) for y in ys for x in xs]


def _centred(pose: PoseFrame, size: tuple[int, int], frame: tuple[int, int]) -> tuple[int, int]:
    """The top-left corner of a window of ``size`` centred on ``pose``, inside the frame."""
    centre = (np.nanmin(pose.image, axis=0) + np.nanmax(pose.image, axis=0)) / 2
    corner = np.clip(np.round(centre - np.array(size) / 2), 0, np.array(frame) - size)
    return int(corner[0]), int(corner[1])


def _landmarks(
    landmarker: vision.PoseLandmarker,
    rgb: np.ndarray,
    ms: int | None,
    timestamp_s: float,
    corner: tuple[int, int] = (0, 0),
    size: tuple[int, int] | None = None,
) -> PoseFrame | None:
    """The person ``landmarker`` finds in ``rgb`` (in the window at ``corner`` of ``size``, if
    given), in the whole frame's pixels; ``ms``: the video mode's timestamp, None in image mode."""
    height, width = rgb.shape[:2]
    w, h = size or (width, height)
    window = rgb[corner[1] : corner[1] + h, corner[0] : corner[0] + w]
    image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(window))
    result = landmarker.detect(image) if ms is None else landmarker.detect_for_video(image, ms)
    if not result.pose_landmarks:
        return None
    return _to_pose_frame(result.pose_landmarks[0], result.pose_world_landmarks[0], timestamp_s,
                          width, height, corner, (w, h))  # fmt: skip


def _to_pose_frame(
    normalized: list,
    world: list,
    timestamp_s: float,
    width: int,
    height: int,
    corner: tuple[int, int] = (0, 0),
    size: tuple[int, int] | None = None,
) -> PoseFrame:
    """Convert MediaPipe landmarks (image ones normalised to [0, 1] in the window of ``size`` at
    ``corner``, by default the whole frame) into a PoseFrame in the frame's pixels."""
    if len(normalized) != NUM_LANDMARKS or len(world) != NUM_LANDMARKS:
        raise ValueError(
            f"expected {NUM_LANDMARKS} landmarks from the model, got {len(normalized)}/{len(world)}"
        )
    scale = size or (width, height)
    image = np.array([(p.x, p.y) for p in normalized], dtype=np.float64) * scale + corner
    # The Tasks API leaves visibility unset when a model lacks it: treat that as not visible (0).
    visibility = np.array([p.visibility or 0.0 for p in normalized], dtype=np.float64)
    world_xyz = np.array([(p.x, p.y, p.z) for p in world], dtype=np.float64)
    return PoseFrame(image, np.clip(visibility, 0.0, 1.0), world_xyz, timestamp_s, width, height)
