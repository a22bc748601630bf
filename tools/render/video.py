"""Render one video of a stretch and write `NAME.mp4` with its ground truth `NAME.truth.json`."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

try:  # the package's layout after its refactor, else the one before
    from pose_coach.measure.angles import ANGLE_NAMES
except ImportError:  # pragma: no cover
    from pose_coach.angles import ANGLE_NAMES
from tools.render.body import BODY_PRESETS, Body
from tools.render.camera import (
    VIEW_AZIMUTH_DEG,
    Camera,
    Placement,
    fit_distance,
    fits,
    placed_camera,
    view_camera,
)
from tools.render.choreography import Choreography, FaultSpec
from tools.render.kinematics import Skeleton
from tools.render.raster import Lighting, NormalSolver, shade_mesh
from tools.render.retruth import angles_sha1
from tools.render.scene import LOOKS, Appearance, SensorNoise, room_background
from tools.render.stretches import STRETCHES, HalfKneelingHipFlexor, Mods, Stretch
from tools.render.truth import ANGLES_3D, angles_3d, landmarks_3d, pose_frame, true_angles

TRUTH_FORMAT = 1
BATCH = 32


@dataclass(frozen=True)
class VideoSpec:
    """Everything that defines one rendered video."""

    stretch: str
    view: str = "side"
    body: str = "default"
    look: str = "blue_shirt"
    sides: tuple[str, ...] = ("left", "right")
    hold_s: float = 30.0
    fps: int = 30
    faults: tuple[FaultSpec, ...] = ()
    turn: bool = True
    seed: int = 0
    width: int = 640
    height: int = 480
    crf: int = 27
    # Optional overrides (None: the named preset / the stretch's own framing, as before).
    phenotype: tuple[tuple[str, float], ...] | None = None  # anny shape; `body` is then a label
    appearance: Appearance | None = None  # colours and room; `look` is then a label
    lighting: Lighting | None = None
    placement: Placement | None = None  # a hand-placed camera instead of the view's framing
    hold_target_s: float | None = None  # the hold this video asks for (truth); default hold_s

    def __post_init__(self) -> None:
        checks = [(self.stretch, STRETCHES, "stretch"), (self.view, VIEW_AZIMUTH_DEG, "view")]
        if self.phenotype is None:
            checks.append((self.body, BODY_PRESETS, "body"))
        if self.appearance is None:
            checks.append((self.look, LOOKS, "look"))
        for value, known, what in checks:
            if value not in known:
                raise ValueError(f"unknown {what} {value!r}; known: {', '.join(sorted(known))}")
        if not self.sides or any(s not in ("left", "right") for s in self.sides):
            raise ValueError(f"sides must be left and/or right, got {self.sides!r}")


@dataclass
class Scene:
    """The loaded body, stretch, camera and background of one video (bodies are cached by shape)."""

    spec: VideoSpec
    body: Body
    stretch: Stretch
    camera: Camera
    background: np.ndarray
    colors: np.ndarray
    choreography: Choreography = field(repr=False)


_BODIES: dict[str, Body] = {}


def load_body(key: str, phenotype: dict[str, float] | None = None) -> Body:
    if phenotype is not None:
        key = repr(sorted(phenotype.items()))
        if key not in _BODIES and len(_BODIES) >= 4:  # random shapes: keep a few
            _BODIES.pop(next(iter(_BODIES)))
    if key not in _BODIES:
        _BODIES[key] = Body(BODY_PRESETS[key] if phenotype is None else phenotype)
    return _BODIES[key]


def phenotype_of(spec: VideoSpec) -> dict[str, float]:
    return BODY_PRESETS[spec.body] if spec.phenotype is None else dict(spec.phenotype)


def appearance_of(spec: VideoSpec) -> Appearance:
    return LOOKS[spec.look] if spec.appearance is None else spec.appearance


def azimuth_of(spec: VideoSpec) -> float:
    """The camera's azimuth from the person's forward direction (on the first side)."""
    if spec.placement is not None:
        return spec.placement.azimuth_deg()
    return VIEW_AZIMUTH_DEG[spec.view]


def make_scene(spec: VideoSpec) -> Scene:
    body = load_body(spec.body, None if spec.phenotype is None else phenotype_of(spec))
    stretch = STRETCHES[spec.stretch](Skeleton.from_body(body))
    turn_yaw = 2 * azimuth_of(spec) if spec.turn else 0.0
    choreo = Choreography(
        sides=list(spec.sides),
        hold_s=spec.hold_s,
        turn_yaw_deg=turn_yaw if spec.sides[0] == "left" else -turn_yaw,
        faults=list(spec.faults),
        seed=spec.seed,
        bounce_cm_to_deg=float(np.degrees(0.01 / stretch.L["thigh"])),
        bounce_in_cm=isinstance(stretch, HalfKneelingHipFlexor),
    )
    framing = stretch.framing
    on_left = choreo.done[0] == "left"
    if spec.placement is None:
        camera = view_camera(
            spec.view,
            0.0,
            np.array([0.0, 0.0, framing.target_height_m]),
            framing.distance_m,
            framing.camera_height_m,
            spec.width,
            spec.height,
            on_left=on_left,
        )
    else:
        camera = _placed(spec, body, stretch, choreo, on_left)
    look = appearance_of(spec)
    return Scene(
        spec,
        body,
        stretch,
        camera,
        room_background(camera, look),
        look.vertex_colors(body.vertex_part),
        choreo,
    )


class FramingError(ValueError):
    """No camera distance frames the whole person from this placement."""


def person_points(body: Body, stretch: Stretch, choreo: Choreography, n: int = 48) -> np.ndarray:
    """Room points of the person over the whole video: a vertex subset of `n` poses and more at
    the holds' ends (where the working leg reaches furthest)."""
    times = list(np.linspace(0.0, choreo.duration_s - 1e-3, n))
    for hold in choreo.holds():
        times += [hold.start_s, (hold.start_s + hold.end_s) / 2, hold.end_s - 1e-3]
    states = [choreo.state(t) for t in times]
    posed = body.pose([stretch.pose(s.side, s.amount, s.mods, s.yaw_deg) for s in states])
    return posed.vertices[:, ::23].reshape(-1, 3)


