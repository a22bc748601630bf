"""The live session's journal: written as it goes from the stream's thread, finished once by the
page's, with a real history file."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from pose_coach import history
from pose_coach.events import Hold
from pose_coach.judge.session import SessionSummary
from pose_coach.live import LiveOutcome
from pose_coach.live_journal import LiveJournal

STARTED = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def outcome(duration_s: float) -> LiveOutcome:
    hold = Hold("left", 1.0, duration_s, duration_s - 1.0)
    return LiveOutcome(STARTED, duration_s, SessionSummary((hold,), (), ("left",)))


def in_thread(call, *args) -> threading.Thread:
    thread = threading.Thread(target=call, args=args, daemon=True)
    thread.start()
    return thread


def test_handing_over_a_checkpoint_never_waits_for_the_history_file(tmp_path, monkeypatch):
    """The stream's thread hands the session over and goes on with the video, however slow the
    disk: a write under way does not hold it up."""
    writing, release = threading.Event(), threading.Event()
    save = history.save_session

    def slow_save(record, *args, **kwargs):
        writing.set()
        assert release.wait(30)
        return save(record, *args, **kwargs)

    monkeypatch.setattr(history, "save_session", slow_save)
    journal = LiveJournal("kneeling_psoas", tmp_path / "history.sqlite")
    journal.checkpoint(outcome(10.0))
    assert writing.wait(10), "the writer stores the first checkpoint"
    handing_over = in_thread(journal.checkpoint, outcome(11.0))
    handing_over.join(10)
    stuck = handing_over.is_alive()
    release.set()
    assert not stuck, "the checkpoint waited for the write under way"
    journal.finish(outcome(12.0))
    [stored] = history.list_sessions(tmp_path / "history.sqlite")
    assert (stored.record.status, stored.record.duration_s) == ("done", 12.0)


def test_checkpoints_handed_over_while_the_session_finishes_never_stop_it_finishing(tmp_path):
    """STOP finishes the journal while the stream's thread may still hand over the checkpoints of
    its last frames: finishing ends every time, the session stored as done with the final
    summary (a late checkpoint never overwrites it, nor takes the writer's signal to stop)."""
    for n in range(10):
        path = tmp_path / f"history{n}.sqlite"
        journal = LiveJournal("kneeling_psoas", path)
        streaming = threading.Event()
        streaming.set()

        def stream(journal=journal, streaming=streaming):
            t = 1.0
            while streaming.is_set():
                journal.checkpoint(outcome(t))
                t += 0.001

        streamer = in_thread(stream)
        deadline = time.monotonic() + 10
        while journal.session_id is None and time.monotonic() < deadline:
            time.sleep(0.001)
        assert journal.session_id is not None, "the writer stores a checkpoint"
        finishing = in_thread(journal.finish, outcome(100.0))
        finishing.join(10)
        hung = finishing.is_alive()
        streaming.clear()
        streamer.join(10)
        assert not hung, f"finishing the journal hung (attempt {n + 1})"
        [stored] = history.list_sessions(path)
        assert (stored.record.status, stored.record.duration_s) == ("done", 100.0)
