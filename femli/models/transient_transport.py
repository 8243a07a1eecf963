"""Transient salt transport in a binary liquid electrolyte, driven by a protocol of steps.

    dc/dt = div(D grad c) - i.grad(t+)/F,   div i = 0,   i = -kappa grad phi + kappa_D grad ln c
    i.n = -i_loc(eta),  eta = -phi,  i0 = i0_ref (c/c_bulk)^alpha_a      on each electrode surface
    -D grad(c).n = -(1 - t+) i_loc / F                                     on each electrode surface
    galvanostatic: i.n = -i_app on the counter;  potentiostatic: phi = V there;  rest: i_app = 0
    counter_salt = "bulk": c = c_bulk on the counter;  "lithium": -D grad(c).n = -(1 - t+) i_app / F

(femli.physics.transport has the weak forms.) The electrodes are perfect
conductors at phi_s = 0 (U = 0, Li/Li+), as in the secondary-current model; c
starts uniform at the bulk value and phi from the steady ohmic solution of the
first step. Time stepping is femli.core.time's adaptive BDF2; each protocol
step restarts it (the forcing jumps there).
"""

import ufl
from dolfinx import fem
from mpi4py import MPI

from femli.analysis.transient import TransientRecord
from femli.core.domains import Domain
from femli.core.fields import Field
from femli.core.model import Drive, Model
from femli.core.problem import CoupledProblem, SolveStats
from femli.core.time import BDF, Event, StepControl, march
from femli.errors import ConfigError
from femli.models import _parts
from femli.physics.conduction import Inflow
from femli.physics.electrode import BoundaryElectrode
from femli.physics.transport import ElectrolyteCurrent, ElectrolyteProperties, SaltTransport
from femli.solvers import petsc_options

FIELDS = ("concentration", "potential")


def transient_transport(study, bundle) -> "TransientModel":
    domain = Domain(bundle)
    electrolyte = domain.volumes["electrolyte"]
    e, op = study.electrolyte, study.operating
    c_bulk = e.concentration
    props = ElectrolyteProperties(study.transport_properties(), op.temperature, floor=1e-9 * c_bulk)
    c = Field("concentration", electrolyte, study.model.degree)
    phi = Field("potential", electrolyte, study.model.degree)
    c.u.x.array[:] = c_bulk
    bdf = BDF([c, phi])
    ds = ufl.Measure("ds", domain=bundle.mesh, subdomain_data=bundle.facet_tags)
    electrodes = []
    for name, (tag, kinetics) in _parts.electrode_kinetics(study, bundle).items():
        law = kinetics(None)
        if law.is_primary:
            raise ConfigError(f"kinetics.{name}: primary (infinitely fast) kinetics with transient transport is not "
                              "supported; give butler_volmer or linear kinetics")
        scale = (props.positive(c.u) / c_bulk) ** law.alpha_a  # i0 = i0_ref (c / c_bulk)^alpha_a
        electrodes.append(BoundaryElectrode(name, tag, kinetics, phi, ds, ds, scale=scale))
    counter = bundle.tag(op.counter)
    i_app = fem.Constant(bundle.mesh, 0.0)
    lithium_counter = op.counter_salt == "lithium"
    salt = SaltTransport(c, phi, props, bdf.rate(c), domain.dx, electrodes,
                         counter=(i_app, ds(counter)) if lithium_counter else None)
    bulk = [] if lithium_counter else [fem.dirichletbc(c_bulk, c.tagged_dofs(counter), c.space)]
    pieces = [ElectrolyteCurrent(phi, c, props, domain.dx), salt, *electrodes]
    options = petsc_options(study.solver, FIELDS, symmetric=False)
    if study.solver.newton_atol == 0:
        # The predictor starts Newton close to the answer, often at a residual far below the
        # run's currents: a tolerance relative to that start would ask for round-off. Judge by
        # the run's current scale instead (both residuals are in amperes).
        area = electrolyte.mesh.comm.allreduce(fem.assemble_scalar(fem.form(1.0 * ds(counter))), op=MPI.SUM)
        options["snes_atol"] = study.solver.newton_rtol * area * _current_scale(study, bundle)
    return TransientModel(study, bundle, domain, [c, phi], pieces, Inflow(phi, i_app, ds(counter)), bulk,
                          Drive(True, i_app, 0.0, counter), options, bdf, props)


