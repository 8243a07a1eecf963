"""Small Gmsh/OCC helpers shared by the builders.

Length unit: OpenCASCADE and Gmsh's mesher use absolute tolerances (OCC's
confusion distance is 1e-7 model units). A host built in metres at micrometre
scale fails to mesh ("PLC Error: a vertex lies in a segment"). Builders
therefore work in a model unit of about the size of the domain, declare it with
:func:`declare_unit`, and :mod:`femli.mesh` scales the mesh nodes to metres
after meshing. Everything a builder *returns* (GeometryInfo) is in SI.
"""

import math

import gmsh

from femli.errors import GeometryError

LENGTH_UNIT_ATTRIBUTE = "femli.length_unit"


def choose_unit(extent: float) -> float:
    """A power of ten that puts ``extent`` (m) between 1 and 10 model units."""
    return 10.0 ** math.floor(math.log10(extent))


def declare_unit(unit: float) -> None:
    gmsh.model.setAttribute(LENGTH_UNIT_ATTRIBUTE, [repr(unit)])


def declared_unit() -> float:
    if LENGTH_UNIT_ATTRIBUTE in gmsh.model.getAttributeNames():
        return float(gmsh.model.getAttribute(LENGTH_UNIT_ATTRIBUTE)[0])
    return 1.0


def single_volume(dimtags, what: str) -> int:
    volumes = [tag for dim, tag in dimtags if dim == 3]
    if len(volumes) != 1:
        raise GeometryError(f"{what}: expected one electrolyte volume after the Boolean operation, got {len(volumes)}")
    return volumes[0]


def distance_threshold(kind: str, tags, size_min, size_max, dist_max, sampling: int) -> int:
    """Field growing linearly from size_min on the entities to size_max at dist_max.

    ``kind`` is "CurvesList" or "SurfacesList". Gmsh replaces the entities by
    ``sampling`` points per parametric direction, so sampling must resolve size_min
    or the size at the surface itself comes out too large.
    """
    field = gmsh.model.mesh.field
    dist = field.add("Distance")
    field.setNumbers(dist, kind, list(tags))
    field.setNumber(dist, "Sampling", int(sampling))
    thr = field.add("Threshold")
    field.setNumber(thr, "InField", dist)
    field.setNumber(thr, "SizeMin", size_min)
    field.setNumber(thr, "SizeMax", size_max)
    field.setNumber(thr, "DistMin", 0.0)
    field.setNumber(thr, "DistMax", dist_max)
    return thr


def use_size_fields(fields: list[int]) -> None:
    """Make the minimum of ``fields`` the only source of element sizes."""
    field = gmsh.model.mesh.field
    if len(fields) == 1:
        background = fields[0]
    else:
        background = field.add("Min")
        field.setNumbers(background, "FieldsList", fields)
    field.setAsBackgroundMesh(background)
    for source in ("MeshSizeFromPoints", "MeshSizeFromCurvature", "MeshSizeExtendFromBoundary"):
        gmsh.option.setNumber(f"Mesh.{source}", 0)


def stacked_cylinders(centres, levels, height: float, radius: float) -> list[tuple[int, int]]:
    """Vertical cylinders at ``centres`` (model units), each a stack of segments between
    consecutive ``levels`` (fractions of ``height``): one Boolean with them leaves the
    lateral faces split exactly at the levels (coating band edges)."""
    occ = gmsh.model.occ
    tools = []
    for cx, cy in centres:
        for lo, hi in zip(levels, levels[1:]):
            seg = occ.addCylinder(cx, cy, lo * height, 0, 0, (hi - lo) * height, radius)
            # OCC puts the cylinder seam at angle 0; turning it to 45 degrees keeps it off
            # the mirror planes that cut edge and corner features
            occ.rotate([(3, seg)], cx, cy, 0, 0, 0, 1, math.pi / 4)
            tools.append((3, seg))
    return tools


def box_side(bbox, size, tol) -> str | None:
    """Which face of the box [0, size] a boundary face with bounding box ``bbox`` lies on:
    "bottom", "top", "symmetry_xmin", ... or None for a face inside the box."""
    x0, y0, z0, x1, y1, z1 = bbox
    for name, lo, hi, value in (
        ("bottom", z0, z1, 0.0), ("top", z0, z1, size[2]),
        ("symmetry_xmin", x0, x1, 0.0), ("symmetry_xmax", x0, x1, size[0]),
        ("symmetry_ymin", y0, y1, 0.0), ("symmetry_ymax", y0, y1, size[1]),
    ):
        if abs(lo - value) < tol and abs(hi - value) < tol:
            return name
    return None


def add_groups(dim: int, groups: dict[str, list[int]]) -> None:
    """One physical group per non-empty name."""
    for name, tags in groups.items():
        if tags:
            gmsh.model.addPhysicalGroup(dim, sorted(tags), name=name)
