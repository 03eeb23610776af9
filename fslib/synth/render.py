"""Analytic renderer: rays from a pinhole camera against capsules and ellipsoids, soft shading.

No OpenGL: every pixel's ray is intersected in closed form with every primitive whose projected bounding
box covers it (vectorised numpy, float32). Depth is the camera-frame z of the nearest hit (metres); the
shading is Lambert plus ambient, a weak Blinn-Phong highlight, a soft "wrap" term that keeps the shadow
side from going black, and a contact darkening along depth discontinuities (where one finger passes in
front of another), which is what makes overlapping skin-coloured parts readable.

For video, :func:`render_layer` renders the parts that do not move during a sequence (background, torso,
head, resting hand) once, and :func:`render_over` re-renders only the region covered by the moving parts
(signing hand and arm) on top of it, so the per-frame cost scales with the hand's area, not the image's.

Coordinates follow :mod:`fslib.synth.primitives`: camera frame in metres, x right, y down, z forward;
pixel (u, v) has its centre at (u + 0.5, v + 0.5).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .primitives import BACKGROUND, Camera, Primitives

_EPS = 1e-6


@dataclasses.dataclass(frozen=True)
class Light:
    """A directional light plus ambient term.

    direction: (3,) vector pointing from the surface towards the light, camera frame (need not be unit).
    ambient, diffuse, specular: weights of the shading terms (unitless).
    wrap: in [0, 1]; 0 is plain Lambert, larger values soften the terminator ("soft shading").
    colour: (3,) RGB tint of the light in [0, 1].
    """

    direction: tuple[float, float, float] = (-0.35, -0.55, -0.75)
    ambient: float = 0.38
    diffuse: float = 0.70
    specular: float = 0.06
    shininess: float = 16.0
    wrap: float = 0.35
    colour: tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclasses.dataclass
class Layer:
    """A rendered frame kept with its depth, so that moving parts can be composited over it.

    image: (H, W, 3) float32 RGB in [0, 1]; depth: (H, W) float32 metres (inf where nothing was hit);
    part: (H, W) int8 part ids (:mod:`fslib.synth.primitives`).
    """

    camera: Camera
    image: np.ndarray
    depth: np.ndarray
    part: np.ndarray

    def __post_init__(self) -> None:
        self.image_u8 = _to_u8(self.image)


def _to_u8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def ray_directions(camera: Camera) -> np.ndarray:
    """(H, W, 3) float64 ray directions through pixel centres, scaled so that z = 1 (t is then depth)."""
    u = (np.arange(camera.width, dtype=np.float64) + 0.5 - camera.cx) / camera.fx
    v = (np.arange(camera.height, dtype=np.float64) + 0.5 - camera.cy) / camera.fy
    d = np.empty((camera.height, camera.width, 3), np.float64)
    d[..., 0] = u[None, :]
    d[..., 1] = v[:, None]
    d[..., 2] = 1.0
    return d


_RAY_CACHE: dict[Camera, np.ndarray] = {}


def _rays(camera: Camera) -> np.ndarray:
    d = _RAY_CACHE.get(camera)
    if d is None:
        if len(_RAY_CACHE) > 8:
            _RAY_CACHE.clear()
        d = _RAY_CACHE[camera] = ray_directions(camera)
    return d


def _sphere_boxes(camera: Camera, centre: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """(N, 4) float pixel boxes (x0, y0, x1, y1) covering the projections of spheres ``centre`` (N, 3),
    ``radius`` (N,). Spheres entirely behind the camera get an empty box; spheres that straddle the camera
    plane get the whole frame."""
    z = centre[:, 2].astype(np.float64)
    r = radius.astype(np.float64)
    front = z - r > 1e-3
    zs = np.where(front, z, 1.0)
    s = r / np.where(front, z - r, 1.0)  # generous bound on projected radius / focal length
    px = camera.fx * centre[:, 0] / zs + camera.cx
    py = camera.fy * centre[:, 1] / zs + camera.cy
    rx, ry = camera.fx * s + 1.0, camera.fy * s + 1.0
    box = np.stack([px - rx, py - ry, px + rx, py + ry], 1)
    straddle = ~front & (z + r > 1e-3)
    box[straddle] = (0, 0, camera.width, camera.height)
    box[~front & ~straddle] = (0, 0, -1, -1)
    return box


def primitive_boxes(prims: Primitives, camera: Camera, split: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Pixel boxes that together cover each primitive's projection, clipped to the frame.

    Returns boxes (B, 4) int (x0, y0, x1, y1, end exclusive; empty when x1 <= x0 or y1 <= y0) and owner (B,)
    int, the primitive each box belongs to (capsules first, then ellipsoids). Each capsule is covered by
    ``split`` boxes along its axis (one box per piece), so that a long slanted forearm does not test the
    whole rectangle around it."""
    boxes, owner = [], []
    nc = prims.n_capsules
    if nc:
        k = max(int(split), 1)
        f0 = np.arange(k, dtype=np.float32) / k
        f1 = f0 + 1.0 / k
        a, b = prims.cap_a[:, None, :], prims.cap_b[:, None, :]
        pa = (a + (b - a) * f0[None, :, None]).reshape(-1, 3)
        pb = (a + (b - a) * f1[None, :, None]).reshape(-1, 3)
        r = np.repeat(prims.cap_r, k)
        ba = _sphere_boxes(camera, pa, r)
        bb = _sphere_boxes(camera, pb, r)
        cap = np.concatenate([np.minimum(ba[:, :2], bb[:, :2]), np.maximum(ba[:, 2:], bb[:, 2:])], 1)
        # an end behind the camera: bound that piece by its enclosing sphere instead
        bad = (ba[:, 2] < ba[:, 0]) | (bb[:, 2] < bb[:, 0])
        if bad.any():
            mid = 0.5 * (pa[bad] + pb[bad])
            rad = 0.5 * np.linalg.norm(pb[bad] - pa[bad], axis=1) + r[bad]
            cap[bad] = _sphere_boxes(camera, mid, rad)
        # short capsules (finger segments) are covered by one box around the whole capsule: splitting them
        # would only add overlapping margins
        if k > 1:
            length = np.linalg.norm(prims.cap_b - prims.cap_a, axis=1)
            short = length < 6 * prims.cap_r
            if short.any():
                cap = cap.reshape(nc, k, 4)
                whole = np.concatenate([cap[short, :, :2].min(1), cap[short, :, 2:].max(1)], 1)
                cap[short] = (0, 0, -1, -1)
                cap[short, 0] = whole
                cap = cap.reshape(nc * k, 4)
        boxes.append(cap)
        owner.append(np.repeat(np.arange(nc), k))
    if prims.n_ellipsoids:
        rad = np.linalg.norm(prims.ell_axes, axis=1).max(1)  # longest semi-axis (column norms)
        boxes.append(_sphere_boxes(camera, prims.ell_centre, rad))
        owner.append(nc + np.arange(prims.n_ellipsoids))
    if not boxes:
        return np.zeros((0, 4), np.int64), np.zeros(0, np.int64)
    b = np.concatenate(boxes)
    out = np.empty(b.shape, np.int64)
    out[:, 0] = np.clip(np.floor(b[:, 0]), 0, camera.width)
    out[:, 1] = np.clip(np.floor(b[:, 1]), 0, camera.height)
    out[:, 2] = np.clip(np.ceil(b[:, 2]) + 1, 0, camera.width)
    out[:, 3] = np.clip(np.ceil(b[:, 3]) + 1, 0, camera.height)
    return out, np.concatenate(owner)


