"""Which view the camera has of the body, which way the body faces, and its posture, per frame.

- ``view``: the angle between the body's left-right axis (the shoulder and hip lines) and the image
  plane, from MediaPipe's world landmarks (metres, camera-aligned). ``side``: the axis points mostly
  away from the camera (at least ``SIDE_MIN_DEG`` out of the image plane); ``front``: it lies mostly in
  the image plane (at most ``FRONT_MAX_DEG``), which includes a back view and a body lying seen from
  its feet or head; ``three_quarter`` in between.
- ``near`` (side and three-quarter views only): the side whose hip is nearer the camera, from the
  world landmarks' depth: the other leg is the far one, partly hidden behind the near one.
- ``facing`` (side and three-quarter views only): which way along image x the body's front points.
  The front is the perpendicular of the trunk line on the side of the face, exactly as
  ``angles.front_sense`` decides it. None when the front points mostly up or down in the image (a
  horizontal trunk: all fours, lying), or in a front view.
- ``posture``, from the trunk's angle to vertical and heights above the lowest visible landmark (the
  floor) in torso lengths, from world landmarks (so a level camera is assumed):
  ``standing``: upright trunk, a leg standing on its foot (shin upright), hips well above the floor
  or the other leg reaching down to it (a lunge), no knee down;
  ``kneeling``: upright trunk, a knee at floor level with its shin along the floor (half-kneeling too);
  ``all_fours``: horizontal trunk, hips and shoulders well above the floor (a lifted limb too);
  ``lying``: horizontal trunk, hips and shoulders near the floor.

Nothing is guessed: the view is ``"unknown"`` and facing / posture None when the landmarks a decision
needs are not visible enough, or the body is in none of these states (sitting, a forward fold).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

import numpy as np

from pose_coach.geometry import HIPS, SHOULDERS, midpoint, unit
from pose_coach.input.landmarks import Landmark as L
from pose_coach.input.landmarks import PoseFrame
from pose_coach.measure.angles import front_sense
from pose_coach.terms import POSTURES, SIDES

VIEWS = ("side", "front", "three_quarter", "unknown")
FACINGS = SIDES  # which way along image x the front points

# Measured on renders seen by MediaPipe: side views read 66-89 degrees, 45-degree views 30-60
# (upright) or 39-80 (lying, all fours: MediaPipe flattens their depth), front views 0-22.
SIDE_MIN_DEG = 65.0  # left-right axis at least this far out of the image plane: side view
FRONT_MAX_DEG = 25.0  # at most this far: front (or back) view
FACING_MIN_SHARE = 0.5  # the front's image-x share (cosine) needed to say left / right
UPRIGHT_MAX_DEG = 50.0  # trunk at most this far from vertical: upright
HORIZONTAL_MIN_DEG = 60.0  # at least this far: horizontal
# Heights in torso lengths (shoulder midpoint to hip midpoint, about 0.5 m).
KNEE_DOWN_MAX = 0.4  # a knee this close to the floor is on it...
SHIN_DROP_MAX = 0.3  # ...if its ankle is not more than this below it (the shin lies on the floor)
STANDING_HIP_MIN = 1.4  # hips this high: on the feet (kneeling hips are about 1.0)...
SHIN_KNEE_MIN = 0.6  # ...with a leg standing on its foot: its knee this high above the floor
SHIN_STAND_MIN = 0.5  # and its ankle this far below the knee
LEG_REACH_MIN = 0.5  # or a knee this far below the hips (a lunge's back leg; not sitting)
LOW_MAX = 0.6  # lying: hips and shoulders below this; all fours: at or above it
ALL_FOURS_HIP_MAX = 1.4  # hips above this with a horizontal trunk: a standing forward bend

_LEGS = ((L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_KNEE, L.RIGHT_ANKLE))
_FEET = (
    L.LEFT_ANKLE,
    L.RIGHT_ANKLE,
    L.LEFT_HEEL,
    L.RIGHT_HEEL,
    L.LEFT_FOOT_INDEX,
    L.RIGHT_FOOT_INDEX,
)
_LIMB_ENDS = (*_FEET, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_WRIST, L.RIGHT_WRIST)


@dataclass(frozen=True)
class BodyView:
    """What the camera sees of the body in one frame (or over a short window, from ``ViewTracker``)."""

    view: str
    facing: str | None
    posture: str | None
    near: str | None = None  # the side whose hip is nearer the camera (side, three-quarter views)

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"view must be one of {VIEWS}, got {self.view!r}")
        if self.facing not in (*FACINGS, None):
            raise ValueError(f"facing must be one of {FACINGS} or None, got {self.facing!r}")
        if self.posture not in (*POSTURES, None):
            raise ValueError(f"posture must be one of {POSTURES} or None, got {self.posture!r}")
        if self.near not in (*SIDES, None):
            raise ValueError(f"near must be one of {SIDES} or None, got {self.near!r}")


UNKNOWN = BodyView("unknown", None, None)


def classify_view(frame: PoseFrame, min_visibility: float = 0.5) -> BodyView:
    """The view, facing and posture of one frame; unknown / None where landmarks do not decide it.

    A landmark counts as seen when its visibility is at least ``min_visibility`` and its image and
    world coordinates are finite (the filter gives NaN for a missing landmark).
    """
    finite = np.isfinite(frame.image).all(axis=1) & np.isfinite(frame.world).all(axis=1)
    visible = (frame.visibility >= min_visibility) & finite
    if not visible[[*SHOULDERS, *HIPS]].all():
        return UNKNOWN
    view = _view(frame.world)
    sideways = view in ("side", "three_quarter")
    facing = _facing(frame, visible) if sideways else None
    near = _near(frame.world) if sideways else None
    return BodyView(view, facing, _posture(frame.world, visible), near)


def _near(world: np.ndarray) -> str | None:
    """The side whose hip is nearer the camera (world z grows away from it). On the development
    split this agreed with the truth in 99.6-100% of frames, per yaw bucket."""
    depth = world[L.LEFT_HIP, 2] - world[L.RIGHT_HIP, 2]
    if not np.isfinite(depth) or depth == 0:
        return None
    return "left" if depth < 0 else "right"


def out_of_plane_deg(world: np.ndarray) -> float:
    """Angle (degrees) of the body's left-right axis (shoulder and hip lines) to the image plane."""
    lateral = unit(world[L.LEFT_SHOULDER] - world[L.RIGHT_SHOULDER]) + unit(
        world[L.LEFT_HIP] - world[L.RIGHT_HIP]
    )
    return float(np.degrees(np.arctan2(abs(lateral[2]), np.hypot(lateral[0], lateral[1]))))


