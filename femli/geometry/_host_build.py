"""Gmsh OCC construction of the porous hosts (see femli.geometry.hosts).

Every builder works in the model unit of :mod:`femli.geometry._occ` and makes
the electrolyte with as few Boolean operations as it can: one cut of the cell
box by all fibers (fiber mat) or all wires (screens; split at the coating band
edges first), and for the block hosts one cut of the block by all
pores/channels followed by one cut of the box by the remaining solid. No
pairwise fuses. Faces are then named by where they lie (collector plane,
separator plane, side planes, else host), and the measures come from the OCC
volumes and face areas.

With ``mesh_host`` the last cut becomes a fragment of the box by the same
tools (:meth:`_Frame.subtract`): the host stays as volumes (group ``host``)
that share their faces with the electrolyte, so the electrolyte's named faces
are unchanged and become interfaces; the host's faces on z = 0 are
``host_collector``. The fibers are first united in one fuse (without face
unification), because the fiber-fiber intersections hidden inside the mat,
which the layout does not keep clear of slivers, would otherwise become faces
inside the host that Gmsh cannot mesh. Host pieces not connected to the
collector through other host pieces would leave phi_s floating and are removed
(voids, ``dropped_host_volume``).
"""

import math

import gmsh
import numpy as np

from femli.errors import GeometryError
from femli.geometry import _occ
from femli.geometry._fiber_layout import fiber_seams
from femli.geometry._foam_layout import pore_orientations
from femli.geometry._layout_common import _components
from femli.geometry.base import GeometryInfo, MeshOptions
from femli.geometry.hosts import ChannelArray, FiberMat, OpenFoam, StackedScreens

SMALL_PIECE = 0.01  # foam solid pieces below this fraction of the largest one are dropped
_SIDES = ("symmetry_xmin", "symmetry_xmax", "symmetry_ymin", "symmetry_ymax")


