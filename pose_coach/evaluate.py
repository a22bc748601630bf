"""Accuracy against ground truth: every labelled video in a folder is reviewed and compared.

A labelled video is ``NAME.mp4`` beside ``NAME.truth.json`` or ``NAME.truth.json.gz`` (written by
``tools/render``): the true
angles of every frame, the true hold intervals, and the true fault intervals with kind and side.

- Angles: mean absolute error per stretch, view and angle, over frames where both the truth and the
  program have a value (the program gives NaN for landmarks it cannot see; its coverage is reported).
  The program's angles are those the coach reads (``FrameResult.body_angles``): where the pose
  model swapped the legs' labels in a hold, and the coach read the other leg, so does this.
- Faults: per kind, precision (detected events that overlap a true interval of the same kind and
  side) and recall (true intervals overlapped by such an event). ``hold_too_short`` matches by side
  alone: a skipped side has no interval to overlap. Good-form videos must report no fault at all.
  A too-shallow or too-deep fault is also marked past the reference's band or not
  (``past_band``), by the median of its true 3D angles over its interval: a set's fault sizes are
  fixed when it is made, and a reference widened since (to follow the article) may hold the
  smaller ones; recall is given over all of them and over those past the band.
  A side reported not seen (``side_not_seen``: its leg out of sight, turn round) is not a fault of
  form: such sides are counted apart, like the camera moves the coach asks for.
- Holds: per side, the absolute error of the detected hold time against the true one, and whether
  good form was credited for at least ``CREDIT_SHARE`` of a true good-form hold. The hold a video
  asks for is its truth's ``hold_target_s`` (holds may be shorter than the stretch's 30 s).
- Angles against the true 3D joint angle (``angles_3d`` in the truth: hips and knees in the body's
  own sagittal plane), over the frames of the true holds: what a camera placement costs; also over
  the side views alone (up to 30 degrees off the side, ``mae_3d_side_deg``), the placements the
  6-degree aim is for.
- Range of motion (what history and the physiotherapist's report show): per coached hold, its
  median (``rom``) against the median of the working hip's true 3D angle over the same interval,
  in the stretch's measure (``rom_error_deg``). MediaPipe's hip point is not the joint, so part
  of it is a steady offset.
- Faults and holds are scored only on videos taken from a view the stretch can be judged from;
  from another view the right answer is to ask the user to move the camera (``wrong_view``), and
  how often that was said is reported instead.
- Buckets: where the truth names the camera placement and the body (the randomised evaluation
  set), every figure is also given per camera height, pitch, yaw off the side, view, frame
  orientation and body, and by the person's size in the picture (from the truth's landmarks), so
  a failure shows where it lives.

``cache`` (``--cache DIR``): the pose model's detections of each video are kept there, so a change
to measuring or judging is evaluated again in seconds, without running the model.

``live`` (``--live``): each video is coached as the live page coaches a webcam instead of as a
review: every frame through ``live.LiveCoach``, its estimators (``live.live_estimator``: the
search for a small person one window a frame) taking turns, frame by frame. It is the live page on
a machine that keeps up with the camera (none of its frames dropped).

Videos are coached in parallel worker processes (``coach_file`` is a plain function of picklable
inputs); nothing is written.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from pose_coach.coach import CoachingRun, Pace, coach_video
from pose_coach.config import Settings
from pose_coach.events import CAMERA_FAULTS, Fault
from pose_coach.geometry import extent
from pose_coach.input.landmarks import NUM_LANDMARKS, Landmark, PoseFrame
from pose_coach.input.model_files import resolve_model_path
from pose_coach.input.video import iter_frames
from pose_coach.judge.reference import Reference, get_reference
from pose_coach.judge.session import FrameResult
from pose_coach.review import coach_file, pose_detector, video_facts
from pose_coach.rom import measure_for, with_range_of_motion
from pose_coach.terms import ANGLE_NAMES

FAULT_KINDS = tuple(f.value for f in Fault if f not in CAMERA_FAULTS)  # what the truth labels
DEPTH_FAULTS = (Fault.TOO_SHALLOW.value, Fault.TOO_DEEP.value)  # judged against a band
CREDIT_SHARE = 0.8  # a good-form hold is credited when this share of its time counted as good
ANGLES_3D = ("hip_left", "hip_right", "knee_left", "knee_right")
BUCKETS = (
    "height",
    "pitch",
    "yaw",
    "orientation",
    "body",
    "stretch",
    "turn",
    "size",
)  # from the set's manifest, but the size: from the truth's landmarks (``_person_size``)
SIZE_EDGES_PX = (120, 180)  # the person's extent in the picture: small, middle, large


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
    # Sides reported not seen (``Fault.SIDE_NOT_SEEN``: turn round), not scored as faults.
    not_seen: list[str] = field(default_factory=list)
    matched_true: list[bool] = field(default_factory=list)
    matched_detected: list[bool] = field(default_factory=list)
    # Good-form videos: per true hold, whether at least CREDIT_SHARE of it counted as good form.
    holds_credited: list[bool] = field(default_factory=list)
    hold_sides: list[str] = field(default_factory=list)  # the side of each of holds_credited
    # Side -> angle -> errors against the true 3D angle, in that side's true holds.
    errors_3d_by_side: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    # Side -> "near" or "far": whether its working leg was the one nearer the camera, in its true
    # hold (from the truth's world landmarks); empty when the truth has none.
    legs: dict[str, str] = field(default_factory=dict)
    # Side -> per coached hold of it, its range of motion less the true one (degrees).
    rom_errors_by_side: dict[str, list[float]] = field(default_factory=dict)
    # Set on the part of a video kept by ``for_sides``: whether the whole video was good form.
    whole_video_good_form: bool | None = None

    @property
    def good_form(self) -> bool:
        """A good-form video: no fault in its truth."""
        if self.whole_video_good_form is not None:
            return self.whole_video_good_form
        return not self.true_faults

    @property
    def errors_3d(self) -> dict[str, list[float]]:
        """Angle -> errors against the true 3D angle, in all the true holds."""
        merged: dict[str, list[float]] = defaultdict(list)
        for errors in self.errors_3d_by_side.values():
            for angle, values in errors.items():
                merged[angle] += values
        return dict(merged)

    def for_sides(self, sides: set[str]) -> VideoScore:
        """The figures of ``sides`` only: their holds, faults, hold errors and 3D errors."""
        true = [(t, m) for t, m in zip(self.true_faults, self.matched_true, strict=True)
                if t["side"] in sides]  # fmt: skip
        found = [(e, m) for e, m in zip(self.detected, self.matched_detected, strict=True)
                 if e["side"] in sides]  # fmt: skip
        return replace(
            self,
            whole_video_good_form=self.good_form,
            true_faults=[t for t, _ in true],
            matched_true=[m for _, m in true],
            detected=[e for e, _ in found],
            matched_detected=[m for _, m in found],
            hold_error_s={k: v for k, v in self.hold_error_s.items() if k in sides},
            holds_credited=[
                c
                for c, side in zip(self.holds_credited, self.hold_sides, strict=True)
                if side in sides
            ],  # fmt: skip
            hold_sides=[side for side in self.hold_sides if side in sides],
            errors_3d_by_side={k: v for k, v in self.errors_3d_by_side.items() if k in sides},
            rom_errors_by_side={k: v for k, v in self.rom_errors_by_side.items() if k in sides},
            not_seen=[side for side in self.not_seen if side in sides],
        )


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


def load_buckets(folder: Path) -> dict[str, dict[str, str]]:
    """Video name -> its buckets, from the set's ``manifest.json`` (none for other folders)."""
    path = Path(folder) / "manifest.json"
    if not path.exists():
        return {}
    videos = json.loads(path.read_text(encoding="utf-8"))["videos"]
    return {
        f"{v['name']}.mp4": {k: str(v["buckets"][k]) for k in BUCKETS if k in v["buckets"]}
        for v in videos
    }


