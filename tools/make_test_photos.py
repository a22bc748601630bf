"""Cut the still photos the tests use out of the rendered sample videos, at moments their truth
files name: the middle of a good hold on either side, the middle of a fault, a front view.

    python -m tools.make_test_photos        # writes tests/data/photos/*.jpg (and a PNG)

Each photo is one decoded frame, saved as a phone would save it (JPEG, quality 90); the truth of
the moment (stretch, side, faults) is in tests/data/photos/photos.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2

from pose_coach.evaluate import load_truth
from pose_coach.input.video import iter_frames

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
OUT = ROOT / "tests" / "data" / "photos"
# name -> (sample video, which hold (index in the truth), file type)
PHOTOS = {
    "kneeling_good_left.jpg": ("kneeling_psoas_good", 0),
    "kneeling_good_right.jpg": ("kneeling_psoas_good", 1),
    "kneeling_too_deep_left.jpg": ("kneeling_psoas_too_deep", 0),
    "kneeling_trunk_misaligned_left.png": ("kneeling_psoas_trunk_misaligned", 0),
    "standing_good_right.jpg": ("standing_psoas_good", 1),
    "standing_front_left.jpg": ("standing_psoas_good_front", 0),
}


def moment(truth: dict, hold: int) -> tuple[float, str, list[str]]:
    """The middle of a hold, or of its first fault; the side and the faults true then."""
    held = truth["holds"][hold]
    faults = [
        f for f in truth["faults"] if f["side"] == held["side"] and f["kind"] != "hold_too_short"
    ]
    span = faults[0] if faults else held
    t = (span["start_s"] + span["end_s"]) / 2
    return t, held["side"], [f["kind"] for f in faults if f["start_s"] <= t <= f["end_s"]]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    index = {}
    for name, (stem, hold) in PHOTOS.items():
        video = SAMPLES / f"{stem}.mp4"
        truth = load_truth(video)
        t, side, faults = moment(truth, hold)
        rgb = next(rgb for rgb, ts in iter_frames(video) if ts >= t)
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(OUT / name), bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
        index[name] = {"video": video.name, "time_s": round(t, 2), "stretch": truth["stretch"],
                       "view": truth["view"], "side": side, "faults": faults}  # fmt: skip
        print(f"{name}: {video.name} at {t:.2f} s, {side} side, faults {faults or 'none'}")
    (OUT / "photos.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
