"""Tuning page: every target and tolerance of a stretch on sliders, the frames of a chosen clip that
the new values would flag, learning the values from a clip of good form, save and reset.

The clip is coached once (cached); a slider change only judges its cached measurements again
against the tuned reference (``tuning.flagged_states``), as the coach would. Saved references go to the user folder and are what the live and review pages use.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from pose_coach.coach import CoachingRun
from pose_coach.config import Settings
from pose_coach.input.pose import ModelError
from pose_coach.input.video import VideoError, iter_frames
from pose_coach.judge.reference import (
    Reference,
    ReferenceError,
    parse_reference,
    reset_reference,
    save_reference,
    user_dir,
)
from pose_coach.review import ReviewError, coach_file
from pose_coach.tuning import (
    LearnError,
    angle_table,
    flagged_frames,
    flagged_states,
    learn_targets,
    tuned_reference,
)
from pose_coach_app import widgets

# Slider ranges for targets, by joint (inside the schema's limits).
TARGET_RANGE = {
    "hip": (-90.0, 180.0),
    "knee": (-30.0, 180.0),
    "shoulder": (-90.0, 270.0),
    "trunk": (-120.0, 120.0),
    "tilt": (-45.0, 45.0),
    "rotation": (-90.0, 90.0),
}
TOLERANCE_RANGE = (0.5, 90.0)
SHIFT_RANGE = (0.5, 45.0)  # the schema's limits for hip_alignment.max_shift_deg
MESSAGE = "tune_message"
LEARNED = "tune_learned"  # the table of before and after, once learned


def _key(reference: Reference, name: str, part: str) -> str:
    return f"tune_{reference.id}_{name}_{part}"


def _target_range(name: str) -> tuple[float, float]:
    return TARGET_RANGE[name.rsplit("_", 1)[-1]]


def _clamp(value: float, limits: tuple[float, float]) -> float:
    return float(min(max(value, limits[0]), limits[1]))


@st.cache_data(show_spinner=False, max_entries=8)
def measure(
    video: str, mtime_ns: int, size: int, reference: dict, settings: Settings, _detector=None
) -> CoachingRun:
    """The clip coached once (nothing written). Cached on the file's identity, the stretch as
    loaded, and the settings."""
    del mtime_ns, size  # part of the cache key only
    return coach_file(Path(video), parse_reference(reference), settings, detector=_detector)


@st.cache_data(show_spinner=False, max_entries=16)
def frame_image(video: str, mtime_ns: int, index: int) -> np.ndarray | None:
    """Frame ``index`` of the clip (decoded from the start: clips for tuning are short)."""
    del mtime_ns  # part of the cache key only
    for n, (rgb, _) in enumerate(iter_frames(video)):
        if n == index:
            return rgb
    return None


def _measure(video: Path, reference: Reference) -> CoachingRun | None:
    stat = video.stat()
    try:
        with st.spinner("Measuring the clip's angles (once per clip)..."):
            run = measure(
                str(video),
                stat.st_mtime_ns,
                stat.st_size,
                reference.to_dict(),
                widgets.current_settings(),
                widgets.detector(),
            )
    except VideoError as error:
        st.error(f"This file cannot be used: {error}")
        return None
    except (ReviewError, ModelError) as error:
        st.error(str(error))
        return None
    if run.frames_with_pose == 0:
        st.error("No person was found in this clip: film the whole body, side-on, and try again.")
        return None
    return run


def _sliders(reference: Reference) -> None:
    """A target and a tolerance slider per check, starting from the reference's values."""
    for name, check in reference.checks().items():
        label = widgets.ANGLE_LABELS.get(name, name)
        target_key, tolerance_key = (
            _key(reference, name, "target"),
            _key(reference, name, "tolerance"),
        )
        st.session_state.setdefault(target_key, _clamp(check.target, _target_range(name)))
        st.session_state.setdefault(tolerance_key, _clamp(check.tolerance, TOLERANCE_RANGE))
        left, right = st.columns(2)
        left.slider(f"{label}: target (°)", *_target_range(name), step=0.5, key=target_key)
        right.slider(f"{label}: tolerance (± °)", *TOLERANCE_RANGE, step=0.5, key=tolerance_key)
    shift_key = _key(reference, "pelvis", "shift")
    st.session_state.setdefault(
        shift_key, _clamp(reference.hip_alignment.max_shift_deg, SHIFT_RANGE)
    )
    st.slider(
        "Hips moving from where they settled in the hold: at most (°)",
        *SHIFT_RANGE,
        step=0.5,
        key=shift_key,
        help="Pelvis tilt and rotation together, against their first seconds held still",
    )


def _tuned(reference: Reference) -> Reference:
    """The reference as the sliders hold it now."""
    shift = st.session_state[_key(reference, "pelvis", "shift")]
    return tuned_reference(reference, _slider_values(reference), shift)


def _learn(reference: Reference, run: CoachingRun) -> None:
    try:
        learned = learn_targets(
            angle_table(run), list(reference.checks()), hysteresis_deg=run.settings.hysteresis_deg
        )
    except LearnError as error:
        st.session_state[MESSAGE] = ("error", f"Cannot learn from this clip: {error}")
        return
    before = _tuned(reference)
    for name, (target, tolerance) in learned.items():
        st.session_state[_key(reference, name, "target")] = _clamp(target, _target_range(name))
        st.session_state[_key(reference, name, "tolerance")] = _clamp(tolerance, TOLERANCE_RANGE)
    after = _tuned(reference)
    st.session_state[LEARNED] = _before_after(run, before, after)
    unseen = [
        widgets.ANGLE_LABELS.get(name, name) for name in reference.checks() if name not in learned
    ]
    kept = f" Not seen in this clip, so kept as they were: {', '.join(unseen)}." if unseen else ""
    st.session_state[MESSAGE] = (
        "success",
        f"Learned the targets and tolerances from the clip: check them, then save.{kept}",
    )


