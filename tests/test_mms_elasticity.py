"""Linear elasticity (femli.physics.elasticity) verified: manufactured solutions, a
material jump, the multigrid's near-nullspace and the pressurised spherical cavity.

Manufactured solution on the unit cube (dimensionless: E_1 = 1, nu = 0.3), with
P(x, y) and G(x, y) smooth vector fields and R(x, y, z) a smooth vector field:

    u_k = P + (e^z - e^(1/2)) G_k + (z - 1/2)^2 R,      k = 1 (z < 1/2), 2 (z > 1/2).

u is continuous at z = 1/2 (u = P there). With G_1 = G and
    G_2 = (E_1/E_2) G + (E_1/E_2 - 1) Q^-1 (S(eps(P)) e_z) / e^(1/2),
where S(eps) = sigma / E is Hooke's law for E = 1 and Q a = S(sym(a x e_z)) e_z
(Q = diag(mu, mu, lambda + 2 mu) for E = 1), the traction sigma.e_z is continuous
across z = 1/2 as well: u_k is the exact solution of a two-material body with
E_1 below and E_2 above. E_1 = E_2 gives a smooth solution (G_2 = G). The body
force -div sigma(u_k), the Dirichlet data on z = 0 and the traction sigma(u_k) n
on the other faces come from u_k; the solve uses femli's Elasticity and Traction
pieces and CoupledProblem, as a model does.
"""

import functools
import json
import subprocess
import sys
from pathlib import Path

import femli  # noqa: F401  (sets up the DOLFINx wheel; this file also runs as a script under mpiexec)
import numpy as np
import pytest
import ufl
from dolfinx import fem
from dolfinx.fem import petsc as fpetsc
from mpi4py import MPI

from femli.config import Solver
from femli.core.domains import Volume
from femli.core.fields import Field
from femli.core.problem import CoupledProblem
from femli.physics.elasticity import Elasticity, Traction, lame, roller, stress
from femli.solvers import petsc_options
from mms import ELECTRODE, OUTER, rates, unit_cube

NU = 0.3
E1 = 1.0


def exact(x, ratio):
    """(u_1, u_2) of the module docstring for E_1 = 1, E_2 = 1 / ratio."""
    pi = np.pi
    P = ufl.as_vector((0.1 * ufl.sin(pi * x[0]) * ufl.cos(pi * x[1]), 0.05 * x[0] ** 2 * x[1] + 0.02 * x[1],
                       0.08 * ufl.cos(0.5 * pi * x[0]) * ufl.sin(pi * x[1])))
    G = ufl.as_vector((0.1 * (1.0 + x[1]), 0.05 * ufl.sin(pi * x[0]), 0.1 * ufl.cos(pi * x[1]) * (1.0 + x[0])))
    R = ufl.as_vector((0.1 * ufl.sin(pi * x[2]) * x[0], 0.05 * ufl.cos(pi * x[1]) * x[2], 0.1 * x[0] * x[1]))
    mu, lmbda = lame(1.0, NU)
    ez = ufl.as_vector((0.0, 0.0, 1.0))
    Qinv = ufl.diag(ufl.as_vector((1.0 / mu, 1.0 / mu, 1.0 / (lmbda + 2.0 * mu))))
    G2 = ratio * G + (ratio - 1.0) * Qinv * (stress(P, 1.0, NU) * ez) / np.exp(0.5)
    h = ufl.exp(x[2]) - np.exp(0.5)
    common = P + (x[2] - 0.5) ** 2 * R
    return common + h * G, common + h * G2


class BodyForce:
    """The manufactured body force f on each phase: - int f.v dx (a linear piece)."""

    linear = True

    def __init__(self, field, forces, dx):
        self.field, self.forces, self.dx = field, forces, dx

    def residual(self):
        v = self.field.test
        return {self.field: sum(-ufl.inner(f, v) * self.dx(tag) for tag, f in self.forces.items())}


