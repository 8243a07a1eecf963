"""Gmsh OCC construction of the solid-electrolyte cell (see femli.geometry.sse).

One fragment of the cell box with every tool (contact-spot disks on z = 0, void,
protrusion and flaw solids, flaw mid-plane faces, grains, interlayer slab and
holes). The fragment's output map says which tools each piece came from; the
pieces inside voids, protrusions and flaws (and all pieces outside the box) are
removed, the rest become the named volumes. Boundary faces are then named by
the tool whose cavity they bound, or by the cell face they lie on.
"""

import math

import gmsh

from femli.errors import GeometryError
from femli.geometry import _occ, _sse_shapes as shapes
from femli.geometry._sse_layout import grain_cells
from femli.geometry.base import GeometryInfo, MeshOptions
from femli.geometry.sse import SolidElectrolyteCell

CAVITIES = ("void", "protrusion", "flaw")
SURFACES = ("li_contact", "void_surface", "protrusion", "crack_faces", "flaw_faces", "separator",
            "symmetry_xmin", "symmetry_xmax", "symmetry_ymin", "symmetry_ymax")


def _tools(spec: SolidElectrolyteCell, s: float):
    """All tool entities with their role: a list of ((dim, tag), (role, index))."""
    occ = gmsh.model.occ
    W, D, T = spec.width * s, spec.depth * s, spec.thickness * s
    tools = []
    centres, r = spec.contact_spots()
    for i, (x, y) in enumerate(centres):
        tools.append(((2, occ.addDisk(x * s, y * s, 0, r * s, r * s)), ("spot", i)))
    for i, (_, v) in enumerate(spec.all_voids()):
        tools.append(((3, shapes.void(v, s)), ("void", i)))
    for i, p in enumerate(spec.protrusions):
        tools.append(((3, shapes.protrusion(p, s)), ("protrusion", i)))
    diagonal = math.hypot(spec.width, spec.depth)
    for i, f in enumerate(spec.flaws):
        slot, mid = shapes.flaw(f, s, diagonal)
        tools += [((3, slot), ("flaw", i)), ((2, mid), ("flaw_mid", i))]
    zil = spec.z_interlayer * s
    if spec.interlayer is not None:
        tools.append(((3, occ.addBox(0, 0, 0, W, D, zil)), ("interlayer", 0)))
        holes, rh = spec.interlayer_holes()
        for i, (x, y) in enumerate(holes):
            tools.append(((3, occ.addCylinder(x * s, y * s, 0, 0, 0, zil, rh * s)), ("hole", i)))
    if spec.grains is not None:
        # grains reach past the cell (transversal cuts), except onto the interlayer's top face
        pad = 0.05 * min(spec.width, spec.depth, spec.thickness)
        lo = (-pad, -pad, spec.z_interlayer if spec.interlayer is not None else -pad)
        hi = (spec.width + pad, spec.depth + pad, spec.thickness + pad)
        cells = grain_cells(spec.grain_seeds()[0], lo, hi, spec.grains.boundary_thickness / 2, 1e-9 * spec.thickness)
        for i, cell in enumerate(cells):
            tools.append(((3, shapes.polyhedron(cell, s)), ("grain", i)))
    return tools


def _closure(volumes):
    """Faces, curves and points of ``volumes``."""
    faces = {t for _, t in gmsh.model.getBoundary([(3, v) for v in volumes], combined=False, oriented=False)}
    curves = {abs(t) for _, t in gmsh.model.getBoundary([(2, f) for f in faces], combined=False, oriented=False)}
    points = {abs(t) for _, t in gmsh.model.getBoundary([(1, c) for c in curves], combined=False, oriented=False)}
    return {2: faces, 1: curves, 0: points}


