"""The command line end to end: the real model on real pictures and videos of a person."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pose_coach.cli import main
from pose_coach.review import REPORT_NAME

ROOT = Path(__file__).resolve().parent.parent
STILL = ROOT / "tests" / "data" / "person_kneeling_side.png"
SAMPLES = ROOT / "sample_videos"
REPORT_KEYS = {"stretch", "fps", "duration_s", "frames", "frames_with_pose", "holds", "events"}


@pytest.fixture(autouse=True)
def user_home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSE_COACH_HOME", str(tmp_path / "home"))


def good_video(stretch: str = "kneeling_psoas") -> Path:
    path = SAMPLES / f"{stretch}_good.mp4"
    if not path.exists():
        pytest.skip(f"{path.name} is not rendered yet")
    return path


def outputs(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_stretches_lists_the_four_stretches(capsys):
    assert main(["stretches"]) == 0
    listed = capsys.readouterr().out
    for stretch in ("kneeling_psoas", "lying_psoas", "standing_psoas", "half_kneeling_hip_flexor"):
        assert stretch in listed


def test_review_of_a_still_image(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["review", str(STILL), "--stretch", "kneeling_psoas", "--out", str(out)]) == 0
    report = json.loads((out / REPORT_NAME).read_text())
    assert set(report) >= REPORT_KEYS
    assert report["frames"] == 1 and report["frames_with_pose"] == 1
    rows = list(csv.DictReader((out / "angles.csv").open()))
    assert len(rows) == 1
    assert float(rows[0]["hip_left"]) == pytest.approx(-2.8, abs=8)  # the truth: -2.8 degrees
    assert float(rows[0]["trunk"]) == pytest.approx(79.7, abs=8)
    assert outputs(out) == {"report.json", "angles.csv", "annotated.mp4"}


@pytest.mark.slow
def test_review_of_a_good_video_finds_both_holds_and_no_fault(tmp_path, capsys):
    video = good_video()
    out = tmp_path / "out"
    assert main(["review", str(video), "--stretch", "kneeling_psoas", "--out", str(out)]) == 0
    report = json.loads((out / REPORT_NAME).read_text())
    assert set(report) >= REPORT_KEYS
    assert sorted(h["side"] for h in report["holds"]) == ["left", "right"]
    # The sample holds each side for exactly 30 s of good form; the timer counts good form from
    # half a second in the zone until the release, within a second of the truth either way (the
    # body-plane angles are in band a little earlier while settling in than the image angles were).
    assert all(29 <= h["good_form_s"] <= 31 for h in report["holds"])
    assert report["events"] == []
    assert report["frames_with_pose"] >= 0.95 * report["frames"]
    rows = list(csv.DictReader((out / "angles.csv").open()))
    assert len(rows) == report["frames"]
    import av

    with av.open(str(out / "annotated.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.frames == report["frames"]
    summary = capsys.readouterr().out
    assert "left" in summary and "right" in summary


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("notes.txt", lambda p: p.write_text("hello, I am not a video\n"), "not a video"),
        ("clip.mp4", lambda p: p.write_text("hello, I am not a video\n"), "damaged"),
        ("clip.mp4", lambda p: p.write_bytes(b""), "empty"),
        ("clip.mp4", lambda p: None, "no such file"),
    ],
)
def test_bad_input_is_a_clear_error_with_no_output(tmp_path, capsys, name, make, message):
    video = tmp_path / name
    make(video)
    out = tmp_path / "out"
    assert main(["review", str(video), "--stretch", "kneeling_psoas", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "error" in error and message in error.lower()
    assert not outputs(out)


def test_a_truncated_video_is_a_clear_error_or_a_partial_review(tmp_path, capsys):
    source = good_video().read_bytes()
    video = tmp_path / "cut.mp4"
    video.write_bytes(source[: len(source) // 50])  # the header and the first few frames at most
    out = tmp_path / "out"
    code = main(["review", str(video), "--stretch", "kneeling_psoas", "--out", str(out)])
    if code == 0:
        assert outputs(out) == {"report.json", "angles.csv", "annotated.mp4"}
    else:
        assert code == 2 and "error" in capsys.readouterr().err and not outputs(out)


def test_an_unknown_stretch_lists_the_known_ones(tmp_path, capsys):
    code = main(["review", str(STILL), "--stretch", "cobra", "--out", str(tmp_path / "out")])
    assert code == 2
    assert "unknown stretch 'cobra'" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_an_unwritable_output_folder_is_a_clear_error(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code = main(["review", str(STILL), "--stretch", "kneeling_psoas", "--out", str(locked / "x")])
    assert code == 2 and "cannot write" in capsys.readouterr().err


def test_an_output_path_that_is_a_file_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(["review", str(STILL), "--stretch", "kneeling_psoas", "--out", str(blocker / "x")])
    assert code == 2 and "cannot write to the output folder" in capsys.readouterr().err


def test_ctrl_c_stops_the_review_and_leaves_no_output(tmp_path):
    video = good_video()
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "pose_coach.cli", "review", str(video), "--stretch",
         "kneeling_psoas", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not out.exists() and time.monotonic() < deadline:  # started writing into it
        time.sleep(0.1)
    time.sleep(2.0)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted" in err
    assert outputs(out) == set()  # not even the temporary folder


@pytest.mark.slow
def test_review_with_history_saves_the_session_and_its_range_of_motion(tmp_path, capsys):
    """14 s of the good kneeling sample (the left hold runs from 4.5 s, so about 9 s of it), the
    real model: the review is saved for the person with the hip extension it reached, close to
    the true angle the video was rendered with."""
    from pose_coach import history
    from pose_coach.evaluate import load_truth
    from pose_coach.input.video import VideoWriter, iter_frames

    video = good_video()
    clip = tmp_path / "clip.mp4"
    with VideoWriter(clip, 640, 480, 30.0) as writer:
        for rgb, t in iter_frames(video):
            if t >= 14.0:
                break
            writer.write(rgb)
    argv = ["review", str(clip), "--stretch", "kneeling_psoas", "--out", str(tmp_path / "out"),
            "--no-annotate", "--history", "--person", "sam", "--date", "2026-11-02T18:00"]  # fmt: skip
    assert main(argv) == 0
    assert "saved to the history of sam" in capsys.readouterr().out
    [stored] = history.list_sessions(person="sam")
    record = stored.record
    assert record.kind == "review" and record.source == "clip.mp4"
    assert record.started_at.astimezone().strftime("%Y-%m-%d %H:%M") == "2026-11-02 18:00"
    [hold] = record.holds
    assert hold.side == "left" and hold.rom_median_deg is not None
    truth = load_truth(video)
    fps = truth["fps"]
    true_hip = truth["angles"]["hip_left"][round(hold.start_s * fps) : round(hold.end_s * fps)]
    true_extension = -sorted(true_hip)[len(true_hip) // 2]
    # Measured on this change: 1.7 degrees against a true 2.6. The README's hip error on the test
    # split is 7-8 degrees (MAE) over all camera placements; from the exact side at hip height, as
    # here, it is smaller.
    assert hold.rom_median_deg == pytest.approx(true_extension, abs=4)
    assert hold.rom_median_deg <= hold.rom_best_deg


def test_person_and_date_without_history_are_refused_before_reviewing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["review", str(STILL), "--stretch", "kneeling_psoas", "--out", str(out),
                 "--person", "sam"]) == 2  # fmt: skip
    assert "add --history" in capsys.readouterr().err
    assert not out.exists()
