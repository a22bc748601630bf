"""Review speed against bare model inference, on one video, in the same run.

    python benchmarks/review_speed.py [VIDEO] [--stretch ID] [--repeat N]

Prints frames per second of bare inference (frames decoded into memory first, then only
``PoseEstimator.detect`` on the frames the review analyses: about ``Settings.analysis_fps`` a
second, see ``coach.Pace``), of the whole review (decode, inference, filter, angles, checks, drawing,
H.264 encoding, CSV and report), their ratio, and the per-frame cost of everything except inference.
Each figure is the best of ``--repeat`` runs, to damp the noise of a shared machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pose_coach.coach import Pace
from pose_coach.config import Settings
from pose_coach.input.model_files import resolve_model_path
from pose_coach.input.pose import PoseEstimator
from pose_coach.input.video import iter_frames
from pose_coach.judge.reference import get_reference
from pose_coach.review import review_video

DEFAULT_VIDEO = Path(__file__).resolve().parent.parent / "sample_videos" / "kneeling_psoas_good.mp4"


def bare_inference_s(frames: list) -> tuple[float, int]:
    """Seconds of inference on the frames a review analyses, and how many frames that is."""
    with PoseEstimator(video_mode=True) as estimator:
        pace = Pace(Settings().analysis_fps)
        analysed = 0
        start = time.perf_counter()
        for rgb, t in frames:
            if pace.due(t):
                estimator.detect(rgb, t)
                analysed += 1
        return time.perf_counter() - start, analysed


def review_s(video: Path, stretch: str, annotate: bool) -> float:
    reference = get_reference(stretch)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        review_video(video, reference, Settings(annotate=annotate), out_dir=Path(out))
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path, nargs="?", default=DEFAULT_VIDEO)
    parser.add_argument("--stretch", default="kneeling_psoas")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    frames = list(iter_frames(args.video))
    n = len(frames)
    height, width = frames[0][0].shape[:2]
    bare, analysed = min(bare_inference_s(frames) for _ in range(args.repeat))
    del frames
    whole = min(review_s(args.video, args.stretch, annotate=True) for _ in range(args.repeat))
    plain = min(review_s(args.video, args.stretch, annotate=False) for _ in range(args.repeat))

    print(
        f"video: {args.video.name}, {n} frames at {width}x{height}, {analysed} analysed by the "
        f"pose model ({resolve_model_path(None).name})"
    )
    print(f"bare inference:            {n / bare:7.1f} fps  ({1000 * bare / n:.2f} ms/frame)")
    print(f"whole review (annotated):  {n / whole:7.1f} fps  ({1000 * whole / n:.2f} ms/frame)")
    print(f"review without video out:  {n / plain:7.1f} fps  ({1000 * plain / n:.2f} ms/frame)")
    print(f"ratio whole / bare:        {bare / whole:7.2f}  (goal >= 0.80)")
    print(f"non-inference cost:        {1000 * (whole - bare) / n:7.2f} ms/frame (goal < 3 ms)")


if __name__ == "__main__":
    main()
