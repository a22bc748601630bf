"""Review page: an uploaded (or sample) video in, the annotated video, a timeline of the key angles
against their targets, the faults with their times, what a hold's timer did not count, and the
report files out; saved to the history. A photo gets its verdict: the annotated photo, each angle
against its target and the faults with their cues (a photo is no session: not saved)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import streamlit as st

from pose_coach import history
from pose_coach.history import SessionRecord
from pose_coach.input.pose import ModelError
from pose_coach.input.video import VideoError
from pose_coach.judge.explain import describe, uncounted
from pose_coach.judge.reference import Reference
from pose_coach.judge.still import StillVerdict
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
    except ReviewError:  # its message names a folder of the server's
        st.error("The results cannot be saved in your pose-coach folder: free some disk space "
                 "or make the folder writable, and try again.")  # fmt: skip
        return
    except ModelError as error:
        st.error(str(error))
        return
    finally:
        bar.empty()
    if review.run.frames_with_pose == 0:
        st.error(NO_PERSON)
        return
    record = SessionRecord.from_run(review.run, stamp, widgets.current_person())
    if review.run.still is not None:  # a photo: its verdict, but no session to keep
        st.session_state[RESULT] = ShownReview(review, record, None)
        return
    try:
        history.add_session(record)
        error = None
    except history.HistoryError as failure:
        error = str(failure)
    st.session_state[RESULT] = ShownReview(review, record, error)


def show_still(verdict: StillVerdict, review: Review) -> None:
    """A photo's verdict: the annotated photo, the verdict, each angle against its target."""
    if review.image_path is not None:
        st.image(str(review.image_path))
    if not verdict.judged:
        st.warning(f"This photo cannot be judged: {verdict.message}")
    elif verdict.form_ok:
        st.success(verdict.message)
    else:
        for kind, cue in verdict.faults:
            st.error(f"**{kind.value.replace('_', ' ').capitalize()}**: {cue}")
    found = [verdict.side and f"{verdict.side} side", verdict.posture and
             verdict.posture.replace("_", " "), verdict.view and f"{verdict.view} view"]  # fmt: skip
    st.caption("Seen in the photo: " + ", ".join(x for x in found if x) + ".")
    rows = [{
        "angle": widgets.ANGLE_LABELS.get(a.role, a.role),
        "measured": None if math.isnan(a.value) else round(a.value),
        "target": f"{a.target:g}° ± {a.tolerance:g}°",
        "verdict": {True: "ok", False: (a.fault.value if a.fault else "off").replace("_", " "),
                    None: "not judged"}[a.ok],
    } for a in verdict.angles]  # fmt: skip
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")


def show_review(shown: ShownReview) -> None:
    result, run = shown.review, shown.review.run
    st.subheader(f"{run.reference.name}: {run.video.name}")
    if run.still is not None:
        show_still(run.still, result)
        downloads(result)
        return
    if run.frames_with_pose < len(run.frames):
        st.caption(f"A person was found in {run.frames_with_pose} of {len(run.frames)} frames.")
    if result.video_path is not None:
        st.video(str(result.video_path))
    widgets.show_session(shown.record)
    for hold in run.holds:
        missing = describe(uncounted(run.frames, hold, run.reference))
        if missing and hold.good_form_s < run.reference.hold_s:
            st.caption(f"{hold.side.capitalize()} hold at {hold.start_s:.0f} s: {missing}.")
    if shown.saved_error:
        st.error(f"The review could not be saved to the history: {shown.saved_error}")
    st.markdown("**Key angles over time** (green: target band; orange: faults)")
    faults = [(e.start_s, e.end_s, e.kind.value) for e in shown.record.faults]
    chart = widgets.angle_timeline(angle_table(run), run.reference.checks(), faults)
    st.altair_chart(chart, width="stretch")
    downloads(result)


def downloads(result: Review) -> None:
    columns = st.columns(3)
    files = [(result.report_path, "application/json"), (result.angles_path, "text/csv")]
    if result.video_path is not None:
        files.append((result.video_path, "video/mp4"))
    if result.image_path is not None:
        files.append((result.image_path, "image/png"))
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
        "your holds and lists the faults, just as it does live. A photo of you in the stretch "
        "gets a verdict too: each angle against its target, and what to fix."
    )
    reference = widgets.pick_stretch("review_stretch")
    if reference is None:
        return
    sides = widgets.pick_sides("review_sides")
    with st.expander("How to film it"):
        widgets.before_you_start(reference)
    video = widgets.pick_video("review", photos=True)
    if st.button("Analyse video", type="primary", disabled=video is None):
        run_review(video, reference, sides)
    shown = st.session_state.get(RESULT)
    if shown is not None:
        show_review(shown)
