"""Solid-electrolyte (SSE) cell: a slab of solid electrolyte on a Li metal anode,
with the interface defects that decide where current concentrates.

Frame: the Li | SSE interface is the plane z = 0 (the Li itself, z < 0, is a
perfect conductor and not meshed); the SSE fills 0 < z < thickness, and its top
face z = thickness is the counter boundary ``separator``. The side faces are
mirror planes (``symmetry_xmin/xmax/ymin/ymax``): one cell stands for an
infinite interface patterned by reflection.

Features (each validated before Gmsh runs, with a message naming the parameter):

``contact``
    Which part of z = 0 still touches Li (``li_contact``); the rest lost contact
    (``void_surface``, no flux). ``full``; ``single_spot`` (one disk centred in the
    cell); ``spot_array`` (nx x ny disks, each centred in its sub-cell); ``random``
    (non-overlapping disks of ``spot_radius`` placed by random sequential adsorption,
    seeded, clear of voids, protrusions and flaw mouths). ``contact_fraction`` is the
    Li-covered area fraction: it sets the spot radius of single_spot / spot_array (a
    spot larger than its sub-cell is clipped by the mirror planes, so neighbouring
    spots join) and the number of random spots, n = round(f A / (pi r^2)); the random
    spots' radius is then adjusted by the rounding of n (a factor sqrt(1 +- 1/2n) at
    most) so that the area fraction is exact. Features inside a contact spot remove
    their footprint from the contact; the measured ``contact_fraction`` (GeometryInfo)
    is the li_contact area over width x depth.
``voids`` / ``random_voids``
    Interfacial voids cut out of the SSE at z = 0: spherical caps (base radius,
    height <= radius) or half-ellipsoids centred on z = 0 (semi-axes a, b in the
    plane, turned by ``angle`` degrees about z, c into the SSE). The Li under a void
    is gone: the cavity faces are ``void_surface``. ``random_voids`` places ``count``
    equal caps at random (seeded, clear of the listed features and of each other).
``protrusions``
    Li filaments growing from z = 0 into the SSE: hemispheres, cones and cylinders,
    the last two with a rounded tip (cone: a sphere of ``tip_radius`` tangent to the
    flanks, the tip reaching exactly ``length``; cylinder: the top edge rounded with
    radius ``tip_radius``, hemispherical when it equals the radius). Their faces are the
    electrode surface ``protrusion``.
``flaws``
    Thin slots of width ``opening`` in the SSE. ``semi_elliptical`` surface flaws
    (depth a into the SSE, half surface length c), ``penny`` (embedded disk of
    radius ``depth`` centred at [x, y, z]), ``edge_notch`` (a straight notch of depth a
    through the whole cell, a plane-strain crack). The flaw plane is vertical; its
    normal is (cos angle, sin angle, 0), so angle = 0 puts the flaw in the y-z plane
    (its surface trace along y). Li-filled flaws (``filled``, default for surface
    flaws) have faces ``crack_faces`` (at the Li potential), empty ones ``flaw_faces``
    (no flux; a penny flaw is always empty). The flaw front (the edge of the flaw
    inside the SSE, taken on the slot's mid-plane) is the curve group ``flaw_front``.
``grains``
    A polycrystal: 3D Voronoi grains from seeded, kept-apart seeds, clipped to the
    SSE (identical to mirroring the seeds in the cell faces, so the grain structure
    is consistent with the mirror planes). The grain boundaries are the volume
    ``grain_boundary`` of thickness ``boundary_thickness``: each grain is shrunk by
    half that thickness on every face it shares with another grain, and what lies
    between the grains is the grain boundary (exact thickness everywhere, clean
    triple lines). Seeds keep 0.5 x the mean grain size apart; of 8 such draws (all
    fixed by ``seed``) the one whose grain-boundary network has the longest shortest
    edge is used, since Voronoi edges come in every length and very short ones cost
    tiny, flat tetrahedra. ``columnar = true`` gives columnar grains (2D Voronoi in
    x-y through the whole thickness). With an interlayer, grains fill the SSE above it.
``interlayer``
    A film (volume ``interlayer``) in 0 < z < thickness_il between Li and SSE, with
    optional circular holes that the SSE fills (seeded, non-overlapping, clear of the
    other features and not crossing contact-spot rims); ``hole_fraction`` is exact in
    the same way as the random contact fraction.

Features may not overlap, touch or leave the cell: they keep 1 % of
min(width, depth, thickness) from each other and from the cell faces (an edge
notch crosses the whole cell by definition), and none reaches the separator.

Volumes: ``electrolyte`` (the SSE, all grains), ``grain_boundary``, ``interlayer``.
"""

