"""Session history: every live session and video review, in a local SQLite database.

The database lives at ``$POSE_COACH_HOME/history.sqlite`` (default ``~/.pose_coach``). Its schema is
versioned with SQLite's ``user_version`` and upgraded in place by the migrations below; a database
written by a newer pose-coach is refused rather than guessed at. Each session is written in one
transaction (the session row, its holds and its faults land together or not at all), and every call
opens its own short-lived connection, so the functions are safe to call from any thread.

A live session is written as it goes (``save_session`` with its id, status ``open``) and marked
``done`` when it is stopped; an ``open`` one nobody updates any more (a closed tab, a killed server)
is found by ``close_abandoned`` and marked ``unfinished``, keeping what was written. A reviewed file
is recognised by its content (``file_digest``): reviewing it again replaces its session.

Times: ``started_at`` is stored as ISO 8601 in UTC; ISO weeks are counted in the local time zone
unless another one is given.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import astuple, dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from pose_coach.config import home_dir
from pose_coach.events import Event, Fault, Hold
from pose_coach.rom import with_range_of_motion
from pose_coach.terms import DEFAULT_PERSON, SIDES

if TYPE_CHECKING:
    from pose_coach.coach import CoachingRun
    from pose_coach.judge.session import SessionSummary

KINDS = ("live", "review")
# done: stopped or reviewed; open: a live session being written as it goes; unfinished: an open
# session that stopped being written (closed tab, killed server): all but its last seconds kept.
STATUSES = ("done", "open", "unfinished")

# Migrations: MIGRATIONS[n] takes a database from version n to n + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            stretch TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('live', 'review')),
            started_at TEXT NOT NULL,
            duration_s REAL NOT NULL CHECK (duration_s >= 0),
            sides_done TEXT NOT NULL,
            source TEXT
        )""",
        """CREATE TABLE holds (
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            side TEXT NOT NULL CHECK (side IN ('left', 'right')),
            start_s REAL NOT NULL,
            end_s REAL NOT NULL,
            good_form_s REAL NOT NULL
        )""",
        """CREATE TABLE faults (
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            side TEXT CHECK (side IN ('left', 'right')),
            start_s REAL NOT NULL,
            end_s REAL NOT NULL,
            value REAL,
            message TEXT NOT NULL
        )""",
        "CREATE INDEX sessions_started ON sessions(started_at)",
        "CREATE INDEX holds_session ON holds(session_id)",
        "CREATE INDEX faults_session ON faults(session_id)",
    ),
    (  # 2: whose session it was; the range of motion reached in each hold (pose_coach.rom)
        "ALTER TABLE sessions ADD COLUMN person TEXT NOT NULL DEFAULT 'me'",
        "ALTER TABLE holds ADD COLUMN rom_median_deg REAL",
        "ALTER TABLE holds ADD COLUMN rom_best_deg REAL",
        "CREATE INDEX sessions_person ON sessions(person, started_at)",
    ),
    (  # 3: the reviewed file's content (sha256), so one file reviewed twice is one session;
        # a live session's status, when it was last written and by which process
        "ALTER TABLE sessions ADD COLUMN content TEXT",
        "ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'done'"
        " CHECK (status IN ('done', 'open', 'unfinished'))",
        "ALTER TABLE sessions ADD COLUMN updated_at TEXT",  # UTC, ISO 8601: last written
        "ALTER TABLE sessions ADD COLUMN owner TEXT",  # the process writing an open session
        "CREATE INDEX sessions_content ON sessions(content)",
        "CREATE INDEX sessions_status ON sessions(status)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(RuntimeError):
    """The history database cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class SessionRecord:
    """One finished session, as stored.

    started_at: when it started (timezone-aware). duration_s: how long it ran (video time for a
    review). source: the reviewed video's file name, None for a live session. person: whose
    session it was. Holds carry the range of motion reached (``pose_coach.rom``) when measured.
    content: the reviewed file's ``file_digest``. status: one of ``STATUSES``.
    """

    stretch: str
    kind: str
    started_at: datetime
    duration_s: float
    holds: tuple[Hold, ...]
    faults: tuple[Event, ...]
    sides_done: tuple[str, ...] = ()
    source: str | None = None
    person: str = DEFAULT_PERSON
    content: str | None = None
    status: str = "done"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if not self.stretch:
            raise ValueError("stretch must name the stretch's id")
        if self.started_at.tzinfo is None:
            raise ValueError("started_at must be timezone-aware (e.g. datetime.now(timezone.utc))")
        if not (math.isfinite(self.duration_s) and self.duration_s >= 0):
            raise ValueError(f"duration_s must be finite and >= 0, got {self.duration_s}")
        if any(side not in SIDES for side in self.sides_done):
            raise ValueError(f"sides_done must name 'left'/'right', got {self.sides_done!r}")
        check_person(self.person)
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @classmethod
    def from_summary(
        cls,
        stretch: str,
        kind: str,
        started_at: datetime,
        duration_s: float,
        summary: SessionSummary,
        source: str | None = None,
        person: str = DEFAULT_PERSON,
        content: str | None = None,
        status: str = "done",
    ) -> SessionRecord:
        """The record of a coached session; ``summary.holds`` as measured (``rom.RomSampler``)."""
        return cls(stretch, kind, started_at, duration_s, summary.holds, summary.events,
                   summary.sides_done, source, person, content, status)  # fmt: skip

    @classmethod
    def from_run(
        cls,
        run: CoachingRun,
        started_at: datetime,
        person: str = DEFAULT_PERSON,
        content: str | None = None,
    ) -> SessionRecord:
        """The record of a reviewed video, its holds with the range of motion of their frames
        (``content``: the file's ``file_digest``)."""
        holds = with_range_of_motion(run.holds, run.frames, run.reference)
        return cls(run.reference.id, "review", started_at, run.video.duration_s, holds,
                   run.events, run.sides_done, run.video.name, person, content)  # fmt: skip

    def held_s(self) -> dict[str, float]:
        """Seconds spent in each side's holds (from start to release), per side."""
        return _per_side((h.side, h.end_s - h.start_s) for h in self.holds)

    def good_form_s(self) -> dict[str, float]:
        """Seconds of good form in each side's holds, per side."""
        return _per_side((h.side, h.good_form_s) for h in self.holds)

    def fault_counts(self) -> Counter[str]:
        """How many times each kind of fault was reported."""
        return Counter(event.kind.value for event in self.faults)


@dataclass(frozen=True)
class StoredSession:
    """A session read back from the database, with its row id."""

    id: int
    record: SessionRecord


@dataclass(frozen=True)
class WeekCount:
    """Sessions started in one ISO week (``monday`` is the week's first day)."""

    year: int
    week: int
    monday: date
    sessions: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def _per_side(pairs: Iterator[tuple[str, float]]) -> dict[str, float]:
    totals = dict.fromkeys(SIDES, 0.0)
    for side, seconds in pairs:
        totals[side] += seconds
    return totals


def check_person(name: str) -> str:
    """``name`` if it can name a person (not blank, no surrounding spaces); else a ValueError."""
    if not isinstance(name, str) or not name.strip() or name != name.strip() or len(name) > 80:
        raise ValueError(
            f"a person's name must be 1 to 80 characters without leading or trailing spaces, "
            f"got {name!r}"
        )
    return name


def monday_of(when: datetime, tz: tzinfo | None = None) -> date:
    """The first day of the ISO week ``when`` fell in, in time zone ``tz`` (default: local)."""
    day = when.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def default_path() -> Path:
    """``$POSE_COACH_HOME/history.sqlite`` (default ``~/.pose_coach/history.sqlite``)."""
    return home_dir() / "history.sqlite"


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"{path}: written by a newer pose-coach (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}); upgrade pose-coach or set POSE_COACH_HOME to another folder"
        )
    if version == SCHEMA_VERSION:
        return
    with connection:  # one transaction for all the steps
        connection.execute("BEGIN IMMEDIATE")
        # Another process may have migrated between our check and the lock.
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        for step in MIGRATIONS[version:]:
            for statement in step:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextmanager
def _connect(path: Path | None) -> Iterator[sqlite3.Connection]:
    path = default_path() if path is None else Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    except (OSError, sqlite3.Error) as error:
        raise HistoryError(f"{path}: cannot open the history database ({error})") from None
    with closing(connection):
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            _migrate(connection, path)
            yield connection
        except sqlite3.DatabaseError as error:
            raise HistoryError(f"{path}: the history database cannot be used ({error})") from None


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """The sha256 of a file's content, read in chunks (uploads can be gigabytes)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        while block := stream.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def add_session(record: SessionRecord, path: Path | None = None) -> int:
    """Store one session with its holds and faults, in one transaction; returns its id.

    A review of content already reviewed for the same stretch replaces that session (the same
    file analysed twice is one session)."""
    return save_session(record, path)


def save_session(
    record: SessionRecord,
    path: Path | None = None,
    session_id: int | None = None,
    owner: str | None = None,
) -> int:
    """Store ``record`` in one transaction, replacing session ``session_id`` if given (a live
    session written as it goes, by the process ``owner`` names) or the earlier review of the same
    content; returns its id."""
    now = datetime.now(timezone.utc).isoformat()
    row = (record.stretch, record.kind, record.started_at.astimezone(timezone.utc).isoformat(),
           record.duration_s, ",".join(record.sides_done), record.source, record.person,
           record.content, record.status, now, owner)  # fmt: skip
    with _connect(path) as db, db:
        db.execute("BEGIN IMMEDIATE")
        if session_id is None and record.content is not None:
            found = db.execute(
                "SELECT id FROM sessions WHERE content = ? AND stretch = ? AND kind = ?"
                " ORDER BY id LIMIT 1",
                (record.content, record.stretch, record.kind),
            ).fetchone()
            session_id = found[0] if found else None
        if session_id is not None:
            db.execute("DELETE FROM holds WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM faults WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        cursor = db.execute(
            "INSERT INTO sessions (id, stretch, kind, started_at, duration_s, sides_done, source,"
            " person, content, status, updated_at, owner)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, *row),
        )
        session_id = int(cursor.lastrowid)
        db.executemany(
            "INSERT INTO holds (session_id, side, start_s, end_s, good_form_s, rom_median_deg,"
            " rom_best_deg) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(session_id, *astuple(h)) for h in record.holds],
        )
        db.executemany(
            "INSERT INTO faults VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    session_id,
                    e.kind.value,
                    e.side,
                    e.start_s,
                    e.end_s,
                    None if math.isnan(e.value) else e.value,
                    e.message,
                )
                for e in record.faults
            ],
        )
    return session_id


def close_abandoned(
    idle_s: float, path: Path | None = None, owner: str | None = None
) -> list[StoredSession]:
    """Mark ``unfinished`` every open session not written for ``idle_s`` seconds or written by
    another process than ``owner`` (one that ended); returns them, as they were kept."""
    since = (datetime.now(timezone.utc) - timedelta(seconds=idle_s)).isoformat()
    with _connect(path) as db, db:
        db.execute("BEGIN IMMEDIATE")
        ids = [
            session_id
            for (session_id,) in db.execute(
                "SELECT id FROM sessions WHERE status = 'open'"
                " AND (updated_at < ? OR owner IS NOT ?)",
                (since, owner),
            )
        ]
        db.executemany(
            "UPDATE sessions SET status = 'unfinished' WHERE id = ?", [(i,) for i in ids]
        )
        marks = ",".join("?" * len(ids))
        return [_stored(db, row) for row in _rows(db, f"WHERE id IN ({marks})", ids)]


def _faults(db: sqlite3.Connection, session_id: int) -> tuple[Event, ...]:
    rows = db.execute(
        "SELECT kind, side, start_s, end_s, value, message FROM faults"
        " WHERE session_id = ? ORDER BY start_s, rowid",
        (session_id,),
    )
    return tuple(
        Event(Fault(kind), side, start, end, math.nan if value is None else value, message)
        for kind, side, start, end, value, message in rows
    )


def _holds(db: sqlite3.Connection, session_id: int) -> tuple[Hold, ...]:
    rows = db.execute(
        "SELECT side, start_s, end_s, good_form_s, rom_median_deg, rom_best_deg FROM holds"
        " WHERE session_id = ?"
        " ORDER BY start_s, rowid",
        (session_id,),
    )
    return tuple(Hold(*row) for row in rows)


_COLUMNS = "id, stretch, kind, started_at, duration_s, sides_done, source, person, content, status"


def _rows(
    db: sqlite3.Connection, where: str = "", arguments: list | tuple = (), limit: int = -1
) -> list[tuple]:
    return db.execute(
        f"SELECT {_COLUMNS} FROM sessions {where} ORDER BY started_at DESC, id DESC LIMIT ?",
        (*arguments, limit),
    ).fetchall()


def _stored(db: sqlite3.Connection, row: tuple) -> StoredSession:
    session_id, stretch, kind, started, duration, sides, *rest = row
    return StoredSession(
        session_id,
        SessionRecord(
            stretch,
            kind,
            datetime.fromisoformat(started),
            duration,
            _holds(db, session_id),
            _faults(db, session_id),
            tuple(s for s in sides.split(",") if s),
            *rest,  # source, person, content, status
        ),
    )


def list_sessions(
    path: Path | None = None,
    limit: int | None = None,
    person: str | None = None,
    since: datetime | None = None,
) -> list[StoredSession]:
    """Stored sessions, newest first, with their holds and faults: everyone's, or ``person``'s;
    all, or those started at or after ``since`` (timezone-aware)."""
    where, args = [], []
    if person is not None:
        where.append("person = ?")
        args.append(person)
    if since is not None:
        where.append("started_at >= ?")
        args.append(since.astimezone(timezone.utc).isoformat())
    with _connect(path) as db:
        clause = "WHERE " + " AND ".join(where) if where else ""
        rows = _rows(db, clause, args, limit=-1 if limit is None else limit)
        return [_stored(db, row) for row in rows]


def persons(path: Path | None = None) -> list[str]:
    """Everyone with a stored session, and the default person, in alphabetical order."""
    with _connect(path) as db:
        stored = {name for (name,) in db.execute("SELECT DISTINCT person FROM sessions")}
    return sorted(stored | {DEFAULT_PERSON})


def session_faults(session_id: int, path: Path | None = None) -> tuple[Event, ...]:
    """The faults of one session, in time order."""
    with _connect(path) as db:
        return _faults(db, session_id)


def faults_per_session(path: Path | None = None) -> dict[int, Counter[str]]:
    """For every session id, how many faults of each kind it had (sessions without faults too)."""
    with _connect(path) as db:
        counts: dict[int, Counter[str]] = {
            session_id: Counter() for (session_id,) in db.execute("SELECT id FROM sessions")
        }
        for session_id, kind, n in db.execute(
            "SELECT session_id, kind, COUNT(*) FROM faults GROUP BY session_id, kind"
        ):
            counts[session_id][kind] = n
        return counts


def sessions_per_week(
    path: Path | None = None,
    weeks: int = 8,
    today: date | None = None,
    tz: tzinfo | None = None,
    person: str | None = None,
) -> list[WeekCount]:
    """Sessions started in each of the last ``weeks`` ISO weeks (oldest first, empty weeks as 0),
    everyone's or ``person``'s.

    ``today`` (default: now) fixes the last week; ``tz`` (default: local time) decides which day a
    session fell on.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    today = today or datetime.now(tz).date()
    last_monday = today - timedelta(days=today.weekday())
    mondays = [last_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    counts: Counter[date] = Counter()
    with _connect(path) as db:
        since = datetime.combine(mondays[0] - timedelta(days=1), datetime.min.time(), timezone.utc)
        for (started,) in db.execute(
            "SELECT started_at FROM sessions WHERE started_at >= ? AND person = coalesce(?, person)",
            (since.isoformat(), person),
        ):
            counts[monday_of(datetime.fromisoformat(started), tz)] += 1
    return [WeekCount(*monday.isocalendar()[:2], monday, counts[monday]) for monday in mondays]