class _Frame:
    """The cell box in model units, and naming of the electrolyte's boundary faces."""

    def __init__(self, spec, what: str, mesh: MeshOptions):
        self.spec, self.what = spec, what
        self.Lx, self.Ly, self.H = spec.size
        self.top = spec.host_top
        self.unit = _occ.choose_unit(max(self.Lx, self.Ly, self.H))
        _occ.declare_unit(self.unit)
        self.s = 1.0 / self.unit
        self.tol = 1e-5 * max(self.Lx, self.Ly, self.H) * self.s  # OCC pads bounding boxes by its 1e-7 tolerance
        self.bands = spec.coating.resolved()
        s = self.s
        self.hmin, self.hmax, self.grow = mesh.size_min * s, mesh.size_max * s, mesh.growth_distance * s
        self.voids: set[int] = set()  # faces of dropped host pieces: insulating walls of the electrolyte
        self.dropped_host_volume = 0.0  # m^3

    def on_collector(self, face: int) -> bool:
        z0, z1 = gmsh.model.occ.getBoundingBox(2, face)[2::3]
        return abs(z0) < self.tol and abs(z1) < self.tol

    def box(self) -> int:
        s = self.s
        return gmsh.model.occ.addBox(0, 0, 0, self.Lx * s, self.Ly * s, self.H * s)

    def cut(self, objects, tools, step: str):
        try:
            out, _ = gmsh.model.occ.cut(objects, tools)
        except Exception as exc:
            raise GeometryError(f"{self.what}: OCC could not {step} ({exc})") from None
        return [tag for dim, tag in out if dim == 3]

    def subtract(self, box: int, tools, step: str, fuse: bool = False) -> tuple[list[int], list[int]]:
        """The box minus the host solid ``tools``: (electrolyte volumes, host volumes).

        Without mesh_host this is the one cut (no host volumes). With mesh_host the
        box is fragmented with the tools instead, and the fragment's map says what
        each piece is: a child of the box and of a tool is host, of the box only
        electrolyte, of the tools only outside the box (removed). ``fuse``: unite
        the (overlapping) tools first in one Boolean, so that their hidden
        intersections, which the layout does not keep clear of slivers, leave no
        faces inside the host."""
        occ = gmsh.model.occ
        if not self.spec.mesh_host:
            volumes = self.cut([(3, box)], tools, step)
            occ.synchronize()
            return volumes, []
        if fuse and len(tools) > 1:
            # no face unification: it re-parameterises the exposed faces, and the measured
            # porosity and areas would then differ from the cut's by ~1e-5
            unify = gmsh.option.getNumber("Geometry.OCCUnionUnify")
            gmsh.option.setNumber("Geometry.OCCUnionUnify", 0)
            try:
                tools, _ = occ.fuse(tools[:1], tools[1:])
            except Exception as exc:
                raise GeometryError(f"{self.what}: OCC could not unite the host solid for mesh_host ({exc})") from None
            finally:
                gmsh.option.setNumber("Geometry.OCCUnionUnify", unify)
            tools = [(dim, tag) for dim, tag in tools if dim == 3]
        try:
            _, out_map = occ.fragment([(3, box)], tools)
        except Exception as exc:
            raise GeometryError(f"{self.what}: OCC could not {step} (fragment for mesh_host: {exc})") from None
        in_box = {tag for dim, tag in out_map[0] if dim == 3}
        in_tools = {tag for children in out_map[1:] for dim, tag in children if dim == 3}
        outside = sorted(in_tools - in_box)
        if outside:
            occ.remove([(3, v) for v in outside], recursive=True)
        occ.synchronize()
        return sorted(in_box - in_tools), sorted(in_box & in_tools)

    def keep_grounded(self, host: list[int]) -> list[int]:
        """The host volumes connected to the collector, directly or through shared faces
        with other such pieces; the others would leave phi_s floating and are removed
        (voids: their faces become insulating walls of the electrolyte, their volume
        is ``dropped_host_volume``)."""
        if not host:
            return []
        occ = gmsh.model.occ
        faces = {v: {abs(f) for _, f in gmsh.model.getBoundary([(3, v)], oriented=False)} for v in host}
        owners: dict[int, list[int]] = {}
        for i, v in enumerate(host):
            for f in faces[v]:
                owners.setdefault(f, []).append(i)
        edges = [(a, b) for pieces in owners.values() for a, b in zip(pieces, pieces[1:])]
        roots = [i for i, v in enumerate(host) if any(self.on_collector(f) for f in faces[v])]
        kept = _components(len(host), edges, roots)
        dropped = [v for i, v in enumerate(host) if i not in kept]
        if dropped:
            self.dropped_host_volume = sum(occ.getMass(3, v) for v in dropped) * self.unit**3
            self.voids = set().union(*(faces[v] for v in dropped))
            occ.remove([(3, v) for v in dropped], recursive=True)
            occ.synchronize()
        return [v for i, v in enumerate(host) if i in kept]

    def coated(self, z_fraction: float) -> bool:
        return any(lo <= z_fraction <= hi for lo, hi in self.bands)

    def name_faces(self, volume: int) -> dict[str, list[int]]:
        """Physical groups of the electrolyte volume's boundary, plus 'host' and 'plate' (all host / collector faces)."""
        occ, s, tol = gmsh.model.occ, self.s, self.tol
        groups = {n: [] for n in ("host_coated", "host_bare", "current_collector", "separator", *_SIDES)}
        groups["host"], groups["plate"] = [], []
        size = (self.Lx * s, self.Ly * s, self.H * s)
        for _, face in gmsh.model.getBoundary([(3, volume)], oriented=False):
            if face in self.voids:
                continue  # a dropped host piece: insulating
            side = _occ.box_side(occ.getBoundingBox(2, face), size, tol)
            if side == "bottom":
                groups["plate"].append(face)
                groups["host_coated" if self.spec.coating.coat_collector else "current_collector"].append(face)
                continue
            if side == "top":
                groups["separator"].append(face)
                continue
            if side:
                groups[side].append(face)
                continue
            z = occ.getCenterOfMass(2, face)[2] / (self.top * s)
            if z > 1.0 + tol:  # (bounding boxes of curved faces are loose: judge by the centroid)
                raise GeometryError(
                    f"{self.what}: host face {face} lies above the host layer "
                    f"(centroid at z = {z * self.top:.4g} m > host top {self.top:.4g} m)"
                )
            groups["host"].append(face)
            groups["host_coated" if self.coated(min(z, 1.0)) else "host_bare"].append(face)
        return groups

    def finish(self, volume: int, host_extent: float, box_volume: float, measures: dict,
               host: list[int] = ()) -> GeometryInfo:
        """Groups, size fields and the measured facts every host reports (``host``: the
        host volumes when mesh_host)."""
        occ, unit = gmsh.model.occ, self.unit
        groups = self.name_faces(volume)
        if not groups["host"]:
            raise GeometryError(f"{self.what}: the electrolyte touches no host surface")
        gmsh.model.addPhysicalGroup(3, [volume], name="electrolyte")
        named = {k: v for k, v in groups.items() if k not in ("host", "plate")}
        if self.spec.mesh_host:
            if not host:
                raise GeometryError(f"{self.what}: no host volume is left to mesh")
            gmsh.model.addPhysicalGroup(3, sorted(host), name="host")
            boundary = gmsh.model.getBoundary([(3, v) for v in host], combined=True, oriented=False)
            named["host_collector"] = sorted({abs(f) for _, f in boundary if self.on_collector(abs(f))})
            if not named["host_collector"]:
                raise GeometryError(f"{self.what}: found no host faces on the current collector (host_collector)")
        _occ.add_groups(2, named)
        self.size_fields(groups, host_extent)

        def area(faces):
            return sum(occ.getMass(2, f) for f in faces) * unit**2

        layer = self.spec.layer_volume
        electrolyte = occ.getMass(3, volume) * unit**3
        host_area, collector_area = area(groups["host"]), area(groups["plate"])
        out = {
            "porosity": 1.0 - (box_volume * unit**3 - electrolyte) / layer,
            "specific_area": host_area / layer,
            "host_area": host_area,
            "collector_area": collector_area,
            "coated_area_fraction": area(groups["host_coated"]) / (host_area + collector_area),
            "electrolyte_volume": electrolyte,
            "host_height": self.top,
        }
        out.update(measures)
        if self.spec.mesh_host:
            out["host_volume"] = sum(occ.getMass(3, v) for v in host) * unit**3  # the meshed host
            out["dropped_host_volume"] = self.dropped_host_volume
        return GeometryInfo(bounds=((0.0, 0.0, 0.0), (self.Lx, self.Ly, self.H)), z_collector=0.0,
                            z_separator=self.H, measures=out)

    def size_fields(self, groups, host_extent: float) -> None:
        """size_min on the host and collector faces, size_min/2 along edges where two
        different electrode surfaces meet (current jumps there), growing to size_max."""
        hmin, hmax, grow = self.hmin, self.hmax, self.grow
        fields = [
            _occ.distance_threshold("SurfacesList", faces, hmin, hmax, grow, min(500, math.ceil(extent / hmin) + 1))
            for faces, extent in ((groups["plate"], max(self.Lx, self.Ly) * self.s), (groups["host"], host_extent))
            if faces
        ]
        owner: dict[int, set[str]] = {}
        for name in ("host_coated", "host_bare", "current_collector"):
            for face in groups[name]:
                for _, curve in gmsh.model.getBoundary([(2, face)], oriented=False):
                    owner.setdefault(abs(curve), set()).add(name)
        edges = sorted(c for c, names in owner.items() if len(names) > 1)
        if edges:
            longest = max(gmsh.model.occ.getMass(1, c) for c in edges)
            n = min(2000, math.ceil(longest / (hmin / 4)) + 1)
            fields.append(_occ.distance_threshold("CurvesList", edges, hmin / 2, hmax, grow, n))
        _occ.use_size_fields(fields)
        # Gmsh integrates the size field along every curve to 1e-9 by default; with
        # hundreds of curves on fibers/pores that dominates meshing, and 1e-5 gives
        # the same node spacing.
        gmsh.option.setNumber("Mesh.LcIntegrationPrecision", 1e-5)

    def keep_connected(self, volumes: list[int]) -> tuple[int, float]:
        """The electrolyte volume that reaches the separator; removes sealed pockets.

        Returns (volume, volume of the removed pockets in m^3)."""
        occ = gmsh.model.occ
        if not volumes:
            raise GeometryError(f"{self.what}: the Boolean operation left no electrolyte volume")
        top = [v for v in volumes if abs(occ.getBoundingBox(3, v)[5] - self.H * self.s) < self.tol]
        if len(top) != 1:
            raise GeometryError(f"{self.what}: expected one electrolyte volume below the separator, got {len(top)}")
        pockets = [v for v in volumes if v != top[0]]
        pocket_volume = sum(occ.getMass(3, v) for v in pockets) * self.unit**3
        if pockets:
            occ.remove([(3, v) for v in pockets], recursive=True)
        occ.synchronize()
        return top[0], pocket_volume


