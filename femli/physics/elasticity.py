"""Small-strain isotropic linear elasticity, in weak form.

With the displacement u, the strain eps(u) = sym(grad u) and Hooke's law
    sigma = 2 mu eps + lambda tr(eps) I,
    mu = E / (2 (1 + nu)),  lambda = E nu / ((1 + nu)(1 - 2 nu)),
equilibrium div sigma + f = 0 times a test function v, integrated by parts, gives
    int sigma(u):eps(v) dx - int t.v ds - int f.v dx = 0,
where t = sigma n is the traction on the boundary (n out of the body). A
surface with no Dirichlet condition and no :class:`Traction` piece is
traction-free. E and nu may be numbers, UFL expressions or DG0 functions, so
every phase of a multi-material body has its own constants; the interface
conditions between phases (continuous u and sigma.n) are then natural.

Algebraic multigrid needs the operator's near-nullspace, the rigid-body
motions (3 translations and 3 rotations in 3D, which eps maps to zero): the
piece hands them out through ``near_nullspace()`` and
:class:`femli.core.problem.CoupledProblem` sets them on the matrix.
"""

import numpy as np
import ufl
from dolfinx import fem


def lame(E, nu):
    """The Lame constants (mu, lambda) of Young's modulus E and Poisson's ratio nu."""
    return E / (2.0 * (1.0 + nu)), E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu))


def strain(u):
    """eps(u) = (grad u + grad u^T) / 2."""
    return ufl.sym(ufl.grad(u))


def stress(u, E, nu):
    """sigma(u) = 2 mu eps(u) + lambda tr(eps(u)) I."""
    mu, lmbda = lame(E, nu)
    eps = strain(u)
    return 2.0 * mu * eps + lmbda * ufl.tr(eps) * ufl.Identity(ufl.shape(eps)[0])


def von_mises(sigma):
    """sqrt(3/2 s:s), s the deviatoric part of the stress tensor ``sigma``."""
    d = ufl.shape(sigma)[0]
    s = sigma - ufl.tr(sigma) / 3.0 * ufl.Identity(d)
    return ufl.sqrt(1.5 * ufl.inner(s, s))


def traction_vector(load, n):
    """A traction vector from ``load``: a vector is the traction itself, a scalar a pressure p (t = -p n)."""
    if isinstance(load, (tuple, list, np.ndarray)):
        load = ufl.as_vector(load)
    return -load * n if ufl.shape(load) == () else load


class Elasticity:
    """div sigma(u) = 0 in a volume (``dx`` restricts to it): int sigma(u):eps(v) dx for a vector field."""

    linear = True

    def __init__(self, field, E, nu, dx):
        if field.shape is None or len(field.shape) != 1:
            raise ValueError(f"elasticity needs a vector field (Field(..., shape=(gdim,))), not {field!r}")
        self.field, self.E, self.nu, self.dx = field, E, nu, dx

    def residual(self) -> dict:
        return {self.field: ufl.inner(self.stress(), strain(self.field.test)) * self.dx}

    def strain(self):
        return strain(self.field.u)

    def stress(self):
        return stress(self.field.u, self.E, self.nu)

    def von_mises(self):
        return von_mises(self.stress())

    def strain_energy(self):
        """int sigma:eps / 2 dx (J)."""
        return 0.5 * ufl.inner(self.stress(), self.strain()) * self.dx

    def near_nullspace(self):
        """The rigid-body modes of the field's space, for algebraic multigrid."""
        return rigid_body_modes(self.field.space)


class Traction:
    """A traction on ``field``'s boundary ``ds``: - int t.v ds.

    ``load`` is the traction vector t (force per area, acting on the body) or a
    scalar pressure p pushing on the surface, t = -p n with n the outward normal
    of ``ds``'s mesh: stack pressure on a face, a pressurised flaw or cavity. A
    ``fem.Constant`` load can be ramped between solves.
    """

    linear = True

    def __init__(self, field, load, ds):
        self.field, self.load, self.ds = field, load, ds

    def traction(self):
        return traction_vector(self.load, ufl.FacetNormal(self.ds.ufl_domain()))

    def residual(self) -> dict:
        return {self.field: -ufl.inner(self.traction(), self.field.test) * self.ds}


def roller(field, facets, component: int):
    """u[component] = 0 on ``facets`` of the field's own mesh (a symmetry plane or a sliding support)."""
    from petsc4py import PETSc

    sub = field.space.sub(component)
    dofs = fem.locate_dofs_topological(sub, field.volume.mesh.topology.dim - 1, facets)
    return fem.dirichletbc(PETSc.ScalarType(0), dofs, sub)


def rigid_body_modes(space):
    """The rigid-body motions of a vector Lagrange ``space`` as an orthonormal PETSc near-nullspace.

    3D: the translations e_x, e_y, e_z and the rotations e_k x (x - x_c) about
    the centroid x_c of the dofs (which keeps the modes well scaled); 2D: two
    translations and one rotation. Each mode is interpolated exactly at the dof
    points (the motions are linear), on the owned dofs in the layout of the
    field's PETSc vector (nodes x components).
    """
    from petsc4py import PETSc

    msh, im, bs = space.mesh, space.dofmap.index_map, space.dofmap.index_map_bs
    gdim = msh.geometry.dim
    if bs != gdim or gdim not in (2, 3):
        raise ValueError(f"rigid-body modes need a vector space with {gdim} components per node, not {bs}")
    n = im.size_local
    x = space.tabulate_dof_coordinates()[:n, :gdim]
    count = msh.comm.allreduce(n)
    centre = msh.comm.allreduce(x.sum(axis=0)) / max(count, 1)
    x = x - centre
    modes = []
    for i in range(gdim):  # translations
        m = np.zeros((n, gdim))
        m[:, i] = 1.0
        modes.append(m)
    rotations = [(0, 1)] if gdim == 2 else [(0, 1), (1, 2), (2, 0)]
    for i, j in rotations:  # rotation in the (i, j) plane: u_i = -x_j, u_j = x_i
        m = np.zeros((n, gdim))
        m[:, i], m[:, j] = -x[:, j], x[:, i]
        modes.append(m)
    vecs = []
    for m in modes:
        v = PETSc.Vec().createMPI((n * bs, PETSc.DETERMINE), bsize=bs, comm=msh.comm)
        v.setArray(m.ravel())
        vecs.append(v)
    for k, v in enumerate(vecs):  # modified Gram-Schmidt (collective)
        for w in vecs[:k]:
            v.axpy(-v.dot(w), w)
        v.normalize()
    return PETSc.NullSpace().create(vectors=vecs, comm=msh.comm)
