"""Time stepping: variable-step BDF2 on the core's Newton, with an error estimate and events.

The time derivative of a field enters the residual as a UFL expression,

    du/dt ~ a0 u + a1 u_n + a2 u_{n-1}          (variable-step BDF2, omega = h_n / h_{n-1}),
    a0 = (1 + 2 omega) / ((1 + omega) h),  a1 = -(1 + omega) / h,  a2 = omega^2 / ((1 + omega) h),

whose coefficients are Constants: the forms compile once, and each step only changes
numbers. After a restart (the first step, a protocol change: the forcing jumps, so
the history is not smooth) the first step is BDF1 (a2 = 0).

Error control (Milne's device). Before each step the history is extrapolated to
the new time by the quadratic through the last three accepted values (the
predictor, also Newton's initial guess). For u''' smooth both errors are known
multiples of u''':

    u_true - u_p =  h tau_n tau_p u''' / 6,                tau_n = h + h_{n-1}, tau_p = tau_n + h_{n-2}
    u_c - u_true =  h^2 tau_n (1 + omega) / (6 (1 + 2 omega)) u'''   (the BDF2 local error)

so the local error of the corrector is r |u_c - u_p| with r = e_c / (e_p + e_c)
(r = 2/11 for constant steps). The step is accepted when the largest such error
of the monitored field is below rtol x its scale, and the next step is sized by
the third-order rule h_new = h * 0.9 * (1/err)^(1/3), within [0.2 h, 2 h].

PETSc TS (TSBDF with TSAdapt and TSEvent) offers the same; this loop is kept on the
core's Newton because the core already owns what TS would need re-done: the
split constant/varying Jacobian, the fieldsplit index sets, the continuation and
the interrupt handling, and because checkpoints and events read the history
(u_n, u_{n-1}) that this module holds.
"""

from dataclasses import dataclass, field

import numpy as np
from dolfinx import fem
from mpi4py import MPI

from femli.errors import SolverError


class BDF:
    """Histories of ``fields`` and the BDF coefficients; ``rate(f)`` is du/dt of field ``f`` in UFL."""

    def __init__(self, fields):
        self.fields = list(fields)
        self.history = {f: [fem.Function(f.space) for _ in range(3)] for f in self.fields}  # u_n, u_n-1, u_n-2
        self.coefficients = {f: [fem.Constant(f.space.mesh, 0.0) for _ in range(3)] for f in self.fields}
        self.steps: list[float] = []  # accepted step sizes since the last restart, newest last
        self._predicted = {}

    def rate(self, f):
        (a0, a1, a2), (un, unm1, _) = self.coefficients[f], self.history[f]
        return a0 * f.u + a1 * un + a2 * unm1

    def restart(self):
        """The present values start a new history (order 1 for the next step)."""
        for f in self.fields:
            for h in self.history[f]:
                h.x.array[:] = f.u.x.array
        self.steps = []

    @property
    def order(self) -> int:
        return 1 if not self.steps else 2

    def set_step(self, dt: float):
        if not self.steps:
            a = (1.0 / dt, -1.0 / dt, 0.0)
        else:
            w = dt / self.steps[-1]
            a = ((1 + 2 * w) / ((1 + w) * dt), -(1 + w) / dt, w * w / ((1 + w) * dt))
        for f in self.fields:
            for c, v in zip(self.coefficients[f], a):
                c.value = v

    def predict(self, dt: float):
        """Extrapolate the history to t + dt into the fields (Newton's initial guess and the predictor)."""
        n = min(len(self.steps), 2) + 1  # points available: u_n, u_n-1, u_n-2
        # times of the history relative to t_n, newest first
        times = np.concatenate([[0.0], -np.cumsum(self.steps[::-1][: n - 1])])
        weights = _lagrange_weights(times, dt)
        for f in self.fields:
            f.u.x.array[:] = sum(w * h.x.array for w, h in zip(weights, self.history[f]))
            self._predicted[f] = f.u.x.array.copy()

    def local_error(self, f, dt: float, scale: float) -> float | None:
        """max |local error| / scale of field ``f`` for the step just solved; None while the
        history is too short for the estimate (the first two steps after a restart)."""
        if len(self.steps) < 2:
            return None
        h1, h2 = self.steps[-1], self.steps[-2]
        w = dt / h1
        tau_n, tau_p = dt + h1, dt + h1 + h2
        e_c = dt * dt * tau_n * (1 + w) / (1 + 2 * w)
        e_p = dt * tau_n * tau_p
        r = e_c / (e_p + e_c)
        owned = f.space.dofmap.index_map.size_local * f.space.dofmap.index_map_bs
        diff = np.abs(f.u.x.array[:owned] - self._predicted[f][:owned])
        local = float(diff.max()) if owned else 0.0
        return r * f.space.mesh.comm.allreduce(local, op=MPI.MAX) / scale

    def accept(self, dt: float):
        for f in self.fields:
            un, unm1, unm2 = self.history[f]
            unm2.x.array[:] = unm1.x.array
            unm1.x.array[:] = un.x.array
            un.x.array[:] = f.u.x.array
        self.steps = (self.steps + [dt])[-2:]

    def state(self) -> dict:
        """What a checkpoint needs to continue at full order."""
        return {"steps": list(self.steps),
                "history": {f.name: [h.x.array.copy() for h in self.history[f]] for f in self.fields}}

    def load_state(self, state: dict):
        self.steps = list(state["steps"])
        for f in self.fields:
            for h, values in zip(self.history[f], state["history"][f.name]):
                h.x.array[:] = values


