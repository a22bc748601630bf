"""Command line: ``pose-coach review``, ``stretches``, ``evaluate``, ``report`` and ``serve``.

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
from collections import Counter
from collections.abc import Iterator
from dataclasses import fields
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pose_coach.config import HELP, Settings
from pose_coach.terms import ASYMMETRY_DEG, AUTO, DEFAULT_PERSON, SIDES

if TYPE_CHECKING:
    from tqdm import tqdm

    from pose_coach.judge.still import StillVerdict
    from pose_coach.review import Review

# The model, video and judging modules are imported inside ``main`` (they take a second or more
# to load): a Ctrl-C while they load is then handled like any other.

EXIT_ERROR, EXIT_INTERRUPTED = 2, 130
SERVE_PORT = 8501  # Streamlit's own default
REPORT_WEEKS = 8  # the report's period without --since
INTERRUPTED = "pose-coach: interrupted; nothing was written"


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
            # An optional number (left empty: chosen elsewhere) is a float flag, as in the app.
            optional_float = default is None and "float" in str(field.type)
            kind = (
                Path if field.name == "model_path" else float if optional_float else type(default)
            )
            group.add_argument(flag, dest=field.name, type=kind, default=None,
                               help=f"{HELP[field.name]} (default: {default})")  # fmt: skip


def _settings(args: argparse.Namespace) -> Settings:
    chosen = {f.name: getattr(args, f.name) for f in fields(Settings)}
    return Settings(**{name: value for name, value in chosen.items() if value is not None})


class _Progress:
    """Progress on stderr: tqdm's bar on a terminal; elsewhere (a log file, a pipe) a plain line
    at each tenth of the frames, never a carriage return."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty()
        self.bar: tqdm | None = None
        self.next_tenth = 1

    def __call__(self, done: int, total: int) -> None:
        if self.terminal:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total or None, unit=" frames", file=self.stream,
                                desc="reviewing", dynamic_ncols=True, mininterval=0.2)  # fmt: skip
            self.bar.update(done - self.bar.n)
        elif total > 1 and done * 10 >= self.next_tenth * total:
            self.next_tenth = done * 10 // total + 1
            print(f"reviewing: {min(100, 100 * done // total)}% ({done} of {total} frames)",
                  file=self.stream, flush=True)  # fmt: skip

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _print_still(verdict: StillVerdict, review: Review) -> None:
    run = review.run
    found = ", ".join(x for x in (verdict.side and f"{verdict.side} side", verdict.posture,
                                  verdict.view and f"{verdict.view} view") if x)  # fmt: skip
    print(f"{run.reference.name}: a photo ({found or 'no person found'})")
    if not verdict.judged:
        print(f"  cannot be judged: {verdict.message}")
    else:
        faults = len(verdict.faults)
        print("  verdict: good form" if verdict.form_ok else
              f"  verdict: {faults} fault{'s' * (faults != 1)}")  # fmt: skip
    for angle in verdict.angles:
        value = "unseen" if math.isnan(angle.value) else f"{angle.value:6.1f}"
        mark = {True: "ok", False: angle.fault.value if angle.fault else "off",
                None: "not judged"}[angle.ok]  # fmt: skip
        print(
            f"  {angle.name:<15} {value:>7}  target {angle.target:g} +- {angle.tolerance:g}  {mark}"
        )
    for kind, cue in verdict.faults:
        print(f"  {kind.value}: {cue}")
    if verdict.judged:
        print(f"  {verdict.message}" if verdict.form_ok else
              "  (bouncing, the hold's length and the hips moving need a video)")  # fmt: skip
    written = "annotated.png" if review.image_path else "no annotated picture"
    print(f"wrote {review.report_path}, angles.csv and {written}")


