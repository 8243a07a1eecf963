"""The interface every geometry builder shares.

A geometry spec is a validated, immutable description (lengths in metres). Its
builder (femli.geometry.builders) fills the *current* gmsh model on the calling
rank with OCC volumes, named physical groups (DESIGN.md vocabulary) and mesh
size fields, and returns a :class:`GeometryInfo` with measured facts about what
it built. Models look boundaries up by those names, never by number.
"""

import math
from dataclasses import dataclass, field

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    max_cells: int = Field(20_000_000, gt=0,
                           description="refuse meshes estimated above this many tetrahedra; raise it to go larger")

    @model_validator(mode="after")
    def _sizes(self):
        if self.size_min > self.size_max:
            raise ValueError(f"size_min ({self.size_min:.3g} m) must not exceed size_max ({self.size_max:.3g} m)")
        return self

    def estimated_cells(self, geometry) -> float | None:
        """A lower bound on the tetrahedra of ``geometry``'s mesh, before Gmsh runs; None if unknown.

        The domain's bounding volume filled with regular tetrahedra of edge ``size_max``
        (volume size_max^3 / (6 sqrt 2)); refinement towards ``size_min`` only adds cells.
        """
        volume = _domain_volume(geometry)
        if volume is None:
            return None
        return volume / (self.size_max**3 / (6 * math.sqrt(2)))

    def check_cells(self, geometry) -> None:
        """Refuse (ValueError) a mesh estimated above ``max_cells`` tetrahedra, before Gmsh runs."""
        n = self.estimated_cells(geometry)
        if n is not None and n > self.max_cells:
            raise ValueError(
                f"mesh.size_max = {self.size_max:.3g} m (mesh.size_min = {self.size_min:.3g} m) would give at least "
                f"{n:.3g} tetrahedra (estimate), more than mesh.max_cells = {self.max_cells}: coarsen "
                "mesh.size_max / mesh.size_min, or raise mesh.max_cells to go larger"
            )


def _domain_volume(geometry) -> float | None:
    """Volume (m^3) of the box (or quarter hemisphere) a geometry spec meshes; None when a spec has no size."""
    size = getattr(geometry, "size", None)
    if size is not None:  # layered hosts and lattice arrays: footprint x height
        return math.prod(size)
    thickness, width = getattr(geometry, "thickness", None), getattr(geometry, "width", None)
    if thickness is not None and width is not None:  # solid-electrolyte cell
        depth = getattr(geometry, "depth", None)
        return thickness * width * (width if depth is None else depth)
    radius = getattr(geometry, "domain_radius", None)
    if radius is not None:  # quarter hemisphere
        return math.pi * radius**3 / 6
    return None


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
