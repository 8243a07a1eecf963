"""Where fields live: the parent mesh and the volumes cut out of it as sub-meshes.

A model that couples two conductors (host and electrolyte) puts each unknown on
its own sub-mesh of the one parent mesh; coupled forms integrate over the parent
(``Domain.dx``, ``Domain.ds`` and interface ``dS``) with ``entity_maps``. Each
:class:`Volume` also carries the parent's cell and facet tags onto its own mesh,
so analysis on one volume (surface currents over its boundary) reads like
analysis on a whole mesh. A model without sub-meshes has one volume: the parent.
"""

from dataclasses import dataclass

import numpy as np
import ufl
from dolfinx import fem, la, mesh as dmesh

from femli.physics.interface import interface_entities


def local_cell_count(msh) -> int:
    im = msh.topology.index_map(msh.topology.dim)
    return im.size_local + im.num_ghosts


def _cell_values(msh, cell_tags) -> np.ndarray:
    """The tag of every local cell, ghosts included (owned tags scattered to the ghosts)."""
    marker = fem.Function(fem.functionspace(msh, ("DG", 0)))
    owned = msh.topology.index_map(msh.topology.dim).size_local
    keep = cell_tags.indices < owned
    dofs = marker.function_space.dofmap.list[:, 0]
    marker.x.array[dofs[cell_tags.indices[keep]]] = cell_tags.values[keep]
    marker.x.scatter_forward()
    return np.rint(marker.x.array[dofs[: local_cell_count(msh)]]).astype(np.int32)


def sub_entities(parent, sub, cell_map, dim) -> np.ndarray:
    """Parent entity -> sub-mesh entity of dimension ``dim`` (-1 where absent), via the cells.

    create_submesh keeps each cell's vertex order, so the k-th entity of a sub
    cell is the k-th entity of its parent cell.
    """
    tdim = parent.topology.dim
    parent.topology.create_connectivity(tdim, dim)
    sub.topology.create_connectivity(tdim, dim)
    cells = np.arange(local_cell_count(sub), dtype=np.int32)
    pcells = cell_map.sub_topology_to_topology(cells, inverse=False)
    pc, sc = parent.topology.connectivity(tdim, dim), sub.topology.connectivity(tdim, dim)
    k = pc.offsets[1] - pc.offsets[0]
    im = parent.topology.index_map(dim)
    out = np.full(im.size_local + im.num_ghosts, -1, dtype=np.int32)
    out[pc.array.reshape(-1, k)[pcells].ravel()] = sc.array.reshape(-1, k)[cells].ravel()
    return out


@dataclass
class Volume:
    """A set of named volumes of the parent mesh on which fields live.

    ``mesh`` is the parent itself or a sub-mesh (its entity map is in ``Domain.entity_maps``); its
    ``cell_tags`` and ``facet_tags`` are the parent's, carried over. ``tags`` are
    the parent cell-tag values it covers, so ``Domain.dx(volume.tags)`` is this
    volume in coupled forms.
    """

    name: str
    mesh: dmesh.Mesh
    cell_tags: dmesh.MeshTags
    facet_tags: dmesh.MeshTags
    tags: tuple[int, ...]
    parent_cells: np.ndarray  # local parent cells, ghosts included, in sub-mesh cell order

    def measure(self, kind: str, metadata: dict | None = None) -> ufl.Measure:
        data = self.cell_tags if kind == "dx" else self.facet_tags
        return ufl.Measure(kind, domain=self.mesh, subdomain_data=data, metadata=metadata or {})


