"""Live coaching page: the webcam through streamlit-webrtc, coached frame by frame by a LiveCoach.
The camera can also be a phone on the home network (``pose_coach_app.phone``).

The coach runs in the stream's thread and queues its results; a fragment on this page drains the
queue twice a second to show the hold timer, the cue (spoken by the browser) and the angles. The
session is written to the history as it goes (``LiveJournal``); when the stream stops, or the coach
fails (its error is shown and the stream stopped), the session is summarised and saved as done.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from pose_coach.input.pose import ModelError, load_model_bytes
from pose_coach.judge.reference import Reference
from pose_coach.judge.session import FrameResult, Phase
from pose_coach.live import DROP_WINDOW, LiveCoach, LiveStats
from pose_coach.live_journal import LiveJournal
from pose_coach.terms import program_name
from pose_coach_app import phone, widgets

MEDIA_CONSTRAINTS = {
    "video": {"width": {"ideal": 640}, "height": {"ideal": 480}, "frameRate": {"ideal": 30}},
    "audio": False,
}
REFRESH_S = 0.5
STOPPING = "live_stopping"  # the coach failed: the stream is being stopped
COACH, JOURNAL, CONFIG, LAST, CUE, OUTCOME = (
    "live_coach",
    "live_journal",
    "live_config",
    "live_last",
    "live_cue",  # (number, text, stream time) of the last new cue
    "live_outcome",  # (record, stretch name, save error, coach error) of the last session
)
STEPPED_DOWN = (
    "This machine cannot coach every camera frame: to keep up, while you hold still the coach now "
    "shows its last coaching on every frame at once and runs the pose model beside the video, on "
    "{share} at most (on all it can while that is under 8 a second); the hold timer and the checks "
    "go on. A lite pose model (Settings) is faster, if you have one."
)
STRIDE_TEXT = {2: "every other frame", 3: "one frame in three"}
PHASE_TEXT = {
    Phase.NO_PERSON: "No person in view",
    Phase.WRONG_VIEW: "Wrong camera view",
    Phase.POSITIONING: "Get into position",
    Phase.HOLDING: "Holding",
    Phase.HOLD_COMPLETE: "Hold complete",
    Phase.SWITCH_SIDES: "Switch sides",
    Phase.DONE: "All sides done",
}


def _coach_for(reference: Reference, sides: tuple[str, ...]) -> LiveCoach:
    """The session's coach, made anew when the stretch, sides or settings changed before a start,
    with the journal that writes it to the history as it goes (for the person chosen)."""
    config = (reference, widgets.current_settings(), sides, widgets.current_person())
    coach: LiveCoach | None = st.session_state.get(COACH)
    if coach is None or (st.session_state.get(CONFIG) != config and not coach.started):
        if coach is not None:
            coach.close()
        given = widgets.detector()
        journal = LiveJournal(reference.id, person=config[3])
        coach = LiveCoach(reference, config[1], sides, estimators=[given] if given else (),
                          on_checkpoint=journal.checkpoint)  # fmt: skip
        st.session_state[COACH], st.session_state[JOURNAL] = coach, journal
        st.session_state[CONFIG] = config
        st.session_state.pop(LAST, None)
        if CUE in st.session_state:  # keep counting (the browser remembers), forget the cue
            st.session_state[CUE] = (st.session_state[CUE][0], "", -math.inf)
    return coach


def _save(coach: LiveCoach) -> None:
    """Finish a stopped (or failed) session, store it as done, and keep its record to show."""
    outcome = coach.finish()
    journal: LiveJournal = st.session_state.pop(JOURNAL)
    st.session_state.pop(COACH, None)
    st.session_state.pop(LAST, None)
    record = journal.finish(outcome)
    st.session_state[OUTCOME] = (record, coach.reference.name, journal.error, coach.error)
    if coach.error is not None:
        st.session_state[STOPPING] = True


def model_problem() -> str | None:
    """What is wrong with the model setting, before START (None: fine, or a test's detector)."""
    path = widgets.current_settings().model_path
    if path is None or widgets.detector() is not None:
        return None
    try:
        load_model_bytes(path)
    except ModelError as error:
        return str(error)
    return None


def angles_frame(result: FrameResult, reference: Reference) -> pd.DataFrame:
    """The checked angles now, against their targets, named for the working side."""
    side = result.side
    relative = result.angles.for_side(side) if result.angles is not None and side else None
    rows = []
    for name, check in reference.checks().items():
        value = relative[name] if relative is not None else math.nan
        state = result.angle_states.get(program_name(name, side or "left"))
        rows.append(
            {
                "angle": widgets.ANGLE_LABELS.get(name, name),
                "now": "-" if math.isnan(value) else f"{value:.0f}°",
                "target": f"{check.target:g}° ± {check.tolerance:g}°",
                "form": {None: "", 0: "good", -1: "too low", 1: "too high"}[state],
            }
        )
    return pd.DataFrame(rows)


def show_status(coach: LiveCoach, result: FrameResult | None) -> None:
    """Hold timer, side, cue and angles for the newest result."""
    if result is None:
        st.info("Waiting for the camera's first frames...")
        return
    reference = coach.reference
    side = result.side or "-"
    order = f" ({coach.sides.index(side) + 1} of {len(coach.sides)})" if side in coach.sides else ""
    holding = result.phase in (Phase.HOLDING, Phase.HOLD_COMPLETE)
    left, right = st.columns([2, 1])
    left.subheader(PHASE_TEXT[result.phase])
    right.metric("Side now" if holding else "Next side", f"{side.capitalize()}{order}")
    fraction = min(1.0, result.hold_s / result.hold_target_s) if result.hold_target_s else 0.0
    st.progress(fraction, text=f"Hold {result.hold_s:.1f} / {result.hold_target_s:.0f} s")
    if result.cue:
        if result.phase in (Phase.NO_PERSON, Phase.WRONG_VIEW):
            st.error(result.cue, icon=":material/videocam_off:")
        elif result.form_ok or result.phase is Phase.HOLD_COMPLETE:
            st.success(result.cue)
        else:
            st.warning(result.cue)
    st.dataframe(angles_frame(result, reference), hide_index=True, width="stretch")
    stats = coach.stats()
    if coach.stepped_down:
        share = STRIDE_TEXT.get(stats.stride, f"one frame in {stats.stride}")
        st.info(STEPPED_DOWN.format(share=share), icon=":material/speed:")
    st.caption(throughput(stats))


def throughput(stats: LiveStats) -> str:
    """How the coach keeps up with the camera: frames received, coached by the pose model, shown
    with the last coaching (stepped down), dropped; rates per second of the camera's time."""
    reused = (
        f" + shown with the last coaching {stats.skipped} ({stats.reused_fps:.1f} a second)"
        if stats.skipped
        else ""
    )
    return (
        f"Camera: {stats.received} frames received ({stats.received_fps:.1f} a second). "
        f"Coached by the pose model: {stats.processed} ({stats.coached_fps:.1f} a second){reused}. "
        f"Dropped: {stats.dropped} ({100 * stats.drop_fraction:.0f}%; "
        f"{100 * stats.recent_drop_fraction:.0f}% of the last {DROP_WINDOW} frames). "
        f"{stats.mean_process_ms:.0f} ms per coached frame."
    )


@st.fragment(run_every=REFRESH_S)
def status_panel(coach: LiveCoach, muted: bool) -> None:
    """Drain the coach's results; show the newest and speak a new cue. A failed coach stops the
    stream (the whole page reruns and saves the session)."""
    if coach.error is not None:
        st.rerun()
    results = coach.drain()
    if results:
        st.session_state[LAST] = results[-1]
    show_status(coach, st.session_state.get(LAST))
    new = [r for r in results if r.cue_is_new and r.cue]
    if new:
        sequence = st.session_state[CUE][0] + 1 if CUE in st.session_state else 1
        st.session_state[CUE] = (sequence, new[-1].cue, new[-1].timestamp_s)
    last = st.session_state.get(LAST)
    if CUE in st.session_state and last is not None and not muted:
        sequence, cue, said_at = st.session_state[CUE]
        if last.timestamp_s - said_at < coach.settings.cue_cooldown_s:  # not a stale one
            widgets.speak(cue, sequence)


def show_outcome() -> None:
    if OUTCOME not in st.session_state:
        return
    record, name, save_error, coach_error = st.session_state[OUTCOME]
    if coach_error:
        st.error(f"Live coaching stopped: {coach_error}", icon=":material/error:")
    if record is None:
        return
    st.subheader(f"Last session: {name}")
    widgets.show_session(record)
    if save_error:
        st.error(f"The session could not be saved to the history: {save_error}")
    else:
        st.caption("Saved to your history.")


def webcam_stream(coach: LiveCoach, stopping: bool = False):
    """This computer's webcam, coached, played back in the page (stopped when ``stopping``)."""
    context = webrtc_streamer(
        key="live",
        mode=WebRtcMode.SENDRECV,
        rtc_configuration=phone.RTC_CONFIGURATION,
        server_rtc_configuration=phone.RTC_CONFIGURATION,
        media_stream_constraints=MEDIA_CONSTRAINTS,
        queued_video_frames_callback=coach.recv_queued,
        async_processing=True,
        desired_playing_state=False if stopping else None,
    )
    st.caption(
        "Press START and allow the camera. If it does not start: the browser allows cameras only "
        "on localhost or https; check that no other program uses the camera, and pick the right one "
        "with SELECT DEVICE. Press STOP to end the session (it is kept in your history as it goes)."
    )
    return context


def render() -> None:
    st.title("Live coaching")
    coach: LiveCoach | None = st.session_state.get(COACH)
    in_progress = coach is not None and coach.started and not coach.finished
    reference = widgets.pick_stretch("live_stretch", disabled=in_progress)
    if reference is None:
        return
    sides = widgets.pick_sides("live_sides", disabled=in_progress)
    muted = st.toggle("Mute spoken cues", key="live_muted")
    problem = model_problem()
    if problem is not None:
        st.error(f"The pose model setting cannot be used: {problem}. Fix it in the sidebar's "
                 "Settings (or clear it to use the shipped model).")  # fmt: skip
        return
    intro = st.container()  # filled below, once it is known whether the camera is streaming
    source = phone.pick_source("live_source", disabled=in_progress)
    coach = _coach_for(reference, sides)
    stopping = st.session_state.get(STOPPING, False) or coach.error is not None
    if source == phone.PHONE:
        context = phone.coached_phone_stream(coach, stopping)
    else:
        context = webcam_stream(coach, stopping)
    streaming = context is not None and context.state.playing
    if stopping and not streaming:
        st.session_state.pop(STOPPING, None)  # stopped: START works again
    playing = streaming and not stopping
    # A new expander when streaming starts or stops, so it folds away while the camera runs.
    with intro, st.expander("Before you start", expanded=not playing, key=f"live_intro_{playing}"):
        widgets.before_you_start(reference)
    if playing:
        st.session_state.pop(OUTCOME, None)
        status_panel(coach, muted)
    elif coach.started or coach.error is not None:
        _save(coach)
        st.rerun()  # show the pickers enabled again, and the summary
    show_outcome()