def _placed(spec, body, stretch, choreo, on_left) -> Camera:
    points = person_points(body, stretch, choreo)
    placement = spec.placement
    centre, nearest = fit_distance(
        placement, points, spec.width, spec.height, on_left, far_m=placement.max_distance_m
    )
    distance = placement.distance_m if placement.distance_m is not None else nearest
    if distance is None:
        raise FramingError(f"no distance frames the person from {placement}")
    camera = placed_camera(placement, centre, distance, spec.width, spec.height, on_left)
    if placement.distance_m is not None and not fits(camera, points, placement.margin / 2):
        raise FramingError(f"the person is not framed from {placement}")
    return camera


def angles_of(scene: Scene, side: str, amount: float, mods: Mods) -> dict[str, float]:
    """True angles of one pose seen by the scene's camera (used to size faults)."""
    posed = scene.body.pose([scene.stretch.pose(side, amount, mods)])
    return _truth_frame(scene, posed, 0, 0.0)[1]


def _truth_frame(scene: Scene, posed, i: int, t: float, anatomical: bool = False):
    frame, angles, _ = _truth_frame_3d(scene, posed, i, t, anatomical)
    return frame, angles


def _truth_frame_3d(scene: Scene, posed, i: int, t: float, anatomical: bool = False):
    """The true PoseFrame, its angles (pose_coach's 2D definitions) and the true 3D angles."""
    body = scene.body
    points = landmarks_3d(
        posed.keypoints[i], body.keypoint_labels, posed.joints[i], body.bone_index, anatomical
    )
    frame = pose_frame(points, scene.camera, t)
    return frame, true_angles(frame), angles_3d(points)


def render_video(spec: VideoSpec, out_dir: Path, name: str) -> dict:
    """Render the video and its truth file; returns the truth (without per-frame arrays)."""
    started, started_cpu = time.perf_counter(), time.process_time()
    scene = make_scene(spec)
    choreo = scene.choreography
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n_frames = int(round(choreo.duration_s * spec.fps))
    noise = SensorNoise(
        (spec.height, spec.width, 3), appearance_of(spec).noise_sigma, spec.seed + 1
    )
    normals = NormalSolver(scene.body.faces, len(scene.body.rest_vertices))
    lighting = spec.lighting or Lighting()
    angles = {k: [] for k in ANGLE_NAMES}
    anatomical = {k: [] for k in ANGLE_NAMES}
    true_3d = {k: [] for k in ANGLES_3D}
    true_3d_anatomical = {k: [] for k in ANGLES_3D}
    in_frame = 0
    image_points, world_points = [], []
    container = av.open(str(out_dir / f"{name}.mp4"), mode="w")
    stream = container.add_stream("libx264", rate=spec.fps)
    stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
    stream.time_base = Fraction(1, spec.fps)
    stream.options = {"crf": str(spec.crf), "preset": "medium"}
    for first in range(0, n_frames, BATCH):
        states = [choreo.state(i / spec.fps) for i in range(first, min(first + BATCH, n_frames))]
        poses = [scene.stretch.pose(s.side, s.amount, s.mods, s.yaw_deg) for s in states]
        posed = scene.body.pose(poses)
        for j, state in enumerate(states):
            image = shade_mesh(
                scene.camera,
                posed.vertices[j],
                scene.body.faces,
                scene.colors,
                scene.background,
                normals,
                lighting,
            )
            frame = av.VideoFrame.from_ndarray(noise(image), format="rgb24")
            frame.pts = first + j
            for packet in stream.encode(frame):
                container.mux(packet)
            truth_frame, frame_angles, frame_3d = _truth_frame_3d(scene, posed, j, state.t)
            _, joint_angles, joint_3d = _truth_frame_3d(scene, posed, j, state.t, anatomical=True)
            for k in ANGLE_NAMES:
                angles[k].append(_rounded(frame_angles[k]))
                anatomical[k].append(_rounded(joint_angles[k]))
            for k in ANGLES_3D:
                true_3d[k].append(_rounded(frame_3d[k]))
                true_3d_anatomical[k].append(_rounded(joint_3d[k]))
            uv = truth_frame.image
            in_frame += bool(np.all((uv >= 0) & (uv <= [spec.width, spec.height])))
            image_points.append(np.round(truth_frame.image * 10).astype(int).ravel().tolist())
            world_points.append(np.round(truth_frame.world * 1000).astype(int).ravel().tolist())
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    elapsed = (time.perf_counter() - started, time.process_time() - started_cpu)
    truth = _truth(scene, n_frames, elapsed)
    truth["landmarks_in_frame_fraction"] = round(in_frame / max(n_frames, 1), 4)
    full = truth | {
        "angles": angles,
        "angles_anatomical": anatomical,
        "angles_3d": true_3d,
        "angles_3d_anatomical": true_3d_anatomical,
        "landmarks_image_dpx": image_points,
        "landmarks_world_mm": world_points,
    }
    text = json.dumps(full, separators=(",", ":"))
    (out_dir / f"{name}.truth.json").write_text(text + "\n", encoding="utf-8")
    return truth


