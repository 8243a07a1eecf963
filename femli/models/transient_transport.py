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
from femli.core.checkpoint import dof_fingerprint
from femli.errors import FemliError
from femli.models import _parts
from femli.physics.conduction import Inflow
from femli import materials
from femli.physics.deposition import DepositingElectrode, SurfaceState, electrode_facets
from femli.physics.kinetics import Kinetics
from femli.progress import RunProgress
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
    # Property correlations (polynomials and exponentials in c) make UFL's quadrature estimate
    # grow with every factor (degree 30+, a kernel per cell that takes minutes): integrate at
    # the degree the P_k products need, exact for constant properties; the MMS rates hold with it.
    quadrature = {"quadrature_degree": 2 * study.model.degree + 2}
    ds = ufl.Measure("ds", domain=bundle.mesh, subdomain_data=bundle.facet_tags, metadata=quadrature)
    dx = domain.dx(metadata=quadrature)
    surfaces = _parts.electrode_kinetics(study, bundle)
    dep = study.deposition
    state = SurfaceState(electrode_facets(bundle.mesh, bundle.facet_tags, [tag for tag, _ in surfaces.values()]),
                         dep.nucleation_charge, dep.molar_volume)
    domain.entity_maps.append(state.entity_map)  # the kinetics read the facets' nucleation state
    li = materials.preset("kinetics", dep.li_kinetics)
    li_law = Kinetics("butler_volmer", li["exchange_current_density"], li["alpha_a"], li["alpha_c"], op.temperature)

    def i0_scale(alpha):  # i0 = i0_ref (c / c_bulk)^alpha_a
        return (props.positive(c.u) / c_bulk) ** alpha

    electrodes = []
    for name, (tag, kinetics) in surfaces.items():
        law = kinetics(None)  # primary kinetics is refused at load (femli.config)
        electrodes.append(DepositingElectrode(name, tag, kinetics, li_law, phi, ds, ds, state,
                                              i0_scale(law.alpha_a), i0_scale(li_law.alpha_a)))
    counter = bundle.tag(op.counter)
    i_app = fem.Constant(bundle.mesh, 0.0)
    lithium_counter = op.counter_salt == "lithium"
    salt = SaltTransport(c, phi, props, bdf.rate(c), dx, electrodes,
                         counter=(i_app, ds(counter)) if lithium_counter else None)
    bulk = [] if lithium_counter else [fem.dirichletbc(c_bulk, c.tagged_dofs(counter), c.space)]
    pieces = [ElectrolyteCurrent(phi, c, props, dx), salt, *electrodes]
    options = petsc_options(study.solver, FIELDS, symmetric=False)
    if study.solver.newton_atol == 0:
        # The predictor starts Newton close to the answer, often at a residual far below the
        # run's currents: a tolerance relative to that start would ask for round-off. Judge by
        # the run's current scale instead (both residuals are in amperes).
        area = electrolyte.mesh.comm.allreduce(fem.assemble_scalar(fem.form(1.0 * ds(counter))), op=MPI.SUM)
        options["snes_atol"] = study.solver.newton_rtol * area * _current_scale(study, bundle)
    return TransientModel(study, bundle, domain, [c, phi], pieces, Inflow(phi, i_app, ds(counter)), bulk,
                          Drive(True, i_app, 0.0, counter), options, bdf, state)


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

    def __init__(self, study, bundle, domain, fields, pieces, inflow, bulk_bcs, drive, options, bdf, surface_state):
        self.bdf, self.surface_state, self._options = bdf, surface_state, options
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

    def solve(self, out=None, checkpoints=None, resume=False) -> SolveStats:
        """Run the protocol; ``out`` (the run's staging folder) receives the field time series;
        ``checkpoints`` are written every ``time.checkpoint_interval`` of wall time, and with
        ``resume`` the run continues from the last one."""
        study, c_bulk = self.study, self.study.electrolyte.concentration
        tc = study.time
        control = StepControl(tc.rtol, tc.initial_step, tc.min_step, tc.max_step or float("inf"), tc.max_steps)
        stats = SolveStats()
        self.record = record = TransientRecord(self, out)
        self._checkpoints = checkpoints
        plan = [(k, i, s) for k in range(tc.cycles) for i, s in enumerate(study.protocol)]
        self._position, t, first, step_start = 0, 0.0, None, 0.0
        saved = checkpoints.load() if checkpoints is not None and resume else None
        self._progress = progress = RunProgress(self.domain.mesh.comm, sum(s.end_time() for _, _, s in plan))
        if saved is not None:
            moved = saved["dofs"] != dof_fingerprint(self.concentration.space)
            if self.domain.mesh.comm.allreduce(moved, op=MPI.LOR):
                raise FemliError("--resume: the mesh was partitioned differently from the checkpointed run; "
                                 "run without --resume to start again")
            self._restore(saved)
            self._position, t, first, step_start = saved["position"], saved["t"], saved["dt"], saved["step_start"]
            record.resumed_at = t
        try:
            while self._position < len(plan):
                cycle, index, step = plan[self._position]
                problem = self._use(step.mode)
                self.drive.value.value = self.drive.target = \
                    {"galvanostatic": step.current_density, "potentiostatic": step.voltage}.get(step.mode, 0.0)
                if first is None:
                    step_start = t
                    record.begin_step(index, cycle, step, t)
                self._step_start = step_start
                stretch = march(problem, self.bdf, t, step_start + step.end_time(), control, self.concentration, c_bulk,
                                self._events(step, record), on_step=self._accepted, stats=stats, first_step=first)
                progress.stage(self._position + 1, len(plan), step.mode, step_start, stretch.t, stretch.steps, stretch.event)
                t, first = stretch.t, None
                record.end_step(stretch)
                self._position += 1
                if stretch.event in ("sand", "counter_depletion") and tc.on_sand == "stop":
                    break
        finally:
            progress.close()
            for problem in self._problems.values():
                problem.close()
            record.close()
        if checkpoints is not None:
            checkpoints.clear()
        stats.converged = True
        for refresh in self.after_solve:
            refresh()
        return stats

    def _state(self, t, dt) -> dict:
        return {"position": self._position, "t": t, "dt": dt, "step_start": self._step_start,
                "dofs": dof_fingerprint(self.concentration.space),
                "fields": {n: f.u.x.array.copy() for n, f in self.fields.items()},
                "bdf": self.bdf.state(), "surface": self.surface_state.state(), "record": self.record.state()}

    def _restore(self, saved):
        for n, f in self.fields.items():
            f.u.x.array[:] = saved["fields"][n]
        self.bdf.load_state(saved["bdf"])
        self.surface_state.load_state(saved["surface"])
        self.record.load_state(saved["record"])

    def _accepted(self, t, dt, next_dt):
        """After each accepted step: the record samples the currents of the state the step was
        solved with, then the facets' history moves on and the record notes the deposit."""
        record = self.record
        self._progress.step(t, next_dt)
        record.surface.update()
        record.sample(t, dt)
        owned = record.surface.W.dofmap.index_map.size_local
        excess = self.surface_state.advance(record.surface.current.x.array, dt)
        record.sample_deposit(float(excess[:owned] @ record.surface.area))
        if self._checkpoints is not None and self._checkpoints.due():
            self._checkpoints.save(self._state(t, next_dt))

    def _events(self, step, record):
        out = []
        if step.mode == "galvanostatic" and step.current_density > 0:
            out.append(Event("sand", record.depletion, self.study.time.sand_tolerance))
        lithium = self.study.operating.counter_salt == "lithium"
        if step.mode == "galvanostatic" and step.current_density < 0 and lithium:
            out.append(Event("counter_depletion", record.counter_depletion, self.study.time.sand_tolerance))
        if step.voltage_limit is not None:
            out.append(Event("voltage_limit", lambda t: 1.0 - abs(record.cell_voltage()) / step.voltage_limit))
        if step.capacity is not None and step.mode == "potentiostatic":
            out.append(Event("capacity", lambda t: 1.0 - record.step_charge(t) / step.capacity))
        return out

    def current_scale(self) -> float:
        """The largest |applied current| of the run (A): the charge balance at a rest is judged against it."""
        return self.record.current_scale if self.record else abs(self.applied_current())
