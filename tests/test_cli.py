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
    assert outputs(out) == {"report.json", "angles.csv", "annotated.png"}  # a picture, no video
    assert report["judged"] is True and report["posture"] == "all_fours"
    assert "verdict:" in capsys.readouterr().out


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
        (
            "clip.mp4",
            lambda p: p.write_text("hello, I am not a video\n"),
            "clip.mp4 is a text file",
        ),
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


def _as_in_a_terminal() -> None:
    """Ctrl-C's signal handled as in a terminal, however the test run was started (a run started
    in the background with ``&`` or nohup ignores SIGINT, and its children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def cli(*args: str, **popen) -> subprocess.Popen:
    """``python -m pose_coach.cli ARGS`` in a process of its own."""
    return subprocess.Popen([sys.executable, "-m", "pose_coach.cli", *args], cwd=ROOT,
                            text=True, preexec_fn=_as_in_a_terminal, **popen)  # fmt: skip


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory) -> Path:
    """Two seconds of the kneeling good-form sample, from inside its first hold."""
    from pose_coach.input.video import VideoWriter, iter_frames

    source = good_video()
    path = tmp_path_factory.mktemp("clip") / "short.mp4"
    frames = (rgb for rgb, t in iter_frames(source) if t >= 6.0)
    with VideoWriter(path, 640, 480, 30.0) as writer:
        for rgb, _ in zip(frames, range(60), strict=False):
            writer.write(rgb)
    return path


def wait_until_loading(process: subprocess.Popen) -> None:
    """Wait until the program's own code runs: it has begun to load numpy, which only the
    program's own imports load. (A Ctrl-C before that falls in Python's own start-up, which here
    imports the site's packages for a quarter of a second or more, out of the program's hands.)"""
    deadline = time.monotonic() + 60
    maps = Path(f"/proc/{process.pid}/maps")
    while time.monotonic() < deadline and process.poll() is None:
        if "numpy" in maps.read_text():
            return
        time.sleep(0.01)
    raise AssertionError("the program never began to load its libraries")


# When Ctrl-C comes: as the program begins to load its libraries (the model, video and judging
# ones take a second or more), during that, as the review starts, and well into the review (the
# output folder is there). Delays count from the start of loading.
@pytest.mark.parametrize("moment", ["0.0 s", "0.5 s", "1.0 s", "2.0 s", "in the review"])
def test_ctrl_c_at_any_moment_exits_130_with_one_line_and_leaves_nothing(tmp_path, moment):
    video = good_video()
    out = tmp_path / "reviews" / "out"  # neither folder exists yet: the review makes both
    process = cli("review", str(video), "--stretch", "kneeling_psoas", "--out", str(out),
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    if moment == "in the review":
        deadline = time.monotonic() + 60
        while not out.exists() and time.monotonic() < deadline:  # started writing into it
            time.sleep(0.05)
        assert out.exists(), "the review never started"
        time.sleep(1.5)
    else:
        wait_until_loading(process)
        time.sleep(float(moment.split()[0]))
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == "pose-coach: interrupted; nothing was written"
    assert all(line.startswith("reviewing:") for line in lines[:-1]), err  # progress at most
    assert not (tmp_path / "reviews").exists()  # no file, no folder: not even the parent


def test_progress_in_a_log_is_a_line_each_tenth_without_carriage_returns(tmp_path, short_clip):
    out = tmp_path / "out"
    process = cli("review", str(short_clip), "--stretch", "kneeling_psoas", "--out", str(out),
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    summary, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "\r" not in err
    progress = [line for line in err.splitlines() if line.startswith("reviewing:")]
    assert 5 <= len(progress) <= 11 and progress[-1].startswith("reviewing: 100%")
    assert "wrote" in summary


def test_progress_on_a_terminal_is_a_tqdm_bar(tmp_path, short_clip):
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    process = cli("review", str(short_clip), "--stretch", "kneeling_psoas", "--out",
                  str(tmp_path / "out"), stdout=subprocess.DEVNULL, stderr=follower)  # fmt: skip
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the program ended and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.wait(timeout=120) == 0
    text = shown.decode(errors="replace")
    assert "\r" in text and "reviewing:" in text  # redrawn in place
    assert "60/60" in text and "frames/s" in text  # tqdm's count and rate


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
