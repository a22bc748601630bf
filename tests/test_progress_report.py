"""The physiotherapist's report: the PDF read back with pypdf, the CSV, and ``pose-coach report``."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader

from pose_coach import history, progress
from pose_coach.cli import main
from pose_coach.judge.reference import get_reference, save_reference
from pose_coach.output.progress_csv import progress_csv
from pose_coach.output.progress_report import progress_pdf
from tests.test_progress import HISTORY, built


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSE_COACH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def text_of(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [" ".join(page.extract_text().split()) for page in reader.pages]


def test_the_pdf_has_the_summary_charts_sessions_faults_targets_and_method():
    reader, pages = text_of(progress_pdf(built()))
    whole = " ".join(pages)
    assert len(pages) >= 3
    first = pages[0]
    assert "Stretching progress report" in first and "Person: me" in first
    assert "05 Oct 2026 to 01 Nov 2026" in first
    # 7 sessions in 4 weeks = 1.75 a week; 2 weeks had 2 or more.
    assert "7 sessions in 4 weeks: 1.8 a week on average" in first
    assert "2 of 4 weeks had at least 2" in first
    # The kneeling stretch's left side from 5 (week of 5 Oct) to 9.5 -> "10" (week of 26 Oct).
    assert "left 5° (week of 05 Oct) -> 10° (week of 26 Oct)" in whole
    # Asymmetry: 13 degrees apart in the week of 5 Oct, one of three weeks with both sides.
    assert "In 1 of 3 weeks left and right were more than 10° apart" in whole
    assert "the right side reached 13° less (hip extension: left 5°, right -8°)" in whole
    # The charts: one range-of-motion chart per stretch, sessions, good form, faults.
    assert sum(len(page.images) for page in reader.pages) == 5
    # A table per session (7 of them), the faults with their cue, the targets, the method.
    assert whole.count("ROM median") == 6  # the six sessions with holds
    assert "No hold." in whole
    assert whole.count("Hold still") == 3
    assert "Reference targets in use" in whole and "shipped defaults" in whole
    hip = get_reference("kneeling_psoas").angles["working_hip"]
    assert f"working hip {hip.target:g}° ± {hip.tolerance:g}°" in whole
    assert "How the figures are measured" in whole and "6.9 to 7.3 degrees" in whole
    assert "page 1/" in first


def test_tuned_targets_show_in_the_report(home):
    tuned = get_reference("kneeling_psoas")
    hip = replace(tuned.angles["working_hip"], target=-5.0, tolerance=9.0)
    path = save_reference(replace(tuned, angles=tuned.angles | {"working_hip": hip}))
    found = progress.build(HISTORY, {"kneeling_psoas": get_reference("kneeling_psoas")},
                           person="me", since=date(2026, 10, 5), until=date(2026, 11, 1))  # fmt: skip
    assert found.stretches[0].band == (-4, 14)  # extension: 5 +- 9
    _, pages = text_of(progress_pdf(found))
    whole = " ".join(pages)
    # The tuned file is named (a long path may be broken across lines by the PDF's layout).
    assert "(tuned: " in whole and str(path).replace(" ", "") in whole.replace(" ", "")
    assert "working hip -5° ± 9°" in whole
    assert "target -4° to 14°" in whole


def test_the_csv_has_a_row_per_hold():
    rows = list(csv.DictReader(io.StringIO(progress_csv(built()))))
    assert len(rows) == 11 + 1  # 11 holds, and the lying session without one
    first = rows[0]
    assert (first["stretch"], first["side"], first["rom_measure"]) == (
        "kneeling_psoas", "left", "hip extension")  # fmt: skip
    assert (first["rom_median_deg"], first["rom_best_deg"], first["session_faults"]) == (
        "4.00", "7.00", "2")  # fmt: skip
    [empty] = [r for r in rows if r["stretch"] == "lying_psoas"]
    assert empty["side"] == "" and empty["rom_median_deg"] == ""


# -- pose-coach report ---------------------------------------------------------------------------


def store_history() -> None:
    for record in HISTORY:
        history.add_session(record)


def test_report_command_writes_the_pdf_and_csv(tmp_path, capsys):
    store_history()
    out, table = tmp_path / "report.pdf", tmp_path / "holds.csv"
    argv = ["report", "--since", "2026-10-05", "--until", "2026-11-01", "--out", str(out),
            "--csv", str(table)]  # fmt: skip
    assert main(argv) == 0
    _, pages = text_of(out.read_bytes())
    assert "Person: me" in pages[0] and "7 sessions in 4 weeks" in pages[0]
    assert len(list(csv.DictReader(table.open()))) == 12
    assert main([*argv[:-4], "--person", "sam", "--out", str(out)]) == 0
    _, pages = text_of(out.read_bytes())
    assert "Person: sam" in pages[0] and "1 sessions in 4 weeks" in pages[0]
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--person", "nobody"], "no sessions of 'nobody'"),
        (["--since", "2025-01-01", "--until", "2025-02-01"], "me has no session"),
        (["--stretch", "yoga"], "yoga"),
    ],
)
def test_report_without_sessions_is_a_clear_error_and_writes_nothing(
    tmp_path, capsys, argv, message
):
    store_history()
    out = tmp_path / "report.pdf"
    assert main(["report", "--out", str(out), *argv]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [tmp_path / "home"]


def test_report_to_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    store_history()
    out = tmp_path / "missing" / "report.pdf"
    assert (
        main(["report", "--since", "2026-10-05", "--until", "2026-11-01", "--out", str(out)]) == 2
    )
    assert "cannot write" in capsys.readouterr().err


def test_a_bad_date_is_refused_by_the_parser(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["report", "--since", "last week", "--out", str(tmp_path / "r.pdf")])
    assert stop.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
