"""Command line: ``pose-coach review``, ``pose-coach stretches``, ``pose-coach evaluate``.

Options for the coach's settings are generated from ``config.Settings`` and its help texts, so the
CLI and the app cannot disagree about a default.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

from pose_coach.config import HELP, Settings
from pose_coach.history import HistoryError
from pose_coach.input.pose import ModelError
from pose_coach.input.video import VideoError
from pose_coach.judge.reference import ReferenceError, get_reference, load_references
from pose_coach.recognise import AUTO
from pose_coach.review import Review, ReviewError, review_video
from pose_coach.terms import SIDES

EXIT_ERROR, EXIT_INTERRUPTED = 2, 130


def _add_settings(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("coach settings (defaults in pose_coach/config.py)")
    defaults = Settings()
    for field in fields(Settings):
        default = getattr(defaults, field.name)
        flag = "--model" if field.name == "model_path" else "--" + field.name.replace("_", "-")
        if isinstance(default, bool):
            group.add_argument(flag, dest=field.name, action=argparse.BooleanOptionalAction,
                               default=None, help=f"{HELP[field.name]} (default: {default})")  # fmt: skip
        else:
            kind = Path if field.name == "model_path" else type(default)
            group.add_argument(flag, dest=field.name, type=kind, default=None,
                               help=f"{HELP[field.name]} (default: {default})")  # fmt: skip


def _settings(args: argparse.Namespace) -> Settings:
    chosen = {f.name: getattr(args, f.name) for f in fields(Settings)}
    return Settings(**{name: value for name, value in chosen.items() if value is not None})


class _ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self) -> None:
        self.stream, self.last, self.start = sys.stderr, 0.0, time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done != total:
            return
        self.last = now
        fraction = min(1.0, done / total) if total else 0.0
        bar = "#" * int(30 * fraction)
        speed = done / max(now - self.start, 1e-6)
        self.stream.write(f"\r[{bar:<30}] {done}/{total or '?'} frames  {speed:5.1f} fps")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


def _print_summary(review: Review) -> None:
    run = review.run
    print(f"{run.reference.name}: {len(run.frames)} frames, "
          f"{run.frames_with_pose} with a person, {run.video.duration_s:.1f} s")  # fmt: skip
    for hold in run.holds:
        print(f"  {hold.side:>5} hold {hold.start_s:6.1f}-{hold.end_s:6.1f} s, "
              f"good form {hold.good_form_s:.1f} / {run.reference.hold_s:.0f} s")  # fmt: skip
    if len(run.frames) == 1:
        print("  a still image: its angles are in angles.csv and on annotated.mp4")
    elif not run.holds:
        print("  no hold found: was the stretch done in view of the camera?")
    for event in run.events:
        value = "" if math.isnan(event.value) else f" ({round(event.value, 2)})"
        side = event.side or "-"
        print(f"  {event.start_s:6.1f}-{event.end_s:6.1f} s  {side:>5}  "
              f"{event.kind.value}{value}: {event.message}")  # fmt: skip
    print(f"wrote {review.report_path}, angles.csv and annotated.mp4")


def _review(args: argparse.Namespace) -> int:
    reference = None if args.stretch == AUTO else get_reference(args.stretch)
    sides = (args.side,) if args.side else SIDES
    out_dir = args.out or Path("pose-coach-review") / Path(args.video).stem
    bar = _ProgressBar()
    try:
        review = review_video(args.video, reference, _settings(args), out_dir=out_dir,
                              sides=sides, progress=bar)  # fmt: skip
    finally:
        bar.close()
    if reference is None:
        print(f"stretch recognised from the posture held: {review.run.reference.id}")
    _print_summary(review)
    return 0


def _review_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from pose_coach import batch

    sides = (args.side,) if args.side else SIDES
    jobs = batch.find_jobs(args.inputs, args.stretch, args.out, sides)
    skipped = sum(map(batch.is_complete, jobs))
    bar = tqdm(total=len(jobs), initial=skipped, unit="video", file=sys.stderr, dynamic_ncols=True)
    frames = 0

    def progress(outcome: batch.Outcome) -> None:
        nonlocal frames
        frames += outcome.frames
        bar.set_postfix_str(
            f"{frames} frames, {frames / max(bar.format_dict['elapsed'], 1e-3):.1f} fps"
        )
        bar.update(1)
        if outcome.error:
            bar.write(f"{outcome.job.video}: {outcome.status}: {outcome.error}", file=sys.stderr)

    try:
        outcomes = batch.run_batch(jobs, _settings(args), args.out, workers=args.workers,
                                   address=args.address, history=args.history, progress=progress)  # fmt: skip
    finally:
        bar.close()
    counts = Counter(outcome.status for outcome in outcomes)
    print(", ".join(f"{n} {status}" for status, n in counts.items()) +
          f"; wrote {args.out / batch.SUMMARY_CSV} and {batch.SUMMARY_HTML}")  # fmt: skip
    return 1 if counts[batch.FAILED] or counts[batch.UNPLACED] else 0


def _stretches(args: argparse.Namespace) -> int:
    for stretch_id, reference in sorted(load_references().items()):
        print(f"{stretch_id:<26} {reference.name} ({reference.posture}, {' or '.join(reference.views)} view, "
              f"hold {reference.hold_s:.0f} s)")  # fmt: skip
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from pose_coach.evaluate import evaluate_folder, format_table

    table = evaluate_folder(args.folder, _settings(args), jobs=args.jobs, progress=print,
                            cache=args.cache)  # fmt: skip
    print(format_table(table))
    if args.json:
        args.json.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pose-coach", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    review = commands.add_parser("review", help="review a recorded video (or a still image)")
    review.add_argument("video", type=Path, help="the video or image file")
    review.add_argument("--stretch", required=True, help="stretch id (see: pose-coach "
                        "stretches), or auto: recognised from the posture held")  # fmt: skip
    review.add_argument("--side", choices=("left", "right"), help="only this working side")
    review.add_argument("--out", type=Path, help="output folder (default: pose-coach-review/NAME)")
    _add_settings(review)
    review.set_defaults(run=_review)
    batch = commands.add_parser(
        "review-batch", help="review many videos at once, on this machine or a Ray cluster"
    )
    batch.add_argument("inputs", type=Path, nargs="+", help="videos, folders (searched for "
                       "videos) or CSV manifests (columns: path, stretch, sides, person)")  # fmt: skip
    batch.add_argument("--stretch", required=True,
                       help="stretch id for every video a manifest gives none for, or auto")  # fmt: skip
    batch.add_argument("--side", choices=("left", "right"), help="only this working side")
    batch.add_argument("--out", type=Path, required=True, help="output folder: one folder a "
                       "video, summary.csv and summary.html; a re-run skips finished videos")  # fmt: skip
    batch.add_argument("--workers", type=int, help="videos reviewed at once (default: one per "
                       "core here, or per CPU of the cluster)")  # fmt: skip
    batch.add_argument("--address", help="a Ray cluster's address, e.g. HEAD:6379 (default: "
                       "RAY_ADDRESS if set, else a private Ray on this machine)")  # fmt: skip
    batch.add_argument("--history", action="store_true",
                       help="also save each review in the history database")  # fmt: skip
    _add_settings(batch)
    batch.set_defaults(run=_review_batch)
    stretches = commands.add_parser("stretches", help="list the stretches")
    stretches.set_defaults(run=_stretches)
    evaluate = commands.add_parser("evaluate", help="measure accuracy on labelled videos")
    evaluate.add_argument(
        "folder", type=Path, help="a folder of videos with .truth.json[.gz] files"
    )
    evaluate.add_argument("--jobs", type=int, default=2, help="videos reviewed at once (default 2)")
    evaluate.add_argument("--json", type=Path, help="also write the table as JSON to this file")
    evaluate.add_argument("--cache", type=Path, help="keep the pose model's detections in this "
                          "folder: a change to measuring or judging then re-evaluates in seconds")  # fmt: skip
    _add_settings(evaluate)
    evaluate.set_defaults(run=_evaluate)
    return parser


@contextlib.contextmanager
def _quiet_native_logs() -> Iterator[None]:
    """Send what native libraries write to stderr (MediaPipe's start-up chatter) to /dev/null,
    keeping Python's own stderr (progress, errors) on the terminal. POSE_COACH_NATIVE_LOGS=1 keeps
    everything."""
    if os.environ.get("POSE_COACH_NATIVE_LOGS") == "1":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    python_stderr = sys.stderr
    sys.stderr = open(saved, "w", closefd=False, buffering=1)  # noqa: SIM115 - restored below
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        sys.stderr = python_stderr


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with _quiet_native_logs():
            return args.run(args)
    except (VideoError, ReferenceError, ReviewError, ModelError, ValueError, HistoryError) as error:
        print(f"pose-coach: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("pose-coach: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
