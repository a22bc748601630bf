"""Drawing: takes a frame and a FrameResult, returns the frame with the coaching drawn on it.

Nothing here decides anything: colours come from the states the session (or, for a photo, the
still verdict) computed. Text is sized by the frame's shorter side, so portrait and landscape video
get the same size of letters, and wrapped to the frame's width: a long cue takes two lines rather
than running off the edge.
"""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np

from pose_coach.input.landmarks import SKELETON
from pose_coach.input.landmarks import Landmark as L
from pose_coach.judge.reference import Reference
from pose_coach.judge.session import FrameResult, Phase
from pose_coach.judge.still import StillVerdict

# RGB colours.
GOOD = (40, 200, 90)
OFF = (245, 150, 30)
NEUTRAL = (200, 200, 200)
TEXT = (255, 255, 255)
PANEL = (30, 30, 30)
FONT = cv2.FONT_HERSHEY_SIMPLEX
MARGIN = 8  # pixels between text and the frame's edges
MIN_TEXT_SCALE = 0.3  # a word too long for the frame is shrunk, but never below this

# Which angle colours each bone.
_BONE_ANGLE = {
    (L.LEFT_HIP, L.LEFT_KNEE): "hip_left",
    (L.RIGHT_HIP, L.RIGHT_KNEE): "hip_right",
    (L.LEFT_KNEE, L.LEFT_ANKLE): "knee_left",
    (L.RIGHT_KNEE, L.RIGHT_ANKLE): "knee_right",
    (L.LEFT_SHOULDER, L.LEFT_ELBOW): "shoulder_left",
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW): "shoulder_right",
    (L.LEFT_SHOULDER, L.LEFT_HIP): "trunk",
    (L.RIGHT_SHOULDER, L.RIGHT_HIP): "trunk",
    (L.LEFT_HIP, L.RIGHT_HIP): "pelvis_tilt",
}
# Where each angle's value is written.
_ANGLE_AT = {
    "hip_left": L.LEFT_HIP,
    "hip_right": L.RIGHT_HIP,
    "knee_left": L.LEFT_KNEE,
    "knee_right": L.RIGHT_KNEE,
    "shoulder_left": L.LEFT_SHOULDER,
    "shoulder_right": L.RIGHT_SHOULDER,
}


def _colour(state: int | None) -> tuple[int, int, int]:
    if state is None:
        return NEUTRAL
    return GOOD if state == 0 else OFF


def _label(image: np.ndarray, text: str, origin: tuple[int, int], scale: float, colour) -> None:
    (w, h), base = cv2.getTextSize(text, FONT, scale, 1)
    x, y = origin
    cv2.rectangle(image, (x - 2, y - h - 3), (x + w + 2, y + base), PANEL, -1)
    cv2.putText(image, text, (x, y), FONT, scale, colour, 1, cv2.LINE_AA)


def _width(text: str, scale: float) -> int:
    return cv2.getTextSize(text, FONT, scale, 1)[0][0]


def wrap(text: str, width: int, scale: float) -> list[tuple[str, float]]:
    """``text`` as lines no wider than ``width`` pixels at ``scale``, broken between words; a
    single word too wide for a line is drawn smaller. Returns (line, scale) pairs."""
    lines: list[tuple[str, float]] = []
    line = ""
    for word in text.split():
        joined = f"{line} {word}" if line else word
        if line and _width(joined, scale) > width:
            lines.append((line, scale))
            line = word
        else:
            line = joined
    if line:
        lines.append((line, scale))
    fitted = []
    for words, size in lines:
        while _width(words, size) > width and size > MIN_TEXT_SCALE:
            size = max(MIN_TEXT_SCALE, size * 0.9)
        fitted.append((words, size))
    return fitted


def text_block(image: np.ndarray, text: str, top: int, scale: float, colour) -> int:
    """Draw ``text`` wrapped to the frame's width, its first line's baseline at ``top``;
    returns the baseline for the next line of text."""
    width = image.shape[1] - 2 * MARGIN
    y = top
    for line, size in wrap(text, width, scale):
        _label(image, line, (MARGIN, y), size, colour)
        (_, height), base = cv2.getTextSize("Ag", FONT, scale, 1)
        y += height + base + 6
    return y


