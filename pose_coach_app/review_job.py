"""A review running in its own thread, so it finishes whatever page the person visits meanwhile.

The Review page keeps the job in the session state and shows its progress while it is open; the
job itself touches no Streamlit call (they do not work outside the script's thread). Every outcome
leaves the output folder complete or gone: a failure, a cancel, or a video without a person
removes it.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pose_coach import history
from pose_coach.coach import Detector
from pose_coach.config import Settings
from pose_coach.history import SessionRecord
from pose_coach.input.pose import ModelError
from pose_coach.input.video import VideoError
from pose_coach.judge.reference import Reference
from pose_coach.review import Review, ReviewError, review_video
from pose_coach.terms import DEFAULT_PERSON

NO_PERSON = (
    "No person was found in this video. Film the whole body, side-on, in good light, as the "
    "stretch's camera instructions say, and try again."
)
SAVE_FAILED = (
    "The results cannot be saved in your pose-coach folder: free some disk space or make the "
    "folder writable, and try again."
)
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShownReview:
    """A finished review, kept in the session so the page can show it again after a rerun."""

    review: Review
    record: SessionRecord
    saved_error: str | None


class Cancelled(Exception):
    """Raised inside the review when the person cancels it."""


class ReviewJob:
    """Review ``video`` in a background thread; ``state`` is running, done, failed or cancelled.

    ``result`` (done) holds the review and its history record, saved for ``person`` under the
    file's content digest (a photo gets its verdict but is no session: not saved); ``error``
    (failed) says what is wrong and what to do.
    """

    def __init__(
        self,
        video: Path,
        reference: Reference,
        settings: Settings,
        sides: tuple[str, ...],
        out_dir: Path,
        detector: Detector | None = None,
        person: str = DEFAULT_PERSON,
    ) -> None:
        self.video, self.reference, self.out_dir = Path(video), reference, Path(out_dir)
        self._args = (settings, sides, detector, person)
        self.started_at = datetime.now(timezone.utc)
        self.state = "running"
        self.result: ShownReview | None = None
        self.error: str | None = None
        self.done_frames, self.total_frames = 0, 0
        self.finished = threading.Event()
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pose-coach-review", daemon=True)

    def start(self) -> ReviewJob:
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    def _progress(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise Cancelled
        self.done_frames, self.total_frames = done, total

    def _run(self) -> None:
        settings, sides, detector, person = self._args
        made = not self.out_dir.exists()
        try:
            review = review_video(self.video, self.reference, settings, out_dir=self.out_dir,
                                  sides=sides, progress=self._progress, detector=detector)  # fmt: skip
            if review.run.frames_with_pose == 0:
                self._end("failed", NO_PERSON)
                return
            record = SessionRecord.from_run(review.run, self.started_at, person,
                                            content=history.file_digest(self.video))  # fmt: skip
            photo = review.run.still is not None  # a verdict, but no session to keep
            self.result = ShownReview(review, record, None if photo else _save(record))
            self._end("done")
        except Cancelled:
            self._end("cancelled")
        except VideoError as error:
            self._end("failed", f"This file cannot be used: {error}")
        except ReviewError:  # its message names a folder of the server's
            self._end("failed", SAVE_FAILED)
        except ModelError as error:
            self._end("failed", str(error))
        except Exception as error:  # anything else still reaches the page, and the log
            LOG.exception("review of %s failed", self.video.name)
            self._end("failed", f"The analysis failed ({type(error).__name__}: {error}).")
        finally:
            if self.state == "running":  # stopped by something no handler above knows
                self._end("failed", "The analysis stopped before it finished; try again.")
            if self.state != "done" and made:
                shutil.rmtree(self.out_dir, ignore_errors=True)
                with contextlib.suppress(OSError):  # the reviews folder, if this made it empty
                    self.out_dir.parent.rmdir()
            self.finished.set()

    def _end(self, state: str, error: str | None = None) -> None:
        self.state, self.error = state, error


def _save(record: SessionRecord) -> str | None:
    """Store a review's record in the history; the error if it cannot be."""
    try:
        history.add_session(record)
    except history.HistoryError as error:
        return str(error)
    return None