def _overlaps(event: dict, truth: dict, slack_s: float = 0.5) -> bool:
    if event["kind"] != truth["kind"] or event["side"] != truth["side"]:
        return False
    if truth["kind"] == Fault.HOLD_TOO_SHORT.value:
        return True
    return (
        event["start_s"] <= truth["end_s"] + slack_s
        and event["end_s"] >= truth["start_s"] - slack_s
    )


def _difference(a: float, b: float) -> float:
    """Degrees between two angles, the short way round (-179 and 179 are 2 apart)."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _hold_time(holds: list[dict], side: str) -> float:
    return sum(h["end_s"] - h["start_s"] for h in holds if h["side"] == side)


def _in_true_holds(truth: dict, n: int, side: str | None = None) -> np.ndarray:
    """Which of ``n`` frames are in a true hold (of ``side``, if given)."""
    times = np.arange(n) / truth["fps"]
    inside = np.zeros(n, dtype=bool)
    for hold in truth["holds"]:
        if side is None or hold["side"] == side:
            inside |= (times >= hold["start_s"]) & (times <= hold["end_s"])
    return inside


def _past_band(fault: dict, truth: dict, reference: Reference) -> bool | None:
    """Whether a true too-shallow or too-deep ``fault`` lies past ``reference``'s band that tells
    it: the median of an angle's true 3D values over the fault's interval beyond the band, on the
    side that reports this kind. None for another kind, or without true 3D angles."""
    if fault["kind"] not in DEPTH_FAULTS or "angles_3d" not in truth:
        return None
    start, end = (round(fault[key] * truth["fps"]) for key in ("start_s", "end_s"))
    for angle, check in reference.targets_for(fault["side"]).items():
        values = [
            v
            for v in truth["angles_3d"].get(angle, [])[start : end + 1]
            if v is not None and math.isfinite(v)
        ]
        if not values:
            continue
        deviation = check.deviation(float(np.median(values)))
        bound = check.too_low if deviation < 0 else check.too_high
        if deviation and bound.fault.value == fault["kind"]:
            return True
    return False


def score_run(run: CoachingRun, truth: dict, name: str) -> VideoScore:
    """Compare one coached run with its truth."""
    errors: dict[str, list[float]] = {}
    frames: dict[str, tuple[int, int]] = {}
    measured = [frame.body_angles for frame in run.frames]

    def value(i: int, angle: str) -> float:
        return measured[i][angle] if measured[i] is not None else math.nan

    for angle in ANGLE_NAMES:
        true_values = truth["angles"][angle]
        n = min(len(measured), len(true_values))
        pairs = [(value(i, angle), true_values[i]) for i in range(n) if true_values[i] is not None]
        both = [_difference(m, t) for m, t in pairs if not math.isnan(m)]
        errors[angle] = both
        frames[angle] = (len(both), len(pairs))
    errors_3d: dict[str, dict[str, list[float]]] = {}
    for side in truth["sides"] if "angles_3d" in truth else []:
        held = _in_true_holds(truth, len(measured), side)
        errors_3d[side] = {
            angle: [
                _difference(value(i, angle), true_values[i])
                for i in np.flatnonzero(held[: len(true_values)])
                if true_values[i] is not None and not math.isnan(value(i, angle))
            ]
            for angle in ANGLES_3D
            for true_values in [truth["angles_3d"][angle]]
        }
    detected = [e.to_dict() for e in run.events if e.kind.value in FAULT_KINDS]
    true_faults = [t | {"past_band": _past_band(t, truth, run.reference)} for t in truth["faults"]]
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
        errors_3d_by_side=errors_3d,
        rom_errors_by_side=_rom_errors(run, truth),
    )
    if not true_faults:
        good = run.good_form_s()
        score.holds_credited = [
            good.get(h["side"], 0.0) >= CREDIT_SHARE * (h["end_s"] - h["start_s"])
            for h in truth["holds"]
        ]
        score.hold_sides = [h["side"] for h in truth["holds"]]
    score.legs = _working_legs(truth)
    size = _person_size(truth)
    score.buckets = {"size": size} if size else {}
    score.wrong_view = not run.reference.judged_from(truth["view"])
    score.wrong_view_reported = any(e.kind is Fault.WRONG_VIEW for e in run.events)
    score.not_seen = [e.side for e in run.events if e.kind is Fault.SIDE_NOT_SEEN]
    score.matched_true = [any(_overlaps(e, t) for e in detected) for t in true_faults]
    score.matched_detected = [any(_overlaps(e, t) for t in true_faults) for e in detected]
    return score


def _rom_errors(run: CoachingRun, truth: dict) -> dict[str, list[float]]:
    """Side -> per coached hold with a range of motion, its median less the true one: the median
    of the working hip's true 3D angle over the hold, in the stretch's measure."""
    if "angles_3d" not in truth:
        return {}
    measure, fps = measure_for(run.reference), truth["fps"]
    errors: dict[str, list[float]] = defaultdict(list)
    for hold in with_range_of_motion(run.holds, run.frames, run.reference):
        values = truth["angles_3d"].get(f"hip_{hold.side}", [])
        first, last = math.ceil(hold.start_s * fps), math.floor(hold.end_s * fps)
        true = [measure.of(v) for v in values[first : last + 1] if v is not None]
        if hold.rom_median_deg is not None and true:
            errors[hold.side].append(hold.rom_median_deg - float(np.median(true)))
    return dict(errors)


def _working_legs(truth: dict) -> dict[str, str]:
    """Side -> "near" or "far": its leg's place at the middle of its true hold, from the world
    landmarks' depth (camera axes: z grows away from the camera)."""
    world = truth.get("landmarks_world_mm")
    legs = {}
    for hold in truth["holds"] if world else []:
        i = min(int((hold["start_s"] + hold["end_s"]) / 2 * truth["fps"]), len(world) - 1)
        z_left, z_right = (world[i][3 * hip + 2] for hip in (Landmark.LEFT_HIP, Landmark.RIGHT_HIP))
        near = "left" if z_left < z_right else "right"
        legs[hold["side"]] = "near" if hold["side"] == near else "far"
    return legs


