"""Widgets shared by the pages: settings, stretch and side pickers, video input, charts, speech.

Every default comes from ``pose_coach.config.Settings`` and every help text from ``HELP``; the pages
only arrange these pieces.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from pose_coach import history, live_journal
from pose_coach.coach import Detector
from pose_coach.config import HELP, Settings
from pose_coach.history import SessionRecord
from pose_coach.judge.reference import (
    AngleCheck,
    Reference,
    ReferenceError,
    read_references,
    reset_reference,
    user_dir,
)
from pose_coach.terms import SIDES
from pose_coach.tuning import AngleTable
from pose_coach_app.upload_field import upload_field

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_videos"
VIDEO_TYPES = ["mp4", "mov", "m4v", "webm", "mkv", "avi"]
PHOTO_TYPES = ["jpg", "jpeg", "png", "webp", "bmp"]  # a still photo gets a verdict of its own
SIDE_ORDERS = {
    "Left, then right": ("left", "right"),
    "Right, then left": ("right", "left"),
    "Left only": ("left",),
    "Right only": ("right",),
}
WARM_UP = (
    "Warm up first: a few minutes of light cardio, such as jogging in place or jumping jacks. "
    "Stretch gently and slowly, never bounce or jerk, and breathe deeply. "
    "Aim for two to three sessions a week."
)
ANGLE_LABELS = {
    "working_hip": "Working hip",
    "other_hip": "Other hip",
    "working_knee": "Working knee",
    "other_knee": "Other knee",
    "working_shoulder": "Working shoulder",
    "other_shoulder": "Other shoulder (reaching arm)",
    "trunk": "Trunk",
    "pelvis_tilt": "Pelvis tilt",
    "pelvis_rotation": "Pelvis rotation",
}
SETTINGS_KEY = "settings"
PERSON_KEY = "person"
# A detector the pages use instead of the pose model: ``detect(rgb, timestamp_s) -> PoseFrame``.
# Tests (and demos) put one in the session state; the app itself never sets it.
DETECTOR_KEY = "pose_detector"


def home_dir() -> Path:
    """The user's pose-coach folder (``$POSE_COACH_HOME``), where history and outputs live."""
    return history.default_path().parent


# -- settings ------------------------------------------------------------------------------------


def settings_sidebar() -> Settings:
    """The settings form in the sidebar, one widget per ``Settings`` field; stores the result."""
    defaults = Settings()
    values: dict[str, object] = {}
    with st.sidebar.expander("Settings", expanded=False):
        for field in fields(Settings):
            default = getattr(defaults, field.name)
            label = field.name.replace("_", " ").capitalize()
            key = f"setting_{field.name}"
            if isinstance(default, bool):
                values[field.name] = st.checkbox(
                    label, value=default, help=HELP[field.name], key=key
                )
            elif isinstance(default, float):
                values[field.name] = st.number_input(
                    label, min_value=0.0, value=default, step=0.1, help=HELP[field.name], key=key
                )
            elif default is None and "float" in str(field.type):  # empty: the model's own
                values[field.name] = st.number_input(
                    label, min_value=0.0, value=None, step=0.1, help=HELP[field.name], key=key,
                    placeholder="the pose model's own",
                )  # fmt: skip
            elif default is None or isinstance(default, Path):
                text = st.text_input(label, value="", help=HELP[field.name], key=key)
                values[field.name] = Path(text.strip()) if text.strip() else None
            else:  # a new kind of setting needs its widget here
                raise TypeError(f"no widget for setting {field.name} = {default!r}")
    try:
        settings = Settings(**values)
    except ValueError as error:
        st.sidebar.error(f"{error}; using the default settings")
        settings = defaults
    st.session_state[SETTINGS_KEY] = settings
    return settings


def person_sidebar() -> str:
    """Whose sessions the pages save and show: everyone in the history, and any new name typed."""
    try:
        known = history.persons()
    except history.HistoryError:
        known = [history.DEFAULT_PERSON]  # the pages that read the history say what is wrong
    chosen = st.session_state.get(PERSON_KEY)
    if chosen and chosen not in known:  # a new name, not saved yet
        known.append(chosen)
    name = st.sidebar.selectbox(
        "Person", known, key=PERSON_KEY, accept_new_options=True,
        help="Whose sessions to save and show: type a new name to add someone",
    )  # fmt: skip
    try:
        return history.check_person(name)
    except ValueError as error:
        st.sidebar.error(f"{error}; using {history.DEFAULT_PERSON!r}")
        return history.DEFAULT_PERSON


def current_person() -> str:
    """The person chosen in the sidebar (the default person until it has been shown)."""
    name = st.session_state.get(PERSON_KEY)
    try:
        return history.check_person(name) if name else history.DEFAULT_PERSON
    except ValueError:
        return history.DEFAULT_PERSON


