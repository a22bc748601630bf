"""``annotated.mp4``: each coached frame drawn on (``annotate.draw``) and encoded as it comes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pose_coach.coach import VideoFacts
from pose_coach.input.video import VideoWriter
from pose_coach.judge.reference import Reference
from pose_coach.judge.session import FrameResult
from pose_coach.output.annotate import draw

VIDEO_NAME = "annotated.mp4"


class AnnotatedVideo:
    """A ``coach_video`` frame observer that writes the annotated video (H.264, plays in browsers).

    Use it as a context manager: the file is kept only if the block ends without an error.
    """

    def __init__(self, path: Path, video: VideoFacts, reference: Reference) -> None:
        self.reference = reference
        self.writer = VideoWriter(path, video.width, video.height, video.fps or 30.0)

    def __call__(self, rgb: np.ndarray, result: FrameResult) -> None:
        self.writer.write(draw(rgb, result, self.reference), result.timestamp_s)

    def __enter__(self) -> AnnotatedVideo:
        self.writer.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.writer.__exit__(*exc_info)
