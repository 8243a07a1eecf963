"""Gmsh OCC construction of the disk-electrode verification domain (see femli.geometry.disk)."""

import math

import gmsh

from femli.errors import GeometryError
from femli.geometry import _occ
from femli.geometry.base import GeometryInfo, MeshOptions
from femli.geometry.disk import DiskElectrode


def build_disk_electrode(spec: DiskElectrode, mesh: MeshOptions) -> GeometryInfo:
    R = spec.domain_radius
    unit = _occ.choose_unit(R)
    _occ.declare_unit(unit)
    s = 1.0 / unit
    a, r_dom = spec.disk_radius * s, R * s
    occ = gmsh.model.occ

    # The octant of the ball (polar angle 0..90 degrees from the equator, azimuth 0..90).
    ball = occ.addSphere(0, 0, 0, r_dom, angle1=0.0, angle2=math.pi / 2, angle3=math.pi / 2)
    # Quarter disk on z = 0; fragmenting splits the bottom face along the disk edge.
    o, px, py = occ.addPoint(0, 0, 0), occ.addPoint(a, 0, 0), occ.addPoint(0, a, 0)
    loop = occ.addCurveLoop([occ.addLine(o, px), occ.addCircleArc(px, o, py), occ.addLine(py, o)])
    disk = occ.addPlaneSurface([loop])
    try:
        out, _ = occ.fragment([(3, ball)], [(2, disk)])
    except Exception as exc:
        raise GeometryError(f"disk_electrode: OCC could not split the plane at the disk edge ({exc})") from None
    occ.synchronize()
    volume = _occ.single_volume(out, "disk_electrode")

    tol = 1e-5 * r_dom

    def flat(lo, hi):
        return abs(lo) < tol and abs(hi) < tol

    groups = {name: [] for name in ("electrode", "insulator", "counter", "symmetry_x", "symmetry_y")}
    for _, face in gmsh.model.getBoundary([(3, volume)], oriented=False):
        x0, y0, z0, x1, y1, z1 = occ.getBoundingBox(2, face)
        cx, cy, _ = occ.getCenterOfMass(2, face)
        if flat(z0, z1):
            groups["electrode" if math.hypot(cx, cy) < a else "insulator"].append(face)
        elif flat(x0, x1):
            groups["symmetry_x"].append(face)
        elif flat(y0, y1):
            groups["symmetry_y"].append(face)
        elif gmsh.model.getType(2, face) == "Sphere":
            groups["counter"].append(face)
        else:
            raise GeometryError(f"disk_electrode: cannot classify boundary face {face}")
    if len(groups["electrode"]) != 1 or not groups["insulator"] or not groups["counter"]:
        raise GeometryError(f"disk_electrode: unexpected boundary faces {groups}")

    gmsh.model.addPhysicalGroup(3, [volume], name="electrolyte")
    _occ.add_groups(2, groups)

    # The current density diverges as (a - r)^-1/2 at the edge: grade the mesh
    # from size_min at the edge curve up to size_max at growth_distance.
    edge = [
        abs(c)
        for _, c in gmsh.model.getBoundary([(2, groups["electrode"][0])], oriented=False)
        if gmsh.model.getType(1, abs(c)) == "Circle"
    ]
    hmin = mesh.size_min * s
    sampling = min(20000, math.ceil((math.pi * a / 2) / (hmin / 4)))
    field = _occ.distance_threshold("CurvesList", edge, hmin, mesh.size_max * s, mesh.growth_distance * s, sampling)
    _occ.use_size_fields([field])

    return GeometryInfo(
        bounds=((0.0, 0.0, 0.0), (R, R, R)),
        z_collector=0.0,
        z_separator=R,
        # the modelled quarter disk (two mirror planes): the full disk is 4x this
        measures={"disk_area": occ.getMass(2, groups["electrode"][0]) * unit**2},
    )