def _place(tag: int, direction, seam, origin) -> None:
    """Turn a solid made at the origin along +z with its seam towards +x so that z goes
    to ``direction`` and x to ``seam``, then move it to ``origin`` (model units)."""
    occ = gmsh.model.occ
    u = np.asarray(direction, float)
    axis = np.cross([0.0, 0.0, 1.0], u)
    sin, cos = float(np.linalg.norm(axis)), float(u[2])
    if sin < 1e-12:
        axis, sin = np.array([1.0, 0.0, 0.0]), 0.0
    angle = math.atan2(sin, cos)
    if abs(angle) > 0:
        occ.rotate([(3, tag)], 0, 0, 0, *axis, angle)
    k = axis / np.linalg.norm(axis)
    x = np.array([1.0, 0.0, 0.0])
    x = x * math.cos(angle) + np.cross(k, x) * math.sin(angle) + k * (k @ x) * (1 - math.cos(angle))  # Rodrigues
    turn = math.atan2(float(np.cross(x, seam) @ u), float(x @ seam))
    occ.rotate([(3, tag)], 0, 0, 0, *u, turn)
    occ.translate([(3, tag)], *origin)


def build_fiber_mat(spec: FiberMat, mesh: MeshOptions) -> GeometryInfo:
    frame = _Frame(spec, "fiber_mat", mesh)
    layout = spec.layout()
    occ, s = gmsh.model.occ, frame.s
    box = frame.box()
    box_volume = occ.getMass(3, box)
    tools, longest = [], 0.0
    for f, seam in zip(layout.fibers, fiber_seams(layout, spec)):
        a, b = f.build
        tag = occ.addCylinder(0, 0, 0, 0, 0, float(np.linalg.norm(b - a)) * s, f.radius * s)
        _place(tag, f.direction, seam, a * s)
        tools.append((3, tag))
        longest = max(longest, float(((f.seg[1] - f.seg[0]) ** 2).sum()) ** 0.5 * s)
    volumes, host = frame.subtract(box, tools, "cut the fibers from the box", fuse=True)
    volume, pockets = frame.keep_connected(volumes)
    host = frame.keep_grounded(host)
    extent = max(longest, 2 * math.pi * max(f.radius for f in layout.fibers) * s)
    measures = {
        "fiber_count": len(layout.fibers),
        "fibers_on_collector": int(sum(f.on_collector for f in layout.fibers)),
        "porosity_estimate": layout.porosity_estimate,
        "sealed_pocket_volume": pockets,
    }
    if spec.porosity is not None:
        measures["porosity_target"] = spec.porosity
    return frame.finish(volume, extent, box_volume, measures, host)


