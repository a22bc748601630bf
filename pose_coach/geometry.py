"""Small geometry helpers on landmark arrays (image pixels or world metres), written once."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from pose_coach.input.landmarks import Landmark as L

SHOULDERS = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
HIPS = (L.LEFT_HIP, L.RIGHT_HIP)


def midpoint(points: np.ndarray, pair: Sequence[int]) -> np.ndarray:
    """The point halfway between two landmarks."""
    return (points[pair[0]] + points[pair[1]]) / 2


def torso_length(points: np.ndarray) -> float:
    """Distance from the shoulder midpoint to the hip midpoint, in the points' own units."""
    return math.dist(midpoint(points, SHOULDERS), midpoint(points, HIPS))


def extent(points: np.ndarray) -> float:
    """How big the points are: the larger of their width and height, in their own units (NaN
    points left out)."""
    return float(np.nanmax(np.nanmax(points, axis=0) - np.nanmin(points, axis=0)))


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` scaled to length 1 (NaN for a zero vector)."""
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v * np.nan


def signed_angle(v_from: np.ndarray, v_to: np.ndarray) -> float:
    """Angle in degrees from 2D vector ``v_from`` to ``v_to``, counter-clockwise positive, in (-180, 180].

    Vectors are in a y-up frame. NaN if either vector is zero or NaN.
    """
    cross = v_from[0] * v_to[1] - v_from[1] * v_to[0]
    dot = v_from[0] * v_to[0] + v_from[1] * v_to[1]
    if not np.isfinite(cross) or (cross == 0 and dot == 0):
        return float("nan")
    return float(np.degrees(np.arctan2(cross, dot)))
