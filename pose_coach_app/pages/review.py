"""Review page: an uploaded (or sample) video in, the annotated video, a timeline of the key angles
against their targets, the faults with their times, what a hold's timer did not count, and the
report files out; saved to the history. A photo gets its verdict: the annotated photo, each angle
against its target and the faults with their cues (a photo is no session: not saved)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import streamlit as st

from pose_coach.judge.explain import describe, hold_notes, uncounted
from pose_coach.judge.reference import Reference
from pose_coach.judge.still import StillVerdict
from pose_coach.review import Review
from pose_coach.tuning import angle_table
from pose_coach_app import widgets
from pose_coach_app.review_job import ReviewJob, ShownReview

JOB = "review_job"
# How often the page redraws the progress of a running review.
PROGRESS_S = 0.5


def start_review(video: Path, reference: Reference, sides: tuple[str, ...]) -> None:
    """Start reviewing ``video`` in the background (any review still running is cancelled)."""
    running: ReviewJob | None = st.session_state.get(JOB)
    if running is not None:
        running.cancel()
    out_dir = (
        widgets.home_dir()
        / "reviews"
        / f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{video.stem[:40]}"
    )
    st.session_state[JOB] = ReviewJob(
        video, reference, widgets.current_settings(), sides, out_dir, widgets.detector(),
        widgets.current_person(),
    ).start()  # fmt: skip


def follow(job: ReviewJob) -> None:
    """Show a running review's progress until it ends. The review runs in its own thread: leaving
    the page stops only this display (Streamlit stops the script at its next call), not the job,
    whose result is here on return."""
    bar = st.progress(0.0, text=f"Opening {job.video.name}...")
    st.button("Cancel the analysis", on_click=job.cancel, key="review_cancel")
    while not job.finished.wait(PROGRESS_S):
        # A Streamlit call each time round: that is where a page change stops this loop.
        done, total = job.done_frames, job.total_frames
        fraction = min(0.99, done / total) if total else 0.0
        text = f"Analysing {job.video.name}: frame {done} of about {total}..." if done else None
        bar.progress(fraction, text=text or f"Opening {job.video.name}...")
    st.rerun()  # draw the outcome without the progress bar and the button


def show_outcome(job: ReviewJob) -> None:
    if job.state == "done" and job.result is not None:
        show_review(job.result)
    elif job.state == "cancelled":
        st.warning(f"The analysis of {job.video.name} was cancelled: nothing was saved.")
    elif job.state == "failed":
        st.error(job.error)


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
        for note in hold_notes(run.frames, hold):
            st.caption(f"{hold.side.capitalize()} hold at {hold.start_s:.0f} s: {note}.")
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
        start_review(video, reference, sides)
    job: ReviewJob | None = st.session_state.get(JOB)
    if job is None:
        return
    if job.state == "running":
        follow(job)
    show_outcome(job)
