"""A vectorised numpy z-buffer rasteriser with Lambert + ambient shading.

Triangles are grouped by bounding-box size; each group tests a k x k grid of pixel centres
per triangle at once (edge functions), and the nearest fragment per pixel wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.render.camera import Camera


@dataclass(frozen=True)
class Fragments:
    """The visible fragment of every covered pixel."""

    pixel: np.ndarray  # (N,) flat pixel index y * width + x
    triangle: np.ndarray  # (N,) triangle index
    bary: np.ndarray  # (N, 3) screen-space barycentric weights
    depth: np.ndarray  # (N,) distance along the view


def rasterize(
    uv: np.ndarray, depth: np.ndarray, faces: np.ndarray, width: int, height: int
) -> Fragments:
    """Nearest visible fragment per pixel for a mesh whose front faces wind counter-clockwise.

    uv: (V, 2) pixel coordinates; depth: (V,) camera depth; faces: (F, 3) vertex indices.
    """
    u, v = uv[:, 0], uv[:, 1]
    x0, x1, x2 = u[faces[:, 0]], u[faces[:, 1]], u[faces[:, 2]]
    y0, y1, y2 = v[faces[:, 0]], v[faces[:, 1]], v[faces[:, 2]]
    area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    xmin = np.maximum(np.ceil(np.minimum(np.minimum(x0, x1), x2) - 0.5), 0).astype(np.int64)
    xmax = np.minimum(np.floor(np.maximum(np.maximum(x0, x1), x2) - 0.5), width - 1).astype(
        np.int64
    )
    ymin = np.maximum(np.ceil(np.minimum(np.minimum(y0, y1), y2) - 0.5), 0).astype(np.int64)
    ymax = np.minimum(np.floor(np.maximum(np.maximum(y0, y1), y2) - 0.5), height - 1).astype(
        np.int64
    )
    bw, bh = xmax - xmin + 1, ymax - ymin + 1
    near = np.minimum(np.minimum(depth[faces[:, 0]], depth[faces[:, 1]]), depth[faces[:, 2]])
    # With y pointing down, an outward (counter-clockwise in the room) face has negative area.
    keep = np.flatnonzero((area < -1e-9) & (near > 0.05) & (bw > 0) & (bh > 0))
    tri = np.stack([np.stack([x0, y0], 1), np.stack([x1, y1], 1), np.stack([x2, y2], 1)], 1)[keep]
    area, xmin, ymin, bw, bh = area[keep], xmin[keep], ymin[keep], bw[keep], bh[keep]
    size = np.maximum(bw, bh)
    pieces = []
    k = 1
    while k // 2 < size.max(initial=0):
        sel = np.flatnonzero((size <= k) & (size > k // 2))
        if sel.size:
            pieces.append(_cover(sel, k, tri, area, xmin, ymin, bw, bh, width))
        k *= 2
    if not pieces:
        empty = np.zeros(0, dtype=np.int64)
        return Fragments(empty, empty, np.zeros((0, 3)), np.zeros(0))
    pixel, local, bary = (np.concatenate(p) for p in zip(*pieces, strict=True))
    triangle = keep[local]
    frag_depth = (bary * depth[faces[triangle]]).sum(1)
    # Write far to near: with repeated pixels the last write (the nearest fragment) stays.
    order = np.argsort(-frag_depth, kind="stable")
    winner = np.full(width * height, -1, dtype=np.int64)
    winner[pixel[order]] = order
    win = winner[winner >= 0]
    return Fragments(pixel[win], triangle[win], bary[win], frag_depth[win])


def _cover(sel, k, tri, area, xmin, ymin, bw, bh, width):
    """Pixel centres inside triangles `sel`, whose bounding boxes fit in k x k."""
    oy, ox = np.divmod(np.arange(k * k), k)
    px = xmin[sel, None] + ox[None]
    py = ymin[sel, None] + oy[None]
    cx, cy = px + 0.5, py + 0.5
    t = tri[sel]
    inv = 1.0 / area[sel, None]
    ax, ay, bx, by = t[:, 0, 0, None], t[:, 0, 1, None], t[:, 1, 0, None], t[:, 1, 1, None]
    qx, qy = t[:, 2, 0, None], t[:, 2, 1, None]
    w0 = ((qx - bx) * (cy - by) - (qy - by) * (cx - bx)) * inv
    w1 = ((ax - qx) * (cy - qy) - (ay - qy) * (cx - qx)) * inv
    w2 = 1.0 - w0 - w1
    inside = (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
    if k > 1:
        inside &= (ox[None] < bw[sel, None]) & (oy[None] < bh[sel, None])
    rows, cols = np.nonzero(inside)
    pixel = py[rows, cols] * width + px[rows, cols]
    bary = np.stack([w0[rows, cols], w1[rows, cols], w2[rows, cols]], axis=1)
    return pixel, sel[rows], bary


class NormalSolver:
    """Area-weighted unit vertex normals of one mesh topology, as a sparse sum over faces."""

    def __init__(self, faces: np.ndarray, n_vertices: int) -> None:
        from scipy.sparse import csr_matrix

        rows = faces.T.ravel()
        cols = np.tile(np.arange(len(faces)), 3)
        self.faces = faces
        self.incidence = csr_matrix(
            (np.ones(rows.size), (rows, cols)), shape=(n_vertices, len(faces))
        )

    def __call__(self, vertices: np.ndarray) -> np.ndarray:
        v = vertices[self.faces]
        fn = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
        normals = self.incidence @ fn
        return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class Lighting:
    """A key light from above, a fill light from the camera side, and ambient light."""

    key_direction: tuple[float, float, float] = (0.35, -0.45, 0.82)  # towards the light
    key: float = 0.62
    fill: float = 0.25
    ambient: float = 0.3


def shade_mesh(
    camera: Camera,
    vertices: np.ndarray,
    faces: np.ndarray,
    vertex_colors: np.ndarray,
    background: np.ndarray,
    normals: NormalSolver | None = None,
    lighting: Lighting = Lighting(),
) -> np.ndarray:
    """Draw the mesh over `background` (H, W, 3 uint8); returns a new uint8 image.

    normals: a NormalSolver for these faces (built once per mesh; made here if not given).
    """
    uv, depth = camera.project(vertices)
    frags = rasterize(uv, depth, faces, camera.width, camera.height)
    corners = faces[frags.triangle]
    normals = (normals or NormalSolver(faces, len(vertices)))(vertices)
    n = (normals[corners] * frags.bary[:, :, None]).sum(1)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    color = (vertex_colors[corners] * frags.bary[:, :, None]).sum(1)
    key = np.asarray(lighting.key_direction, dtype=float)
    key /= np.linalg.norm(key)
    to_camera = -camera.rotation[2]
    light = (
        lighting.ambient
        + lighting.key * np.clip(n @ key, 0.0, None)
        + lighting.fill * np.clip(n @ to_camera, 0.0, None)
    )
    image = background.reshape(-1, 3).copy()
    image[frags.pixel] = np.clip(color * light[:, None] + 0.5, 0, 255).astype(np.uint8)
    return image.reshape(background.shape)