def build_open_foam(spec: OpenFoam, mesh: MeshOptions) -> GeometryInfo:
    frame = _Frame(spec, "open_foam", mesh)
    layout = spec.layout()
    occ, s, unit = gmsh.model.occ, frame.s, frame.unit
    Lx, Ly, top = spec.footprint[0] * s, spec.footprint[1] * s, spec.host_height * s
    block = occ.addBox(0, 0, 0, Lx, Ly, top)
    spheres = []
    for p, (pole, seam) in zip(layout.pores, pore_orientations(layout, spec)):
        tag = occ.addSphere(0, 0, 0, p.radius * s)
        _place(tag, pole, seam, p.centre * s)
        spheres.append((3, tag))
    solid = frame.cut([(3, block)], spheres, "cut the pores from the host block")
    # Solid pieces that do not stand on the collector would float in the electrolyte, and
    # tiny ones (slivers between three or four pores and a plane) cannot be meshed: both
    # are dropped (filled with electrolyte) and their volume reported.
    mass = {v: occ.getMass(3, v) for v in solid}
    if not mass:
        raise GeometryError("open_foam: the pores consumed the whole host block; lower porosity")
    largest = max(mass.values())
    dropped = [v for v in solid if occ.getBoundingBox(3, v)[2] > frame.tol or mass[v] < SMALL_PIECE * largest]
    dropped_volume = sum(mass[v] for v in dropped) * unit**3
    if dropped:
        occ.remove([(3, v) for v in dropped], recursive=True)
    solid = [v for v in solid if v not in dropped]
    host_volume = sum(occ.getMass(3, v) for v in solid)
    box = frame.box()
    box_volume = occ.getMass(3, box)
    volumes, host = frame.subtract(box, [(3, v) for v in solid], "cut the foam from the box")
    volume, pockets = frame.keep_connected(volumes)
    host = frame.keep_grounded(host)
    extent = 2 * math.pi * max(p.radius for p in layout.pores) * s
    return frame.finish(volume, extent, box_volume, {
        "host_volume": host_volume * unit**3,
        "pore_count": len(layout.pores),
        "pores_on_collector": int(sum(p.bottom for p in layout.pores)),
        "pores_open_to_top": int(sum(p.top for p in layout.pores)),
        "porosity_target": spec.porosity,
        "porosity_estimate": layout.porosity_estimate,
        "dropped_solid_volume": dropped_volume,
        "solid_pieces": len(solid),
        "sealed_pocket_volume": pockets,
    }, host)