def _before_after(run: CoachingRun, before: Reference, after: Reference) -> pd.DataFrame:
    """Each angle's band, and the clip's flagged frames, before and after learning."""
    rows = []
    for name, old in before.checks().items():
        new = after.checks()[name]
        rows.append({"": widgets.ANGLE_LABELS.get(name, name),
                     "before": f"{old.target:g}° ± {old.tolerance:g}°",
                     "learned": f"{new.target:g}° ± {new.tolerance:g}°"})  # fmt: skip
    flagged = [int(flagged_frames(flagged_states(run, r)).sum()) for r in (before, after)]
    rows.append({"": "Frames flagged in this clip", "before": str(flagged[0]),
                 "learned": str(flagged[1])})  # fmt: skip
    return pd.DataFrame(rows)


def _slider_values(reference: Reference) -> dict[str, tuple[float, float]]:
    """(target, tolerance) per angle, as the sliders hold them now."""
    return {
        name: (
            st.session_state[_key(reference, name, "target")],
            st.session_state[_key(reference, name, "tolerance")],
        )
        for name in reference.checks()
    }


def _save(reference: Reference) -> None:
    # Read the sliders now, not when the button was drawn: a slider moved just before the click
    # reaches the server in the same rerun as the click.
    try:
        path = save_reference(_tuned(reference))
    except (ReferenceError, OSError) as error:
        st.session_state[MESSAGE] = ("error", f"Not saved: {error}")
        return
    st.session_state[MESSAGE] = (
        "success",
        f"Saved to {path}; live coaching and reviews use it now.",
    )


def _reset(reference: Reference) -> None:
    removed = reset_reference(reference.id)
    for name in reference.checks():
        for part in ("target", "tolerance"):
            st.session_state.pop(_key(reference, name, part), None)
    st.session_state.pop(_key(reference, "pelvis", "shift"), None)
    st.session_state[MESSAGE] = (
        "success",
        "Back to the shipped defaults." if removed else "Already the shipped defaults.",
    )


def _show_flags(run: CoachingRun, tuned: Reference, video: Path) -> None:
    table, checks = angle_table(run), tuned.checks()
    states = flagged_states(run, tuned)
    flagged = flagged_frames(states)
    judged = int(table.judged.sum())
    if judged:
        st.metric(
            "Frames that would be flagged",
            f"{int(flagged.sum())} of {judged} in a hold",
            help="Frames inside a hold with any angle outside its band, as the coach judges them "
            "(it also waits for a fault to last before it reports it)",
        )
    else:
        st.warning(
            "The coach found no hold in this clip, so no frame is judged. Learning uses the "
            "clip's steady frames anyway."
        )
    chart = widgets.angle_timeline(table, checks, states=states)
    st.altair_chart(chart, width="stretch")
    # One slider per clip, so a shorter clip never inherits a frame number it does not have.
    index = (
        st.slider("Frame", 0, len(table) - 1, 0, key=f"tune_frame_{video.name}_{len(table)}")
        if len(table) > 1
        else 0
    )
    image_column, table_column = st.columns([3, 2])
    image = frame_image(str(video), video.stat().st_mtime_ns, index)
    if image is not None:
        image_column.image(image, caption=f"Frame {index} at {table.time_s[index]:.2f} s")
    rows = []
    for name, check in checks.items():
        value = table.values.get(name, np.full(len(table), np.nan))[index]
        state = states[name][index]
        rows.append(
            {
                "angle": widgets.ANGLE_LABELS.get(name, name),
                "value": "-" if math.isnan(value) else f"{value:.0f}°",
                "band": f"{check.target - check.tolerance:g}° to {check.target + check.tolerance:g}°",
                "flagged": {0: "", -1: "too low", 1: "too high"}[state],
            }
        )
    table_column.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    table_column.caption("In a hold" if table.judged[index] else "Not in a hold: not judged")


def render() -> None:
    st.title("Tune reference angles")
    reference = widgets.pick_stretch("tune_stretch")
    if reference is None:
        return
    tuned_file = reference.source is not None and reference.source.parent == user_dir()
    st.caption(
        f"Using your tuned version ({reference.source})"
        if tuned_file
        else "Using the shipped defaults"
    )
    video = widgets.pick_video("tune")
    run = _measure(video, reference) if video is not None else None
    st.subheader("Targets and tolerances")
    _sliders(reference)
    tuned = _tuned(reference)
    learn, save, reset = st.columns(3)
    learn.button(
        "Learn from this clip",
        disabled=run is None,
        on_click=_learn,
        args=(reference, run),
        help="Median and a robust spread of each angle over the "
        "clip's steady part; use a clip of good form",
    )
    save.button("Save", type="primary", on_click=_save, args=(reference,))
    reset.button("Reset to defaults", on_click=_reset, args=(reference,))
    if MESSAGE in st.session_state:
        kind, text = st.session_state.pop(MESSAGE)
        (st.success if kind == "success" else st.error)(text)
    if LEARNED in st.session_state:
        st.dataframe(st.session_state.pop(LEARNED), hide_index=True)
    if run is not None:
        _show_flags(run, tuned, video)
