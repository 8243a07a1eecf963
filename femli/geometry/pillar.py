"""Pillar (rod) array host on a current-collector plate, in a liquid electrolyte.

The electrolyte fills the box [0, Lx] x [0, Ly] x [0, H] above the collector
(z = 0) minus the pillars; the separator is the top face z = H. The side faces
are mirror planes of the lattice (symmetry_xmin/xmax/ymin/ymax), so a single unit
cell stands for an infinite array. Unit cells: square lattice, pitch x pitch
with a pillar in the centre; hexagonal lattice, pitch x sqrt(3)*pitch with a
pillar in the centre and quarter pillars in the corners.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from femli.geometry.lattice import LatticeArray
from femli.units import Length


class HeightBands(BaseModel):
    """Coated parts of a host surface as height bands, in fractions of the host
    height (0 = current collector, 1 = top of the host)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bands: tuple[tuple[float, float], ...] = ()
    bottom_fraction: float | None = Field(None, description="shorthand for bands = [[0, f]]")
    coat_collector: bool = False  # the plate between the pillars is coated too

    @field_validator("bottom_fraction")
    @classmethod
    def _fraction(cls, f):
        if f is not None and not 0.0 <= f <= 1.0:
            raise ValueError(f"coating fraction must lie in [0, 1], got {f}")
        return f

    @field_validator("bands")
    @classmethod
    def _bands(cls, bands):
        for lo, hi in bands:
            if not (0.0 <= lo < hi <= 1.0):
                raise ValueError(f"each band [lo, hi] needs 0 <= lo < hi <= 1 (fractions of host height), got [{lo}, {hi}]")
        ordered = sorted(bands)
        for (_, hi), (lo, _) in zip(ordered, ordered[1:]):
            if lo < hi:
                raise ValueError(f"coating bands overlap: {list(ordered)}")
        return tuple(ordered)

    def resolved(self) -> tuple[tuple[float, float], ...]:
        """All bands, the bottom_fraction shorthand included, merged and sorted."""
        bands = list(self.bands)
        if self.bottom_fraction:
            bands.append((0.0, self.bottom_fraction))
        merged: list[list[float]] = []
        for lo, hi in sorted(bands):
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        return tuple((lo, hi) for lo, hi in merged)

    def coated_fraction(self) -> float:
        return sum(hi - lo for lo, hi in self.resolved())


class PillarArray(LatticeArray):
    kind: Literal["pillar_array"]
    pillar_radius: Length
    pillar_height: Length
    gap: Length | None = Field(None, description="electrolyte between pillar tops and separator")
    cell_height: Length | None = Field(None, description="current collector to separator")
    coating: HeightBands = HeightBands()
    mesh_host: bool = Field(False, description="mesh the pillars as a 'host' volume too (set by a [host] section)")

    @model_validator(mode="after")
    def _feasible(self):
        if (self.gap is None) == (self.cell_height is None):
            raise ValueError("give exactly one of 'gap' (above the pillars) or 'cell_height' (collector to separator)")
        if self.cell_height is not None and self.pillar_height >= self.cell_height:
            raise ValueError(
                f"pillar_height ({self.pillar_height:.3g} m) must be smaller than cell_height "
                f"({self.cell_height:.3g} m): the pillars would pierce the separator"
            )
        if 2 * self.pillar_radius >= self.pitch:
            raise ValueError(
                f"pillar_radius ({self.pillar_radius:.3g} m) is too large for pitch ({self.pitch:.3g} m): "
                "neighbouring pillars would touch or overlap (need 2*pillar_radius < pitch)"
            )
        return self

    @property
    def height(self) -> float:
        return self.cell_height if self.cell_height is not None else self.pillar_height + self.gap

    @property
    def host_top(self) -> float:
        return self.pillar_height

    @property
    def size(self) -> tuple[float, float, float]:
        return (*self.footprint_size, self.height)

    def porosity(self) -> float:
        """Closed-form electrolyte volume fraction of the host layer (z < pillar_height)."""
        return 1.0 - self.area_fraction(self.pillar_radius)
