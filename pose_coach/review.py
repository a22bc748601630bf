"""Review of one recorded video: a plain function of (video, reference, settings) -> outputs.

No global state, picklable inputs and a picklable result, so thousands of reviews can run in worker
processes. Decoding and encoding run in their own threads beside inference (the pose model uses one
core), and every output is written into a temporary folder and moved into place only when the whole
review succeeded: an error or Ctrl-C leaves no half-written file behind.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import queue
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pose_coach.angles import ANGLE_NAMES
from pose_coach.annotate import draw
from pose_coach.config import Settings
from pose_coach.pose import PoseEstimator
from pose_coach.reference import Reference
from pose_coach.session import CoachingSession, FrameResult
from pose_coach.video import VideoWriter, iter_frames, probe

REPORT_NAME, ANGLES_NAME, VIDEO_NAME = "report.json", "angles.csv", "annotated.mp4"
CSV_FIELDS = ("time_s", "pose", "view", "posture", "phase", "side", "hold_s", "form_ok",
              *ANGLE_NAMES, "faults")  # fmt: skip

Progress = Callable[[int, int], None]


class ReviewError(RuntimeError):
    """The review cannot be done: the message says what is wrong and what to do."""


@dataclass(frozen=True)
class ReviewResult:
    """What a review produced: the report (as written to report.json), the per-frame rows (as in
    angles.csv) and where the files are."""

    report: dict[str, Any]
    rows: list[dict[str, Any]]
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


def _row(result: FrameResult) -> dict[str, Any]:
    view = result.view
    row: dict[str, Any] = {
        "time_s": round(result.timestamp_s, 3),
        "pose": int(result.pose is not None),
        "view": view.view if view else "",
        "posture": (view.posture or "") if view else "",
        "phase": result.phase.value,
        "side": result.side or "",
        "hold_s": round(result.hold_s, 2),
        "form_ok": int(result.form_ok),
    }
    for name in ANGLE_NAMES:
        value = result.angles.get(name, math.nan)
        row[name] = "" if math.isnan(value) else round(value, 1)
    row["faults"] = ";".join(f.value for f in result.faults)
    return row


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


def _run(video, info, reference, settings, sides, work: Path, progress: Progress | None):
    session = CoachingSession(reference, settings, sides)
    rows: list[dict[str, Any]] = []
    frames = with_pose = 0
    last_t = 0.0
    # The writer encodes in its own thread and discards its file if the review fails.
    encoder = (
        VideoWriter(work / VIDEO_NAME, info.width, info.height, info.fps or 30.0)
        if settings.annotate
        else contextlib.nullcontext()
    )
    with PoseEstimator(settings.model_path, video_mode=not info.is_image) as estimator, encoder:
        for rgb, t in _prefetch(iter_frames(video), size=8):
            pose = estimator.detect(rgb, t)
            result = session.update(pose, t)
            frames += 1
            with_pose += pose is not None
            last_t = t
            rows.append(_row(result))
            if settings.annotate:
                encoder.write(draw(rgb, result, reference), t)
            if progress is not None:
                progress(frames, info.frame_count)
    summary = session.finish(last_t, expect_holds=not info.is_image)
    report = _summary(reference, summary, info, frames, with_pose, settings)
    report["video"] = video.name
    with open(work / ANGLES_NAME, "w", newline="", encoding="utf-8") as stream:
        table = csv.DictWriter(stream, fieldnames=CSV_FIELDS)
        table.writeheader()
        table.writerows(rows)
    (work / REPORT_NAME).write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report, rows


def _make_temp_dir(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".review-", dir=out_dir))
    except OSError as error:
        raise ReviewError(
            f"cannot write to the output folder {out_dir} ({error.strerror or error}); "
            "choose a folder you can write to with --out"
        ) from None


def _summary(reference: Reference, session_summary, info, frames: int, with_pose: int, settings):
    events = [e.to_dict() for e in session_summary.events]
    good: Counter[str] = Counter()
    for hold in session_summary.holds:
        good[hold.side] += hold.good_form_s
    return {
        "stretch": reference.id,
        "stretch_name": reference.name,
        "fps": round(info.fps, 3),
        "duration_s": round(info.duration_s, 3),
        "frames": frames,
        "frames_with_pose": with_pose,
        "holds": [h.to_dict() for h in session_summary.holds],
        "events": events,
        "sides_done": list(session_summary.sides_done),
        "good_form_s": {side: round(seconds, 2) for side, seconds in good.items()},
        "fault_counts": dict(Counter(e["kind"] for e in events)),
        "hold_target_s": reference.hold_s,
        "settings": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()
        },
        "reference": reference.to_dict(),
    }


def review_video(
    video: Path,
    reference: Reference,
    settings: Settings | None = None,
    out_dir: Path | None = None,
    sides: tuple[str, ...] = ("left", "right"),
    progress: Progress | None = None,
) -> ReviewResult:
    """Review ``video`` against ``reference``; write report.json, angles.csv and annotated.mp4.

    With ``out_dir`` None the outputs go to a new temporary folder. Raises ``VideoError`` for a
    video that cannot be read and ``ReviewError`` for an output folder that cannot be written.
    """
    settings = settings or Settings()
    video = Path(video)
    info = probe(video)  # raises VideoError with a clear message for bad input
    out_dir = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="review-"))
    work = _make_temp_dir(out_dir)
    try:
        report, rows = _run(video, info, reference, settings, sides, work, progress)
        for name in (ANGLES_NAME, VIDEO_NAME, REPORT_NAME):  # the report last: it marks completion
            if (work / name).exists():
                (work / name).replace(out_dir / name)
        return ReviewResult(report, rows, out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
