"""Seeded random layout of the pores of an OpenFoam, made and checked in numpy
before Gmsh runs (the rules and the filling shared with the fibers:
femli.geometry._layout_common).

On top of the shared rules, where three surfaces meet (two pores and a plane,
...) the two triple points are well apart, and no fourth surface passes near
them. When the target is reached, pores not connected to the separator side
(through pore-pore overlaps) are dropped and the network grown again.
:func:`pore_orientations` turns each OCC sphere's seam and poles away from the
features on its surface.
"""

import math
from dataclasses import dataclass

import numpy as np

from femli.geometry._layout_common import (
    GAP, MAX_DRAWS, STALL, TANGENCY, TOL, LayoutError, _axes, _components, _Grid, _radius,
)

NECK = 0.3  # smallest opening radius where a pore meets another pore or a plane, x its radius
MAX_NECK = 0.8  # largest window between two pores, x the smaller radius (deeper overlaps tangle OCC)
TRIPLE = 0.2  # smallest distance between two points where three pore/plane surfaces meet, x pore radius


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
# OCC spheres carry a seam half-meridian with two poles. Where a seam passes close to
# a point where three surfaces meet, or runs along an intersection curve, the Boolean
# result has edges of a few nanometres. The builder therefore turns each sphere about
# its centre so that its seam and poles keep clear of those features; the directions
# are chosen here.


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
