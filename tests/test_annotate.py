"""Text on the video fits the frame: the longest cue of any stretch, drawn on landscape and
portrait frames, stays inside it and is drawn whole (wrapped, not cut)."""

from __future__ import annotations

import numpy as np
import pytest

from pose_coach.judge.cues import Phase
from pose_coach.judge.reference import load_references
from pose_coach.judge.session import FrameResult
from pose_coach.measure.measurement import Measurement
from pose_coach.output.annotate import MARGIN, draw, wrap


def every_cue() -> list[tuple[str, str]]:
    """(stretch name, cue) for every cue a stretch can show, the camera and first steps too."""
    cues = []
    for reference in load_references().values():
        texts = [b.cue for c in reference.checks().values() for b in (c.too_low, c.too_high)]
        texts += [reference.bounce.cue, reference.hip_alignment.cue, reference.camera,
                  f"Get into position, right side: {reference.instructions[0]}"]  # fmt: skip
        cues += [(reference.name, text) for text in texts]
    return cues


def longest() -> tuple[str, str]:
    return max(every_cue(), key=lambda pair: len(pair[1]))


def result(cue: str) -> FrameResult:
    return FrameResult(Measurement(0.0, None, None), Phase.SWITCH_SIDES, "right", 12.5, 30.0,
                       False, {}, (), cue, False)  # fmt: skip


@pytest.mark.parametrize("size", [(640, 480), (1080, 1920), (1920, 1080), (320, 240)])
def test_the_longest_cue_is_wrapped_whole_inside_the_frame(size):
    width, height = size
    name, cue = longest()
    reference = next(r for r in load_references().values() if r.name == name)
    frame = np.zeros((height, width, 3), np.uint8)
    drawn = draw(frame, result(cue), reference)
    # Nothing drawn in the right margin above the hold timer (at the bottom, full width).
    text_rows = drawn[: height - 40]
    assert not text_rows[:, width - MARGIN // 2 :].any(), "text runs into the right edge"
    assert text_rows[:, MARGIN:].any()
    # Every word is drawn: the lines, joined, are the whole cue.
    scale = max(0.6, min(width, height) / 480) * 0.55
    lines = wrap(cue, width - 2 * MARGIN, scale)
    assert " ".join(line for line, _ in lines) == " ".join(cue.split())
    if width <= 640:
        assert len(lines) >= 2  # too long for one line here: wrapped


def first_line_height(frame: np.ndarray) -> int:
    """Rows of the first drawn line (its panel), from the top."""
    rows = frame.any(axis=(1, 2))
    top = int(np.argmax(rows))
    return int(np.argmin(rows[top:]))


def test_portrait_letters_are_the_size_of_landscape_letters():
    _, cue = longest()
    reference = next(iter(load_references().values()))
    heights = []
    for width, height in ((1080, 1920), (1920, 1080)):
        frame = draw(np.zeros((height, width, 3), np.uint8), result(cue), reference)
        heights.append(first_line_height(frame))
    assert heights[0] == heights[1]  # sized by the shorter side, not by the height


def test_a_word_too_long_for_the_frame_is_drawn_smaller_not_cut():
    [(line, size)] = wrap("Supercalifragilisticexpialidocious", 120, 0.55)
    assert line == "Supercalifragilisticexpialidocious" and size < 0.55


def test_a_short_cue_keeps_one_line():
    assert len(wrap("Good form: hold it and breathe", 640 - 2 * MARGIN, 0.55)) == 1
