"""``annotated.png``: a still photo with its verdict drawn on (``annotate.draw_still``)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pose_coach.coach import CoachingRun
from pose_coach.judge.session import FrameResult
from pose_coach.output.annotate import draw_still

IMAGE_NAME = "annotated.png"


class AnnotatedImage:
    """A ``coach_video`` frame observer for a still: keeps the frame; ``write`` draws the run's
    verdict on it, which is known only once the run is judged."""

    def __init__(self) -> None:
        self.frame: np.ndarray | None = None

    def __call__(self, rgb: np.ndarray, result: FrameResult) -> None:
        self.frame = rgb.copy()

    def write(self, run: CoachingRun, path: Path) -> None:
        if self.frame is None or run.still is None or not run.frames:
            raise ValueError("no still photo was coached: nothing to draw")
        image = draw_still(self.frame, run.frames[0], run.still, run.reference)
        if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {path.name}")
