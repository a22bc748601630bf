"""The choreography of a video: phases, holds, faults and natural sway, frame by frame.

A video: start posture -> move into position (2.5 s) -> hold -> release (2.5 s) -> rest -> turn
around so the other working leg is nearest the camera -> the other side -> rest. Holds are the
intervals in which the person is fully in position (move-in finished, release not begun).

Faults (the truth's `kind`, and what is injected):
- bounce: amp (degrees of the working hip, or cm of the pelvis with unit=cm), hz; rhythmic.
- jerk: amp, count, every: short jolts (0.3 s out and back); recorded as kind `bounce`.
- hip_misaligned: tilt (working hip up +, degrees) and/or rot (working hip forward +).
- too_shallow / too_deep: deg, the working hip less / further into the stretch.
- trunk_misaligned: deg, the trunk leaning forward (+) or back (-).
- hold_too_short: hold (seconds) for that side's hold.
- skip_side: that side is not done; recorded as a `hold_too_short` of zero length.
Every fault takes side= (default: the first side) and, where it is timed, start= (seconds after
the hold starts) and dur= (seconds; default to the end of the hold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from tools.render.stretches import Mods

MOVE_S = 2.5
START_REST_S = 2.0
REST_S = 1.5
TURN_S = 3.0
END_REST_S = 2.0
RAMP_S = 0.8  # drift into / out of a timed posture fault
JOLT_S = 0.3

FAULT_KINDS = (
    "bounce",
    "jerk",
    "hip_misaligned",
    "too_shallow",
    "too_deep",
    "trunk_misaligned",
    "hold_too_short",
    "skip_side",
)
_PARAMS = {
    "bounce": {"amp": 5.0, "hz": 2.0, "unit": "deg", "start": 8.0, "dur": 10.0},
    "jerk": {"amp": 8.0, "count": 3, "every": 3.0, "start": 8.0},
    "hip_misaligned": {"tilt": 0.0, "rot": 0.0, "start": None, "dur": None},
    "too_shallow": {"deg": 20.0, "start": None, "dur": None},
    "too_deep": {"deg": 20.0, "start": None, "dur": None},
    "trunk_misaligned": {"deg": 20.0, "start": None, "dur": None},
    "hold_too_short": {"hold": 12.0},
    "skip_side": {},
}


@dataclass(frozen=True)
class FaultSpec:
    """One fault to inject: kind, the working side it happens on, its parameters."""

    kind: str
    side: str | None
    params: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """'KIND' or 'KIND:key=value,key=value', e.g. 'bounce:amp=4,hz=2,side=left'."""
        kind, _, rest = text.partition(":")
        if kind not in _PARAMS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
        params = dict(_PARAMS[kind])
        side = None
        for item in filter(None, rest.split(",")):
            key, eq, value = item.partition("=")
            if not eq:
                raise ValueError(f"fault parameter {item!r} must be key=value")
            if key == "side":
                if value not in ("left", "right"):
                    raise ValueError(f"fault side must be left or right, got {value!r}")
                side = value
            elif key not in params:
                raise ValueError(f"fault {kind} takes {', '.join(['side', *params])}; got {key!r}")
            else:
                params[key] = value if key == "unit" else float(value)
        if kind == "bounce" and params["unit"] not in ("deg", "cm"):
            raise ValueError(f"bounce unit must be deg or cm, got {params['unit']!r}")
        return cls(kind, side, params)


@dataclass(frozen=True)
class Phase:
    name: str  # start, move_in, hold, release, rest, turn, end
    side: str
    start_s: float
    end_s: float
    yaw_from: float = 0.0
    yaw_to: float = 0.0


@dataclass(frozen=True)
class FrameState:
    t: float
    side: str
    amount: float
    yaw_deg: float
    mods: Mods
    phase: str


@dataclass
class Choreography:
    """Phases and faults of one video; `state(t)` gives the pose inputs at any time."""

    sides: list[str]
    hold_s: float
    turn_yaw_deg: float
    faults: list[FaultSpec]
    seed: int = 0
    bounce_cm_to_deg: float = 1.0  # for stretches that bounce in degrees only
    bounce_in_cm: bool = False  # the stretch moves its pelvis in cm (half-kneeling)
    phases: list[Phase] = field(init=False)
    skipped: list[str] = field(init=False)
    done: list[str] = field(init=False)
    duration_s: float = field(init=False)

    def __post_init__(self) -> None:
        self.faults = [replace(f, side=f.side or self.sides[0]) for f in self.faults]
        for fault in self.faults:
            if fault.side not in self.sides:
                raise ValueError(f"fault {fault.kind} is on side {fault.side}, not in {self.sides}")
        self.skipped = [f.side for f in self.faults if f.kind == "skip_side"]
        self.done = done = [s for s in self.sides if s not in self.skipped]
        if not done:
            raise ValueError("every side is skipped: nothing to render")
        short = {f.side: f.params["hold"] for f in self.faults if f.kind == "hold_too_short"}
        self.phases = []
        t, yaw = 0.0, 0.0
        self._add("start", done[0], t, START_REST_S, yaw)
        t += START_REST_S
        for i, side in enumerate(done):
            if i > 0:
                target = yaw + self.turn_yaw_deg
                self._add("turn", side, t, TURN_S, yaw, target)
                t, yaw = t + TURN_S, target
                self._add("rest", side, t, REST_S / 2, yaw)
                t += REST_S / 2
            hold = short.get(side, self.hold_s)
            for name, length in (("move_in", MOVE_S), ("hold", hold), ("release", MOVE_S)):
                self._add(name, side, t, length, yaw)
                t += length
            last = i == len(done) - 1
            self._add("end" if last else "rest", side, t, END_REST_S if last else REST_S, yaw)
            t += END_REST_S if last else REST_S
        self.duration_s = t
        rng = np.random.default_rng(self.seed)
        self._sway_phase = rng.uniform(0, 2 * np.pi, 6)

    def _add(self, name, side, start, length, yaw_from, yaw_to=None):
        yaw_to = yaw_from if yaw_to is None else yaw_to
        self.phases.append(Phase(name, side, start, start + length, yaw_from, yaw_to))

    def holds(self) -> list[Phase]:
        return [p for p in self.phases if p.name == "hold"]

    def hold_of(self, side: str) -> Phase | None:
        return next((p for p in self.holds() if p.side == side), None)

    def phase_at(self, t: float) -> Phase:
        for phase in self.phases:
            if t < phase.end_s:
                return phase
        return self.phases[-1]

    def state(self, t: float) -> FrameState:
        phase = self.phase_at(t)
        progress = min(max((t - phase.start_s) / (phase.end_s - phase.start_s), 0.0), 1.0)
        amount = {"move_in": progress, "hold": 1.0, "release": 1.0 - progress}.get(phase.name, 0.0)
        turn = progress * progress * (3 - 2 * progress)
        yaw = phase.yaw_from + (phase.yaw_to - phase.yaw_from) * turn
        return FrameState(t, phase.side, amount, yaw, self._mods(t, phase.side, amount), phase.name)

    # Natural movement and faults -----------------------------------------------------------

    def _sway(self, t: float) -> dict:
        """Slow sway of the trunk and the working leg, and breathing: all under about 1 degree."""
        p = self._sway_phase
        w = 2 * np.pi * t
        return {
            "sway_deg": (
                0.45 * math.sin(0.13 * w + p[0]) + 0.2 * math.sin(0.31 * w + p[1]),
                0.35 * math.sin(0.17 * w + p[2]),
                0.3 * math.sin(0.11 * w + p[3]),
            ),
            "breath_deg": 0.5 * math.sin(0.24 * w + p[4]),
            "depth_deg": 0.4 * math.sin(0.09 * w + p[5]),
        }

    def _mods(self, t: float, side: str, amount: float) -> Mods:
        m = self._sway(t)
        values = {"depth_deg": m["depth_deg"], "shift_cm": 0.0, "pelvis_tilt_deg": 0.0}
        values |= {"pelvis_rot_deg": 0.0, "trunk_lean_deg": 0.0}
        for fault in self.faults:
            if fault.side != side:
                continue
            for key, value in self._fault_mods(fault, t, amount).items():
                values[key] += value
        return Mods(**values, sway_deg=m["sway_deg"], breath_deg=m["breath_deg"])

    def _fault_mods(self, fault: FaultSpec, t: float, amount: float) -> dict[str, float]:
        hold = self.hold_of(fault.side)
        if hold is None:
            return {}
        p = fault.params
        if fault.kind == "bounce":
            start = hold.start_s + p["start"]
            end = min(start + p["dur"], hold.end_s)
            if not start <= t <= end:
                return {}
            edge = min(t - start, end - t, 0.25) / 0.25
            wave = p["amp"] * math.sin(2 * np.pi * p["hz"] * (t - start)) * edge
            if p["unit"] == "cm":
                if self.bounce_in_cm:
                    return {"shift_cm": wave}
                return {"depth_deg": wave * self.bounce_cm_to_deg}
            return {"depth_deg": wave}
        if fault.kind == "jerk":
            for k in range(int(p["count"])):
                t0 = hold.start_s + p["start"] + k * p["every"]
                if t0 <= t <= t0 + JOLT_S and t0 + JOLT_S <= hold.end_s:
                    return {"depth_deg": p["amp"] * math.sin(np.pi * (t - t0) / JOLT_S)}
            return {}
        keys = {
            "hip_misaligned": {"pelvis_tilt_deg": p.get("tilt"), "pelvis_rot_deg": p.get("rot")},
            "too_shallow": {"depth_deg": -p.get("deg", 0.0)},
            "too_deep": {"depth_deg": p.get("deg", 0.0)},
            "trunk_misaligned": {"trunk_lean_deg": p.get("deg", 0.0)},
        }.get(fault.kind)
        if keys is None:
            return {}
        level = self._envelope(fault, hold, t, amount)
        return {k: v * level for k, v in keys.items() if v}

    def _envelope(self, fault: FaultSpec, hold: Phase, t: float, amount: float) -> float:
        """0..1: a whole-hold fault follows the move in and out; a timed one drifts in and out."""
        if fault.params.get("start") is None:
            in_side = hold.start_s - MOVE_S <= t <= hold.end_s + MOVE_S
            return amount if in_side else 0.0
        start, end = self._timed_interval(fault, hold)
        ramp_in = (t - (start - RAMP_S / 2)) / RAMP_S
        ramp_out = ((end + RAMP_S / 2) - t) / RAMP_S
        x = min(max(min(ramp_in, ramp_out), 0.0), 1.0)
        return x * x * (3 - 2 * x)

    def _timed_interval(self, fault: FaultSpec, hold: Phase) -> tuple[float, float]:
        start = hold.start_s + fault.params["start"]
        dur = fault.params.get("dur")
        end = hold.end_s - RAMP_S / 2 if dur is None else min(start + dur, hold.end_s - RAMP_S / 2)
        return start, end

    # Ground truth ---------------------------------------------------------------------------

    def fault_intervals(self) -> list[dict]:
        """The true time of every injected fault, in the truth file's terms."""
        out = []
        for fault in self.faults:
            hold = self.hold_of(fault.side)
            p = fault.params
            if fault.kind == "skip_side":
                at = round(self.duration_s, 3)
                out.append(self._interval("hold_too_short", fault, at, at, {"skipped": True}))
                continue
            if hold is None:
                continue
            if fault.kind == "hold_too_short":
                out.append(self._interval(fault.kind, fault, hold.start_s, hold.end_s, p))
            elif fault.kind == "bounce":
                start = hold.start_s + p["start"]
                out.append(
                    self._interval(fault.kind, fault, start, min(start + p["dur"], hold.end_s), p)
                )
            elif fault.kind == "jerk":
                for k in range(int(p["count"])):
                    t0 = hold.start_s + p["start"] + k * p["every"]
                    if t0 + JOLT_S <= hold.end_s:
                        out.append(
                            self._interval("bounce", fault, t0, t0 + JOLT_S, p | {"jerk": True})
                        )
            elif p.get("start") is None:
                out.append(self._interval(fault.kind, fault, hold.start_s, hold.end_s, p))
            else:
                start, end = self._timed_interval(fault, hold)
                out.append(self._interval(fault.kind, fault, start, end, p))
        return sorted(out, key=lambda f: f["start_s"])

    @staticmethod
    def _interval(kind, fault, start, end, params) -> dict:
        shown = {k: v for k, v in params.items() if v is not None and k not in ("start", "dur")}
        return {
            "kind": kind,
            "side": fault.side,
            "start_s": round(start, 3),
            "end_s": round(end, 3),
            "injected": fault.kind,
            "params": shown,
        }
