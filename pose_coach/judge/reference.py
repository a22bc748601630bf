"""Reference poses: one human-editable YAML file per stretch, validated against a schema.

A reference is written once, for the working side: angle names say ``working_*`` (the leg that
``side`` names) and ``other_*``; ``Reference.targets_for(side)`` mirrors them onto ``hip_left`` /
``hip_right`` and so on, so left and right cannot drift apart. Targets are in MediaPipe's terms (as
measured on recordings), not anatomy-book values.

Shipped references live in ``reference_poses/``; tuned ones are saved (atomically) to a user folder
and take precedence, leaving the shipped defaults untouched.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pose_coach.config import home_dir
from pose_coach.events import ANGLE_FAULTS, Fault
from pose_coach.terms import (
    CAMERA_VIEWS,
    CHECKED_ANGLES,
    LEG_GAPS,
    POSTURES,
    ZONE_ANGLES,
    program_name,
)

# How far (degrees of pelvis tilt and rotation together, in MediaPipe's terms) the pelvis may move
# from where it settled in a hold. On rendered good form it wandered up to about 2.5 degrees; a
# 15-degree hip hike read as 4-7 where it showed at all (the first sample videos, round 1).
DEFAULT_MAX_SHIFT_DEG = 3.0


class ReferenceError(ValueError):
    """A reference file is missing, unreadable or breaks the schema. The message names file and field."""


@dataclass(frozen=True)
class Bound:
    """What to report when an angle leaves its tolerance on one side."""

    fault: Fault
    cue: str


@dataclass(frozen=True)
class AngleCheck:
    """A target angle, the tolerance either side of it, and what to say when it is too low / high."""

    target: float
    tolerance: float
    too_low: Bound
    too_high: Bound

    def deviation(self, value: float) -> float:
        """Degrees outside the tolerance band (negative below, positive above), 0 inside, NaN if unknown."""
        if math.isnan(value):
            return float("nan")
        offset = value - self.target
        if abs(offset) <= self.tolerance:
            return 0.0
        return offset - math.copysign(self.tolerance, offset)


@dataclass(frozen=True)
class HipAlignment:
    """Limits on the pelvis, relative to the working side (``Angles.for_side``): optionally tilt
    (the working hip higher, positive) and rotation (the working hip forward). Targets are what
    good form reads in MediaPipe's terms; outside target +- tolerance is ``hip_misaligned``, and so
    is the pelvis moving more than ``max_shift_deg`` from where it settled in the hold
    (``checks.PelvisShift``)."""

    # (target, tolerance) in degrees, each optional: how level hips read depends on where the
    # camera stands, so the shipped stretches judge the pelvis against where it settled instead.
    tilt: tuple[float, float] | None
    rotation: tuple[float, float] | None
    cue: str
    max_shift_deg: float = DEFAULT_MAX_SHIFT_DEG

    def checks(self) -> dict[str, AngleCheck]:
        """As angle checks under the relative angle names, both directions ``hip_misaligned``."""
        bound = Bound(Fault.HIP_MISALIGNED, self.cue)
        limits = {"pelvis_tilt": self.tilt, "pelvis_rotation": self.rotation}
        return {
            name: AngleCheck(limit[0], limit[1], bound, bound)
            for name, limit in limits.items()
            if limit is not None
        }


@dataclass(frozen=True)
class BounceLimits:
    """Bouncing: the ``angle`` may not swing more than ``max_amplitude_deg`` (half peak-to-peak,
    around its own slow trend) within ``window_s``, nor move faster than ``max_speed_deg_s``."""

    angle: str
    max_amplitude_deg: float
    max_speed_deg_s: float
    window_s: float
    cue: str
    # The angle that keeps still while ``angle`` bounces (the knee of a leg that swings at the hip);
    # a reading in which both moved together is a misplaced joint (``holds.JOINTS_TOGETHER``).
    held_angle: str | None = None


@dataclass(frozen=True)
class Reference:
    """One stretch: how to do it, where the camera goes, and the angles that make good form."""

    id: str
    name: str
    posture: str
    # The camera views the stretch can be judged from (``any``: every view); the first is the one
    # the camera instructions ask for. From another view the coach asks for the camera to move.
    views: tuple[str, ...]
    camera: str
    instructions: tuple[str, ...]
    hold_s: float
    angles: dict[str, AngleCheck]
    hip_alignment: HipAlignment
    bounce: BounceLimits
    # When the person counts as holding the stretch: angle -> (lowest, highest). Faults are judged
    # only inside this zone; outside it they are still getting into position (or have released).
    # The first angle must be seen and inside; the others are checked when they are seen.
    hold_zone: dict[str, tuple[float, float]]
    source: Path | None = field(default=None, compare=False)

    def judged_from(self, view: str) -> bool:
        """Whether the stretch can be judged from ``view`` (a ``measure.view`` view name)."""
        return "any" in self.views or view in self.views

    def checks(self) -> dict[str, AngleCheck]:
        """Every limit this stretch judges, under relative angle names: its angles, then the pelvis
        limits of its hip alignment."""
        return self.angles | self.hip_alignment.checks()

    def targets_for(self, side: str) -> dict[str, AngleCheck]:
        """``checks()`` under the program's angle names (``hip_left`` ...) for a working side."""
        return {program_name(name, side): check for name, check in self.checks().items()}

    def to_dict(self) -> dict[str, Any]:
        """The YAML-ready form, in the schema's field order."""
        return {
            "id": self.id,
            "name": self.name,
            "posture": self.posture,
            "view": self.views[0] if len(self.views) == 1 else list(self.views),
            "camera": self.camera,
            "instructions": list(self.instructions),
            "hold_s": self.hold_s,
            "angles": {
                name: {
                    "target": check.target,
                    "tolerance": check.tolerance,
                    "too_low": {"fault": check.too_low.fault.value, "cue": check.too_low.cue},
                    "too_high": {"fault": check.too_high.fault.value, "cue": check.too_high.cue},
                }
                for name, check in self.angles.items()
            },
            "hold_zone": {name: list(limits) for name, limits in self.hold_zone.items()},
            "hip_alignment": {
                name: value
                for name, value in (
                    ("tilt", _limit_dict(self.hip_alignment.tilt)),
                    ("rotation", _limit_dict(self.hip_alignment.rotation)),
                    ("max_shift_deg", self.hip_alignment.max_shift_deg),
                    ("cue", self.hip_alignment.cue),
                )
                if value is not None
            },
            "bounce": {k: v for k, v in vars(self.bounce).items() if v is not None},
        }


