"""Accuracy against ground truth: every labelled video in a folder is reviewed and compared.

A labelled video is ``NAME.mp4`` beside ``NAME.truth.json`` or ``NAME.truth.json.gz`` (written by
``tools/render``): the true
angles of every frame, the true hold intervals, and the true fault intervals with kind and side.

- Angles: mean absolute error per stretch, view and angle, over frames where both the truth and the
  program have a value (the program gives NaN for landmarks it cannot see; its coverage is reported).
- Faults: per kind, precision (detected events that overlap a true interval of the same kind and
  side) and recall (true intervals overlapped by such an event). ``hold_too_short`` matches by side
  alone: a skipped side has no interval to overlap. Good-form videos must report no fault at all.
- Holds: per side, the absolute error of the detected hold time against the true one.
- Faults and holds are scored only on videos taken from the view the stretch needs (a side view);
  from another view the right answer is to ask the user to move the camera (``wrong_view``), and
  how often that was said is reported instead.

Videos are coached in parallel worker processes (``coach_file`` is a plain function of picklable
inputs); nothing is written.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pose_coach.coach import CoachingRun
from pose_coach.config import Settings
from pose_coach.events import Fault
from pose_coach.judge.reference import get_reference
from pose_coach.review import coach_file
from pose_coach.terms import ANGLE_NAMES

FAULT_KINDS = tuple(
    f.value for f in Fault if f not in (Fault.NO_PERSON, Fault.WRONG_VIEW)
)  # what the ground truth labels


@dataclass
class VideoScore:
    """One video's comparison with its truth."""

    name: str
    stretch: str
    view: str
    angle_errors: dict[str, list[float]]  # angle -> absolute errors on frames with both values
    angle_frames: dict[str, tuple[int, int]]  # angle -> (frames with both, frames with truth)
    true_faults: list[dict]
    detected: list[dict]
    hold_error_s: dict[str, float]  # side -> |detected - true| hold time
    # The reference needs another camera view: the coach should say so instead of coaching.
    wrong_view: bool = False
    wrong_view_reported: bool = False
    matched_true: list[bool] = field(default_factory=list)
    matched_detected: list[bool] = field(default_factory=list)


TRUTH_SUFFIXES = (".truth.json.gz", ".truth.json")  # gzipped in the repository


def truth_path(video: Path) -> Path | None:
    """The truth file beside ``video`` (NAME.truth.json.gz or NAME.truth.json), if any."""
    for suffix in TRUTH_SUFFIXES:
        path = video.with_name(video.stem + suffix)
        if path.exists():
            return path
    return None


def find_labelled(folder: Path) -> list[Path]:
    """The videos in ``folder`` that have a truth file, by name."""
    return sorted(p for p in Path(folder).glob("*.mp4") if truth_path(p) is not None)


def load_truth(video: Path) -> dict:
    path = truth_path(video)
    if path is None:
        raise ValueError(f"{video}: no truth file beside it (NAME.truth.json[.gz])")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as stream:
        return json.load(stream)


def _overlaps(event: dict, truth: dict, slack_s: float = 0.5) -> bool:
    if event["kind"] != truth["kind"] or event["side"] != truth["side"]:
        return False
    if truth["kind"] == Fault.HOLD_TOO_SHORT.value:
        return True
    return (
        event["start_s"] <= truth["end_s"] + slack_s
        and event["end_s"] >= truth["start_s"] - slack_s
    )


def _hold_time(holds: list[dict], side: str) -> float:
    return sum(h["end_s"] - h["start_s"] for h in holds if h["side"] == side)


def score_run(run: CoachingRun, truth: dict, name: str) -> VideoScore:
    """Compare one coached run with its truth."""
    errors: dict[str, list[float]] = {}
    frames: dict[str, tuple[int, int]] = {}
    measured = [frame.angles for frame in run.frames]
    for angle in ANGLE_NAMES:
        true_values = truth["angles"][angle]
        n = min(len(measured), len(true_values))
        pairs = [(measured[i][angle] if measured[i] is not None else math.nan, true_values[i])
                 for i in range(n) if true_values[i] is not None]  # fmt: skip
        both = [abs(m - t) for m, t in pairs if not math.isnan(m)]
        errors[angle] = both
        frames[angle] = (len(both), len(pairs))
    detected = [e.to_dict() for e in run.events if e.kind.value in FAULT_KINDS]
    true_faults = truth["faults"]
    holds = [hold.to_dict() for hold in run.holds]
    score = VideoScore(
        name=name,
        stretch=truth["stretch"],
        view=truth["view"],
        angle_errors=errors,
        angle_frames=frames,
        true_faults=true_faults,
        detected=detected,
        hold_error_s={
            side: abs(_hold_time(holds, side) - _hold_time(truth["holds"], side))
            for side in truth["sides"]
        },
    )
    score.wrong_view = run.reference.view not in ("any", truth["view"])
    score.wrong_view_reported = any(e.kind is Fault.WRONG_VIEW for e in run.events)
    score.matched_true = [any(_overlaps(e, t) for e in detected) for t in true_faults]
    score.matched_detected = [any(_overlaps(e, t) for t in true_faults) for e in detected]
    return score


