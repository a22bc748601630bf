"""Review of one recorded video (or still) into a folder: report.json, angles.csv, and
annotated.mp4 (a still photo: annotated.png, with its verdict).

The judging is ``coach.coach_video``; this module only reads the file, runs the pose model and has
each writer write its file. Decoding runs in its own thread beside inference (the pose model uses
one core) and so does encoding; every output is written into a temporary folder and moved into
place only when the whole review succeeded: an error or Ctrl-C leaves no half-written file behind,
and no folder the review made.
No global state, picklable inputs and result: reviews can run in worker processes.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pose_coach.coach import CoachingRun, Detector, Progress, VideoFacts, coach_video
from pose_coach.config import Settings
from pose_coach.input.pose import PoseEstimator
from pose_coach.input.video import iter_frames, probe
from pose_coach.judge.reference import Reference, load_references
from pose_coach.output.angles_csv import ANGLES_NAME, write_angles_csv
from pose_coach.output.annotated_image import IMAGE_NAME, AnnotatedImage
from pose_coach.output.annotated_video import VIDEO_NAME, AnnotatedVideo
from pose_coach.output.report import REPORT_NAME, write_report
from pose_coach.recognise import MIN_HELD_S, UnplacedError, recognise
from pose_coach.terms import SIDES


class ReviewError(ValueError):
    """The review cannot be done (an output folder that cannot be written): the message says
    what is wrong and what to do."""


@dataclass(frozen=True)
class Review:
    """A finished review: the coached run and the folder its files are in."""

    run: CoachingRun
    out_dir: Path

    @property
    def report_path(self) -> Path:
        return self.out_dir / REPORT_NAME

    @property
    def angles_path(self) -> Path:
        return self.out_dir / ANGLES_NAME

    @property
    def video_path(self) -> Path | None:
        path = self.out_dir / VIDEO_NAME
        return path if path.exists() else None

    @property
    def image_path(self) -> Path | None:
        """The annotated photo (a still's review)."""
        path = self.out_dir / IMAGE_NAME
        return path if path.exists() else None


def _prefetch(items: Iterable, size: int) -> Iterator:
    """Iterate ``items`` in a background thread, ``size`` items ahead; errors re-raise here."""
    buffer: queue.Queue = queue.Queue(maxsize=size)
    done = object()
    stop = threading.Event()

    def run() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(done)
        except BaseException as error:  # handed over to the consumer, which re-raises it
            buffer.put(error)

    thread = threading.Thread(target=run, daemon=True, name="pose-coach-decode")
    thread.start()
    try:
        while (item := buffer.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def video_facts(video: Path) -> VideoFacts:
    """The facts of a video file; raises ``VideoError`` with a clear message for bad input."""
    info = probe(video)
    return VideoFacts(video.name, info.width, info.height, info.fps, info.duration_s,
                      info.frame_count, info.is_image)  # fmt: skip


@contextlib.contextmanager
def pose_detector(detector: Detector | None, settings: Settings, still: bool) -> Iterator[Detector]:
    """``detector``, or by default the pose model of ``settings`` as every review reads a file: a
    fresh tracker for this file, checked now and then against a fresh reading, searching for a
    person too small for the whole frame."""
    if detector is not None:
        yield detector
        return
    with PoseEstimator(
        settings.model_path, video_mode=not still, zoom_search=True, track_check=True
    ) as estimator:
        yield estimator.detect


def coach_file(
    video: Path,
    reference: Reference,
    settings: Settings | None = None,
    sides: tuple[str, ...] = SIDES,
    *,
    detector: Detector | None = None,
    on_frame=None,
    progress: Progress | None = None,
    facts: VideoFacts | None = None,
) -> CoachingRun:
    """Coach a video file (no output written). ``detector``: default, the pose model of
    ``settings`` (a fresh tracker for this video)."""
    settings = settings or Settings()
    video = Path(video)
    facts = facts or video_facts(video)
    with pose_detector(detector, settings, facts.is_image) as detect:
        return coach_video(
            _prefetch(iter_frames(video), size=8), detector=detect, reference=reference,
            settings=settings, sides=sides, video=facts, on_frame=on_frame, progress=progress,
        )  # fmt: skip


def _missing_folders(out_dir: Path) -> list[Path]:
    """The folders of ``out_dir`` that do not exist yet, deepest first."""
    return [p for p in (out_dir, *out_dir.parents) if not p.exists()]


def _make_temp_dir(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".review-", dir=out_dir))
    except OSError as error:
        raise ReviewError(
            f"cannot write to the output folder {out_dir} ({error.strerror or error}); "
            "choose a folder you can write to with --out"
        ) from None


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a failed review made, deepest first, if nothing else went into them."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def review_video(
    video: Path,
    reference: Reference | None,
    settings: Settings | None = None,
    *,
    out_dir: Path,
    sides: tuple[str, ...] = SIDES,
    progress: Progress | None = None,
    detector: Detector | None = None,
) -> Review:
    """Review ``video`` against ``reference``; write report.json, angles.csv and annotated.mp4
    (a still photo: annotated.png) unless ``settings.annotate`` is off, into ``out_dir``.
    ``reference`` None: recognise the stretch from the posture held (``recognise``; ``--stretch
    auto``).

    Raises ``VideoError`` for a video that cannot be read, ``UnplacedError`` for a stretch that
    cannot be recognised and ``ReviewError`` for an output folder that cannot be written. On any
    error, or Ctrl-C, nothing is left behind: not a file, nor a folder the review made.
    """
    settings = settings or Settings()
    video = Path(video)
    facts = video_facts(video)  # before any folder is made: bad input leaves nothing behind
    out_dir = Path(out_dir)
    made = _missing_folders(out_dir)
    done = False
    try:
        work = _make_temp_dir(out_dir)
        try:
            run = _coach_into(work, video, facts, reference, settings, sides, detector, progress)
            for name in (ANGLES_NAME, VIDEO_NAME, IMAGE_NAME, REPORT_NAME):  # the report last
                if (work / name).exists():
                    (work / name).replace(out_dir / name)
            done = True
            return Review(run, out_dir)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        if not done:
            _remove_empty(made)


