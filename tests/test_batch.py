"""``pose-coach review-batch``: which videos, the summary, Ray kept out of the app and of single
reviews, and (slow) a real batch on Ray with the real model: a broken file, an unplaceable video, a
resumed run, and reports identical to single ``pose-coach review`` runs."""

from __future__ import annotations

import ast
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pose_coach import batch
from pose_coach.batch import BatchError, Job, Outcome, find_jobs
from pose_coach.cli import main
from pose_coach.input.video import VideoWriter, iter_frames, probe

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_videos"
STILL = ROOT / "tests" / "data" / "person_kneeling_side.png"


@pytest.fixture(autouse=True)
def user_home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSE_COACH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


# -- which videos --------------------------------------------------------------------------------


def test_folders_are_searched_for_videos_and_names_never_collide(tmp_path):
    a = touch(tmp_path / "in" / "a.mp4")
    b = touch(tmp_path / "in" / "sub" / "b.MOV")
    touch(tmp_path / "in" / "notes.txt")
    touch(tmp_path / "in" / ".hidden.mp4")
    other_a = touch(tmp_path / "elsewhere" / "a.mp4")
    out = tmp_path / "out"
    jobs = find_jobs([tmp_path / "in", other_a], "kneeling_psoas", out)
    assert [(j.video, j.out_dir) for j in jobs] == [
        (a, out / "a"), (b, out / "b"), (other_a, out / "a-2")
    ]  # fmt: skip
    assert all(j.stretch == "kneeling_psoas" and j.sides == ("left", "right") for j in jobs)


def test_a_folder_holding_the_output_does_not_review_the_outputs(tmp_path):
    touch(tmp_path / "a.mp4")
    touch(tmp_path / "out" / "a" / "annotated.mp4")
    jobs = find_jobs([tmp_path], "auto", tmp_path / "out")
    assert [j.video.name for j in jobs] == ["a.mp4"]


def test_a_manifest_gives_stretch_sides_and_person_per_video(tmp_path):
    touch(tmp_path / "videos" / "x.mp4")
    touch(tmp_path / "videos" / "y.mp4")
    manifest = tmp_path / "clinic.csv"
    manifest.write_text("path,stretch,sides,person\n"
                        "videos/x.mp4,lying_psoas,right left,ana\n"
                        "videos/y.mp4,,,\n")  # fmt: skip
    x, y = find_jobs([manifest], "auto", tmp_path / "out")
    assert (x.video, x.stretch, x.sides, x.person) == (
        tmp_path / "videos" / "x.mp4", "lying_psoas", ("right", "left"), "ana"
    )  # fmt: skip
    assert (y.stretch, y.sides, y.person) == ("auto", ("left", "right"), "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # A column the manifest does not know: named, with the ones it knows.
        ("path,patient\nx.mp4,ana\n", "found path, patient"),
        # No path column at all.
        ("video\nx.mp4\n", "'path' column"),
        # A stretch that does not exist: the line is named.
        ("path,stretch\nx.mp4,yoga\n", "line 2"),
        # A side that is not left or right.
        ("path,sides\nx.mp4,up\n", "sides must be left and/or right"),
    ],
)
def test_a_bad_manifest_stops_the_batch_before_it_starts_and_says_why(tmp_path, text, message):
    manifest = tmp_path / "m.csv"
    manifest.write_text(text)
    with pytest.raises(BatchError, match=message):
        find_jobs([manifest], "auto", tmp_path / "out")


def test_missing_inputs_and_unknown_stretches_are_errors_with_exit_status_2(tmp_path, capsys):
    assert main(["review-batch", str(tmp_path / "nope"), "--stretch", "auto",
                 "--out", str(tmp_path / "out")]) == 2  # fmt: skip
    assert "no such file or folder" in capsys.readouterr().err
    touch(tmp_path / "a.mp4")
    assert main(["review-batch", str(tmp_path), "--stretch", "yoga",
                 "--out", str(tmp_path / "out")]) == 2  # fmt: skip
    assert "yoga" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_without_ray_review_batch_says_how_to_install_it(tmp_path, monkeypatch):
    from pose_coach import batch_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails
    with pytest.raises(BatchError, match=r'pip install -e "\.\[cluster\]"'):
        batch_ray.connect(None, 1)


