"""Tuning maths: per-frame flags against targets, learning targets from steady frames, tuned
references (angles and the pelvis limits) that pass the schema."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pose_coach.angles import ANGLE_NAMES
from pose_coach.reference import parse_reference
from pose_coach_app.thresholds import (
    MIN_LEARN_FRAMES,
    MIN_TOLERANCE_DEG,
    LearnError,
    all_checks,
    angle_states,
    angle_table,
    flagged_frames,
    learn_targets,
    tuned_reference,
)
from tests.coach_factories import KNEELING


def rows(hip_left: list[float], phase: str = "holding", side: str = "left", fps: float = 30.0):
    """Review rows (as in angles.csv) with the given left hip angle and every other angle at 10."""
    return [
        {"time_s": n / fps, "phase": phase, "side": side}
        | {name: 10.0 for name in ANGLE_NAMES}
        | {"hip_left": "" if math.isnan(v) else v}
        for n, v in enumerate(hip_left)
    ]


def test_table_names_angles_for_each_frames_working_side():
    table = angle_table(rows([5.0, 6.0], side="left") + rows([7.0], side="right"))
    assert table.values["working_hip"][:2].tolist() == [5.0, 6.0]
    assert table.values["other_hip"][2] == 7.0  # hip_left is the other hip when right works
    assert table.judged.all()


def test_unknown_side_and_unseen_angles_are_nan():
    table = angle_table(rows([math.nan], side="") + rows([math.nan]))
    assert np.isnan(table.values["working_hip"]).all()


@pytest.mark.parametrize(
    "phase, expected",
    [
        ("holding", [0, 1, -1, 0]),  # judged: outside the band on either side
        ("getting_into_position", [0, 0, 0, 0]),  # not in a hold: never flagged
    ],
)
def test_angle_states_against_the_band(phase, expected):
    check = KNEELING.angles["working_hip"]
    values = [check.target, check.target + check.tolerance + 1, check.target - check.tolerance - 1,
              math.nan]  # fmt: skip
    table = angle_table(rows(values, phase=phase))
    states = angle_states(table, {"working_hip": check})
    assert states["working_hip"].tolist() == expected
    assert flagged_frames(states).tolist() == [s != 0 for s in expected]


def test_learning_takes_the_median_and_a_robust_spread_of_the_steady_frames():
    rng = np.random.default_rng(0)
    steady = list(-3.0 + rng.normal(0, 2.0, 300))  # 10 s of a hold with 2 degrees of noise
    table = angle_table(rows(steady))
    [(target, tolerance)] = learn_targets(table, ["working_hip"]).values()
    assert target == pytest.approx(-3.0, abs=0.5)
    assert tolerance == pytest.approx(3 * 2.0, rel=0.2)  # three robust standard deviations


def test_learning_leaves_out_moving_frames_and_floors_the_tolerance():
    # A still hold at 0 degrees, then a fast swing (100 deg/s) that is not steady.
    values = [0.0] * 60 + [n * 100 / 30 for n in range(30)]
    [(target, tolerance)] = learn_targets(angle_table(rows(values)), ["working_hip"]).values()
    assert target == 0.0
    assert tolerance == MIN_TOLERANCE_DEG


def test_learning_needs_enough_steady_visible_frames():
    with pytest.raises(LearnError, match=str(MIN_LEARN_FRAMES)):
        learn_targets(angle_table(rows([0.0] * 10 + [math.nan] * 100)), ["working_hip"])


def test_tuned_reference_changes_angles_and_pelvis_and_stays_valid():
    values = {"trunk": (80.0, 7.5), "pelvis_tilt": (15.0, 6.0)}
    tuned = tuned_reference(KNEELING, values)
    assert (tuned.angles["trunk"].target, tuned.angles["trunk"].tolerance) == (80.0, 7.5)
    assert tuned.hip_alignment.tilt == (15.0, 6.0)
    assert tuned.angles["working_hip"] == KNEELING.angles["working_hip"]
    assert list(all_checks(tuned)) == [*KNEELING.angles, *KNEELING.hip_alignment.checks()]
    assert parse_reference(tuned.to_dict()) == tuned
    assert tuned.hip_alignment.max_shift_deg == KNEELING.hip_alignment.max_shift_deg
    shifted = tuned_reference(KNEELING, {}, max_shift_deg=5.5)
    assert shifted.hip_alignment.max_shift_deg == 5.5
    assert parse_reference(shifted.to_dict()) == shifted
