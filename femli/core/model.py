"""A model: fields on the volumes of a domain, the physics pieces acting on them and one
problem that solves them; and the questions analysis asks of any model.

Models (femli.models) are short functions that compose a :class:`Model`. Analysis
and output ask only what is here: the electrolyte volume and its potential, the
electrode pieces (each gives its plating current on the electrolyte's mesh), the
conduction pieces (their dissipation), the counter boundary and the drive. A new
model gets surface currents, hot spots, balances and the resistance split for free.
"""

from dataclasses import dataclass

import ufl
from dolfinx import fem
from mpi4py import MPI

from femli.core.flux import consistent_flux
from femli.core.problem import CoupledProblem


@dataclass
class Drive:
    """How the cell is driven: a current density into (galvanostatic) or a potential on (potentiostatic)
    the counter boundary of the electrolyte; ``value`` is a Constant the continuation scales."""

    galvanostatic: bool
    value: fem.Constant
    target: float
    counter_tag: int


class Model:
    def __init__(self, name, study, bundle, domain, fields, pieces, bcs, drive: Drive, options: dict, volumes=None):
        self.name, self.study, self.bundle, self.domain = name, study, bundle, domain
        self.volumes = volumes or {}  # the ion conductor's named volumes (phase metrics), name -> tag
        self.fields = {f.name: f for f in fields}
        self.pieces, self.bcs, self.drive = list(pieces), list(bcs), drive
        self.electrolyte = domain.volumes["electrolyte"]
        self.phi = self.fields["potential"].u
        self.electrodes = {p.name: p for p in self.pieces if hasattr(p, "plating_current")}
        self.conductors = [p for p in self.pieces if hasattr(p, "dissipation") and p not in self.electrodes.values()]
        self.problem = CoupledProblem(fields, self.pieces, self.bcs, options, name, domain.entity_maps)
        self.after_solve = []  # callbacks that refresh derived functions (traces) from the solution
        self._primary = [p.tag for p in self.electrodes.values() if p.is_primary]
        # the current on primary surfaces: a consistent flux in phi's space (femli.core.flux)
        self.primary_flux = fem.Function(self.fields["potential"].space, name="primary_flux") if self._primary else None

    # ---- solving ------------------------------------------------------------------------------
    def solve(self, out=None, checkpoints=None, resume=False):
        """Solve for the fields. ``out`` (the run's staging folder), ``checkpoints``
        (femli.core.checkpoint) and ``resume`` are for models that run over time."""
        drive = self.drive

        def set_load(s):
            drive.value.value = s * drive.target

        what = "the applied current" if drive.galvanostatic else "the applied voltage"
        stats = self.problem.solve(set_load, self.study.solver.continuation_steps, what=what)
        for refresh in self.after_solve:
            refresh()
        if self._primary:
            phi = self.fields["potential"]
            consistent_flux(self._residual(phi), phi, self._primary, self.primary_flux, self.domain.entity_maps)
        return stats

    def _residual(self, field):
        return self.problem.residual_forms[self.problem.fields.index(field)]

    # ---- what analysis asks -----------------------------------------------------------------
    def plating_current(self, name: str):
        """j on the electrolyte's mesh for surface ``name`` (A/m^2, > 0 = plating)."""
        piece = self.electrodes[name]
        return self.primary_flux if piece.is_primary else piece.plating_current()

    def surface_measure(self, name: str):
        piece = self.electrodes[name]
        return piece.analysis_ds(piece.tag)

    def counter_measure(self):
        return self.electrolyte.measure("ds")(self.drive.counter_tag)

    def integral(self, expr) -> float:
        return self.domain.mesh.comm.allreduce(
            fem.assemble_scalar(fem.form(expr, entity_maps=self.domain.entity_maps)), op=MPI.SUM)

    def reaction_total(self, field, dofs) -> float:
        """Current leaving ``field``'s volume through Dirichlet dofs: the residual tested with 1 there."""
        w = fem.Function(field.space)
        w.x.array[dofs] = 1.0
        return -self.integral(ufl.replace(self._residual(field), {field.test: w}))

    def applied_current(self) -> float:
        """Current entering through the counter boundary, A."""
        if self.drive.galvanostatic:
            return self.drive.target * self.integral(1.0 * self.counter_measure())
        phi = self.fields["potential"]
        return -self.reaction_total(phi, phi.tagged_dofs(self.drive.counter_tag))

    def power_split(self) -> dict:
        """Dissipation: ohmic (every conductor) and charge transfer (every kinetic surface), W.

        Their sum is the electrical power delivered at the counter boundary, so
        R_total = R_ohmic + R_charge_transfer holds for the discrete solution.
        """
        ohmic = sum(self.integral(p.dissipation()) for p in self.conductors)
        kinetic = sum(self.integral(p.dissipation()) for p in self.electrodes.values() if not p.is_primary)
        return {"ohmic": ohmic, "charge_transfer": kinetic}

    def dofs(self) -> int:
        return sum(f.dofs() for f in self.fields.values())

    @property
    def conductivity(self):
        """kappa of the electrolyte volume, on its own mesh (DG0)."""
        return self.fields["potential"].conductivity

    def fields_for_output(self) -> dict:
        """Fields for ParaView, by the mesh they live on: {mesh name: {name: Function}}."""
        from femli.physics.conduction import current_density

        # a field without an ohmic conductivity (salt transport: i depends on c too) takes its
        # conduction piece's law, which lives on the field's own mesh
        laws = {p.field: p.current_density() for p in self.pieces if hasattr(p, "current_density") and hasattr(p, "field")}
        out = {}
        for f in self.fields.values():
            msh = f.space.mesh
            group = {f.name: f.u}
            law = current_density(f.u, f.conductivity) if f.conductivity is not None else laws.get(f)
            if law is not None:
                W = fem.functionspace(msh, ("DG", 0, (msh.geometry.dim,)))
                i = fem.Function(W, name=f"{f.name}_current_density" if f.name != "potential" else "current_density")
                i.interpolate(fem.Expression(law, W.element.interpolation_points))
                group[i.name] = i
            if f.conductivity_varies:
                name = f"{f.name}_conductivity" if f.name != "potential" else "conductivity"
                group[name] = f.conductivity if isinstance(f.conductivity, fem.Function) else _cellwise(f.conductivity, msh, name)
            out[f.volume.name] = out.get(f.volume.name, {}) | group
        return out


def _cellwise(expr, msh, name: str) -> fem.Function:
    """A conductivity law (e.g. a height profile) as cell values, for ParaView."""
    W = fem.functionspace(msh, ("DG", 0))
    out = fem.Function(W, name=name)
    out.interpolate(fem.Expression(expr, W.element.interpolation_points))
    return out
