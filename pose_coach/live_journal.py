"""Writes a live session to the history as it goes, so a closed tab, a page change or a killed
server loses only its last seconds.

``LiveCoach`` hands over a summary of the session so far (``checkpoint``, from the stream's
thread, without waiting); a writer thread stores the newest one as an ``open`` session, rewriting
the same row each time. ``finish`` stores the final summary as ``done``. Sessions left ``open`` by
a process that is gone, or not written for ``ABANDONED_S``, are found by ``abandoned_sessions``.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

from pose_coach import history
from pose_coach.history import SessionRecord, StoredSession, check_person
from pose_coach.live import CHECKPOINT_S, LiveOutcome
from pose_coach.terms import DEFAULT_PERSON

# An open session not written for this long is no longer running (checkpoints come every
# CHECKPOINT_S while frames flow).
ABANDONED_S = max(20.0, 5 * CHECKPOINT_S)
# This process's mark on the sessions it writes: an open session with another mark was left by a
# process that ended (a killed or restarted server).
OWNER = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


class LiveJournal:
    """The history row of one live session of ``stretch``, ``person``'s; ``error`` is the last
    failed write."""

    def __init__(
        self, stretch: str, path: Path | None = None, person: str = DEFAULT_PERSON
    ) -> None:
        self.stretch, self.path, self.person = stretch, path, check_person(person)
        self.session_id: int | None = None
        self.error: str | None = None
        self._changed = threading.Condition()  # guards the two below
        self._newest: LiveOutcome | None = None  # handed over, not written yet
        self._finishing = False
        # Started by the first checkpoint: a page shown without START writes nothing.
        self._thread = threading.Thread(target=self._write_pending, daemon=True,
                                        name="pose-coach-journal")  # fmt: skip

    def checkpoint(self, outcome: LiveOutcome) -> None:
        """Hand over the session so far, replacing one not yet written, and never wait for the
        history file. Once ``finish`` is called, a late one (the stream's last frames) is
        ignored."""
        with self._changed:
            if self._finishing:
                return
            self._newest = outcome
            if self._thread.ident is None:
                self._thread.start()
            self._changed.notify()

    def finish(self, outcome: LiveOutcome | None) -> SessionRecord | None:
        """Stop the writer and store the final summary as ``done``, superseding any checkpoint
        not yet written (None: nothing was coached; a checkpoint already written stays as it
        is). Returns the record stored."""
        with self._changed:
            self._finishing = True
            self._changed.notify()
        if self._thread.ident is not None:
            self._thread.join()
        if outcome is None:
            return None
        return self._write(outcome, "done")

    def _write_pending(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._newest is not None or self._finishing)
                if self._finishing:
                    return
                outcome, self._newest = self._newest, None
            self._write(outcome, "open")

    def _write(self, outcome: LiveOutcome, status: str) -> SessionRecord:
        """Store ``outcome``: from the writer, or from ``finish`` once the writer has ended, so
        never two at once."""
        record = SessionRecord.from_summary(self.stretch, "live", outcome.started_at,
                                            outcome.duration_s, outcome.summary,
                                            person=self.person, status=status)  # fmt: skip
        try:
            self.session_id = history.save_session(record, self.path, self.session_id, OWNER)
            self.error = None
        except history.HistoryError as error:
            self.error = str(error)
        return record


def abandoned_sessions(path: Path | None = None) -> list[StoredSession]:
    """Open sessions left by a process that ended, or not written for ``ABANDONED_S``: marked
    ``unfinished`` and returned (each once)."""
    return history.close_abandoned(ABANDONED_S, path, owner=OWNER)
