"""Electrode surfaces as pieces of a model: where charge crosses from the electronic
conductor (phi_s) into the ion conductor (phi) with a kinetics law.

Each piece knows its surface (a named facet tag), its kinetics and the
overpotential eta = phi_s - phi - U with U = 0 for Li/Li+:

- :class:`BoundaryElectrode`: the electronic side is a perfect conductor at a
  fixed phi_s (0 by default): an exterior boundary of the electrolyte.
- :class:`InterfaceElectrode`: the electronic side is a field of its own (a
  meshed host); the surface is the interface between two volumes (dS).
- :class:`PrimaryElectrode`: infinitely fast kinetics, phi = phi_s held strongly.

For analysis, every piece gives the same things on the electrolyte's own mesh:
``overpotential()`` and ``plating_current()`` (j = -i_loc > 0 when Li plates),
so surface currents, balances and the dissipation need no model-specific code.
"""

from collections.abc import Callable

from dolfinx import fem

from femli.physics import conduction as ohm
from femli.physics import interface as gamma
from femli.physics.kinetics import Kinetics


class _Electrode:
    is_primary = False

    def __init__(self, name: str, tag: int, kinetics: Callable, analysis_ds):
        # kinetics(domain) -> Kinetics: a graded i0 is a function of that (UFL) domain's coordinates
        self.name, self.tag, self.kinetics_on = name, tag, kinetics
        self.analysis_ds = analysis_ds  # ds on the electrolyte's own mesh, with this piece's quadrature

    @property
    def linear(self) -> bool:
        kin = self.kinetics_on(None)
        return kin.model in ("linear", "primary") and kin.nucleation_overpotential == 0

    def kinetics(self) -> Kinetics:
        return self.kinetics_on(self.analysis_ds.ufl_domain())

    def plating_current(self):
        """j = -i_loc(eta) on the electrolyte's mesh (A/m^2, > 0 when Li plates)."""
        return -self.kinetics().current(self.overpotential())

    def dissipation(self):
        """int i_loc eta ds: the power spent on charge transfer at this surface (W)."""
        eta = self.overpotential()
        return self.kinetics().current(eta) * eta * self.analysis_ds(self.tag)


class BoundaryElectrode(_Electrode):
    """i.n = -i_loc(phi_s - phi) on a boundary of the electrolyte, phi_s fixed."""

    def __init__(self, name, tag, kinetics, field, ds, analysis_ds, phi_s=0.0, scale=1.0):
        super().__init__(name, tag, kinetics, analysis_ds)
        self.field, self.ds, self.phi_s = field, ds, phi_s
        self.scale = scale  # a factor on i_loc, e.g. (c / c_ref)^alpha_a for i0 of a varying salt concentration

    def local_current(self):
        """i_loc on the residual's mesh (A/m^2, anodic positive)."""
        return self.scale * self.kinetics_on(self.ds.ufl_domain()).current(self.overpotential())

    def residual(self) -> dict:
        return {self.field: ohm.electrode(self.local_current(), self.field.test, self.ds(self.tag))}

    def plating_current(self):
        return -self.scale * self.kinetics().current(self.overpotential())

    def dissipation(self):
        eta = self.overpotential()
        return -self.plating_current() * eta * self.analysis_ds(self.tag)

    def overpotential(self):
        return self.phi_s - self.field.u  # the same on the field's mesh or its parent


class InterfaceElectrode(_Electrode):
    """i_loc(phi_s - phi) leaves the host field and enters the electrolyte field across dS.

    ``host_trace`` is phi_s copied onto the electrolyte's mesh (refreshed after
    each solve by the model), so the analysis sees the same eta as the solve.
    """

    def __init__(self, name, tag, kinetics, host, electrolyte, dS, analysis_ds, host_trace):
        super().__init__(name, tag, kinetics, analysis_ds)
        self.host, self.electrolyte, self.dS, self.host_trace = host, electrolyte, dS, host_trace

    def residual(self) -> dict:
        msh = self.dS.ufl_domain()
        i_loc = self.kinetics_on(msh).current(gamma.overpotential(self.host.u, self.electrolyte.u))
        return {
            self.electrolyte: gamma.electrolyte_inflow(i_loc, self.electrolyte.test, self.dS(self.tag)),
            self.host: gamma.host_outflow(i_loc, self.host.test, self.dS(self.tag)),
        }

    def overpotential(self):
        return self.host_trace - self.electrolyte.u


class PrimaryElectrode(_Electrode):
    """eta = 0: phi = phi_s (0) held on the surface's dofs. Its current is the reaction of
    the residual there (femli.core.flux), not a kinetics expression."""

    is_primary = True
    linear = True

    def __init__(self, name, tag, kinetics, field, analysis_ds):
        super().__init__(name, tag, kinetics, analysis_ds)
        self.field = field

    def residual(self) -> dict:
        return {}

    def bcs(self) -> list:
        return [fem.dirichletbc(0.0, self.field.tagged_dofs(self.tag), self.field.space)]

    def overpotential(self):
        return 0.0 * self.field.u

    def dissipation(self):
        return None
