"""Measuring: one frame's pose in, one frozen ``Measurement`` out (filtered landmarks, angles, view).

The judging layer consumes measurements only, so it can be fed angle sequences directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pose_coach.config import Settings
from pose_coach.input.landmarks import PoseFrame
from pose_coach.measure.angles import Angles, compute_angles
from pose_coach.measure.filtering import LandmarkFilter
from pose_coach.measure.view import BodyView, ViewTracker, classify_view


@dataclass(frozen=True)
class Measurement:
    """What was measured at ``timestamp_s``: ``angles`` and ``view`` are None when no person was
    found. ``pose`` is the filtered pose (None when there is none, or when a test gives angles
    directly)."""

    timestamp_s: float
    angles: Angles | None
    view: BodyView | None
    pose: PoseFrame | None = None
    # The same angles from landmarks of any visibility: a hint of which leg moved when the far leg
    # is hidden from the side (MediaPipe still places it), and a hidden working leg itself
    # (``holds.HIDDEN_LEG_HINT``).
    hint: Angles | None = None

    @property
    def person(self) -> bool:
        return self.angles is not None


class Measurer:
    """Filters landmarks over time and measures each frame; one per video or live stream."""

    def __init__(self, settings: Settings) -> None:
        self.min_visibility = settings.visibility
        self.filter = LandmarkFilter(settings.filter_min_cutoff, settings.filter_beta)
        self.view_tracker = ViewTracker()

    def measure(self, pose: PoseFrame | None, timestamp_s: float) -> Measurement:
        if pose is None:
            self.filter.reset()
            return Measurement(timestamp_s, None, None)
        pose = self.filter(pose)
        view = self.view_tracker.update(classify_view(pose, self.min_visibility), timestamp_s)
        angles = compute_angles(pose, self.min_visibility)
        hidden = math.isnan(angles.hip_left) or math.isnan(angles.hip_right)
        hint = compute_angles(pose, 0.0) if hidden else None  # only when a leg is hidden
        return Measurement(timestamp_s, angles, view, pose, hint)
