"""Consistent boundary flux on Dirichlet surfaces.

Where the potential is held (primary kinetics), the current through the surface
is what the discrete equations need there to balance: the residual R_i at the
surface's dofs (the "reaction"). The flux lambda in the trace space solves

    int_G lambda phi_j ds = -R_j     for every dof j on the surface G,

a boundary mass-matrix system. Because the surface's basis functions sum to one
on G, int_G lambda ds = -sum_j R_j exactly: the totals close the charge balance
to solver tolerance however many surfaces share an edge (their dofs are counted
once, on the union), and lambda converges with the solution instead of
carrying the cell-gradient error of the adjacent cells.
"""

import numpy as np
import ufl
from dolfinx import fem, la
from dolfinx.fem import petsc as fpetsc

from femli.errors import SolverError


def reactions(residual, field, entity_maps=None) -> np.ndarray:
    """The residual form of ``field`` at its present value, unconstrained (local dofs, ghosts summed)."""
    vec = fem.assemble_vector(fem.form(residual, entity_maps=entity_maps))
    vec.scatter_reverse(la.InsertMode.add)
    vec.scatter_forward()
    return vec.array


def consistent_flux(residual, field, tags, flux: fem.Function, entity_maps=None) -> None:
    """Write into ``flux`` lambda: the current density leaving through the tagged facets of ``field``'s volume, A/m^2."""
    from petsc4py import PETSc

    volume, V = field.volume, field.space
    facets = np.unique(np.concatenate([volume.facet_tags.find(t) for t in tags])).astype(np.int32)
    dofs = field.boundary_dofs(facets)
    n_local = V.dofmap.index_map.size_local + V.dofmap.index_map.num_ghosts
    others = np.setdiff1d(np.arange(n_local, dtype=np.int32), dofs)
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    ds = volume.measure("ds")(tuple(tags))
    # identity rows off the surface: the system lives on the surface's dofs only
    A = fpetsc.assemble_matrix(fem.form(u * v * ds), bcs=[fem.dirichletbc(0.0, others, V)], diag=1.0)
    A.assemble()
    rhs = fem.Function(V)
    rhs.x.array[dofs] = -reactions(residual, field, entity_maps)[dofs]
    ksp = PETSc.KSP().create(V.mesh.comm)
    ksp.setOperators(A)
    ksp.setType("cg")
    ksp.getPC().setType("jacobi")
    ksp.setTolerances(rtol=1e-14, atol=1e-300, max_it=1000)
    b = la.petsc.create_vector_wrap(rhs.x)
    x = la.petsc.create_vector_wrap(flux.x)
    ksp.solve(b, x)
    reason = ksp.getConvergedReason()
    for obj in (ksp, A, b, x):
        obj.destroy()
    if reason <= 0:  # a wrong flux would pass for a result
        raise SolverError(f"the boundary mass system of the primary-surface flux did not converge (KSP reason {reason})")
    flux.x.scatter_forward()