class Domain:
    """The parent mesh of a :class:`femli.mesh.MeshBundle` and the volumes fields live on.

    ``separate`` names the parent volumes that get sub-meshes of their own (e.g.
    ``("host",)``); every other volume forms the sub-mesh ``"electrolyte"``. With
    nothing separate, ``"electrolyte"`` is the parent mesh itself.
    """

    def __init__(self, bundle, separate: tuple[str, ...] = ()):
        self.bundle, self.mesh = bundle, bundle.mesh
        msh = self.mesh
        tdim = msh.topology.dim
        msh.topology.create_connectivity(tdim - 1, tdim)
        self.dx = ufl.Measure("dx", domain=msh, subdomain_data=bundle.cell_tags)
        self.volume_tags = {n: tag for n, (d, tag) in bundle.names.items() if d == tdim}
        self.volumes: dict[str, Volume] = {}
        self.entity_maps: list = []
        all_cells = np.arange(local_cell_count(msh), dtype=np.int32)
        if not separate:
            self.volumes["electrolyte"] = Volume("electrolyte", msh, bundle.cell_tags, bundle.facet_tags,
                                                 tuple(self.volume_tags.values()), all_cells)
            return
        values = _cell_values(msh, bundle.cell_tags)
        rest = set(self.volume_tags)
        for name in (*separate, "electrolyte"):
            names = (name,) if name != "electrolyte" else tuple(sorted(rest))
            rest -= set(names)
            tags = tuple(self.volume_tags[n] for n in names)
            cells = np.flatnonzero(np.isin(values, tags)).astype(np.int32)
            self.volumes[name] = self._submesh(name, cells, tags, values)

    def _submesh(self, name, cells, tags, values) -> Volume:
        parent, bundle = self.mesh, self.bundle
        tdim = parent.topology.dim
        sub, emap = dmesh.create_submesh(parent, tdim, cells)[:2]
        self.entity_maps.append(emap)
        sub_cells = np.arange(local_cell_count(sub), dtype=np.int32)
        parent_cells = emap.sub_topology_to_topology(sub_cells, inverse=False)
        cell_tags = dmesh.meshtags(sub, tdim, sub_cells, values[parent_cells])
        facet_map = sub_entities(parent, sub, emap, tdim - 1)
        ft = bundle.facet_tags
        keep = facet_map[ft.indices] >= 0
        sub_f, first = np.unique(facet_map[ft.indices[keep]], return_index=True)
        sub.topology.create_connectivity(tdim - 1, tdim)
        facet_tags = dmesh.meshtags(sub, tdim - 1, sub_f, ft.values[keep][first])
        return Volume(name, sub, cell_tags, facet_tags, tags, parent_cells)

    def ds(self, metadata: dict | None = None) -> ufl.Measure:
        return ufl.Measure("ds", domain=self.mesh, subdomain_data=self.bundle.facet_tags, metadata=metadata or {})

    def interface(self, plus: str, facet_tags: list[int], metadata: dict | None = None) -> ufl.Measure:
        """dS over the named facets between volume ``plus`` and the others, ``plus`` always on the '+' side."""
        cells = self.volumes[plus].parent_cells
        data = [(t, interface_entities(self.mesh, cells, self.bundle.facet_tags.find(t)).ravel()) for t in facet_tags]
        return ufl.Measure("dS", domain=self.mesh, subdomain_data=data, metadata=metadata or {})

    def transfer(self, u: fem.Function, out: fem.Function) -> None:
        """Copy ``u`` (on one volume) into ``out`` (same element, another volume) through the
        parent: exact on the facets the two volumes share, 0 elsewhere."""
        src = self._volume_of(u.function_space.mesh)
        dst = self._volume_of(out.function_space.mesh)
        P = fem.functionspace(self.mesh, u.function_space.ufl_element())
        cells = np.arange(len(src.parent_cells), dtype=np.int32)
        on_parent, count = fem.Function(P), fem.Function(P)
        on_parent.interpolate(u, cells, src.parent_cells)
        ones = fem.Function(u.function_space)
        ones.x.array[:] = 1.0
        count.interpolate(ones, cells, src.parent_cells)
        # a parent dof's owner may have none of the source cells around it (they are ghosted
        # only across facets): sum what every process set, then share the owners' values
        for f in (on_parent, count):
            f.x.scatter_reverse(la.InsertMode.add)
        n = P.dofmap.index_map.size_local * P.dofmap.index_map_bs
        set_ = count.x.array[:n] > 0
        on_parent.x.array[:n][set_] /= count.x.array[:n][set_]
        on_parent.x.scatter_forward()
        out.interpolate(on_parent, dst.parent_cells, np.arange(len(dst.parent_cells), dtype=np.int32))
        out.x.scatter_forward()

    def _volume_of(self, msh) -> Volume:
        for vol in self.volumes.values():
            if vol.mesh is msh:
                return vol
        raise ValueError("the mesh is none of this domain's volumes")
