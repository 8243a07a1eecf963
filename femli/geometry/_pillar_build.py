"""Gmsh OCC construction of the pillar-array host (see femli.geometry.pillar)."""

import math

import gmsh

from femli.errors import GeometryError
from femli.geometry import _occ
from femli.geometry.base import GeometryInfo, MeshOptions
from femli.geometry.pillar import PillarArray


def build_pillar_array(spec: PillarArray, mesh: MeshOptions) -> GeometryInfo:
    Lx, Ly, H = spec.size
    unit = _occ.choose_unit(max(Lx, Ly, H))
    _occ.declare_unit(unit)
    s = 1.0 / unit  # metres -> model units
    r, hp = spec.pillar_radius * s, spec.pillar_height * s
    bands = spec.coating.resolved()
    occ = gmsh.model.occ

    # Each pillar is a stack of cylinders cut at the band boundaries; one cut of
    # the box by all of them leaves the lateral faces split exactly there.
    levels = sorted({0.0, 1.0, *(f for band in bands for f in band)})
    box = occ.addBox(0, 0, 0, Lx * s, Ly * s, H * s)
    box_volume = occ.getMass(3, box)
    tools = _occ.stacked_cylinders([(cx * s, cy * s) for cx, cy in spec.centres()], levels, hp, r)
    tol = 1e-5 * max(Lx, Ly, H) * s  # OCC pads bounding boxes by its 1e-7 tolerance
    host_volumes = []
    if spec.mesh_host:
        # host meshed too: fragment keeps the pillar segments as volumes sharing their faces with the electrolyte
        try:
            out, _ = occ.fragment([(3, box)], tools)
        except Exception as exc:
            raise GeometryError(f"pillar_array: OCC could not fragment the box with the pillars ({exc})") from None
        occ.synchronize()
        electrolyte = []
        for dim, tag in out:
            if dim != 3:
                continue
            x0, y0, z0, x1, y1, z1 = occ.getBoundingBox(3, tag)
            cx, cy, cz = occ.getCenterOfMass(3, tag)
            if not (-tol < cx < Lx * s + tol and -tol < cy < Ly * s + tol):
                occ.remove([(3, tag)], recursive=True)  # part of a corner pillar outside the unit cell
            elif z1 > hp + tol:
                electrolyte.append((3, tag))
            else:
                host_volumes.append(tag)
        occ.synchronize()
        volume = _occ.single_volume(electrolyte, "pillar_array")
    else:
        try:
            out, _ = occ.cut([(3, box)], tools)
        except Exception as exc:
            raise GeometryError(f"pillar_array: OCC could not cut the pillars from the box ({exc})") from None
        occ.synchronize()
        volume = _occ.single_volume(out, "pillar_array")
    centres = [(cx * s, cy * s) for cx, cy in spec.centres()]

    def coated(z_fraction: float) -> bool:
        return any(lo <= z_fraction <= hi for lo, hi in bands)

    def flat_at(lo, hi, value):
        return abs(lo - value) < tol and abs(hi - value) < tol

    groups = {name: [] for name in ("host_coated", "host_bare", "current_collector", "separator",
                                    "symmetry_xmin", "symmetry_xmax", "symmetry_ymin", "symmetry_ymax")}
    plate, pillar_faces = [], []
    for _, face in gmsh.model.getBoundary([(3, volume)], oriented=False):
        x0, y0, z0, x1, y1, z1 = occ.getBoundingBox(2, face)
        cx, cy, cz = occ.getCenterOfMass(2, face)
        side = _occ.box_side((x0, y0, z0, x1, y1, z1), (Lx * s, Ly * s, H * s), tol)
        if side == "bottom":
            plate.append(face)
            groups["host_coated" if spec.coating.coat_collector else "current_collector"].append(face)
        elif side is not None:
            groups["separator" if side == "top" else side].append(face)
        elif z1 <= hp + tol and min(math.dist((cx, cy), c) for c in centres) <= r + tol:
            pillar_faces.append(face)
            # top face: coated iff a band reaches the top; lateral segment: by its mid-height
            top = flat_at(z0, z1, hp)
            groups["host_coated" if coated(1.0 if top else cz / hp) else "host_bare"].append(face)
        else:
            raise GeometryError(
                f"pillar_array: cannot classify boundary face {face} "
                f"(bounding box {x0:.4g}..{x1:.4g}, {y0:.4g}..{y1:.4g}, {z0:.4g}..{z1:.4g} x {unit:g} m)"
            )

    gmsh.model.addPhysicalGroup(3, [volume], name="electrolyte")
    if host_volumes:
        gmsh.model.addPhysicalGroup(3, sorted(host_volumes), name="host")
        bottoms = {face for _, face in gmsh.model.getBoundary([(3, v) for v in host_volumes], combined=True, oriented=False)
                   if flat_at(*occ.getBoundingBox(2, face)[2::3], 0.0)}
        if not bottoms:
            raise GeometryError("pillar_array: found no pillar bottoms on the current collector")
        groups["host_collector"] = sorted(bottoms)
    _occ.add_groups(2, groups)

    # Coating edges: curves where two different host surfaces meet (coated/bare,
    # pillar/collector); the surface current jumps there.
    host_names = ("host_coated", "host_bare", "current_collector")
    owner: dict[int, set[str]] = {}
    for name in host_names:
        for face in groups[name]:
            for _, curve in gmsh.model.getBoundary([(2, face)], oriented=False):
                owner.setdefault(abs(curve), set()).add(name)
    edges = sorted(c for c, names in owner.items() if len(names) > 1)

    # Distance fields sample each face on an n x n parametric grid: one field per
    # face family, so the many small pillar faces do not get the plate's n.
    hmin, hmax, grow = mesh.size_min * s, mesh.size_max * s, mesh.growth_distance * s
    segment = max(hi - lo for lo, hi in zip(levels, levels[1:])) * hp
    fields = [
        _occ.distance_threshold("SurfacesList", faces, hmin, hmax, grow, min(500, math.ceil(extent / hmin) + 1))
        for faces, extent in ((plate, max(Lx, Ly) * s), (pillar_faces, max(2 * math.pi * r, segment)))
        if faces
    ]
    if edges:
        n = min(2000, math.ceil(2 * math.pi * r / (hmin / 4)))
        fields.append(_occ.distance_threshold("CurvesList", edges, hmin / 2, hmax, grow, n))
    _occ.use_size_fields(fields)

    def area(faces):
        return sum(occ.getMass(2, f) for f in faces) * unit**2

    layer = Lx * Ly * spec.pillar_height
    electrolyte_volume = occ.getMass(3, volume) * unit**3
    pillar_volume = box_volume * unit**3 - electrolyte_volume
    host_area = area(plate + pillar_faces)
    return GeometryInfo(
        bounds=((0.0, 0.0, 0.0), (Lx, Ly, H)),
        z_collector=0.0,
        z_separator=H,
        measures={
            "porosity": 1.0 - pillar_volume / layer,
            "porosity_closed_form": spec.porosity(),
            "specific_area": area(pillar_faces) / layer,
            "coated_area_fraction": area(groups["host_coated"]) / host_area,
            "host_area": host_area,
            "electrolyte_volume": electrolyte_volume,
        },
    )