def _person_size(truth: dict) -> str | None:
    """The person's size in the picture: the larger of the true landmarks' width and height at
    the middle of each true hold, in pixels, the median over holds, as a bucket
    (``SIZE_EDGES_PX``); None when the truth has no image landmarks."""
    image = truth.get("landmarks_image_dpx")
    extents = []
    for hold in truth["holds"] if image else []:
        i = min(int((hold["start_s"] + hold["end_s"]) / 2 * truth["fps"]), len(image) - 1)
        extents.append(extent(np.asarray(image[i], dtype=float).reshape(NUM_LANDMARKS, 2) / 10))
    if not extents:
        return None
    size = float(np.median(extents))
    low, high = SIZE_EDGES_PX
    return f"px000_{low}" if size < low else f"px{low}_{high}" if size < high else f"px{high}_up"


def _reference_for(truth: dict):
    """The stretch's reference, asking for the hold the video was made with."""
    reference = get_reference(truth["stretch"])
    target = truth.get("hold_target_s")
    return replace(reference, hold_s=float(target)) if target else reference


# -- detections, cached ---------------------------------------------------------------------------


def _cache_file(video: Path, settings: Settings, cache: Path, live: bool = False) -> Path:
    model = resolve_model_path(settings.model_path)
    stat, model_stat = video.stat(), Path(model).stat()
    key = f"{video.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{model}|{model_stat.st_size}"
    if live:  # every frame, live's estimators taking turns (``detect_live``)
        key += "|live|spread|checked"
    else:  # made with ``pose.ZoomSearch`` and ``pose.TrackCheck`` (``review``)
        key += "|zoom|checked"
        if settings.analysis_fps > 0:
            key += f"|{settings.analysis_fps:g}"
    return cache / f"{video.stem}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.npz"