def _current_scale(study, bundle) -> float:
    """A current density typical of the protocol (A/m^2): the largest applied one, or the ohmic
    current of the largest applied voltage across the cell."""
    gap = bundle.info.z_separator - bundle.info.z_collector
    scales = [abs(s.current_density) for s in study.protocol if s.mode == "galvanostatic"]
    kappa = study.electrolyte.conductivity
    scales += [abs(s.voltage) * kappa / gap for s in study.protocol if s.mode == "potentiostatic"]
    return max(scales, default=1.0)


class TransientModel(Model):
    """A Model whose solve runs the study's protocol; ``record`` holds what happened over time."""

    transient = True

    def __init__(self, study, bundle, domain, fields, pieces, inflow, bulk_bcs, drive, options, bdf, props):
        self.bdf, self.props, self._options = bdf, props, options
        self._inflow, self._bulk_bcs = inflow, bulk_bcs
        super().__init__("transient", study, bundle, domain, fields, [*pieces, inflow], bulk_bcs, drive, options)
        self.concentration = self.fields["concentration"]
        self._problems = {"galvanostatic": self.problem}
        self._drives = {"galvanostatic": drive}
        self.record = None

    def _use(self, mode: str):
        """The problem and drive of a protocol step's mode (a rest is a galvanostatic step at zero current)."""
        mode = "galvanostatic" if mode == "rest" else mode
        if mode not in self._problems:  # potentiostatic: phi held on the counter, no inflow piece
            phi, tag = self.fields["potential"], self.drive.counter_tag
            value = fem.Constant(self.domain.mesh, 0.0)
            bcs = [*self._bulk_bcs, fem.dirichletbc(value, phi.tagged_dofs(tag), phi.space)]
            pieces = [p for p in self.pieces if p is not self._inflow]
            self._problems[mode] = CoupledProblem(list(self.fields.values()), pieces, bcs, self._options,
                                                  "transient_potentiostatic", self.domain.entity_maps)
            self._drives[mode] = Drive(False, value, 0.0, tag)
        self.problem, self.drive = self._problems[mode], self._drives[mode]
        self.bcs = self.problem.bcs
        return self.problem

    def solve(self, out=None) -> SolveStats:
        """Run the protocol; ``out`` (the run's staging folder) receives the field time series."""
        study, c_bulk = self.study, self.study.electrolyte.concentration
        tc = study.time
        control = StepControl(tc.rtol, tc.initial_step, tc.min_step, tc.max_step or float("inf"), tc.max_steps)
        stats = SolveStats()
        self.record = record = TransientRecord(self, out)
        t = 0.0
        try:
            for cycle, index, step in ((k, i, s) for k in range(tc.cycles) for i, s in enumerate(study.protocol)):
                problem = self._use(step.mode)
                self.drive.value.value = self.drive.target = \
                    {"galvanostatic": step.current_density, "potentiostatic": step.voltage}.get(step.mode, 0.0)
                record.begin_step(index, cycle, step, t)
                stretch = march(problem, self.bdf, t, t + step.end_time(), control, self.concentration, c_bulk,
                                self._events(step, record), on_step=record.sample, stats=stats)
                t = stretch.t
                record.end_step(stretch)
                if stretch.event == "sand" and tc.on_sand == "stop":
                    break
        finally:
            for problem in self._problems.values():
                problem.close()
            record.close()
        stats.converged = True
        for refresh in self.after_solve:
            refresh()
        return stats

    def _events(self, step, record):
        out = []
        if step.mode == "galvanostatic" and step.current_density > 0:
            out.append(Event("sand", record.depletion, self.study.time.sand_tolerance))
        if step.voltage_limit is not None:
            out.append(Event("voltage_limit", lambda t: 1.0 - abs(record.cell_voltage()) / step.voltage_limit))
        if step.capacity is not None and step.mode == "potentiostatic":
            out.append(Event("capacity", lambda t: 1.0 - record.step_charge(t) / step.capacity))
        return out

    def current_scale(self) -> float:
        """The largest |applied current| of the run (A): the charge balance at a rest is judged against it."""
        return self.record.current_scale if self.record else abs(self.applied_current())
