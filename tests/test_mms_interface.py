"""Manufactured solution with a conductivity jump (SSE | interlayer, grain | boundary).

kappa = K1 for z < 1/2 and K2 above, a Butler-Volmer electrode at z = 0. The
exact potential phi_k = A f(x, y) (e^z - e^{1/2}) / K_k + B is continuous across
z = 1/2 and carries a continuous normal current K_k dphi_k/dz = A f e^z, while
its gradient jumps by K1/K2: the interface conditions the weak form imposes
naturally. With the interface resolved by the mesh, P1 and P2 keep their rates.
"""

import numpy as np
import pytest
import ufl
from dolfinx import fem

from femli.physics import conduction as ohm
from femli.physics.kinetics import Kinetics
from mms import ELECTRODE, OUTER, l2_h1, rates, solve, unit_cube

K = {1: 1.0, 2: 0.05}  # a 20x contrast
BV = Kinetics("butler_volmer", exchange_current_density=0.5, alpha_a=0.5, alpha_c=0.5, temperature=298.15)


def exact(x, k):
    f = 1.0 + 0.5 * ufl.sin(np.pi * x[0]) * ufl.sin(np.pi * x[1])
    return 0.002 * f * (ufl.exp(x[2]) - np.exp(0.5)) / K[k] + 0.03


def solve_jump(n: int, degree: int):
    msh, ftags, ctags = unit_cube(n)
    V = fem.functionspace(msh, ("Lagrange", degree))
    phi, v = fem.Function(V), ufl.TestFunction(V)
    kappa = fem.Function(fem.functionspace(msh, ("DG", 0)))
    for k, val in K.items():
        kappa.x.array[ctags.find(k)] = val
    x, nrm = ufl.SpatialCoordinate(msh), ufl.FacetNormal(msh)
    q = {"quadrature_degree": 2 * degree + 4}
    dx = ufl.Measure("dx", domain=msh, subdomain_data=ctags, metadata=q)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=ftags, metadata=q)
    phi_e = ufl.conditional(ufl.lt(x[2], 0.5), exact(x, 1), exact(x, 2))
    F = ohm.conduction(phi, v, kappa, dx)
    for k in K:
        i_k = ohm.current_density(exact(x, k), K[k])
        F -= ufl.div(i_k) * v * dx(k)
    i_e = ohm.current_density(phi_e, kappa)
    F += ohm.inflow(-ufl.dot(i_e, nrm), v, ds(OUTER))
    F += ohm.electrode(BV.current(-phi), v, ds(ELECTRODE))
    F += (ufl.dot(ohm.current_density(exact(x, 1), K[1]), nrm) + BV.current(-exact(x, 1))) * v * ds(ELECTRODE)
    solve(F, phi, "mms_jump")
    return l2_h1(phi - phi_e, dx)


@pytest.mark.parametrize("degree, sizes", [(1, (6, 12, 24)), (2, (4, 8, 16))])
def test_conductivity_jump_rates(degree, sizes):
    errors = [solve_jump(n, degree) for n in sizes]
    r_l2, r_h1 = rates([e[0] for e in errors]), rates([e[1] for e in errors])
    print(f"P{degree}: L2 {[e[0] for e in errors]} rates {r_l2}; H1 rates {r_h1}")
    assert r_l2[-1] == pytest.approx(degree + 1, abs=0.15)
    assert r_h1[-1] == pytest.approx(degree, abs=0.1)
