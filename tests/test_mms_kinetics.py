"""Method of manufactured solutions for the potential problem with a nonlinear
Butler-Volmer boundary, built from the same physics pieces and solver options
as the secondary-current model.

Exact solution phi_e (tens of mV, so the exponential kinetics are strongly
nonlinear) on the unit cube; the source, the side/top fluxes and a boundary
residual are derived from phi_e so that phi_e solves the discrete problem's
continuous counterpart exactly. Observed rates must match P1 (L2 2, H1 1) and
P2 (L2 3, H1 2).
"""

import numpy as np
import pytest
import ufl
from dolfinx import fem, mesh
from dolfinx.fem.petsc import NonlinearProblem
from mpi4py import MPI

from femli.config import Solver
from femli.physics import conduction as ohm
from femli.physics.kinetics import Kinetics
from femli.solvers import petsc_options, unique_prefix

KAPPA = 0.7  # S/m
ELECTRODE, OUTER = 1, 2


def exact(x):
    return 0.03 * (1.0 + ufl.sin(np.pi * x[0]) * ufl.cos(np.pi * x[1]) * ufl.exp(-x[2]) + x[2] ** 2)


def solve_mms(n: int, degree: int, kinetics: Kinetics, solve_with: Kinetics | None = None, method="iterative", comm=MPI.COMM_WORLD):
    """Manufacture data with ``kinetics``; solve with ``solve_with`` (default: the same)."""
    msh = mesh.create_unit_cube(comm, n, n, n)
    msh.topology.create_connectivity(2, 3)
    bottom = mesh.locate_entities_boundary(msh, 2, lambda x: np.isclose(x[2], 0.0))
    everything = mesh.exterior_facet_indices(msh.topology)
    others = np.setdiff1d(everything, bottom)
    facets = np.concatenate([bottom, others])
    values = np.concatenate([np.full(len(bottom), ELECTRODE), np.full(len(others), OUTER)]).astype(np.int32)
    order = np.argsort(facets)
    tags = mesh.meshtags(msh, 2, facets[order], values[order])

    V = fem.functionspace(msh, ("Lagrange", degree))
    phi, v = fem.Function(V), ufl.TestFunction(V)
    x, nrm = ufl.SpatialCoordinate(msh), ufl.FacetNormal(msh)
    phi_e = exact(x)
    i_e = ohm.current_density(phi_e, KAPPA)
    source = ufl.div(i_e)  # div i = s
    ds = ufl.Measure("ds", domain=msh, subdomain_data=tags, metadata={"quadrature_degree": 2 * degree + 4})
    dx = ufl.Measure("dx", domain=msh, metadata={"quadrature_degree": 2 * degree + 4})
    eta = -phi
    i_loc_exact = kinetics.current(-phi_e)
    mismatch = ufl.dot(i_e, nrm) + i_loc_exact  # what the kinetics leave unbalanced at phi_e
    F = (
        ohm.conduction(phi, v, KAPPA, dx)
        - source * v * dx
        + ohm.inflow(-ufl.dot(i_e, nrm), v, ds(OUTER))
        + ohm.electrode((solve_with or kinetics).current(eta), v, ds(ELECTRODE))
        + mismatch * v * ds(ELECTRODE)
    )
    opts = petsc_options(Solver(method=method, newton_rtol=1e-12, newton_atol=1e-14, krylov_rtol=1e-12))
    problem = NonlinearProblem(F, phi, petsc_options_prefix=unique_prefix("mms"), petsc_options=opts)
    problem.solve()
    snes = problem.solver
    assert snes.getConvergedReason() > 0, f"Newton failed: reason {snes.getConvergedReason()}"
    err = phi - phi_e
    l2 = np.sqrt(comm.allreduce(fem.assemble_scalar(fem.form(err**2 * dx)), op=MPI.SUM))
    h1 = np.sqrt(comm.allreduce(fem.assemble_scalar(fem.form(ufl.inner(ufl.grad(err), ufl.grad(err)) * dx)), op=MPI.SUM))
    return l2, h1, snes.getIterationNumber()


def rates(errors):
    e = np.asarray(errors)
    return np.log2(e[:-1] / e[1:])


BV = Kinetics("butler_volmer", exchange_current_density=2.0, alpha_a=0.4, alpha_c=0.6, temperature=298.15)


@pytest.mark.parametrize("degree, sizes", [(1, (4, 8, 16)), (2, (2, 4, 8))])
def test_butler_volmer_convergence_rates(degree, sizes):
    results = [solve_mms(n, degree, BV) for n in sizes]
    l2 = [r[0] for r in results]
    h1 = [r[1] for r in results]
    r_l2, r_h1 = rates(l2), rates(h1)
    if MPI.COMM_WORLD.rank == 0:
        print(f"P{degree}: L2 {l2} rates {r_l2}; H1 {h1} rates {r_h1}; newton {[r[2] for r in results]}")
    assert r_l2[-1] == pytest.approx(degree + 1, abs=0.15)
    assert r_h1[-1] == pytest.approx(degree, abs=0.1)
    # the boundary really is nonlinear at this potential: several Newton steps were needed
    assert min(r[2] for r in results) >= 3


def test_wrong_kinetics_is_detected():
    """The same manufactured data solved with Tafel instead of Butler-Volmer kinetics
    (the anodic branch dropped) must miss phi_e by far more than the discretisation error."""
    tafel = Kinetics("tafel", BV.exchange_current_density, BV.alpha_a, BV.alpha_c, BV.temperature)
    right, _, _ = solve_mms(8, 1, BV)
    wrong, _, _ = solve_mms(8, 1, BV, solve_with=tafel)
    assert wrong > 10 * right
