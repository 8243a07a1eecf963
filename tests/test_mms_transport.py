"""Manufactured solutions for concentrated-solution transport: the salt balance and the
electrolyte current with concentration-dependent kappa, D, t+ and thermodynamic factor, a
Butler-Volmer electrode with i0 ~ c^alpha_a, and the BDF time integrator.

The manufactured data are the same weak forms evaluated at the exact fields (c_e, phi_e
as UFL expressions, dc_e/dt exact): the discrete problem F(u_h; v) = F(u_e; v) for all v
has u_e as its continuous solution, so every term of every piece enters the error. Scales
are chosen so that each term (diffusion, migration i.grad(t+)/F, the diffusion potential
kappa_D grad ln c, the electrode's salt flux) is of the same order on the unit cube.
"""

from types import SimpleNamespace

import numpy as np
import pytest
import ufl
from dolfinx import fem

from femli.config import Solver
from femli.core.fields import Field
from femli.core.problem import CoupledProblem
from femli.core.time import BDF, StepControl, march
from femli.electrolytes import UFL
from femli.physics.electrode import BoundaryElectrode
from femli.physics.kinetics import Kinetics
from femli.physics.transport import ElectrolyteCurrent, ElectrolyteProperties, SaltTransport
from femli.solvers import petsc_options
from mms import ELECTRODE, OUTER, field_errors, rates, unit_cube

BV = Kinetics("butler_volmer", exchange_current_density=1e5, alpha_a=0.4, alpha_c=0.6, temperature=298.15)


class VaryingElectrolyte:
    """kappa ~ 4e6 S/m so that i/F ~ D grad c ~ 1 for c ~ 1 mol/m^3 on the unit cube."""

    def conductivity(self, c, T, xp):
        return 4e6 * (0.8 + 0.4 * c)

    def diffusivity(self, c, T, xp):
        return 1.0 + 0.5 * xp.exp(-c)

    def transference_number(self, c, T, xp):
        return 0.3 + 0.1 * c

    def thermodynamic_factor(self, c, T, xp):
        return 1.0 + 0.2 * c


class Exact:
    """An exact field where pieces expect a Field: its value ``u`` (UFL) and the real field's test function."""

    def __init__(self, u, test):
        self.u, self.test = u, test


class Source:
    """-F(u_e; v) for every field: the manufactured data."""

    linear = True

    def __init__(self, forms):
        self.forms = forms

    def residual(self):
        return {f: -form for f, form in self.forms.items()}


def pieces(c, phi, props, rate, dx, ds):
    scale = (props.positive(c.u) / 1.0) ** BV.alpha_a
    electrode = BoundaryElectrode("electrode", ELECTRODE, lambda msh: BV, phi, ds, ds, scale=scale)
    return [ElectrolyteCurrent(phi, c, props, dx), SaltTransport(c, phi, props, rate, dx, [electrode]), electrode]


def problem(msh, tags, degree, c_exact, phi_exact, rate_exact, bdf_steps: bool):
    """The transport pieces for the fields and for the exact solution; returns (c, phi, bdf, problem)."""
    vol = SimpleNamespace(mesh=msh, facet_tags=tags, name="electrolyte")
    c, phi = Field("concentration", vol, degree), Field("potential", vol, degree)
    x = ufl.SpatialCoordinate(msh)
    props = ElectrolyteProperties(VaryingElectrolyte(), 298.15, floor=1e-6, xp=UFL)
    q = {"quadrature_degree": 2 * degree + 4}
    dx = ufl.Measure("dx", domain=msh, metadata=q)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=tags, metadata=q)
    bdf = BDF([c, phi])
    rate = bdf.rate(c) if bdf_steps else fem.Constant(msh, 0.0)
    exact = {c: Exact(c_exact(x), c.test), phi: Exact(phi_exact(x), phi.test)}
    forms = {}
    for piece in pieces(exact[c], exact[phi], props, rate_exact(x), dx, ds):
        for f, form in piece.residual().items():
            real = c if f is exact[c] else phi
            forms[real] = forms.get(real, 0) + form
    c_e = fem.Function(c.space)
    c_e.interpolate(fem.Expression(c_exact(x), c.space.element.interpolation_points))
    outer = fem.dirichletbc(c_e, c.tagged_dofs(OUTER))  # c held on the outer faces, phi set by the electrode
    # atol: a predictor can start Newton at a residual whose 1e-11 is round-off (see transient_transport)
    opts = petsc_options(Solver(newton_rtol=1e-11, newton_atol=1e-9, krylov_rtol=1e-12), ("concentration", "potential"),
                         symmetric=False)
    c.u.interpolate(c_e)
    prob = CoupledProblem([c, phi], [*pieces(c, phi, props, rate, dx, ds), Source(forms)], [outer], opts, "mms_transport")
    return c, phi, bdf, prob, c_e


