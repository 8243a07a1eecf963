"""An unknown of a coupled problem: a Lagrange field (scalar or vector) on one volume."""

import ufl
from dolfinx import fem

from femli.core.domains import Volume


class Field:
    """``name`` on ``volume`` with Lagrange degree ``degree``: its space, solution and test function.

    ``shape`` makes it a vector (``(3,)``: a displacement) or tensor field; ``None`` (the default) is scalar.
    """

    def __init__(self, name: str, volume: Volume, degree: int = 1, conductivity=None, conductivity_varies: bool = False,
                 shape: tuple[int, ...] | None = None):
        self.name, self.volume, self.degree = name, volume, degree
        self.shape = tuple(shape) if shape is not None else None
        # the conductivity as seen on this field's own mesh (output, analysis); the solve's
        # conduction piece may hold the same law written on the parent mesh
        self.conductivity, self.conductivity_varies = conductivity, conductivity_varies
        element = ("Lagrange", degree) if self.shape is None else ("Lagrange", degree, self.shape)
        self.space = fem.functionspace(volume.mesh, element)
        self.u = fem.Function(self.space, name=name)
        self.test = ufl.TestFunction(self.space)

    def boundary_dofs(self, facets):
        """Dofs on the given facets of this field's own mesh."""
        return fem.locate_dofs_topological(self.space, self.volume.mesh.topology.dim - 1, facets)

    def tagged_dofs(self, tag: int):
        return self.boundary_dofs(self.volume.facet_tags.find(tag))

    def dofs(self) -> int:
        im = self.space.dofmap.index_map
        return im.size_global * self.space.dofmap.index_map_bs

    def __repr__(self) -> str:
        shape = "" if self.shape is None else f", shape {self.shape}"
        return f"Field({self.name!r} on {self.volume.name}, P{self.degree}{shape})"
