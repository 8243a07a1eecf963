"""Secondary current distribution in an ohmic ion conductor.

    div(kappa grad phi) = 0                  in every conducting volume (kappa per volume)
    -kappa grad(phi).n = -i_app              on the counter boundary (galvanostatic), or
    phi = V                                  on the counter boundary (potentiostatic)
    -kappa grad(phi).n = -i_loc(eta)         on each electrode surface, eta = phi_s - phi - U
    -kappa grad(phi).n = 0                   elsewhere (insulating walls, voids, mirror planes)

The electrode is a perfect conductor at phi_s = 0 and U = 0 (Li/Li+), so
eta = -phi. The same equations describe a liquid electrolyte (secondary current
distribution) and a single-ion solid electrolyte (c constant), with grains,
grain boundaries and interlayers as volumes of their own conductivity.
Primary surfaces (infinitely fast kinetics) hold phi = 0 strongly.
"""

import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem.petsc import NonlinearProblem

from femli.errors import ConfigError
from femli.geometry.base import is_electrode_surface
from femli.physics import conduction as ohm
from femli.physics.kinetics import Kinetics
from femli.solvers import petsc_options, solve_with_continuation, unique_prefix


class SecondaryCurrent:
    def __init__(self, study, mesh):
        self.study, self.bundle = study, mesh
        msh = mesh.mesh
        self.V = fem.functionspace(msh, ("Lagrange", study.model.degree))
        self.phi = fem.Function(self.V, name="potential")
        self.v = ufl.TestFunction(self.V)
        self.ds = ufl.Measure("ds", domain=msh, subdomain_data=mesh.facet_tags)
        self.dx = ufl.Measure("dx", domain=msh, subdomain_data=mesh.cell_tags)
        self.kappa = self._conductivity()
        self.counter_tag = mesh.tag(study.operating.counter)
        self.electrodes = self._electrodes()
        self.galvanostatic = study.operating.mode == "galvanostatic"
        self.drive = fem.Constant(msh, study.operating.current_density if self.galvanostatic else study.operating.voltage)

        F = ohm.conduction(self.phi, self.v, self.kappa, self.dx)
        bcs = []
        if self.galvanostatic:
            F += ohm.inflow(self.drive, self.v, self.ds(self.counter_tag))
        else:
            bcs.append(fem.dirichletbc(self.drive, self._boundary_dofs(self.counter_tag), self.V))
        for tag, kin in self.electrodes.values():
            if kin.is_primary:
                bcs.append(fem.dirichletbc(0.0, self._boundary_dofs(tag), self.V))
            else:
                F += ohm.electrode(kin.current(self.overpotential()), self.v, self.ds(tag))
        self.F, self.bcs = F, bcs

    def _boundary_dofs(self, tag):
        return fem.locate_dofs_topological(self.V, 2, self.bundle.facet_tags.find(tag))

    def _conductivity(self):
        """kappa per named volume: a constant for one volume, else a cellwise (DG0) field."""
        study, bundle = self.study, self.bundle
        volumes = {n: tag for n, (d, tag) in bundle.names.items() if d == 3}
        unknown = sorted(set(study.phases) - set(volumes))
        if unknown:
            raise ConfigError(f"phases: {unknown} are not volumes of this geometry; its volumes are {sorted(volumes)}")
        values = {}
        for name in volumes:
            if name == "electrolyte":
                values[name] = study.electrolyte.conductivity
            elif name in study.phases:
                values[name] = study.phases[name].conductivity
            else:
                raise ConfigError(f"the geometry has a volume {name!r} without a conductivity: add [phases.{name}]")
        self.volumes = volumes
        if len(values) == 1:
            return fem.Constant(self.bundle.mesh, next(iter(values.values())))
        kappa = fem.Function(fem.functionspace(self.bundle.mesh, ("DG", 0)), name="conductivity")
        for name, tag in volumes.items():
            kappa.x.array[self.bundle.cell_tags.find(tag)] = values[name]
        kappa.x.scatter_forward()
        return kappa

    def _electrodes(self) -> dict[str, tuple[int, Kinetics]]:
        names = self.bundle.names
        missing = [n for n in names if names[n][0] == 2 and is_electrode_surface(n) and n not in self.study.kinetics]
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
            i0 = k.exchange_current_density * self.height_profile(k.exchange_current_profile, self.bundle.mesh)
            electrodes[name] = (tag, Kinetics(k.model, i0, k.alpha_a, k.alpha_c, T,
                                              k.film_resistance, k.nucleation_overpotential, k.nucleation_width))
        if not electrodes:
            raise ConfigError(
                f"kinetics: none of {list(self.study.kinetics)} is an electrode surface of this geometry "
                f"(or all are 'insulating'); its surfaces are {sorted(n for n, (d, _) in names.items() if d == 2)}"
            )
        return electrodes

    def height_profile(self, points, msh):
        """Piecewise-linear factor over the height fraction of the host (1 without points), on ``msh``."""
        if not points:
            return 1.0
        z = (ufl.SpatialCoordinate(msh)[2] - self.bundle.info.z_collector) / self.study.geometry.host_top
        factor = points[-1][1]  # above the last point
        for (z0, f0), (z1, f1) in reversed(list(zip(points, points[1:]))):
            factor = ufl.conditional(ufl.lt(z, z1), f0 + (f1 - f0) * (z - z0) / (z1 - z0), factor)
        return ufl.conditional(ufl.lt(z, points[0][0]), points[0][1], factor)

    def overpotential(self):
        """eta = phi_s - phi - U with phi_s = 0 and U = 0."""
        return -self.phi

    def plating_current(self, name: str):
        """Local plating current density j = -i_loc (> 0 when Li plates), A/m^2, as UFL.

        On primary surfaces it is the normal current of the adjacent cell; their
        totals come from :meth:`boundary_current`, which is exact.
        """
        _, kin = self.electrodes[name]
        if kin.is_primary:
            n = ufl.FacetNormal(self.bundle.mesh)
            return ufl.dot(ohm.current_density(self.phi, self.kappa), n)
        return -kin.current(self.overpotential())

    def boundary_current(self, tag: int) -> float:
        """Current leaving the domain through a Dirichlet boundary, from the weak residual.

        Testing the residual with w = 1 on that boundary's dofs (0 elsewhere) gives
        the boundary's total normal current consistently with the discrete
        solution, so the charge balance closes to solver tolerance.
        """
        w = fem.Function(self.V)
        w.x.array[self._boundary_dofs(tag)] = 1.0
        local = fem.assemble_scalar(fem.form(ufl.replace(self.F, {self.v: w})))
        return -self.V.mesh.comm.allreduce(local)

    def applied_current(self) -> float:
        """Current entering through the counter boundary, A."""
        if self.galvanostatic:
            area = self.V.mesh.comm.allreduce(fem.assemble_scalar(fem.form(1.0 * self.ds(self.counter_tag))))
            return self.study.operating.current_density * area
        return -self.boundary_current(self.counter_tag)

    def power_split(self) -> dict:
        """Dissipation: ohmic int kappa |grad phi|^2 and interfacial sum int i_loc eta (W).

        Their sum is the electrical power delivered at the counter boundary, so
        R_total = R_ohmic + R_charge_transfer holds exactly for the discrete solution.
        """
        comm = self.V.mesh.comm
        ohmic = fem.assemble_scalar(fem.form(ufl.inner(self.kappa * ufl.grad(self.phi), ufl.grad(self.phi)) * self.dx))
        kinetic = sum(
            fem.assemble_scalar(fem.form(kin.current(self.overpotential()) * self.overpotential() * self.ds(tag)))
            for tag, kin in self.electrodes.values()
            if not kin.is_primary
        )
        return {"ohmic": comm.allreduce(ohmic), "charge_transfer": comm.allreduce(kinetic)}

    @property
    def is_linear(self) -> bool:
        """Linear kinetics everywhere: one Krylov solve is the whole answer."""
        return all(
            kin.model in ("linear", "primary") and kin.nucleation_overpotential == 0 for _, kin in self.electrodes.values()
        )

    def solve(self):
        opts = petsc_options(self.study.solver)
        if self.is_linear:
            # a second Newton step would only re-assemble and re-set-up GAMG to confirm convergence
            opts = {"snes_type": "ksponly"} | {k: v for k, v in opts.items() if not k.startswith(("snes_type", "snes_linesearch"))}
            opts |= dict(self.study.solver.petsc_options)  # the user's word stays final
        problem = NonlinearProblem(self.F, self.phi, bcs=self.bcs, petsc_options_prefix=unique_prefix("secondary"), petsc_options=opts)
        target = float(self.drive.value)

        def set_load(s):
            self.drive.value = s * target
            # start each Newton solve on its Dirichlet values: the residual then holds
            # currents only (no volts), so newton_rtol measures the charge balance
            for bc in self.bcs:
                bc.set(self.phi.x.array)

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
        out = {"potential": self.phi, "current_density": i}
        if isinstance(self.kappa, fem.Function):
            out["conductivity"] = self.kappa
        return out
