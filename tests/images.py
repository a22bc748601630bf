"""Frames made from the rendered videos' frames for tests and benchmarks."""

from __future__ import annotations

import cv2
import numpy as np


def far_away(rgb: np.ndarray) -> np.ndarray:
    """The frame at a third of its size, its top-left corner at ``far_corner``, on a plain
    canvas of the frame's size and the frame's median colour: the person as a camera three
    times farther off sees them, too small for the pose model to find in the whole frame."""
    height, width = rgb.shape[:2]
    small = cv2.resize(rgb, (width // 3, height // 3), interpolation=cv2.INTER_AREA)
    canvas = np.empty_like(rgb)
    canvas[:] = np.median(small.reshape(-1, 3), axis=0).astype(np.uint8)
    x, y = far_corner(width, height)
    canvas[y : y + small.shape[0], x : x + small.shape[1]] = small
    return canvas


def far_corner(width: int, height: int) -> tuple[int, int]:
    """Where ``far_away`` puts the small frame's top-left corner, in pixels."""
    return width // 3, height // 10
