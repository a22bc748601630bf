"""Progress over weeks, from the history: range of motion per side, asymmetry, sessions per week,
good-form time and faults. Pure functions of stored sessions; the Progress page, the PDF report
and the CSV export all show what ``build`` returns.

Weeks are ISO weeks (Monday first) in the local time zone unless another is given. A week's range
of motion for a side is the median of its holds' medians (``pose_coach.rom``) and the best of
their bests; holds with no good-form frame have none and are left out.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path

from pose_coach import history
from pose_coach.history import SessionRecord, monday_of
from pose_coach.judge.reference import Reference, load_references
from pose_coach.rom import measure_for, target_band
from pose_coach.terms import ASYMMETRY_DEG, SIDES

SESSIONS_GOAL = (2, 3)  # sessions a week (the article: "at least 2-3 times a week")


@dataclass(frozen=True)
class Week:
    """One ISO week of sessions: how many, good-form seconds per side, faults by kind."""

    monday: date
    sessions: int
    good_form_s: dict[str, float]
    faults: Counter[str]

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class WeekRange:
    """One side's range of motion in one week: over ``holds`` holds, the median of their medians
    and the best of their bests (degrees of the stretch's measure)."""

    monday: date
    side: str
    holds: int
    median_deg: float
    best_deg: float


@dataclass(frozen=True)
class Asymmetry:
    """A week whose left and right medians differ by more than the threshold."""

    monday: date
    left_deg: float
    right_deg: float

    @property
    def difference_deg(self) -> float:
        return abs(self.left_deg - self.right_deg)

    @property
    def shorter_side(self) -> str:
        return "left" if self.left_deg < self.right_deg else "right"


@dataclass(frozen=True)
class StretchProgress:
    """One stretch's range of motion over the weeks, with its measure and target band."""

    reference: Reference
    measure: str
    band: tuple[float, float]
    ranges: tuple[WeekRange, ...]
    asymmetries: tuple[Asymmetry, ...]


def asymmetry_text(stretch: StretchProgress, threshold_deg: float) -> str | None:
    """One sentence on a stretch's uneven weeks (the page's call-out, the report's line)."""
    if not stretch.asymmetries:
        return None
    latest, weeks = stretch.asymmetries[-1], len({r.monday for r in stretch.ranges})
    return (
        f"{stretch.reference.name}: the sides are uneven. In {len(stretch.asymmetries)} of "
        f"{weeks} weeks left and right were more than {threshold_deg:g}° apart; in the week of "
        f"{latest.monday:%d %b %Y} the {latest.shorter_side} side reached "
        f"{latest.difference_deg:.0f}° less ({stretch.measure}: left {latest.left_deg:.0f}°, "
        f"right {latest.right_deg:.0f}°)."
    )


@dataclass(frozen=True)
class Progress:
    """Everything the page and the report show for one person, date range and stretch choice."""

    person: str
    since: date
    until: date
    stretch: str | None  # one stretch's id, or None for all
    weeks: tuple[Week, ...]
    stretches: tuple[StretchProgress, ...]
    sessions: tuple[SessionRecord, ...]  # oldest first
    asymmetry_deg: float

    @property
    def sessions_per_week(self) -> float:
        return sum(w.sessions for w in self.weeks) / len(self.weeks) if self.weeks else 0.0

    @property
    def weeks_on_goal(self) -> int:
        return sum(w.sessions >= SESSIONS_GOAL[0] for w in self.weeks)


def mondays(since: date, until: date) -> list[date]:
    """The first day of every ISO week from ``since``'s to ``until``'s."""
    if until < since:
        raise ValueError(f"the date range ends ({until}) before it starts ({since})")
    first = since - timedelta(days=since.weekday())
    return [first + timedelta(weeks=n) for n in range((until - first).days // 7 + 1)]


def weekly(records: list[SessionRecord], since: date, until: date,
           tz: tzinfo | None = None) -> list[Week]:  # fmt: skip
    """Sessions, good form per side and faults in each week of the range (empty weeks too)."""
    by_week: dict[date, list[SessionRecord]] = {monday: [] for monday in mondays(since, until)}
    for record in records:
        by_week.get(monday_of(record.started_at, tz), []).append(record)
    weeks = []
    for monday, week in by_week.items():
        good = {side: sum(r.good_form_s()[side] for r in week) for side in SIDES}
        faults = sum((r.fault_counts() for r in week), Counter())
        weeks.append(Week(monday, len(week), good, faults))
    return weeks


def weekly_ranges(records: list[SessionRecord], tz: tzinfo | None = None) -> list[WeekRange]:
    """Per week and side, the range of motion of the holds (one stretch's records)."""
    holds: dict[tuple[date, str], list[tuple[float, float]]] = {}
    for record in records:
        for hold in record.holds:
            if hold.rom_median_deg is not None and hold.rom_best_deg is not None:
                key = (monday_of(record.started_at, tz), hold.side)
                holds.setdefault(key, []).append((hold.rom_median_deg, hold.rom_best_deg))
    return [
        WeekRange(
            monday,
            side,
            len(values),
            statistics.median(m for m, _ in values),
            max(b for _, b in values),
        )  # fmt: skip
        for (monday, side), values in sorted(holds.items())
    ]


def asymmetries(ranges: list[WeekRange], threshold_deg: float) -> list[Asymmetry]:
    """The weeks whose left and right medians differ by more than ``threshold_deg``."""
    medians = {(r.monday, r.side): r.median_deg for r in ranges}
    found = []
    for monday in sorted({r.monday for r in ranges}):
        left, right = medians.get((monday, "left")), medians.get((monday, "right"))
        if left is not None and right is not None and abs(left - right) > threshold_deg:
            found.append(Asymmetry(monday, left, right))
    return found


def build(
    records: list[SessionRecord],
    references: dict[str, Reference],
    *,
    person: str,
    since: date,
    until: date,
    stretch: str | None = None,
    asymmetry_deg: float = ASYMMETRY_DEG,
    tz: tzinfo | None = None,
) -> Progress:
    """The progress of ``person``'s sessions from ``since`` to ``until`` (local days, both
    included), of one ``stretch`` or all; a stretch with no reference left is skipped in the
    range-of-motion part (its sessions still count)."""
    chosen = sorted(
        (r for r in records if r.person == person and (stretch is None or r.stretch == stretch)
         and since <= r.started_at.astimezone(tz).date() <= until),
        key=lambda r: r.started_at,
    )  # fmt: skip
    stretches = []
    for stretch_id in sorted({r.stretch for r in chosen}):
        reference = references.get(stretch_id)
        if reference is None:
            continue
        ranges = weekly_ranges([r for r in chosen if r.stretch == stretch_id], tz)
        stretches.append(StretchProgress(reference, measure_for(reference).name,
                                         target_band(reference), tuple(ranges),
                                         tuple(asymmetries(ranges, asymmetry_deg))))  # fmt: skip
    return Progress(person, since, until, stretch, tuple(weekly(chosen, since, until, tz)),
                    tuple(stretches), tuple(chosen), asymmetry_deg)  # fmt: skip


def load(
    person: str,
    since: date,
    until: date,
    stretch: str | None = None,
    asymmetry_deg: float = ASYMMETRY_DEG,
    path: Path | None = None,
) -> Progress:
    """``build`` over the history database (default ``$POSE_COACH_HOME/history.sqlite``) and the
    references in use (tuned ones replace the shipped ones). Raises ``HistoryError`` or
    ``ReferenceError`` with a message naming the file."""
    start = datetime.combine(since, time.min).astimezone()  # local midnight
    stored = history.list_sessions(path, person=person, since=start)
    return build([s.record for s in stored], load_references(), person=person, since=since,
                 until=until, stretch=stretch, asymmetry_deg=asymmetry_deg)  # fmt: skip