class PlainPiece:
    """``piece``'s residual only: CoupledProblem sets no near-nullspace."""

    linear = True

    def __init__(self, piece):
        self.residual = piece.residual


def _volume(msh, facet_tags, cell_tags):
    cells = np.arange(msh.topology.index_map(3).size_local + msh.topology.index_map(3).num_ghosts, dtype=np.int32)
    return Volume("solid", msh, cell_tags, facet_tags, (1, 2), cells)


def solve_mms(n, degree, ratio=1.0, comm=MPI.COMM_WORLD, nullspace=True, krylov_rtol=1e-12, extra=None):
    """The manufactured problem on an n^3 unit cube; E jumps from 1 to 1/ratio at z = 1/2.

    Returns the L2 and H1 errors, the Krylov iterations and the number of dofs."""
    msh, facet_tags, cell_tags = unit_cube(n, comm)
    u = Field("displacement", _volume(msh, facet_tags, cell_tags), degree, shape=(3,))
    q = {"quadrature_degree": 2 * degree + 4}  # for the data and the errors; the stiffness takes its exact degree
    dx = ufl.Measure("dx", domain=msh, subdomain_data=cell_tags, metadata=q)
    dx_stiffness = ufl.Measure("dx", domain=msh, subdomain_data=cell_tags)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=facet_tags, metadata=q)
    x = ufl.SpatialCoordinate(msh)
    u1, u2 = exact(x, ratio)
    E2 = E1 / ratio
    if ratio == 1.0:
        E = E1  # a plain number
    else:  # one DG0 value per phase, as a model's phases
        E = fem.Function(fem.functionspace(msh, ("DG", 0)))
        E.x.array[:] = E1
        E.x.array[E.function_space.dofmap.list[cell_tags.find(2), 0]] = E2  # cell_tags holds ghosts too
    s1, s2 = stress(u1, E1, NU), stress(u2, E2, NU)
    n_ = ufl.FacetNormal(msh)
    traction = ufl.conditional(ufl.lt(x[2], 0.5), s1 * n_, s2 * n_)
    pieces = [Elasticity(u, E, NU, dx_stiffness), Traction(u, traction, ds(OUTER)),
              BodyForce(u, {1: -ufl.div(s1), 2: -ufl.div(s2)}, dx)]
    if not nullspace:  # the same terms without the near_nullspace hook
        pieces[0] = PlainPiece(pieces[0])
    g = fem.Function(u.space)
    g.interpolate(fem.Expression(u1, u.space.element.interpolation_points))
    bcs = [fem.dirichletbc(g, u.tagged_dofs(ELECTRODE))]
    opts = petsc_options(Solver(krylov_rtol=krylov_rtol, petsc_options=extra or {}), ("displacement",), linear=True)
    problem = CoupledProblem([u], pieces, bcs, opts, "mms_elasticity")
    stats = problem.solve(lambda s: None)
    e1, e2 = u.u - u1, u.u - u2

    def total(form):
        return np.sqrt(comm.allreduce(fem.assemble_scalar(fem.form(form)), op=MPI.SUM))

    l2 = total(ufl.inner(e1, e1) * dx(1) + ufl.inner(e2, e2) * dx(2))
    h1 = total(ufl.inner(ufl.grad(e1), ufl.grad(e1)) * dx(1) + ufl.inner(ufl.grad(e2), ufl.grad(e2)) * dx(2))
    return l2, h1, stats.krylov_iterations, u.dofs()


# --- pressurised spherical cavity -----------------------------------------------------------------------------

CAVITY, OUTER_SPHERE, SYM_X, SYM_Y, SYM_Z = 1, 2, 3, 4, 5


