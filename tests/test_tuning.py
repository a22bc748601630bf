"""Tuning maths: the frames a tuned reference flags (the coach's own judgement), learning targets from steady frames, tuned
references (angles and the pelvis limits) that pass the schema."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pose_coach.judge.reference import parse_reference
from pose_coach.tuning import (
    MIN_LEARN_FRAMES,
    MIN_TOLERANCE_DEG,
    AngleTable,
    LearnError,
    angle_table,
    flagged_frames,
    flagged_states,
    learn_targets,
    tuned_reference,
)
from tests.coach_factories import KNEELING, kneeling_measurement, run_of

FPS = 30.0


def table(working_hip: list[float], judged: bool = True) -> AngleTable:
    """A clip's table with the given working hip angles (30 fps)."""
    n = len(working_hip)
    return AngleTable(np.arange(n) / FPS, ("left",) * n, np.full(n, judged),
                      {"working_hip": np.array(working_hip, dtype=float)})  # fmt: skip


def hold(hip_offset_between: tuple[float, float], offset: float = 30.0):
    """All fours 2 s, into the left stretch over 2 s, held 20 s with the back leg ``offset``
    degrees short between the two times (seconds from the start)."""
    rng = np.random.default_rng(3)
    frames = []
    for i in range(int(24 * FPS)):
        t = i / FPS
        amount = float(np.clip((t - 2.0) / 2.0, 0.0, 1.0))
        start, end = hip_offset_between
        frames.append(kneeling_measurement("left", amount, offset if start <= t < end else 0.0,
                                           t=t, rng=rng))  # fmt: skip
    return run_of(frames, sides=("left",))


def test_table_names_angles_for_each_frames_working_side():
    run = hold((0, 0))
    angles = angle_table(run)
    held = angles.judged
    assert held.any() and not held[:30].any()  # on all fours first: not in a hold
    working = angles.values["working_hip"][held]
    target = KNEELING.angles["working_hip"].target
    assert np.nanmedian(working) == pytest.approx(target, abs=1.0)
    assert set(angles.side) == {"left"}


def test_flags_are_the_coachs_own_judgement_and_follow_the_tuned_reference():
    run = hold((10.0, 14.0))  # 30 degrees short (2.5 tolerances) for 4 s mid-hold
    states = flagged_states(run, KNEELING)
    flagged = flagged_frames(states)
    times = np.array([f.timestamp_s for f in run.frames])
    assert flagged[(times > 10.5) & (times < 13.5)].all()
    assert not flagged[(times > 5.0) & (times < 9.5) | (times > 15.0)].any()  # held in band
    assert (states["working_hip"][flagged] == 1).all()  # short of the target: too high a value
    hip = KNEELING.angles["working_hip"]
    wide = tuned_reference(KNEELING, {"working_hip": (hip.target, 40.0)})
    assert not flagged_frames(flagged_states(run, wide))[times > 5.0].any()


def test_learning_covers_the_steady_frames_widened_by_the_hysteresis():
    rng = np.random.default_rng(0)
    steady = list(-3.0 + rng.normal(0, 2.0, 300))  # 10 s of a hold with 2 degrees of noise
    [(target, tolerance)] = learn_targets(
        table(steady), ["working_hip"], hysteresis_deg=2.0
    ).values()
    assert target == pytest.approx(-3.0, abs=0.5)
    # The central 99% of a normal spread is 2.58 standard deviations each way, plus the hysteresis.
    assert tolerance == pytest.approx(2.58 * 2.0 + 2.0, rel=0.15)


def test_learning_fits_a_skewed_hold_not_its_median():
    # A hold mostly at -16 degrees, easing in from -6 for its first 3 s: a band of a few standard
    # deviations about the median (-16 +- 5) flagged the easing; the learned band holds both.
    values = list(np.linspace(-6.0, -16.0, 90)) + [-16.0] * 600
    [(target, tolerance)] = learn_targets(
        table(values), ["working_hip"], hysteresis_deg=2.0
    ).values()
    assert target - tolerance <= -16.0 - 2.0 and target + tolerance >= -6.0


def test_learning_leaves_out_moving_frames_and_floors_the_tolerance():
    # A still hold at 0 degrees, then a fast swing (100 deg/s) that is not steady.
    values = [0.0] * 60 + [n * 100 / 30 for n in range(30)]
    [(target, tolerance)] = learn_targets(
        table(values), ["working_hip"], hysteresis_deg=2.0
    ).values()
    assert target == 0.0
    assert tolerance == MIN_TOLERANCE_DEG


def test_learning_needs_enough_steady_visible_frames():
    with pytest.raises(LearnError, match=str(MIN_LEARN_FRAMES)):
        learn_targets(table([0.0] * 10 + [math.nan] * 100), ["working_hip"], hysteresis_deg=2.0)


def test_an_angle_the_clip_hardly_shows_is_kept_and_the_others_learned():
    # The pose model may not see the far arm at all: the hip is still learned from the clip.
    n = 100
    clip = AngleTable(np.arange(n) / FPS, ("left",) * n, np.full(n, True),
                      {"working_hip": np.full(n, 10.0),
                       "other_shoulder": np.r_[np.full(20, 150.0), np.full(n - 20, np.nan)]})  # fmt: skip
    learned = learn_targets(clip, ["working_hip", "other_shoulder"], hysteresis_deg=2.0)
    assert list(learned) == ["working_hip"] and learned["working_hip"][0] == 10.0
    tuned = tuned_reference(KNEELING, learned)
    assert tuned.angles["other_shoulder"] == KNEELING.angles["other_shoulder"]


def test_targets_learned_from_a_clip_flag_fewer_of_its_frames():
    # A hold whose back leg sits 2 degrees past the shipped tolerance short of the target for its
    # first 8 s, then on target: the shipped band flags those 8 s; a band about the median (+-5)
    # flagged more; the learned band must flag fewer.
    run = hold((4.0, 12.0), offset=KNEELING.angles["working_hip"].tolerance + 2.0)
    shipped = int(flagged_frames(flagged_states(run, KNEELING)).sum())
    names = list(KNEELING.checks())
    learned = learn_targets(angle_table(run), names, hysteresis_deg=run.settings.hysteresis_deg)
    tuned = tuned_reference(KNEELING, learned)
    assert shipped > 0
    assert int(flagged_frames(flagged_states(run, tuned)).sum()) < shipped


def test_tuned_reference_changes_angles_and_pelvis_and_stays_valid():
    values = {"trunk": (80.0, 7.5), "pelvis_tilt": (15.0, 6.0)}
    tuned = tuned_reference(KNEELING, values)
    assert (tuned.angles["trunk"].target, tuned.angles["trunk"].tolerance) == (80.0, 7.5)
    assert tuned.hip_alignment.tilt == (15.0, 6.0)
    assert tuned.angles["working_hip"] == KNEELING.angles["working_hip"]
    assert list(tuned.checks()) == [*KNEELING.angles, "pelvis_tilt"]  # a tilt limit added
    assert parse_reference(tuned.to_dict()) == tuned
    assert tuned.hip_alignment.max_shift_deg == KNEELING.hip_alignment.max_shift_deg
    shifted = tuned_reference(KNEELING, {}, max_shift_deg=5.5)
    assert shifted.hip_alignment.max_shift_deg == 5.5
    assert parse_reference(shifted.to_dict()) == shifted