import math
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from femli.geometry import _sse_layout as layout
from femli.geometry._sse_features import Contact, Flaw, Grains, Interlayer, Protrusion, RandomVoids, Void, um
from femli.geometry.base import GeometrySpec
from femli.units import Length

__all__ = ["SolidElectrolyteCell", "Contact", "Void", "RandomVoids", "Protrusion", "Flaw", "Grains", "Interlayer"]

CLEARANCE = 0.01  # features keep this fraction of min(width, depth, thickness) from each other and the cell faces


class SolidElectrolyteCell(GeometrySpec):
    kind: Literal["sse_cell"]
    is_slab: ClassVar[bool] = True
    thickness: Length = Field(description="SSE layer: Li | SSE at z = 0, separator at z = thickness")
    width: Length = Field(description="x extent")
    depth: Length | None = Field(None, description="y extent (default: width)")
    contact: Contact = Contact()
    voids: tuple[Void, ...] = ()
    random_voids: RandomVoids | None = None
    protrusions: tuple[Protrusion, ...] = ()
    flaws: tuple[Flaw, ...] = ()
    grains: Grains | None = None
    interlayer: Interlayer | None = None

    @property
    def contact_features_only(self) -> bool:
        """One conducting phase and only contact loss or voids: the ohmic resistance beyond
        the 1D slab is then constriction. Protrusions and flaws shorten the path; grain
        boundaries and interlayers add resistive phases."""
        return not (self.protrusions or self.flaws or self.grains or self.interlayer)

    @model_validator(mode="after")
    def _feasible(self):
        if self.depth is None:
            object.__setattr__(self, "depth", self.width)
        features = self._check_features()
        if self.random_voids is not None:
            if self.random_void_centres(features) is None:
                rv = self.random_voids
                raise ValueError(
                    f"random_voids: cannot place {rv.count} non-overlapping voids of radius {um(rv.radius)} in the cell "
                    "beside the other features; lower count or radius"
                )
        self._check_contact()
        if self.interlayer is not None:
            self._check_interlayer()
        if self.grains is not None:
            self._check_grains()
        return self

    # --- layout (SI), shared by the validators and the builder -----------------

    @property
    def clearance(self) -> float:
        return CLEARANCE * min(self.width, self.depth, self.thickness)

    @property
    def z_interlayer(self) -> float:
        return self.interlayer.thickness if self.interlayer is not None else 0.0

    def contact_spots(self) -> tuple[list[tuple[float, float]], float]:
        """Centres and radius of the contact spots (empty list: full contact)."""
        c = self.contact
        W, D = self.width, self.depth
        if c.pattern == "full" or c.fraction == 1.0 and c.pattern != "random":
            return [], 0.0
        if c.pattern == "random":
            n, r = layout.count_and_radius(c.fraction, c.spot_radius, W * D)
            pts = layout.random_disks(n, r, W, D, c.seed, margin=self.clearance, gap=self.clearance,
                                      avoid=self.feature_footprints())
            return pts, r
        nx, ny = c.grid
        ax, by = W / nx / 2, D / ny / 2
        r = layout.clipped_spot_radius(c.fraction, ax, by)
        return [((2 * i + 1) * ax, (2 * j + 1) * by) for i in range(nx) for j in range(ny)], r

    def interlayer_holes(self) -> tuple[list[tuple[float, float]], float]:
        il = self.interlayer
        if il is None or il.hole_fraction == 0:
            return [], 0.0
        n, r = layout.count_and_radius(il.hole_fraction, il.hole_radius, self.width * self.depth)
        spots, rs = self.contact_spots()
        pts = layout.random_disks(n, r, self.width, self.depth, il.seed, margin=self.clearance, gap=self.clearance,
                                  avoid=self.feature_footprints(), rims=tuple((x, y, rs) for x, y in spots or ()))
        return pts, r

    def all_voids(self) -> list[tuple[str, Void]]:
        out = [(f"voids[{i}]", v) for i, v in enumerate(self.voids)]
        rv = self.random_voids
        if rv is not None:
            centres = self.random_void_centres(self._footprints())
            for i, (x, y) in enumerate(centres or []):
                out.append((f"random_voids[{i}]", Void(center=(x, y), radius=rv.radius, height=rv.height)))
        return out

    def feature_footprints(self) -> tuple[layout.Footprint, ...]:
        """Where the voids (random ones included), protrusions and flaws are; random
        contact spots and interlayer holes are placed clear of them."""
        out = self._footprints()
        out += [layout.Footprint(name, v.center, v.center, v.reach, 0.0, v.depth_into)
                for name, v in self.all_voids() if name.startswith("random")]
        return tuple(out)

    def random_void_centres(self, features) -> list[tuple[float, float]] | None:
        rv = self.random_voids
        return layout.random_disks(rv.count, rv.radius, self.width, self.depth, rv.seed, margin=self.clearance,
                                   gap=self.clearance, avoid=tuple(features))

    def grain_box(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        return (0.0, 0.0, self.z_interlayer), (self.width, self.depth, self.thickness)

    def grain_seeds(self):
        """(seeds, shortest edge of the grain-boundary network) or (None, 0)."""
        g = self.grains
        lo, hi = self.grain_box()
        return layout.grain_seeds(g.count, lo, hi, g.seed, g.columnar, g.boundary_thickness / 2)

    def grain_boundary_fraction_estimate(self) -> float:
        """Grain-boundary volume / cell volume to first order: thickness x interior face area."""
        lo, hi = self.grain_box()
        area = layout.grain_boundary_area(self.grain_seeds()[0], lo, hi, 1e-9 * self.thickness)
        return self.grains.boundary_thickness * area / (self.width * self.depth * self.thickness)

    # --- validation ---------------------------------------------------------------

    def _check_contact(self):
        c = self.contact
        W, D = self.width, self.depth
        if c.pattern in ("single_spot", "spot_array") and c.fraction < 1.0:
            nx, ny = c.grid
            ax, by = W / nx / 2, D / ny / 2
            r = layout.clipped_spot_radius(c.fraction, ax, by)
            tol = 0.02 * min(ax, by)
            where = "the cell" if c.pattern == "single_spot" else "its sub-cell"
            for half, side in ((ax, "x"), (by, "y")):
                if abs(r - half) < tol:
                    raise ValueError(
                        f"contact.contact_fraction ({c.fraction}) puts the spot edge (radius {um(r)}) almost tangent to the "
                        f"{side} sides of {where}; change contact_fraction by a few percent"
                    )
            if math.hypot(ax, by) - r < tol:
                raise ValueError(
                    f"contact.contact_fraction ({c.fraction}) leaves only slivers of lost contact in the corners of {where}; "
                    "use contact_fraction = 1 or a smaller fraction"
                )
        elif c.pattern == "random":
            n, r = layout.count_and_radius(c.fraction, c.spot_radius, W * D)
            if n == 0:
                raise ValueError(
                    f"contact.spot_radius ({um(c.spot_radius)}) is too large for contact_fraction {c.fraction}: "
                    f"one spot covers {math.pi * c.spot_radius**2 / (W * D):.3g} of the interface"
                )
            if 2 * (r + self.clearance) >= min(W, D):
                raise ValueError(f"contact.spot_radius ({um(c.spot_radius)}) is too large for the cell ({um(W)} x {um(D)})")
            if self.contact_spots()[0] is None:
                raise ValueError(
                    f"contact.contact_fraction ({c.fraction}) is not reachable with {n} random non-overlapping spots of "
                    f"radius {um(r)} (random sequential adsorption jammed); lower the fraction or the spot_radius"
                )

    def _check_interlayer(self):
        il = self.interlayer
        if il.thickness >= 0.5 * self.thickness:
            raise ValueError(f"interlayer.thickness ({um(il.thickness)}) must be smaller than half the thickness ({um(self.thickness)})")
        if il.hole_fraction > 0:
            n, r = layout.count_and_radius(il.hole_fraction, il.hole_radius, self.width * self.depth)
            if n == 0:
                raise ValueError(
                    f"interlayer.hole_radius ({um(il.hole_radius)}) is too large for hole_fraction {il.hole_fraction}: "
                    f"one hole covers {math.pi * il.hole_radius**2 / (self.width * self.depth):.3g} of the film"
                )
            if 2 * (r + self.clearance) >= min(self.width, self.depth):
                raise ValueError(f"interlayer.hole_radius ({um(il.hole_radius)}) is too large for the cell")
            if self.interlayer_holes()[0] is None:
                raise ValueError(
                    f"interlayer.hole_fraction ({il.hole_fraction}) is not reachable with {n} random non-overlapping holes "
                    f"of radius {um(r)}; lower the fraction or the hole_radius"
                )

    def _footprints(self) -> list[layout.Footprint]:
        """Lateral extent of every listed feature (random voids excluded)."""
        out = []
        for i, v in enumerate(self.voids):
            out.append(layout.Footprint(f"voids[{i}]", v.center, v.center, v.reach, 0.0, v.depth_into))
        for i, p in enumerate(self.protrusions):
            out.append(layout.Footprint(f"protrusions[{i}]", p.center, p.center, p.radius, 0.0, p.height))
        big = 2 * math.hypot(self.width, self.depth)
        for i, f in enumerate(self.flaws):
            tx, ty = f.trace
            x, y = f.center[:2]
            half = big if f.shape == "edge_notch" else f.c
            z0, z1 = (f.center[2] - f.depth, f.center[2] + f.depth) if f.shape == "penny" else (0.0, f.depth)
            out.append(layout.Footprint(f"flaws[{i}]", (x - half * tx, y - half * ty), (x + half * tx, y + half * ty),
                                        f.opening / 2, z0, z1, crosses_cell=f.shape == "edge_notch"))
        return out

    def _check_features(self) -> list[layout.Footprint]:
        W, D, T, gap = self.width, self.depth, self.thickness, self.clearance
        heights = [(f"voids[{i}].height" if v.shape == "spherical_cap" else f"voids[{i}].semi_axes[2]", v.depth_into) for i, v in enumerate(self.voids)]
        heights += [(f"protrusions[{i}].length" if p.shape != "hemisphere" else f"protrusions[{i}].radius", p.height) for i, p in enumerate(self.protrusions)]
        heights += [(f"flaws[{i}].depth", f.depth) for i, f in enumerate(self.flaws) if f.shape != "penny"]
        if self.random_voids is not None:
            heights.append(("random_voids.height", self.random_voids.height))
            if self.random_voids.height > self.random_voids.radius * (1 + 1e-9):
                raise ValueError("random_voids.height must not exceed random_voids.radius (a cap is at most a hemisphere)")
        for name, h in heights:
            if h >= T - gap:
                raise ValueError(f"{name} ({um(h)}) must be smaller than thickness ({um(T)})")
        for i, f in enumerate(self.flaws):
            if f.shape == "penny":
                z = f.center[2]
                if z - f.depth < gap or z + f.depth > T - gap:
                    raise ValueError(
                        f"flaws[{i}] (penny, radius {um(f.depth)} at z = {um(z)}) must not touch any boundary: "
                        f"need depth < z < thickness - depth (thickness {um(T)})"
                    )
        footprints = self._footprints()
        for fp in footprints:
            (x0, y0), (x1, y1) = fp.p0, fp.p1
            if fp.crosses_cell:
                x, y = (x0 + x1) / 2, (y0 + y1) / 2
                if not (0 < x < W and 0 < y < D):
                    raise ValueError(f"{fp.label}.center must lie inside the cell")
                continue
            size = 2 * fp.radius + math.hypot(x1 - x0, y1 - y0)
            if size >= min(W, D) - 2 * gap:
                raise ValueError(f"{fp.label} is larger than the cell (extent {um(size)}, cell {um(W)} x {um(D)})")
            lo_x, hi_x = min(x0, x1) - fp.radius, max(x0, x1) + fp.radius
            lo_y, hi_y = min(y0, y1) - fp.radius, max(y0, y1) + fp.radius
            if lo_x < gap or lo_y < gap or hi_x > W - gap or hi_y > D - gap:
                raise ValueError(
                    f"{fp.label} leaves the cell: it spans x {um(lo_x)}..{um(hi_x)}, y {um(lo_y)}..{um(hi_y)}; "
                    f"the cell is 0..{um(W)} x 0..{um(D)} (features stay {um(gap)} inside)"
                )
        for j, b in enumerate(footprints):
            for a in footprints[:j]:
                g = b.gap(a)
                if g < gap:
                    raise ValueError(f"{b.label} {'overlaps' if g < 0 else 'touches'} {a.label} (clearance {um(max(g, 0.0))}, need {um(gap)})")
        return footprints

    def _check_grains(self):
        g = self.grains
        lo, hi = self.grain_box()
        area = (hi[0] - lo[0]) * (hi[1] - lo[1])
        size = (area / g.count) ** 0.5 if g.columnar else (area * (hi[2] - lo[2]) / g.count) ** (1 / 3)
        if g.boundary_thickness > 0.1 * size:
            raise ValueError(
                f"grains.boundary_thickness ({um(g.boundary_thickness)}) must be at most 0.1 x the mean grain size ({um(size)})"
            )
        if self.grain_seeds()[0] is None:
            raise ValueError(f"grains.count ({g.count}): the grains cannot be seeded apart in the cell")