def _pairs(boxes: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """All (box, pixel) pairs inside each box: box index (K,), flat pixel index y * width + x (K,), int32.

    Built row by row (each box row is a contiguous run of pixels), which needs no integer division."""
    w = np.maximum(boxes[:, 2] - boxes[:, 0], 0).astype(np.int32)
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 0).astype(np.int32)
    h = np.where(w > 0, h, 0)
    row_box = np.repeat(np.arange(len(boxes), dtype=np.int32), h)
    row_y = (
        np.arange(len(row_box), dtype=np.int32)
        - np.repeat((np.cumsum(h) - h).astype(np.int32), h)
        + boxes[row_box, 1].astype(np.int32)
    )
    row_w = w[row_box]
    row_start = row_y * np.int32(width) + boxes[row_box, 0].astype(np.int32)
    total = int(row_w.sum())
    run_offset = np.repeat((np.cumsum(row_w) - row_w).astype(np.int32), row_w)
    pix = np.arange(total, dtype=np.int32) - run_offset + np.repeat(row_start, row_w)
    return np.repeat(row_box, row_w), pix


def _capsule_t(d: np.ndarray, a: np.ndarray, b: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Ray parameter (= depth, as d_z = 1) of the nearest hit of rays from the origin with directions
    d (K, 3) against capsules a, b (K, 3), r (K,); inf on a miss. One capsule per ray (pairs layout)."""
    dd = np.einsum("ij,ij->i", d, d)
    da = np.einsum("ij,ij->i", d, a)
    db = np.einsum("ij,ij->i", d, b)
    aa = np.einsum("ij,ij->i", a, a)
    bb = np.einsum("ij,ij->i", b, b)
    ab = np.einsum("ij,ij->i", a, b)
    rr = r * r
    inf = np.inf
    disc = da * da - dd * (aa - rr)
    t = np.where(disc >= 0, (da - np.sqrt(np.maximum(disc, 0))) / dd, inf)
    disc = db * db - dd * (bb - rr)
    np.minimum(t, np.where(disc >= 0, (db - np.sqrt(np.maximum(disc, 0))) / dd, inf), out=t)
    # cylinder body; with the ray origin at 0: oa = -a, ba = b - a
    baba = bb - 2 * ab + aa
    bard = db - da
    baoa = aa - ab  # (b - a) . (-a)
    qa = baba * dd - bard * bard
    qb = -baba * da - baoa * bard
    qc = baba * aa - baoa * baoa - rr * baba
    disc = qb * qb - qa * qc
    ok = (disc >= 0) & (qa > 1e-12)
    tb = (-qb - np.sqrt(np.maximum(disc, 0))) / np.where(ok, qa, 1)
    y = baoa + tb * bard
    ok &= (y > 0) & (y < baba)
    np.minimum(t, np.where(ok, tb, inf), out=t)
    t[t <= _EPS] = inf
    return t


def _ellipsoid_t(d: np.ndarray, o: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Nearest hit with ellipsoids given in unit-sphere form: o = M (0 - centre) (K, 3), M (K, 3, 3)."""
    dl = np.einsum("kij,kj->ki", m, d)
    qa = np.einsum("ij,ij->i", dl, dl)
    qb = np.einsum("ij,ij->i", dl, o)
    qc = np.einsum("ij,ij->i", o, o) - 1
    disc = qb * qb - qa * qc
    t = np.where(disc >= 0, (-qb - np.sqrt(np.maximum(disc, 0))) / qa, np.inf)
    t[t <= _EPS] = np.inf
    return t


def _shade(albedo: np.ndarray, normal: np.ndarray, d: np.ndarray, light: Light) -> np.ndarray:
    """(N, 3) RGB in [0, 1] from albedo (N, 3), unit normals (N, 3) and view rays (N, 3)."""
    ldir = np.asarray(light.direction, np.float32)
    ldir = ldir / np.linalg.norm(ldir)
    ndl = normal @ ldir
    diff = np.clip((ndl + light.wrap) / (1 + light.wrap), 0, 1)
    v = -d / np.linalg.norm(d, axis=1, keepdims=True)
    h = v + ldir
    h /= np.maximum(np.linalg.norm(h, axis=1, keepdims=True), 1e-12)
    spec = np.clip(np.einsum("ij,ij->i", normal, h), 0, 1) ** light.shininess
    # soft view-dependent falloff towards silhouettes (limb darkening of rounded skin)
    ndv = np.clip(np.einsum("ij,ij->i", normal, v), 0, 1)
    rim = 0.75 + 0.25 * ndv
    lc = np.asarray(light.colour, np.float32)
    out = albedo * ((light.ambient + light.diffuse * diff) * rim)[:, None] * lc
    out += (light.specular * spec)[:, None] * lc
    return out


def _raster(
    prims: Primitives,
    camera: Camera,
    depth: np.ndarray,
    normal: np.ndarray,
    albedo: np.ndarray,
    part: np.ndarray,
    origin: tuple[int, int] = (0, 0),
    boxes=None,
    frame_of: np.ndarray | None = None,
) -> np.ndarray:
    """Z-buffer all primitives into the buffers (modified in place) of the pixel region whose top-left
    pixel is ``origin`` (x, y) and whose size is ``depth.shape[-2:]`` (h, w): depth ([F,] h, w), normal and
    albedo ([F,] h, w, 3), part ([F,] h, w). With a leading frame axis F, ``frame_of`` (n_capsules +
    n_ellipsoids,) says which frame each primitive belongs to (several frames rendered in one pass).
    Returns a ([F,] h, w) bool mask of the pixels the primitives covered.

    Every (primitive, pixel) pair inside the primitive's projected box is intersected in one vectorised
    pass; the nearest hit per pixel wins (``np.minimum.at``); normals are computed for the winners only."""
    h, w = depth.shape[-2:]
    ox, oy = origin
    covered = np.zeros(depth.shape, bool)
    boxes, owner = primitive_boxes(prims, camera) if boxes is None else boxes
    if len(boxes) == 0:
        return covered
    boxes = boxes.copy()
    boxes[:, 0] = np.clip(boxes[:, 0] - ox, 0, w)
    boxes[:, 2] = np.clip(boxes[:, 2] - ox, 0, w)
    boxes[:, 1] = np.clip(boxes[:, 1] - oy, 0, h)
    boxes[:, 3] = np.clip(boxes[:, 3] - oy, 0, h)
    bidx, pix = _pairs(boxes, w)
    if len(bidx) == 0:
        return covered
    idx = owner[bidx]
    # float64 for the intersection: the quadratics cancel badly in float32 for thin parts far away
    d = _rays(camera)[oy : oy + h, ox : ox + w].reshape(-1, 3)[pix]
    if frame_of is not None:
        pix = pix + frame_of[idx] * (h * w)
    nc = prims.n_capsules
    cap_a, cap_b = prims.cap_a.astype(np.float64), prims.cap_b.astype(np.float64)
    cap_r = prims.cap_r.astype(np.float64)
    # pairs come ordered by box, and boxes list capsules before ellipsoids
    ncp = int(np.searchsorted(idx, nc))
    t = np.empty(len(idx), np.float32)
    if ncp:
        ci = idx[:ncp]
        t[:ncp] = _capsule_t(d[:ncp], cap_a[ci], cap_b[ci], cap_r[ci])
    if prims.n_ellipsoids:
        m_all = np.linalg.inv(prims.ell_axes.astype(np.float64))
        o_all = -np.einsum("kij,kj->ki", m_all, prims.ell_centre.astype(np.float64))
        ei = idx[ncp:] - nc
        t[ncp:] = _ellipsoid_t(d[ncp:], o_all[ei], m_all[ei])
    flat_depth = depth.reshape(-1)
    np.minimum.at(flat_depth, pix, t)
    win = (t == flat_depth[pix]) & np.isfinite(t)
    wp, wi, wt, wd = pix[win], idx[win], t[win], d[win]
    # normals of the winning surface at each covered pixel
    p = wd * wt[:, None]
    n = np.empty_like(p)
    wc = wi < nc
    if wc.any():
        ci = wi[wc]
        a, b = cap_a[ci], cap_b[ci]
        ba = b - a
        s = np.clip(np.einsum("ij,ij->i", p[wc] - a, ba) / np.maximum(np.einsum("ij,ij->i", ba, ba), 1e-12), 0, 1)
        n[wc] = (p[wc] - a - s[:, None] * ba) / cap_r[ci][:, None]
    if (~wc).any():
        ei = wi[~wc] - nc
        m = m_all[ei]
        local = np.einsum("kij,kj->ki", m, p[~wc] - prims.ell_centre[ei].astype(np.float64))
        n[~wc] = np.einsum("kji,kj->ki", m, local)  # M^T M (p - c)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    colour = np.concatenate([prims.cap_color, prims.ell_color])
    pid = np.concatenate([prims.cap_part, prims.ell_part])
    normal.reshape(-1, 3)[wp] = n.astype(np.float32)
    albedo.reshape(-1, 3)[wp] = colour[wi]
    part.reshape(-1)[wp] = pid[wi]
    covered.reshape(-1)[wp] = True
    return covered


def _contact_shadow(
    image: np.ndarray,
    depth: np.ndarray,
    mask: np.ndarray,
    strength: float = 0.35,
    gap: float = 0.006,
    max_gap: float = 0.12,
) -> None:
    """Darken, in place, pixels of ``mask`` that lie just behind a depth edge (a finger in front of the
    palm, the hand in front of the torso): a cheap stand-in for ambient occlusion. A depth step between
    ``gap`` and ``max_gap`` metres counts as contact; larger steps (hand against a far wall) do not."""
    if not mask.any():
        return
    d = np.where(np.isfinite(depth), depth, 1e3)
    near = np.full(d.shape, 1e3, np.float32)
    # nearest neighbouring depth in a 3 x 3 window (pure numpy shifts)
    near[..., 1:, :] = np.minimum(near[..., 1:, :], d[..., :-1, :])
    near[..., :-1, :] = np.minimum(near[..., :-1, :], d[..., 1:, :])
    near[..., :, 1:] = np.minimum(near[..., :, 1:], d[..., :, :-1])
    near[..., :, :-1] = np.minimum(near[..., :, :-1], d[..., :, 1:])
    step = d - near
    edge = (step > gap) & (step < max_gap) & mask
    image[edge] *= 1 - strength


def render_layer(
    prims: Primitives, camera: Camera, background: np.ndarray | None = None, light: Light = Light()
) -> Layer:
    """Render ``prims`` over ``background`` once, keeping depth for later compositing.

    background: (H, W, 3) uint8 or float in [0, 1], or None for a flat mid grey.
    """
    h, w = camera.height, camera.width
    if background is None:
        image = np.full((h, w, 3), 0.5, np.float32)
    else:
        if background.shape[:2] != (h, w):
            raise ValueError(f"background is {background.shape[:2]} but the camera is {(h, w)} (H, W)")
        image = background.astype(np.float32) / (255.0 if background.dtype == np.uint8 else 1.0)
    depth = np.full((h, w), np.inf, np.float32)
    normal = np.zeros((h, w, 3), np.float32)
    albedo = np.zeros((h, w, 3), np.float32)
    part = np.full((h, w), BACKGROUND, np.int8)
    covered = _raster(prims, camera, depth, normal, albedo, part)
    if covered.any():
        image[covered] = _shade(albedo[covered], normal[covered], _rays(camera)[covered], light)
        _contact_shadow(image, depth, covered)
    return Layer(camera, np.clip(image, 0, 1), depth, part)


def primitives_box(prims: Primitives, camera: Camera, boxes=None) -> tuple[int, int, int, int] | None:
    """Union of the primitives' projected pixel boxes (x0, y0, x1, y1), end exclusive; None if none shows."""
    b, _ = primitive_boxes(prims, camera) if boxes is None else boxes
    b = b[(b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])]
    if len(b) == 0:
        return None
    return int(b[:, 0].min()), int(b[:, 1].min()), int(b[:, 2].max()), int(b[:, 3].max())


