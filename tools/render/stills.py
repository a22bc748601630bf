"""Render the three test stills: `python -m tools.render.stills tests/data/`.

person_standing_side.png (standing, arms relaxed), person_kneeling_side.png (all fours, left leg
extended back, right arm forward) and person_lying_side.png (on the back, left leg lifted with hip
and knee at 90 degrees), 640x480, each with a `.truth.json` of its true landmarks and angles.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from tools.render.body import BODY_PRESETS, Body, BodyPose
from tools.render.camera import view_camera
from tools.render.kinematics import Skeleton, X, to_body_pose
from tools.render.raster import shade_mesh
from tools.render.scene import LOOKS, SensorNoise, room_background
from tools.render.stretches import (
    KneelingPsoas,
    LyingPsoas,
    Mods,
    StandingPsoas,
    Stretch,
    arm,
    sag,
)
from tools.render.truth import landmarks_3d, pose_frame, true_angles


def relaxed_standing(stretch: StandingPsoas) -> BodyPose:
    """Standing straight with the arms hanging relaxed."""
    spec = stretch.spec(0.0, Mods())
    for side, lateral in (("L", 0.1), ("R", -0.1)):
        for part, value in arm(sag(4.0, lateral), -X, 12.0).items():
            spec.segments[f"{part}.{side}"] = value
    return to_body_pose(spec, stretch.sk)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    body = Body(BODY_PRESETS["default"])
    skeleton = Skeleton.from_body(body)
    look = LOOKS["blue_shirt"]
    colors = look.vertex_colors(body.vertex_part)
    standing, kneeling, lying = (
        StandingPsoas(skeleton),
        KneelingPsoas(skeleton),
        LyingPsoas(skeleton),
    )
    shots: dict[str, tuple[BodyPose, Stretch]] = {
        "person_standing_side": (relaxed_standing(standing), standing),
        "person_kneeling_side": (kneeling.pose("left", 1.0, Mods()), kneeling),
        "person_lying_side": (lying.pose("left", 1.0, Mods()), lying),
    }
    posed = body.pose([pose for pose, _ in shots.values()])
    for i, (name, (_, stretch)) in enumerate(shots.items()):
        framing = stretch.framing
        camera = view_camera(
            "side",
            0.0,
            np.array([0.0, 0.0, framing.target_height_m]),
            framing.distance_m,
            framing.camera_height_m,
        )
        image = shade_mesh(
            camera, posed.vertices[i], body.faces, colors, room_background(camera, look)
        )
        pixels = SensorNoise(image.shape, look.noise_sigma, i, bank=1)(image)
        Image.fromarray(pixels).save(args.out / f"{name}.png")
        points = landmarks_3d(
            posed.keypoints[i], body.keypoint_labels, posed.joints[i], body.bone_index
        )
        frame = pose_frame(points, camera, 0.0)
        truth = {
            "view": "side",
            "angles": {k: round(v, 2) for k, v in true_angles(frame).items()},
            "image": np.round(frame.image, 1).tolist(),
            "world": np.round(frame.world, 3).tolist(),
        }
        (args.out / f"{name}.truth.json").write_text(json.dumps(truth) + "\n", encoding="utf-8")
        print(name, truth["angles"])


if __name__ == "__main__":
    main()