def build_sse_cell(spec: SolidElectrolyteCell, mesh: MeshOptions) -> GeometryInfo:
    W, D, T = spec.width, spec.depth, spec.thickness
    unit = _occ.choose_unit(max(W, D, T))
    _occ.declare_unit(unit)
    s = 1.0 / unit
    occ = gmsh.model.occ

    box = occ.addBox(0, 0, 0, W * s, D * s, T * s)
    tools = _tools(spec, s)
    if tools:
        try:
            _, out_map = occ.fragment([(3, box)], [dt for dt, _ in tools])
        except Exception as exc:
            raise GeometryError(f"sse_cell: OCC could not fragment the cell with its features ({exc})") from None
    else:  # full contact, no features: the box itself
        out_map = [[(3, box)]]
    occ.synchronize()

    in_box = {t for d, t in out_map[0] if d == 3}
    roles: dict[tuple[int, int], set] = {}
    for (_, role), pieces in zip(tools, out_map[1:]):
        for dt in pieces:
            roles.setdefault(dt, set()).add(role)

    # --- volumes ---------------------------------------------------------------
    volumes = {"electrolyte": [], "grain_boundary": [], "interlayer": []}
    cavity_of_face: dict[int, tuple[str, int]] = {}
    void_volume = 0.0
    drop = []
    for _, v in gmsh.model.getEntities(3):
        kinds = {r for r, _ in roles.get((3, v), ())}
        cavity = [r for r in roles.get((3, v), ()) if r[0] in CAVITIES]
        if v not in in_box or cavity:
            drop.append((3, v))
            if v in in_box:
                for _, f in gmsh.model.getBoundary([(3, v)], oriented=False):
                    cavity_of_face[abs(f)] = cavity[0]
                if cavity[0][0] == "void":
                    void_volume += occ.getMass(3, v)
        elif "interlayer" in kinds and "hole" not in kinds:
            volumes["interlayer"].append(v)
        elif spec.grains is not None and "grain" not in kinds and "hole" not in kinds:
            volumes["grain_boundary"].append(v)
        else:
            volumes["electrolyte"].append(v)
    mid_curves = {}
    for ((_, _), (role, i)), pieces in zip(tools, out_map[1:]):
        if role == "flaw_mid":
            faces = [dt for dt in pieces if dt[0] == 2]
            mid_curves[i] = {abs(c) for _, c in gmsh.model.getBoundary(faces, combined=False, oriented=False)} if faces else set()
    kept = [v for vs in volumes.values() for v in vs]
    if not volumes["electrolyte"]:
        raise GeometryError("sse_cell: no solid electrolyte left after cutting the features")
    occ.remove(drop, recursive=True)
    occ.synchronize()
    # free faces, curves and points left by tools that reached outside the cell
    closure = _closure(kept)
    for dim in (2, 1, 0):
        stray = [(dim, t) for _, t in gmsh.model.getEntities(dim) if t not in closure[dim]]
        if stray:
            occ.remove(stray)
    occ.synchronize()

    # --- faces ---------------------------------------------------------------------
    tol = 1e-4 * max(W, D, T) * s  # OCC pads bounding boxes by the (boolean-grown) shape tolerance
    spot_faces = {t for (d, t), rs in roles.items() if d == 2 and any(r[0] == "spot" for r in rs)}
    full_contact = not spot_faces
    groups = {name: [] for name in SURFACES}
    bottom = []
    for _, face in gmsh.model.getBoundary([(3, v) for v in kept], combined=True, oriented=False):
        face = abs(face)
        x0, y0, z0, x1, y1, z1 = occ.getBoundingBox(2, face)
        if face in cavity_of_face:
            role, i = cavity_of_face[face]
            if role == "void":
                groups["void_surface"].append(face)
            elif role == "protrusion":
                groups["protrusion"].append(face)
            else:
                groups["crack_faces" if spec.flaws[i].is_filled else "flaw_faces"].append(face)
        elif (side := _occ.box_side((x0, y0, z0, x1, y1, z1), (W * s, D * s, T * s), tol)) == "bottom":
            bottom.append(face)
            groups["li_contact" if full_contact or face in spot_faces else "void_surface"].append(face)
        elif side is not None:
            groups["separator" if side == "top" else side].append(face)
        else:
            raise GeometryError(
                f"sse_cell: cannot classify boundary face {face} "
                f"(bounding box {x0:.4g}..{x1:.4g}, {y0:.4g}..{y1:.4g}, {z0:.4g}..{z1:.4g} x {unit:g} m)"
            )
    if not groups["li_contact"] and not groups["protrusion"] and not groups["crack_faces"]:
        raise GeometryError("sse_cell: no electrode surface (li_contact, protrusion, crack_faces) is left")

    for name, vs in volumes.items():
        if vs:
            gmsh.model.addPhysicalGroup(3, sorted(vs), name=name)
    _occ.add_groups(2, groups)

    existing = {t for _, t in gmsh.model.getEntities(1)}
    fronts = {i: sorted(c for c in curves if c in existing and occ.getBoundingBox(1, c)[5] > tol) for i, curves in mid_curves.items()}
    front_curves = sorted({c for cs in fronts.values() for c in cs})
    if spec.flaws and any(not cs for cs in fronts.values()):
        raise GeometryError(f"sse_cell: the front of flaw(s) {[i for i, cs in fronts.items() if not cs]} was lost in the Boolean operation")
    if front_curves:
        gmsh.model.addPhysicalGroup(1, front_curves, name="flaw_front")

    _size_fields(spec, mesh, s, groups, bottom, fronts, volumes, tol)

    def area(faces):
        return sum(occ.getMass(2, f) for f in faces) * unit**2

    def volume(vs):
        return sum(occ.getMass(3, v) for v in vs) * unit**3

    cell = W * D * T
    measures = {
        "contact_fraction": area(groups["li_contact"]) / (W * D),
        "contact_fraction_requested": spec.contact.fraction,
        "electrolyte_volume": volume(volumes["electrolyte"]),
    }
    if spec.contact.pattern != "full":
        measures["spot_count"] = float(len(spec.contact_spots()[0]))
        measures["spot_radius"] = spec.contact_spots()[1]
    if spec.voids or spec.random_voids is not None:
        measures["void_volume"] = void_volume * unit**3
        measures["void_count"] = float(len(spec.all_voids()))
    if spec.protrusions:
        measures["protrusion_area"] = area(groups["protrusion"])
    if spec.flaws:
        measures["crack_face_area"] = area(groups["crack_faces"])
        measures["flaw_face_area"] = area(groups["flaw_faces"])
        measures["flaw_front_length"] = sum(occ.getMass(1, c) for c in front_curves) * unit
    if spec.grains is not None:
        measures["grain_count"] = float(spec.grains.count)
        measures["grain_shortest_edge"] = spec.grain_seeds()[1]
        measures["grain_boundary_volume_fraction"] = volume(volumes["grain_boundary"]) / cell
        measures["grain_boundary_volume_fraction_estimate"] = spec.grain_boundary_fraction_estimate()
    if spec.interlayer is not None:
        film_faces = _closure(volumes["interlayer"])[2]
        film = [f for f in bottom if f in film_faces]
        measures["interlayer_coverage"] = area(film) / (W * D)
        measures["interlayer_coverage_requested"] = 1.0 - spec.interlayer.hole_fraction
        measures["interlayer_volume"] = volume(volumes["interlayer"])
    return GeometryInfo(bounds=((0.0, 0.0, 0.0), (W, D, T)), z_collector=0.0, z_separator=T, measures=measures)


