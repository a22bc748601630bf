"""What a hold's timer did not count, and why: read from the judged frames, changing nothing."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pose_coach.input.landmarks import PoseFrame
from pose_coach.judge.explain import (
    SMALL_BODY_PX,
    describe,
    hold_notes,
    hold_size,
    hold_view,
    uncounted,
    view_note,
)
from pose_coach.measure.view import BodyView
from pose_coach.output.report import report
from tests.coach_factories import kneeling_measurement, run_of

FPS = 30


def hold_with(
    blip_s: tuple[float, float] | None, end_s: float = 25.0, view: BodyView | None = None
):
    """All fours for 1 s, into the left stretch over 1 s, held until ``end_s``, then back; the back
    leg drops 20 degrees short of its target during ``blip_s`` (too short to be reported)."""
    measurements = []
    for n in range(round((end_s + 3) * FPS)):
        t = n / FPS
        amount = min(max(t - 1.0, 0.0), 1.0) if t < end_s else 0.0
        short = blip_s is not None and blip_s[0] <= t < blip_s[1]
        offset = 20.0 if short else 0.0
        seen = {} if view is None else {"view": view}
        measurements.append(kneeling_measurement("left", amount, offset, t=t, **seen))
    return run_of(measurements, sides=("left",))


def test_a_brief_fault_stops_the_timer_and_is_named_with_its_time():
    run, clean = hold_with((10.0, 10.5)), hold_with(None)
    [hold] = run.holds
    spans = uncounted(run.frames, hold, run.reference)
    # The leg drops short at 10 s (too briefly to be reported as too shallow); the sudden drop and
    # return also swing it like a bounce, which the timer waits out and then reports.
    assert spans[0].reason == "not deep enough"
    assert spans[0].start_s == pytest.approx(10.0, abs=0.1)
    assert spans[0].seconds == pytest.approx(0.5, abs=0.1)
    assert "too_shallow" not in {e.kind.value for e in run.events}
    # What is not counted is exactly what the hold lacks against the same hold without the drop.
    total = sum(span.seconds for span in spans)
    assert total == pytest.approx(clean.holds[0].good_form_s - hold.good_form_s, abs=0.05)
    assert describe(spans).startswith(f"{total:.1f} s not counted: not deep enough at 10 s (0.5 s)")


def test_the_report_lists_the_seconds_not_counted_per_hold():
    [hold] = report(hold_with((10.0, 10.5)))["holds"]
    assert hold["not_counted_s"] == pytest.approx(sum(s["seconds"] for s in hold["not_counted"]))
    assert hold["not_counted"][0] == {"start_s": pytest.approx(10.0, abs=0.1),
                                      "end_s": pytest.approx(10.5, abs=0.1),
                                      "seconds": pytest.approx(0.5, abs=0.1),
                                      "reason": "not deep enough"}  # fmt: skip


def test_a_clean_hold_has_nothing_to_explain():
    run = hold_with(None)
    assert describe(uncounted(run.frames, run.holds[0], run.reference)) == ""


def test_a_hold_seen_from_a_three_quarter_view_says_so_and_how_it_was_judged():
    three_quarter = hold_with(None, view=BodyView("three_quarter", "right", "all_fours"))
    [hold] = report(three_quarter)["holds"]
    assert hold["view"] == "three_quarter"
    assert "film from the side" in view_note(hold["view"])
    side = hold_with(None)
    assert hold_view(side.frames, side.holds[0]) == "side"
    assert view_note("side") == ""
    assert hold["notes"] == [view_note("three_quarter")]


def with_body(run, across_px: float, width: int, height: int):
    """``run``'s frames with a pose ``across_px`` wide in a ``width`` x ``height`` picture."""
    image = np.zeros((33, 2))
    image[:, 0] = np.linspace(10.0, 10.0 + across_px, 33)
    image[:, 1] = 50.0
    return tuple(
        replace(frame, measurement=replace(frame.measurement, pose=PoseFrame(
            image, np.ones(33), np.zeros((33, 3)), frame.timestamp_s, width, height)))
        for frame in run.frames
    )  # fmt: skip


def test_a_hold_of_a_body_small_in_the_picture_says_to_bring_the_camera_nearer():
    run = hold_with(None)
    [hold] = run.holds
    assert hold_size(run.frames, hold) is None and hold_notes(run.frames, hold) == []
    small = with_body(run, SMALL_BODY_PX - 20, 480, 270)
    assert hold_size(small, hold) == (pytest.approx(SMALL_BODY_PX - 20), 480)
    [note] = hold_notes(small, hold)
    assert f"about {SMALL_BODY_PX - 20} pixels" in note
    assert "bring the camera nearer, or film at 720p or more" in note
    # A 720p video is as sharp as the coach asks for: only nearer.
    [note] = hold_notes(with_body(run, SMALL_BODY_PX - 20, 720, 1280), hold)
    assert note.endswith("bring the camera nearer")
    assert hold_notes(with_body(run, SMALL_BODY_PX, 480, 270), hold) == []
    [shown] = report(replace(run, frames=small))["holds"]
    assert (shown["size_px"], shown["notes"]) == (SMALL_BODY_PX - 20, hold_notes(small, hold))
