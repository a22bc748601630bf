"""From world directions of body segments to anny bone rotations, and back to joint positions.

A pose is built for the LEFT working side as the world directions of its segments (thigh, shin,
foot, upper arm, forearm, hand) plus rotations of the pelvis and spine; `mirror` turns it into
the right-side pose, so left and right come from one definition.

All rotations here are deltas from the rest pose in the room frame (Z up, -Y the body's front,
+X its left). anny's local-ref parameterisation composes them as world = parent_world @ local.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.render.body import Body, BodyPose

X, Y, Z = np.eye(3)
SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")
# segment -> (bone carrying it, joint at its far end, parent segment or None for the pelvis).
SEGMENTS: dict[str, tuple[str, str, str | None]] = {}
for _s in ("L", "R"):
    SEGMENTS |= {
        f"thigh.{_s}": (f"upperleg01.{_s}", f"lowerleg01.{_s}", None),
        f"shin.{_s}": (f"lowerleg01.{_s}", f"foot.{_s}", f"thigh.{_s}"),
        f"foot.{_s}": (f"foot.{_s}", f"toe3-1.{_s}", f"shin.{_s}"),
        f"upperarm.{_s}": (f"upperarm01.{_s}", f"lowerarm01.{_s}", "chest"),
        f"forearm.{_s}": (f"lowerarm01.{_s}", f"wrist.{_s}", f"upperarm.{_s}"),
        f"hand.{_s}": (f"wrist.{_s}", f"finger3-1.{_s}", f"forearm.{_s}"),
    }


def unit(v: np.ndarray) -> np.ndarray:
    return np.asarray(v, dtype=float) / np.linalg.norm(v)


def axis_angle(axis: np.ndarray, deg: float) -> np.ndarray:
    """Rotation by `deg` degrees about `axis` (right-hand rule)."""
    a = unit(axis)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    t = np.radians(deg)
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * (k @ k)


def frame(direction: np.ndarray, hint: np.ndarray) -> np.ndarray:
    """Orthonormal frame (columns): the direction, the hint made perpendicular to it, their cross."""
    d = unit(direction)
    h = unit(hint - (hint @ d) * d)
    return np.stack([d, h, np.cross(d, h)], axis=1)


@dataclass(frozen=True)
class Skeleton:
    """Rest joint positions (relative to the pelvis) and rest frames of one body shape."""

    joints: dict[str, np.ndarray]
    rest_frames: dict[str, np.ndarray]
    vertices: np.ndarray  # rest mesh, relative to the pelvis

    @classmethod
    def from_body(cls, body: Body) -> Skeleton:
        root = body.rest_joints["root"]
        joints = {name: p - root for name, p in body.rest_joints.items()}
        frames = {}
        for seg, (bone, end, _) in SEGMENTS.items():
            frames[seg] = frame(joints[end] - joints[bone], _rest_hint(seg, joints))
        return cls(joints, frames, body.rest_vertices - root)

    def surface(self, joint: str, direction: np.ndarray, radius: float = 0.07) -> float:
        """How far the skin reaches from a joint in a direction (rest mesh, within `radius`)."""
        near = np.linalg.norm(self.vertices - self.joints[joint], axis=1) < radius
        return float(((self.vertices[near] - self.joints[joint]) @ unit(direction)).max())

    def length(self, seg: str) -> float:
        bone, end, _ = SEGMENTS[seg]
        return float(np.linalg.norm(self.joints[end] - self.joints[bone]))

    def offset(self, a: str, b: str) -> np.ndarray:
        """Rest vector from joint a to joint b."""
        return self.joints[b] - self.joints[a]


def _rest_hint(seg: str, joints: dict[str, np.ndarray]) -> np.ndarray:
    """The second axis of each rest frame: the hinge axis for limbs, the top for feet and hands."""
    side = seg[-1]
    if seg.startswith(("thigh", "shin")):
        return X  # the knee's hinge: flexion turns the shin about +X (backwards)
    if seg.startswith("foot"):
        return Z  # top of the foot
    if seg.startswith(("upperarm", "forearm")):
        s, e, w = (joints[f"{b}.{side}"] for b in ("upperarm01", "lowerarm01", "wrist"))
        return np.cross(e - s, w - e)  # the elbow's hinge: flexion turns the forearm about it
    lateral = X if side == "L" else -X
    return lateral  # back of the hand faces outwards in the A-pose


@dataclass
class PoseSpec:
    """A pose as world rotations: pelvis, spine (local, relative to the pelvis) and segments.

    segments: segment name -> (direction, hint) in the room; segments not named follow their parent.
    """

    pelvis: np.ndarray
    spine: dict[str, np.ndarray]
    segments: dict[str, tuple[np.ndarray, np.ndarray]]
    head: dict[str, np.ndarray]
    position: tuple[float, float] = (0.0, 0.0)


def world_rotations(spec: PoseSpec, skeleton: Skeleton) -> dict[str, np.ndarray]:
    """World (delta-from-rest) rotation of the pelvis, chest and every segment."""
    rot = {"pelvis": spec.pelvis}
    chest = spec.pelvis
    for bone in SPINE:
        chest = chest @ spec.spine.get(bone, np.eye(3))
    rot["chest"] = chest
    for seg, (_, _, parent) in SEGMENTS.items():
        if seg in spec.segments:
            direction, hint = spec.segments[seg]
            rot[seg] = frame(direction, hint) @ skeleton.rest_frames[seg].T
        else:
            rot[seg] = rot[parent or "pelvis"]
    return rot


def to_body_pose(spec: PoseSpec, skeleton: Skeleton) -> BodyPose:
    """anny bone rotations (local-ref) for a PoseSpec."""
    rot = world_rotations(spec, skeleton)
    bones = dict(spec.spine) | dict(spec.head)
    for seg, (bone, _, parent) in SEGMENTS.items():
        bones[bone] = rot[parent or "pelvis"].T @ rot[seg]
    return BodyPose(root=spec.pelvis, bones=bones, position=spec.position)


def joint_positions(spec: PoseSpec, skeleton: Skeleton) -> dict[str, np.ndarray]:
    """Posed joint positions relative to the pelvis (hip, knee, ankle, toe, shoulder, elbow, wrist)."""
    rot = world_rotations(spec, skeleton)
    j = skeleton.joints
    # Walk up the spine: each vertebra's joint moves with the rotation of the one below.
    chest, turn = j[SPINE[0]].copy(), spec.pelvis
    for lower, upper in zip(SPINE[:-1], SPINE[1:], strict=True):
        turn = turn @ spec.spine.get(lower, np.eye(3))
        chest = chest + turn @ skeleton.offset(lower, upper)
    out = {"chest": chest}
    for s in ("L", "R"):
        hip = rot["pelvis"] @ j[f"upperleg01.{s}"]
        knee = hip + rot[f"thigh.{s}"] @ skeleton.offset(f"upperleg01.{s}", f"lowerleg01.{s}")
        ankle = knee + rot[f"shin.{s}"] @ skeleton.offset(f"lowerleg01.{s}", f"foot.{s}")
        toe = ankle + rot[f"foot.{s}"] @ skeleton.offset(f"foot.{s}", f"toe3-1.{s}")
        shoulder = chest + rot["chest"] @ skeleton.offset("spine01", f"upperarm01.{s}")
        elbow = shoulder + rot[f"upperarm.{s}"] @ skeleton.offset(
            f"upperarm01.{s}", f"lowerarm01.{s}"
        )
        wrist = elbow + rot[f"forearm.{s}"] @ skeleton.offset(f"lowerarm01.{s}", f"wrist.{s}")
        out |= {f"hip.{s}": hip, f"knee.{s}": knee, f"ankle.{s}": ankle, f"toe.{s}": toe}
        out |= {f"shoulder.{s}": shoulder, f"elbow.{s}": elbow, f"wrist.{s}": wrist}
    return out


_MIRROR = np.diag([-1.0, 1.0, 1.0])


def mirror(pose: BodyPose) -> BodyPose:
    """The same pose reflected through the body's mid-plane: left and right swap."""

    def swap(name: str) -> str:
        if name.endswith(".L"):
            return name[:-2] + ".R"
        if name.endswith(".R"):
            return name[:-2] + ".L"
        return name

    bones = {swap(name): _MIRROR @ r @ _MIRROR for name, r in pose.bones.items()}
    x, y = pose.position
    return BodyPose(root=_MIRROR @ pose.root @ _MIRROR, bones=bones, position=(-x, y))
