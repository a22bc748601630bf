"""Checks over time, fed synthetic angle sequences at 30 fps, against the events expected."""

import math

import numpy as np
import pytest

from pose_coach.events import Fault
from pose_coach.judge.checks import AngleLimit, BounceDetector, Episode, LegLengths, PelvisShift
from pose_coach.judge.reference import AngleCheck, BounceLimits, Bound

FPS = 30.0
LIMITS = BounceLimits("working_hip", max_amplitude_deg=3.0, max_speed_deg_s=60.0, window_s=1.5,
                      cue="Hold still")  # fmt: skip


def times(seconds: float) -> np.ndarray:
    return np.arange(0, seconds, 1 / FPS)


def run_bounce(values: np.ndarray, t: np.ndarray):
    detector = BounceDetector(LIMITS, min_s=0.7)
    events = [e for ti, v in zip(t, values, strict=True) for e in detector.update(ti, v, "left")]
    end = detector.episode.close(t[-1], "left")
    return events + ([end] if end else [])


def jitter(t: np.ndarray, std: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, std, len(t))


@pytest.mark.parametrize(
    ("hz", "amplitude", "bounces"),
    [
        (3.0, 5.0, True),  # the classic: quick pulses of 5 degrees
        (3.0, 3.5, True),  # just above the amplitude limit
        (1.0, 4.0, True),  # slow, wide rocking
        (2.0, 6.0, True),
        (4.0, 4.0, True),  # fast and small: 8 degrees peak to peak four times a second
        (2.0, 2.0, False),  # gentle sway inside the limits is not a bounce
        (0.3, 2.0, False),  # breathing-slow drift
    ],
)
def test_bounce_against_a_steady_hold_with_jitter(hz, amplitude, bounces):
    t = times(20)
    bounce = (t >= 5) & (t < 12)
    values = -10 + jitter(t, 0.5) + np.where(bounce, amplitude * np.sin(2 * np.pi * hz * t), 0)
    events = run_bounce(values, t)
    if bounces:
        assert len(events) == 1
        event = events[0]
        assert event.kind is Fault.BOUNCE and event.side == "left"
        assert 5 <= event.start_s <= 6.0  # found within a second of starting
        assert 12 <= event.end_s <= 13.8  # cleared once the window no longer holds it
        assert event.value == pytest.approx(amplitude, rel=0.35)
    else:
        assert events == []


@pytest.mark.parametrize("std", [0.3, 0.6, 0.9])
def test_a_steady_hold_with_jitter_is_not_a_bounce(std):
    t = times(30)
    assert run_bounce(-10 + jitter(t, std, seed=int(std * 10)), t) == []


def test_a_slow_glide_deeper_into_the_stretch_is_not_a_bounce():
    t = times(10)
    values = -5 - 2.0 * t + jitter(t, 0.4)  # 2 degrees per second, steadily
    assert run_bounce(values, t) == []


def test_a_single_jerk_is_reported():
    t = times(10)
    values = -10 + jitter(t, 0.4)
    jolt = (t >= 4) & (t < 4.1)
    values[jolt] -= 8  # a sudden 8-degree jolt for 0.1 s
    events = run_bounce(values, t)
    assert len(events) == 1 and 3.9 <= events[0].start_s <= 4.2


def make_limit(min_s=0.7, hysteresis=2.0) -> AngleLimit:
    check = AngleCheck(target=-10, tolerance=10, too_low=Bound(Fault.TOO_DEEP, "ease off"),
                       too_high=Bound(Fault.TOO_SHALLOW, "go deeper"))  # fmt: skip
    return AngleLimit("working_hip", check, min_s, hysteresis)


def run_limit(limit: AngleLimit, values, t):
    events = [e for ti, v in zip(t, values, strict=True) for e in limit.update(ti, v, "right")]
    return events + limit.close(t[-1], "right")