def detect_all(video: Path, settings: Settings) -> list[tuple[float, PoseFrame | None]]:
    """The pose model's detections of every frame of ``video``, as ``coach_file`` would make them."""
    facts = video_facts(video)
    with pose_detector(None, settings, facts.is_image) as detect:
        pace = Pace(settings.analysis_fps)  # the frames coach_video asks about; None for the rest
        return [(t, detect(rgb, t) if pace.due(t) else None) for rgb, t in iter_frames(video)]


def _save_detections(path: Path, poses: list[tuple[float, PoseFrame | None]]) -> None:
    n = len(poses)
    image, world = np.full((n, NUM_LANDMARKS, 2), np.nan), np.full((n, NUM_LANDMARKS, 3), np.nan)
    visibility, found = np.zeros((n, NUM_LANDMARKS)), np.zeros(n, dtype=bool)
    size = (1, 1)
    for i, (_, pose) in enumerate(poses):
        if pose is not None:
            image[i], world[i], visibility[i], found[i] = (
                pose.image,
                pose.world,
                pose.visibility,
                True,
            )
            size = (pose.width, pose.height)
    times = np.array([t for t, _ in poses])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.npz")
    np.savez_compressed(partial, t=times, image=image, world=world, visibility=visibility,
                        found=found, size=np.array(size))  # fmt: skip
    partial.replace(path)