def _size_fields(spec, mesh: MeshOptions, s, groups, bottom, fronts, volumes, tol):
    """size_min at contact-spot edges, void rims, hole rims, protrusions and flaw
    faces; front_size (default size_min/3) at flaw fronts; min(size_min, 4 x
    thickness) on the faces of grain boundaries and the interlayer; each growing to
    size_max over growth_distance."""
    occ = gmsh.model.occ
    hmin, hmax, grow = mesh.size_min * s, mesh.size_max * s, mesh.growth_distance * s
    W, D = spec.width * s, spec.depth * s

    def on_side(c):
        x0, y0, _, x1, y1, _ = occ.getBoundingBox(1, c)
        return any(abs(lo - v) < tol and abs(hi - v) < tol for lo, hi, v in ((x0, x1, 0.0), (x0, x1, W), (y0, y1, 0.0), (y0, y1, D)))

    def curves_of(faces):
        return {abs(c) for _, c in gmsh.model.getBoundary([(2, f) for f in faces], combined=False, oriented=False)} if faces else set()

    def length(c):
        return occ.getMass(1, c)

    def curve_field(curves, size):
        curves = sorted(curves)
        n = min(4000, math.ceil(max(length(c) for c in curves) / (size / 4)) + 1)
        return _occ.distance_threshold("CurvesList", curves, size, hmax, grow, n)

    def surface_field(faces, size):
        extent = max(max(b - a for a, b in zip(occ.getBoundingBox(2, f)[:3], occ.getBoundingBox(2, f)[3:])) for f in faces)
        n = min(400, math.ceil(extent / size) + 1)
        return _occ.distance_threshold("SurfacesList", sorted(faces), size, hmax, grow, n)

    fields = []
    # every edge on z = 0 except the cell's outer edges: spot rims, void rims, feature mouths, hole rims, grain boundaries
    rims = {c for c in curves_of(bottom) if not on_side(c)}
    if rims:
        fields.append(curve_field(rims, hmin))
    surfaces = groups["protrusion"] + groups["crack_faces"] + groups["flaw_faces"]
    if surfaces:
        fields.append(surface_field(surfaces, hmin))
    # thin phases: at most 4 x their thickness across, or the tetrahedra in them come out flat
    named = {f for faces in groups.values() for f in faces}
    for name, thin in (("grain_boundary", spec.grains and spec.grains.boundary_thickness),
                       ("interlayer", spec.interlayer and spec.interlayer.thickness)):
        if volumes[name]:
            faces = {abs(f) for _, f in gmsh.model.getBoundary([(3, v) for v in volumes[name]], combined=True, oriented=False)}
            interior = sorted(f for f in faces if f not in named)
            if interior:
                fields.append(surface_field(interior, min(hmin, 4 * thin * s)))
    for i, curves in fronts.items():
        size = spec.flaws[i].front_size * s if spec.flaws[i].front_size is not None else hmin / 3
        fields.append(curve_field(curves, size))
    if not fields:  # full contact, no features: uniform size_max
        f = gmsh.model.mesh.field.add("MathEval")
        gmsh.model.mesh.field.setString(f, "F", repr(hmax))
        fields.append(f)
    _occ.use_size_fields(fields)