def c_space(x):
    return 1.0 + 0.3 * ufl.sin(np.pi * x[0]) * ufl.cos(np.pi * x[1]) * ufl.exp(-x[2])


def phi_space(x):
    return 0.03 * (1.0 + ufl.cos(np.pi * x[0]) * ufl.sin(np.pi * x[1]) * ufl.exp(-x[2]) + x[2] ** 2)


@pytest.mark.parametrize("degree, sizes", [(1, (4, 8, 16)), (2, (2, 4, 8))])
def test_spatial_rates(degree, sizes):
    """Steady state (dc/dt = 0): L2 rate degree + 1, H1 rate degree, for c and phi."""
    errors = {"c": [], "phi": []}
    for n in sizes:
        msh, tags, _ = unit_cube(n)
        c, phi, _, prob, _ = problem(msh, tags, degree, c_space, phi_space, lambda x: 0.0, bdf_steps=False)
        for bc in prob.bcs:
            bc.set(c.u.x.array)
        from femli.core.problem import SolveStats

        assert prob.newton(SolveStats(), 1.0) > 0
        prob.close()
        errors["c"].append(field_errors(c.u, c_space, degree))
        errors["phi"].append(field_errors(phi.u, phi_space, degree))
    for name, e in errors.items():
        l2, h1 = rates([a for a, _ in e]), rates([b for _, b in e])
        assert l2[-1] == pytest.approx(degree + 1, abs=0.2), f"{name} L2 rates {l2}"
        assert h1[-1] == pytest.approx(degree, abs=0.15), f"{name} H1 rates {h1}"


def time_run(control):
    """The time-only manufactured problem (quadratic fields in space: exact in P2) run to t = 0.4;
    returns the L2 errors of c and phi at the end and the number of accepted steps."""
    msh, tags, _ = unit_cube(2)
    t = fem.Constant(msh, 0.0)

    def c_time(x):
        return 1.0 + 0.3 * (x[0] ** 2 + x[1] * x[2]) * (1.0 + ufl.sin(3.0 * t))

    def dcdt(x):
        return 0.9 * (x[0] ** 2 + x[1] * x[2]) * ufl.cos(3.0 * t)

    def phi_time(x):
        return 0.03 * (1.0 + x[0] ** 2 - 0.5 * x[2]) * (1.0 + 0.5 * ufl.sin(2.0 * t))

    c, phi, bdf, prob, c_e = problem(msh, tags, 2, c_time, phi_time, dcdt, bdf_steps=True)
    x = ufl.SpatialCoordinate(msh)

    def set_time(time):
        t.value = time
        c_e.interpolate(fem.Expression(c_time(x), c.space.element.interpolation_points))

    set_time(0.0)
    phi.u.interpolate(fem.Expression(phi_time(x), phi.space.element.interpolation_points))
    out = march(prob, bdf, 0.0, 0.4, control, c, 1.0, set_time=set_time)
    prob.close()
    assert out.t == pytest.approx(0.4)
    return field_errors(c.u, c_time, 2)[0], field_errors(phi.u, phi_time, 2)[0], out.steps


def test_time_order():
    """The error at t = 0.4 is the time error alone; BDF2 (first step BDF1) cuts it 4x per
    halved step, for c and for phi."""
    e = np.array([time_run(StepControl(rtol=1e9, initial_step=dt, max_step=dt))[:2] for dt in (0.1, 0.05, 0.025)])
    for k, name in enumerate(("c", "phi")):
        r = rates(e[:, k])
        assert r[-1] == pytest.approx(2.0, abs=0.25), f"{name} time rates {r}, errors {e[:, k]}"


def test_adaptive_steps_follow_the_tolerance():
    """Error-per-step control of a second-order method: steps ~ rtol^(1/3), so 10x tighter rtol
    takes ~2.2x the steps and leaves ~4.6x (10^(2/3)) less error; a wrong error estimate
    (wrong order or constant) breaks both."""
    coarse, fine = (time_run(StepControl(rtol=rtol, initial_step=1e-3)) for rtol in (1e-4, 1e-5))
    assert 1.6 < fine[2] / coarse[2] < 3.2, (coarse, fine)
    assert 2.5 < coarse[0] / fine[0] < 10, (coarse, fine)
