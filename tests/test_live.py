"""The live processor: pts timestamps, newest-frames-win dropping, estimators taking turns, the
bounded result queue, finish."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from concurrent.futures import Executor, Future
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from pose_coach.input.video import iter_frames
from pose_coach.judge.reference import get_reference
from pose_coach.judge.session import Phase
from pose_coach.live import ESTIMATORS, MIN_SKIP_FPS, LiveCoach
from tests.coach_factories import kneeling
from tests.factories import HEIGHT, WIDTH
from tests.images import far_away


class FakeEstimator:
    """Returns a kneeling psoas stretch in good form (left leg back) at every call, and logs times."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def __call__(self, rgb: np.ndarray, t: float):
        assert rgb.shape == (HEIGHT, WIDTH, 3)
        self.times.append(t)
        return kneeling(t)


class Inline(Executor):
    """Runs what a stepped-down coach hands to the background at once, so tests are exact."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def video_frame(pts: int | None, time_base: Fraction = Fraction(1, 90_000)) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(np.zeros((HEIGHT, WIDTH, 3), np.uint8), format="rgb24")
    frame.time_base = time_base  # before pts: setting a time base rescales the pts
    frame.pts = pts
    return frame


@pytest.fixture
def fake() -> FakeEstimator:
    return FakeEstimator()


@pytest.fixture
def coach(fake) -> LiveCoach:
    return LiveCoach(get_reference("kneeling_psoas"), sides=("left",), estimators=[fake])


def test_timestamps_come_from_pts_rebased_to_the_first_frame(coach, fake):
    for n in range(3):
        out = coach.recv(video_frame(900_000 + n * 3000))  # 10 s into the stream, 30 fps
        assert (out.width, out.height) == (WIDTH, HEIGHT)
    assert fake.times == pytest.approx([0.0, 1 / 30, 2 / 30])


def test_the_overlay_is_drawn_on_the_returned_frame(coach):
    out = coach.recv(video_frame(0)).to_ndarray(format="rgb24")
    assert out.any(), "the skeleton, status and timer are drawn on a black frame"


def test_only_the_newest_queued_frame_is_processed(coach, fake):
    asyncio.run(coach.recv_queued([video_frame(0)]))
    out = asyncio.run(coach.recv_queued([video_frame(n * 3000) for n in range(1, 5)]))
    assert len(out) == 1
    assert fake.times == pytest.approx([0.0, 4 / 30])
    stats = coach.stats()
    assert (stats.received, stats.processed, stats.dropped) == (5, 2, 3)
    assert stats.drop_fraction == pytest.approx(0.6)


def test_two_estimators_take_turns_and_coach_the_two_newest_frames():
    first, second = FakeEstimator(), FakeEstimator()
    coach = LiveCoach(get_reference("kneeling_psoas"), estimators=[first, second])
    asyncio.run(coach.recv_queued([video_frame(0)]))
    out = asyncio.run(coach.recv_queued([video_frame(n * 3000) for n in range(1, 5)]))
    asyncio.run(coach.recv_queued([video_frame(5 * 3000)]))
    assert len(out) == 1, "only the newest goes back: the stream sends one per camera frame"
    assert first.times == pytest.approx([0.0, 4 / 30])
    assert second.times == pytest.approx([3 / 30, 5 / 30])
    assert [round(r.timestamp_s * 30) for r in coach.drain()] == [0, 3, 4, 5]
    stats = coach.stats()
    assert (stats.received, stats.processed, stats.dropped) == (6, 4, 2)
    coach.close()


def test_a_repeated_timestamp_is_not_coached_twice(coach, fake):
    coach.recv(video_frame(3000))
    coach.recv(video_frame(3000))
    assert len(fake.times) == 1
    assert coach.stats().dropped == 1


def test_results_queue_is_bounded_and_keeps_the_newest():
    coach = LiveCoach(get_reference("kneeling_psoas"), estimators=[FakeEstimator()], queue_size=4)
    blank = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    for n in range(10):
        coach.process(blank.copy(), n / 30)
    drained = coach.drain()
    assert [round(r.timestamp_s * 30) for r in drained] == [6, 7, 8, 9]
    assert coach.drain() == []


def test_hold_timer_advances_and_finish_summarises(coach):
    blank = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    for n in range(5 * 30):
        coach.process(blank.copy(), 100 + n / 30)
    last = coach.drain()[-1]
    assert last.phase is Phase.HOLDING and last.side == "left"
    assert last.hold_s == pytest.approx(4.5, abs=0.2)
    outcome = coach.finish()
    assert outcome is not None and outcome.duration_s == pytest.approx(149 / 30)
    [hold] = outcome.summary.holds
    assert hold.side == "left" and hold.good_form_s == pytest.approx(4.5, abs=0.2)
    # After finish frames pass through uncoached, and a second finish has nothing to report.
    coach.process(blank, 200.0)
    assert coach.drain() == [] and coach.finish() is None


def test_finish_without_frames_reports_nothing(coach):
    assert not coach.started
    assert coach.finish() is None
    assert coach.finished


def test_default_estimators_are_created_on_the_first_frame_and_closed_by_finish():
    coach = LiveCoach(get_reference("kneeling_psoas"))
    assert coach._owned == []  # showing the page loads no model
    coach.process(np.zeros((HEIGHT, WIDTH, 3), np.uint8), 0.0)
    assert len(coach._owned) == ESTIMATORS
    outcome = coach.finish()
    assert coach._owned == []
    assert outcome is not None and outcome.summary.holds == ()


# -- never lost, errors, stepping down -------------------------------------------------------------


def test_the_session_so_far_is_checkpointed_every_few_seconds_without_ending_it(fake):
    outcomes = []
    coach = LiveCoach(get_reference("kneeling_psoas"), sides=("left",), estimators=[fake],
                      on_checkpoint=outcomes.append)  # fmt: skip
    blank = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    for n in range(10 * 30):
        coach.process(blank.copy(), n / 30)
    # At 3, 6 and 9 s of stream time; each a summary of the session so far.
    assert [round(o.duration_s) for o in outcomes] == [3, 6, 9]
    assert outcomes[-1].summary.holds[0].good_form_s == pytest.approx(8.5, abs=0.3)
    assert not coach.finished and coach.drain()[-1].phase is Phase.HOLDING  # still running


def test_a_completed_side_is_checkpointed_at_once(fake):
    outcomes = []
    coach = LiveCoach(get_reference("kneeling_psoas"), sides=("left",), estimators=[fake],
                      on_checkpoint=outcomes.append)  # fmt: skip
    blank = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    for n in range(35 * 30):
        coach.process(blank.copy(), n / 30)
        if outcomes and outcomes[-1].summary.sides_done:
            break
    assert outcomes[-1].summary.sides_done == ("left",)
    assert round(outcomes[-1].duration_s * 30) % 90 != 0, "not one of the periodic checkpoints"


def test_live_coaching_runs_the_reviews_model_unless_another_is_chosen():
    from pose_coach.config import Settings

    coach = LiveCoach(get_reference("kneeling_psoas"))
    assert coach.settings.model_path is None  # the default, heavy (test_pose)
    assert coach.settings.visibility == 0.3 and coach.coach.measurer.min_visibility == 0.3
    chosen = LiveCoach(get_reference("kneeling_psoas"), Settings(model_path=Path("full")))
    assert chosen.settings.model_path == Path("full") and chosen.settings.visibility == 0.5


def test_a_bad_model_stops_the_coach_with_a_clear_error(tmp_path):
    from pose_coach.config import Settings

    settings = Settings(model_path=tmp_path / "missing.task")
    coach = LiveCoach(get_reference("kneeling_psoas"), settings)
    out = coach.recv(video_frame(0)).to_ndarray(format="rgb24")
    assert not out.any(), "the frame passes through undrawn"
    assert "pose model not found" in coach.error
    assert coach.finish() is None  # nothing was coached


def test_a_frame_that_fails_keeps_the_session_so_far(fake):
    def failing(rgb, t):
        if t > 2.0:
            raise RuntimeError("inference crashed")
        return fake(rgb, t)

    coach = LiveCoach(get_reference("kneeling_psoas"), sides=("left",), estimators=[failing])
    blank = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    for n in range(4 * 30):
        coach.process(blank.copy(), n / 30)
    assert "inference crashed" in coach.error and "RuntimeError" in coach.error
    outcome = coach.finish()
    assert outcome is not None and outcome.duration_s == pytest.approx(2.0, abs=0.05)


def _stepped_down_by_pairs(coach: LiveCoach, n: int = 90) -> int:
    """Frames from ``n`` on reach ``coach`` two at a time (one of each pair dropped, beyond
    MAX_DROP) until it steps down; the number of the next frame."""
    while not coach.stepped_down:
        asyncio.run(coach.recv_queued([video_frame(n * 3000), video_frame((n + 1) * 3000)]))
        n += 2
    return n


def test_a_coach_that_cannot_keep_up_steps_down_in_steady_holds(fake):
    coach = LiveCoach(
        get_reference("kneeling_psoas"), sides=("left",), estimators=[fake], background=Inline()
    )
    # Frames arrive one at a time (keeping up) for 3 s: the hold starts, no step-down.
    for n in range(90):
        asyncio.run(coach.recv_queued([video_frame(n * 3000)]))
    assert not coach.stepped_down
    # Then two at a time: one of each pair is dropped (50%), beyond MAX_DROP.
    for n in range(90, 180, 2):
        asyncio.run(coach.recv_queued([video_frame(n * 3000), video_frame((n + 1) * 3000)]))
    assert coach.stepped_down
    coached, skipped = len(fake.times), coach.stats().skipped
    for n in range(180, 200):
        asyncio.run(coach.recv_queued([video_frame(n * 3000)]))
    assert len(fake.times) - coached == 10, "every other frame of the steady hold"
    assert coach.stats().skipped - skipped == 10


def test_a_stepped_down_coach_skips_frames_while_a_completed_hold_is_held_on(fake):
    """The hold's time is reached (the coach asks for the other side) while the person still
    holds the stretch: the coach stays stepped down, one frame in two to the model."""
    coach = LiveCoach(get_reference("kneeling_psoas"), estimators=[fake], background=Inline())
    for n in range(90):  # keeping up for 3 s: the hold starts
        asyncio.run(coach.recv_queued([video_frame(n * 3000)]))
    n = _stepped_down_by_pairs(coach)
    phases = [result.phase for result in coach.drain()]
    while phases[-1] is not Phase.HOLD_COMPLETE and n < 1500:  # the hold's 30 s are reached
        asyncio.run(coach.recv_queued([video_frame(n * 3000)]))
        phases += [result.phase for result in coach.drain()]
        n += 1
    assert phases[-1] is Phase.HOLD_COMPLETE
    coached = len(fake.times)
    for k in range(n, n + 20):
        asyncio.run(coach.recv_queued([video_frame(k * 3000)]))
    assert len(fake.times) - coached == 10, "every other frame of the completed hold"


def test_a_stepped_down_coach_skips_nothing_when_it_already_coaches_few_frames(fake):
    coach = LiveCoach(
        get_reference("kneeling_psoas"), sides=("left",), estimators=[fake], background=Inline()
    )
    for n in range(90):  # keeping up for 3 s: the hold starts
        asyncio.run(coach.recv_queued([video_frame(n * 3000)]))
    # Then six at a time for 4 s: five of each six dropped, 5 frames a second coached.
    for n in range(90, 210, 6):
        asyncio.run(coach.recv_queued([video_frame((n + k) * 3000) for k in range(6)]))
    assert coach.stepped_down and coach._recent_fps() < MIN_SKIP_FPS
    coached, skipped = len(fake.times), coach.stats().skipped
    for n in range(210, 216):
        asyncio.run(coach.recv_queued([video_frame(n * 3000)]))
    # Every frame is coached: the checks over time (the bounce's running median) need them all.
    assert len(fake.times) - coached == 6 and coach.stats().skipped == skipped


def test_a_coach_that_still_drops_steps_down_again_to_one_frame_in_three(fake):
    coach = LiveCoach(
        get_reference("kneeling_psoas"), sides=("left",), estimators=[fake], background=Inline()
    )
    for n in range(90):  # keeping up for 3 s: the hold starts
        asyncio.run(coach.recv_queued([video_frame(n * 3000)]))
    n = _stepped_down_by_pairs(coach)
    assert coach.stats().stride == 2
    # Still two at a time: a skipped pair shows its newest frame and drops the older, a coached
    # pair coaches its newest: half are still dropped, so after a fresh window it steps again.
    while coach.stats().stride == 2 and n < 600:
        asyncio.run(coach.recv_queued([video_frame(n * 3000), video_frame((n + 1) * 3000)]))
        n += 2
    assert coach.stats().stride == 3
    for k in range(n, n + 60):  # one at a time: the rate coached rises above MIN_SKIP_FPS
        asyncio.run(coach.recv_queued([video_frame(k * 3000)]))
    coached, skipped = len(fake.times), coach.stats().skipped
    for k in range(n + 60, n + 90):
        asyncio.run(coach.recv_queued([video_frame(k * 3000)]))
    assert len(fake.times) - coached == 10, "one frame in three of the steady hold"
    assert coach.stats().skipped - skipped == 20
    assert coach.stats().recent_drop_fraction == 0.0


def test_stats_count_frames_received_coached_and_dropped(fake):
    coach = LiveCoach(get_reference("kneeling_psoas"), sides=("left",), estimators=[fake])
    for n in range(90):
        asyncio.run(coach.recv_queued([video_frame(n * 3000)]))
    for n in range(90, 98, 2):  # four pairs: one of each dropped, too few to step down
        asyncio.run(coach.recv_queued([video_frame(n * 3000), video_frame((n + 1) * 3000)]))
    stats = coach.stats()
    assert (stats.received, stats.processed, stats.dropped, stats.skipped) == (98, 94, 4, 0)
    assert not coach.stepped_down and stats.stride == 1
    assert stats.seconds == pytest.approx(97 / 30), "the span of the frames received"
    assert stats.received_fps == pytest.approx(98 / stats.seconds)
    assert stats.coached_fps == pytest.approx(94 / stats.seconds)
    assert stats.reused_fps == 0.0
    # Counted after the warm-up (WARM_UP_FRAMES): the last 68 frames, 4 of them dropped.
    assert stats.recent_drop_fraction == pytest.approx(4 / 68)


def test_a_stepped_down_coach_never_makes_the_stream_wait_for_the_model():
    release = threading.Event()
    fake = FakeEstimator()

    def slow(rgb, t):  # fast while keeping up, then a slow model
        if t > 4.5:
            release.wait(2)
        return fake(rgb, t)

    coach = LiveCoach(get_reference("kneeling_psoas"), sides=("left",), estimators=[slow])
    n = 0
    while not coach.stepped_down:  # keeping up for 3 s, then two at a time
        queued = 1 if n < 90 else 2
        asyncio.run(coach.recv_queued([video_frame((n + k) * 3000) for k in range(queued)]))
        n += queued
    for k in range(n, n + 30):  # past 4.5 s: the model blocks until released
        asyncio.run(coach.recv_queued([video_frame(k * 3000)]))
    started = time.monotonic()
    out = asyncio.run(coach.recv_queued([video_frame((n + 30) * 3000)]))
    assert time.monotonic() - started < 1.0, "the frame went back while the model was busy"
    assert len(out) == 1 and out[0].to_ndarray(format="rgb24").any(), "with the last coaching"
    release.set()
    assert coach.finish() is not None


class Deferred(Executor):
    """Holds what is handed to the background until ``run`` (the model busy meanwhile)."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Future, functools.partial]] = []

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self.jobs.append((Future(), functools.partial(fn, *args, **kwargs)))
        return self.jobs[-1][0]

    def run(self) -> None:
        for future, job in self.jobs:
            future.set_result(job())
        self.jobs = []