def _draw_skeleton(image: np.ndarray, result: FrameResult, scale: float) -> None:
    pose = result.pose
    assert pose is not None
    points = np.round(pose.image).astype(int)
    thickness = max(2, round(3 * scale))
    for a, b in SKELETON:
        name = _BONE_ANGLE.get((a, b))
        colour = _colour(result.angle_states.get(name) if name else None)
        cv2.line(image, tuple(points[a]), tuple(points[b]), colour, thickness, cv2.LINE_AA)
    for index in {i for bone in SKELETON for i in bone}:
        cv2.circle(image, tuple(points[index]), thickness + 1, TEXT, -1, cv2.LINE_AA)
    for name, index in _ANGLE_AT.items():
        value = result.angles[name] if result.angles is not None else math.nan
        if name in result.angle_states and not math.isnan(value):
            x, y = points[index]
            colour = _colour(result.angle_states[name])
            _label(image, f"{value:.0f}", (int(x) + 8, int(y) - 8), 0.5 * scale, colour)


def _status_line(result: FrameResult, reference: Reference) -> str:
    side = f" - {result.side} side" if result.side else ""
    phase = result.phase.value.replace("_", " ")
    return f"{reference.name}{side}: {phase}"


def _draw_timer(image: np.ndarray, result: FrameResult, scale: float) -> None:
    height, width = image.shape[:2]
    bar_h = max(10, round(14 * scale))
    top = height - bar_h - 4
    fraction = min(1.0, result.hold_s / result.hold_target_s) if result.hold_target_s else 0.0
    cv2.rectangle(image, (4, top), (width - 4, height - 4), PANEL, -1)
    colour = GOOD if result.form_ok or result.phase is Phase.HOLD_COMPLETE else OFF
    cv2.rectangle(image, (4, top), (4 + int((width - 8) * fraction), height - 4), colour, -1)
    text = f"hold {result.hold_s:4.1f} / {result.hold_target_s:.0f} s"
    cv2.putText(image, text, (10, height - 7), FONT, 0.45 * scale, TEXT, 1, cv2.LINE_AA)


def _scale(image: np.ndarray) -> float:
    """Drawing size against a 640x480 frame, by the shorter side (portrait alike)."""
    return max(0.6, min(image.shape[:2]) / 480)


def draw(image: np.ndarray, result: FrameResult, reference: Reference) -> np.ndarray:
    """Draw the skeleton (coloured by form), the angles, the status, the cue and the hold timer.

    ``image`` is an RGB uint8 frame; it is drawn on in place and returned.
    """
    scale = _scale(image)
    if result.pose is not None:
        _draw_skeleton(image, result, scale)
    y = text_block(image, _status_line(result, reference), round(22 * scale), 0.55 * scale, TEXT)
    if result.cue:
        colour = GOOD if result.form_ok else OFF
        text_block(image, result.cue, y, 0.55 * scale, colour)
    _draw_timer(image, result, scale)
    return image


def draw_still(
    image: np.ndarray, result: FrameResult, verdict: StillVerdict, reference: Reference
) -> np.ndarray:
    """A photo with its verdict: the skeleton coloured by each angle against its target, the
    stretch and side, and what to fix (or that the form is good); no hold timer."""
    scale = _scale(image)
    if result.pose is not None:
        _draw_skeleton(image, replace(result, angle_states=verdict.states()), scale)
    side = f" - {verdict.side} side" if verdict.side else ""
    if not verdict.judged:
        status, colour = "cannot be judged", OFF
    elif verdict.form_ok:
        status, colour = "good form", GOOD
    else:
        count = len(verdict.faults)
        status, colour = f"{count} fault{'s' * (count != 1)}", OFF
    y = text_block(image, f"{reference.name}{side}: {status}", round(22 * scale), 0.55 * scale,
                   TEXT)  # fmt: skip
    lines = [cue for _, cue in verdict.faults] if verdict.faults else [verdict.message]
    for line in lines:
        y = text_block(image, line, y, 0.55 * scale, colour)
    return image
