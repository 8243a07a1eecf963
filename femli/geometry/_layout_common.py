"""What the seeded random host layouts share: the admissibility rules common to
fibers (femli.geometry._fiber_layout, FiberMat) and pores
(femli.geometry._foam_layout, OpenFoam), the sampling grid and small helpers.
The layouts are made and checked in numpy before Gmsh runs.

Both layouts are drawn sequentially from ``numpy.random.default_rng(seed)``, so
a spec always gives the same layout. A candidate is accepted only if it is
*admissible*, because near-tangent contacts, grazing intersections and nearly
coincident intersection points leave sliver faces and nanometre edges that OCC
cuts slowly and Gmsh meshes with degenerate tetrahedra: every pair of surfaces
(fiber, pore, plane of the layer) either stays apart by a clear gap or
intersects clearly (no tangency, no grazing angle). The fiber and foam modules
add their own rules.

Volume fractions are counted on a cell-centred grid (:class:`_Grid`) of spacing
radius/4 to 1/5 (error well below 0.5 % of the layer volume); the builder
reports the porosity measured on the OCC solids instead.

Filling to a target porosity runs in two phases: (1) admissible candidates are
accepted anywhere until the target is reached, (2) members not connected to
the required boundary (fibers: the collector, through fiber-fiber overlaps;
pores: the separator side, through pore-pore overlaps) are dropped and only
candidates that join the connected network are accepted until the target is
reached again. No candidate may overshoot the target by more than TOL.
"""

import math

import numpy as np

GAP = 0.25  # smallest clear gap between surfaces that do not intersect, x mean radius
TANGENCY = 0.2  # distance from external/internal tangency of two cylinders or spheres, x smaller radius
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


def _axes(u):
    a = np.array([1.0, 0.0, 0.0]) if abs(u[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(u, a)
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(u, e1)

