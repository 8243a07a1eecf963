"""Secondary current distribution in an ohmic electrolyte.

    div(kappa grad phi) = 0                       in the electrolyte
    -kappa grad(phi).n = -i_app                   on the counter boundary (galvanostatic)
    -kappa grad(phi).n = -i_loc(eta)              on each electrode surface, eta = phi_s - phi - U
    -kappa grad(phi).n = 0                        elsewhere (insulating, mirror planes)

The host is a perfect conductor at phi_s = 0 and U = 0 (Li/Li+), so eta = -phi.
Conservation makes the plated current equal the applied one without a global
unknown. Primary surfaces (infinitely fast kinetics) hold phi = 0 strongly.
"""

import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem.petsc import NonlinearProblem

from femli.errors import ConfigError
from femli.geometry.base import ELECTRODE_SURFACES
from femli.physics import conduction as ohm
from femli.physics.kinetics import Kinetics
from femli.solvers import petsc_options, solve_with_continuation, unique_prefix


class SecondaryCurrent:
    def __init__(self, study, mesh):
        self.study, self.bundle = study, mesh
        msh = mesh.mesh
        self.V = fem.functionspace(msh, ("Lagrange", study.model.degree))
        self.phi = fem.Function(self.V, name="potential")
        v = ufl.TestFunction(self.V)
        self.ds = ufl.Measure("ds", domain=msh, subdomain_data=mesh.facet_tags)
        dx = ufl.Measure("dx", domain=msh)

        self.kappa = fem.Constant(msh, study.electrolyte.conductivity)
        self.i_app = fem.Constant(msh, study.operating.current_density)
        self.counter_tag = mesh.tag(study.operating.counter)
        self.electrodes = self._electrodes()

        F = ohm.conduction(self.phi, v, self.kappa, dx) + ohm.inflow(self.i_app, v, self.ds(self.counter_tag))
        bcs = []
        for name, (tag, kin) in self.electrodes.items():
            if kin.is_primary:
                dofs = fem.locate_dofs_topological(self.V, 2, mesh.facet_tags.find(tag))
                bcs.append(fem.dirichletbc(0.0, dofs, self.V))
            else:
                F += ohm.electrode(kin.current(self.overpotential()), v, self.ds(tag))
        self.F, self.bcs = F, bcs

    def _electrodes(self) -> dict[str, tuple[int, Kinetics]]:
        names = self.bundle.names
        missing = [n for n in ELECTRODE_SURFACES if n in names and n not in self.study.kinetics]
        if missing:
            raise ConfigError(
                f"the geometry has electrode surface(s) {missing} without kinetics: add [kinetics.{missing[0]}] "
                "(model = 'insulating' if it should carry no current)"
            )
        T = self.study.operating.temperature
        electrodes = {}
        for name, k in self.study.kinetics.items():
            # e.g. host_coated when the coating fraction is 0: nothing to plate on, not an error
            if k.model == "insulating" or name not in names:
                continue
            tag = self.bundle.tag(name)
            electrodes[name] = (tag, Kinetics(k.model, k.exchange_current_density, k.alpha_a, k.alpha_c, T, k.film_resistance))
        if not electrodes:
            raise ConfigError(
                f"kinetics: none of {list(self.study.kinetics)} is an electrode surface of this geometry "
                f"(or all are 'insulating'); its surfaces are {sorted(n for n, (d, _) in names.items() if d == 2)}"
            )
        return electrodes

    def overpotential(self):
        """eta = phi_s - phi - U with phi_s = 0 and U = 0."""
        return -self.phi

    def plating_current(self, name: str):
        """Local plating current density j = -i_loc (> 0 when Li plates), A/m^2, as UFL."""
        _, kin = self.electrodes[name]
        if kin.is_primary:
            n = ufl.FacetNormal(self.bundle.mesh)
            return ufl.dot(ohm.current_density(self.phi, self.kappa), n)
        return -kin.current(self.overpotential())

    def solve(self):
        opts = petsc_options(self.study.solver)
        problem = NonlinearProblem(self.F, self.phi, bcs=self.bcs, petsc_options_prefix=unique_prefix("secondary"), petsc_options=opts)
        target = self.study.operating.current_density

        def set_load(s):
            self.i_app.value = s * target

        stats = solve_with_continuation(problem, self.phi, set_load, self.study.solver.continuation_steps)
        self.problem = problem
        return stats

    def dofs(self) -> int:
        im = self.V.dofmap.index_map
        return im.size_global * self.V.dofmap.index_map_bs

    def fields(self) -> dict:
        """Volume fields for ParaView, besides the potential itself."""
        msh = self.bundle.mesh
        W = fem.functionspace(msh, ("DG", 0, (msh.geometry.dim,)))
        i = fem.Function(W, name="current_density")
        i.interpolate(fem.Expression(ohm.current_density(self.phi, self.kappa), W.element.interpolation_points))
        return {"potential": self.phi, "current_density": i}