@pytest.mark.parametrize(
    ("segment_value", "kind"),
    [
        (8.0, Fault.TOO_SHALLOW),  # 18 degrees above the target, 8 outside the tolerance
        (-28.0, Fault.TOO_DEEP),
    ],
)
def test_too_shallow_and_too_deep(segment_value, kind):
    t = times(12)
    values = np.where((t >= 4) & (t < 8), segment_value, -10.0) + jitter(t, 0.5)
    events = run_limit(make_limit(), values, t)
    assert [e.kind for e in events] == [kind]
    assert events[0].start_s == pytest.approx(4, abs=0.1)
    assert events[0].end_s == pytest.approx(8, abs=0.1)
    assert events[0].value == pytest.approx(segment_value, abs=2)
    assert events[0].message == ("go deeper" if kind is Fault.TOO_SHALLOW else "ease off")


def test_a_value_hovering_at_the_limit_does_not_flicker():
    t = times(10)
    values = 0.0 + 1.5 * np.sin(
        2 * np.pi * 2 * t
    )  # crosses the +10 degree limit (0) 4 times a second
    events = run_limit(make_limit(), np.where(t >= 2, values, -10.0), t)
    assert len(events) == 1  # one episode, held by the hysteresis


def test_a_brief_excursion_is_not_reported():
    t = times(6)
    values = np.where((t >= 2) & (t < 2.4), 5.0, -10.0)  # 0.4 s outside: shorter than min_s
    assert run_limit(make_limit(min_s=0.7), values, t) == []


def test_an_unseen_angle_is_not_judged():
    t = times(5)
    assert run_limit(make_limit(), np.full(len(t), math.nan), t) == []


def test_episode_reports_only_after_its_minimum_duration():
    episode = Episode(Fault.HIP_MISALIGNED, min_s=1.0)
    episode.update(0.0, True, 12.0, "level", "left")
    assert episode.active and not episode.reported(0.5) and episode.reported(1.0)
    assert episode.update(2.0, False, 0.0, "level", "left") is None  # clearing starts
    assert episode.update(2.2, True, 9.0, "level", "left") is None  # back: the same episode
    assert episode.update(3.0, False, 0.0, "level", "left") is None
    event = episode.update(3.6, False, 0.0, "level", "left")  # clear for clear_s (0.5 s)
    assert event is not None and (event.start_s, event.end_s, event.value) == (0.0, 3.0, 12.0)
    assert not episode.active


def test_an_episode_shorter_than_its_minimum_gives_no_event():
    episode = Episode(Fault.HIP_MISALIGNED, min_s=1.0)
    episode.update(0.0, True, 12.0, "level", "left")
    assert episode.update(0.5, False, 0.0, "level", "left") is None
    assert episode.update(1.5, False, 0.0, "level", "left") is None and not episode.active


def run_shift(tilt: np.ndarray, rotation: np.ndarray, t: np.ndarray, judge=None):
    shift = PelvisShift(max_deg=3.0, settle_s=2.0, min_s=0.7, hysteresis_deg=2.0, cue="Level")
    events = []
    for i, ti in enumerate(t):
        judged = True if judge is None else judge(ti)
        events += shift.update(ti, tilt[i], rotation[i], "left", judged)
    return events + shift.close(t[-1], "left")


def test_the_pelvis_moving_from_where_it_settled_is_a_hip_fault():
    # Level hips read 17 degrees of tilt here (the baseline, whatever it is); from 10 s to 20 s
    # the tilt rises 3 and the rotation 2.5 (3.9 together), with 0.5-degree jitter.
    t = times(30)
    tilt = 17 + 3 * ((t >= 10) & (t < 20)) + jitter(t, 0.5)
    rotation = 5 + 2.5 * ((t >= 10) & (t < 20)) + jitter(t, 0.5, seed=1)
    [event] = run_shift(tilt, rotation, t)
    assert event.kind is Fault.HIP_MISALIGNED
    assert event.start_s == pytest.approx(10, abs=0.5)
    assert event.end_s == pytest.approx(20, abs=0.5)
    assert event.value == pytest.approx(3.9, abs=1.5)


def test_a_pelvis_that_stays_where_it_settled_is_not_a_fault():
    t = times(30)
    assert run_shift(17 + jitter(t, 0.7), 5 + jitter(t, 0.7, seed=1), t) == []