def current_settings() -> Settings:
    """The settings chosen in the sidebar (the defaults until it has been shown)."""
    return st.session_state.get(SETTINGS_KEY) or Settings()


def detector() -> Detector | None:
    """The detector given to the app (``DETECTOR_KEY``), or None: the pose model of the settings."""
    return st.session_state.get(DETECTOR_KEY)


# -- pickers -------------------------------------------------------------------------------------


def pick_stretch(key: str, disabled: bool = False) -> Reference | None:
    """A stretch picker over the references (tuned ones replace the shipped ones). A broken file
    hides only its own stretch; it is named, with a button that fixes it."""
    found = read_references()
    for path, error in found.broken.items():
        _offer_reset(key, path, error, found.shipped(path))
    references = found.references
    if not references:
        return None
    ids = sorted(references, key=lambda i: references[i].name)
    chosen = st.selectbox(
        "Stretch", ids, format_func=lambda i: references[i].name, key=key, disabled=disabled
    )
    return references[chosen]


def _offer_reset(key: str, path: Path, error: ReferenceError, shipped: bool) -> None:
    """The error of a broken reference file and, for a tuned one, the button that removes it."""
    tuned = path.parent == user_dir()
    st.error(f"The stretch {path.stem!r} is hidden: its reference cannot be read: {error}")
    if not tuned:  # a shipped file is not the user's to remove
        return
    label = (f"Reset {path.stem} to the shipped version" if shipped
             else f"Delete {path.name} (there is no shipped version)")  # fmt: skip
    st.button(label, key=f"{key}_reset_{path.stem}", on_click=reset_reference, args=(path.stem,))


def pick_sides(key: str, disabled: bool = False) -> tuple[str, ...]:
    label = st.radio(
        "Order of sides", list(SIDE_ORDERS), key=key, horizontal=True, disabled=disabled
    )
    return SIDE_ORDERS[label]


def before_you_start(reference: Reference) -> None:
    """The stretch's instructions, where to put the camera, and the warm-up reminder."""
    st.info(WARM_UP, icon=":material/directions_run:")
    left, right = st.columns(2)
    with left:
        st.markdown("**How to do it**")
        st.markdown("\n".join(f"{n}. {step}" for n, step in enumerate(reference.instructions, 1)))
    with right:
        st.markdown("**Where to put the camera**")
        st.markdown(reference.camera)
        st.caption(f"Hold each side for {reference.hold_s:.0f} s in good form.")
        targets = ", ".join(
            f"{ANGLE_LABELS.get(name, name).lower()} {c.target:g}° ± {c.tolerance:g}°"
            for name, c in reference.checks().items()
        )
        st.caption(f"Targets: {targets}.")


# -- video input ---------------------------------------------------------------------------------


def sample_videos() -> list[Path]:
    return sorted(p for p in SAMPLE_DIR.glob("*") if p.suffix.lower().lstrip(".") in VIDEO_TYPES)


def pick_video(key: str, photos: bool = False) -> Path | None:
    """An uploaded video (``photos``: or photo), saved under the home folder as it arrived
    (``upload_field``), or a sample; None until there is one."""
    samples = sample_videos()
    sources = ["Upload a video", "Sample video"] if samples else ["Upload a video"]
    source = st.radio("Video", sources, key=f"{key}_source", horizontal=True)
    if source == "Sample video":
        chosen = st.selectbox("Sample", samples, format_func=lambda p: p.name, key=f"{key}_sample")
        return chosen
    kinds = "a video (MP4, MOV, WebM, MKV) or a photo (JPEG, PNG)" if photos else \
        "a video (MP4, MOV, WebM, MKV)"  # fmt: skip
    types = VIDEO_TYPES + PHOTO_TYPES if photos else VIDEO_TYPES
    return upload_field(f"Upload {kinds}", types, key=f"{key}_upload")


# -- sessions that ended without STOP --------------------------------------------------------------

ABANDONED = (
    "abandoned_sessions"  # (the sessions found when this browser session began, or an error)
)


def report_abandoned() -> None:
    """Say, once per browser session, which live sessions ended without STOP (a closed tab, a
    stopped or killed server) and what of each was kept."""
    if ABANDONED not in st.session_state:
        try:
            st.session_state[ABANDONED] = (live_journal.abandoned_sessions(), None)
        except history.HistoryError as error:
            st.session_state[ABANDONED] = ([], str(error))
    found, error = st.session_state[ABANDONED]
    if error:
        st.error(f"The history cannot be read: {error}")
    if not found:
        return
    for stored in found:
        st.warning(abandoned_text(stored.record), icon=":material/history:")
    st.button("Dismiss", key="abandoned_dismiss", on_click=st.session_state.__setitem__,
              args=(ABANDONED, ([], None)))  # fmt: skip


