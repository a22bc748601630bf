"""Fake webcam files for Chromium: a video (or still) written as a YUV4MPEG2 (.y4m) clip.

Chromium's ``--use-file-for-fake-video-capture`` plays such a file as the camera, looping it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from pose_coach.input.video import iter_frames
from tests.browser.stamps import stamp_frame

WIDTH, HEIGHT, FPS = 640, 480, 30


def fitted(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` scaled to fit WIDTH x HEIGHT without stretching, centred on black."""
    height, width = rgb.shape[:2]
    scale = min(WIDTH / width, HEIGHT / height)
    w, h = round(width * scale), round(height * scale)
    out = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    top, left = (HEIGHT - h) // 2, (WIDTH - w) // 2
    out[top : top + h, left : left + w] = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    return out


def write_y4m(
    source: Path,
    out: Path,
    start_s: float = 0.0,
    seconds: float = 4.0,
    stamped: bool = False,
    change: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Path:
    """Frames of ``source`` from ``start_s`` for ``seconds`` (a still is repeated), 640x480 at 30 fps:
    a frame of another shape (a phone's portrait) keeps its proportions, with black bars beside it.

    Frames are taken at the source's own times, so a clip of another frame rate keeps its speed.
    ``stamped``: each frame carries its number in the clip (``stamps.stamp_frame``); ``change``:
    made of each 640x480 frame (e.g. ``tests.images.far_away``).
    """
    count = round(seconds * FPS)
    frames = iter_frames(source)
    rgb, t = next(frames)
    with out.open("wb") as stream:
        stream.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for n in range(count):
            while t < start_s + n / FPS:  # advance to the frame on screen at that time
                following = next(frames, None)
                if following is None:  # the source has ended: keep showing its last frame
                    break
                rgb, t = following
            resized = fitted(rgb) if change is None else change(fitted(rgb))
            if stamped:
                stamp_frame(resized, n)
            stream.write(b"FRAME\n" + cv2.cvtColor(resized, cv2.COLOR_RGB2YUV_I420).tobytes())
    return out