def _limit_dict(limit: tuple[float, float] | None) -> dict[str, float] | None:
    return None if limit is None else {"target": limit[0], "tolerance": limit[1]}


# ---------------------------------------------------------------------------------------------
# Parsing and validation


class _Reader:
    """Reads one mapping of a reference file, naming the file and field in every error."""

    def __init__(self, source: str, data: Any, where: str) -> None:
        self.source, self.where = source, where
        if not isinstance(data, dict):
            self.fail(f"must be a mapping of fields, got {type(data).__name__}")
        self.data = data

    def fail(self, reason: str, name: str | None = None) -> None:
        place = (
            f"{self.where}.{name}" if name and self.where else (name or self.where or "top level")
        )
        raise ReferenceError(f"{self.source}: field '{place}' {reason}")

    def only(self, *allowed: str) -> None:
        unknown = sorted(set(self.data) - set(allowed))
        if unknown:
            self.fail(f"is not a known field (allowed: {', '.join(allowed)})", str(unknown[0]))

    def get(self, name: str, default: Any = ...) -> Any:
        if name not in self.data:
            if default is ...:
                self.fail("is missing", name)
            return default
        return self.data[name]

    def text(self, name: str, default: Any = ...) -> str:
        value = self.get(name, default)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"must be non-empty text, got {value!r}", name)
        return value.strip()

    def number(self, name: str, low: float, high: float, default: Any = ...) -> float:
        value = self.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            self.fail(f"must be a number, got {value!r}", name)
        if not low <= value <= high:
            self.fail(f"must be between {low} and {high}, got {value}", name)
        return float(value)

    def choice(self, name: str, options: tuple[str, ...]) -> str:
        value = self.get(name)
        if value not in options:
            self.fail(f"must be one of {', '.join(options)}, got {value!r}", name)
        return value

    def child(self, name: str) -> _Reader:
        return _Reader(self.source, self.get(name), f"{self.where}.{name}" if self.where else name)


