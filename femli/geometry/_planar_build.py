"""Gmsh OCC construction of the planar cell (see femli.geometry.planar)."""

import math

import gmsh

from femli.geometry import _occ
from femli.geometry.base import GeometryInfo, MeshOptions
from femli.geometry.planar import PlanarCell


def build_planar_cell(spec: PlanarCell, mesh: MeshOptions) -> GeometryInfo:
    Lx, Ly, L = spec.size
    unit = _occ.choose_unit(max(spec.size))
    _occ.declare_unit(unit)
    s = 1.0 / unit
    occ = gmsh.model.occ
    volume = occ.addBox(0, 0, 0, Lx * s, Ly * s, L * s)
    occ.synchronize()
    tol = 1e-5 * max(spec.size) * s
    groups = {name: [] for name in ("electrode", "separator", "symmetry_xmin", "symmetry_xmax", "symmetry_ymin", "symmetry_ymax")}
    names = {"bottom": "electrode", "top": "separator"}
    for _, face in gmsh.model.getBoundary([(3, volume)], oriented=False):
        side = _occ.box_side(occ.getBoundingBox(2, face), (Lx * s, Ly * s, L * s), tol)
        groups[names.get(side, side)].append(face)
    gmsh.model.addPhysicalGroup(3, [volume], name="electrolyte")
    _occ.add_groups(2, groups)
    # the diffusion layer grows from the electrode: fine there, coarse towards the separator
    hmin, hmax = mesh.size_min * s, mesh.size_max * s
    field = _occ.distance_threshold("SurfacesList", groups["electrode"], hmin, hmax, mesh.growth_distance * s,
                                    min(500, math.ceil(max(Lx, Ly) * s / hmin) + 1))
    _occ.use_size_fields([field])
    return GeometryInfo(bounds=((0.0, 0.0, 0.0), (Lx, Ly, L)), z_collector=0.0, z_separator=L,
                        measures={"electrode_area": Lx * Ly})
