"""The report for a physiotherapist: one PDF (fpdf2) of a ``progress.Progress``.

It holds the Progress page's charts (the same matplotlib figures), a table per session, the faults
with their cues, the reference targets in use (tuned ones included, with their file) and how the
figures are measured. Text is set in DejaVu Sans, which matplotlib ships, so any name or cue prints.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from datetime import datetime
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from pose_coach.judge.reference import Reference, builtin_dir
from pose_coach.output.progress_charts import charts, png
from pose_coach.progress import SESSIONS_GOAL, Progress, StretchProgress, asymmetry_text
from pose_coach.rom import measure_for, target_band
from pose_coach.terms import SIDES

BOLD = FontFace(emphasis="BOLD")
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
# From the README's "Accuracy": the frozen test split of rendered videos, hip error in true holds.
HOW_MEASURED = (
    "How these figures are measured. The range of motion is the working hip's angle in the body's "
    "own sagittal plane, read by MediaPipe's pose model from an ordinary camera, filtered against "
    "jitter, and taken only from frames the coach judged to be good form inside a hold: per hold "
    "the median and the best (largest) value; per week the median of the holds' medians and the "
    "best of their bests. Hip extension (the leg behind the body) is the measure of the kneeling "
    "and half-kneeling stretches, hip flexion (the thigh lifted in front) that of the lying and "
    "standing ones. Against the true 3D joint angle, on 61 rendered test videos with varied camera "
    "heights, angles and bodies, the hip angle in holds was off by 6.9 to 7.3 degrees on average "
    "(mean absolute error) as a review reads it (BlazePose heavy), and by 7.0 to 7.9 as live "
    "coaching does (BlazePose full), so a change of a few degrees between two weeks is "
    "within the measuring error: read the trend over several weeks, filmed from the same place. "
    "Pelvis tilt and rotation are low-confidence in every markerless system and are not reported "
    "as range of motion. Sessions and faults are as the coach reported them; a fault is one event "
    "however long it lasted."
)


def _fmt(value: float | None, unit: str = "°") -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.0f}{unit}"


class _Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.title_text = title
        self.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
        self.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_auto_page_break(True, margin=15)
        self.set_margins(15, 15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 7)
        self.cell(0, 5, f"{self.title_text} - page {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str, size: int = 12) -> None:
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, text: str, size: float = 9) -> None:
        self.set_font("DejaVu", "", size)
        self.multi_cell(0, size * 0.48, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def grid(self, header: list[str], rows: list[list[str]], widths: tuple[int, ...]) -> None:
        self.set_font("DejaVu", "", 7.5)
        with self.table(col_widths=widths, line_height=4.2, text_align="LEFT",
                        headings_style=BOLD) as table:  # fmt: skip
            for values in [header, *rows]:
                row = table.row()
                for value in values:
                    row.cell(value)
        self.ln(3)


def _summary(progress: Progress) -> list[str]:
    lines = [
        f"{len(progress.sessions)} sessions in {len(progress.weeks)} weeks: "
        f"{progress.sessions_per_week:.1f} a week on average, against the article's "
        f"{SESSIONS_GOAL[0]} to {SESSIONS_GOAL[1]}; {progress.weeks_on_goal} of "
        f"{len(progress.weeks)} weeks had at least {SESSIONS_GOAL[0]}."
    ]
    for stretch in progress.stretches:
        lines.append(_stretch_line(stretch))
        uneven = asymmetry_text(stretch, progress.asymmetry_deg)
        if uneven:
            lines.append(uneven)
    return lines


def _stretch_line(stretch: StretchProgress) -> str:
    low, high = stretch.band
    parts = []
    for side in SIDES:
        ranges = [r for r in stretch.ranges if r.side == side]
        if ranges:
            first, last = ranges[0], ranges[-1]
            parts.append(f"{side} {first.median_deg:.0f}° (week of {first.monday:%d %b}) -> "
                         f"{last.median_deg:.0f}° (week of {last.monday:%d %b})")  # fmt: skip
    reached = "; ".join(parts) or "no hold in good form"
    return f"{stretch.reference.name}, {stretch.measure} (target {low:g}° to {high:g}°): {reached}."


def _sessions(pdf: _Document, progress: Progress) -> None:
    pdf.heading("Sessions")
    for record in progress.sessions:
        when = record.started_at.astimezone()
        source = f", {record.source}" if record.source else ""
        name = next((s.reference.name for s in progress.stretches
                     if s.reference.id == record.stretch), record.stretch)  # fmt: skip
        pdf.set_font("DejaVu", "B", 8.5)
        pdf.multi_cell(0, 4.5, f"{when:%a %d %b %Y %H:%M} - {name} ({record.kind}{source}), "
                       f"{record.duration_s:.0f} s, {_count(len(record.faults), 'fault')}",
                       new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        rows = [
            [h.side, f"{h.start_s:.1f}-{h.end_s:.1f} s", f"{h.end_s - h.start_s:.0f} s",
             f"{h.good_form_s:.0f} s", _fmt(h.rom_median_deg), _fmt(h.rom_best_deg)]
            for h in record.holds
        ]  # fmt: skip
        if rows:
            pdf.grid(["side", "hold", "held", "good form", "ROM median", "ROM best"], rows,
                     (14, 28, 16, 20, 20, 20))  # fmt: skip
        else:
            pdf.paragraph("No hold.", 8)


def _faults(pdf: _Document, progress: Progress) -> None:
    rows = [
        [f"{r.started_at.astimezone():%d %b %Y}", r.stretch, e.side or "-",
         e.kind.value.replace("_", " "), f"{e.start_s:.0f}-{e.end_s:.0f} s", e.message]
        for r in progress.sessions
        for e in r.faults
    ]  # fmt: skip
    pdf.heading("Faults and the cues given")
    if rows:
        pdf.grid(
            ["date", "stretch", "side", "fault", "when", "cue"], rows, (20, 30, 11, 24, 20, 75)
        )
    else:
        pdf.paragraph("No faults were reported in this period.")


def _targets(pdf: _Document, references: list[Reference]) -> None:
    pdf.heading("Reference targets in use")
    for reference in references:
        origin = f"tuned: {reference.source}" if _tuned(reference) else "shipped defaults"
        low, high = target_band(reference)
        pdf.set_font("DejaVu", "B", 8.5)
        pdf.multi_cell(0, 4.5, f"{reference.name} ({origin}); hold {reference.hold_s:.0f} s per "
                       f"side; {measure_for(reference).name} target {low:g}° to {high:g}°",
                       new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        rows = [[name.replace("_", " "), f"{check.target:g}°", f"± {check.tolerance:g}°",
                 check.too_low.cue, check.too_high.cue]
                for name, check in reference.checks().items()]  # fmt: skip
        pdf.grid(["angle", "target", "tolerance", "cue when below", "cue when above"], rows,
                 (26, 14, 16, 62, 62))  # fmt: skip


def _tuned(reference: Reference) -> bool:
    return reference.source is not None and reference.source.parent != builtin_dir()


def progress_pdf(progress: Progress, created: datetime | None = None) -> bytes:
    """The report as PDF bytes."""
    created = created or datetime.now().astimezone()
    pdf = _Document(f"pose-coach progress report: {progress.person}")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.heading("Stretching progress report", 16)
    scope = "all stretches" if progress.stretch is None else progress.stretch
    pdf.paragraph(f"Person: {progress.person}\nPeriod: {progress.since:%d %b %Y} to "
                  f"{progress.until:%d %b %Y} ({scope})\nCreated: {created:%d %b %Y %H:%M} by "
                  "pose-coach, on the person's own computer")  # fmt: skip
    pdf.heading("Summary")
    for line in _summary(progress):
        pdf.paragraph(line)
    for title, figure in charts(progress):
        if pdf.get_y() > 200:
            pdf.add_page()
        pdf.heading(title, 10)
        pdf.image(io.BytesIO(png(figure, dpi=150)), w=180)
        pdf.ln(2)
    pdf.add_page()
    _sessions(pdf, progress)
    _faults(pdf, progress)
    _targets(pdf, [s.reference for s in progress.stretches])
    pdf.heading("How the figures are measured")
    pdf.paragraph(HOW_MEASURED)
    return bytes(pdf.output())


def write_progress_pdf(progress: Progress, path: Path) -> Path:
    """Write the report to ``path`` atomically (a temporary file in the same folder, then moved)."""
    write_atomically(path, progress_pdf(progress))
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` into ``path``, whole or not at all."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