def _print_summary(review: Review) -> None:
    from pose_coach.judge.explain import describe, hold_notes, uncounted

    run = review.run
    if run.still is not None:
        _print_still(run.still, review)
        return
    print(f"{run.reference.name}: {len(run.frames)} frames, "
          f"{run.frames_with_pose} with a person, {run.video.duration_s:.1f} s")  # fmt: skip
    for hold in run.holds:
        print(f"  {hold.side:>5} hold {hold.start_s:6.1f}-{hold.end_s:6.1f} s, "
              f"good form {hold.good_form_s:.1f} / {run.reference.hold_s:.0f} s")  # fmt: skip
        if hold.good_form_s < run.reference.hold_s:
            missing = describe(uncounted(run.frames, hold, run.reference))
            if missing:
                print(f"        {missing}")
        for note in hold_notes(run.frames, hold):
            print(f"        {note[0].upper()}{note[1:]}.")
    if not run.holds:
        print("  no hold found: was the stretch done in view of the camera?")
    for event in run.events:
        value = "" if math.isnan(event.value) else f" ({round(event.value, 2)})"
        side = event.side or "-"
        print(f"  {event.start_s:6.1f}-{event.end_s:6.1f} s  {side:>5}  "
              f"{event.kind.value}{value}: {event.message}")  # fmt: skip
    written = "annotated.mp4" if review.video_path else "no annotated video"
    print(f"wrote {review.report_path}, angles.csv and {written}")


def _review(args: argparse.Namespace) -> int:
    from pose_coach import history

    if not args.history and (args.date or args.person != DEFAULT_PERSON):
        raise ValueError("--person and --date say how to save to the history: add --history")
    from pose_coach.judge.reference import get_reference
    from pose_coach.review import review_video

    reference = None if args.stretch == AUTO else get_reference(args.stretch)
    sides = (args.side,) if args.side else SIDES
    out_dir = args.out or Path("pose-coach-review") / Path(args.video).stem
    bar = _Progress()
    try:
        review = review_video(args.video, reference, _settings(args), out_dir=out_dir,
                              sides=sides, progress=bar)  # fmt: skip
    finally:
        bar.close()
    if reference is None:
        print(f"stretch recognised from the posture held: {review.run.reference.id}")
    _print_summary(review)
    if args.history:
        record = history.SessionRecord.from_run(review.run, args.date or datetime.now(timezone.utc),
                                                person=args.person)  # fmt: skip
        try:
            history.add_session(record)
        except history.HistoryError as error:
            raise history.HistoryError(
                f"the review is written, but it could not be saved to the history: {error}"
            ) from None
        print(f"saved to the history of {args.person} ({history.default_path()})")
    return 0


def _report(args: argparse.Namespace) -> int:
    from pose_coach import history, progress
    from pose_coach.judge.reference import get_reference
    from pose_coach.output.progress_csv import progress_csv
    from pose_coach.output.progress_report import progress_pdf, write_atomically
    from pose_coach.review import ReviewError

    known = history.persons()
    if args.person not in known:
        raise ValueError(f"no sessions of {args.person!r} in {history.default_path()}; "
                         f"known: {', '.join(known)} (choose one with --person)")  # fmt: skip
    if args.stretch:
        get_reference(args.stretch)  # an unknown id: the error lists the stretches
    until = args.until or date.today()
    since = args.since or until - timedelta(weeks=REPORT_WEEKS)
    found = progress.load(args.person, since, until, args.stretch, args.asymmetry_deg)
    if not found.sessions:
        which = f" of {args.stretch}" if args.stretch else ""
        raise ValueError(f"{args.person} has no session{which} from {since} to {until}: choose "
                         "another period with --since/--until (sessions are saved by the app, "
                         "and by 'pose-coach review ... --history')")  # fmt: skip
    outputs = [(args.out, progress_pdf(found))]  # made before anything is written
    if args.csv:
        outputs.append((args.csv, progress_csv(found).encode("utf-8")))
    for path, data in outputs:
        try:
            write_atomically(path, data)
        except OSError as error:
            raise ReviewError(f"cannot write {path} ({error.strerror or error}): choose a "
                              "folder you can write to") from None  # fmt: skip
    print(f"{len(found.sessions)} sessions of {args.person} from {since} to {until}: wrote "
          + " and ".join(str(path) for path, _ in outputs))  # fmt: skip
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: write it as YYYY-MM-DD"
        ) from None


