"""Feedback events: what the coaching session tells the user, and what a report lists."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import Enum


class Fault(str, Enum):
    """The kinds of fault a session reports."""

    BOUNCE = "bounce"
    HIP_MISALIGNED = "hip_misaligned"
    TOO_SHALLOW = "too_shallow"
    TOO_DEEP = "too_deep"
    TRUNK_MISALIGNED = "trunk_misaligned"
    HOLD_TOO_SHORT = "hold_too_short"
    NO_PERSON = "no_person"
    WRONG_VIEW = "wrong_view"
    SIDE_NOT_SEEN = "side_not_seen"  # a side never held whose leg the camera could not see


# Not faults of form: what the camera could not see, and where it should go instead.
CAMERA_FAULTS = (Fault.NO_PERSON, Fault.WRONG_VIEW, Fault.SIDE_NOT_SEEN)


# Faults that an angle outside its tolerance can raise (the others come from dedicated checks).
ANGLE_FAULTS = (Fault.TOO_SHALLOW, Fault.TOO_DEEP, Fault.TRUNK_MISALIGNED, Fault.HIP_MISALIGNED)


@dataclass(frozen=True)
class Event:
    """One fault, from when it started to when it ended.

    side: the working side it happened on, or None when no side applies (no person, wrong view).
    value: the measured value that raised it (degrees for angles; see each check), NaN if none.
    """

    kind: Fault
    side: str | None
    start_s: float
    end_s: float
    value: float
    message: str

    def __post_init__(self) -> None:
        if not isinstance(self.kind, Fault):
            raise TypeError(f"kind must be a Fault, got {self.kind!r}")
        if self.side not in (None, "left", "right"):
            raise ValueError(f"side must be 'left', 'right' or None, got {self.side!r}")
        if self.end_s < self.start_s:
            raise ValueError(f"event ends ({self.end_s}) before it starts ({self.start_s})")

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict:
        """JSON-ready: the kind as its name, NaN as null, times rounded to milliseconds."""
        data = asdict(self)
        data["kind"] = self.kind.value
        data["start_s"] = round(self.start_s, 3)
        data["end_s"] = round(self.end_s, 3)
        data["value"] = None if math.isnan(self.value) else round(self.value, 2)
        return data


@dataclass(frozen=True)
class Hold:
    """One attempt at holding the stretch on one side.

    rom_median_deg / rom_best_deg: the range of motion reached in good form (``pose_coach.rom``),
    None until measured or when no good-form frame was seen.
    """

    side: str
    start_s: float
    end_s: float
    good_form_s: float
    rom_median_deg: float | None = None
    rom_best_deg: float | None = None

    def to_dict(self) -> dict:
        return {
            "side": self.side,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "good_form_s": round(self.good_form_s, 3),
        }
