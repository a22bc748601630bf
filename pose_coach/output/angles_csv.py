"""``angles.csv``: one row per coached frame, written from a ``CoachingRun``. Its left and right
angles are the body's as the coach read them (``FrameResult.body_angles``)."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from pose_coach.coach import CoachingRun
from pose_coach.judge.session import FrameResult
from pose_coach.terms import ANGLE_NAMES

ANGLES_NAME = "angles.csv"
FIELDS = ("time_s", "pose", "view", "posture", "phase", "side", "hold_s", "form_ok",
          *ANGLE_NAMES, "faults")  # fmt: skip


def row(result: FrameResult) -> dict[str, Any]:
    view, angles = result.view, result.body_angles
    values = {}
    for name in ANGLE_NAMES:
        value = angles[name] if angles is not None else math.nan
        values[name] = "" if math.isnan(value) else round(value, 1)
    return {
        "time_s": round(result.timestamp_s, 3),
        "pose": int(result.measurement.person),
        "view": view.view if view else "",
        "posture": (view.posture or "") if view else "",
        "phase": result.phase.value,
        "side": result.side or "",
        "hold_s": round(result.hold_s, 2),
        "form_ok": int(result.form_ok),
        **values,
        "faults": ";".join(f.value for f in result.faults),
    }


def write_angles_csv(run: CoachingRun, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        table = csv.DictWriter(stream, fieldnames=FIELDS)
        table.writeheader()
        table.writerows(row(result) for result in run.frames)
