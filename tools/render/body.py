"""The anny body model: joint angles in, posed mesh, joints and keypoints out.

Anny axes: Z up, -Y the body's front, +X the body's LEFT, metres, pelvis at the origin.
Bone rotations use anny's default "local-ref" parameterisation: each rotation is about
world-aligned axes of the rest pose and is carried along by the bone's parent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

# Phenotypes (anny's six shape parameters, each in [0, 1]) selectable with --body.
BODY_PRESETS: dict[str, dict[str, float]] = {
    "default": {
        "gender": 0.5,
        "age": 0.5,
        "muscle": 0.5,
        "weight": 0.5,
        "height": 0.5,
        "proportions": 0.5,
    },
    "slim_woman": {
        "gender": 0.0,
        "age": 0.45,
        "muscle": 0.4,
        "weight": 0.35,
        "height": 0.45,
        "proportions": 0.6,
    },
    "heavy_man": {
        "gender": 1.0,
        "age": 0.65,
        "muscle": 0.55,
        "weight": 0.85,
        "height": 0.6,
        "proportions": 0.4,
    },
}

# Clothing parts, painted per vertex from the vertex's dominant bone.
SKIN, SHIRT, TROUSERS, SOCKS, HAIR, EYES = range(6)
PART_NAMES = ("skin", "shirt", "trousers", "socks", "hair", "eyes")


def _part_of_bone(name: str) -> int:
    if name.startswith(("spine", "clavicle", "shoulder01", "upperarm", "lowerarm01")):
        return SHIRT
    if name.startswith(("root", "pelvis", "upperleg", "lowerleg")):
        return TROUSERS
    if name.startswith(("foot", "toe")):
        return SOCKS
    if name.startswith("eye"):
        return EYES
    return SKIN


def rotation(x_deg: float = 0.0, y_deg: float = 0.0, z_deg: float = 0.0) -> np.ndarray:
    """Rotation applying z first, then y, then x, about fixed axes: Rx @ Ry @ Rz."""
    ax, ay, az = np.radians([x_deg, y_deg, z_deg])
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rx @ ry @ rz


@dataclass(frozen=True)
class BodyPose:
    """One pose: bone rotations and where the pelvis stands in the room.

    root: (3, 3) rotation of the whole body (the root bone) in the room.
    bones: bone name -> (3, 3) local rotation in anny's local-ref parameterisation (about
        rest-pose axes, carried along by the parent). Bones not named keep their rest rotation.
    position: (x, y) of the pelvis in the room. The lowest vertex always rests on the floor (z = 0).
    """

    root: np.ndarray = field(default_factory=lambda: np.eye(3))
    bones: dict[str, np.ndarray] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class PosedBatch:
    """Posed bodies placed in the room (Z up, floor at z = 0), one row per pose."""

    vertices: np.ndarray  # (B, V, 3)
    joints: np.ndarray  # (B, n_bones, 3) bone head positions
    keypoints: np.ndarray  # (B, 23, 3) anny's COCO-style keypoints


_MODEL = None


def _anny_model():
    """One anny model per process: the shape is a per-call input, so every Body shares it."""
    global _MODEL
    if _MODEL is None:
        import anny

        _MODEL = anny.Anny()
    return _MODEL


class Body:
    """An anny body of one shape. Loading takes about 45 s the first time, 0.4 s afterwards."""

    def __init__(self, phenotype: dict[str, float]) -> None:
        os.environ.setdefault("ANNY_CACHE_DIR", "/work/.anny_cache")
        import anny
        import torch

        torch.set_num_threads(1)  # batched poses are small; more threads only contend
        self._torch = torch
        self.model = _anny_model()
        self.phenotype = dict(phenotype)
        self.bone_labels: list[str] = list(self.model.bone_labels)
        self.bone_index = {name: i for i, name in enumerate(self.bone_labels)}
        self.faces = self.model.faces.numpy().astype(np.int64)
        self.keypoint_regressor = anny.KeypointsRegressor.coco(self.model)
        self.keypoint_labels: list[str] = list(self.keypoint_regressor.labels)
        weights = self.model.vertex_bone_weights.numpy()
        indices = self.model.vertex_bone_indices.numpy()
        dominant = indices[np.arange(len(indices)), weights.argmax(1)]
        self.vertex_part = np.array([_part_of_bone(self.bone_labels[b]) for b in dominant])
        rest = self.pose([BodyPose()])
        self.rest_joints = {name: rest.joints[0, i] for i, name in enumerate(self.bone_labels)}
        self.rest_vertices = rest.vertices[0]
        self._paint_waist(rest.vertices[0])
        self._paint_hair(rest.vertices[0])

    def _paint_waist(self, rest: np.ndarray) -> None:
        """A straight waistline: trunk below it is trousers, legs above it (the hips) shirt."""
        waist = self.rest_joints["root"][2] + 0.07
        trunk = np.isin(self.vertex_part, (SHIRT, TROUSERS)) & (np.abs(rest[:, 0]) < 0.22)
        below = trunk & (rest[:, 2] < waist) & (self.vertex_part == SHIRT)
        above = trunk & (rest[:, 2] >= waist) & (self.vertex_part == TROUSERS)
        self.vertex_part = np.where(below, TROUSERS, np.where(above, SHIRT, self.vertex_part))

    def _paint_hair(self, rest: np.ndarray) -> None:
        """Short hair: the back and top of the head, above the ears."""
        head = self.vertex_part == SKIN
        top = rest[:, 2] > rest[:, 2].max() - 0.16
        back_or_top = (rest[:, 1] > rest[top, 1].min() + 0.09) | (
            rest[:, 2] > rest[:, 2].max() - 0.07
        )
        self.vertex_part = np.where(head & top & back_or_top, HAIR, self.vertex_part)

    def pose(self, poses: list[BodyPose], batch: int = 32) -> PosedBatch:
        """Pose and place a list of poses, `batch` at a time."""
        parts = [self._pose_batch(poses[i : i + batch]) for i in range(0, len(poses), batch)]
        return PosedBatch(*(np.concatenate(arrays) for arrays in zip(*parts, strict=True)))

    def _pose_batch(self, poses: list[BodyPose]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        torch = self._torch
        names = sorted({name for pose in poses for name in pose.bones} | {"root"})
        params = {}
        for name in names:
            if name not in self.bone_index:
                raise ValueError(f"unknown bone {name!r}")
            mats = np.tile(np.eye(4), (len(poses), 1, 1))
            for i, pose in enumerate(poses):
                mats[i, :3, :3] = pose.root if name == "root" else pose.bones.get(name, np.eye(3))
            params[name] = torch.as_tensor(mats, dtype=self.model.dtype)
        with torch.no_grad():
            out = self.model(pose_parameters=params, phenotype_kwargs=self.phenotype)
            keypoints = self.keypoint_regressor(out).numpy()
        vertices = out["vertices"].numpy()
        joints = out["bone_poses"][:, :, :3, 3].numpy()
        offsets = np.zeros((len(poses), 1, 3))
        for i, pose in enumerate(poses):
            offsets[i, 0, :2] = pose.position
            offsets[i, 0, 2] = -vertices[i, :, 2].min()
        return vertices + offsets, joints + offsets, keypoints + offsets
