"""The review core: ``coach_video`` is a plain function of (frames, detector, reference, settings)
whose result is frozen, typed and picklable, and the core imports no UI and no file writer."""

from __future__ import annotations

import ast
import pickle
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pose_coach.coach import CoachingRun, Pace, VideoFacts, coach_video, rejudge
from pose_coach.config import Settings
from pose_coach.events import Fault
from pose_coach.judge.session import FrameResult
from tests.coach_factories import KNEELING, kneeling

PACKAGE = Path(__file__).resolve().parent.parent / "pose_coach"
CORE = [
    "coach.py",
    "recognise.py",
    "terms.py",
    "geometry.py",
    "events.py",
    "config.py",
    "measure",
    "judge",
]
FORBIDDEN = ("streamlit", "pose_coach_app", "pose_coach.output", "pose_coach.review", "cv2", "av",
             "mediapipe", "pose_coach.input.video", "pose_coach.input.pose")  # fmt: skip


class FakeDetector:
    """A picklable detector: the kneeling stretch held in good form, the back leg too high
    between 6 and 10 s."""

    def __call__(self, rgb: np.ndarray, t: float):
        return kneeling(t, working_hip_offset=-25.0 if 6.0 <= t < 10.0 else 0.0)


def frames(seconds: float = 16.0, fps: float = 30.0):
    blank = np.zeros((48, 64, 3), np.uint8)
    return [(blank, n / fps) for n in range(int(seconds * fps))]


def coach(clip=None) -> CoachingRun:
    return coach_video(clip or frames(), detector=FakeDetector(), reference=KNEELING,
                       settings=Settings(), sides=("left",))  # fmt: skip


def test_a_run_holds_every_frame_the_holds_and_the_faults():
    run = coach()
    assert len(run.frames) == 16 * 30 and all(isinstance(f, FrameResult) for f in run.frames)
    assert run.frames_with_pose == len(run.frames)
    assert [h.side for h in run.holds] == ["left"]
    assert [e.kind for e in run.events if e.kind is not Fault.HOLD_TOO_SHORT] == [Fault.TOO_DEEP]
    assert run.video.width == 64 and run.video.height == 48 and run.video.fps == pytest.approx(30)


def test_the_run_is_frozen():
    run = coach()
    with pytest.raises(AttributeError):
        run.frames = ()  # type: ignore[misc]


def test_the_run_round_trips_through_pickle():
    run = coach()
    again = pickle.loads(pickle.dumps(run))
    assert again.events == run.events and again.holds == run.holds
    assert [f.phase for f in again.frames] == [f.phase for f in run.frames]


def test_coach_video_runs_in_a_worker_process_with_the_same_result():
    here = coach()
    with ProcessPoolExecutor(max_workers=1) as pool:
        there = pool.submit(coach_video, frames(), detector=FakeDetector(), reference=KNEELING,
                            settings=Settings(), sides=("left",)).result()  # fmt: skip
    assert there.events == here.events and there.holds == here.holds


def test_video_facts_given_are_kept():
    facts = VideoFacts("clip.mp4", 640, 480, 30.0, 16.0, 480)
    run = coach_video(frames(), detector=FakeDetector(), reference=KNEELING, video=facts)
    assert run.video == facts


def test_rejudging_with_a_wider_tolerance_clears_the_fault_without_the_model():
    run = coach()
    wide = KNEELING.angles | {"working_hip": replace(KNEELING.angles["working_hip"], tolerance=40)}
    again = rejudge(run, replace(KNEELING, angles=wide))
    assert Fault.TOO_DEEP not in {e.kind for e in again.events}
    assert [f.measurement for f in again.frames] == [f.measurement for f in run.frames]


class CountingDetector:
    """Records the times it was asked about; finds nobody in the first second, then the kneeling
    stretch with the back hip swinging 15 degrees either way every 2 s."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def __call__(self, rgb: np.ndarray, t: float):
        self.times.append(t)
        return kneeling(t, working_hip_offset=15.0 * np.sin(np.pi * t)) if t >= 1.0 else None


@pytest.mark.parametrize("fps, every", [(30, 2), (25, 2), (24, 2), (60, 4), (10, 1)])
def test_the_model_sees_about_15_frames_a_second_and_the_judge_every_frame(fps, every):
    inner = CountingDetector()
    clip = frames(4.0, fps)
    run = coach_video(
        clip, detector=inner, reference=KNEELING, settings=Settings(), sides=("left",)
    )
    assert inner.times == [t for _, t in clip[::every]]
    assert [f.timestamp_s for f in run.frames] == [t for _, t in clip]
    found = int(fps) + every  # the first frame seen with the person, or after it
    assert not any(f.measurement.person for f in run.frames[: int(fps)])  # nobody held as nobody
    assert all(f.measurement.person for f in run.frames[found:])
    every_frame = coach_video(clip, detector=CountingDetector(), reference=KNEELING,
                              settings=Settings(analysis_fps=0), sides=("left",))  # fmt: skip
    assert len(inner.times) < len(clip) or every == 1
    for paced, full in zip(run.frames[found:], every_frame.frames[found:], strict=True):
        if paced.timestamp_s < 1.5:
            continue  # the jitter filter settles on the person's first poses
        if paced.timestamp_s > inner.times[-1]:
            break  # after the last frame seen the pose is held
        # Between two frames seen, the pose is on the line between them: the angles follow.
        assert paced.angles.hip_left == pytest.approx(full.angles.hip_left, abs=0.5)


def test_a_pose_between_two_frames_seen_is_on_the_line_between_them():
    a, b = kneeling(1.0), kneeling(1.2, working_hip_offset=20.0)
    mid = a.toward(b, 1.05)
    assert mid.timestamp_s == 1.05
    assert np.allclose(mid.image, 0.75 * a.image + 0.25 * b.image)
    assert np.allclose(mid.world, 0.75 * a.world + 0.25 * b.world)
    held = a.toward(None, 1.05)
    assert held.timestamp_s == 1.05 and np.array_equal(held.image, a.image)


def test_the_pace_keeps_its_rate_through_jitter_and_zero_means_every_frame():
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.028, 0.039, 300))
    pace = Pace(15.0)
    due = [t for t in times if pace.due(float(t))]
    assert 0.45 < len(due) / len(times) < 0.55
    assert min(np.diff(due)) >= 0.85 / 15
    every = Pace(0.0)
    assert all(every.due(float(t)) for t in times)


def test_the_pace_analyses_again_when_time_goes_backwards():
    pace = Pace(15.0)
    assert [pace.due(t) for t in (2.0, 2.01, 1.5, 1.51)] == [True, False, True, False]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("part", CORE)
def test_the_core_imports_no_ui_no_writer_and_no_model(part):
    paths = [PACKAGE / part] if part.endswith(".py") else sorted((PACKAGE / part).glob("*.py"))
    for path in paths:
        bad = {name for name in _imports(path)
               if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)}  # fmt: skip
        assert not bad, f"{path.name} imports {sorted(bad)}"