def _load_detections(path: Path) -> list[tuple[float, PoseFrame | None]]:
    with np.load(path) as stored:
        data = {name: stored[name] for name in stored.files}  # each read decompresses: once
    width, height = (int(v) for v in data["size"])
    poses: list[tuple[float, PoseFrame | None]] = []
    for i, t in enumerate(data["t"]):
        found = data["found"][i]
        image, visibility, world = data["image"][i], data["visibility"][i], data["world"][i]
        pose = PoseFrame(image, visibility, world, float(t), width, height) if found else None
        poses.append((float(t), pose))
    return poses


def detect_live(video: Path, settings: Settings) -> list[tuple[float, PoseFrame | None]]:
    """The poses live coaching finds in every frame of ``video``: ``live.ESTIMATORS`` of its
    estimators taking turns, frame by frame, as ``LiveCoach`` runs them when it keeps up."""
    from pose_coach.live import ESTIMATORS, live_estimator

    estimators = [live_estimator(settings.model_path) for _ in range(ESTIMATORS)]
    try:
        return [(t, estimators[n % ESTIMATORS].detect(rgb, t))
                for n, (rgb, t) in enumerate(iter_frames(video))]  # fmt: skip
    finally:
        for estimator in estimators:
            estimator.close()


def _detections(
    video: Path, settings: Settings, cache: Path | None, live: bool
) -> list[tuple[float, PoseFrame | None]]:
    """The detections of ``video`` a review (or live coaching) makes, from ``cache`` when there
    (detected now, and kept there, when not)."""
    path = None if cache is None else _cache_file(video, settings, cache, live)
    if path is not None and path.exists():
        return _load_detections(path)
    poses = detect_live(video, settings) if live else detect_all(video, settings)
    if path is not None:
        _save_detections(path, poses)
    return poses


def _live_run(video: Path, truth: dict, settings: Settings, cache: Path | None) -> CoachingRun:
    """Coach ``video`` as the live page coaches a webcam: every frame through a ``LiveCoach``
    whose estimators' detections (``detect_live``) are replayed."""
    from pose_coach.live import LiveCoach

    poses = _detections(video, settings, cache, live=True)
    t0 = poses[0][0] if poses else 0.0
    found = {t - t0: pose for t, pose in poses}  # LiveCoach's times start at its first frame
    coach = LiveCoach(_reference_for(truth), settings, tuple(truth["sides"]),
                      estimators=[lambda rgb, t: found[t]])  # fmt: skip
    facts = video_facts(video)
    results: list[FrameResult] = []
    for t, _ in poses:
        coach.process(np.zeros((facts.height, facts.width, 3), np.uint8), t)  # drawn on, as live
        results.extend(coach.drain())
    outcome = coach.finish()
    if outcome is None:
        raise ValueError(f"{video}: no frame to coach")
    return CoachingRun(facts, coach.reference, coach.settings, coach.sides, tuple(results),
                       outcome.summary)  # fmt: skip


