"""Facet-wise surface current, computed in parallel and gathered on rank 0.

The electrode facets form a surface submesh carrying a DG0 space; assembling
int j w ds and int w ds over it gives each facet's integrated current and area
in one pass, so the facet mean is exact for any discretisation of j.
"""

import numpy as np
import ufl
from dolfinx import fem, la, mesh as dmesh

from femli.analysis.surface_data import SurfaceField
from femli.physics.deposition import electrode_facets


class ElectrodeSurface:
    """The electrode facets of a model as a surface mesh with a DG0 current field."""

    def __init__(self, model):
        self.model = model
        self.names = list(model.electrodes)
        state = getattr(model, "surface_state", None)
        if state is not None:  # the facets' history lives on this surface mesh already
            self.submesh, self.entity_map, self.cell_surface = state.submesh, state.entity_map, state.cell_surface
            self.W = state.W
        else:
            tags = [model.electrodes[n].tag for n in self.names]
            self.submesh, self.entity_map, self.cell_surface = electrode_facets(
                model.electrolyte.mesh, model.electrolyte.facet_tags, tags)
            self.W = fem.functionspace(self.submesh, ("DG", 0))
        w = ufl.TestFunction(self.W)
        self._current_form = fem.form(
            sum(model.plating_current(n) * w * model.surface_measure(n) for n in self.names), entity_maps=[self.entity_map]
        )
        self._area_form = fem.form(sum(w * model.surface_measure(n) for n in self.names), entity_maps=[self.entity_map])
        self.current = fem.Function(self.W, name="plating_current_density")
        self.area = self._assemble(self._area_form)

    def _assemble(self, form) -> np.ndarray:
        vec = fem.assemble_vector(form)
        vec.scatter_reverse(la.InsertMode.add)
        return vec.array[: self.W.dofmap.index_map.size_local].copy()

    def update(self):
        """Recompute facet-mean plating current from the model's current solution."""
        n = self.W.dofmap.index_map.size_local
        self.current.x.array[:n] = self._assemble(self._current_form) / self.area
        self.current.x.scatter_forward()

    def surface_id(self) -> fem.Function:
        """Which electrode surface each facet belongs to (index into ``names``), for ParaView."""
        sid = fem.Function(self.W, name="surface_id")
        cells = np.arange(len(self.cell_surface), dtype=np.int32)
        sid.x.array[self.W.dofmap.list[cells, 0]] = self.cell_surface
        return sid

    def gather(self) -> list[SurfaceField] | None:
        """All electrode facets on rank 0 (None elsewhere), one SurfaceField per surface."""
        sub = self.submesh
        n = self.W.dofmap.index_map.size_local
        cells = np.arange(n, dtype=np.int32)
        dof_cells = self.W.dofmap.list[cells, 0]
        geom = dmesh.entities_to_geometry(sub, 2, cells, False)
        xyz = sub.geometry.x[geom]
        sub.topology.create_connectivity(2, 0)
        c2v = sub.topology.connectivity(2, 0)
        verts = np.array([c2v.links(c) for c in cells], dtype=np.int32).reshape(-1, 3)
        gids = sub.topology.index_map(0).local_to_global(verts.ravel()).reshape(-1, 3)
        local = (self.cell_surface[:n], xyz, gids, self.area[dof_cells], self.current.x.array[dof_cells])
        comm = sub.comm
        parts = comm.gather(local, root=0)
        if comm.rank != 0:
            return None
        sid, xyz, gids, area, value = (np.concatenate([p[i] for p in parts]) for i in range(5))
        fields = []
        for i, name in enumerate(self.names):
            m = sid == i
            # a stable order (by centroid) makes the gathered data independent of the partition
            key = np.lexsort(np.round(xyz[m].mean(axis=1).T / 1e-12))
            fields.append(SurfaceField(name, xyz[m][key], gids[m][key], area[m][key], value[m][key]))
        return fields