def _coach_into(
    work: Path,
    video: Path,
    facts: VideoFacts,
    reference: Reference | None,
    settings: Settings,
    sides: tuple[str, ...],
    detector: Detector | None,
    progress: Progress | None,
) -> CoachingRun:
    """Coach ``video`` and write every output into the folder ``work``."""
    still = AnnotatedImage() if settings.annotate and facts.is_image else None
    if reference is None:
        run = _recognised_run(video, facts, settings, sides, detector, progress)
        if settings.annotate:  # drawn once the stretch is known, from a second decoding
            drawn = still or AnnotatedVideo(work / VIDEO_NAME, facts, run.reference)
            with drawn if still is None else contextlib.nullcontext():
                for (rgb, _), result in zip(iter_frames(video), run.frames, strict=True):
                    drawn(rgb, result)
    else:
        annotated = (AnnotatedVideo(work / VIDEO_NAME, facts, reference)
                     if settings.annotate and not facts.is_image else None)  # fmt: skip
        with annotated or contextlib.nullcontext():
            run = coach_file(video, reference, settings, sides, detector=detector,
                             on_frame=still or annotated, progress=progress, facts=facts)  # fmt: skip
    if still is not None:
        still.write(run, work / IMAGE_NAME)
    write_angles_csv(run, work / ANGLES_NAME)
    write_report(run, work / REPORT_NAME)
    return run


def _recognised_run(
    video: Path,
    facts: VideoFacts,
    settings: Settings,
    sides: tuple[str, ...],
    detector: Detector | None,
    progress: Progress | None,
) -> CoachingRun:
    """Measure once, then judge as the stretch recognised from the posture held."""
    references = load_references()
    any_reference = next(iter(references.values()))
    measured = coach_file(video, any_reference, settings, sides, detector=detector,
                          progress=progress, facts=facts)  # fmt: skip
    recognition = recognise(measured, references.values())
    if recognition.run is None:
        raise UnplacedError(
            f"{video.name}: could not tell which stretch this is (no stretch's position was held "
            f"{MIN_HELD_S:.0f} s or more in its posture, clearly longer than any other; "
            f"{recognition.describe()}); give it with --stretch ID (see: pose-coach stretches)"
        )
    return recognition.run
