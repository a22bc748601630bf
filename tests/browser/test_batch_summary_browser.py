"""The batch's summary.html in real Chromium: click a heading to sort, the links open the files."""

from __future__ import annotations

import json

import pytest

from pose_coach import batch
from pose_coach.batch import Job, Outcome
from tests.browser.harness import launch

pytestmark = pytest.mark.slow  # a real browser: not in the fast suite


def reviewed(out, name: str, good_left: float) -> Outcome:
    """A video with a finished review (a report as ``review`` writes it, reduced to what the
    summary reads)."""
    folder = out / name
    folder.mkdir(parents=True)
    report = {"stretch": "kneeling_psoas", "duration_s": 10.0, "frames": 300,
              "frames_with_pose": 300, "good_form_s": {"left": good_left}, "fault_counts": {}}  # fmt: skip
    (folder / "report.json").write_text(json.dumps(report))
    (folder / "annotated.mp4").write_bytes(b"")
    return Outcome(Job(out / f"{name}.mp4", "auto", ("left",), "", folder), batch.DONE)


def test_headings_sort_the_table_and_each_row_links_its_files(tmp_path, playwright):
    out = tmp_path / "out"
    outcomes = [reviewed(out, "b", 9.5), reviewed(out, "a", 12.0), reviewed(out, "c", 2.25),
                Outcome(Job(out / "d.mp4", "auto", ("left",), "", out / "d"), batch.FAILED,
                        error="damaged")]  # fmt: skip
    batch.write_summary([batch.summary_row(o, out) for o in outcomes], out)
    browser = launch(playwright)
    try:
        page = browser.new_page()
        page.goto((out / batch.SUMMARY_HTML).as_uri())
        names = "tbody tr td:first-child"

        def videos() -> list[str]:
            return [text.rsplit("/", 1)[-1] for text in page.locator(names).all_inner_texts()]

        assert videos() == ["b.mp4", "a.mp4", "c.mp4", "d.mp4"]
        page.click("th:text-is('good_form_left_s')")
        assert videos() == ["c.mp4", "b.mp4", "a.mp4", "d.mp4"]  # numbers, not text; blanks last
        page.click("th:text-is('good_form_left_s')")
        assert videos()[:3] == ["a.mp4", "b.mp4", "c.mp4"]
        page.click("th:text-is('status')")
        assert videos()[:3] == ["a.mp4", "b.mp4", "c.mp4"] and videos()[3] == "d.mp4"
        link = page.locator("tr:has-text('a.mp4') a:text-is('report')")
        link.click()
        page.wait_for_url("**/a/report.json")
        assert json.loads(page.inner_text("body"))["good_form_s"]["left"] == 12.0
    finally:
        browser.close()