def _rounded(value: float) -> float | None:
    return None if np.isnan(value) else round(value, 2)


def _truth(scene: Scene, n_frames: int, elapsed_s: tuple[float, float]) -> dict:
    spec, choreo, camera = scene.spec, scene.choreography, scene.camera
    return {
        "format": TRUTH_FORMAT,
        "stretch": spec.stretch,
        "view": spec.view,
        "body": spec.body,
        "phenotype": phenotype_of(spec),
        "body_bucket": spec.body,
        "look": spec.look,
        "fps": spec.fps,
        "frame_count": n_frames,
        "duration_s": round(n_frames / spec.fps, 3),
        "width": spec.width,
        "height": spec.height,
        "sides": list(spec.sides),
        "holds": [
            {"side": h.side, "start_s": round(h.start_s, 3), "end_s": round(h.end_s, 3)}
            for h in choreo.holds()
        ],
        "faults": choreo.fault_intervals(),
        "phases": [
            {
                "name": p.name,
                "side": p.side,
                "start_s": round(p.start_s, 3),
                "end_s": round(p.end_s, 3),
            }
            for p in choreo.phases
        ],
        "camera": {
            "position_m": np.round(camera.position, 4).tolist(),
            "target_m": np.round(camera.target, 4).tolist(),
            "hfov_deg": camera.hfov_deg,
            "focal_px": round(camera.focal_px, 3),
        },
        "placement": _placement_truth(scene),
        "turn": spec.turn,
        "hold_target_s": spec.hold_s if spec.hold_target_s is None else spec.hold_target_s,
        "render_s": round(elapsed_s[0], 1),
        "render_cpu_s": round(elapsed_s[1], 1),
        "angle_names": list(ANGLE_NAMES),
        "angles_sha1": angles_sha1(),
        "landmarks_note": (
            "per frame, 33 BlazePose landmarks flattened: image x,y in tenths of a pixel; "
            "world x,y,z in millimetres (camera axes, origin between the hips); visibility 1"
        ),
    }


def _placement_truth(scene: Scene) -> dict:
    """Where the camera stands relative to the person (on the first side), in the placement's terms."""
    spec, camera = scene.spec, scene.camera
    forward = camera.target - camera.position
    horizontal = float(np.hypot(forward[0], forward[1]))
    pitch = float(np.degrees(np.arctan2(-forward[2], horizontal)))
    # The camera's horizontal distance from the point it faces (the person's centre).
    p = spec.placement
    if p is not None:
        yaw_off = p.yaw_off_side_deg
        distance = float(np.hypot(*(camera.target - camera.position)[:2]))
    else:
        yaw_off = 90.0 - VIEW_AZIMUTH_DEG[spec.view]
        distance = float(np.hypot(*(camera.target - camera.position)[:2]))
    return {
        "height_m": round(float(camera.position[2]), 3),
        "pitch_deg": round(pitch, 2),
        "yaw_off_side_deg": round(float(yaw_off), 2),
        "view": spec.view,
        "hfov_deg": round(float(camera.hfov_deg), 2),
        "distance_m": round(distance, 3),
        "width": spec.width,
        "height": spec.height,
        "orientation": "portrait" if spec.height > spec.width else "landscape",
        "device": (p.device if p is not None else "") or "default",
    }
