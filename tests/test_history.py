"""Session history: round trips, per-side totals, faults per session, ISO weeks, schema versions."""

from __future__ import annotations

import math
import shutil
import sqlite3
import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pose_coach import history
from pose_coach.events import Event, Fault, Hold
from pose_coach.history import HistoryError, SessionRecord

UTC = timezone.utc


def record(
    started: datetime = datetime(2026, 11, 18, 12, 0, tzinfo=UTC),
    kind: str = "live",
    holds: tuple[Hold, ...] = (Hold("left", 2.0, 34.0, 30.0), Hold("right", 40.0, 60.0, 12.5)),
    faults: tuple[Event, ...] = (
        Event(Fault.BOUNCE, "left", 10.0, 12.0, 4.2, "Hold still"),
        Event(Fault.TOO_SHALLOW, "right", 45.0, 47.0, -8.0, "Go deeper"),
        Event(Fault.NO_PERSON, None, 61.0, 63.0, math.nan, "Step into view"),
    ),
    source: str | None = None,
    person: str = history.DEFAULT_PERSON,
) -> SessionRecord:
    return SessionRecord("kneeling_psoas", kind, started, 63.0, holds, faults, ("left",), source,
                         person)  # fmt: skip


@pytest.fixture
def db(tmp_path):
    return tmp_path / "history.sqlite"


def test_round_trip_keeps_every_field(db):
    original = record(kind="review", source="clip.mp4")
    session_id = history.add_session(original, db)
    [stored] = history.list_sessions(db)
    assert stored.id == session_id
    assert stored.record.started_at == original.started_at
    assert stored.record.holds == original.holds
    assert stored.record.sides_done == ("left",)
    assert stored.record.source == "clip.mp4"
    # NaN goes in as NULL and comes back as NaN; events have no NaN-aware equality, so compare dicts.
    assert [e.to_dict() for e in stored.record.faults] == [e.to_dict() for e in original.faults]


def test_per_side_totals_and_fault_counts():
    r = record(holds=(Hold("left", 0, 10, 8), Hold("left", 20, 25, 5), Hold("right", 30, 40, 9)))
    assert r.held_s() == {"left": 15.0, "right": 10.0}
    assert r.good_form_s() == {"left": 13.0, "right": 9.0}
    assert r.fault_counts() == {"bounce": 1, "too_shallow": 1, "no_person": 1}


def test_default_path_follows_pose_coach_home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSE_COACH_HOME", str(tmp_path / "home"))
    history.add_session(record())
    assert (tmp_path / "home" / "history.sqlite").is_file()
    assert len(history.list_sessions()) == 1


def test_sessions_newest_first_with_limit(db):
    base = datetime(2026, 11, 1, 9, tzinfo=UTC)
    ids = [history.add_session(record(base + timedelta(days=n)), db) for n in range(3)]
    assert [s.id for s in history.list_sessions(db)] == ids[::-1]
    assert [s.id for s in history.list_sessions(db, limit=2)] == ids[:0:-1]


def test_faults_per_session_includes_sessions_without_faults(db):
    first = history.add_session(record(), db)
    clean = history.add_session(record(faults=()), db)
    counts = history.faults_per_session(db)
    assert counts[first] == {"bounce": 1, "too_shallow": 1, "no_person": 1}
    assert counts[clean] == {}
    assert [e.kind for e in history.session_faults(first, db)] == [
        Fault.BOUNCE,
        Fault.TOO_SHALLOW,
        Fault.NO_PERSON,
    ]


def test_sessions_per_iso_week_counts_empty_weeks(db):
    # Wednesday 2026-11-18 is in ISO week 47; two sessions that week, one in week 45, none in 46.
    for day in (date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 4)):
        history.add_session(
            record(datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12)), db
        )
    weeks = history.sessions_per_week(db, weeks=4, today=date(2026, 11, 20), tz=UTC)
    assert [(w.label, w.sessions) for w in weeks] == [
        ("2026-W44", 0),
        ("2026-W45", 1),
        ("2026-W46", 0),
        ("2026-W47", 2),
    ]
    assert weeks[-1].monday == date(2026, 11, 16)


def test_week_boundary_uses_the_given_time_zone(db):
    # Sunday 23:30 UTC is already Monday (the next ISO week) at UTC+2.
    history.add_session(record(datetime(2026, 11, 15, 23, 30, tzinfo=UTC)), db)
    plus_two = timezone(timedelta(hours=2))
    utc_weeks = history.sessions_per_week(db, weeks=2, today=date(2026, 11, 16), tz=UTC)
    local_weeks = history.sessions_per_week(db, weeks=2, today=date(2026, 11, 16), tz=plus_two)
    assert [w.sessions for w in utc_weeks] == [1, 0]
    assert [w.sessions for w in local_weeks] == [0, 1]


