"""Method of manufactured solutions for the potential problem with a nonlinear
Butler-Volmer boundary, built from the same physics pieces and solver options
as the secondary-current model.

Exact solution phi_e (tens of mV, so the exponential kinetics are strongly
nonlinear) on the unit cube; the source, the side/top fluxes and a boundary
residual are derived from phi_e so that it solves the continuous problem
exactly. Observed rates must match P1 (L2 2, H1 1) and P2 (L2 3, H1 2).
"""

import numpy as np
import pytest
import ufl
from dolfinx import fem
from mpi4py import MPI

from femli.physics import conduction as ohm
from femli.physics.kinetics import Kinetics
from mms import ELECTRODE, OUTER, l2_h1, rates, solve, unit_cube

KAPPA = 0.7  # S/m
BV = Kinetics("butler_volmer", exchange_current_density=2.0, alpha_a=0.4, alpha_c=0.6, temperature=298.15)
# a nucleation barrier inside the range of eta (-0.03 ... -0.09 V): part of the surface is only partly active
NUCLEATION = Kinetics("butler_volmer", 2.0, 0.4, 0.6, 298.15, nucleation_overpotential=0.05, nucleation_width=0.01)


def exact(x):
    return 0.03 * (1.0 + ufl.sin(np.pi * x[0]) * ufl.cos(np.pi * x[1]) * ufl.exp(-x[2]) + x[2] ** 2)


def solve_mms(n: int, degree: int, kinetics: Kinetics, solve_with: Kinetics | None = None):
    """Manufacture data with ``kinetics``; solve with ``solve_with`` (default: the same)."""
    msh, tags, _ = unit_cube(n)
    V = fem.functionspace(msh, ("Lagrange", degree))
    phi, v = fem.Function(V), ufl.TestFunction(V)
    x, nrm = ufl.SpatialCoordinate(msh), ufl.FacetNormal(msh)
    phi_e = exact(x)
    i_e = ohm.current_density(phi_e, KAPPA)
    q = {"quadrature_degree": 2 * degree + 4}
    ds = ufl.Measure("ds", domain=msh, subdomain_data=tags, metadata=q)
    dx = ufl.Measure("dx", domain=msh, metadata=q)
    mismatch = ufl.dot(i_e, nrm) + kinetics.current(-phi_e)  # what the kinetics leave unbalanced at phi_e
    F = (
        ohm.conduction(phi, v, KAPPA, dx)
        - ufl.div(i_e) * v * dx
        + ohm.inflow(-ufl.dot(i_e, nrm), v, ds(OUTER))
        + ohm.electrode((solve_with or kinetics).current(-phi), v, ds(ELECTRODE))
        + mismatch * v * ds(ELECTRODE)
    )
    its = solve(F, phi, "mms")
    return (*l2_h1(phi - phi_e, dx), its)


@pytest.mark.parametrize("kinetics", [BV, NUCLEATION], ids=["bv", "bv+nucleation"])
@pytest.mark.parametrize("degree, sizes", [(1, (4, 8, 16)), (2, (2, 4, 8))])
def test_butler_volmer_convergence_rates(degree, sizes, kinetics):
    results = [solve_mms(n, degree, kinetics) for n in sizes]
    r_l2, r_h1 = rates([r[0] for r in results]), rates([r[1] for r in results])
    if MPI.COMM_WORLD.rank == 0:
        print(f"P{degree}: L2 rates {r_l2}, H1 rates {r_h1}, Newton {[r[2] for r in results]}")
    assert r_l2[-1] == pytest.approx(degree + 1, abs=0.15)
    assert r_h1[-1] == pytest.approx(degree, abs=0.1)
    # the boundary really is nonlinear at this potential: several Newton steps were needed
    assert min(r[2] for r in results) >= 3


def test_wrong_kinetics_is_detected():
    """The same manufactured data solved with Tafel instead of Butler-Volmer kinetics
    (the anodic branch dropped) must miss phi_e by far more than the discretisation error."""
    tafel = Kinetics("tafel", BV.exchange_current_density, BV.alpha_a, BV.alpha_c, BV.temperature)
    right = solve_mms(8, 1, BV)[0]
    wrong = solve_mms(8, 1, BV, solve_with=tafel)[0]
    assert wrong > 10 * right