def _bound(reader: _Reader) -> Bound:
    reader.only("fault", "cue")
    fault = reader.choice("fault", tuple(f.value for f in ANGLE_FAULTS))
    return Bound(Fault(fault), reader.text("cue"))


def _angle_check(reader: _Reader) -> AngleCheck:
    reader.only("target", "tolerance", "too_low", "too_high")
    return AngleCheck(
        target=reader.number("target", -180, 270),
        tolerance=reader.number("tolerance", 0.5, 90),
        too_low=_bound(reader.child("too_low")),
        too_high=_bound(reader.child("too_high")),
    )


def _limit(reader: _Reader) -> tuple[float, float]:
    reader.only("target", "tolerance")
    return reader.number("target", -90, 90), reader.number("tolerance", 0.5, 90)


def _range(reader: _Reader, name: str) -> tuple[float, float]:
    value = reader.get(name)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not value[0] < value[1]
    ):
        reader.fail(f"must be [lowest, highest] with lowest < highest, got {value!r}", name)
    return float(value[0]), float(value[1])


def _views(top: _Reader) -> tuple[str, ...]:
    value = top.get("view")
    views = [value] if isinstance(value, str) else value
    if not isinstance(views, list) or not views or any(v not in CAMERA_VIEWS for v in views):
        top.fail(f"must be one of {', '.join(CAMERA_VIEWS)}, or a list of them, got {value!r}",
                 "view")  # fmt: skip
    return tuple(dict.fromkeys(views))


def parse_reference(data: Any, source: str = "<reference>") -> Reference:
    """Validate parsed YAML and build a Reference; ``ReferenceError`` names the field and the reason."""
    top = _Reader(source, data, "")
    top.only(
        "id", "name", "posture", "view", "camera", "instructions", "hold_s", "angles",
        "hold_zone", "hip_alignment", "bounce",
    )  # fmt: skip
    instructions = top.get("instructions")
    if not isinstance(instructions, list) or not instructions:
        top.fail("must be a non-empty list of steps", "instructions")
    steps = tuple(_Reader(source, {"step": s}, f"instructions[{i}]").text("step")
                  for i, s in enumerate(instructions))  # fmt: skip
    angles_reader = top.child("angles")
    angles_reader.only(*CHECKED_ANGLES)
    if not angles_reader.data:
        angles_reader.fail("must name at least one angle")
    angles = {name: _angle_check(angles_reader.child(name)) for name in angles_reader.data}
    zone_reader = top.child("hold_zone")
    zone_reader.only(*ZONE_ANGLES)
    if not zone_reader.data:
        zone_reader.fail("must name at least one angle with its [lowest, highest] values")
    hold_zone = {name: _range(zone_reader, name) for name in zone_reader.data}
    if len(set(hold_zone) & set(LEG_GAPS)) > 1:
        zone_reader.fail(f"may bound one gap between the legs ({' or '.join(LEG_GAPS)}), not both")
    hips = top.child("hip_alignment")
    hips.only("tilt", "rotation", "max_shift_deg", "cue")
    bounce = top.child("bounce")
    bounce.only("angle", "max_amplitude_deg", "max_speed_deg_s", "window_s", "cue", "held_angle")
    held = bounce.get("held_angle", None)
    if held is not None and held not in CHECKED_ANGLES:
        bounce.fail(f"must be one of {', '.join(CHECKED_ANGLES)}, got {held!r}", "held_angle")
    return Reference(
        id=top.text("id"),
        name=top.text("name"),
        posture=top.choice("posture", POSTURES),
        views=_views(top),
        camera=top.text("camera"),
        instructions=steps,
        hold_s=top.number("hold_s", 1, 600, default=30.0),
        angles=angles,
        hip_alignment=HipAlignment(
            tilt=_limit(hips.child("tilt")) if "tilt" in hips.data else None,
            rotation=_limit(hips.child("rotation")) if "rotation" in hips.data else None,
            cue=hips.text("cue"),
            max_shift_deg=hips.number("max_shift_deg", 0.5, 45, default=DEFAULT_MAX_SHIFT_DEG),
        ),
        hold_zone=hold_zone,
        bounce=BounceLimits(
            angle=bounce.choice("angle", CHECKED_ANGLES),
            max_amplitude_deg=bounce.number("max_amplitude_deg", 0.1, 90),
            max_speed_deg_s=bounce.number("max_speed_deg_s", 1, 2000),
            window_s=bounce.number("window_s", 0.2, 10),
            cue=bounce.text("cue"),
            held_angle=held,
        ),
        source=Path(source) if source != "<reference>" else None,
    )