def _when(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date and time: write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    return when if when.tzinfo else when.astimezone()  # a local time


def _person(text: str) -> str:
    from pose_coach import history

    try:
        return history.check_person(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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
    from pose_coach.judge.reference import load_references

    for stretch_id, reference in sorted(load_references().items()):
        print(f"{stretch_id:<26} {reference.name} ({reference.posture}, {' or '.join(reference.views)} view, "
              f"hold {reference.hold_s:.0f} s)")  # fmt: skip
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from pose_coach.evaluate import evaluate_folder, format_table

    table = evaluate_folder(args.folder, _settings(args), jobs=args.jobs, progress=print,
                            cache=args.cache, live=args.live)  # fmt: skip
    print(format_table(table))
    if args.json:
        args.json.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from pose_coach import serve

    return serve.run(serve.plan(args.address, args.port))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pose-coach", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    review = commands.add_parser("review", help="review a recorded video (or a still image)")
    review.add_argument("video", type=Path, help="the video or image file")
    review.add_argument("--stretch", required=True, help="stretch id (see: pose-coach "
                        "stretches), or auto: recognised from the posture held")  # fmt: skip
    review.add_argument("--side", choices=("left", "right"), help="only this working side")
    review.add_argument("--out", type=Path, help="output folder (default: pose-coach-review/NAME)")
    review.add_argument("--history", action="store_true",
                        help="also save the review to the history (it then counts in progress)")  # fmt: skip
    review.add_argument("--person", type=_person, default=DEFAULT_PERSON,
                        help=f"whose session, with --history (default: {DEFAULT_PERSON})")  # fmt: skip
    review.add_argument("--date", type=_when, help="when it was recorded, with --history "
                        "(YYYY-MM-DD[THH:MM], local time; default: now)")  # fmt: skip
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
    evaluate.add_argument("--live", action="store_true", help="coach each video as the live page "
                          "coaches a webcam (every frame, two estimators taking turns), not as a review")  # fmt: skip
    _add_settings(evaluate)
    evaluate.set_defaults(run=_evaluate)
    report = commands.add_parser(
        "report", help="a PDF of progress over weeks, for a physiotherapist"
    )
    report.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    report.add_argument("--since", type=_date, help=f"first day, YYYY-MM-DD (default: "
                        f"{REPORT_WEEKS} weeks before --until)")  # fmt: skip
    report.add_argument("--until", type=_date, help="last day, YYYY-MM-DD (default: today)")
    report.add_argument("--person", type=_person, default=DEFAULT_PERSON,
                        help=f"whose sessions (default: {DEFAULT_PERSON})")  # fmt: skip
    report.add_argument("--stretch", help="only this stretch (default: all)")
    report.add_argument("--asymmetry-deg", type=float, default=ASYMMETRY_DEG,
                        help="call out left and right further apart than this (degrees; "
                        f"default {ASYMMETRY_DEG:g})")  # fmt: skip
    report.add_argument("--csv", type=Path, help="also write the holds as CSV to this file")
    report.set_defaults(run=_report)
    serve = commands.add_parser(
        "serve", help="serve the app over HTTPS on the home network: a phone as the camera"
    )
    serve.add_argument("--address", help="the IP address to serve at (default: this computer's "
                       "address on the home network, and localhost)")  # fmt: skip
    serve.add_argument("--port", type=int, default=SERVE_PORT,
                       help=f"the port (default {SERVE_PORT})")  # fmt: skip
    # Streamlit's own log stays on the terminal.
    serve.set_defaults(run=_serve, native_logs=True)
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


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    quiet = (
        contextlib.nullcontext() if getattr(args, "native_logs", False) else _quiet_native_logs()
    )
    from pose_coach.history import HistoryError

    try:
        with quiet:
            return args.run(args)
    # VideoError, ReferenceError, ModelError, ReviewError, ServeError, CertificateError and bad
    # settings are ValueErrors.
    except (ValueError, HistoryError) as error:
        print(f"pose-coach: error: {error}", file=sys.stderr)
        return EXIT_ERROR


def main(argv: list[str] | None = None) -> int:
    """Run a command; exit status 0, 2 for bad input (with a message), 130 on Ctrl-C (one line,
    and nothing left behind: the review removes its own files and folders on the way out)."""
    try:
        return _run(argv)
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED


def run() -> None:
    """The ``pose-coach`` program: ``main``, then exit with its status. After a Ctrl-C the process
    ends at once: a Ctrl-C that lands while a native library runs Python code makes the
    interpreter kill itself with SIGINT at exit, which would lose the status 130."""
    code = main()
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