def cavity_mesh(a, R, h_rel, h_max, order=2, comm=MPI.COMM_WORLD):
    """One eighth (x, y, z > 0) of the ball of radius R with a spherical hole of radius a, meshed with
    Gmsh on rank 0 (second-order geometry: curved cavity), sizes h_rel r up to h_max."""
    import gmsh
    from dolfinx.io import gmsh as gmshio

    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        if comm.rank == 0:
            occ = gmsh.model.occ
            ball = occ.addSphere(0, 0, 0, R)
            hole = occ.addSphere(0, 0, 0, a)
            box = occ.addBox(0, 0, 0, R, R, R)
            shell, _ = occ.cut([(3, ball)], [(3, hole)])
            body, _ = occ.intersect(shell, [(3, box)])
            occ.synchronize()
            groups = {CAVITY: [], OUTER_SPHERE: [], SYM_X: [], SYM_Y: [], SYM_Z: []}
            for dim, tag in gmsh.model.getBoundary(body, oriented=False):
                c = np.array(occ.getCenterOfMass(dim, tag))
                planar = [k for k in range(3) if abs(c[k]) < 1e-8 * R]
                if planar:
                    groups[SYM_X + planar[0]].append(tag)
                else:
                    groups[CAVITY if np.linalg.norm(c) < 0.5 * (a + R) else OUTER_SPHERE].append(tag)
            gmsh.model.addPhysicalGroup(3, [t for _, t in body], 1)
            for tag, surfaces in groups.items():
                gmsh.model.addPhysicalGroup(2, surfaces, tag)
            # self-similar sizes h = h_rel r (the stresses fall off as r^-3: the same relative error everywhere)
            field = gmsh.model.mesh.field
            size = field.add("MathEval")
            field.setString(size, "F", f"Min({h_max}, {h_rel} * Sqrt(x^2 + y^2 + z^2))")
            field.setAsBackgroundMesh(size)
            for key in ("MeshSizeExtendFromBoundary", "MeshSizeFromPoints", "MeshSizeFromCurvature"):
                gmsh.option.setNumber(f"Mesh.{key}", 0)
            gmsh.model.mesh.generate(3)
            gmsh.model.mesh.setOrder(order)
        data = gmshio.model_to_mesh(gmsh.model, comm, 0, gdim=3)
    finally:
        gmsh.finalize()
    return data.mesh, data.cell_tags, data.facet_tags


