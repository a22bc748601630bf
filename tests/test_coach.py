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

from pose_coach.coach import CoachingRun, VideoFacts, coach_video, rejudge
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