def load_reference(path: Path) -> Reference:
    """Read and validate one reference file; its ``id`` must match the file name."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReferenceError(f"{path}: no such reference file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ReferenceError(f"{path}: cannot be read ({error})") from None
    except yaml.YAMLError as error:
        raise ReferenceError(f"{path}: is not valid YAML ({error})") from None
    reference = parse_reference(data, str(path))
    if reference.id != path.stem:
        raise ReferenceError(
            f"{path}: field 'id' is {reference.id!r} but the file is named {path.stem!r}; "
            "they must match"
        )
    return reference


def builtin_dir() -> Path:
    """The shipped reference poses."""
    return Path(__file__).resolve().parents[2] / "reference_poses"


def user_dir() -> Path:
    """Where tuned references are saved: $POSE_COACH_HOME/reference_poses (default ~/.pose_coach)."""
    return home_dir() / "reference_poses"


@dataclass(frozen=True)
class ReferenceSet:
    """The stretches that could be read, by id, and each file that could not, with its error.

    A broken file hides only its own stretch (a broken tuned file is not silently replaced by the
    shipped one: the person would think their tuning applied).
    """

    references: dict[str, Reference]
    broken: dict[Path, ReferenceError]

    def shipped(self, path: Path) -> bool:
        """True if a broken file has a shipped version a reset would bring back."""
        return (builtin_dir() / path.name).exists()


def read_references(user_folder: Path | None = None) -> ReferenceSet:
    """Every stretch by id, a tuned (user) reference replacing the shipped one of the same id;
    unreadable files are collected, not raised."""
    folders = [builtin_dir(), user_dir() if user_folder is None else Path(user_folder)]
    references: dict[str, Reference] = {}
    broken: dict[Path, ReferenceError] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            try:
                references[path.stem] = load_reference(path)
            except ReferenceError as error:
                references.pop(path.stem, None)
                broken[path] = error
    return ReferenceSet(references, broken)


def load_references(user_folder: Path | None = None) -> dict[str, Reference]:
    """Every stretch by id, a tuned (user) reference replacing the shipped one of the same id;
    raises the first ``ReferenceError`` if any file is broken."""
    found = read_references(user_folder)
    if found.broken:
        raise next(iter(found.broken.values()))
    return found.references


def get_reference(stretch_id: str, user_folder: Path | None = None) -> Reference:
    """One stretch by id; ``ReferenceError`` lists the known ids when it is unknown, or says why
    its file is broken (a broken file of another stretch does not matter)."""
    found = read_references(user_folder)
    for path, error in found.broken.items():
        if path.stem == stretch_id:
            raise error
    if stretch_id not in found.references:
        raise ReferenceError(
            f"unknown stretch {stretch_id!r}; known stretches: {', '.join(sorted(found.references))}"
        )
    return found.references[stretch_id]


def save_reference(reference: Reference, folder: Path | None = None) -> Path:
    """Validate and write ``reference`` atomically as ``<folder>/<id>.yaml`` (default: the user folder).

    The text is parsed back before it replaces anything, so a bad reference never lands on disk.
    """
    folder = user_dir() if folder is None else Path(folder)
    text = yaml.safe_dump(reference.to_dict(), sort_keys=False, allow_unicode=True, width=100)
    parse_reference(yaml.safe_load(text), f"{reference.id}.yaml")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{reference.id}.yaml"
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{reference.id}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def reset_reference(stretch_id: str, folder: Path | None = None) -> bool:
    """Remove a tuned reference so the shipped default applies again; True if one was removed."""
    path = (user_dir() if folder is None else Path(folder)) / f"{stretch_id}.yaml"
    if path.exists():
        path.unlink()
        return True
    return False
