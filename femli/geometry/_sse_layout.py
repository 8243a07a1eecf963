"""Plain geometry for the solid-electrolyte cell, without Gmsh (SI or any unit).

Everything here is deterministic given its inputs (seeded ``numpy`` generators),
so the validators in :mod:`femli.geometry.sse` can run it to refuse impossible
inputs before Gmsh starts, and the builder runs it again to get the same layout.
"""

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


def disk_in_rectangle_area(r: float, a: float, b: float) -> float:
    """Area of the disk of radius ``r`` centred in the rectangle [-a, a] x [-b, b]."""
    if r <= 0:
        return 0.0

    def primitive(x):  # integral of sqrt(r^2 - x^2)
        x = min(x, r)
        return 0.5 * (x * math.sqrt(max(r * r - x * x, 0.0)) + r * r * math.asin(x / r))

    # quarter: x in [0, a], y in [0, min(b, sqrt(r^2 - x^2))]
    x_end = min(a, r)
    x_flat = min(math.sqrt(max(r * r - b * b, 0.0)), x_end)  # where the arc rises above y = b
    quarter = b * x_flat + primitive(x_end) - primitive(x_flat)
    return 4.0 * quarter


def clipped_spot_radius(fraction: float, a: float, b: float) -> float:
    """Radius of a centred disk covering ``fraction`` of the rectangle [-a, a] x [-b, b].

    When the disk would not fit, it is clipped by the rectangle (the sides are
    mirror planes, so the clipped spots of neighbouring cells join up).
    """
    target = fraction * 4.0 * a * b
    lo, hi = 0.0, math.hypot(a, b)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if disk_in_rectangle_area(mid, a, b) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def segment_distance(p0, p1, q0, q1) -> float:
    """Shortest distance between the 2D segments p0-p1 and q0-q1 (points allowed)."""
    p0, p1, q0, q1 = (np.asarray(v, float) for v in (p0, p1, q0, q1))

    def point_segment(x, a, b):
        d = b - a
        L2 = float(d @ d)
        t = 0.0 if L2 == 0 else min(1.0, max(0.0, float((x - a) @ d) / L2))
        return float(np.linalg.norm(x - (a + t * d)))

    d1, d2 = p1 - p0, q1 - q0
    cross = d1[0] * d2[1] - d1[1] * d2[0]
    if abs(cross) > 1e-300:  # proper crossing of non-parallel segments
        r = q0 - p0
        t = (r[0] * d2[1] - r[1] * d2[0]) / cross
        u = (r[0] * d1[1] - r[1] * d1[0]) / cross
        if 0 <= t <= 1 and 0 <= u <= 1:
            return 0.0
    return min(point_segment(p0, q0, q1), point_segment(p1, q0, q1), point_segment(q0, p0, p1), point_segment(q1, p0, p1))


@dataclass(frozen=True)
class Footprint:
    """What a feature occupies: the set of points within ``radius`` of the
    segment p0-p1 in x-y, for z in [z0, z1] (a capsule prism, conservative)."""

    label: str
    p0: tuple[float, float]
    p1: tuple[float, float]
    radius: float
    z0: float
    z1: float
    crosses_cell: bool = False  # an edge notch runs through the cell by design

    def gap(self, other: "Footprint") -> float:
        """Lateral clearance to ``other`` (negative: they overlap); +inf when apart in z."""
        if self.z1 <= other.z0 or other.z1 <= self.z0:
            return math.inf
        return segment_distance(self.p0, self.p1, other.p0, other.p1) - self.radius - other.radius