def _replayed(video: Path, truth: dict, settings: Settings, cache: Path) -> CoachingRun:
    """Coach ``video`` from its cached detections (detected now, once, if not cached yet)."""
    poses = _detections(video, settings, cache, live=False)
    found = dict(poses)
    blank = np.zeros((1, 1, 3), np.uint8)
    return coach_video(((blank, t) for t, _ in poses), detector=lambda rgb, t: found[t],
                       reference=_reference_for(truth), settings=settings,
                       sides=tuple(truth["sides"]), video=video_facts(video))  # fmt: skip


def score_video(
    video: Path,
    settings: Settings,
    cache: Path | None = None,
    buckets: dict | None = None,
    live: bool = False,
) -> VideoScore:
    """Coach one labelled video (as a review, or as live coaching) and compare it with its
    truth."""
    truth = load_truth(video)
    if live:
        run = _live_run(video, truth, settings, cache)
    elif cache is not None:
        run = _replayed(video, truth, settings, cache)
    else:
        run = coach_file(video, _reference_for(truth), settings, tuple(truth["sides"]))
    score = score_run(run, truth, video.name)
    score.buckets = (buckets or {}) | score.buckets
    return score


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(float(np.mean(values)), 2) if values else None


def _side_3d(scores: list[VideoScore]) -> float | None:
    """The 3D hip and knee error of the side views (up to 30 degrees off the side)."""
    return _mean(
        e for s in scores if s.view == "side" for errors in s.errors_3d.values() for e in errors
    )


def _rom_error(scores: list[VideoScore]) -> float | None:
    """The mean absolute range-of-motion error per coached hold."""
    return _mean(abs(e) for s in scores for errors in s.rom_errors_by_side.values() for e in errors)


def _judgement(scores: list[VideoScore]) -> dict:
    """Hold credit, faults in good form, fault recall and precision, hold error, 3D error."""
    in_view = [s for s in scores if not s.wrong_view]
    credited = [c for s in in_view for c in s.holds_credited]
    true_hits = [m for s in in_view for m in s.matched_true]
    det_hits = [m for s in in_view for m in s.matched_detected]
    clean = [s for s in in_view if s.good_form]
    errors_3d = [e for s in scores for errors in s.errors_3d.values() for e in errors]
    return {
        "videos": len(scores),
        "good_holds": len(credited),
        "good_holds_credited": sum(credited),
        "faults_in_good_form": sum(len(s.detected) for s in clean),
        "fault_recall": _ratio(sum(true_hits), len(true_hits)),
        "fault_precision": _ratio(sum(det_hits), len(det_hits)),
        "hold_error_s": _mean(e for s in in_view for e in s.hold_error_s.values()),
        "mae_3d_deg": _mean(errors_3d),
        "mae_3d_side_deg": _side_3d(scores),
        "rom_error_deg": _rom_error(scores),
        "other_view": len(scores) - len(in_view),
        "sides_not_seen": sum(len(s.not_seen) for s in in_view),
    }


