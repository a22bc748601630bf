"""Bare pose-model inference per frame, one model against another, on the same frames in one run.

    python benchmarks/model_speed.py MODEL_B [--model-a A] [--video VIDEO] [--repeat N]

Prints milliseconds per frame of ``PoseEstimator.detect`` (video mode, frames decoded into memory
first) for model A (default: the shipped one) and model B, and B's ratio to A. The two run
alternately, ``--repeat`` times each, and each figure is the best run, to damp a shared machine's
noise.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pose_coach.input.model_files import default_model_path
from pose_coach.input.pose import PoseEstimator
from pose_coach.input.video import iter_frames

DEFAULT_VIDEO = Path(__file__).resolve().parent.parent / "sample_videos" / "kneeling_psoas_good.mp4"


def inference_s(model: Path, frames: list) -> float:
    with PoseEstimator(model, video_mode=True) as estimator:
        start = time.perf_counter()
        for rgb, t in frames:
            estimator.detect(rgb, t)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_b", type=Path)
    parser.add_argument("--model-a", type=Path, default=default_model_path())
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    frames = list(iter_frames(args.video))
    n = len(frames)
    best = {args.model_a: float("inf"), args.model_b: float("inf")}
    for _ in range(args.repeat):
        for model in best:
            best[model] = min(best[model], inference_s(model, frames))
    height, width = frames[0][0].shape[:2]
    print(f"video: {args.video.name}, {n} frames at {width}x{height}, best of {args.repeat}")
    for label, model in (("A", args.model_a), ("B", args.model_b)):
        print(f"{label} {model.name}: {1000 * best[model] / n:6.2f} ms/frame")
    print(f"B / A: {best[args.model_b] / best[args.model_a]:.2f}")


if __name__ == "__main__":
    main()
