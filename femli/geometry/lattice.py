"""Square and hexagonal lattices of vertical features (pillars, channels).

Unit cells: square, pitch x pitch with a feature in the centre; hexagonal,
pitch x sqrt(3)*pitch with a feature in the centre and quarter features in the
corners. The cell's side faces are mirror planes of the lattice.
"""

import math
from typing import Literal

from pydantic import Field, PositiveInt

from femli.geometry.base import GeometrySpec
from femli.units import Length


class LatticeArray(GeometrySpec):
    pitch: Length = Field(description="centre-to-centre distance of nearest features")
    lattice: Literal["square", "hexagonal"] = "square"
    cells: tuple[PositiveInt, PositiveInt] = (1, 1)

    @property
    def unit_cell(self) -> tuple[float, float]:
        if self.lattice == "square":
            return self.pitch, self.pitch
        return self.pitch, math.sqrt(3.0) * self.pitch

    @property
    def features_per_cell(self) -> int:
        return 1 if self.lattice == "square" else 2

    @property
    def footprint_size(self) -> tuple[float, float]:
        ux, uy = self.unit_cell
        return self.cells[0] * ux, self.cells[1] * uy

    def centres(self) -> list[tuple[float, float]]:
        """Axes of all features that intersect the box (corner features included)."""
        ux, uy = self.unit_cell
        nx, ny = self.cells
        pts = [((i + 0.5) * ux, (j + 0.5) * uy) for i in range(nx) for j in range(ny)]
        if self.lattice == "hexagonal":
            pts += [(i * ux, j * uy) for i in range(nx + 1) for j in range(ny + 1)]
        return pts

    def area_fraction(self, radius: float) -> float:
        """Fraction of the footprint covered by circles of ``radius`` on the lattice."""
        ux, uy = self.unit_cell
        return self.features_per_cell * math.pi * radius**2 / (ux * uy)
