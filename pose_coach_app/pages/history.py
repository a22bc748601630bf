"""History page: past sessions, time held per side, faults per session, sessions per week against
the two to three a week the article recommends."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pose_coach import history
from pose_coach.judge.reference import read_references
from pose_coach.progress import SESSIONS_GOAL as GOAL
from pose_coach_app import widgets

WEEKS_SHOWN = 8
STATUS_TEXT = {
    "done": "",
    "open": "in progress",
    "unfinished": "without STOP (all but its last seconds kept)",
}


def _names() -> dict[str, str]:
    return {rid: ref.name for rid, ref in read_references().references.items()}


def weekly_chart(weeks: list[history.WeekCount]) -> alt.LayerChart:
    data = pd.DataFrame({"week": [w.label for w in weeks], "sessions": [w.sessions for w in weeks]})
    goal = alt.Chart(pd.DataFrame({"low": [GOAL[0]], "high": [GOAL[1]]}))
    return alt.layer(
        goal.mark_rect(color="#2ca25f", opacity=0.2).encode(y="low:Q", y2="high:Q"),
        alt.Chart(data)
        .mark_bar(color="#3182bd")
        .encode(
            x=alt.X("week:N", sort=None, title="ISO week"),
            y=alt.Y("sessions:Q", title="sessions", scale=alt.Scale(domainMin=0)),
            tooltip=["week", "sessions"],
        ),
    ).properties(height=220, width="container")


def sessions_frame(sessions: list[history.StoredSession], names: dict[str, str]) -> pd.DataFrame:
    rows = []
    for stored in sessions:
        record = stored.record
        held, good = record.held_s(), record.good_form_s()
        rows.append(
            {
                "started": record.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                "stretch": names.get(record.stretch, record.stretch),
                "kind": record.kind + (f" ({record.source})" if record.source else ""),
                "left held (s)": round(held["left"], 1),
                "right held (s)": round(held["right"], 1),
                "good form (s)": round(good["left"] + good["right"], 1),
                "sides done": ", ".join(record.sides_done) or "-",
                "faults": len(record.faults),
                "ended": STATUS_TEXT[record.status],
            }
        )
    return pd.DataFrame(rows)


def faults_chart(sessions: list[history.StoredSession]) -> alt.Chart:
    rows = [
        {
            "session": f"#{s.id} {s.record.started_at.astimezone():%m-%d %H:%M}",
            "fault": kind,
            "count": count,
        }
        for s in sessions
        for kind, count in s.record.fault_counts().items()
    ]
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            x=alt.X("session:N", sort=None),
            y="count:Q",
            color="fault:N",
            tooltip=["fault", "count"],
        )
        .properties(height=220, width="container")
    )


def render() -> None:
    st.title("History")
    try:
        person = widgets.current_person()
        sessions = history.list_sessions(person=person)
        weeks = history.sessions_per_week(weeks=WEEKS_SHOWN, person=person)
    except history.HistoryError as error:
        st.error(str(error))
        return
    if not sessions:
        st.info("No sessions yet. Coach a stretch live or review a video: it will appear here.")
        return
    this_week = weeks[-1].sessions
    verdict = (
        "on track"
        if this_week >= GOAL[0]
        else f"{GOAL[0] - this_week} more to reach the two to three a week the article recommends"
    )
    st.metric("Sessions this week", this_week, help="Stretch at least two to three times a week")
    st.caption(f"This week: {verdict}.")
    st.subheader("Sessions per week")
    st.altair_chart(weekly_chart(weeks), width="stretch")
    names = _names()
    st.subheader("Sessions")
    st.dataframe(sessions_frame(sessions, names), hide_index=True, width="stretch")
    if any(s.record.faults for s in sessions):
        st.subheader("Faults per session")
        st.altair_chart(faults_chart(sessions), width="stretch")
    labels = {
        s.id: f"#{s.id} {s.record.started_at.astimezone():%Y-%m-%d %H:%M} - "
        f"{names.get(s.record.stretch, s.record.stretch)}"
        for s in sessions
    }
    chosen = st.selectbox(
        "Session details", list(labels), format_func=labels.get, key="history_pick"
    )
    record = next(s.record for s in sessions if s.id == chosen)
    widgets.show_session(record)
