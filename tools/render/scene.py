"""The room and the person's colours: floor, back wall, clothing, skin; sensor noise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.render.body import PART_NAMES
from tools.render.camera import Camera

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Appearance:
    """Colours (RGB 0..255) of the person and the room."""

    shirt: RGB = (52, 96, 160)
    trousers: RGB = (45, 45, 52)
    socks: RGB = (225, 225, 220)
    skin: RGB = (214, 168, 140)
    hair: RGB = (60, 42, 30)
    eyes: RGB = (40, 30, 25)
    floor: RGB = (150, 112, 78)
    wall: RGB = (222, 218, 205)
    wall_distance_m: float = 1.6  # behind the view target, along the view
    noise_sigma: float = 1.6  # grey levels of per-frame sensor noise
    floor_style: str = "planks"  # planks | carpet | tiles
    plank_m: float = 0.14  # plank width, or tile size
    room_light: float = 1.0  # brightness of the room (floor and wall)

    def vertex_colors(self, vertex_part: np.ndarray) -> np.ndarray:
        """(V, 3) float colours from each vertex's clothing part."""
        table = np.array([getattr(self, name) for name in PART_NAMES], dtype=float)
        return table[vertex_part]


# Named colour sets selectable from the command line (--look).
LOOKS: dict[str, Appearance] = {
    "blue_shirt": Appearance(),
    "red_top": Appearance(
        shirt=(170, 50, 55),
        trousers=(30, 35, 70),
        socks=(40, 40, 40),
        skin=(180, 130, 100),
        hair=(25, 20, 18),
        floor=(120, 120, 125),
        wall=(200, 210, 222),
    ),
    "green_top": Appearance(
        shirt=(70, 130, 80),
        trousers=(110, 110, 115),
        socks=(240, 240, 240),
        skin=(120, 84, 62),
        hair=(20, 16, 14),
        floor=(185, 160, 120),
        wall=(235, 232, 225),
    ),
}


def room_background(camera: Camera, look: Appearance) -> np.ndarray:
    """Floor (z = 0, wooden planks) and a back wall with a skirting board, as seen by `camera`.

    Returns (H, W, 3) uint8, computed once per video by casting one ray per pixel.
    """
    rays = camera.pixel_rays()
    origin = camera.position
    view = camera.target - origin
    view[2] = 0.0
    view /= np.linalg.norm(view)
    wall_point = camera.target + look.wall_distance_m * view
    # Distance along each ray to the wall (a vertical plane facing the camera) and to the floor.
    to_wall = np.where(
        rays @ view > 1e-6, ((wall_point - origin) @ view) / np.maximum(rays @ view, 1e-6), np.inf
    )
    to_floor = np.where(rays[..., 2] < -1e-6, origin[2] / np.maximum(-rays[..., 2], 1e-6), np.inf)
    floor_hit = to_floor < to_wall
    hit = origin + rays * np.minimum(to_floor, to_wall)[..., None]
    image = np.empty(rays.shape, dtype=float)
    # Floor: planks 14 cm wide running along the view, each slightly different, with seams.
    along = hit @ view
    across = hit @ np.array([view[1], -view[0], 0.0])
    falloff = 1.0 / (1.0 + 0.04 * np.maximum(to_floor - 2.0, 0.0))
    if look.floor_style == "planks":
        w = look.plank_m
        plank = np.floor(across / w)
        rng = np.random.default_rng(7)
        tone = 1.0 + 0.06 * rng.standard_normal(512)[(plank.astype(np.int64) % 512)]
        grain = 1.0 + 0.025 * np.sin(along * 37.0 + plank * 1.7)
        seam = np.where(np.abs(across / w - np.round(across / w)) < 0.03, 0.8, 1.0)
        pattern = tone * grain * seam
    elif look.floor_style == "carpet":  # a fine mottled weave
        pattern = 1.0 + 0.04 * np.sin(along * 211.0) * np.sin(across * 197.0)
        pattern = pattern + 0.03 * np.sin(along * 23.0 + 2.1 * np.sin(across * 11.0))
    elif look.floor_style == "tiles":  # square tiles with grout lines
        w = look.plank_m
        ia, ib = np.floor(along / w), np.floor(across / w)
        rng = np.random.default_rng(11)
        tone = 1.0 + 0.035 * rng.standard_normal(997)[((ia * 31 + ib).astype(np.int64) % 997)]
        grout = (np.abs(along / w - np.round(along / w)) < 0.025) | (
            np.abs(across / w - np.round(across / w)) < 0.025
        )
        pattern = tone * np.where(grout, 0.75, 1.0)
    else:
        raise ValueError(f"unknown floor style {look.floor_style!r}")
    floor = np.asarray(look.floor, dtype=float) * (pattern * falloff * look.room_light)[..., None]
    # Wall: lit from above, with a 9 cm white skirting board.
    height = hit[..., 2]
    wall_light = (0.9 + 0.08 * np.clip(height / 2.0, 0.0, 1.0)) * look.room_light
    wall = np.asarray(look.wall, dtype=float) * wall_light[..., None]
    skirting = np.where(height < 0.09, 1.0, 0.0)[..., None]
    wall = wall * (1 - skirting) + np.array([235.0, 235.0, 232.0]) * skirting * 0.95
    image = np.where(floor_hit[..., None], floor, wall)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


class SensorNoise:
    """Gaussian sensor noise: a bank of precomputed noise images, one drawn at random per frame."""

    def __init__(self, shape: tuple[int, ...], sigma: float, seed: int, bank: int = 16) -> None:
        self.rng = np.random.default_rng(seed)
        noise = self.rng.normal(0.0, sigma, (bank, *shape)) if sigma > 0 else np.zeros((1, *shape))
        self.bank = np.round(noise).astype(np.int16)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        noise = self.bank[self.rng.integers(len(self.bank))]
        return np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