def test_a_stepped_down_coach_short_of_frames_coaches_two_side_by_side_when_free():
    first, second, background = FakeEstimator(), FakeEstimator(), Deferred()
    coach = LiveCoach(get_reference("kneeling_psoas"), sides=("left",),
                      estimators=[first, second], background=background)  # fmt: skip
    for n in range(90):  # keeping up for 3 s: the hold starts
        asyncio.run(coach.recv_queued([video_frame(n * 3000)]))
    for n in range(90, 210, 6):  # six at a time: stepped down, coaching too few a second
        asyncio.run(coach.recv_queued([video_frame((n + k) * 3000) for k in range(6)]))
        background.run()
    assert coach.stepped_down and coach._recent_fps() < MIN_SKIP_FPS
    for n in (210, 211, 212):  # the first goes to the model; meanwhile two are shown, not held
        asyncio.run(coach.recv_queued([video_frame(n * 3000)]))
    background.run()  # the model is free again
    skipped = coach.stats().skipped
    asyncio.run(coach.recv_queued([video_frame(213 * 3000)]))
    background.run()
    coached = sorted(first.times + second.times)[-3:]
    assert [round(t * 30) for t in coached] == [210, 212, 213], "212 held back, coached with 213"
    assert coach.stats().skipped == skipped


def test_a_person_far_from_the_webcam_is_found_and_their_hold_counted():
    """The kneeling sample's person at a third of the size (a webcam three times farther off),
    whom the whole frame never finds (``test_pose``): live coaching's own estimators search the
    frame one window a frame, find them at once, and count their hold, as for the person near."""
    video = Path(__file__).resolve().parent.parent / "sample_videos" / "kneeling_psoas_good.mp4"
    coach = LiveCoach(get_reference("kneeling_psoas"), sides=("left",))
    found = 0
    for rgb, t in iter_frames(video):
        if t > 10.5:  # the hold starts at 4.5 s
            break
        coach.process(far_away(rgb), t)
        found += sum(result.pose is not None for result in coach.drain())
    outcome = coach.finish()
    assert found >= round(10.5 * 30) - 9
    [hold] = outcome.summary.holds
    assert hold.side == "left" and hold.good_form_s >= 4.0
