"""Render the sample set: `python -m tools.render.make_samples sample_videos/ [--only NAME ...]`.

For each stretch: a good-form video (both sides, full holds) and one video per fault, sized from
the stretch's reference (`reference_poses/<id>.yaml`) in true terms: too shallow / too deep move the
working hip 2x its tolerance from where the good hold has it, a trunk fault leans 2x the trunk
tolerance, a hip fault tilts or turns the pelvis 1.5x its limit, a bounce swings the working hip
2x the allowed amplitude. Also three-quarter views and other body shapes. Writes `README.md`.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from pose_coach.events import Fault

try:  # the package's layout after its refactor, else the one before
    from pose_coach.judge.reference import ReferenceError, get_reference
except ImportError:  # pragma: no cover
    from pose_coach.reference import ReferenceError, get_reference
from tools.render.choreography import JOLT_S, FaultSpec
from tools.render.stretches import STRETCHES, Mods
from tools.render.video import VideoSpec, angles_of, make_scene, render_video


@dataclass(frozen=True)
class Sample:
    name: str
    spec: VideoSpec
    about: str


@dataclass(frozen=True)
class FaultSizes:
    """Injected amounts (the choreography's units) and the true angle change they give."""

    hold_s: float
    shallow_deg: float
    deep_deg: float
    trunk_deg: float
    tilt_deg: float
    bounce_amp: float
    bounce_unit: str
    jerk_amp: float
    effects: dict[str, float]


def _secant(f, target: float, x0: float, x1: float, steps: int = 4) -> float:
    """x with f(x) close to target (f is smooth and monotonic near the good hold)."""
    y0, y1 = f(x0) - target, f(x1) - target
    for _ in range(steps):
        if y1 == y0:
            break
        x0, x1, y0 = x1, x1 - y1 * (x1 - x0) / (y1 - y0), y1
        y1 = f(x1) - target
    return x1


def fault_sizes(stretch_id: str, body: str = "default") -> FaultSizes:
    """Size each fault from the reference so the true angles leave the tolerance clearly."""
    try:
        ref = get_reference(stretch_id)
        hip_check, trunk_check = ref.angles["working_hip"], ref.angles["trunk"]
        hips = ref.hip_alignment
        hold_s, tilt_limit = ref.hold_s, hips.tilt[1]
        bounce_amp = ref.bounce.max_amplitude_deg
        bounce_speed = ref.bounce.max_speed_deg_s
        deep_is_low = hip_check.too_low.fault == Fault.TOO_DEEP
        hip_tol, trunk_tol = hip_check.tolerance, trunk_check.tolerance
    except ReferenceError:  # no reference for this stretch yet: the skeleton's values
        hold_s, tilt_limit, bounce_amp, bounce_speed = 30.0, 10.0, 3.0, 60.0
        deep_is_low = stretch_id in ("kneeling_psoas", "half_kneeling_hip_flexor")
        hip_tol, trunk_tol = 12.0, 10.0
    scene = make_scene(VideoSpec(stretch=stretch_id, body=body))

    def angle(name: str, **mods) -> float:
        return angles_of(scene, "left", 1.0, Mods(**mods))[name]

    base = angles_of(scene, "left", 1.0, Mods())
    deep_sign = -1.0 if deep_is_low else 1.0
    hip0, trunk0 = base["hip_left"], base["trunk"]
    deep = _secant(lambda d: angle("hip_left", depth_deg=d), hip0 + deep_sign * 2 * hip_tol, 5, 15)
    shallow = -_secant(
        lambda d: angle("hip_left", depth_deg=d), hip0 - deep_sign * 2 * hip_tol, -5, -15
    )
    trunk = _secant(lambda d: angle("trunk", trunk_lean_deg=d), trunk0 + 2 * trunk_tol, 5, 15)
    tilt_sign = _HIP_TILT_SIGN[stretch_id]
    tilt = _secant(
        lambda d: angle("pelvis_tilt", pelvis_tilt_deg=d),
        base["pelvis_tilt"] + tilt_sign * 1.5 * tilt_limit,
        5 * tilt_sign,
        10 * tilt_sign,
    )
    in_cm = stretch_id == "half_kneeling_hip_flexor"
    per_deg = abs(angle("hip_left", depth_deg=2.0) - angle("hip_left", depth_deg=-2.0)) / 4
    per_cm = abs(angle("hip_left", shift_cm=1.0) - angle("hip_left", shift_cm=-1.0)) / 2
    effects = {
        "hip_good": hip0,
        "hip_deep": angle("hip_left", depth_deg=deep),
        "hip_shallow": angle("hip_left", depth_deg=-shallow),
        "trunk_good": trunk0,
        "trunk_lean": angle("trunk", trunk_lean_deg=trunk),
        "tilt_good": base["pelvis_tilt"],
        "tilt_fault": angle("pelvis_tilt", pelvis_tilt_deg=tilt),
    }
    return FaultSizes(
        hold_s=hold_s,
        shallow_deg=round(shallow, 1),
        deep_deg=round(deep, 1),
        trunk_deg=round(trunk, 1),
        tilt_deg=round(tilt, 1),
        bounce_amp=round(2 * bounce_amp / (per_cm if in_cm else per_deg), 1),
        bounce_unit="cm" if in_cm else "deg",
        # A jolt out and back in JOLT_S peaks at amp * pi / JOLT_S deg/s: twice the speed limit.
        jerk_amp=round(2 * bounce_speed * JOLT_S / math.pi / per_deg, 1),
        effects={k: round(v, 2) for k, v in effects.items()},
    )


# Bodies and looks spread over the set so no two neighbours look alike.
_STYLE = {
    "kneeling_psoas": ("default", "blue_shirt"),
    "lying_psoas": ("slim_woman", "green_top"),
    "standing_psoas": ("heavy_man", "red_top"),
    "half_kneeling_hip_flexor": ("default", "green_top"),
}
# Which way the pelvis goes wrong (the references check its tilt): +1 the working hip rises.
_HIP_TILT_SIGN = {
    "kneeling_psoas": 1.0,  # the extended leg's hip opens up towards the ceiling
    "lying_psoas": 1.0,  # the lifted side's hip comes off the floor
    "standing_psoas": 1.0,  # the lifted hip hikes
    "half_kneeling_hip_flexor": -1.0,  # the kneeling side's hip drops
}


def _spec(sid: str, *faults: str, **kw) -> VideoSpec:
    """A one-side fault video in the stretch's body and look, unless told otherwise."""
    body, look = _STYLE[sid]
    settings = {"sides": ("left",), "body": body, "look": look} | kw
    return VideoSpec(stretch=sid, faults=tuple(FaultSpec.parse(f) for f in faults), **settings)


def _fault_samples(sid: str, s: FaultSizes, seed: int) -> list[Sample]:
    common = {"hold_s": s.hold_s, "seed": seed}
    both = common | {"sides": ("left", "right")}
    bounce = f"bounce:amp={s.bounce_amp},hz=2,unit={s.bounce_unit},start=10,dur=10"
    out = [
        Sample(
            f"{sid}_bounce",
            _spec(sid, bounce, **common),
            f"bouncing {s.bounce_amp} {s.bounce_unit} at 2 Hz for 10 s mid-hold",
        ),
        Sample(
            f"{sid}_hip_misaligned",
            _spec(sid, f"hip_misaligned:tilt={s.tilt_deg},start=8,dur=14", **common),
            f"pelvis tilted {s.tilt_deg} deg (working hip up +) for 14 s",
        ),
        Sample(
            f"{sid}_too_shallow",
            _spec(sid, f"too_shallow:deg={s.shallow_deg}", **common),
            f"working hip {s.shallow_deg} deg short of the stretch for the whole hold",
        ),
        Sample(
            f"{sid}_too_deep",
            _spec(sid, f"too_deep:deg={s.deep_deg}", **common),
            f"working hip {s.deep_deg} deg past the stretch for the whole hold",
        ),
        Sample(
            f"{sid}_trunk_misaligned",
            _spec(sid, f"trunk_misaligned:deg={s.trunk_deg},start=8,dur=14", **common),
            f"trunk leaning {s.trunk_deg} deg forward for 14 s",
        ),
        Sample(
            f"{sid}_short_hold",
            _spec(sid, "hold_too_short:hold=12,side=right", **both),
            "both sides, the right side held only 12 s",
        ),
        Sample(
            f"{sid}_skipped_side",
            _spec(sid, "skip_side:side=right", **both),
            "left side only: the right side is skipped",
        ),
    ]
    if sid in ("kneeling_psoas", "standing_psoas"):
        jerk = f"jerk:amp={s.jerk_amp},count=3,every=4,start=10"
        out.append(
            Sample(
                f"{sid}_jerky",
                _spec(sid, jerk, **common),
                f"three sudden {s.jerk_amp} deg jolts of the working leg",
            )
        )
    return out


def samples(sizes: dict[str, FaultSizes]) -> list[Sample]:
    """Every fault video of every stretch, then good form from other views and bodies."""
    out = []
    for i, sid in enumerate(STRETCHES):
        out += _fault_samples(sid, sizes[sid], seed=10 * (i + 1))
    out += [
        Sample(
            "kneeling_psoas_good_three_quarter",
            VideoSpec(
                stretch="kneeling_psoas", view="three_quarter", body="slim_woman", look="red_top"
            ),
            "good form, three-quarter view",
        ),
        Sample(
            "half_kneeling_hip_flexor_good_three_quarter",
            VideoSpec(stretch="half_kneeling_hip_flexor", view="three_quarter", body="heavy_man"),
            "good form, three-quarter view",
        ),
        Sample(
            "standing_psoas_good_front",
            VideoSpec(stretch="standing_psoas", view="front", body="slim_woman", look="green_top"),
            "good form, front view (no turn between sides)",
        ),
    ]
    return out


def good_samples() -> list[Sample]:
    """The four good-form side-view videos (default body): the references are measured on them."""
    return [
        Sample(f"{sid}_good", VideoSpec(stretch=sid), "good form, both sides, full holds")
        for sid in STRETCHES
    ]


def _describe(fault: dict) -> str:
    """The injected fault and its size, e.g. 'too_deep 24.1 deg' or 'bounce 4.1 cm 2 Hz'."""
    p = fault["params"]
    match fault["injected"]:
        case "bounce":
            return f"bounce {p['amp']} {p['unit']} {p['hz']:g} Hz"
        case "jerk":
            return f"jolt {p['amp']} deg"
        case "hip_misaligned":
            parts = [f"{k} {p[k]} deg" for k in ("tilt", "rot") if p.get(k)]
            return "pelvis " + ", ".join(parts)
        case "too_shallow" | "too_deep" | "trunk_misaligned":
            return f"{fault['injected']} {p['deg']} deg"
        case "hold_too_short":
            return f"held {p['hold']:g} s"
        case _:
            return "side skipped"


def write_readme(folder: Path) -> None:
    """sample_videos/README.md from the truth files present in the folder."""
    rows = []
    for path in sorted(folder.glob("*.truth.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        name = path.name.removesuffix(".truth.json")
        holds = "; ".join(
            f"{h['side']} {h['start_s']:.1f}-{h['end_s']:.1f}" for h in truth["holds"]
        )
        faults = "; ".join(
            f"{f['kind']} ({f['side']}) {f['start_s']:.1f}-{f['end_s']:.1f} [{_describe(f)}]"
            for f in truth["faults"]
        )
        size_mb = (folder / f"{name}.mp4").stat().st_size / 1e6
        rows.append(
            f"| {name}.mp4 | {truth['stretch']} | {truth['view']} | {truth['body']}, {truth['look']} | "
            f"{truth['duration_s']:.1f} | {holds} | {faults or 'none (good form)'} | {size_mb:.1f} |"
        )
    text = (
        "# Sample videos\n\n"
        "Rendered people (anny body model) doing the four stretches, made by `tools/render` "
        "(`python -m tools.render.make_samples sample_videos/`). Each `NAME.mp4` (640x480, H.264) has "
        "`NAME.truth.json` beside it: the holds, the injected faults with their true times, and the "
        "true angles of every frame in `pose_coach.measure.angles` terms (`angles`: COCO-style skin "
        "keypoints, like MediaPipe's; `angles_anatomical`: joint centres), plus the projected "
        "landmarks. See `tools/render/README.md` for how the truth is computed.\n\n"
        "Times are seconds from the start of the video. Holds are when the person is fully in "
        "position. A skipped side is a `hold_too_short` of zero length at the end of the video. "
        "Fault sizes follow the references' tolerances in true terms: too shallow / too deep move "
        "the true working hip 2x its tolerance, trunk faults 2x the trunk tolerance, the pelvis "
        "1.5x the tilt tolerance, a bounce 2x the allowed amplitude, a jolt peaks at 2x the "
        "allowed speed. The person turns around between sides (side view: 180 degrees, "
        "three-quarter: 90) so the working leg is nearest the camera; the front view does not turn."
        "\n\n"
        "| video | stretch | view | body, look | length s | holds (side start-end) "
        "| faults (kind (side) start-end [injected]) | MB |\n"
        "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    (folder / "README.md").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--only", nargs="*", help="render only these sample names")
    parser.add_argument("--good-only", action="store_true", help="only the good-form side views")
    parser.add_argument("--list", action="store_true", help="print the samples and exit")
    parser.add_argument(
        "--skip-existing", action="store_true", help="keep videos that already have a truth file"
    )
    args = parser.parse_args(argv)
    if args.good_only:
        todo = good_samples()
    else:
        sizes = {sid: fault_sizes(sid, _STYLE[sid][0]) for sid in STRETCHES}
        for sid, s in sizes.items():
            print(sid, s)
        todo = good_samples() + samples(sizes)
    if args.only:
        todo = [s for s in todo if s.name in args.only]
    if args.skip_existing:
        todo = [s for s in todo if not (args.out / f"{s.name}.truth.json").exists()]
    if args.list:
        for sample in todo:
            print(f"{sample.name}: {sample.about}")
        return
    started = time.perf_counter()
    for sample in todo:
        truth = render_video(sample.spec, args.out, sample.name)
        ms = 1000 * truth["render_s"] / truth["frame_count"]
        print(
            f"{sample.name}: {truth['frame_count']} frames in {truth['render_s']} s ({ms:.0f} ms/frame)"
        )
        write_readme(args.out)
    print(f"{len(todo)} videos in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
