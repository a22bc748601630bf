"""Many videos at once (``pose-coach review-batch``): which videos, where each one's outputs go,
whether they are complete already, and the batch's summary. Running them is ``batch_ray``.

Each video is reviewed by ``review.review_video``, exactly as ``pose-coach review`` does it, into
``DIR/NAME/``; its report.json is written last and atomically, so a video whose report exists is
complete and a re-run skips it. The summary (``summary.csv``, ``summary.html``) is read from those
reports, so it always says what the files say.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from pose_coach.coach import CoachingRun
from pose_coach.config import Settings
from pose_coach.events import Fault
from pose_coach.judge.reference import ReferenceError, get_reference, load_references
from pose_coach.output.annotated_video import VIDEO_NAME
from pose_coach.output.report import REPORT_NAME
from pose_coach.recognise import AUTO, UnplacedError
from pose_coach.review import review_video
from pose_coach.terms import SIDES

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi")
MANIFEST_COLUMNS = ("path", "stretch", "sides", "person")
SUMMARY_CSV, SUMMARY_HTML = "summary.csv", "summary.html"
# A video's status in the summary.
DONE, SKIPPED, FAILED, UNPLACED, NOT_RUN = "done", "skipped", "failed", "unplaced", "not run"


class BatchError(ValueError):
    """The batch cannot start: the message says which input is wrong and what to do."""


@dataclass(frozen=True)
class Job:
    """One video to review: against ``stretch`` (an id, or ``auto``) into ``out_dir``."""

    video: Path
    stretch: str
    sides: tuple[str, ...]
    person: str
    out_dir: Path


@dataclass(frozen=True)
class Outcome:
    """What became of a job. ``run``: the coached run without its frames (holds, events, video
    facts), for the history; None unless reviewed now. ``worker``: which process on which node."""

    job: Job
    status: str
    frames: int = 0
    error: str = ""
    run: CoachingRun | None = None
    worker: str = ""
    node: str = ""
    worker_rss_mb: float = 0.0


# -- which videos --------------------------------------------------------------------------------


def find_jobs(
    inputs: list[Path], stretch: str, out: Path, sides: tuple[str, ...] = SIDES
) -> list[Job]:
    """The jobs for files, folders (searched for videos) and CSV manifests, in the order given.

    Raises ``BatchError`` for an input that does not exist, a manifest that cannot be read and an
    unknown stretch, before anything is reviewed.
    """
    _check_stretch(stretch, "--stretch")
    found: list[tuple[Path, str, tuple[str, ...], str]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            videos = sorted(p for p in path.rglob("*") if _is_video(p) and out not in p.parents)
            found += [(video, stretch, sides, "") for video in videos]
        elif path.suffix.lower() == ".csv" and path.is_file():
            found += _read_manifest(path, stretch, sides)
        elif path.exists():
            found.append((path, stretch, sides, ""))
        else:
            raise BatchError(
                f"{path}: no such file or folder; give videos, folders or a CSV manifest"
            )
    return _named(found, out)


def _is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES and not path.name.startswith(".")


def _check_stretch(stretch: str, where: str) -> None:
    if stretch != AUTO:
        try:
            get_reference(stretch)
        except ReferenceError as error:
            raise BatchError(f"{where}: {error}") from None


def _read_manifest(
    manifest: Path, stretch: str, sides: tuple[str, ...]
) -> list[tuple[Path, str, tuple[str, ...], str]]:
    """Rows of ``path,stretch,sides,person`` (only ``path`` required; relative paths are from the
    manifest's folder; ``sides`` is the working sides in order, e.g. ``right left``)."""
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise BatchError(f"{manifest}: cannot read the manifest ({error})") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    unknown = [c for c in columns if c not in MANIFEST_COLUMNS]
    if "path" not in columns or unknown:
        raise BatchError(
            f"{manifest}: a manifest needs a header with a 'path' column and may have "
            f"{', '.join(MANIFEST_COLUMNS[1:])}; found {', '.join(columns) or 'no header'}"
        )
    rows = []
    for line, row in enumerate(reader, start=2):
        where = f"{manifest}, line {line}"
        if not (row.get("path") or "").strip():
            raise BatchError(f"{where}: the path is empty")
        row_stretch = (row.get("stretch") or "").strip() or stretch
        _check_stretch(row_stretch, where)
        row_sides = tuple((row.get("sides") or "").replace(",", " ").split()) or sides
        if any(s not in SIDES for s in row_sides) or len(set(row_sides)) != len(row_sides):
            raise BatchError(f"{where}: sides must be left and/or right, got {row['sides']!r}")
        rows.append((manifest.parent / row["path"].strip(), row_stretch, row_sides,
                     (row.get("person") or "").strip()))  # fmt: skip
    return rows


def _named(found: list[tuple[Path, str, tuple[str, ...], str]], out: Path) -> list[Job]:
    """One job per video, each with its own output folder named after the video (``-2``, ``-3``
    ... when names repeat; the same inputs always give the same names, so a re-run finds them)."""
    jobs, taken, seen = [], set(), set()
    for video, stretch, sides, person in found:
        key = (video.absolute(), stretch, sides)
        if key in seen:
            continue
        seen.add(key)
        name, n = video.stem, 1
        while name.lower() in taken:
            n += 1
            name = f"{video.stem}-{n}"
        taken.add(name.lower())
        jobs.append(Job(video, stretch, sides, person, out / name))
    return jobs


# -- one video -----------------------------------------------------------------------------------


def is_complete(job: Job) -> bool:
    """The job's outputs were all written by an earlier run (the report is moved in last)."""
    return (job.out_dir / REPORT_NAME).is_file()


def review_job(job: Job, settings: Settings) -> Outcome:
    """Review one video as ``pose-coach review`` would; any error is the video's, not the batch's."""
    reference = None if job.stretch == AUTO else load_references()[job.stretch]
    try:
        review = review_video(job.video, reference, settings, out_dir=job.out_dir, sides=job.sides)
    except UnplacedError as error:
        return Outcome(job, UNPLACED, error=str(error))
    except Exception as error:  # isolated: the batch goes on, the summary lists it
        known = type(error).__module__.startswith("pose_coach")
        message = str(error) if known else f"unexpected error: {traceback.format_exc(limit=3)}"
        return Outcome(job, FAILED, error=message.strip())
    run = review.run
    return Outcome(job, DONE, frames=len(run.frames), run=replace(run, frames=()))


def save_to_history(outcome: Outcome, path: Path | None = None) -> None:
    """Store a reviewed video in the history database (the one place the batch writes it)."""
    from pose_coach.history import SessionRecord, add_session
    from pose_coach.terms import DEFAULT_PERSON

    if outcome.run is not None:
        person = outcome.job.person or DEFAULT_PERSON
        add_session(SessionRecord.from_run(outcome.run, datetime.now(timezone.utc), person), path)


def run_batch(
    jobs: list[Job],
    settings: Settings,
    out: Path,
    *,
    workers: int | None = None,
    address: str | None = None,
    history: bool = False,
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Review the jobs not complete yet on Ray (``batch_ray``: locally, or on the cluster at
    ``address``) and write the summary, also when stopped part way (the rest: ``not run``)."""
    if not jobs:
        raise BatchError("no videos found in the inputs given")
    from pose_coach import batch_ray  # Ray only here; it says how to install Ray if missing
    from pose_coach.input.pose import PoseEstimator

    PoseEstimator(settings.model_path).close()  # a bad --model stops the batch before it starts

    outcomes = {job: Outcome(job, SKIPPED if is_complete(job) else NOT_RUN) for job in jobs}
    todo = [job for job, outcome in outcomes.items() if outcome.status == NOT_RUN]

    def finished(outcome: Outcome) -> None:
        outcomes[outcome.job] = outcome
        if history and outcome.status == DONE:
            save_to_history(outcome)
        if progress is not None:
            progress(outcome)

    out.mkdir(parents=True, exist_ok=True)
    try:
        if todo:
            for outcome in batch_ray.run_jobs(todo, settings, batch_ray.connect(address, workers)):
                finished(outcome)
    finally:
        batch_ray.shutdown()
        write_summary([summary_row(outcomes[job], out) for job in jobs], out)
    return list(outcomes.values())


# -- the summary ---------------------------------------------------------------------------------

FAULT_COLUMNS = tuple(f"faults_{fault.value}" for fault in Fault)
SUMMARY_COLUMNS = ("video", "person", "stretch", "stretch_from", "status",
                   *(f"good_form_{side}_s" for side in SIDES), *FAULT_COLUMNS,
                   "duration_s", "frames", "frames_with_pose", "error", "report", "annotated")  # fmt: skip


def summary_row(outcome: Outcome, root: Path) -> dict[str, str]:
    """The summary's row of one video, read from its report.json when it has one."""
    job = outcome.job
    row = dict.fromkeys(SUMMARY_COLUMNS, "")
    row.update(video=str(job.video), person=job.person, status=outcome.status,
               stretch="" if job.stretch == AUTO else job.stretch,
               stretch_from="recognised" if job.stretch == AUTO else "given", error=outcome.error)  # fmt: skip
    report_path = job.out_dir / REPORT_NAME
    if outcome.status in (DONE, SKIPPED) and report_path.is_file():
        report = json.loads(report_path.read_text(encoding="utf-8"))
        row.update(stretch=report["stretch"], duration_s=str(report["duration_s"]),
                   frames=str(report["frames"]), frames_with_pose=str(report["frames_with_pose"]),
                   report=_relative(report_path, root))  # fmt: skip
        for side in SIDES:
            row[f"good_form_{side}_s"] = str(report["good_form_s"].get(side, 0.0))
        for fault in Fault:
            row[f"faults_{fault.value}"] = str(report["fault_counts"].get(fault.value, 0))
        if (job.out_dir / VIDEO_NAME).is_file():
            row["annotated"] = _relative(job.out_dir / VIDEO_NAME, root)
    return row


def _relative(path: Path, root: Path) -> str:
    return os.path.relpath(path, root)


def write_summary(rows: list[dict[str, str]], out: Path) -> None:
    """``summary.csv`` and ``summary.html`` in ``out``, each written whole and moved into place."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, SUMMARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    _write_atomic(out / SUMMARY_CSV, buffer.getvalue())
    _write_atomic(out / SUMMARY_HTML, summary_html(rows))


def _write_atomic(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


_SORT_SCRIPT = """
for (const th of document.querySelectorAll("th")) th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0], i = th.cellIndex;
  const up = th.dataset.order !== "up"; th.dataset.order = up ? "up" : "down";
  const key = (tr) => { const t = tr.cells[i].dataset.sort ?? tr.cells[i].textContent;
    const n = Number(t); return t !== "" && !isNaN(n) ? n : t.toLowerCase(); };
  const rows = [...body.rows].sort((a, b) => { const x = key(a), y = key(b);
    if (typeof x !== typeof y) return typeof x === "number" ? -1 : 1;
    return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1); });
  body.append(...rows);
});
"""


def summary_html(rows: list[dict[str, str]]) -> str:
    """A page with one sortable table (click a heading), linking each report and annotated video."""
    shown = [c for c in SUMMARY_COLUMNS if c not in ("report", "annotated")]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in (*shown, "files"))
    body = []
    for row in rows:
        cells = "".join(f"<td>{html.escape(row[c])}</td>" for c in shown)
        links = " ".join(f'<a href="{html.escape(row[c])}">{name}</a>'
                         for c, name in (("annotated", "video"), ("report", "report")) if row[c])  # fmt: skip
        body.append(f'<tr class="{html.escape(row["status"])}">{cells}<td>{links}</td></tr>')
    counts = {
        s: sum(r["status"] == s for r in rows) for s in (DONE, SKIPPED, FAILED, UNPLACED, NOT_RUN)
    }
    counted = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pose-coach batch summary</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }} table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; }}
th {{ cursor: pointer; background: #eee; }} tr.failed, tr.unplaced {{ background: #fdd; }}
</style></head><body>
<h1>pose-coach batch summary</h1>
<p>{len(rows)} videos: {html.escape(counted)}. Click a heading to sort.</p>
<table><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(body)}
</tbody></table>
<script>{_SORT_SCRIPT}</script>
</body></html>
"""
