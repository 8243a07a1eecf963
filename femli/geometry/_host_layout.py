"""Seeded random layouts of fibers (FiberMat) and pores (OpenFoam), made and
checked in numpy before Gmsh runs.

Both layouts are drawn sequentially from ``numpy.random.default_rng(seed)``, so
a spec always gives the same layout. A candidate is accepted only if it is
*admissible*, because near-tangent contacts, grazing intersections and nearly
coincident intersection points leave sliver faces and nanometre edges that OCC
cuts slowly and Gmsh meshes with degenerate tetrahedra:

- every pair of surfaces (fiber, pore, plane of the layer) either stays apart
  by a clear gap or intersects clearly (no tangency, no grazing angle);
- fibers: on a raster of each fiber surface, two intersection curves either
  overlap over a decent area or stay apart, no three of them meet near one
  point, and no exposed piece of surface is tiny;
- pores: where three surfaces meet (two pores and a plane, ...) the two triple
  points are well apart, and no fourth surface passes near them.

Volume fractions are counted on a cell-centred grid of spacing radius/4 to 1/5
(error well below 0.5 % of the layer volume); the builder reports the porosity
measured on the OCC solids instead.

Filling to a target porosity runs in two phases: (1) admissible candidates are
accepted anywhere until the target is reached, (2) members not connected to
the required boundary (fibers: the collector, through fiber-fiber overlaps;
pores: the separator side, through pore-pore overlaps) are dropped and only
candidates that join the connected network are accepted until the target is
reached again. No candidate may overshoot the target by more than TOL.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

GAP = 0.25  # smallest clear gap between surfaces that do not intersect, x mean radius
GRAZE_DEG = 15.0  # smallest angle between a fiber axis and a plane it crosses
CROSS_DEG = 20.0  # smallest angle between the axes of two intersecting fibers
TANGENCY = 0.2  # distance from external/internal tangency of two cylinders or spheres, x smaller radius
NECK = 0.3  # smallest opening radius where a pore meets another pore or a plane, x its radius
MAX_NECK = 0.8  # largest window between two pores, x the smaller radius (deeper overlaps tangle OCC)
SURF_CELL = 0.07  # raster cell on a fiber surface, x its radius
SURF_GAP = 0.2  # smallest separation of two features (intersections) on a fiber surface, x its radius
SURF_AREA = 0.3  # smallest face piece: an area of (SURF_AREA x radius)^2
TRIPLE = 0.2  # smallest distance between two points where three pore/plane surfaces meet, x pore radius
BOTTOM_SHARE = 0.25  # share of fiber candidates laid on the collector
BOTTOM_CUT = (0.15, 0.5)  # depth of those fibers below z = 0, x radius
MAX_TILT_DEG = 60.0
TOL = 0.003  # porosity tolerance of the layout (absolute)
MAX_DRAWS = 40000
STALL = 6000  # give up after this many draws without an acceptance
MAX_GRID = 2_000_000


class LayoutError(ValueError):
    """The inputs cannot give an admissible layout (the message names the parameters)."""


class _Grid:
    """Cell-centred sample points of the layer box, and which of them are filled."""

    def __init__(self, Lx: float, Ly: float, Lz: float, h: float):
        h = max(h, (Lx * Ly * Lz / MAX_GRID) ** (1 / 3))
        n = [max(8, math.ceil(L / h)) for L in (Lx, Ly, Lz)]
        self.x, self.y, self.z = ((np.arange(k) + 0.5) * L / k for k, L in zip(n, (Lx, Ly, Lz)))
        self.filled = np.zeros(n, dtype=bool)
        self.total = self.filled.size

    def _range(self, axis, lo, hi):
        return int(np.searchsorted(axis, lo)), int(np.searchsorted(axis, hi, side="right"))

    def cylinder(self, point, direction, r, zlo, zhi):
        """(slice, mask) of the points within r of the axis, in the slab zlo < z < zhi."""
        k0, k1 = self._range(self.z, zlo, zhi)
        X = self.x[:, None, None] - point[0]
        Y = self.y[None, :, None] - point[1]
        Z = self.z[None, None, k0:k1] - point[2]
        along = X * direction[0] + Y * direction[1] + Z * direction[2]
        inside = X * X + Y * Y + Z * Z - along * along < r * r
        return (slice(None), slice(None), slice(k0, k1)), inside

    def sphere(self, centre, r):
        sl = tuple(slice(*self._range(a, c - r, c + r)) for a, c in zip((self.x, self.y, self.z), centre))
        X = self.x[sl[0], None, None] - centre[0]
        Y = self.y[None, sl[1], None] - centre[1]
        Z = self.z[None, None, sl[2]] - centre[2]
        return sl, X * X + Y * Y + Z * Z < r * r

    def gain(self, piece) -> int:
        sl, mask = piece
        return int(np.count_nonzero(mask & ~self.filled[sl]))

    def add(self, piece) -> None:
        sl, mask = piece
        self.filled[sl] |= mask

    def rebuild(self, pieces) -> None:
        self.filled[:] = False
        for p in pieces:
            self.add(p)

    def fraction(self) -> float:
        return np.count_nonzero(self.filled) / self.total


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


def _components(n: int, edges, roots) -> set[int]:
    """Members reachable from ``roots`` through ``edges`` (pairs of indices)."""
    nbrs = [[] for _ in range(n)]
    for i, j in edges:
        nbrs[i].append(j)
        nbrs[j].append(i)
    seen, stack = set(roots), list(roots)
    while stack:
        for j in nbrs[stack.pop()]:
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return seen


def _radius(rng, mean: float, spread: float) -> float:
    while True:
        g = rng.standard_normal()
        if abs(g) <= 2.0:
            return mean * (1.0 + spread * g)


# ----------------------------------------------------------------------------- fibers


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


def _axes(u):
    a = np.array([1.0, 0.0, 0.0]) if abs(u[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(u, a)
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(u, e1)


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


# ----------------------------------------------------------------------------- pores


@dataclass
class Pore:
    centre: np.ndarray
    radius: float
    planes: tuple[int, ...]  # planes of the layer it cuts: 0 x=0, 1 x=Lx, 2 y=0, 3 y=Ly, 4 z=0, 5 z=host_height
    uid: int = 0

    @property
    def top(self) -> bool:  # opens into the electrolyte above the host layer
        return 5 in self.planes

    @property
    def bottom(self) -> bool:  # opens onto the current collector
        return 4 in self.planes


@dataclass
class FoamLayout:
    pores: list[Pore]
    porosity_estimate: float
    draws: int
    dropped: int


def _layer_planes(spec) -> list[tuple[np.ndarray, float]]:
    Lx, Ly = spec.footprint
    ex, ey, ez = np.eye(3)
    return [(ex, 0.0), (ex, Lx), (ey, 0.0), (ey, Ly), (ez, 0.0), (ez, spec.host_height)]


def _pore_planes(c, r, planes, gap):
    """Indices of the planes the sphere cuts cleanly (opening at least NECK*r wide), or
    None if it comes near one without a clean cut."""
    cut_max = r * math.sqrt(1.0 - NECK**2)
    crossed = []
    for i, (n, k) in enumerate(planes):
        dist = abs(float(n @ c) - k)
        if dist <= cut_max:
            crossed.append(i)
        elif dist < r + gap:
            return None
    return tuple(crossed)


def _pore_pairs(c, r, centres, radii, gap):
    """Indices of the pores a new sphere overlaps cleanly, or None if it is inadmissible."""
    if not len(radii):
        return []
    d = np.linalg.norm(centres - c, axis=1)
    near = d < r + radii + gap
    if not near.any():
        return []
    d, r2 = d[near], radii[near]
    rmin = np.minimum(r, r2)
    if np.any(d <= np.abs(r - r2) + TANGENCY * rmin):
        return None  # one inside the other, or internally near-tangent
    x = (d * d + r * r - r2 * r2) / (2 * d)
    neck = np.sqrt(np.maximum(r * r - x * x, 0.0))
    if np.any(neck < NECK * rmin) or np.any(neck > MAX_NECK * rmin) or np.any(x < 0) or np.any(x > d):
        return None  # near-tangent, a thin wall, or pores merged too deeply
    return [int(i) for i in np.flatnonzero(near)]


def _radical_plane(c1, r1, c2, r2):
    """The plane n.x = k through the intersection circle of two spheres."""
    return c2 - c1, 0.5 * (c2 @ c2 - c1 @ c1 + r1 * r1 - r2 * r2)


def _circles(c, r, plane_a, plane_b):
    """The two circles the planes cut from the sphere (c, r): (triple points, ok).

    ``ok`` is False when the circles meet at points closer than TRIPLE*r or miss
    each other by less than TRIPLE*r (either leaves a sliver face on the sphere)."""
    (na, ka), (nb, kb) = plane_a, plane_b
    la, lb = np.linalg.norm(na), np.linalg.norm(nb)
    a, b = na / la, nb / lb
    alpha = math.acos(min(1.0, max(-1.0, (ka / la - a @ c) / r)))  # angular radii about the axes a, b
    beta = math.acos(min(1.0, max(-1.0, (kb / lb - b @ c) / r)))
    gamma = math.acos(min(1.0, max(-1.0, float(a @ b))))
    if gamma >= alpha + beta or gamma <= abs(alpha - beta):
        gap = gamma - alpha - beta if gamma >= alpha + beta else abs(alpha - beta) - gamma
        return [], gap * r >= TRIPLE * r
    v = np.cross(a, b)
    foot = np.linalg.solve(np.array([a, b, v]), np.array([ka / la, kb / lb, v @ c]))
    h2 = r * r - float((foot - c) @ (foot - c))
    if h2 <= (0.5 * TRIPLE * r) ** 2:
        return [], False
    v = v / np.linalg.norm(v)
    h = math.sqrt(h2)
    return [foot + h * v, foot - h * v], True


def _pore_triples(c, r, crossed, links, pores, nbrs, planes, uid):
    """The triple points the new sphere makes with the pores and planes it cuts, or
    None if any of them is degenerate or lies near a fourth surface."""
    surfaces = [("p", i) for i in links] + [("b", j) for j in crossed]

    def plane_of(s):
        kind, i = s
        return _radical_plane(c, r, pores[i].centre, pores[i].radius) if kind == "p" else planes[i]

    found = []
    for m, a in enumerate(surfaces):
        for b in surfaces[m + 1:]:
            pts, ok = _circles(c, r, plane_of(a), plane_of(b))
            if not ok:
                return None
            found += [(p, {a, b}) for p in pts]
    # the new circle on each pore it cuts, against that pore's other circles
    for i in links:
        q = pores[i]
        mine = _radical_plane(q.centre, q.radius, c, r)
        others = [_radical_plane(q.centre, q.radius, pores[j].centre, pores[j].radius) for j in nbrs[i]]
        others += [planes[j] for j in q.planes]
        if not all(_circles(q.centre, q.radius, mine, o)[1] for o in others):
            return None
    delta = 0.5 * TRIPLE * r
    lo = np.array([0.0, 0.0, 0.0]) - delta
    hi = np.array([*(planes[1][1], planes[3][1], planes[5][1])]) + delta
    kept = []
    for p, involved in found:
        if np.any(p < lo) or np.any(p > hi):
            continue  # outside the layer: not part of the geometry
        for j, (n, k) in enumerate(planes):
            if ("b", j) not in involved and abs(float(n @ p) - k) < delta:
                return None  # near a box plane: a quadruple point
        hidden = False
        for i, q in enumerate(pores):
            if ("p", i) in involved:
                continue
            dist = float(np.linalg.norm(p - q.centre)) - q.radius
            if abs(dist) < delta:
                return None  # near the surface of a fourth pore
            hidden |= dist < 0
        if not hidden:
            kept.append((p, frozenset([uid] + [pores[i].uid for kind, i in involved if kind == "p"])))
    return kept


def foam_layout(spec) -> FoamLayout:
    Lx, Ly = spec.footprint
    hh = spec.host_height
    r_mean = spec.pore_diameter / 2
    gap = GAP * r_mean
    planes = _layer_planes(spec)
    rng = np.random.default_rng(spec.seed)
    grid = _Grid(Lx, Ly, hh, r_mean / 5)
    target = spec.porosity
    pores: list[Pore] = []
    pieces, nbrs, triples = [], [], []  # triples: (point, uids of the pores that meet there)
    centres, radii = np.zeros((0, 3)), np.zeros(0)
    draws = dropped = last = 0
    connected_only = False

    solid = None
    while draws < MAX_DRAWS and draws - last < STALL:
        draws += 1
        r = _radius(rng, r_mean, spec.pore_spread)
        # centres are drawn in the solid part, where a new pore can still add volume
        if draws % 100 == 1:
            solid = np.flatnonzero(~grid.filled)
        ijk = np.unravel_index(solid[rng.integers(len(solid))], grid.filled.shape)
        c = np.array([axis[i] for axis, i in zip((grid.x, grid.y, grid.z), ijk)])
        c += (rng.random(3) - 0.5) * np.array([Lx / len(grid.x), Ly / len(grid.y), hh / len(grid.z)])
        crossed = _pore_planes(c, r, planes, gap)
        if crossed is None:
            continue
        links = _pore_pairs(c, r, centres, radii, gap)
        if links is None or (connected_only and not (5 in crossed or links)):
            continue
        piece = grid.sphere(c, r)
        if (grid.fraction() * grid.total + grid.gain(piece)) / grid.total > target + TOL:
            continue
        if triples and np.any(np.abs(np.linalg.norm(np.array([p for p, _ in triples]) - c, axis=1) - r)
                              < 0.5 * TRIPLE * r):
            continue  # an existing triple point lies near the new sphere: a quadruple point
        new = _pore_triples(c, r, crossed, links, pores, nbrs, planes, draws)
        if new is None:
            continue
        last = draws
        n = len(pores)
        pores.append(Pore(c, r, crossed, uid=draws))
        pieces.append(piece)
        nbrs.append(set(links))
        for i in links:
            nbrs[i].add(n)
        triples += new
        centres, radii = np.vstack([centres, c]), np.append(radii, r)
        grid.add(piece)
        if grid.fraction() < target - TOL:
            continue
        keep = sorted(_components(len(pores), [(i, j) for i in range(n + 1) for j in nbrs[i] if i < j],
                                  [i for i, p in enumerate(pores) if p.top]))
        if len(keep) < len(pores):
            # drop pores not connected to the separator side, then grow the network only
            index = {old: new for new, old in enumerate(keep)}
            dropped += len(pores) - len(keep)
            pores = [pores[i] for i in keep]
            pieces = [pieces[i] for i in keep]
            nbrs = [{index[j] for j in nbrs[i] if j in index} for i in keep]
            alive = {p.uid for p in pores}
            triples = [(p, uids) for p, uids in triples if uids <= alive]
            centres, radii = centres[keep], radii[keep]
            grid.rebuild(pieces)
            connected_only = True
            if grid.fraction() < target - TOL:
                continue
        if not any(p.bottom for p in pores):
            raise LayoutError(
                f"open_foam: at porosity {target:g} the pores (pore_diameter {spec.pore_diameter:.3g} m) connected "
                f"to the separator side do not reach the current collector through host_height "
                f"{hh:.3g} m; raise porosity or pore_diameter, or try another seed"
            )
        return FoamLayout(pores, grid.fraction(), draws, dropped)
    raise LayoutError(
        f"open_foam: could not reach porosity {target:g} with pore_diameter {spec.pore_diameter:.3g} m in "
        f"{draws} draws (reached {grid.fraction():.3f} with {len(pores)} connected pores); "
        "lower porosity or change pore_diameter"
    )


# ----------------------------------------------------------------------------- OCC seams
#
# OCC cylinders carry a seam line and spheres a seam half-meridian with two poles.
# Where a seam passes close to a point where three surfaces meet, or runs along an
# intersection curve, the Boolean result has edges of a few nanometres. The builder
# therefore turns each solid about its centre so that its seam (and poles) keep
# clear of those features; the directions are chosen here.


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


def _fibonacci(n: int) -> np.ndarray:
    k = np.arange(n) + 0.5
    z = 1.0 - 2.0 * k / n
    phi = math.pi * (1.0 + math.sqrt(5.0)) * k
    s = np.sqrt(1.0 - z * z)
    return np.stack([s * np.cos(phi), s * np.sin(phi), z], axis=1)


def pore_orientations(layout: FoamLayout, spec) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per pore, (pole direction, seam direction): poles away from the circles the
    sphere is cut along, the seam away from its triple points and from tangency."""
    planes = _layer_planes(spec)
    pores = layout.pores
    out = []
    # candidate orientations: 48 pole directions x 8 seam azimuths
    P, S = [], []
    for p in _fibonacci(48):
        e1, e2 = _axes(p)
        for az in np.arange(8) * math.pi / 4:
            P.append(p)
            S.append(math.cos(az) * e1 + math.sin(az) * e2)
    P, S = np.array(P), np.array(S)
    N = np.cross(P, S)
    # points where the seams of pores oriented earlier cross a circle this pore shares
    vertices: list[list[np.ndarray]] = [[] for _ in pores]
    for i, q in enumerate(pores):
        c, r = q.centre, q.radius
        partners = [j for j, p in enumerate(pores) if j != i and np.linalg.norm(p.centre - c) < r + p.radius]
        cut = [_radical_plane(c, r, pores[j].centre, pores[j].radius) for j in partners]
        cut += [planes[j] for j in q.planes]
        axes, radii = [], []
        for n, k in cut:
            a = n / np.linalg.norm(n)
            axes.append(a)
            radii.append(math.acos(min(1.0, max(-1.0, (k / np.linalg.norm(n) - a @ c) / r))))
        points = []
        for m in range(len(cut)):
            for mm in range(m + 1, len(cut)):
                points += [(p - c) / r for p in _circles(c, r, cut[m], cut[mm])[0]]
        points += [(v - c) / r for v in vertices[i]]
        A = np.array(axes).reshape(-1, 3)
        alpha = np.array(radii)
        T = np.array(points).reshape(-1, 3)
        score = np.full(len(P), math.pi)
        if len(A):
            for sign in (1.0, -1.0):
                pole = np.abs(np.arccos(np.clip(sign * P @ A.T, -1, 1)) - alpha)
                score = np.minimum(score, pole.min(axis=1))
            tang = np.abs(np.arcsin(np.clip(np.abs(N @ A.T), 0, 1)) - alpha)
            score = np.minimum(score, np.where(S @ A.T >= 0, tang, math.pi).min(axis=1))
        if len(T):
            off = np.arcsin(np.clip(np.abs(N @ T.T), 0, 1))
            cos = np.clip(P @ T.T, -1, 1)
            ends = np.minimum(np.arccos(cos), np.arccos(-cos))
            score = np.minimum(score, np.where(S @ T.T >= 0, off, ends).min(axis=1))
        best = int(np.argmax(score))
        p, s, n = P[best], S[best], N[best]
        out.append((p, s))
        for j, plane in zip(partners, cut):  # where this seam crosses the circles shared with other pores
            crossing = _circles(c, r, (n, float(n @ c)), plane)[0]
            vertices[j] += [x for x in crossing if (x - c) @ s >= 0]
    return out
