"""The one phone camera: which browser session sends it, and its video track.

The phone's camera page and the computer's Live page are two Streamlit sessions of one server
process; this object, one per process, passes the phone's track from the first to the second.
One phone at a time: while a phone's track is live, another session is refused. A phone whose
track has ended (its page closed, its network gone) no longer holds the camera.

No streamlit here: the track is anything with aiortc's ``readyState`` ("live" or "ended").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol


class Track(Protocol):
    @property
    def readyState(self) -> str: ...  # noqa: N802 - aiortc's (and the WebRTC standard's) name


@dataclass(frozen=True)
class Phone:
    session: str
    track: Track
    since: datetime


class PhoneLink:
    """Thread-safe: the sessions' script threads call it at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._phone: Phone | None = None

    def connect(self, session: str, track: Track) -> bool:
        """Make ``track`` of ``session`` the camera; False if another session's phone is live."""
        with self._lock:
            current = self._live()
            if current is not None and current.session != session:
                return False
            if current is None or current.track is not track:
                self._phone = Phone(session, track, datetime.now(timezone.utc))
            return True

    def disconnect(self, session: str) -> None:
        """``session`` stopped sending (nothing happens if it was not the camera)."""
        with self._lock:
            if self._phone is not None and self._phone.session == session:
                self._phone = None

    def phone(self) -> Phone | None:
        """The phone sending now, if any."""
        with self._lock:
            return self._live()

    def taken_by_other(self, session: str) -> Phone | None:
        """The phone of another session that holds the camera, if any."""
        current = self.phone()
        return current if current is not None and current.session != session else None

    def _live(self) -> Phone | None:
        if self._phone is not None and self._phone.track.readyState != "live":
            self._phone = None
        return self._phone
