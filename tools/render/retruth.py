"""Recompute the true angles of rendered videos after `pose_coach/angles.py` changes.

`python -m tools.render.retruth sample_videos/` rebuilds each frame's PoseFrame from the landmarks
stored in every `*.truth.json` and rewrites its `angles` with the current definitions (and
`angles_sha1`, the hash of the angles module used). `angles_anatomical` needs the joint centres,
which are not stored: it stays as rendered (re-render to refresh it). Needs no torch or anny.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

try:  # the package's layout after its refactor, else the one before
    import pose_coach.measure.angles as angles_module
    from pose_coach.input.landmarks import NUM_LANDMARKS, PoseFrame
    from pose_coach.measure.angles import ANGLE_NAMES, compute_angles
except ImportError:  # pragma: no cover
    import pose_coach.angles as angles_module
    from pose_coach.angles import ANGLE_NAMES, compute_angles
    from pose_coach.landmarks import NUM_LANDMARKS, PoseFrame


def angles_sha1() -> str:
    """Hash of the angle definitions in use, so a truth file says which ones it was made with."""
    return hashlib.sha1(Path(angles_module.__file__).read_bytes()).hexdigest()


def frames_of(truth: dict) -> list[PoseFrame]:
    """The true PoseFrame of every frame of a truth file."""
    fps, w, h = truth["fps"], truth["width"], truth["height"]
    out = []
    for i, (image, world) in enumerate(
        zip(truth["landmarks_image_dpx"], truth["landmarks_world_mm"], strict=True)
    ):
        out.append(
            PoseFrame(
                image=np.reshape(image, (NUM_LANDMARKS, 2)) / 10.0,
                visibility=np.ones(NUM_LANDMARKS),
                world=np.reshape(world, (NUM_LANDMARKS, 3)) / 1000.0,
                timestamp_s=i / fps,
                width=w,
                height=h,
            )
        )
    return out


def recompute(path: Path) -> None:
    truth = json.loads(path.read_text(encoding="utf-8"))
    angles = {name: [] for name in ANGLE_NAMES}
    for frame in frames_of(truth):
        values = compute_angles(frame)
        for name in ANGLE_NAMES:
            value = values[name]
            angles[name].append(None if np.isnan(value) else round(value, 2))
    truth["angle_names"] = list(ANGLE_NAMES)
    truth["angles"] = angles
    truth["angles_sha1"] = angles_sha1()
    path.write_text(json.dumps(truth, separators=(",", ":")) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    for path in sorted(args.folder.glob("*.truth.json")):
        recompute(path)
        print(f"{path}: angles recomputed")


if __name__ == "__main__":
    main()
