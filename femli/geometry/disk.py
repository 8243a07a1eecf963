"""Disk electrode in an insulating plane, facing a distant hemispherical counter
electrode: the verification geometry for the primary current distribution
(Newman) and the Holm constriction resistance of one contact spot.

The domain is the quarter hemisphere r < domain_radius, z > 0, x > 0, y > 0
(two mirror planes). Surfaces: ``electrode`` (disk r < disk_radius at z = 0),
``insulator`` (rest of the plane), ``counter`` (the hemisphere),
``symmetry_x`` / ``symmetry_y``.
"""

from typing import Literal

from pydantic import model_validator

from femli.geometry.base import GeometrySpec
from femli.units import Length


class DiskElectrode(GeometrySpec):
    kind: Literal["disk_electrode"]
    disk_radius: Length
    domain_radius: Length

    @model_validator(mode="after")
    def _feasible(self):
        if self.domain_radius < 5 * self.disk_radius:
            raise ValueError(
                f"domain_radius ({self.domain_radius:.3g} m) must be at least 5 x disk_radius "
                f"({self.disk_radius:.3g} m) for the counter electrode to be 'distant'"
            )
        return self