def solve_cavity(a=1e-6, R_over_a=10.0, p=10e6, E=150e9, nu=0.26, h_rel=0.15, h_max=2.5, degree=2):
    """The cavity of radius a (m) under pressure p in an eighth of a ball of radius R (rollers on the
    symmetry planes, the infinite body's radial stress -p (a/R)^3 on the outer sphere, so the Lame
    solution sigma_rr = -p (a/r)^3, sigma_tt = p (a/r)^3 / 2 is exact); mesh sizes h_rel r, r in units of a.

    Returns the relative L2 errors of sigma_rr and sigma_tt over 1.5 a < r < 3 a, the largest
    relative error of sigma_rr at a quadrature point there, the dofs and the Krylov iterations."""
    msh, cell_tags, facet_tags = cavity_mesh(1.0, R_over_a, h_rel, h_max)
    msh.geometry.x[:] *= a  # meshed in units of a (OCC's tolerances are absolute)
    ncells = msh.topology.index_map(3).size_local + msh.topology.index_map(3).num_ghosts
    volume = Volume("solid", msh, cell_tags, facet_tags, (1,), np.arange(ncells, dtype=np.int32))
    u = Field("displacement", volume, degree, shape=(3,))
    dx = ufl.Measure("dx", domain=msh)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=facet_tags)
    R = R_over_a * a
    pieces = [Elasticity(u, E, nu, dx), Traction(u, p, ds(CAVITY)), Traction(u, p * (a / R) ** 3, ds(OUTER_SPHERE))]
    bcs = [roller(u, facet_tags.find(tag), k) for k, tag in enumerate((SYM_X, SYM_Y, SYM_Z))]
    opts = petsc_options(Solver(krylov_rtol=1e-10), ("displacement",), linear=True)
    stats = CoupledProblem([u], pieces, bcs, opts, "cavity").solve(lambda s: None)

    x = ufl.SpatialCoordinate(msh)
    r = ufl.sqrt(ufl.dot(x, x))
    er = x / r
    sigma = stress(u.u, E, nu)
    s_rr = ufl.dot(er, sigma * er)
    s_tt = 0.5 * (ufl.tr(sigma) - s_rr)  # the mean of the two tangential stresses
    exact_rr, exact_tt = -p * (a / r) ** 3, 0.5 * p * (a / r) ** 3
    shell = ufl.conditional(ufl.And(ufl.gt(r, 1.5 * a), ufl.lt(r, 3.0 * a)), 1.0, 0.0)
    dxq = ufl.Measure("dx", domain=msh, metadata={"quadrature_degree": 6})
    comm = msh.comm

    def integral(expr):
        return comm.allreduce(fem.assemble_scalar(fem.form(shell * expr * dxq)), op=MPI.SUM)

    rel_rr = np.sqrt(integral((s_rr - exact_rr) ** 2) / integral(exact_rr**2))
    rel_tt = np.sqrt(integral((s_tt - exact_tt) ** 2) / integral(exact_tt**2))
    bins = np.linspace(1.5, 3.0, 7) * a  # sigma_rr averaged over thin shells: the radial profile
    profile = []
    for r0, r1 in zip(bins[:-1], bins[1:]):
        inside = ufl.conditional(ufl.And(ufl.gt(r, r0), ufl.lt(r, r1)), 1.0, 0.0)
        mean_h, mean_e = (comm.allreduce(fem.assemble_scalar(fem.form(inside * f * dxq)), op=MPI.SUM) for f in (s_rr, exact_rr))
        profile.append(mean_h / mean_e - 1.0)
    points, _ = _quadrature_points(msh, 4)
    values = fem.Expression(ufl.as_vector((r / a, s_rr / exact_rr - 1.0)), points).eval(
        msh, np.arange(msh.topology.index_map(3).size_local, dtype=np.int32)).reshape(-1, 2)
    inside = (values[:, 0] > 1.5) & (values[:, 0] < 3.0)
    worst = comm.allreduce(float(np.abs(values[inside, 1]).max(initial=0.0)), op=MPI.MAX)
    return rel_rr, rel_tt, np.array(profile), worst, u.dofs(), stats.krylov_iterations


def _quadrature_points(msh, degree):
    import basix

    return basix.make_quadrature(basix.CellType.tetrahedron, degree)


# --- the tests ----------------------------------------------------------------------------------------------------

P1_MESHES, P2_MESHES = (8, 16, 32), (2, 4, 8)
CAVITY_H = 0.12  # mesh size / r: 50k dofs (P2), about 3 s


def mms(n, degree, ratio=1.0, nullspace=True):
    """solve_mms, once per case in a session."""
    return _mms(int(n), int(degree), float(ratio), bool(nullspace))


@functools.lru_cache
def _mms(n, degree, ratio, nullspace):
    return solve_mms(n, degree, ratio, nullspace=nullspace)


@functools.lru_cache
def cavity():
    return solve_cavity(h_rel=CAVITY_H)


@pytest.mark.parametrize("degree", [1, 2])
@pytest.mark.parametrize("ratio", [1.0, 10.0], ids=["homogeneous", "jump10x"])
def test_elasticity_rates(degree, ratio):
    """Optimal rates, L2 degree + 1 and H1 degree, with and without a 10x jump of E at z = 1/2."""
    meshes = P1_MESHES if degree == 1 else P2_MESHES
    e = np.array([mms(n, degree, ratio)[:2] for n in meshes])
    l2, h1 = rates(e[:, 0]), rates(e[:, 1])
    print(f"P{degree} E ratio {ratio}: L2 {e[:, 0]} rates {l2}; H1 {e[:, 1]} rates {h1}")
    assert l2[-1] == pytest.approx(degree + 1, abs=0.15)
    assert h1[-1] == pytest.approx(degree, abs=0.15)


