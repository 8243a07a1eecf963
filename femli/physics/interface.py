"""Charge transfer across an interface between two conductors meshed apart.

The host (electronic conductor, phi_s, sigma_s) and the electrolyte (ionic
conductor, phi, kappa) are sub-meshes of one parent mesh and share the
interface Gamma as interior facets of the parent. Integrals over Gamma are
interior-facet integrals on the parent whose '+' side is always the host cell
and '-' side always the electrolyte cell, so

    n('+') = n_s   points out of the host into the electrolyte,
    phi_s('+'), phi('-')  are the two potentials at the same point of Gamma.

With the anodic-positive local current i_loc(eta), eta = phi_s - phi - U, the
current i_loc leaves the host (i_s.n_s = i_loc, i.e. sigma_s grad(phi_s).n_s =
-i_loc) and enters the electrolyte (i.n = -i_loc with n = -n_s, i.e.
kappa grad(phi).n = i_loc), the conventions of femli.physics.conduction.
"""

import numpy as np
import ufl
from dolfinx import mesh as dmesh

HOST, ELECTROLYTE = "+", "-"


def overpotential(phi_s, phi, U=0.0):
    """eta = phi_s - phi - U on Gamma, each potential taken from its own side."""
    return phi_s(HOST) - phi(ELECTROLYTE) - U


def host_outflow(i_loc, w_s, dS):
    """The host gives up i_loc through Gamma (i_s.n_s = i_loc): + int i_loc w_s dS."""
    return i_loc * w_s(HOST) * dS


def electrolyte_inflow(i_loc, v, dS):
    """The electrolyte receives i_loc through Gamma (i.n = -i_loc): - int i_loc v dS."""
    return -i_loc * v(ELECTROLYTE) * dS


def interface_entities(msh, host_cells, facets=None):
    """Interior-facet integration entities of the host|electrolyte interface with the host on '+'.

    ``host_cells`` are cell indices (local, ghosts included where known) of the
    host; every facet shared by a host and a non-host cell is on Gamma (or only
    those of ``facets`` when given). Returns an (N, 4) int32 array of
    (host cell, local facet, electrolyte cell, local facet) for the owned
    facets, the layout dolfinx expects as ``subdomain_data=[(tag, entities)]``.

    In parallel the mesh needs ``GhostMode.shared_facet``: an owned facet on a
    process boundary must see both its cells, or it is taken for an exterior facet.
    """
    tdim = msh.topology.dim
    msh.topology.create_connectivity(tdim - 1, tdim)
    msh.topology.create_connectivity(tdim, tdim - 1)
    f2c = msh.topology.connectivity(tdim - 1, tdim)
    c2f = msh.topology.connectivity(tdim, tdim - 1)
    cmap = msh.topology.index_map(tdim)
    is_host = np.zeros(cmap.size_local + cmap.num_ghosts, dtype=bool)
    is_host[host_cells] = True
    n_owned = msh.topology.index_map(tdim - 1).size_local
    facets = np.arange(n_owned, dtype=np.int32) if facets is None else np.asarray(facets, dtype=np.int32)
    facets = facets[facets < n_owned]
    offsets = f2c.offsets
    facets = facets[offsets[facets + 1] - offsets[facets] == 2]  # interior facets only
    c0, c1 = f2c.array[offsets[facets]], f2c.array[offsets[facets] + 1]
    on_gamma = is_host[c0] != is_host[c1]
    facets, c0, c1 = facets[on_gamma], c0[on_gamma], c1[on_gamma]
    host, elyte = np.where(is_host[c0], c0, c1), np.where(is_host[c0], c1, c0)
    cell_facets = c2f.array.reshape(-1, c2f.offsets[1] - c2f.offsets[0])  # one cell type

    def local(cells):
        return np.argmax(cell_facets[cells] == facets[:, None], axis=1)

    return np.column_stack([host, local(host), elyte, local(elyte)]).astype(np.int32)


def split(msh, host_cells):
    """Host and electrolyte sub-meshes of ``msh``: ((host, host_map), (electrolyte, electrolyte_map)).

    ``host_cells`` are the host's cells, ghosts included (as from
    ``locate_entities``): an interface facet owned here may have its host or
    electrolyte cell among the ghosts, and that cell must exist in its sub-mesh.
    The rest of the local cells form the electrolyte. The entity maps go to
    ``entity_maps=`` of every form that integrates over the parent mesh.
    """
    tdim = msh.topology.dim
    cmap = msh.topology.index_map(tdim)
    host_cells = np.asarray(host_cells, dtype=np.int32)
    others = np.setdiff1d(np.arange(cmap.size_local + cmap.num_ghosts, dtype=np.int32), host_cells)
    host, host_map = dmesh.create_submesh(msh, tdim, host_cells)[:2]
    elyte, elyte_map = dmesh.create_submesh(msh, tdim, others)[:2]
    return (host, host_map), (elyte, elyte_map)


def interface_measure(msh, host_cells, tag=1, metadata=None):
    """dS over Gamma with the host on '+' (see :func:`interface_entities`), as ``dS(tag)``."""
    data = [(tag, interface_entities(msh, host_cells).ravel())]
    return ufl.Measure("dS", domain=msh, subdomain_data=data, metadata=metadata or {})