def test_the_baseline_comes_from_judged_frames_only():
    # Unjudged (moving into the stretch) for the first 3 s with the pelvis far off, then steady.
    t = times(20)
    tilt = np.where(t < 3, 30.0, 17.0) + jitter(t, 0.3)
    rotation = np.full_like(t, 5.0)
    assert run_shift(tilt, rotation, t, judge=lambda ti: ti >= 3) == []
    assert run_shift(tilt, rotation, t) != [], "judged from the start, the move would count"


def test_single_frame_spikes_of_the_pose_model_are_not_a_bounce(monkeypatch):
    """MediaPipe misplaces a joint for a frame now and then: the angle jumps and comes back."""
    t = times(20)
    values = -10 + jitter(t, 0.4)
    values[::12] += 7.0  # a one-frame 7-degree spike every 0.4 s
    assert run_bounce(values, t) == []
    monkeypatch.setattr("pose_coach.judge.checks.SPIKE_MEDIAN_N", 1)  # the rule switched off
    assert run_bounce(values, t) != []


def paced_spikes(t: np.ndarray, every_s: float, size: float) -> np.ndarray:
    """Spikes as a review paced at 15 analysed frames a second sees them: one analysed frame off
    by ``size``, its neighbours (drawn on the line to it) off by half."""
    spikes = np.zeros_like(t)
    for centre in np.arange(1.0, t[-1] - 1.0, every_s):
        i = int(round(centre * FPS))
        spikes[i - 1 : i + 2] = (size / 2, size, size / 2)
    return spikes


def test_a_misplaced_joint_in_one_analysed_frame_is_not_a_bounce(monkeypatch):
    """With the frames between analysed ones interpolated, a one-frame mistake of the pose model is
    three frames wide: the running median keeps it, the spike rule draws it out."""
    t = times(20)
    values = -10 + jitter(t, 0.4) - paced_spikes(t, every_s=0.7, size=16.0)
    assert run_bounce(values, t) == []
    monkeypatch.setattr("pose_coach.judge.checks.SPIKE_REACH_S", 0.0)  # the rule switched off
    assert run_bounce(values, t) != []


@pytest.mark.parametrize("size", [12.0, 18.0])
def test_a_jerk_out_and_back_in_a_third_of_a_second_is_still_a_bounce(size):
    """A jerk is wider in time than a misplaced joint, and never still at its top: 12 or 18
    degrees (the renders' sizes) out and back over 0.3 s."""
    t = times(20)
    jerk = np.where((t >= 7.3) & (t < 7.6), size * np.sin(np.pi * (t - 7.3) / 0.3), 0.0)
    [event] = run_bounce(-10 + jitter(t, 0.4) - jerk, t)
    assert event.kind is Fault.BOUNCE and 7.0 <= event.start_s <= 8.0


def test_the_pose_model_switching_readings_for_a_while_is_not_a_bounce(monkeypatch):
    """The reading steps 15 degrees from one frame to the next, stays there, still, for 0.4 s and
    steps back, again and again, and once for good: no body moves like that."""
    t = times(20)
    values = -15 + jitter(t, 0.3)
    for start in np.arange(2.0, 12.0, 1.2):
        values[(t >= start) & (t < start + 0.4)] -= 15.0
    values[t >= 15.0] -= 14.0
    assert run_bounce(values, t) == []
    monkeypatch.setattr("pose_coach.judge.checks.STEP_DEG", math.inf)  # the rule switched off
    assert run_bounce(values, t) != []


def test_a_leg_is_misread_when_its_length_changes_once_the_hold_has_settled():
    lengths = LegLengths(window_s=5.0, fraction=0.12, min_samples=8)
    # Settling into the stretch: the leg turns and its length changes; not told.
    assert not any(lengths.update(t / 10, 100.0 - t, 90.0, settled=False) for t in range(10))
    assert not any(lengths.update(1 + t / 10, 90.0, 90.0, settled=True) for t in range(10))
    assert not lengths.update(2.1, 85.0, 90.0, settled=True)  # within 12%: the leg
    assert lengths.update(2.2, 70.0, 90.0, settled=True)  # the thigh 22% shorter: misread
    assert lengths.update(2.3, 90.0, 105.0, settled=True)  # the shin 17% longer: misread
    assert not lengths.update(2.4, math.nan, 90.0, settled=True)  # unseen: not judged
