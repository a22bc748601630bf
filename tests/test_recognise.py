"""``--stretch auto``: the stretch is recognised from the posture held, or not placed at all.

Measured sequences go straight in (as the measuring stage would give them); the recognition of real
videos by the real model is tested in ``test_batch.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from pose_coach.judge.reference import load_references
from pose_coach.measure.view import BodyView
from pose_coach.recognise import MIN_HELD_S, recognise
from tests.coach_factories import SIDE_VIEW, kneeling_measurement, run_of

FPS = 30.0


def sequence(held_s: float, view: BodyView = SIDE_VIEW, amount: float = 1.0):
    """Two seconds on all fours, the left leg back for ``held_s``, then back on all fours."""
    rng = np.random.default_rng(0)
    spans = ((2.0, 0.0), (held_s, amount), (3.0, 0.0))
    measurements, t = [], 0.0
    for seconds, blend in spans:
        for _ in range(int(seconds * FPS)):
            measurements.append(kneeling_measurement("left", blend, t=t, rng=rng, view=view))
            t += 1 / FPS
    return run_of(measurements)


@pytest.mark.parametrize(
    ("held_s", "view", "amount", "expected"),
    [
        # The kneeling psoas stretch held 15 s on all fours: placed, as that stretch.
        (15.0, SIDE_VIEW, 1.0, "kneeling_psoas"),
        # Held only 3 s: too little to say which stretch it was.
        (3.0, SIDE_VIEW, 1.0, None),
        # Resting on all fours the whole time: no stretch's position was held.
        (15.0, SIDE_VIEW, 0.0, None),
    ],
)
def test_the_stretch_held_in_its_posture_is_recognised_and_nothing_else(
    held_s, view, amount, expected
):
    recognition = recognise(sequence(held_s, view, amount), load_references().values())
    assert recognition.stretch == expected, recognition.describe()
    if expected is None:
        assert recognition.run is None
    else:
        assert recognition.run.reference.id == expected
        assert recognition.held_s[expected] >= MIN_HELD_S
        assert [h.side for h in recognition.run.holds] == ["left"]
