"""Deposition history: what plating leaves on each electrode-surface facet.

Per facet, integrated over accepted time steps (explicitly: a step's kinetics see
the state at its start),

    q      <- q + j dt, or 0 below 1e-6 q_nuc     plated charge, C/m^2 (j > 0 plates)
    h      =  q V_m / F                            local Li thickness, m
    Li     <- q >= q_nuc,  or Li already and q > 0 nucleated: plates as Li metal

A facet nucleates once it holds the charge of a Li film ``nucleation_charge``
thick (default 1 nm, about 7.4 C/m^2: a few atomic layers); from then on its
kinetics is Li-on-Li (the ``li_kinetics`` preset, no nucleation barrier), and
it returns to its bare kinetics (with its barrier) only when stripping removes
all of its charge. Charge stripped beyond q = 0 is not taken from the bare
surface: q stays at zero and the excess is counted as ``overstripped``.

The deposit is a surface state, not a moving boundary: the electrolyte
keeps its shape. That holds while the local thickness is small against the
pores (femli flags runs where it exceeds a fraction of the pores' hydraulic
diameter 4 V_pore / A_host).
"""

import numpy as np
from dolfinx import fem, mesh as dmesh

from femli.physics.constants import FARADAY
from femli.physics.electrode import BoundaryElectrode

LI_MOLAR_VOLUME = 1.30e-5  # m^3/mol (DESIGN.md; 6.94 g/mol / 0.534 g/cm^3)


def electrode_facets(msh, facet_tags, tags):
    """The facets carrying ``tags`` as a surface mesh: (submesh, entity map, surface index per
    local submesh cell). Every electrode-surface field (currents, history) lives on it."""
    facets = np.concatenate([facet_tags.find(t) for t in tags]).astype(np.int32)
    order = np.argsort(facets)
    facets = facets[order]
    which = np.concatenate([np.full(len(facet_tags.find(t)), i, dtype=np.int32) for i, t in enumerate(tags)])[order]
    sub, emap, _, _ = dmesh.create_submesh(msh, msh.topology.dim - 1, facets)
    im = sub.topology.index_map(sub.topology.dim)
    cells = np.arange(im.size_local + im.num_ghosts, dtype=np.int32)
    parent = emap.sub_topology_to_topology(cells, inverse=False)
    return sub, emap, which[np.searchsorted(facets, parent)]


class SurfaceState:
    """q and the nucleation state per electrode facet (DG0 on the electrode surface mesh)."""

    def __init__(self, surface, nucleation_charge: float, molar_volume: float = LI_MOLAR_VOLUME):
        self.submesh, self.entity_map, self.cell_surface = surface
        self.W = fem.functionspace(self.submesh, ("DG", 0))
        self.charge = fem.Function(self.W, name="plated_charge")
        self.nucleated = fem.Function(self.W, name="nucleated")
        self.q_nuc, self.molar_volume = nucleation_charge, molar_volume

    def thickness(self, q):
        """Local Li thickness (m) of plated charge q (C/m^2)."""
        return q * self.molar_volume / FARADAY

    def advance(self, facet_current: np.ndarray, dt: float) -> np.ndarray:
        """Add one accepted step's facet-mean plating current (A/m^2, every local dof); returns the
        charge per facet that stripping asked for beyond q = 0 (C/m^2)."""
        q = self.charge.x.array + facet_current * dt
        excess = np.maximum(-q, 0.0)
        # plating and stripping the same charge leaves round-off (~1e-9 C/m^2), not Li
        q = np.where(q > 1e-6 * self.q_nuc, q, 0.0)
        n = self.nucleated.x.array
        self.nucleated.x.array[:] = np.where(q <= 0.0, 0.0, np.where(q >= self.q_nuc, 1.0, n))
        self.charge.x.array[:] = q
        return excess

    def state(self) -> dict:
        return {"charge": self.charge.x.array.copy(), "nucleated": self.nucleated.x.array.copy()}

    def load_state(self, state: dict):
        self.charge.x.array[:] = state["charge"]
        self.nucleated.x.array[:] = state["nucleated"]


class DepositingElectrode(BoundaryElectrode):
    """A boundary electrode whose facets switch to Li-on-Li kinetics where Li has nucleated:
    i_loc = (1 - n) i_bare(eta) + n i_Li(eta), each with its own i0 scale (c / c_bulk)^alpha_a."""

    def __init__(self, name, tag, kinetics, li_kinetics, field, ds, analysis_ds, state: SurfaceState, scale, li_scale):
        super().__init__(name, tag, kinetics, field, ds, analysis_ds, scale=scale)
        self.li_kinetics, self.state, self.li_scale = li_kinetics, state, li_scale

    def _current(self, kinetics):
        n = self.state.nucleated
        eta = self.overpotential()
        return (1 - n) * self.scale * kinetics.current(eta) + n * self.li_scale * self.li_kinetics.current(eta)

    def local_current(self):
        return self._current(self.kinetics_on(self.ds.ufl_domain()))

    def plating_current(self):
        return -self._current(self.kinetics())