def random_disks(count: int, radius: float, width: float, depth: float, seed: int, *, margin: float,
                 gap: float, avoid: tuple[Footprint, ...] = (), rims: tuple[tuple[float, float, float], ...] = (),
                 attempts: int = 1500) -> list[tuple[float, float]] | None:
    """Random sequential adsorption of ``count`` disks inside the rectangle.

    Each disk keeps ``margin`` from the sides and ``gap`` from the other disks
    and from the ``avoid`` footprints, and does not cross the ``rims`` (circles
    x, y, r: each disk lies inside or outside each circle, ``gap`` away from it).
    Returns None when ``attempts`` x count trials do not place them all (the
    coverage is not reachable).
    """
    rng = np.random.default_rng(seed)
    lo = radius + margin
    if 2 * lo >= min(width, depth):
        return None
    placed: list[tuple[float, float]] = []
    tries = 0
    while len(placed) < count:
        tries += 1
        if tries > attempts * max(count, 1):
            return None
        x, y = rng.uniform(lo, width - lo), rng.uniform(lo, depth - lo)
        if any(math.hypot(x - px, y - py) < 2 * radius + gap for px, py in placed):
            continue
        if any(segment_distance((x, y), (x, y), f.p0, f.p1) < radius + f.radius + gap for f in avoid):
            continue
        if any(abs(math.hypot(x - cx, y - cy) - cr) < radius + gap for cx, cy, cr in rims):
            continue
        placed.append((float(x), float(y)))
    return placed


def count_and_radius(fraction: float, radius: float, area: float) -> tuple[int, float]:
    """Number of disks of about ``radius`` covering ``fraction`` of ``area``, and the
    radius that makes the covered area exact (it differs from ``radius`` by the
    rounding of the count: a factor sqrt(1 +- 1/(2n)) at most). n = 0 when a single
    disk would cover more than twice the area wanted."""
    n = round(fraction * area / (math.pi * radius**2))
    if n == 0:  # one disk of this radius covers more than twice the area wanted
        return 0, radius
    return n, math.sqrt(fraction * area / (n * math.pi))


# --- polycrystal ---------------------------------------------------------------


@dataclass
class Polyhedron:
    vertices: np.ndarray  # (n, 3)
    faces: list[list[int]]  # vertex indices of each planar face, ordered around it
    volume: float


@lru_cache(maxsize=64)
def _grain_layout(count: int, lo: tuple, hi: tuple, seed: int, columnar: bool, shrink: float, candidates: int):
    best, best_edge = None, -1.0
    for k in range(candidates):
        pts = _random_seeds(count, lo, hi, (seed, k), columnar)
        if pts is None:
            continue
        edge = shortest_edge(grain_cells(pts, lo, hi, shrink, 1e-9 * max(np.subtract(hi, lo))))
        if edge > best_edge:
            best, best_edge = pts, edge
    return best, best_edge


def grain_seeds(count: int, lo, hi, seed: int, columnar: bool, shrink: float, candidates: int = 8):
    """Seeds for ``count`` grains and the shortest edge of the grain-boundary network.

    Seeds are uniformly random but kept apart (random sequential adsorption with
    a spacing of 0.5 x the mean grain size), so that no grain is a sliver. Of
    ``candidates`` such draws (all determined by ``seed``), the one whose shrunk
    grains have the longest shortest edge is kept: Voronoi diagrams have edges of
    any length, and very short ones cost tiny, flat tetrahedra. Returns (None, 0)
    when the grains cannot be placed apart.
    """
    pts, edge = _grain_layout(int(count), tuple(map(float, lo)), tuple(map(float, hi)), int(seed), bool(columnar),
                              float(shrink), int(candidates))
    return (None, 0.0) if pts is None else (pts.copy(), edge)


def _random_seeds(count: int, lo, hi, seed, columnar: bool) -> np.ndarray | None:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    ext = hi - lo
    dims = 2 if columnar else 3
    size = (np.prod(ext[:dims]) / count) ** (1.0 / dims)
    spacing = 0.5 * size
    rng = np.random.default_rng(seed)
    pts: list[np.ndarray] = []
    for _ in range(20000 * count):
        p = lo + rng.uniform(0, 1, 3) * ext
        if columnar:
            p[2] = 0.5 * (lo[2] + hi[2])
        if all(np.linalg.norm((p - q)[:dims]) >= spacing for q in pts):
            pts.append(p)
            if len(pts) == count:
                return np.array(pts)
    return None