def score_video(video: Path, settings: Settings) -> VideoScore:
    """Coach one labelled video with the pose model and compare it with its truth."""
    truth = load_truth(video)
    reference = get_reference(truth["stretch"])
    run = coach_file(video, reference, settings, tuple(truth["sides"]))
    return score_run(run, truth, video.name)


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def summarise(scores: list[VideoScore]) -> dict:
    """The evaluation table: angle MAE per stretch/view/angle, fault precision/recall, hold error."""
    errors: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    coverage: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for score in scores:
        for name in score.angle_errors:
            key = (score.stretch, score.view, name)
            errors[key] += score.angle_errors[name]
            both, with_truth = score.angle_frames[name]
            coverage[key][0] += both
            coverage[key][1] += with_truth
    angles = [
        {
            "stretch": s,
            "view": v,
            "angle": a,
            "mae_deg": round(float(np.mean(e)), 2),
            "coverage": _ratio(*coverage[(s, v, a)]),
        }  # fmt: skip
        for (s, v, a), e in sorted(errors.items())
        if e
    ]
    # Faults and holds are scored on videos from the view the stretch needs; from another view the
    # coach is right to ask for the camera to move instead.
    in_view = [s for s in scores if not s.wrong_view]
    faults = []
    for kind in FAULT_KINDS:
        true_hits = [m for s in in_view for t, m in zip(s.true_faults, s.matched_true, strict=True)
                     if t["kind"] == kind]  # fmt: skip
        det_hits = [m for s in in_view for e, m in zip(s.detected, s.matched_detected, strict=True)
                    if e["kind"] == kind]  # fmt: skip
        faults.append({"kind": kind, "true": len(true_hits), "detected": len(det_hits),
                       "precision": _ratio(sum(det_hits), len(det_hits)),
                       "recall": _ratio(sum(true_hits), len(true_hits))})  # fmt: skip
    clean = [s for s in in_view if not s.true_faults]
    other_view = [s for s in scores if s.wrong_view]
    hold_errors = defaultdict(list)
    for score in in_view:
        for side, error in score.hold_error_s.items():
            hold_errors[side].append(error)
    return {
        "videos": len(scores),
        "angles": angles,
        "faults": faults,
        "other_view_videos": len(other_view),
        "other_view_told": sum(s.wrong_view_reported for s in other_view),
        "good_form_videos": len(clean),
        "faults_in_good_form_videos": sum(len(s.detected) for s in clean),
        "hold_error_s": {
            side: round(float(np.mean(e)), 2) for side, e in sorted(hold_errors.items())
        },
        "per_video": [
            {
                "video": s.name,
                "true": [f"{t['kind']}/{t['side']}" for t in s.true_faults],
                "detected": [
                    f"{e['kind']}/{e['side']}@{e['start_s']:.1f}-{e['end_s']:.1f}"
                    for e in s.detected
                ],
            }  # fmt: skip
            for s in scores
        ],
    }


def evaluate_folder(
    folder: Path,
    settings: Settings | None = None,
    jobs: int = 2,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Review every labelled video in ``folder`` (``jobs`` at a time) and summarise the accuracy."""
    videos = find_labelled(folder)
    if not videos:
        raise ValueError(f"{folder}: no labelled videos (NAME.mp4 beside NAME.truth.json[.gz])")
    settings = settings or Settings()
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(score_video, video, settings) for video in videos]
        scores = []
        for video, future in zip(videos, futures, strict=True):
            scores.append(future.result())
            if progress:
                progress(f"reviewed {video.name}")
    return summarise(scores)


def _cell(value: float | None) -> str:
    return (
        "   -"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:4.2f}"
    )


def format_table(table: dict) -> str:
    """The evaluation as plain-text tables (also pasted into the README)."""
    lines = [f"{table['videos']} labelled videos", "", "Angle error (mean absolute, degrees):",
             f"  {'stretch':<26} {'view':<14} {'angle':<16} {'MAE':>6} {'coverage':>9}"]  # fmt: skip
    for row in table["angles"]:
        lines.append(f"  {row['stretch']:<26} {row['view']:<14} {row['angle']:<16} "
                     f"{row['mae_deg']:6.2f} {_cell(row['coverage']):>9}")  # fmt: skip
    lines += ["", "Faults (an event matches a true interval of the same kind and side it overlaps):",
              f"  {'kind':<18} {'true':>5} {'found':>6} {'precision':>10} {'recall':>7}"]  # fmt: skip
    for row in table["faults"]:
        lines.append(f"  {row['kind']:<18} {row['true']:5d} {row['detected']:6d} "
                     f"{_cell(row['precision']):>10} {_cell(row['recall']):>7}")  # fmt: skip
    lines += ["", f"Videos from a view the stretch does not use: {table['other_view_videos']}, "
              f"told to move the camera in {table['other_view_told']} (not scored below)"]  # fmt: skip
    lines += ["", f"Faults reported in {table['good_form_videos']} good-form videos: "
              f"{table['faults_in_good_form_videos']}", "Hold time error per side (s): "
              + ", ".join(f"{side} {error:.2f}" for side, error in table["hold_error_s"].items())]  # fmt: skip
    return "\n".join(lines)
