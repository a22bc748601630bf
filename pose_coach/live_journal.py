"""Writes a live session to the history as it goes, so a closed tab, a page change or a killed
server loses only its last seconds.

``LiveCoach`` hands over a summary of the session so far (``checkpoint``, from the stream's
thread, without waiting); a writer thread stores the newest one as an ``open`` session, rewriting
the same row each time. ``finish`` stores the final summary as ``done``. Sessions left ``open`` by
a process that is gone, or not written for ``ABANDONED_S``, are found by ``abandoned_sessions``.
"""

from __future__ import annotations

import contextlib
import os
import queue
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
        self._pending: queue.Queue[LiveOutcome | None] = queue.Queue(maxsize=1)
        self._lock = threading.Lock()  # one write at a time: the writer's or finish's
        self._finished = False
        # Started by the first checkpoint: a page shown without START writes nothing.
        self._thread = threading.Thread(target=self._write_pending, daemon=True,
                                        name="pose-coach-journal")  # fmt: skip

    def checkpoint(self, outcome: LiveOutcome) -> None:
        """Queue the session so far; a checkpoint not yet written is replaced by this newer one."""
        with self._lock:
            if not self._thread.is_alive() and not self._finished:
                self._thread.start()
        while True:
            try:
                self._pending.put_nowait(outcome)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._pending.get_nowait()

    def finish(self, outcome: LiveOutcome | None) -> SessionRecord | None:
        """Stop the writer and store the final summary as ``done`` (None: nothing was coached;
        a checkpoint already written stays as it is). Returns the record stored."""
        with self._lock:
            self._finished = True
            started = self._thread.is_alive()
        if started:
            self._pending.put(None)  # after any checkpoint still queued
            self._thread.join()
        if outcome is None:
            return None
        return self._write(outcome, "done")

    def _write_pending(self) -> None:
        while (outcome := self._pending.get()) is not None:
            self._write(outcome, "open")

    def _write(self, outcome: LiveOutcome, status: str) -> SessionRecord:
        record = SessionRecord.from_summary(self.stretch, "live", outcome.started_at,
                                            outcome.duration_s, outcome.summary,
                                            person=self.person, status=status)  # fmt: skip
        with self._lock:
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
