"""The progress as CSV, beside the PDF: one row per hold of every session in a ``Progress``
(a session without a hold gets one row with empty hold fields), for a spreadsheet."""

from __future__ import annotations

import csv
import io

from pose_coach.progress import Progress
from pose_coach.rom import measure_for

FIELDS = ("started_at", "person", "stretch", "kind", "source", "side", "hold_start_s",
          "hold_end_s", "good_form_s", "rom_measure", "rom_median_deg", "rom_best_deg",
          "session_faults")  # fmt: skip


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def progress_csv(progress: Progress) -> str:
    measures = {s.reference.id: measure_for(s.reference).name for s in progress.stretches}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for record in progress.sessions:
        session = [record.started_at.isoformat(), record.person, record.stretch, record.kind,
                   record.source or ""]  # fmt: skip
        faults = str(len(record.faults))
        for hold in record.holds:
            writer.writerow([*session, hold.side, f"{hold.start_s:.2f}", f"{hold.end_s:.2f}",
                             f"{hold.good_form_s:.2f}", measures.get(record.stretch, ""),
                             _number(hold.rom_median_deg), _number(hold.rom_best_deg), faults])  # fmt: skip
        if not record.holds:
            writer.writerow([*session, "", "", "", "", "", "", "", faults])
    return out.getvalue()
