"""Shared pieces of the manufactured-solution tests."""

import numpy as np
import ufl
from dolfinx import fem, mesh
from dolfinx.fem.petsc import NonlinearProblem
from mpi4py import MPI

from femli.config import Solver
from femli.solvers import petsc_options, unique_prefix

ELECTRODE, OUTER = 1, 2


def unit_cube(n: int, comm=MPI.COMM_WORLD):
    """Unit cube; facets tagged ELECTRODE on z = 0 and OUTER elsewhere; cells tagged 1 (z < 1/2) and 2
    (n even: the plane z = 1/2 is then a mesh interface)."""
    msh = mesh.create_unit_cube(comm, n, n, n)
    msh.topology.create_connectivity(2, 3)
    bottom = mesh.locate_entities_boundary(msh, 2, lambda x: np.isclose(x[2], 0.0))
    others = np.setdiff1d(mesh.exterior_facet_indices(msh.topology), bottom)
    facets = np.concatenate([bottom, others])
    values = np.concatenate([np.full(len(bottom), ELECTRODE), np.full(len(others), OUTER)]).astype(np.int32)
    order = np.argsort(facets)
    facet_tags = mesh.meshtags(msh, 2, facets[order], values[order])
    ncells = msh.topology.index_map(3).size_local + msh.topology.index_map(3).num_ghosts
    cells = np.arange(ncells, dtype=np.int32)
    mid = mesh.compute_midpoints(msh, 3, cells)
    cell_tags = mesh.meshtags(msh, 3, cells, np.where(mid[:, 2] < 0.5, 1, 2).astype(np.int32))
    return msh, facet_tags, cell_tags


def solve(F, phi, name: str) -> int:
    """Newton with femli's default iterative preset, tightened; returns the iteration count."""
    opts = petsc_options(Solver(newton_rtol=1e-12, krylov_rtol=1e-12))
    problem = NonlinearProblem(F, phi, petsc_options_prefix=unique_prefix(name), petsc_options=opts)
    problem.solve()
    reason = problem.solver.getConvergedReason()
    assert reason > 0, f"Newton failed: reason {reason}"
    return problem.solver.getIterationNumber()


def norm(expr, dx) -> float:
    comm = dx.ufl_domain().ufl_cargo().comm
    return float(np.sqrt(comm.allreduce(fem.assemble_scalar(fem.form(expr * dx)), op=MPI.SUM)))


def l2_h1(err, dx) -> tuple[float, float]:
    return norm(err**2, dx), norm(ufl.inner(ufl.grad(err), ufl.grad(err)), dx)


def rates(errors):
    e = np.asarray(errors)
    return np.log2(e[:-1] / e[1:])


def field_errors(u, exact, degree) -> tuple[float, float]:
    """L2 and H1 errors of ``u`` against ``exact(x)`` on u's own (sub-)mesh."""
    dx = ufl.Measure("dx", domain=u.function_space.mesh, metadata={"quadrature_degree": 2 * degree + 4})
    return l2_h1(u - exact(ufl.SpatialCoordinate(u.function_space.mesh)), dx)