def _levels(bands) -> list[float]:
    """Band edges strictly inside the host height (fractions)."""
    return sorted({f for band in bands for f in band if 0.0 < f < 1.0})


def build_channel_array(spec: ChannelArray, mesh: MeshOptions) -> GeometryInfo:
    frame = _Frame(spec, "channel_array", mesh)
    occ, s = gmsh.model.occ, frame.s
    Lx, Ly = spec.footprint_size
    top, R = spec.host_height * s, spec.channel_radius * s
    # Each channel is a stack of cylinders cut at the band edges (the end ones poke
    # out of the block), so one cut leaves the channel walls split exactly there.
    levels = [-0.25, *_levels(frame.bands), 1.25]
    block = occ.addBox(0, 0, 0, Lx * s, Ly * s, top)
    tools = _occ.stacked_cylinders([(cx * s, cy * s) for cx, cy in spec.centres()], levels, top, R)
    solid = frame.cut([(3, block)], tools, "cut the channels from the host block")
    box = frame.box()
    box_volume = occ.getMass(3, box)
    volumes, host = frame.subtract(box, [(3, v) for v in solid], "cut the host block from the box")
    volume, pockets = frame.keep_connected(volumes)
    host = frame.keep_grounded(host)
    segment = max(hi - lo for lo, hi in zip([0.0, *_levels(frame.bands)], [*_levels(frame.bands), 1.0])) * top
    layer = spec.layer_volume
    return frame.finish(volume, max(2 * math.pi * R, segment, max(Lx, Ly) * s), box_volume, {
        "porosity_closed_form": spec.porosity_closed_form(),
        "specific_area_closed_form": spec.host_area_closed_form() / layer,
        "host_area_closed_form": spec.host_area_closed_form(),
        "collector_area_closed_form": spec.collector_area_closed_form(),
        "channel_count": spec.cells[0] * spec.cells[1] * (1 if spec.lattice == "square" else 2),
        "sealed_pocket_volume": pockets,
    }, host)


def build_stacked_screens(spec: StackedScreens, mesh: MeshOptions) -> GeometryInfo:
    frame = _Frame(spec, "stacked_screens", mesh)
    occ, s = gmsh.model.occ, frame.s
    Lx, Ly = (v * s for v in spec.footprint_size)
    r, top = spec.wire_diameter / 2 * s, spec.host_top * s
    m = 2 * r  # wires run past the side planes; the cut trims them
    wires = []
    for axis, pos, zc in spec.wires():
        if axis == "x":
            wires.append((3, occ.addCylinder(-m, pos * s, zc * s, Lx + 2 * m, 0, 0, r)))
        else:
            wires.append((3, occ.addCylinder(pos * s, -m, zc * s, 0, Ly + 2 * m, 0, r)))
    levels = _levels(frame.bands)
    if levels:
        # split every wire at the band edges: intersect it with horizontal slabs
        edges = [-2 * r, *(f * top for f in levels), top + 2 * r]
        pieces = []
        for tag in wires:
            for lo, hi in zip(edges, edges[1:]):
                box = occ.getBoundingBox(*tag)
                if box[5] <= lo or box[2] >= hi:
                    continue
                slab = occ.addBox(-2 * m, -2 * m, lo, Lx + 4 * m, Ly + 4 * m, hi - lo)
                try:
                    out, _ = occ.intersect([(3, occ.copy([tag])[0][1])], [(3, slab)])
                except Exception as exc:
                    raise GeometryError(f"stacked_screens: OCC could not split a wire at the coating bands ({exc})") from None
                pieces += [(d, t) for d, t in out if d == 3]
        occ.remove(wires, recursive=True)
        wires = pieces
    box = frame.box()
    box_volume = occ.getMass(3, box)
    volumes, host = frame.subtract(box, wires, "cut the wires from the box")
    volume, pockets = frame.keep_connected(volumes)
    host = frame.keep_grounded(host)
    layer = spec.layer_volume
    return frame.finish(volume, max(Lx, Ly, 2 * math.pi * r), box_volume, {
        "porosity_closed_form": spec.porosity_closed_form(),
        "specific_area_closed_form": spec.host_area_closed_form() / layer,
        "host_area_closed_form": spec.host_area_closed_form(),
        "collector_area_closed_form": spec.collector_area_closed_form(),
        "wire_count": len(spec.wires()),
        "sealed_pocket_volume": pockets,
    }, host)