def test_a_failed_write_leaves_nothing_behind(db, monkeypatch):
    bad_hold = Hold("middle", 0.0, 1.0, 1.0)  # the schema's CHECK rejects the side
    with pytest.raises(HistoryError):
        history.add_session(record(holds=(Hold("left", 0, 1, 1), bad_hold)), db)
    assert history.list_sessions(db) == []


def test_schema_version_is_set_and_a_newer_database_is_refused(db):
    history.add_session(record(), db)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
        connection.execute(f"PRAGMA user_version = {history.SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer pose-coach"):
        history.list_sessions(db)


def test_a_version_1_database_is_upgraded_in_place_keeping_its_sessions(db):
    with sqlite3.connect(db) as connection:
        for statement in history.MIGRATIONS[0]:
            connection.execute(statement)
        connection.execute(
            "INSERT INTO sessions (stretch, kind, started_at, duration_s, sides_done)"
            " VALUES ('lying_psoas', 'live', '2026-11-01T10:00:00+00:00', 60.0, 'left')"
        )
        connection.execute("PRAGMA user_version = 1")
    [old] = history.list_sessions(db)
    assert (old.record.stretch, old.record.status, old.record.content) == (
        "lying_psoas",
        "done",
        None,
    )


def test_the_same_file_reviewed_twice_is_one_session(db, tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"the same bytes" * 1000)
    digest = history.file_digest(video)
    assert digest == history.file_digest(tmp_path.joinpath("clip.mp4"))
    first = history.add_session(
        replace(record(kind="review", source="clip.mp4"), content=digest), db
    )
    again = replace(record(kind="review", source="renamed.mp4"), content=digest, duration_s=10.0)
    assert history.add_session(again, db) == first
    [stored] = history.list_sessions(db)
    assert (stored.record.source, stored.record.duration_s) == ("renamed.mp4", 10.0)
    other = replace(again, content=history.file_digest(Path(history.__file__)))
    history.add_session(other, db)  # other content: another session
    assert len(history.list_sessions(db)) == 2


def test_a_live_session_is_rewritten_as_it_goes_and_an_abandoned_one_is_marked(db):
    early = replace(record(holds=(Hold("left", 2.0, 12.0, 10.0),), faults=()), status="open")
    session_id = history.save_session(early, db, owner="this")
    later = replace(early, duration_s=40.0, holds=(Hold("left", 2.0, 34.0, 30.0),))
    assert history.save_session(later, db, session_id, owner="this") == session_id
    [stored] = history.list_sessions(db)
    assert stored.record.holds == later.holds and stored.record.status == "open"
    # Still being written by this process: left alone.
    assert history.close_abandoned(60.0, db, owner="this") == []
    # Written by a process that ended (a restarted server), or not written for a while: marked.
    [closed] = history.close_abandoned(60.0, db, owner="restarted")
    assert closed.id == session_id and closed.record.holds == later.holds
    assert history.list_sessions(db)[0].record.status == "unfinished"
    assert history.close_abandoned(0.0, db, owner="restarted") == []  # reported once
    other = history.save_session(early, db, owner="this")
    assert [s.id for s in history.close_abandoned(0.0, db, owner="this")] == [other]


def test_not_a_database_gives_a_clear_error(db):
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(HistoryError, match="cannot be used"):
        history.list_sessions(db)


def test_concurrent_writers_from_threads(db):
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(5):
                history.add_session(record(), db)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(history.list_sessions(db)) == 20


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"kind": "walk"}, "kind must be one of"),  # unknown kind
        ({"started_at": datetime(2026, 1, 1)}, "timezone-aware"),  # naive time
        ({"duration_s": -1.0}, "duration_s"),  # negative duration
        ({"sides_done": ("up",)}, "sides_done"),  # not a side
    ],
)
def test_record_validation(changes, message):
    fields = {
        "stretch": "kneeling_psoas",
        "kind": "live",
        "started_at": datetime.now(UTC),
        "duration_s": 1.0,
        "holds": (),
        "faults": (),
    }
    with pytest.raises(ValueError, match=message):
        SessionRecord(**(fields | changes))


# -- schemas 2 (persons, range of motion) and 3 (content, status) ----------------------------------------------------

OLD_DB = Path(__file__).parent / "data" / "history_schema1.sqlite"
# Written by main's history.py at schema 2 (7b3e7d6): two sessions (sam's live one, my review),
# three holds with range of motion (one best missing), two faults (one NaN value).
SCHEMA2_DB = Path(__file__).parent / "data" / "history_schema2.sqlite"


def stored_rows(db: Path) -> tuple[int, dict[str, list[tuple]]]:
    """The database's schema version and every row of its tables, as stored."""
    with sqlite3.connect(db) as raw:
        version = raw.execute("PRAGMA user_version").fetchone()[0]
        rows = {table: raw.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
                for table in ("sessions", "holds", "faults")}  # fmt: skip
    return version, rows


