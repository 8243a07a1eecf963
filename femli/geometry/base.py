"""The interface every geometry builder shares.

A geometry spec is a validated, immutable description (lengths in metres). Its
builder (femli.geometry.builders) fills the *current* gmsh model on the calling
rank with OCC volumes, named physical groups (DESIGN.md vocabulary) and mesh
size fields, and returns a :class:`GeometryInfo` with measured facts about what
it built. Models look boundaries up by those names, never by number.
"""

from dataclasses import dataclass, field

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from femli.units import Length


class MeshOptions(BaseModel):
    """Element sizes. ``size_min`` applies at electrode surfaces and feature edges,
    growing to ``size_max`` over ``growth_distance``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size_max: Length = 4e-6
    size_min: Length = 1e-6
    growth_distance: Length = 10e-6
    algorithm3d: Literal[1, 4, 7, 10] = 10  # gmsh 3D algorithm: 1 Delaunay, 4 Frontal, 7 MMG3D, 10 HXT
    optimize: bool = True

    @model_validator(mode="after")
    def _sizes(self):
        if self.size_min > self.size_max:
            raise ValueError(f"size_min ({self.size_min:.3g} m) must not exceed size_max ({self.size_max:.3g} m)")
        return self


# Surfaces that can carry an electrode reaction. A study must give each one that
# its geometry contains a [kinetics.<name>] entry (model = "insulating" is a
# valid entry), so that no electrode is silently left insulating.
ELECTRODE_SURFACES = ("host_bare", "host_coated", "current_collector", "electrode", "li_contact", "crack_faces", "protrusion")


def is_electrode_surface(name: str) -> bool:
    """The vocabulary above, plus host_coated_<material> for several coating materials."""
    return name in ELECTRODE_SURFACES or name.startswith("host_coated_")


@dataclass
class GeometryInfo:
    """What a builder reports about the geometry it built (SI units)."""

    bounds: tuple[tuple[float, float, float], tuple[float, float, float]]
    z_collector: float  # height of the current collector (deposition height 0)
    z_separator: float  # height of the separator side (deposition height 1)
    measures: dict[str, float] = field(default_factory=dict)  # e.g. porosity, specific_area


class GeometrySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
