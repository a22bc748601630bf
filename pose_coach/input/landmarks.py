"""Our own landmark types: what the pose adapter returns and everything downstream reads.

Coordinates follow MediaPipe's BlazePose topology (33 points) but nothing here imports mediapipe,
so the rest of the package can be tested with literals and can outlive a model change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum

import numpy as np

NUM_LANDMARKS = 33


class Landmark(IntEnum):
    """Indices of the BlazePose landmarks. LEFT/RIGHT are the person's own left and right."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


# Bones drawn by the annotator: pairs of landmark indices.
SKELETON: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL),
    (Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL),
    (Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
)


def _check_shape(name: str, array: np.ndarray, shape: tuple[int, ...]) -> None:
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")


@dataclass(frozen=True, eq=False)
class PoseFrame:
    """One person's landmarks in one frame.

    image: (33, 2) pixel coordinates, x to the right, y down, in the frame's own pixels.
    visibility: (33,) in [0, 1], the model's confidence that the point is visible.
    world: (33, 3) metres, origin between the hips, axes aligned with the camera
        (x right, y down, z away from the camera), as MediaPipe gives them.
    timestamp_s: the frame's presentation time in seconds (video time, never wall-clock time).
    width, height: the frame size in pixels.
    """

    image: np.ndarray
    visibility: np.ndarray
    world: np.ndarray
    timestamp_s: float
    width: int
    height: int

    def __post_init__(self) -> None:
        for name, shape in (
            ("image", (NUM_LANDMARKS, 2)),
            ("visibility", (NUM_LANDMARKS,)),
            ("world", (NUM_LANDMARKS, 3)),
        ):
            array = np.asarray(getattr(self, name), dtype=np.float64)
            _check_shape(name, array, shape)
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"frame size must be positive, got {self.width}x{self.height}")
        if not np.isfinite(self.timestamp_s):
            raise ValueError(f"timestamp_s must be finite, got {self.timestamp_s}")

    def with_points(self, image: np.ndarray, world: np.ndarray) -> PoseFrame:
        """A copy with other coordinates (used by the smoothing filter)."""
        return PoseFrame(image, self.visibility, world, self.timestamp_s, self.width, self.height)

    def toward(self, later: PoseFrame | None, timestamp_s: float) -> PoseFrame:
        """This pose moved on to ``timestamp_s`` on the straight line to ``later`` (a frame the pose
        model did not look at, between two it did); this pose, re-timed, when ``later`` is None."""
        if later is None or later.timestamp_s <= self.timestamp_s:
            return replace(self, timestamp_s=timestamp_s)
        w = (timestamp_s - self.timestamp_s) / (later.timestamp_s - self.timestamp_s)
        return PoseFrame(
            (1 - w) * self.image + w * later.image,
            (1 - w) * self.visibility + w * later.visibility,
            (1 - w) * self.world + w * later.world,
            timestamp_s,
            self.width,
            self.height,
        )