def test_a_schema_1_database_migrates_in_place_without_losing_a_session(tmp_path):
    """``history_schema1.sqlite`` was written by main's history.py before persons and range of
    motion existed (commit 99e41f6): three sessions, four holds, three faults, one NaN value."""
    db = tmp_path / "history.sqlite"
    shutil.copy(OLD_DB, db)
    version, before = stored_rows(db)
    assert version == 1
    stored = history.list_sessions(db)
    version, after = stored_rows(db)
    assert version == history.SCHEMA_VERSION == 3
    # Every old row is still there, with every old column unchanged and the new ones appended:
    # person (schema 2), then content, status, updated_at, owner (schema 3).
    assert [row[:7] for row in after["sessions"]] == before["sessions"]
    new_columns = {row[7:] for row in after["sessions"]}
    assert new_columns == {(history.DEFAULT_PERSON, None, "done", None, None)}
    assert [row[:-2] for row in after["holds"]] == before["holds"]
    assert {row[-2:] for row in after["holds"]} == {(None, None)}
    assert after["faults"] == before["faults"]
    # Read back as records: the old sessions, the default person's, no range of motion measured.
    assert [s.record.stretch for s in stored] == ["standing_psoas", "lying_psoas", "kneeling_psoas"]
    assert {(s.record.status, s.record.content) for s in stored} == {("done", None)}
    kneeling = stored[2].record
    assert kneeling.holds == (Hold("left", 3.0, 35.0, 30.5), Hold("right", 42.0, 73.0, 28.0))
    assert [e.kind for e in kneeling.faults] == [Fault.BOUNCE, Fault.NO_PERSON]
    assert math.isnan(kneeling.faults[1].value)
    assert stored[1].record.source == "lying_good.mp4"
    assert history.persons(db) == [history.DEFAULT_PERSON]
    # New sessions go in beside them; opening again migrates nothing more.
    history.add_session(record(person="sam", holds=(Hold("left", 1, 31, 30, 5.5, 8.25),)), db)
    assert len(history.list_sessions(db)) == 4
    assert history.list_sessions(db, person="sam")[0].record.holds[0].rom_best_deg == 8.25


def test_a_schema_2_database_migrates_keeping_persons_and_range_of_motion(tmp_path):
    db = tmp_path / "history.sqlite"
    shutil.copy(SCHEMA2_DB, db)
    version, before = stored_rows(db)
    assert version == 2
    stored = history.list_sessions(db)
    version, after = stored_rows(db)
    assert version == 3
    assert [row[:8] for row in after["sessions"]] == before["sessions"]
    assert {row[8:] for row in after["sessions"]} == {(None, "done", None, None)}
    assert after["holds"] == before["holds"] and after["faults"] == before["faults"]
    lying, kneeling = (s.record for s in stored)
    assert (kneeling.person, lying.person, lying.source) == ("sam", "me", "lying_good.mp4")
    assert kneeling.holds == (Hold("left", 3.0, 35.0, 30.5, 6.5, 9.25),
                              Hold("right", 42.0, 73.0, 28.0, 4.0, None))  # fmt: skip
    assert math.isnan(kneeling.faults[1].value)
    assert {(r.status, r.content) for r in (lying, kneeling)} == {("done", None)}
    assert history.persons(db) == ["me", "sam"]
    # A review saved after the migration is found again by its content.
    review = replace(lying, content="abc", person="sam")
    assert history.add_session(review, db) == history.add_session(review, db)


def test_person_and_range_of_motion_round_trip_and_filter(db):
    holds = (Hold("left", 2.0, 34.0, 30.0, 4.5, 9.0), Hold("right", 40.0, 60.0, 12.5, None, None))
    history.add_session(record(holds=holds, person="Ana Lúcia"), db)
    history.add_session(record(datetime(2026, 11, 20, 9, tzinfo=UTC)), db)
    [ana] = history.list_sessions(db, person="Ana Lúcia")
    assert ana.record.holds == holds and ana.record.person == "Ana Lúcia"
    assert history.persons(db) == ["Ana Lúcia", "me"]
    since = datetime(2026, 11, 19, tzinfo=UTC)
    assert [s.record.person for s in history.list_sessions(db, since=since)] == ["me"]
    weeks = history.sessions_per_week(db, weeks=1, today=date(2026, 11, 20), tz=UTC, person="me")
    assert weeks[0].sessions == 1


@pytest.mark.parametrize("name", ["", "  ", " padded", "x" * 81])
def test_a_person_needs_a_name(name):
    with pytest.raises(ValueError, match="person's name"):
        record(person=name)
