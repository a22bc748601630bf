"""python -m tools.render STRETCH --out DIR --name NAME [options]: render one video + truth."""

from __future__ import annotations

import argparse
from pathlib import Path

from tools.render.body import BODY_PRESETS
from tools.render.camera import VIEW_AZIMUTH_DEG
from tools.render.choreography import FAULT_KINDS, FaultSpec
from tools.render.scene import LOOKS
from tools.render.stretches import STRETCHES
from tools.render.video import VideoSpec, render_video


def build_parser() -> argparse.ArgumentParser:
    defaults = VideoSpec(stretch="kneeling_psoas")
    parser = argparse.ArgumentParser(
        prog="python -m tools.render",
        description="Render a synthetic person doing a psoas stretch, with exact ground truth.",
    )
    parser.add_argument("stretch", choices=sorted(STRETCHES))
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--name", required=True, help="file name without extension")
    parser.add_argument("--view", choices=list(VIEW_AZIMUTH_DEG), default=defaults.view)
    parser.add_argument("--body", choices=sorted(BODY_PRESETS), default=defaults.body)
    parser.add_argument("--look", choices=sorted(LOOKS), default=defaults.look)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:key=value,...]",
        help=f"inject a fault (repeatable); kinds: {', '.join(FAULT_KINDS)}; "
        "see tools/render/README.md for their parameters",
    )
    parser.add_argument("--sides", default=",".join(defaults.sides), help="e.g. left,right")
    parser.add_argument("--hold-s", type=float, default=defaults.hold_s)
    parser.add_argument("--fps", type=int, default=defaults.fps)
    parser.add_argument("--no-turn", action="store_true", help="do not turn for the other side")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--crf", type=int, default=defaults.crf)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        faults = tuple(FaultSpec.parse(text) for text in args.fault)
        spec = VideoSpec(
            stretch=args.stretch,
            view=args.view,
            body=args.body,
            look=args.look,
            sides=tuple(s.strip() for s in args.sides.split(",") if s.strip()),
            hold_s=args.hold_s,
            fps=args.fps,
            faults=faults,
            turn=not args.no_turn,
            seed=args.seed,
            crf=args.crf,
        )
    except ValueError as error:
        parser.error(str(error))
    truth = render_video(spec, args.out, args.name)
    per_frame_ms = 1000 * truth["render_s"] / truth["frame_count"]
    print(
        f"{args.out / args.name}.mp4: {truth['frame_count']} frames, {truth['duration_s']} s, "
        f"rendered in {truth['render_s']} s ({per_frame_ms:.0f} ms/frame)"
    )
    for hold in truth["holds"]:
        print(f"  hold {hold['side']}: {hold['start_s']}-{hold['end_s']} s")
    for fault in truth["faults"]:
        print(f"  {fault['kind']} ({fault['side']}): {fault['start_s']}-{fault['end_s']} s")


if __name__ == "__main__":
    main()
