"""``report.json``: a coached video's summary, written from a ``CoachingRun``.

Each hold lists the view it was seen from (``view``: side, three_quarter, front or unknown, for
most of its frames), the body's size in the picture (``size_px``, null without a pose), the notes
a person should read about both (``notes``) and the seconds its timer did not count and why
(``judge.explain``). A still
photo's report also carries its verdict at the top level: ``judged``, ``message``, ``view``,
``posture``, ``side``, ``form_ok``, ``angles`` (each ``angle``, ``role``, ``value``, ``target``,
``tolerance``, ``ok``, ``fault``) and ``faults`` (each ``kind`` and ``cue``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pose_coach.coach import CoachingRun
from pose_coach.judge.explain import hold_size, hold_view, seen_notes, uncounted

REPORT_NAME = "report.json"


def report(run: CoachingRun) -> dict[str, Any]:
    """The report's JSON-ready contents."""
    video, reference = run.video, run.reference
    holds = []
    for hold in run.holds:
        spans = uncounted(run.frames, hold, reference)
        view, size = hold_view(run.frames, hold), hold_size(run.frames, hold)
        holds.append({**hold.to_dict(), "view": view,
                      "size_px": None if size is None else round(size[0]),
                      "notes": seen_notes(view, size),
                      "not_counted_s": round(sum(s.seconds for s in spans), 2),
                      "not_counted": [span.to_dict() for span in spans]})  # fmt: skip
    verdict = run.still.to_dict() if run.still is not None else {}
    return {
        "video": video.name,
        "stretch": reference.id,
        "stretch_name": reference.name,
        "fps": round(video.fps, 3),
        "duration_s": round(video.duration_s, 3),
        "frames": len(run.frames),
        "frames_with_pose": run.frames_with_pose,
        **verdict,
        "holds": holds,
        "events": [event.to_dict() for event in run.events],
        "sides_done": list(run.sides_done),
        "good_form_s": {side: round(s, 2) for side, s in run.good_form_s().items()},
        "fault_counts": run.fault_counts(),
        "hold_target_s": reference.hold_s,
        "settings": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(run.settings).items()
        },  # fmt: skip
        "reference": reference.to_dict(),
    }


def write_report(run: CoachingRun, path: Path) -> None:
    Path(path).write_text(json.dumps(report(run), indent=2), encoding="utf-8")
