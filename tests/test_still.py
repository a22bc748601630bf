"""A still photo's verdict, with the real pose model on frames cut from the rendered sample videos
at moments their truth names (``tools/make_test_photos.py``; the truth is in photos.json)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import pytest

from pose_coach.cli import main
from pose_coach.events import Fault
from pose_coach.judge.reference import get_reference
from pose_coach.judge.still import judge_still
from pose_coach.measure.angles import Angles
from pose_coach.measure.measurement import Measurement
from pose_coach.measure.view import BodyView
from tests.coach_factories import KNEELING, angles_for

PHOTOS = Path(__file__).resolve().parent / "data" / "photos"
TRUTH = json.loads((PHOTOS / "photos.json").read_text())


@pytest.fixture(autouse=True)
def user_home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSE_COACH_HOME", str(tmp_path / "home"))


def review(photo: str, tmp_path: Path, *extra: str) -> tuple[dict, str]:
    truth = TRUTH[photo]
    out = tmp_path / Path(photo).stem
    code = main(["review", str(PHOTOS / photo), "--stretch", truth["stretch"], "--out", str(out),
                 *extra])  # fmt: skip
    assert code == 0
    return json.loads((out / "report.json").read_text()), str(out)


# Photos from the side: the working side comes from the pose (which leg is in the stretch), and
# the faults are those true at that moment.
@pytest.mark.parametrize("photo", [p for p in TRUTH if TRUTH[p]["view"] == "side"])
def test_a_photo_gets_the_verdict_its_truth_gives(photo, tmp_path, capsys):
    truth = TRUTH[photo]
    report, out = review(photo, tmp_path)
    assert report["judged"] is True
    assert report["side"] == truth["side"]
    assert report["posture"] == get_reference(truth["stretch"]).posture
    assert [f["kind"] for f in report["faults"]] == truth["faults"]
    assert report["form_ok"] is (not truth["faults"])
    assert report["holds"] == [] and report["events"] == []  # a photo is no hold: nothing missing
    for angle in report["angles"]:
        assert set(angle) >= {"angle", "value", "target", "tolerance", "ok"}
        if angle["ok"] is not None:  # judged: ok is exactly "inside the tolerance"
            assert angle["ok"] == (abs(angle["value"] - angle["target"]) <= angle["tolerance"])
    printed = capsys.readouterr().out
    assert ("verdict: good form" in printed) == (not truth["faults"])
    for fault in report["faults"]:
        assert fault["cue"] in printed
    image = cv2.imread(str(Path(out) / "annotated.png"))
    assert image is not None and image.shape[:2] == (480, 640)
    assert not (Path(out) / "annotated.mp4").exists()


def test_the_side_given_overrides_the_pose(tmp_path):
    report, _ = review("kneeling_good_left.jpg", tmp_path, "--side", "right")
    # Judged as the right leg working: the left leg is the one back, so the right is not in the
    # stretch's position.
    assert report["side"] == "right" and report["judged"] is False
    assert "Not in the stretch" in report["message"]


def test_a_photo_from_a_view_the_stretch_is_not_judged_from_says_so(tmp_path, capsys):
    report, _ = review("standing_front_left.jpg", tmp_path)
    assert report["view"] == "front" and report["judged"] is False and report["form_ok"] is False
    assert "front view" in report["message"] and "side" in report["message"]
    assert "cannot be judged: This photo is a front view" in capsys.readouterr().out


# Rules with literal angles: the trunk first, unseen angles not judged, no person, wrong posture.
SIDE_VIEW = BodyView("side", "right", "all_fours")


def still(angles: Angles | None, view: BodyView | None = SIDE_VIEW):
    return judge_still(Measurement(0.0, angles, view if angles is not None else None), KNEELING)


def good(**changes: float) -> Angles:
    values = {name: check.target for name, check in KNEELING.angles.items()}
    values.update(other_hip=90.0, other_knee=90.0, **changes)
    return angles_for("left", **values)


def test_the_trunk_is_judged_first_and_angles_taken_against_it_are_not():
    verdict = still(good(trunk=110.0, working_hip=30.0))
    by_role = {a.role: a for a in verdict.angles}
    assert by_role["trunk"].fault is Fault.TRUNK_MISALIGNED
    assert by_role["working_hip"].ok is None  # off with the trunk: not judged
    assert [kind for kind, _ in verdict.faults] == [Fault.TRUNK_MISALIGNED]


def test_an_unseen_angle_is_not_judged_and_not_a_fault():
    verdict = still(good(other_shoulder=math.nan))
    assert {a.role: a.ok for a in verdict.angles}["other_shoulder"] is None
    assert verdict.form_ok


def test_no_person_and_another_posture_are_not_judged():
    assert not still(None).judged
    standing = still(good(), BodyView("side", "right", "standing"))
    assert not standing.judged and "on all fours" in standing.message