def _view(world: np.ndarray) -> str:
    angle = out_of_plane_deg(world)
    if not np.isfinite(angle):
        return "unknown"
    if angle >= SIDE_MIN_DEG:
        return "side"
    return "front" if angle <= FRONT_MAX_DEG else "three_quarter"


def _facing(frame: PoseFrame, visible: np.ndarray) -> str | None:
    """Which way along image x the body's front points (the face decides which side is the front)."""
    if not visible[L.NOSE] or not visible[[L.LEFT_EAR, L.RIGHT_EAR]].any():
        return None
    points = frame.image * (1.0, -1.0)  # y up, as front_sense expects
    up = midpoint(points, SHOULDERS) - midpoint(points, HIPS)
    sense = front_sense(points, up)
    if not np.isfinite(sense):
        return None
    front = unit(sense * np.array([-up[1], up[0]]))  # ``up`` turned 90 degrees towards the front
    if front[0] >= FACING_MIN_SHARE:
        return "right"
    return "left" if front[0] <= -FACING_MIN_SHARE else None


def trunk_tilt_deg(world: np.ndarray) -> float:
    """Angle (degrees) of the trunk line (hips to shoulders) to vertical, 0 upright, 90 horizontal."""
    trunk = unit(midpoint(world, SHOULDERS) - midpoint(world, HIPS))
    return float(np.degrees(np.arccos(np.clip(-trunk[1], -1.0, 1.0))))  # world y points down


class _Heights:
    """Heights above the floor (the lowest visible landmark) in torso lengths; y points down."""

    def __init__(self, world: np.ndarray, visible: np.ndarray) -> None:
        self.world = world
        self.floor = float(world[visible, 1].max())
        self.torso = float(np.linalg.norm(midpoint(world, SHOULDERS) - midpoint(world, HIPS)))

    def of(self, point: np.ndarray) -> float:
        return (self.floor - float(point[1])) / self.torso

    def drop(self, upper: int, lower: int) -> float:
        """How far landmark ``lower`` is below landmark ``upper``."""
        return float(self.world[lower, 1] - self.world[upper, 1]) / self.torso


