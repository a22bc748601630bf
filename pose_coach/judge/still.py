"""A still photo's verdict: the posture, the working side, each angle against its target and
tolerance, and the faults with their cues.

A photo has no time, so only what one moment shows is judged, with the judge's own pieces: the
working side and whether the body is in the stretch come from the hold tracker's rules (the leg that
moved into the stretch, the hold zone), the limits from ``Reference.checks`` with the form checks'
order (the trunk first: while it is off, angles taken against it are not judged). Bouncing, a hold's
length and the pelvis moving from where it settled need a video: a photo says nothing about them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pose_coach.config import Settings
from pose_coach.events import Fault
from pose_coach.judge.form import TRUNK_RELATIVE
from pose_coach.judge.holds import HoldTracker
from pose_coach.judge.reference import Reference
from pose_coach.measure.measurement import Measurement
from pose_coach.terms import POSTURE_FAMILY, SIDES, program_name

NOT_IN_VIDEO = "Bouncing, the hold's length and the hips moving need a video"


@dataclass(frozen=True)
class AngleVerdict:
    """One checked angle of the photo: ``name`` is the program's (``hip_left``), ``role`` the
    reference's (``working_hip``). ``ok`` is None when it could not be judged (unseen, or the
    trunk is off and it is measured against the trunk)."""

    name: str
    role: str
    value: float
    target: float
    tolerance: float
    ok: bool | None
    fault: Fault | None = None
    cue: str | None = None

    @property
    def state(self) -> int | None:
        """-1 too low, 0 fine, +1 too high, None not judged (as the annotation colours it)."""
        if self.ok is None:
            return None
        return 0 if self.ok else (1 if self.value > self.target else -1)

    def to_dict(self) -> dict:
        return {
            "angle": self.name,
            "role": self.role,
            "value": None if math.isnan(self.value) else round(self.value, 1),
            "target": self.target,
            "tolerance": self.tolerance,
            "ok": self.ok,
            "fault": self.fault.value if self.fault else None,
        }


@dataclass(frozen=True)
class StillVerdict:
    """What a photo shows. ``judged`` is False when no verdict on form can be given, and
    ``message`` says why and what to do; otherwise ``message`` sums the verdict up."""

    judged: bool
    message: str
    view: str | None = None
    posture: str | None = None
    side: str | None = None
    angles: tuple[AngleVerdict, ...] = ()

    @property
    def faults(self) -> tuple[tuple[Fault, str], ...]:
        """The faults found, each once, with the cue that fixes it."""
        found = [(a.fault, a.cue) for a in self.angles if a.fault is not None and a.cue]
        return tuple(dict.fromkeys(found))

    @property
    def form_ok(self) -> bool:
        return self.judged and not self.faults

    def states(self) -> dict[str, int]:
        """Program angle name -> state, for the angles judged."""
        return {a.name: a.state for a in self.angles if a.state is not None}

    def to_dict(self) -> dict:
        return {
            "judged": self.judged,
            "message": self.message,
            "view": self.view,
            "posture": self.posture,
            "side": self.side,
            "form_ok": self.form_ok,
            "angles": [a.to_dict() for a in self.angles],
            "faults": [{"kind": kind.value, "cue": cue} for kind, cue in self.faults],
        }


def judge_still(
    measurement: Measurement,
    reference: Reference,
    settings: Settings | None = None,
    sides: tuple[str, ...] = SIDES,
) -> StillVerdict:
    """The verdict on one photo. ``sides``: the working sides it may show (one: it is that one)."""
    angles, view = measurement.angles, measurement.view
    if angles is None or view is None:
        return StillVerdict(False, "No person was found: photograph the whole body, side-on, "
                            "in good light")  # fmt: skip
    posture = view.posture
    if view.view != "unknown" and not reference.judged_from(view.view):
        return StillVerdict(False, f"This photo is a {view.view.replace('_', '-')} view; "
                            f"{reference.name} is judged from a {_views(reference)} view. "
                            f"{reference.camera}",
                            view.view, posture)  # fmt: skip
    family = POSTURE_FAMILY[reference.posture]
    if posture is not None and POSTURE_FAMILY[posture] != family:
        return StillVerdict(False, f"The body is {_posture_words(posture)}; {reference.name} is "
                            f"done {_posture_words(reference.posture)}. {reference.instructions[0]}",
                            view.view, posture)  # fmt: skip
    # The hold tracker's own rules: which leg moved into the stretch, and whether it is held.
    tracker = HoldTracker(reference, settings or Settings(), sides)
    side = tracker._fit_side(angles, measurement.hint)
    assert side is not None  # sides is never empty
    relative = angles.for_side(side)
    verdicts = _angle_verdicts(reference, relative, side)
    if not tracker._in_zone(relative, view, tracker._gap(angles, measurement.hint, side)):
        step = reference.instructions[min(1, len(reference.instructions) - 1)]
        return StillVerdict(False, f"Not in the stretch: the {side} leg is not in position. "
                            f"{step}", view.view, posture, side, verdicts)  # fmt: skip
    found = [a for a in verdicts if a.fault is not None]
    if found:
        message = f"{side.capitalize()} side: " + "; ".join(dict.fromkeys(a.cue for a in found))
    else:
        message = f"{side.capitalize()} side: good form. {NOT_IN_VIDEO}."
    return StillVerdict(True, message, view.view, posture, side, verdicts)


def _angle_verdicts(reference: Reference, relative, side: str) -> tuple[AngleVerdict, ...]:
    checks = reference.checks()
    trunk = checks["trunk"].deviation(relative.trunk) if "trunk" in checks else 0.0
    trunk_off = not math.isnan(trunk) and trunk != 0.0
    verdicts = []
    for role, check in checks.items():
        value = relative[role]
        deviation = check.deviation(value)
        ok: bool | None = None if math.isnan(deviation) else deviation == 0.0
        if trunk_off and role in TRUNK_RELATIVE:
            ok = None  # read against an off trunk: off with it
        bound = None if ok is not False else (check.too_low if deviation < 0 else check.too_high)
        verdicts.append(AngleVerdict(
            program_name(role, side), role, value, check.target, check.tolerance, ok,
            bound.fault if bound else None, bound.cue if bound else None,
        ))  # fmt: skip
    return tuple(verdicts)


def _posture_words(posture: str) -> str:
    return {"standing": "standing", "kneeling": "kneeling", "all_fours": "on all fours",
            "lying": "lying down"}[posture]  # fmt: skip


def _views(reference: Reference) -> str:
    return " or ".join(view.replace("_", "-") for view in reference.views)
