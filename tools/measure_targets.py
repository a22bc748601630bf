"""Measure what good form reads in MediaPipe's terms, to set a reference's targets.

    python tools/measure_targets.py sample_videos/kneeling_psoas_good.mp4 [...]

Reviews each labelled good-form video (NAME.mp4 + NAME.truth.json) and prints, per relative angle
(working_hip, other_knee, trunk, pelvis_tilt, ...), the median and the robust spread (1.4826 x the
median absolute deviation) of the program's readings during the TRUE hold intervals, next to the true
angles' median. Those medians are the targets written in reference_poses/.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from pose_coach.config import Settings
from pose_coach.evaluate import load_truth
from pose_coach.judge.reference import get_reference
from pose_coach.measure.angles import Angles
from pose_coach.review import coach_file


def _value(text) -> float:
    return float("nan") if text in ("", None) else float(text)


def measure(video: Path) -> dict[str, tuple[list[float], list[float]]]:
    """Relative angle name -> (measured values, true values) over the true holds."""
    truth = load_truth(video)
    reference = get_reference(truth["stretch"])
    run = coach_file(video, reference, Settings())
    fps = truth["fps"]
    values: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for hold in truth["holds"]:
        for i in range(int(hold["start_s"] * fps), min(int(hold["end_s"] * fps), len(run.frames))):
            angles = run.frames[i].angles
            if angles is None:
                continue
            measured = angles.for_side(hold["side"])
            true = Angles(**{k: _value(v[i]) for k, v in truth["angles"].items()}).for_side(
                hold["side"]
            )
            for name, value in measured.items():
                values[name][0].append(value)
                values[name][1].append(true[name])
    return values


def main(videos: list[str]) -> None:
    for video in map(Path, videos):
        print(video.name)
        for name, (measured, true) in measure(video).items():
            m = np.array(measured)
            m = m[~np.isnan(m)]
            if not len(m):
                print(f"  {name:<18} not seen")
                continue
            median = np.median(m)
            spread = 1.4826 * np.median(np.abs(m - median))
            print(f"  {name:<18} median {median:7.1f}  spread {spread:5.1f}  "
                  f"true {np.nanmedian(true):7.1f}  seen {len(m)}/{len(measured)}")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
