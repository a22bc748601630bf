"""Review page: an uploaded (or sample) video in, the annotated video, a timeline of the key angles
against their targets, the faults with their times and the report files out. Saved to the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import streamlit as st

from pose_coach import history
from pose_coach.history import SessionRecord
from pose_coach.input.pose import ModelError
from pose_coach.input.video import VideoError
from pose_coach.judge.reference import Reference
from pose_coach.review import Review, ReviewError, review_video
from pose_coach.tuning import angle_table
from pose_coach_app import widgets

RESULT = "review_result"
NO_PERSON = (
    "No person was found in this video. Film the whole body, side-on, in good light, as the "
    "stretch's camera instructions say, and try again."
)


@dataclass(frozen=True)
class ShownReview:
    """A finished review, kept in the session so the page can show it again after a rerun."""

    review: Review
    record: SessionRecord
    saved_error: str | None


def _progress_callback(bar):
    shown = [-1]

    def update(done: int, total: int) -> None:
        percent = min(99, 100 * done // total) if total else 0
        if percent != shown[0]:  # one message per percent, not per frame
            shown[0] = percent
            bar.progress(percent / 100, text=f"Analysing frame {done} of about {total}...")

    return update


def run_review(video: Path, reference: Reference, sides: tuple[str, ...]) -> None:
    """Review ``video``; keep the result in the session and the record in the history."""
    st.session_state.pop(RESULT, None)
    stamp = datetime.now(timezone.utc)
    out_dir = widgets.home_dir() / "reviews" / f"{stamp:%Y%m%d-%H%M%S}-{video.stem[:40]}"
    bar = st.progress(0.0, text="Opening the video...")
    try:
        review = review_video(
            video,
            reference,
            widgets.current_settings(),
            out_dir=out_dir,
            sides=sides,
            progress=_progress_callback(bar),
            detector=widgets.detector(),
        )
    except VideoError as error:
        st.error(f"This file cannot be used: {error}")
        return
    except (ReviewError, ModelError) as error:
        st.error(str(error))
        return
    finally:
        bar.empty()
    if review.run.frames_with_pose == 0:
        st.error(NO_PERSON)
        return
    record = SessionRecord.from_run(review.run, stamp, widgets.current_person())
    try:
        history.add_session(record)
        error = None
    except history.HistoryError as failure:
        error = str(failure)
    st.session_state[RESULT] = ShownReview(review, record, error)


def show_review(shown: ShownReview) -> None:
    result, run = shown.review, shown.review.run
    st.subheader(f"{run.reference.name}: {run.video.name}")
    if run.frames_with_pose < len(run.frames):
        st.caption(f"A person was found in {run.frames_with_pose} of {len(run.frames)} frames.")
    if result.video_path is not None:
        st.video(str(result.video_path))
    widgets.show_session(shown.record)
    if shown.saved_error:
        st.error(f"The review could not be saved to the history: {shown.saved_error}")
    st.markdown("**Key angles over time** (green: target band; orange: faults)")
    faults = [(e.start_s, e.end_s, e.kind.value) for e in shown.record.faults]
    chart = widgets.angle_timeline(angle_table(run), run.reference.checks(), faults)
    st.altair_chart(chart, width="stretch")
    columns = st.columns(3)
    files = [(result.report_path, "application/json"), (result.angles_path, "text/csv")]
    if result.video_path is not None:
        files.append((result.video_path, "video/mp4"))
    for column, (path, mime) in zip(columns, files, strict=False):
        column.download_button(
            f"Download {path.name}",
            path.read_bytes(),
            file_name=path.name,
            mime=mime,
            key=f"download_{path.name}",
        )


def render() -> None:
    st.title("Review a video")
    st.write(
        "Upload a recording of your stretch, or pick a sample. The coach marks each frame, times "
        "your holds and lists the faults, just as it does live."
    )
    reference = widgets.pick_stretch("review_stretch")
    if reference is None:
        return
    sides = widgets.pick_sides("review_sides")
    with st.expander("How to film it"):
        widgets.before_you_start(reference)
    video = widgets.pick_video("review")
    if st.button("Analyse video", type="primary", disabled=video is None):
        run_review(video, reference, sides)
    shown = st.session_state.get(RESULT)
    if shown is not None:
        show_review(shown)