def render_over(
    layer: Layer,
    prims: Primitives,
    light: Light = Light(),
    as_float: bool = False,
    palm: tuple[int, np.ndarray, np.ndarray] | None = None,
):
    """Composite moving primitives over a pre-rendered :class:`Layer`; only their pixel box is re-rendered.

    palm: optional (part id, palm normal (3,) unit, palm colour (3,) RGB): surfaces of that part facing the
    palm's side are blended towards the palm colour (palms are lighter than the back of the hand).
    Returns (image (H, W, 3) uint8, part mask (H, W) int8); with ``as_float`` the image is float32 in [0, 1]
    (the layer itself is not modified).
    """
    images, parts = render_over_batch(layer, [prims], light, None if palm is None else [palm], as_float)
    return images[0], parts[0]


def _concat(prims_list: list[Primitives]) -> tuple[Primitives, np.ndarray]:
    """All frames' primitives as one :class:`Primitives` and the frame index of each primitive."""
    fields = [f.name for f in dataclasses.fields(Primitives)]
    cat = Primitives(*(np.concatenate([getattr(p, f) for p in prims_list]) for f in fields))
    nf = len(prims_list)
    frame_of = np.concatenate(
        [
            np.repeat(np.arange(nf), [p.n_capsules for p in prims_list]),
            np.repeat(np.arange(nf), [p.n_ellipsoids for p in prims_list]),
        ]
    )
    return cat, frame_of


