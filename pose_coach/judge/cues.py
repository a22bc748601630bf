"""What to tell the person: the cue candidates of a moment, most important first, and the board
that shows one cue at a time without flicker."""

from __future__ import annotations

import math
from enum import Enum

NO_PERSON_CUE = "Step into view: the camera must see your whole body"
GOOD_FORM_CUE = "Good form: hold it and breathe"
DONE_CUE = "Well done: both sides are complete"


class Phase(str, Enum):
    NO_PERSON = "no_person"
    WRONG_VIEW = "wrong_view"
    POSITIONING = "getting_into_position"
    HOLDING = "holding"
    HOLD_COMPLETE = "hold_complete"
    SWITCH_SIDES = "switch_sides"
    DONE = "done"


def candidates(
    phase: Phase,
    side: str | None,
    following: str | None,
    *,
    person_reported: bool,
    camera_cue: str,
    first_step: str,
    form_cues: list[str],
    turn_round: bool = False,
) -> list[str]:
    """The cues that apply now, most important first.

    ``following``: the side to do after this hold, if any. ``form_cues``: the cues of the faults
    shown now, in the checks' order. ``turn_round``: the side left is the leg farther from the
    camera, which it sees worst.
    """
    if phase is Phase.NO_PERSON:
        return [NO_PERSON_CUE] if person_reported else []
    if phase is Phase.WRONG_VIEW:
        return [camera_cue]
    if phase is Phase.DONE:
        return [DONE_CUE]
    if phase is Phase.HOLD_COMPLETE:
        return [f"Well done. Now switch to your {following} side" if following else
                "Well done. Release the stretch gently"]  # fmt: skip
    if phase in (Phase.POSITIONING, Phase.SWITCH_SIDES):
        if turn_round:
            return [turn_round_cue(side)]
        return [f"Get into position, {side} side: {first_step}"]
    return form_cues or [GOOD_FORM_CUE]


def turn_round_cue(side: str | None) -> str:
    return f"Turn round so your {side} leg is nearest the camera, then get into position"


class CueBoard:
    """One cue at a time, most important first: a new cue is given at most once per ``cooldown_s``.

    A cue that no longer applies is taken off the screen at once; the cooldown still counts from the
    last new cue, so two cues are never spoken closer together than ``cooldown_s``.
    """

    def __init__(self, cooldown_s: float) -> None:
        self.cooldown_s = cooldown_s
        self.cue: str | None = None
        self.since = -math.inf

    def update(self, t: float, candidates: list[str]) -> tuple[str | None, bool]:
        """``candidates`` in order of importance -> (the cue to show, whether it is new)."""
        if self.cue in candidates and t - self.since < self.cooldown_s:
            return self.cue, False
        if not candidates:
            self.cue = None
            return None, False
        best = candidates[0]
        if best == self.cue or t - self.since < self.cooldown_s:
            return self.cue if self.cue in candidates else None, False
        self.cue, self.since = best, t
        return best, True