def summarise(scores: list[VideoScore]) -> dict:
    """The evaluation table: angle MAE per stretch/view/angle, fault precision/recall, hold error,
    hold credit and 3D angle error; per bucket where the videos have buckets."""
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
    # Faults and holds are scored on videos from a view the stretch can be judged from; from
    # another view the coach is right to ask for the camera to move instead.
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
        marked = [(t["past_band"], m) for s in in_view
                  for t, m in zip(s.true_faults, s.matched_true, strict=True)
                  if t["kind"] == kind and t.get("past_band") is not None]  # fmt: skip
        if marked:  # a depth fault whose truth has its 3D angles
            past = [m for past_band, m in marked if past_band]
            faults[-1] |= {"past_band": len(past), "recall_past_band": _ratio(sum(past), len(past))}
    clean = [s for s in in_view if s.good_form]
    other_view = [s for s in scores if s.wrong_view]
    hold_errors = defaultdict(list)
    for score in in_view:
        for side, error in score.hold_error_s.items():
            hold_errors[side].append(error)
    angles_3d = [
        {"angle": a, "mae_deg": _mean(e for s in scores for e in s.errors_3d.get(a, []))}
        for a in ANGLES_3D
        if any(s.errors_3d.get(a) for s in scores)
    ]
    buckets = {}
    for dimension in BUCKETS:
        groups: dict[str, list[VideoScore]] = defaultdict(list)
        for score in scores:
            if dimension in score.buckets:
                groups[score.buckets[dimension]].append(score)
        if groups:
            buckets[dimension] = {name: _judgement(group) for name, group in sorted(groups.items())}
    legs: dict[str, list[VideoScore]] = defaultdict(list)
    for score in scores:
        for leg in ("near", "far"):
            sides = {side for side, place in score.legs.items() if place == leg}
            if sides:
                legs[leg].append(score.for_sides(sides))
    if legs:
        buckets["working leg"] = {
            leg: _judgement(legs[leg]) for leg in ("near", "far") if leg in legs
        }
    return {
        "videos": len(scores),
        "angles": angles,
        "angles_3d": angles_3d,
        "mae_3d_side_deg": _side_3d(scores),
        "rom_error_deg": _rom_error(scores),
        "rom_holds": sum(len(e) for s in scores for e in s.rom_errors_by_side.values()),
        "faults": faults,
        "other_view_videos": len(other_view),
        "other_view_told": sum(s.wrong_view_reported for s in other_view),
        "good_form_videos": len(clean),
        "faults_in_good_form_videos": sum(len(s.detected) for s in clean),
        "sides_not_seen": sum(len(s.not_seen) for s in in_view),
        "sides_not_seen_in_good_form_videos": sum(len(s.not_seen) for s in clean),
        "good_holds": len([c for s in in_view for c in s.holds_credited]),
        "good_holds_credited": sum(c for s in in_view for c in s.holds_credited),
        "hold_error_s": {
            side: round(float(np.mean(e)), 2) for side, e in sorted(hold_errors.items())
        },
        "buckets": buckets,
        "per_video": [
            {
                "video": s.name,
                "true": [f"{t['kind']}/{t['side']}" for t in s.true_faults],
                "detected": [
                    f"{e['kind']}/{e['side']}@{e['start_s']:.1f}-{e['end_s']:.1f}"
                    for e in s.detected
                ],
                "credited": s.holds_credited,
                "not_seen": s.not_seen,
                "hold_error_s": {k: round(v, 2) for k, v in s.hold_error_s.items()},
            }  # fmt: skip
            for s in scores
        ],
    }


def evaluate_folder(
    folder: Path,
    settings: Settings | None = None,
    jobs: int = 2,
    progress: Callable[[str], None] | None = None,
    cache: Path | None = None,
    live: bool = False,
) -> dict:
    """Coach every labelled video in ``folder`` (``jobs`` at a time) and summarise the accuracy;
    ``live``: coached as the live page coaches a webcam, not as a review."""
    videos = find_labelled(folder)
    if not videos:
        raise ValueError(f"{folder}: no labelled videos (NAME.mp4 beside NAME.truth.json[.gz])")
    settings = settings or Settings()
    buckets = load_buckets(folder)
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(score_video, video, settings, cache, buckets.get(video.name), live)
                   for video in videos]  # fmt: skip
        scores = []
        for video, future in zip(videos, futures, strict=True):
            scores.append(future.result())
            if progress:
                progress(f"reviewed {video.name}")
    table = summarise(scores)
    table["model"] = {"file": resolve_model_path(settings.model_path).name,
                      "min_visibility": settings.visibility,
                      "analysis_fps": 0 if live else settings.analysis_fps}  # fmt: skip
    if live:
        table["model"]["coached"] = "live"
    return table


def _cell(value: float | None) -> str:
    return (
        "   -"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:4.2f}"
    )