def render_over_batch(
    layer: Layer,
    prims_list: list[Primitives],
    light: Light = Light(),
    palms: list[tuple[int, np.ndarray, np.ndarray]] | None = None,
    as_float: bool = False,
):
    """:func:`render_over` for F frames at once (one vectorised pass, which amortises numpy's per-call cost).

    prims_list: F scenes of moving primitives; palms: None or F (part id, palm normal, palm colour) (the part
    id must be the same for all frames). Returns (images (F, H, W, 3) uint8 or float32, parts (F, H, W) int8).
    """
    camera = layer.camera
    nf = len(prims_list)
    base = layer.image if as_float else layer.image_u8
    images = np.broadcast_to(base, (nf,) + base.shape).copy()
    parts = np.broadcast_to(layer.part, (nf,) + layer.part.shape).copy()
    prims, frame_of = _concat(prims_list)
    boxes = primitive_boxes(prims, camera)
    box = primitives_box(prims, camera, boxes)
    if box is None:
        return images, parts
    x0, y0, x1, y1 = box
    # widen by one pixel so the contact shadow sees the layer's depth around the moving parts
    x0, y0, x1, y1 = max(x0 - 1, 0), max(y0 - 1, 0), min(x1 + 1, camera.width), min(y1 + 1, camera.height)
    sub = (slice(y0, y1), slice(x0, x1))
    h, w = y1 - y0, x1 - x0
    depth = np.broadcast_to(layer.depth[sub], (nf, h, w)).copy()
    normal = np.empty((nf, h, w, 3), np.float32)
    albedo = np.empty((nf, h, w, 3), np.float32)
    psub = parts[:, y0:y1, x0:x1].copy()
    cov = _raster(prims, camera, depth, normal, albedo, psub, origin=(x0, y0), boxes=boxes, frame_of=frame_of)
    parts[:, y0:y1, x0:x1] = psub
    if cov.any():
        if palms is not None:
            pid = palms[0][0]
            on = cov & (psub == pid)
            fi = np.nonzero(on)[0]
            pn = np.asarray([p[1] for p in palms], np.float32)[fi]
            pc = np.asarray([p[2] for p in palms], np.float32)[fi]
            wgt = np.clip(1.6 * np.einsum("ij,ij->i", normal[on], pn), 0, 1)[:, None]
            albedo[on] = albedo[on] * (1 - wgt) + pc * wgt
        im = np.broadcast_to(layer.image[sub], (nf, h, w, 3)).copy()
        rays = np.broadcast_to(_rays(camera)[sub], (nf, h, w, 3))
        im[cov] = _shade(albedo[cov], normal[cov], rays[cov], light)
        # contact shadows on the moving parts and on the layer just behind them
        _contact_shadow(im, depth, cov | _dilate(cov))
        images[:, y0:y1, x0:x1] = np.clip(im, 0, 1) if as_float else _to_u8(im)
    return images, parts


def _dilate(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    out[..., 1:, :] |= mask[..., :-1, :]
    out[..., :-1, :] |= mask[..., 1:, :]
    out[..., :, 1:] |= mask[..., :, :-1]
    out[..., :, :-1] |= mask[..., :, 1:]
    return out


def render(
    prims: Primitives, camera: Camera, background: np.ndarray | None = None, light: Light = Light()
) -> tuple[np.ndarray, np.ndarray]:
    """Render a scene in one go.

    prims: the scene (metres, camera frame); background: (H, W, 3) uint8 / float in [0, 1] or None.
    Returns (image (H, W, 3) uint8 RGB, part mask (H, W) int8 with the part id of the visible surface,
    0 where the background shows).
    """
    layer = render_layer(prims, camera, background, light)
    return layer.image_u8.copy(), layer.part
