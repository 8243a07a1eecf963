"""Seeded random layout of the fibers of a FiberMat, made and checked in numpy
before Gmsh runs (the rules and the filling shared with the foam:
femli.geometry._layout_common).

On top of the shared rules, on a raster of each fiber surface two intersection
curves either overlap over a decent area or stay apart, no three of them meet
near one point, and no exposed piece of surface is tiny. When the target is
reached, fibers not connected to the collector (through fiber-fiber overlaps)
are dropped and the network grown again. :func:`fiber_seams` turns each OCC
cylinder's seam away from the features on its surface.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from femli.geometry._layout_common import (
    GAP, MAX_DRAWS, STALL, TANGENCY, TOL, LayoutError, _axes, _components, _Grid, _radius,
)

GRAZE_DEG = 15.0  # smallest angle between a fiber axis and a plane it crosses
CROSS_DEG = 20.0  # smallest angle between the axes of two intersecting fibers
SURF_CELL = 0.07  # raster cell on a fiber surface, x its radius
SURF_GAP = 0.2  # smallest separation of two features (intersections) on a fiber surface, x its radius
SURF_AREA = 0.3  # smallest face piece: an area of (SURF_AREA x radius)^2
BOTTOM_SHARE = 0.25  # share of fiber candidates laid on the collector
BOTTOM_CUT = (0.15, 0.5)  # depth of those fibers below z = 0, x radius
MAX_TILT_DEG = 60.0


def _clip_line(point, direction, lo, hi):
    """Parameter interval of the line point + t*direction inside the box [lo, hi] (None if it misses)."""
    t0, t1 = -math.inf, math.inf
    for p, d, a, b in zip(point, direction, lo, hi):
        if abs(d) < 1e-14:
            if not a <= p <= b:
                return None
            continue
        ta, tb = sorted(((a - p) / d, (b - p) / d))
        t0, t1 = max(t0, ta), min(t1, tb)
    return (t0, t1) if t0 < t1 else None


def _segment_distances(p0, p1, Q0, Q1, points: bool = False):
    """Smallest distance between the segment p0-p1 and each segment Q0[i]-Q1[i]
    (with ``points``: also the midpoints of the closest pairs)."""
    d1, d2, w = p1 - p0, Q1 - Q0, p0 - Q0
    a = d1 @ d1
    b, c, d, e = d2 @ d1, (d2 * d2).sum(axis=1), w @ d1, (d2 * w).sum(axis=1)
    best = np.full(len(c), np.inf)
    best_s, best_t = np.zeros(len(c)), np.zeros(len(c))

    def consider(s, t, valid=True):
        dist = np.linalg.norm(w + s[:, None] * d1 - t[:, None] * d2, axis=1)
        better = valid & (dist < best)
        best[better], best_s[better], best_t[better] = dist[better], s[better], t[better]

    den = a * c - b * b
    with np.errstate(divide="ignore", invalid="ignore"):
        s, t = (b * e - c * d) / den, (a * e - b * d) / den
    inside = (den > 1e-12 * a * c) & (s >= 0) & (s <= 1) & (t >= 0) & (t <= 1)
    consider(np.where(inside, s, 0.0), np.where(inside, t, 0.0), inside)
    for s_edge in (0.0, 1.0):  # one end of the first segment, nearest point of the other
        s = np.full_like(c, s_edge)
        consider(s, np.clip((e + b * s) / c, 0.0, 1.0))
    for t_edge in (0.0, 1.0):
        t = np.full_like(c, t_edge)
        consider(np.clip((b * t - d) / a, 0.0, 1.0), t)
    if not points:
        return best
    mid = 0.5 * (p0 + best_s[:, None] * d1 + Q0 + best_t[:, None] * d2)
    return best, mid


@dataclass
class Fiber:
    point: np.ndarray  # a point on the axis (m)
    direction: np.ndarray  # unit vector along the axis
    radius: float
    seg: tuple[np.ndarray, np.ndarray]  # axis segment that matters inside the box
    build: tuple[np.ndarray, np.ndarray]  # axis segment of the OCC cylinder (its ends lie outside the box)
    on_collector: bool


@dataclass
class FiberLayout:
    fibers: list[Fiber]
    porosity_estimate: float  # on the sampling grid
    draws: int
    dropped: int  # fibers accepted in phase 1 and dropped as not connected to the collector


def _fiber_candidate(rng, spec):
    Lx, Ly = spec.footprint
    hh = spec.host_height
    r = _radius(rng, spec.fiber_diameter / 2, spec.diameter_spread)
    phi = rng.uniform(0.0, math.pi)
    bottom = rng.random() < BOTTOM_SHARE
    tilt = 0.0
    if not bottom and spec.tilt_spread > 0:
        while True:
            tilt = math.radians(rng.normal(0.0, spec.tilt_spread))
            if abs(tilt) <= math.radians(MAX_TILT_DEG):
                break
    x, y = rng.uniform(0.0, Lx), rng.uniform(0.0, Ly)
    z = r * (1.0 - rng.uniform(*BOTTOM_CUT)) if bottom else rng.uniform(0.0, hh)
    return np.array([x, y, z]), np.array([math.cos(tilt) * math.cos(phi), math.cos(tilt) * math.sin(phi), math.sin(tilt)]), r


def _fiber_planes(point, u, r, spec, gap):
    """The fiber if its surface meets every plane of the layer cleanly, else None."""
    Lx, Ly = spec.footprint
    hh = spec.host_height
    seg_t = _clip_line(point, u, (-r, -r, -r), (Lx + r, Ly + r, hh + r))
    if seg_t is None:
        return None
    p0, p1 = point + seg_t[0] * u, point + seg_t[1] * u
    cz = r * math.sqrt(1.0 - u[2] ** 2)  # half the vertical extent of a cross-section
    zmin, zmax = min(p0[2], p1[2]), max(p0[2], p1[2])
    if zmax + cz > hh:
        return None  # above the host layer
    graze = math.sin(math.radians(GRAZE_DEG))
    on_collector = False
    if zmin - cz < gap:  # near or through the collector
        if abs(u[2]) >= graze and zmin - cz <= -TANGENCY * r:
            t = -point[2] / u[2]  # axis meets z = 0 inside the footprint: a certain contact
            x, y = point[0] + t * u[0], point[1] + t * u[1]
            on_collector = bool(0.0 <= x <= Lx and 0.0 <= y <= Ly)
        elif (1.0 - BOTTOM_CUT[1]) * r <= zmin and zmax <= (1.0 - BOTTOM_CUT[0]) * r:
            on_collector = True  # laid on the collector, cut along a strip
        else:
            return None
    for axis, L in ((0, Lx), (1, Ly)):
        lateral = r * math.sqrt(1.0 - u[axis] ** 2)
        lo, hi = min(p0[axis], p1[axis]), max(p0[axis], p1[axis])
        if (lo - lateral < gap or hi + lateral > L - gap) and abs(u[axis]) < graze:
            return None  # runs along a side plane
    # the OCC cylinder: through the box, ends 1.5 r beyond the side planes or 2 r below the collector
    m = 1.5 * r + 0.01 * min(Lx, Ly)
    b_t = _clip_line(point, u, (-m, -m, -2.0 * r), (Lx + m, Ly + m, math.inf))
    build = (point + b_t[0] * u, point + b_t[1] * u)
    return Fiber(point, u, r, (p0, p1), build, on_collector)


def _fiber_pairs(f: Fiber, fibers: list[Fiber], gap: float, footprint) -> tuple[list[int], list[int]] | None:
    """(fibers ``f`` intersects cleanly, those of them it meets inside the footprint),
    or None if it comes too close to one (near-tangent, internally tangent, or
    crossing at a shallow angle)."""
    if not fibers:
        return [], []
    Q0 = np.array([g.seg[0] for g in fibers])
    Q1 = np.array([g.seg[1] for g in fibers])
    r2 = np.array([g.radius for g in fibers])
    d, mid = _segment_distances(f.seg[0], f.seg[1], Q0, Q1, points=True)
    r1 = f.radius
    near = d < r1 + r2 + gap
    if not near.any():
        return [], []
    eps = TANGENCY * np.minimum(r1, r2)
    U = np.array([g.direction for g in fibers])
    shallow = np.abs(U @ f.direction) > math.cos(math.radians(CROSS_DEG))
    bad = near & ((d > r1 + r2 - eps) | (np.abs(d - np.abs(r1 - r2)) < eps) | shallow)
    if bad.any():
        return None
    Lx, Ly = footprint
    inside = (mid[:, 0] >= 0) & (mid[:, 0] <= Lx) & (mid[:, 1] >= 0) & (mid[:, 1] <= Ly)
    return [int(i) for i in np.flatnonzero(near)], [int(i) for i in np.flatnonzero(near & inside)]


def _surface_regions(f: Fiber, others: dict, spec) -> tuple[dict, float]:
    """Raster of the fiber's surface (axis position x angle) and, per feature that cuts
    it (a side plane, the collector, another fiber), the cells inside that feature."""
    Lx, Ly = spec.footprint
    r = f.radius
    cell = SURF_CELL * r
    length = float(np.linalg.norm(f.seg[1] - f.seg[0]))
    nt, na = max(2, math.ceil(length / cell)), max(16, math.ceil(2 * math.pi * r / cell))
    t = (np.arange(nt) + 0.5) / nt * length
    a = (np.arange(na) + 0.5) / na * 2 * math.pi
    e1, e2 = _axes(f.direction)
    ring = r * (np.cos(a)[:, None] * e1 + np.sin(a)[:, None] * e2)
    P = f.seg[0] + t[:, None, None] * f.direction + ring[None, :, :]
    regions = {"x0": P[..., 0] < 0.0, "x1": P[..., 0] > Lx, "y0": P[..., 1] < 0.0, "y1": P[..., 1] > Ly,
               "z0": P[..., 2] < 0.0}
    for key, g in others.items():
        D = P - g.point
        along = D @ g.direction
        regions[key] = (D * D).sum(axis=-1) - along * along < g.radius**2
    return {k: m for k, m in regions.items() if m.any()}, (length / nt) * (2 * math.pi * r / na) / r**2


def _grow(mask, k):
    return ndimage.maximum_filter(mask, size=(2 * k + 1, 2 * k + 1), mode=("nearest", "wrap"))


def _crowded(regions: dict, exposed) -> np.ndarray:
    """Per raster cell, how many feature edges pass within about SURF_GAP/2 of it, counted
    where the surface is exposed (hidden edges make no geometry). Two edges meet at
    every triple point; three mean a near-quadruple point with sliver faces."""
    k = max(1, math.ceil(0.5 * SURF_GAP / SURF_CELL))
    near_exposed = _grow(exposed, k)
    count = np.zeros(exposed.shape, dtype=np.int8)
    for mask in regions.values():
        edge = _grow(mask, k) & _grow(~mask, k)
        count += edge & near_exposed
    return count


def _surface_ok(f: Fiber, others: dict, spec, new) -> bool:
    """No sliver faces on the fiber's surface: every two features that involve ``new``
    either overlap over a decent area or stay SURF_GAP apart, no three feature edges
    meet near one exposed point, and every piece of the exposed surface is larger
    than (SURF_AREA r)^2."""
    regions, cell_area = _surface_regions(f, others, spec)
    min_cells = SURF_AREA**2 / cell_area
    k = math.ceil(SURF_GAP / SURF_CELL)
    keys = list(regions)
    for i, A in enumerate(keys):
        grown = None
        for B in keys[i + 1:]:
            if new not in (A, B) and new is not None:
                continue
            overlap = np.count_nonzero(regions[A] & regions[B])
            if overlap:
                if overlap < min_cells:
                    return False
                continue
            if grown is None:
                grown = _grow(regions[A], k)
            if np.any(grown & regions[B]):
                return False
    exposed = ~np.logical_or.reduce(list(regions.values())) if regions else np.ones((1, 1), bool)
    if _crowded(regions, exposed).max(initial=0) >= 3:
        return False  # three feature edges meet near one point of the exposed surface
    labels, n = ndimage.label(exposed)
    if n == 0:
        return True
    parent = list(range(n + 1))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in zip(labels[:, 0], labels[:, -1]):  # the angle wraps around
        if a and b:
            parent[root(a)] = root(b)
    counts = np.bincount(labels.ravel(), minlength=n + 1)
    sizes: dict[int, int] = {}
    for i in range(1, n + 1):
        sizes[root(i)] = sizes.get(root(i), 0) + int(counts[i])
    return min(sizes.values()) >= min_cells


def fiber_layout(spec) -> FiberLayout:
    Lx, Ly = spec.footprint
    hh = spec.host_height
    r_mean = spec.fiber_diameter / 2
    gap = GAP * r_mean
    rng = np.random.default_rng(spec.seed)
    grid = _Grid(Lx, Ly, hh, r_mean / 4)
    target = None if spec.porosity is None else 1.0 - spec.porosity  # solid fraction
    fibers: list[Fiber] = []
    pieces, edges, touching = [], set(), set()  # edges: connections inside the box; touching: all contacts
    draws = dropped = 0
    connected_only = False

    def done() -> bool:
        if target is None:
            return len(fibers) >= spec.fiber_count
        return grid.fraction() >= target - TOL

    last = 0  # draw of the last acceptance
    while draws < MAX_DRAWS and draws - last < STALL:
        draws += 1
        point, u, r = _fiber_candidate(rng, spec)
        fib = _fiber_planes(point, u, r, spec, gap)
        if fib is None:
            continue
        pairs = _fiber_pairs(fib, fibers, gap, spec.footprint)
        if pairs is None:
            continue
        links, joins = pairs  # joins: the crossings inside the box, which connect the network
        if connected_only and not (fib.on_collector or joins):
            continue
        zs = (fib.seg[0][2], fib.seg[1][2])
        piece = grid.cylinder(fib.point, fib.direction, r, min(zs) - r, max(zs) + r)
        if target is not None and (grid.fraction() * grid.total + grid.gain(piece)) / grid.total > target + TOL:
            continue
        nbrs = {i: [] for i in links}
        for i, j in touching:
            if i in nbrs:
                nbrs[i].append(j)
            if j in nbrs:
                nbrs[j].append(i)
        if not _surface_ok(fib, {i: fibers[i] for i in links}, spec, None):
            continue
        if not all(_surface_ok(fibers[i], {j: fibers[j] for j in nbrs[i]} | {"new": fib}, spec, "new") for i in links):
            continue
        last = draws
        n = len(fibers)
        fibers.append(fib)
        pieces.append(piece)
        edges.update((i, n) for i in joins)
        touching.update((i, n) for i in links)
        grid.add(piece)
        if not done():
            continue
        keep = sorted(_components(len(fibers), edges, [i for i, f in enumerate(fibers) if f.on_collector]))
        if len(keep) < len(fibers):
            # drop the fibers not connected to the collector, then grow the network only
            index = {old: new for new, old in enumerate(keep)}
            dropped += len(fibers) - len(keep)
            fibers = [fibers[i] for i in keep]
            pieces = [pieces[i] for i in keep]
            edges = {(index[i], index[j]) for i, j in edges if i in index and j in index}
            touching = {(index[i], index[j]) for i, j in touching if i in index and j in index}
            grid.rebuild(pieces)
            connected_only = True
        if done():
            return FiberLayout(fibers, 1.0 - grid.fraction(), draws, dropped)
    what = (f"porosity {spec.porosity:g}" if target is not None else f"fiber_count {spec.fiber_count}")
    reached = f"{len(fibers)} connected fibers, porosity {1.0 - grid.fraction():.3f}"
    raise LayoutError(
        f"fiber_mat: could not place fibers for {what} in {draws} draws (reached {reached}); "
        "a denser mat needs thinner fibers (fiber_diameter), a thicker layer (host_height) or a larger footprint"
    )


# ----------------------------------------------------------------------------- OCC seams
#
# OCC cylinders carry a seam line. Where a seam passes close to a point where three
# surfaces meet, or runs along an intersection curve, the Boolean result has edges of
# a few nanometres. The builder therefore turns each fiber about its axis so that its
# seam keeps clear of those features; the directions are chosen here.


def fiber_seams(layout: FiberLayout, spec) -> list[np.ndarray]:
    """Per fiber, the direction (unit, normal to the axis) of its seam line."""
    fibers = layout.fibers
    seams = []
    for i, f in enumerate(fibers):
        others = [g for j, g in enumerate(fibers) if j != i]
        if others:
            d = _segment_distances(f.seg[0], f.seg[1], np.array([g.seg[0] for g in others]),
                                   np.array([g.seg[1] for g in others]))
            others = [g for g, dist in zip(others, d) if dist < f.radius + g.radius]
        regions, _ = _surface_regions(f, dict(enumerate(others)), spec)
        exposed = ~np.logical_or.reduce(list(regions.values())) if regions else np.ones((2, 16), bool)
        count = _crowded(regions, exposed)
        na = count.shape[1]
        cols = np.flatnonzero((count >= 2).any(axis=0))  # angles at which triple points lie
        j_all = np.arange(na)
        if len(cols):
            gap = np.abs(j_all[:, None] - cols[None, :])
            clearance = np.minimum(gap, na - gap).min(axis=1)  # angular distance to the nearest one
        else:
            clearance = np.full(na, na)
        along = (count >= 1).sum(axis=0)  # how long the seam would run beside an edge
        j = int(np.lexsort((along, -clearance))[0])
        angle = (j + 0.5) / na * 2 * math.pi
        e1, e2 = _axes(f.direction)
        seams.append(math.cos(angle) * e1 + math.sin(angle) * e2)
    return seams

