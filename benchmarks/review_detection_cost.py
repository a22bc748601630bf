"""What a review's two additions to the pose model's tracking cost: the search for a person too
small for the whole frame (``pose.ZoomSearch``) and the check that the tracking has not lost the
person (``pose.TrackCheck``).

    python benchmarks/review_detection_cost.py [VIDEO] [--frames N] [--repeat N]

Runs the pose model on the first ``--frames`` frames a review analyses of VIDEO (about
``Settings.analysis_fps`` a second) in the same run: plain tracking, with the search, and with the
search and the check (as a review runs), on three versions of the frames: as they are (the whole
frame finds the person: the search idles, the check reads a frame afresh once a second), the person
at a third of the size on a plain canvas (found and followed in a window), and an empty canvas
(nobody: searched once a second). Prints milliseconds per analysed frame and the ratios to plain
tracking. Each figure is the best of ``--repeat`` runs, to damp the noise of a shared machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from pose_coach.coach import Pace
from pose_coach.config import Settings
from pose_coach.input.pose import PoseEstimator
from pose_coach.input.video import iter_frames

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' helpers
from tests.images import far_away

DEFAULT_VIDEO = Path(__file__).resolve().parent.parent / "sample_videos" / "kneeling_psoas_good.mp4"


def analysed_frames(video: Path, n: int) -> list[tuple[np.ndarray, float]]:
    pace = Pace(Settings().analysis_fps)
    frames = []
    for rgb, t in iter_frames(video):
        if pace.due(t):
            frames.append((rgb, t))
            if len(frames) == n:
                break
    return frames


def ms_per_frame(
    frames: list[tuple[np.ndarray, float]], repeat: int, **options: bool
) -> tuple[float, int]:
    """Best milliseconds per frame over ``repeat`` runs, and how many frames found a person;
    ``options``: the estimator's ``zoom_search`` and ``track_check``."""
    best, found = float("inf"), 0
    for _ in range(repeat):
        with PoseEstimator(video_mode=True, **options) as estimator:
            start = time.perf_counter()
            found = sum(estimator.detect(rgb, t) is not None for rgb, t in frames)
            best = min(best, (time.perf_counter() - start) * 1000 / len(frames))
    return best, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    frames = analysed_frames(args.video, args.frames)
    versions = {
        "as filmed (person found)": frames,
        "person at a third of the size": [(far_away(rgb), t) for rgb, t in frames],
        "nobody in the frame": [(np.full_like(rgb, 128), t) for rgb, t in frames],
    }
    print(f"{len(frames)} analysed frames of {args.video.name}, best of {args.repeat}")
    print(f"{'':32} {'plain ms':>8} {'found':>6} {'search ms':>9} {'found':>6} {'ratio':>6} "
          f"{'+check ms':>9} {'found':>6} {'ratio':>6}")  # fmt: skip
    for name, version in versions.items():
        plain, found_plain = ms_per_frame(version, args.repeat)
        zoom, found_zoom = ms_per_frame(version, args.repeat, zoom_search=True)
        both, found_both = ms_per_frame(version, args.repeat, zoom_search=True, track_check=True)
        print(f"{name:32} {plain:8.1f} {found_plain:6d} {zoom:9.1f} {found_zoom:6d} "
              f"{zoom / plain:6.2f} {both:9.1f} {found_both:6d} {both / plain:6.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