def _halfspace_cell(i: int, seeds: np.ndarray, lo, hi, shrink: float):
    """Half-spaces (A x + b <= 0) of seed i's Voronoi cell in the box lo..hi, each
    bisector moved towards seed i by ``shrink``; the box faces are not moved.
    Returns (halfspaces, is_bisector)."""
    eye = np.eye(3)
    box = np.vstack([np.hstack([-eye, np.asarray(lo, float)[:, None]]), np.hstack([eye, -np.asarray(hi, float)[:, None]])])
    si = seeds[i]
    others = np.delete(seeds, i, axis=0)
    d = others - si
    n = d / np.linalg.norm(d, axis=1)[:, None]
    # n . x <= n . (si + sj)/2 - shrink
    offset = -(np.einsum("ij,ij->i", n, 0.5 * (si + others)) - shrink)
    rows = np.vstack([box, np.hstack([n, offset[:, None]])])
    return rows, np.r_[np.zeros(6, bool), np.ones(len(others), bool)]


def _polyhedron(halfspaces: np.ndarray, interior: np.ndarray, tol: float) -> tuple[Polyhedron, list[int]]:
    """The convex polyhedron of ``halfspaces`` with merged vertices and planar faces;
    also the half-space index of each face."""
    from scipy.spatial import ConvexHull, HalfspaceIntersection

    hs = HalfspaceIntersection(halfspaces, interior)
    raw = hs.intersections
    # merge vertices qhull reports several times where more than three planes meet
    close = np.linalg.norm(raw[:, None, :] - raw[None, :, :], axis=2) < tol
    first = np.argmax(close, axis=1)  # lowest index of each vertex's group
    V = raw[np.unique(first)]
    faces, owners = [], []
    on_plane = np.abs(V @ halfspaces[:, :3].T + halfspaces[:, 3]) < tol  # (vertex, half-space)
    for k in np.nonzero(on_plane.sum(axis=0) >= 3)[0]:
        on = np.nonzero(on_plane[:, k])[0]
        n = halfspaces[k, :3]
        c = V[on].mean(axis=0)
        u = V[on[0]] - c
        u /= np.linalg.norm(u)
        w = np.cross(n, u)
        ang = np.arctan2((V[on] - c) @ w, (V[on] - c) @ u)
        faces.append([int(v) for v in on[np.argsort(ang)]])
        owners.append(int(k))
    return Polyhedron(V, faces, float(ConvexHull(V).volume)), owners


def _polygon_area(P: np.ndarray) -> float:
    c = P.mean(axis=0)
    total = np.zeros(3)
    for a, b in zip(P, np.roll(P, -1, axis=0)):
        total += np.cross(a - c, b - c)
    return 0.5 * float(np.linalg.norm(total))


def grain_cells(seeds: np.ndarray, lo, hi, shrink: float, tol: float) -> list[Polyhedron]:
    """Each seed's Voronoi cell clipped to the box lo..hi, shrunk by ``shrink`` on
    every face shared with another grain. Clipping a Voronoi diagram to a box
    this way equals using seeds mirrored in the box faces."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    return [_polyhedron(_halfspace_cell(i, seeds, lo, hi, shrink)[0], seeds[i], tol)[0] for i in range(len(seeds))]


def grain_boundary_area(seeds: np.ndarray, lo, hi, tol: float) -> float:
    """Total area of the faces shared by two grains (Voronoi cells clipped to the box)."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    total = 0.0
    for i in range(len(seeds)):
        hs, bis = _halfspace_cell(i, seeds, lo, hi, 0.0)
        poly, owners = _polyhedron(hs, seeds[i], tol)
        total += sum(_polygon_area(poly.vertices[f]) for f, k in zip(poly.faces, owners) if bis[k])
    return 0.5 * total


def shortest_edge(polys: list[Polyhedron]) -> float:
    best = math.inf
    for p in polys:
        for f in p.faces:
            P = p.vertices[f]
            best = min(best, float(np.min(np.linalg.norm(P - np.roll(P, -1, axis=0), axis=1))))
    return best