def _posture(world: np.ndarray, visible: np.ndarray) -> str | None:
    if not visible[list(_LIMB_ENDS)].any():
        return None  # nothing below the trunk is seen: no floor to measure from
    heights = _Heights(world, visible)
    if not heights.torso > 0:
        return None
    hips = heights.of(midpoint(world, HIPS))
    shoulders = heights.of(midpoint(world, SHOULDERS))
    tilt = trunk_tilt_deg(world)
    if tilt <= UPRIGHT_MAX_DEG:
        return _upright_posture(heights, visible, hips)
    if tilt < HORIZONTAL_MIN_DEG:
        return None
    if hips < LOW_MAX and shoulders < LOW_MAX:
        return "lying"
    if LOW_MAX <= hips < ALL_FOURS_HIP_MAX and shoulders >= LOW_MAX:
        return "all_fours"
    return None


def _upright_posture(heights: _Heights, visible: np.ndarray, hips: float) -> str | None:
    if not visible[list(_FEET)].any():
        return None  # the floor is only known from the feet
    world = heights.world
    low_knees = [
        (knee, ankle)
        for knee, ankle in _LEGS
        if visible[knee] and heights.of(world[knee]) <= KNEE_DOWN_MAX
    ]
    if any(
        visible[ankle] and heights.drop(knee, ankle) <= SHIN_DROP_MAX for knee, ankle in low_knees
    ):
        return "kneeling" if hips < STANDING_HIP_MIN else None
    if any(not visible[ankle] for _, ankle in low_knees):
        return None  # a knee near the floor whose shin is not seen: kneeling or a deep lunge
    stands = any(
        visible[knee]
        and visible[ankle]
        and heights.of(world[knee]) >= SHIN_KNEE_MIN
        and heights.drop(knee, ankle) >= SHIN_STAND_MIN
        for knee, ankle in _LEGS
    )
    if not stands:
        return None
    if hips >= STANDING_HIP_MIN:
        return "standing"
    knees = [knee for knee, _ in _LEGS]
    leg_reaches = any(heights.of(world[knee]) <= hips - LEG_REACH_MIN for knee in knees)
    return "standing" if leg_reaches and visible[knees].all() else None


class ViewTracker:
    """Smooths per-frame ``BodyView``s over the last ``window_s`` seconds of frame timestamps.

    Each field changes only when a new value holds at least ``switch_share`` of the frames in the
    window (hysteresis: a split window keeps the current value), so the view does not flicker when it
    sits at a threshold.
    """

    def __init__(
        self, window_s: float = 0.7, switch_share: float = 0.6, max_frames: int = 128
    ) -> None:
        if window_s <= 0 or not 0.5 < switch_share <= 1 or max_frames < 1:
            raise ValueError(
                "expected window_s > 0, 0.5 < switch_share <= 1 and max_frames >= 1, got "
                f"{window_s}, {switch_share}, {max_frames}"
            )
        self.window_s = window_s
        self.switch_share = switch_share
        self._history: deque[tuple[float, BodyView]] = deque(maxlen=max_frames)
        self._current = UNKNOWN

    def reset(self) -> None:
        """Forget the history (a new person or video)."""
        self._history.clear()
        self._current = UNKNOWN

    def update(self, view: BodyView, timestamp_s: float) -> BodyView:
        """Add this frame's classification; return the smoothed one."""
        if self._history and timestamp_s < self._history[-1][0]:
            self.reset()  # time went backwards: a new video or a seek
        self._history.append((timestamp_s, view))
        while self._history[0][0] < timestamp_s - self.window_s:
            self._history.popleft()
        views = [v for _, v in self._history]
        current = self._current
        smoothed_view = self._vote([v.view for v in views], current.view)
        facing = self._vote([v.facing for v in views], current.facing)
        if smoothed_view not in ("side", "three_quarter"):
            facing = None
        posture = self._vote([v.posture for v in views], current.posture)
        near = self._vote([v.near for v in views], current.near)
        if smoothed_view not in ("side", "three_quarter"):
            near = None
        self._current = BodyView(smoothed_view, facing, posture, near)
        return self._current

    def _vote(self, values: list[str | None], current: str | None) -> str | None:
        """The value held by at least ``switch_share`` of ``values``, else ``current``."""
        value, count = Counter(values).most_common(1)[0]
        return value if count >= self.switch_share * len(values) else current