def test_near_nullspace_keeps_krylov_iterations_flat():
    """CG + GAMG with the rigid-body modes: iterations flat over three refinements (+30 %) and clearly
    fewer than GAMG without them (translations only, from the block size)."""
    with_modes = [mms(n, 1)[2] for n in P1_MESHES]
    without = [mms(n, 1, nullspace=False)[2] for n in P1_MESHES[:2]]  # (32^3 without: 48 iterations, 4 s)
    print(f"Krylov iterations on {P1_MESHES}^3 (P1): with rigid-body modes {with_modes}, without {without}")
    assert max(with_modes) <= 1.3 * with_modes[0]
    assert without[1] > without[0] and without[1] >= 1.5 * with_modes[1]
    assert mms(P1_MESHES[1], 1, nullspace=False)[0] == pytest.approx(mms(P1_MESHES[1], 1)[0], rel=1e-6)


def test_rigid_body_modes_span_the_kernel():
    """The six modes are orthonormal and the stiffness without Dirichlet conditions maps them to ~0."""
    msh, facet_tags, cell_tags = unit_cube(4)
    u = Field("displacement", _volume(msh, facet_tags, cell_tags), 2, shape=(3,))
    piece = Elasticity(u, 2.0, NU, ufl.Measure("dx", domain=msh))
    J = ufl.derivative(piece.residual()[u], u.u, ufl.TrialFunction(u.space))
    A = fpetsc.assemble_matrix(fem.form(J))
    A.assemble()
    modes = piece.near_nullspace().getVecs()
    assert len(modes) == 6
    gram = np.array([[v.dot(w) for w in modes] for v in modes])
    assert np.allclose(gram, np.eye(6), atol=1e-12)
    y = A.createVecLeft()
    for v in modes:
        A.mult(v, y)
        assert y.norm() < 1e-10 * A.norm()
    assert piece.near_nullspace().test(A)


def test_pressurised_spherical_cavity():
    """sigma_rr = -p (a/r)^3 and sigma_tt = p (a/r)^3 / 2 for a/r in (1/3, 2/3) (DESIGN.md anchor)."""
    rel_rr, rel_tt, profile, worst, dofs, its = cavity()
    print(f"cavity, {dofs} dofs, {its} Krylov iterations: relative L2 error over 1.5a < r < 3a: sigma_rr {rel_rr:.4f}, "
          f"sigma_tt {rel_tt:.4f}; shell means of sigma_rr off by {profile}; worst quadrature point {worst:.3f}")
    assert rel_rr < 0.02 and rel_tt < 0.02
    assert np.abs(profile).max() < 0.005


def _numbers():
    """The numbers compared between 1 and 2 ranks."""
    return {"P1": list(mms(P1_MESHES[1], 1)[:2]), "P2": list(mms(P2_MESHES[-1], 2)[:2]),
            "cavity": [float(v) for v in cavity()[:2]]}


@pytest.mark.mpi
@pytest.mark.skipif(MPI.COMM_WORLD.size > 1, reason="starts its own 2-rank run")
def test_two_ranks_give_the_same_errors():
    """The homogeneous manufactured solutions (P1 and P2) and the cavity on 2 ranks: the same errors."""
    from conftest import mpiexec

    res = subprocess.run(mpiexec() + [sys.executable, str(Path(__file__))], capture_output=True, text=True,
                         timeout=300, cwd=Path(__file__).parent)
    assert res.returncode == 0, res.stderr[-2000:]
    two = json.loads(res.stdout.strip().splitlines()[-1])
    one = _numbers()
    print(f"1 rank {one}\n2 ranks {two}")
    for key, values in one.items():
        assert two[key] == pytest.approx(values, rel=1e-6), key


if __name__ == "__main__":  # under mpiexec: the errors of _numbers() on this many ranks, as JSON on rank 0
    numbers = _numbers()
    if MPI.COMM_WORLD.rank == 0:
        print(json.dumps(numbers), flush=True)
