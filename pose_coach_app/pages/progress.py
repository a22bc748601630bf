"""Progress page: range of motion per side over weeks against the target band, left/right
asymmetry, sessions per week against the article's two to three, good-form time and faults per
week; a PDF report for a physiotherapist and a CSV beside it. Everything shown comes from
``pose_coach.progress``; the charts are the report's own (``output.progress_charts``)."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from pose_coach import history, progress
from pose_coach.judge.reference import ReferenceError, load_references
from pose_coach.output.progress_charts import charts, png
from pose_coach.output.progress_csv import progress_csv
from pose_coach.output.progress_report import progress_pdf
from pose_coach_app import widgets

WEEKS_SHOWN = 8  # the default date range


def _pickers() -> tuple[date, date, str | None, float] | None:
    try:
        references = load_references()
    except ReferenceError as error:
        st.error(f"A reference pose cannot be read: {error}")
        return None
    today = date.today()
    left, middle, right = st.columns([2, 2, 1])
    period = left.date_input("Dates", value=(today - timedelta(weeks=WEEKS_SHOWN), today),
                             max_value=today, key="progress_dates")  # fmt: skip
    ids = [None, *sorted(references, key=lambda i: references[i].name)]
    stretch = middle.selectbox(
        "Stretch", ids, key="progress_stretch",
        format_func=lambda i: "All stretches" if i is None else references[i].name,
    )  # fmt: skip
    threshold = right.number_input(
        "Asymmetry above (°)", min_value=1.0, max_value=90.0, value=progress.ASYMMETRY_DEG,
        step=1.0, key="progress_asymmetry",
        help="Call out weeks whose left and right medians are further apart than this",
    )  # fmt: skip
    if not isinstance(period, tuple) or len(period) != 2:
        st.info("Pick the last day of the period too.")
        return None
    return period[0], period[1], stretch, float(threshold)


def _callouts(found: progress.Progress) -> None:
    for stretch in found.stretches:
        uneven = progress.asymmetry_text(stretch, found.asymmetry_deg)
        if uneven:
            st.warning(uneven, icon=":material/balance:")


def render() -> None:
    st.title("Progress")
    person = widgets.current_person()
    picked = _pickers()
    if picked is None:
        return
    since, until, stretch, threshold = picked
    try:
        found = progress.load(person, since, until, stretch, threshold)
    except (history.HistoryError, ReferenceError) as error:
        st.error(str(error))
        return
    if not found.sessions:
        st.info(f"No sessions of {person} from {since:%d %b %Y} to {until:%d %b %Y}. Coach a "
                "stretch live or review a video (saved to the history), or pick other dates.")  # fmt: skip
        return
    goal = progress.SESSIONS_GOAL
    columns = st.columns(3)
    columns[0].metric("Sessions a week", f"{found.sessions_per_week:.1f}",
                      help=f"The article asks for {goal[0]} to {goal[1]} a week")  # fmt: skip
    columns[1].metric(
        f"Weeks with {goal[0]} or more", f"{found.weeks_on_goal} of {len(found.weeks)}"
    )
    good = sum(sum(w.good_form_s.values()) for w in found.weeks)
    columns[2].metric("Good-form time", f"{good / 60:.1f} min")
    _callouts(found)
    downloads = st.columns(2)
    stem = f"pose-coach-progress-{person}-{since}-{until}"
    downloads[0].download_button("Download the PDF report", data=lambda: progress_pdf(found),
                                 file_name=f"{stem}.pdf", mime="application/pdf",
                                 icon=":material/picture_as_pdf:", key="progress_pdf")  # fmt: skip
    downloads[1].download_button("Download CSV", data=progress_csv(found), file_name=f"{stem}.csv",
                                 mime="text/csv", key="progress_csv")  # fmt: skip
    if not found.stretches or not any(s.ranges for s in found.stretches):
        st.caption("No hold in good form in this period: no range of motion to show yet.")
    for title, figure in charts(found):
        st.subheader(title)
        st.image(png(figure), width="stretch")
