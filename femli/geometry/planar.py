"""Planar cell: a slab of electrolyte between a flat electrode and the separator side.

The electrolyte fills [0, Lx] x [0, Ly] x [0, L]: ``electrode`` at z = 0 (plating
surface), ``separator`` at z = L (the counter side), mirror planes on the four
sides. It is the one-dimensional cell of Sand's time and of the limiting
current, and the reference against which a 3D host is compared.
"""

from typing import Literal

from pydantic import Field

from femli.geometry.base import GeometrySpec
from femli.units import Length


class PlanarCell(GeometrySpec):
    kind: Literal["planar_cell"]
    size: tuple[Length, Length, Length] = Field(description="[Lx, Ly, gap]: footprint and electrode-to-separator gap")
