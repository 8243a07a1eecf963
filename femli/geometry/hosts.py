"""Porous 3D hosts on a current collector in a liquid electrolyte.

All four hosts share the frame of the pillar array (femli.geometry.pillar): the
electrolyte fills the box [0, Lx] x [0, Ly] x [0, H] minus the host solid, the
current collector is the plane z = 0 (``current_collector``: the parts of it
the electrolyte touches), the separator is the top face z = H
(``separator``), the host occupies 0 <= z <= host_height < H, its wetted
surface is ``host_bare`` (``host_coated`` where a coating band covers it), and
the side faces are mirror planes ``symmetry_xmin/xmax/ymin/ymax``. The host
solid itself is not meshed unless ``mesh_host`` is set (by a ``[host]``
section): then it is the volume ``host``, sharing its faces conformally with the
electrolyte, and its faces on the collector plane are ``host_collector``.

- :class:`FiberMat`: seeded random straight fibers, mostly in-plane, forming one
  network connected to the collector.
- :class:`OpenFoam`: a solid block minus seeded overlapping spherical pores that
  percolate from the separator side to the collector.
- :class:`ChannelArray`: a solid block with vertical cylindrical channels (holes)
  down to the collector, on a square or hexagonal lattice.
- :class:`StackedScreens`: layers of straight cylindrical wires, alternately along
  x and y, the lowest layer on the collector.

Every builder reports measured facts (porosity and specific area from the OCC
volumes and faces) and, where one exists, the closed form. Random layouts are
made (and refused, with the parameter named) before Gmsh runs; see
:mod:`femli.geometry._fiber_layout`, :mod:`femli.geometry._foam_layout` and
:mod:`femli.geometry._layout_common`.
"""

import math
from typing import Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from femli.geometry.base import GeometrySpec
from femli.geometry.lattice import LatticeArray
from femli.geometry.pillar import HeightBands
from femli.units import Length


def _check_fraction(name: str, value: float | None) -> float | None:
    if value is not None and not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value}")
    return value