# -- the summary ---------------------------------------------------------------------------------


def test_the_summary_page_escapes_names_and_sorts_by_any_heading(tmp_path):
    job = Job(tmp_path / "<b>.mp4", "auto", ("left",), "O'Neil & co", tmp_path / "out" / "b")
    rows = [batch.summary_row(Outcome(job, batch.FAILED, error="bad <file>"), tmp_path / "out")]
    page = batch.summary_html(rows)
    assert "&lt;b&gt;.mp4" in page and "O&#x27;Neil &amp; co" in page and "bad &lt;file&gt;" in page
    assert "<b>" not in page
    assert 'addEventListener("click"' in page  # the headings sort the table
    assert "1 failed" in page


# -- Ray stays out of the app and of single reviews ------------------------------------------------


def _module_level_imports(path: Path) -> set[str]:
    """Modules imported when ``path`` is imported (not those imported inside functions)."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _source(module: str) -> Path | None:
    base = ROOT / Path(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _reachable(roots: list[Path]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        for name in _module_level_imports(todo.pop()):
            if name in seen:
                continue
            seen.add(name)
            if name.startswith(("pose_coach", "pose_coach_app")) and (path := _source(name)):
                todo.append(path)
    return seen


@pytest.mark.parametrize(
    "roots",
    [
        [
            "app.py",
            "app_pages.py",
            *(f"pose_coach_app/pages/{p}.py" for p in ("live", "review", "tune", "history")),
        ],
        ["pose_coach/review.py", "pose_coach/cli.py"],
    ],
    ids=["the app", "single review"],
)
def test_the_app_and_single_review_never_import_ray(roots):
    reached = _reachable([ROOT / r for r in roots])
    assert not {n for n in reached if n == "ray" or n.startswith("ray.")}
    assert not {n for n in reached if n.startswith(("pose_coach.batch", "tqdm"))}


def test_only_the_ray_runner_imports_ray_at_all():
    importers = set()
    for path in sorted((ROOT / "pose_coach").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])  # fmt: skip
            if any(n == "ray" or n.startswith("ray.") for n in names):
                importers.add(path.name)
    assert importers == {"batch_ray.py"}


def test_a_single_review_runs_without_loading_ray(tmp_path):
    code = (f"import sys; from pose_coach.cli import main; "
            f"assert main(['review', {str(STILL)!r}, '--stretch', 'kneeling_psoas', "
            f"'--out', {str(tmp_path / 'out')!r}]) == 0; "
            f"assert 'ray' not in sys.modules, 'ray was imported'")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


# -- a real batch on Ray (slow) --------------------------------------------------------------------


def cut(source: Path, target: Path, start_s: float, end_s: float) -> Path:
    """Seconds ``start_s`` to ``end_s`` of a sample video, re-encoded as a video of its own."""
    if not source.exists():
        pytest.skip(f"{source.name} is not rendered yet")
    info = probe(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    with VideoWriter(target, info.width, info.height, info.fps) as writer:
        for rgb, t in iter_frames(source):
            if t >= end_s:
                break
            if t >= start_s:
                writer.write(rgb, t - start_s)
    return target


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> dict[str, Path]:
    """A folder of uploads (a held kneeling stretch, a front view, a broken file) and a manifest
    naming a lying stretch for a patient, a few seconds each: the holds start 4.5 s in."""
    root = tmp_path_factory.mktemp("clinic")
    uploads = root / "uploads"
    videos = {
        "kneeling": cut(SAMPLES / "kneeling_psoas_good.mp4", uploads / "kneeling.mp4", 3.0, 11.0),
        "front": cut(SAMPLES / "standing_psoas_good_front.mp4", uploads / "front.mp4", 3.0, 7.0),
        "lying": cut(SAMPLES / "lying_psoas_good.mp4", root / "ana" / "lying.mp4", 3.0, 9.0),
    }
    whole = (uploads / "kneeling.mp4").read_bytes()
    (uploads / "broken.mp4").write_bytes(whole[: len(whole) // 20])  # an upload cut short
    manifest = root / "manifest.csv"
    manifest.write_text("path,stretch,sides,person\nana/lying.mp4,lying_psoas,left,ana\n")
    return {**videos, "uploads": uploads, "manifest": manifest}


def read_summary(out: Path) -> dict[str, dict[str, str]]:
    with (out / batch.SUMMARY_CSV).open() as file:
        return {Path(row["video"]).name: row for row in csv.DictReader(file)}


@pytest.mark.slow
def test_a_batch_on_ray_isolates_failures_resumes_and_matches_single_reviews(clinic, tmp_path):
    from pose_coach.history import list_sessions

    out = tmp_path / "batch"
    args = ["review-batch", str(clinic["uploads"]), str(clinic["manifest"]), "--stretch", "auto",
            "--out", str(out), "--workers", "2", "--history"]  # fmt: skip
    assert main(args) == 1  # some videos could not be reviewed
    rows = read_summary(out)
    assert {name: row["status"] for name, row in rows.items()} == {
        "broken.mp4": "failed", "front.mp4": "unplaced", "kneeling.mp4": "done", "lying.mp4": "done"
    }  # fmt: skip
    assert "damaged or incomplete" in rows["broken.mp4"]["error"]
    assert "could not tell which stretch" in rows["front.mp4"]["error"]
    assert not (out / "broken").exists() and not (out / "front").exists()  # nothing half-written
    kneeling, lying = rows["kneeling.mp4"], rows["lying.mp4"]
    assert (kneeling["stretch"], kneeling["stretch_from"]) == ("kneeling_psoas", "recognised")
    assert (lying["stretch"], lying["stretch_from"], lying["person"]) == (
        "lying_psoas",
        "given",
        "ana",
    )
    assert float(kneeling["good_form_left_s"]) > 5 and float(lying["good_form_left_s"]) > 3
    page = (out / batch.SUMMARY_HTML).read_text()
    assert 'href="kneeling/annotated.mp4"' in page and 'href="lying/report.json"' in page
    assert sorted(s.record.source for s in list_sessions()) == ["kneeling.mp4", "lying.mp4"]

    # The same videos reviewed one by one: identical reports and angle tables.
    for name, stretch in (("kneeling", "kneeling_psoas"), ("lying", "lying_psoas")):
        single = tmp_path / "single" / name
        side = ["--side", "left"] if name == "lying" else []
        assert main(["review", str(clinic[name]), "--stretch", stretch, "--out", str(single),
                     *side]) == 0  # fmt: skip
        for file in ("report.json", "angles.csv"):
            assert (out / name / file).read_bytes() == (single / file).read_bytes(), file
        report = json.loads((single / "report.json").read_text())
        assert float(rows[f"{name}.mp4"]["good_form_left_s"]) == report["good_form_s"]["left"]

    # Stopped part way (the lying video's outputs never appeared) and run again: the finished
    # video is skipped untouched, the rest is reviewed, and the summary says the same.
    kneeling_report = out / "kneeling" / "report.json"
    written = kneeling_report.stat().st_mtime_ns
    for file in (out / "lying").iterdir():
        file.unlink()
    assert main(args) == 1
    again = read_summary(out)
    assert kneeling_report.stat().st_mtime_ns == written
    assert again["kneeling.mp4"] == {**kneeling, "status": "skipped"}
    assert again["lying.mp4"] == lying
    assert again["broken.mp4"]["status"] == "failed"
    assert len(list_sessions()) == 3  # the lying video's new review, saved once more