def format_table(table: dict) -> str:
    """The evaluation as plain-text tables (also pasted into the README)."""
    model = table.get("model")
    used = ""
    if model:
        rate = model.get("analysis_fps")
        pace = f"about {rate:g} frames a second analysed" if rate else "every frame analysed"
        if model.get("coached") == "live":
            pace += ", coached as the live page coaches a webcam"
        used = (f", pose model {model['file']} (landmarks used from visibility "
                f"{model['min_visibility']}; {pace})")  # fmt: skip
    lines = [f"{table['videos']} labelled videos{used}", "", "Angle error (mean absolute, degrees):",
             f"  {'stretch':<26} {'view':<14} {'angle':<16} {'MAE':>6} {'coverage':>9}"]  # fmt: skip
    for row in table["angles"]:
        lines.append(f"  {row['stretch']:<26} {row['view']:<14} {row['angle']:<16} "
                     f"{row['mae_deg']:6.2f} {_cell(row['coverage']):>9}")  # fmt: skip
    if table.get("angles_3d"):
        lines += ["", "Against the true 3D joint angle, in the true holds (MAE, degrees): "
                  + ", ".join(f"{r['angle']} {r['mae_deg']:.2f}" for r in table["angles_3d"])]  # fmt: skip
        if table.get("mae_3d_side_deg") is not None:
            lines.append(f"  hips and knees together, side views (up to 30 degrees off the side): "
                         f"{table['mae_3d_side_deg']:.2f}")  # fmt: skip
    if table.get("rom_error_deg") is not None:
        lines.append(f"  range of motion per coached hold against the true working hip's "
                     f"({table['rom_holds']} holds): {table['rom_error_deg']:.2f}")  # fmt: skip
    lines += ["", "Faults (an event matches a true interval of the same kind and side it overlaps):",
              f"  {'kind':<18} {'true':>5} {'found':>6} {'precision':>10} {'recall':>7}"]  # fmt: skip
    for row in table["faults"]:
        lines.append(f"  {row['kind']:<18} {row['true']:5d} {row['detected']:6d} "
                     f"{_cell(row['precision']):>10} {_cell(row['recall']):>7}")  # fmt: skip
    past = [row for row in table["faults"] if row.get("past_band") is not None and row["true"]]
    if past:
        lines.append("  past the band, by the true 3D angle: " + ", ".join(
            f"{row['kind']} {row['past_band']} of {row['true']} (recall "
            f"{_cell(row['recall_past_band']).strip()})" for row in past))  # fmt: skip
    lines += ["", f"Videos from a view the stretch cannot be judged from: "
              f"{table['other_view_videos']}, told to move the camera in "
              f"{table['other_view_told']} (not scored below)"]  # fmt: skip
    lines += ["", f"Faults reported in {table['good_form_videos']} good-form videos: "
              f"{table['faults_in_good_form_videos']}",
              f"Sides the camera could not see, told to turn round (not faults): "
              f"{table['sides_not_seen']}, {table['sides_not_seen_in_good_form_videos']}"
              f" of them in good-form videos",
              f"Good-form holds credited with at least {CREDIT_SHARE:.0%} of their time: "
              f"{table['good_holds_credited']} of {table['good_holds']}",
              "Hold time error per side (s): "
              + ", ".join(f"{side} {error:.2f}" for side, error in table["hold_error_s"].items())]  # fmt: skip
    for dimension, groups in table.get("buckets", {}).items():
        lines += ["", f"By {dimension}:", f"  {'':<16} {'videos':>6} {'credited':>9} "
                  f"{'good-form faults':>16} {'recall':>7} {'precision':>9} {'hold err s':>10} "
                  f"{'3D MAE':>7} {'3D side':>7} {'ROM err':>7} {'not seen':>8}"]  # fmt: skip
        for name, row in groups.items():
            credit = f"{row['good_holds_credited']}/{row['good_holds']}"
            lines.append(f"  {name:<16} {row['videos']:6d} {credit:>9} "
                         f"{row['faults_in_good_form']:16d} {_cell(row['fault_recall']):>7} "
                         f"{_cell(row['fault_precision']):>9} {_cell(row['hold_error_s']):>10} "
                         f"{_cell(row['mae_3d_deg']):>7} {_cell(row.get('mae_3d_side_deg')):>7} "
                         f"{_cell(row.get('rom_error_deg')):>7} {row['sides_not_seen']:8d}")  # fmt: skip
    return "\n".join(lines)