def abandoned_text(record: SessionRecord) -> str:
    started = record.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    good = record.good_form_s()
    sides = "; ".join(
        f"{side} side {fmt_s(good[side])} of good form"
        + (" (complete)" if side in record.sides_done else "")
        for side in SIDES
        if any(h.side == side for h in record.holds)
    )
    faults = f"{len(record.faults)} fault{'s' if len(record.faults) != 1 else ''}"
    return (
        f"Your live session of {record.stretch.replace('_', ' ')} started {started} ended without "
        f"STOP (the tab was closed or the app stopped). Kept in your history, all but its last "
        f"seconds: {fmt_s(record.duration_s)} coached"
        + (f"; {sides}" if sides else "; no hold yet")
        + f"; {faults}."
    )


# -- display -------------------------------------------------------------------------------------


def fmt_s(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


def show_session(record: SessionRecord, reference_name: str | None = None) -> None:
    """Holds per side, good-form time, and the faults with their times."""
    held, good = record.held_s(), record.good_form_s()
    columns = st.columns(len(SIDES) + 1)
    for column, side in zip(columns, SIDES, strict=False):
        done = " (complete)" if side in record.sides_done else ""
        column.metric(
            f"{side.capitalize()} side{done}",
            fmt_s(good[side]),
            help=f"Good-form time; {fmt_s(held[side])} in the stretch",
        )
    columns[-1].metric("Faults", len(record.faults))
    if record.faults:
        st.dataframe(faults_frame(record.faults), hide_index=True, width="stretch")
    else:
        st.success("No faults: well done.")


def faults_frame(events) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "from (s)": round(e.start_s, 1),
                "to (s)": round(e.end_s, 1),
                "side": e.side or "",
                "fault": e.kind.value.replace("_", " "),
                "what to do": e.message,
            }
            for e in events
        ]
    )


def angle_timeline(
    table: AngleTable,
    checks: dict[str, AngleCheck],
    faults: list[tuple[float, float, str]] = (),
    states: dict[str, np.ndarray] | None = None,
) -> alt.VConcatChart:
    """One panel per checked angle: its value over time, the target band, faults shaded, and
    (with ``states``) the frames outside the band marked."""
    panels = []
    fault_data = pd.DataFrame(faults, columns=["start", "end", "fault"])
    for name, check in checks.items():
        values = table.values.get(name)
        if values is None:
            continue
        data = pd.DataFrame({"time (s)": table.time_s, "degrees": values})
        if states is not None:
            data["outside"] = states[name] != 0
        title = f"{ANGLE_LABELS.get(name, name)}: {check.target:g}° ± {check.tolerance:g}°"
        band = alt.Chart(
            pd.DataFrame(
                {"low": [check.target - check.tolerance], "high": [check.target + check.tolerance]}
            )
        )
        layers = [
            band.mark_rect(color="#2ca25f", opacity=0.18).encode(
                y=alt.Y("low:Q", title="degrees"), y2="high:Q"
            ),
            alt.Chart(data)
            .mark_line(color="#3182bd")
            .encode(x=alt.X("time (s):Q"), y=alt.Y("degrees:Q", scale=alt.Scale(zero=False))),
        ]
        if not fault_data.empty:
            layers.insert(
                1,
                alt.Chart(fault_data)
                .mark_rect(color="#e6550d", opacity=0.15)
                .encode(x="start:Q", x2="end:Q", tooltip=["fault", "start", "end"]),
            )
        if states is not None:
            layers.append(
                alt.Chart(data[data["outside"]])
                .mark_point(color="#d62728", size=18, filled=True)
                .encode(x="time (s):Q", y="degrees:Q")
            )
        panels.append(alt.layer(*layers).properties(title=title, height=120, width="container"))
    return alt.vconcat(*panels)


def speak(text: str, sequence: int) -> None:
    """Say cue number ``sequence`` with the browser's own speech synthesis (offline), once.

    Draw it on every refresh while it is current: a full rerun of the page can replace a refresh
    before the browser has run its script, so the browser remembers the last number it said instead.
    """
    st.html(
        f'<span class="pose-coach-cue" data-sequence="{sequence}" hidden></span><script>'
        f"(() => {{ const synth = window.speechSynthesis; const n = {int(sequence)};"
        " if (!synth || (window.poseCoachSaid || 0) >= n) return; window.poseCoachSaid = n;"
        f" const u = new SpeechSynthesisUtterance({json.dumps(text)}); u.rate = 0.95;"
        " synth.cancel(); synth.speak(u); })();</script>",
        unsafe_allow_javascript=True,
    )