class _LayeredHost(GeometrySpec):
    """Fields and checks every host shares: the cell above the host layer and the coating."""

    gap: Length | None = Field(None, description="electrolyte between the top of the host and the separator")
    cell_height: Length | None = Field(None, description="current collector to separator")
    coating: HeightBands = HeightBands()
    mesh_host: bool = Field(False, description="mesh the host solid as a 'host' volume too (set by a [host] section)")

    # subclasses: the host layer's top (m) and the box's lateral size (m)
    @property
    def host_top(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def footprint_size(self) -> tuple[float, float]:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def height(self) -> float:
        return self.cell_height if self.cell_height is not None else self.host_top + self.gap

    @property
    def size(self) -> tuple[float, float, float]:
        return (*self.footprint_size, self.height)

    @property
    def layer_volume(self) -> float:
        Lx, Ly = self.footprint_size
        return Lx * Ly * self.host_top

    def _check_cell(self, top_name: str) -> None:
        if (self.gap is None) == (self.cell_height is None):
            raise ValueError("give exactly one of 'gap' (above the host) or 'cell_height' (collector to separator)")
        if self.cell_height is not None and self.host_top >= self.cell_height:
            raise ValueError(
                f"{top_name} ({self.host_top:.3g} m) must be smaller than cell_height ({self.cell_height:.3g} m): "
                "the host would pierce the separator"
            )

    def _refuse_bands(self, why: str) -> None:
        if self.coating.resolved():
            raise ValueError(
                f"coating.bands / coating.bottom_fraction are not supported for {self.kind} ({why}); "
                "only coating.coat_collector is"
            )


class _RandomHost(_LayeredHost):
    """A seeded random host layer on a rectangular patch (fibers, foam)."""

    footprint: tuple[Length, Length] = Field((60e-6, 60e-6), description="lateral size [Lx, Ly] of the patch")
    host_height: Length = Field(40e-6, description="thickness of the host layer")
    seed: int = Field(0, ge=0)

    @field_validator("porosity", check_fields=False)  # porosity is declared by each subclass
    @classmethod
    def _porosity(cls, v):
        return _check_fraction("porosity", v)

    @property
    def host_top(self) -> float:
        return self.host_height

    @property
    def footprint_size(self) -> tuple[float, float]:
        return self.footprint


class FiberMat(_RandomHost):
    """Random mat of straight cylindrical fibers (seeded), clipped at the side planes.

    Fibers cross the whole footprint; their in-plane direction is uniform and
    their out-of-plane tilt normal with std ``tilt_spread`` (degrees). About a
    quarter of the candidates are laid on the collector (axis horizontal, cut
    by z = 0 at 15-50 % of the radius, so they touch it along a strip). Give a
    target ``porosity`` of the host layer or a ``fiber_count``. The layout is
    re-drawn deterministically until every fiber belongs to one network
    connected to the collector and no two surfaces meet at a grazing angle
    (which Gmsh cannot mesh); see femli.geometry._fiber_layout.
    """

    kind: Literal["fiber_mat"]
    fiber_diameter: Length = 8e-6
    diameter_spread: float = Field(0.0, ge=0.0, le=0.3, description="relative std of the fiber diameter")
    tilt_spread: float = Field(10.0, ge=0.0, le=45.0, description="std of the out-of-plane angle, degrees")
    porosity: float | None = Field(None, description="target porosity of the host layer")
    fiber_count: PositiveInt | None = None

    @model_validator(mode="after")
    def _feasible(self):
        self._check_cell("host_height")
        self._refuse_bands("fiber faces run through many heights and are not split at band edges")
        if (self.porosity is None) == (self.fiber_count is None):
            raise ValueError("give exactly one of 'porosity' (target) or 'fiber_count'")
        d_max = self.fiber_diameter * (1.0 + 2.0 * self.diameter_spread)
        if d_max >= 0.8 * self.host_height:
            raise ValueError(
                f"fiber_diameter ({self.fiber_diameter:.3g} m, up to {d_max:.3g} m with diameter_spread) is too thick "
                f"for host_height ({self.host_height:.3g} m): need fiber_diameter*(1 + 2*diameter_spread) "
                "< 0.8*host_height"
            )
        if d_max >= 0.5 * min(self.footprint):
            raise ValueError(
                f"fiber_diameter ({self.fiber_diameter:.3g} m) is too thick for footprint {list(self.footprint)}: "
                "need fiber_diameter*(1 + 2*diameter_spread) < footprint/2"
            )
        self.layout()  # refuses layouts that cannot be made (raises ValueError naming the parameter)
        return self

    def layout(self):
        """The fibers (cached per spec): a :class:`femli.geometry._fiber_layout.FiberLayout`."""
        from femli.geometry._fiber_layout import fiber_layout

        return _cached(fiber_layout, self)



class OpenFoam(_RandomHost):
    """Open-cell foam: the host block 0 < z < host_height minus overlapping spherical pores (seeded).

    Pore diameters are normal with mean ``pore_diameter`` and relative std
    ``pore_spread`` (truncated to +-2 std). Pore centres are drawn in the
    remaining solid until the target ``porosity`` is reached; pores not
    connected (through overlaps) to the separator side are dropped and re-drawn,
    and the remaining network must reach the collector, else the study is
    refused. Neighbouring pores overlap through windows of 0.3-0.8 x the smaller
    radius, which caps the porosity a layout can reach at about 0.65-0.75
    (the study is refused above that). Solid pieces left floating, or tiny ones,
    are filled with electrolyte (``dropped_solid_volume``).
    """

    kind: Literal["open_foam"]
    pore_diameter: Length = 16e-6
    pore_spread: float = Field(0.15, ge=0.0, le=0.3, description="relative std of the pore diameter")
    porosity: float = Field(0.6, description="target porosity of the foam layer")

    @model_validator(mode="after")
    def _feasible(self):
        self._check_cell("host_height")
        self._refuse_bands("pore faces run through many heights and are not split at band edges")
        d_max = self.pore_diameter * (1.0 + 2.0 * self.pore_spread)
        if d_max >= self.host_height or d_max >= 0.5 * min(self.footprint):
            raise ValueError(
                f"pore_diameter ({self.pore_diameter:.3g} m, up to {d_max:.3g} m with pore_spread) is too large for "
                f"the layer (host_height {self.host_height:.3g} m, footprint {list(self.footprint)}): need "
                "pore_diameter*(1 + 2*pore_spread) < host_height and < footprint/2"
            )
        self.layout()
        return self

    def layout(self):
        """The pores (cached per spec): a :class:`femli.geometry._foam_layout.FoamLayout`."""
        from femli.geometry._foam_layout import foam_layout

        return _cached(foam_layout, self)



class ChannelArray(LatticeArray, _LayeredHost):
    """Solid host block 0 < z < host_height pierced by vertical cylindrical channels
    down to the collector (the channel bottoms are ``current_collector``), on the
    square or hexagonal lattice of femli.geometry.lattice.
    """

    kind: Literal["channel_array"]
    channel_radius: Length
    host_height: Length = Field(description="thickness of the host block (channel depth)")

    @property
    def host_top(self) -> float:
        return self.host_height

    @model_validator(mode="after")
    def _feasible(self):
        self._check_cell("host_height")
        if 2 * self.channel_radius >= self.pitch:
            raise ValueError(
                f"channel_radius ({self.channel_radius:.3g} m) must be smaller than pitch/2 "
                f"({self.pitch / 2:.3g} m): neighbouring channels would touch or merge"
            )
        return self

    def porosity_closed_form(self) -> float:
        return self.area_fraction(self.channel_radius)

    def host_area_closed_form(self) -> float:
        """Channel walls plus the top face of the block (m^2)."""
        ux, uy = self.unit_cell
        n, R = self.features_per_cell, self.channel_radius
        per_cell = n * 2 * math.pi * R * self.host_height + ux * uy - n * math.pi * R**2
        return self.cells[0] * self.cells[1] * per_cell

    def collector_area_closed_form(self) -> float:
        return self.cells[0] * self.cells[1] * self.features_per_cell * math.pi * self.channel_radius**2



class StackedScreens(_LayeredHost):
    """Stacked screens of straight cylindrical wires, alternately along x (even
    layers) and y (odd layers), every layer on the same lattice of period
    wire_diameter + opening.

    Wires sit at (j + 1/2) * period, so the side planes are mirror planes
    through the openings. The lowest layer is cut by the collector plane at
    ``contact_depth`` x wire radius (a tangent contact cannot be meshed);
    neighbouring layers interpenetrate (``layer_spacing`` < wire_diameter) so
    the stack is one bonded conductor. ``woven = true`` (crimped wires) is not
    implemented.
    """

    kind: Literal["stacked_screens"]
    wire_diameter: Length
    opening: Length = Field(description="clear gap between neighbouring parallel wires")
    layers: PositiveInt = 3
    layer_spacing: Length | None = Field(None, description="distance between the wire axes of adjacent layers; default 0.8*wire_diameter")
    cells: tuple[PositiveInt, PositiveInt] = (2, 2)
    contact_depth: float = Field(0.2, ge=0.05, le=0.5, description="depth of the lowest wires below z = 0, fraction of the wire radius")
    woven: bool = False

    @property
    def spacing(self) -> float:
        return self.layer_spacing if self.layer_spacing is not None else 0.8 * self.wire_diameter

    @property
    def period(self) -> float:
        return self.wire_diameter + self.opening

    @property
    def footprint_size(self) -> tuple[float, float]:
        return self.cells[0] * self.period, self.cells[1] * self.period

    def layer_heights(self) -> list[float]:
        """Height of the wire axes of each layer (m)."""
        r = self.wire_diameter / 2
        return [r * (1.0 - self.contact_depth) + k * self.spacing for k in range(self.layers)]

    @property
    def host_top(self) -> float:
        return self.layer_heights()[-1] + self.wire_diameter / 2

    @model_validator(mode="after")
    def _feasible(self):
        self._check_cell("the top of the screens")
        if self.woven:
            raise ValueError("woven = true (crimped wires) is not implemented; use straight wires (woven = false)")
        d = self.wire_diameter
        if self.layers > 1 and not 0.6 * d <= self.spacing <= 0.9 * d:
            raise ValueError(
                f"layer_spacing ({self.spacing:.3g} m) must lie between 0.6 and 0.9 x wire_diameter ({d:.3g} m): "
                "adjacent layers must interpenetrate to form one bonded conductor, without touching tangentially "
                "or merging with the next-but-one layer"
            )
        if self.opening < 0.25 * d:
            raise ValueError(f"opening ({self.opening:.3g} m) must be at least 0.25 x wire_diameter ({d:.3g} m)")
        r, top = d / 2, self.host_top
        for lo, hi in self.coating.resolved():
            for f in (lo, hi):
                if not 0.0 < f < 1.0:
                    continue
                z = f * top
                for zc in self.layer_heights():
                    for tangent in (zc - r, zc + r):
                        if abs(z - tangent) < 0.1 * r:
                            raise ValueError(
                                f"coating band edge {f:g} (z = {z:.3g} m) lies within 0.1 x wire radius of a wire's "
                                f"top or bottom (z = {tangent:.3g} m), which cannot be meshed: move it in coating.bands"
                            )
        return self

    def wires(self) -> list[tuple[str, float, float]]:
        """(axis direction 'x' or 'y', lateral position, axis height) of every wire (m)."""
        p = self.period
        out = []
        for k, zc in enumerate(self.layer_heights()):
            if k % 2 == 0:
                out += [("x", (j + 0.5) * p, zc) for j in range(self.cells[1])]
            else:
                out += [("y", (i + 0.5) * p, zc) for i in range(self.cells[0])]
        return out

    def _closed_forms(self) -> tuple[float, float, float]:
        """(host volume, wetted host area, exposed collector area) of the layer, exactly (m^3, m^2, m^2).

        Straight cylinders clipped by the side planes; the lowest layer loses the
        circular segment below z = 0; each crossing of adjacent layers removes
        the overlap volume and, from each wire, its surface inside the other.
        The two overlap integrals are one-dimensional and done to 1e-12.
        """
        from scipy.integrate import quad

        r, s = self.wire_diameter / 2, self.spacing
        Lx, Ly = self.footprint_size
        nx, ny = self.cells
        h0 = self.layer_heights()[0]
        segment = r * r * math.acos(h0 / r) - h0 * math.sqrt(r * r - h0 * h0)  # circle part below z = 0
        counts = [(ny, Lx) if k % 2 == 0 else (nx, Ly) for k in range(self.layers)]
        volume = sum(n * L * math.pi * r * r for n, L in counts) - counts[0][0] * counts[0][1] * segment
        area = sum(n * L * 2 * math.pi * r for n, L in counts) - counts[0][0] * counts[0][1] * 2 * r * math.acos(h0 / r)
        crossings = (self.layers - 1) * nx * ny
        if crossings:
            # overlap of perpendicular cylinders with axes s apart: rectangle sections
            lens, _ = quad(lambda z: 4 * math.sqrt(max(r * r - z * z, 0.0)) * math.sqrt(max(r * r - (z - s) ** 2, 0.0)),
                           s - r, r, epsabs=0, epsrel=1e-12, limit=200)
            # surface of one cylinder inside the other (the same for both)
            t0 = math.asin((s - r) / r)  # the part of the circle above the other cylinder's bottom
            inside, _ = quad(lambda t: 2 * r * math.sqrt(max(r * r - (r * math.sin(t) - s) ** 2, 0.0)),
                             t0, math.pi - t0, epsabs=0, epsrel=1e-12, limit=200)
            volume -= crossings * lens
            area -= crossings * 2 * inside
        collector = Lx * Ly - counts[0][0] * counts[0][1] * 2 * math.sqrt(r * r - h0 * h0)
        return volume, area, collector

    def porosity_closed_form(self) -> float:
        return 1.0 - self._closed_forms()[0] / self.layer_volume

    def host_area_closed_form(self) -> float:
        return self._closed_forms()[1]

    def collector_area_closed_form(self) -> float:
        return self._closed_forms()[2]



_LAYOUTS: dict[tuple, object] = {}


def _cached(make, spec):
    """One layout per distinct spec: validation and build share it (layouts are deterministic)."""
    key = (make.__name__, spec.model_dump_json())
    if key not in _LAYOUTS:
        if len(_LAYOUTS) > 64:
            _LAYOUTS.clear()
        _LAYOUTS[key] = make(spec)
    return _LAYOUTS[key]
