"""OCC tool shapes for the solid-electrolyte cell (model units; see femli.geometry.sse).

Every tool that starts at the interface reaches a little below z = 0, so the
cell's bottom face cuts it transversally (no coincident faces); the parts
outside the cell are dropped after the fragment.
"""

import math

import gmsh
import numpy as np

from femli.geometry._sse_layout import Polyhedron
from femli.geometry._sse_features import Flaw, Protrusion, Void


def _occ():
    return gmsh.model.occ


def polygon(points) -> int:
    """A planar face through ``points`` (in order)."""
    occ = _occ()
    tags = [occ.addPoint(*p) for p in points]
    lines = [occ.addLine(a, b) for a, b in zip(tags, tags[1:] + tags[:1])]
    return occ.addPlaneSurface([occ.addCurveLoop(lines)])


def void(v: Void, s: float) -> int:
    occ = _occ()
    cx, cy = v.center[0] * s, v.center[1] * s
    if v.shape == "spherical_cap":
        a, h = v.radius * s, v.height * s
        R = (a * a + h * h) / (2 * h)
        zc = h - R
        lat = math.asin(max(-1.0, min(1.0, (-0.25 * h - zc) / R)))
        return occ.addSphere(cx, cy, zc, R, angle1=max(lat, -math.pi / 2))
    a, b, c = (x * s for x in v.semi_axes)
    tag = occ.addSphere(0, 0, 0, 1.0, angle1=math.asin(-0.25))
    occ.dilate([(3, tag)], 0, 0, 0, a, b, c)
    if v.angle:
        occ.rotate([(3, tag)], 0, 0, 0, 0, 0, 1, math.radians(v.angle))
    occ.translate([(3, tag)], cx, cy, 0)
    return tag


def protrusion(p: Protrusion, s: float) -> int:
    """The filament solid: a profile revolved about the filament axis."""
    occ = _occ()
    cx, cy = p.center[0] * s, p.center[1] * s
    r = p.radius * s
    if p.shape == "hemisphere":
        return occ.addSphere(cx, cy, 0, r, angle1=math.asin(-0.25))
    L, rho = p.length * s, p.tip * s
    e = 0.25 * min(r, L)
    # profile in the half plane (radial, z), revolved about the filament axis
    if p.shape == "cylinder":
        pts = [(0, -e), (r, -e), (r, L - rho)]
        centre, top = (r - rho, L - rho), (r - rho, L)
    else:
        tx, tz = (v * s for v in p.cone_tangent())
        slope = (r - tx) / tz  # radial change per unit depth below the tangent point
        pts = [(0, -e), (r + e * slope, -e), (tx, tz)]
        centre, top = (0, L - rho), (0, L)
    P = [occ.addPoint(cx + x, cy, z) for x, z in pts]
    lines = [occ.addLine(P[0], P[1]), occ.addLine(P[1], P[2])]
    c = occ.addPoint(cx + centre[0], cy, centre[1])
    t = occ.addPoint(cx + top[0], cy, top[1])
    lines.append(occ.addCircleArc(P[2], c, t))
    occ.remove([(0, c)])
    axis_top = t
    if top[0] > 1e-12 * r:  # flat top of a cylinder with a small edge radius
        axis_top = occ.addPoint(cx, cy, L)
        lines.append(occ.addLine(t, axis_top))
    lines.append(occ.addLine(axis_top, P[0]))
    face = occ.addPlaneSurface([occ.addCurveLoop(lines)])
    out = occ.revolve([(2, face)], cx, cy, 0, 0, 0, 1, 2 * math.pi)
    return [tag for dim, tag in out if dim == 3][0]


def flaw(f: Flaw, s: float, cell_diagonal: float) -> tuple[int, int]:
    """(slot volume, mid-plane face). The mid-plane face splits the slot so that
    the flaw front exists as a curve on the slot's tip faces."""
    occ = _occ()
    nx, ny = f.normal
    tx, ty = f.trace
    w = f.opening * s
    a = f.depth * s
    x, y = f.center[0] * s, f.center[1] * s
    z = f.center[2] * s if f.shape == "penny" else 0.0
    if f.shape == "edge_notch":
        L, e = cell_diagonal * s, 0.25 * a

        def rect(off):
            ox, oy = x + off * nx, y + off * ny
            return polygon([(ox - L * tx, oy - L * ty, -e), (ox + L * tx, oy + L * ty, -e),
                            (ox + L * tx, oy + L * ty, a), (ox - L * tx, oy - L * ty, a)])

        side, mid = rect(-w / 2), rect(0.0)
    else:
        c = f.c * s

        def disk(off):
            if c >= a:
                return occ.addDisk(x + off * nx, y + off * ny, z, c, a, zAxis=[nx, ny, 0], xAxis=[tx, ty, 0])
            return occ.addDisk(x + off * nx, y + off * ny, z, a, c, zAxis=[nx, ny, 0], xAxis=[0, 0, 1])

        side, mid = disk(-w / 2), disk(0.0)
    out = occ.extrude([(2, side)], w * nx, w * ny, 0)
    vol = [tag for dim, tag in out if dim == 3][0]
    return vol, mid


def polyhedron(p: Polyhedron, s: float) -> int:
    """A convex polyhedron as an OCC volume (shared points and lines, planar faces)."""
    occ = _occ()
    pts = [occ.addPoint(*(np.asarray(v) * s)) for v in p.vertices]
    lines: dict[tuple[int, int], int] = {}
    faces = []
    for f in p.faces:
        loop = []
        for a, b in zip(f, f[1:] + f[:1]):
            key = (min(a, b), max(a, b))
            if key not in lines:
                lines[key] = occ.addLine(pts[key[0]], pts[key[1]])
            loop.append(lines[key] if a < b else -lines[key])
        faces.append(occ.addPlaneSurface([occ.addCurveLoop(loop)]))
    return occ.addVolume([occ.addSurfaceLoop(faces)])