def _lagrange_weights(times, t) -> np.ndarray:
    """Weights w_k with p(t) = sum w_k u_k for the polynomial through (times_k, u_k)."""
    times = np.asarray(times, dtype=float)
    w = np.ones(len(times))
    for k, tk in enumerate(times):
        for j, tj in enumerate(times):
            if j != k:
                w[k] *= (t - tj) / (tk - tj)
    return w


@dataclass
class Event:
    """Ends a stretch of time when ``indicator(t)`` (a float, equal on every rank, scaled to 1
    far from the event and 0 at it; ``t`` the time of the fields' present values) falls to
    ``tolerance`` or below; a step that would cross zero is shortened."""

    name: str
    indicator: object
    tolerance: float = 1e-3


@dataclass
class StepControl:
    rtol: float = 1e-3  # local error / scale accepted per step
    initial_step: float = 1e-3  # s, after every restart
    min_step: float = 1e-9  # s
    max_step: float = float("inf")
    max_steps: int = 100_000


@dataclass
class Stretch:
    """How one stretch of time ended: at its end time, or at an event (with the time at which
    the event's indicator extrapolates to zero)."""

    t: float
    steps: int = 0
    rejected: int = 0
    event: str | None = None
    event_time: float | None = None
    log: list = field(default_factory=list)  # (t, dt, newton its, krylov its) per accepted step


def march(problem, bdf: BDF, t0: float, t_end: float, control: StepControl, monitored, scale: float,
          events=(), set_time=None, on_step=None, stats=None, first_step: float | None = None) -> Stretch:
    """Advance ``problem`` from t0 to t_end (or to the first event) with adaptive BDF steps.

    ``monitored`` is the field whose local error controls the step (relative to ``scale``);
    ``set_time(t)`` updates time-dependent data before each solve; ``on_step(t, dt, next_dt)``
    runs after each accepted step (``next_dt``: the step the controller takes next). Newton failures shorten the step; a step below
    ``control.min_step`` raises SolverError, unless an event is close (its indicator below
    0.05), which then ends the stretch there: near Sand's time the surface
    concentration vanishes and Newton cannot follow it to zero, which is the event, not a failure.
    ``first_step``: continue the history in ``bdf`` with this step (a resumed run) instead of
    restarting it with ``control.initial_step``.
    """
    from femli.core.problem import SolveStats

    stats = stats if stats is not None else SolveStats()
    out = Stretch(t0)
    t, dt = t0, min(first_step or control.initial_step, t_end - t0, control.max_step)
    if first_step is None:
        bdf.restart()
    trace = {e.name: [(t, e.indicator(t))] for e in events}  # the last two accepted (t, g)

    def end_at(e):
        out.event, out.event_time = e.name, _root(trace[e.name])

    while t < t_end * (1 - 1e-12) and not out.event:
        if out.steps >= control.max_steps:
            raise SolverError(f"more than {control.max_steps} time steps before t = {t_end:.4g} s (time.max_steps)")
        dt = min(dt, t_end - t, control.max_step)
        bdf.set_step(dt)
        bdf.predict(dt)
        if set_time:
            set_time(t + dt)
        for bc in problem.bcs:
            bc.set(problem._field_of(bc).u.x.array)
        reason = problem.newton(stats, t + dt, strict=True)
        if reason <= 0:
            _back(bdf, out)
            dt /= 4
            if dt < control.min_step:
                near = [e for e in events if trace[e.name][-1][1] < 0.05]
                if near:
                    end_at(near[0])
                    break
                raise SolverError(
                    f"Newton did not converge at t = {t:.4g} s even with steps of {4 * dt:.3g} s "
                    f"(PETSc SNES reason {reason}); try solver.method = 'direct', a smaller time.rtol or a finer mesh")
            continue
        err = bdf.local_error(monitored, dt, scale)
        if err is not None and err > control.rtol:
            _back(bdf, out)
            dt *= max(0.2, 0.9 * (control.rtol / err) ** (1 / 3))
            continue
        g = {e.name: e.indicator(t + dt) for e in events}
        crossed = [e for e in events if g[e.name] < 0]
        if crossed:  # shorten the step to land just before the crossing
            _back(bdf, out)
            before = trace[crossed[0].name][-1][1]
            dt *= min(0.5, max(0.05, 0.9 * before / (before - g[crossed[0].name])))
            continue
        bdf.accept(dt)
        t += dt
        out.steps += 1
        out.log.append((t, dt, *stats.steps[-1][1:3]))
        for e in events:
            trace[e.name] = [trace[e.name][-1], (t, g[e.name])]
        following = dt * (2.0 if err is None else min(2.0, max(0.2, 0.9 * (control.rtol / max(err, 1e-300)) ** (1 / 3))))
        if on_step:
            on_step(t, dt, following)
        reached = [e for e in events if g[e.name] <= e.tolerance]
        if reached:
            end_at(reached[0])
            break
        dt = following
    out.t = t
    return out


def _back(bdf, out):
    """A rejected step: the fields go back to the last accepted values (the newest history)."""
    out.rejected += 1
    for f in bdf.fields:
        f.u.x.array[:] = bdf.history[f][0].x.array


def _root(points) -> float:
    """Where an indicator reaches zero, on the line through its last two accepted values."""
    (t0, g0), (t1, g1) = points[0], points[-1]
    if len(points) < 2 or t1 <= t0 or g1 >= g0:
        return t1
    return t1 + g1 * (t1 - t0) / (g0 - g1)
