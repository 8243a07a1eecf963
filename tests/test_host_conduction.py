"""Finite electronic conduction in the host, coupled to the electrolyte through i_loc.

The unit cube is split at z = 1/2 into a host (z < 1/2, sigma_s) and an
electrolyte (z > 1/2, kappa), two sub-meshes of one parent mesh; one
monolithic Newton solves for (phi, phi_s). On the interface Gamma (z = 1/2)

    sigma_s grad(phi_s).n_s = -i_loc(phi_s - phi) + r_s,
    kappa   grad(phi).n     =  i_loc(phi_s - phi) + r,

with Butler-Volmer i_loc; the residuals r_s, r make a smooth manufactured pair
exact. phi_s is held on z = 0 (the current collector), phi on z = 1, and the
side walls carry the exact normal current.
"""

import numpy as np
import pytest
import ufl
from dolfinx import fem, mesh
from dolfinx.fem.petsc import NonlinearProblem
from mpi4py import MPI

from femli.physics import conduction as ohm
from femli.physics import interface as gamma
from femli.physics.kinetics import Kinetics
from femli.solvers import unique_prefix
from mms import field_errors, rates

BV = Kinetics("butler_volmer", exchange_current_density=0.5, alpha_a=0.5, alpha_c=0.5, temperature=298.15)
SIGMA_S, KAPPA = 2.0, 0.5
LU = {
    "snes_type": "newtonls",
    "snes_linesearch_type": "bt",
    "snes_rtol": 1e-12,
    "snes_atol": 1e-13,
    "ksp_type": "preonly",
    "pc_type": "lu",
    "pc_factor_mat_solver_type": "mumps",
}
HOST_SIDES, ELECTROLYTE_SIDES = 11, 12  # side walls (x, y in {0, 1}) of each domain


def host_exact(x):
    """phi_s = 0 on z = 0, a few mV of spread over the host."""
    return 0.01 * x[2] * (1.0 + 0.5 * ufl.sin(np.pi * x[0]) * ufl.cos(np.pi * x[1])) + 0.002 * x[2] ** 2


def electrolyte_exact(x):
    return 0.02 + 0.01 * ufl.cos(np.pi * x[0]) * ufl.sin(0.5 * np.pi * x[1]) * ufl.exp(x[2])


class Cube:
    """Unit cube, host z < 1/2 and electrolyte above, each a sub-mesh with its P1 space."""

    def __init__(self, n: int, degree: int = 1, comm=MPI.COMM_WORLD):
        msh = mesh.create_unit_cube(comm, n, n, n, ghost_mode=mesh.GhostMode.shared_facet)
        tdim = msh.topology.dim
        msh.topology.create_connectivity(tdim - 1, tdim)
        host_cells = mesh.locate_entities(msh, tdim, lambda x: x[2] <= 0.5 + 1e-12)
        (self.host, hmap), (self.elyte, emap) = gamma.split(msh, host_cells)
        self.entity_maps = [hmap, emap]
        self.parent = msh

        q = {"quadrature_degree": 2 * degree + 4}
        ncells = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
        marker = np.full(ncells, 2, dtype=np.int32)
        marker[host_cells] = 1
        ctags = mesh.meshtags(msh, tdim, np.arange(ncells, dtype=np.int32), marker)
        self.dx = ufl.Measure("dx", domain=msh, subdomain_data=ctags, metadata=q)
        sides = mesh.locate_entities_boundary(
            msh, tdim - 1, lambda x: np.isclose(x[0], 0) | np.isclose(x[0], 1) | np.isclose(x[1], 0) | np.isclose(x[1], 1)
        )
        # a sub-mesh function must only meet cells of its own sub-mesh: one tag per side
        z = mesh.compute_midpoints(msh, tdim - 1, sides)[:, 2]
        values = np.where(z < 0.5, HOST_SIDES, ELECTROLYTE_SIDES).astype(np.int32)
        ftags = mesh.meshtags(msh, tdim - 1, sides, values)
        self.ds = ufl.Measure("ds", domain=msh, subdomain_data=ftags, metadata=q)
        self.dS = gamma.interface_measure(msh, host_cells, metadata=q)
        self.x = ufl.SpatialCoordinate(msh)
        self.n = ufl.FacetNormal(msh)

        self.Vs = fem.functionspace(self.host, ("Lagrange", degree))
        self.V = fem.functionspace(self.elyte, ("Lagrange", degree))
        self.phi_s, self.phi = fem.Function(self.Vs, name="phi_s"), fem.Function(self.V, name="phi")
        self.w_s, self.v = ufl.TestFunction(self.Vs), ufl.TestFunction(self.V)

    def dirichlet(self, space, z, value):
        """phi = value (UFL of the sub-mesh's coordinates, or a number) on the sub-mesh's boundary at height z."""
        sub = space.mesh
        facets = mesh.locate_entities_boundary(sub, 2, lambda x: np.isclose(x[2], z))
        dofs = fem.locate_dofs_topological(space, 2, facets)
        if isinstance(value, float):
            return fem.dirichletbc(value, dofs, space)
        g = fem.Function(space)
        g.interpolate(fem.Expression(value(ufl.SpatialCoordinate(sub)), space.element.interpolation_points))
        return fem.dirichletbc(g, dofs)

    def solve(self, F, bcs, opts=LU):
        problem = NonlinearProblem(
            F, [self.phi, self.phi_s], bcs=bcs, kind="mpi", entity_maps=self.entity_maps,
            petsc_options_prefix=unique_prefix("host_conduction"), petsc_options=opts,
        )
        problem.solve()
        reason = problem.solver.getConvergedReason()
        assert reason > 0, f"Newton failed: reason {reason}"
        return problem.solver.getIterationNumber()


def coupled_forms(c: Cube, sigma_s, kappa, kin):
    """[F_phi, F_phis] of the host|electrolyte pair without sources: bulk conduction and the interface current."""
    i_loc = kin.current(gamma.overpotential(c.phi_s, c.phi))
    F_phi = ohm.conduction(c.phi, c.v, kappa, c.dx(2)) + gamma.electrolyte_inflow(i_loc, c.v, c.dS(1))
    F_phis = ohm.conduction(c.phi_s, c.w_s, sigma_s, c.dx(1)) + gamma.host_outflow(i_loc, c.w_s, c.dS(1))
    return F_phi, F_phis


def solve_mms(n: int, degree: int = 1):
    c = Cube(n, degree)
    x, n_s = c.x, c.n(gamma.HOST)  # n_s: out of the host
    F_phi, F_phis = coupled_forms(c, SIGMA_S, KAPPA, BV)
    ps_e, p_e = host_exact(x), electrolyte_exact(x)
    i_s, i_e = ohm.current_density(ps_e, SIGMA_S), ohm.current_density(p_e, KAPPA)
    # volume sources
    F_phis -= ufl.div(i_s) * c.w_s * c.dx(1)
    F_phi -= ufl.div(i_e) * c.v * c.dx(2)
    # side walls: the exact normal current leaves each domain
    F_phis += ufl.dot(i_s, c.n) * c.w_s * c.ds(HOST_SIDES)
    F_phi += ufl.dot(i_e, c.n) * c.v * c.ds(ELECTROLYTE_SIDES)
    # interface residuals: r_s = sigma_s grad(ps_e).n_s + i_loc(eta_e), r = kappa grad(p_e).n - i_loc(eta_e), n = -n_s
    i_exact = BV.current(ps_e - p_e)
    r_s = SIGMA_S * ufl.dot(ufl.grad(ps_e), n_s) + i_exact
    r = -KAPPA * ufl.dot(ufl.grad(p_e), n_s) - i_exact
    F_phis -= r_s * c.w_s(gamma.HOST) * c.dS(1)
    F_phi -= r * c.v(gamma.ELECTROLYTE) * c.dS(1)
    bcs = [c.dirichlet(c.Vs, 0.0, host_exact), c.dirichlet(c.V, 1.0, electrolyte_exact)]
    its = c.solve([F_phi, F_phis], bcs)
    return field_errors(c.phi_s, host_exact, degree) + field_errors(c.phi, electrolyte_exact, degree) + (its,)


def test_host_conduction_rates():
    results = [solve_mms(n) for n in (4, 8, 16)]
    e = np.array([r[:4] for r in results])
    names = ("host L2", "host H1", "electrolyte L2", "electrolyte H1")
    for k, name in enumerate(names):
        print(f"{name}: errors {e[:, k]} rates {rates(e[:, k])}")
    print("Newton iterations", [r[4] for r in results])
    for k in (0, 2):
        assert rates(e[:, k])[-1] == pytest.approx(2.0, abs=0.2)
    for k in (1, 3):
        assert rates(e[:, k])[-1] == pytest.approx(1.0, abs=0.1)


def plating_distributions(n: int, sigma_s: float):
    """Interface current of the coupled model and of the perfect-conductor model (phi_s = 0), on one cube.

    The electrolyte takes a non-uniform current density through its top (z = 1),
    the host is held at phi_s = 0 on z = 0, the side walls are insulating. The
    perfect-conductor model is the secondary-current problem on the electrolyte
    alone with the electrode (eta = -phi) on z = 1/2. Returns the relative L2
    difference of i_loc over the interface and the coupled model's mean i_loc.
    """
    kappa, kin = 10.0, Kinetics("butler_volmer", 1.0, 0.5, 0.5, 298.15)
    c = Cube(n)
    F_phi, F_phis = coupled_forms(c, sigma_s, kappa, kin)
    xe = ufl.SpatialCoordinate(c.elyte)
    i_app = 2.0 * (1.0 + 0.5 * ufl.cos(np.pi * xe[0]) * ufl.cos(np.pi * xe[1]))
    top = mesh.locate_entities_boundary(c.elyte, 2, lambda x: np.isclose(x[2], 1.0))
    bottom = mesh.locate_entities_boundary(c.elyte, 2, lambda x: np.isclose(x[2], 0.5))
    facets = np.concatenate([top, bottom])
    order = np.argsort(facets)
    tags = mesh.meshtags(c.elyte, 2, facets[order], np.repeat([1, 2], [len(top), len(bottom)]).astype(np.int32)[order])
    ds_e = ufl.Measure("ds", domain=c.elyte, subdomain_data=tags, metadata={"quadrature_degree": 6})
    dx_e = ufl.Measure("dx", domain=c.elyte)

    # the top of the electrolyte sub-mesh as parent facets: the same inflow in the coupled model
    parent_top = mesh.locate_entities_boundary(c.parent, 2, lambda x: np.isclose(x[2], 1.0))
    ds_top = ufl.Measure("ds", domain=c.parent, subdomain_data=[(1, _exterior_entities(c.parent, parent_top))])
    x = c.x
    i_app_parent = 2.0 * (1.0 + 0.5 * ufl.cos(np.pi * x[0]) * ufl.cos(np.pi * x[1]))
    F_phi += ohm.inflow(i_app_parent, c.v, ds_top(1))
    bcs = [c.dirichlet(c.Vs, 0.0, 0.0)]
    opts = LU | {"snes_rtol": 1e-10, "snes_atol": 1e-12}
    c.solve([F_phi, F_phis], bcs, opts)

    # perfect conductor: phi_s = 0, eta = -phi, on the same electrolyte sub-mesh
    phi_pc = fem.Function(c.V)
    F_pc = ohm.conduction(phi_pc, c.v, kappa, dx_e) + ohm.inflow(i_app, c.v, ds_e(1))
    F_pc += ohm.electrode(kin.current(-phi_pc), c.v, ds_e(2))
    problem = NonlinearProblem(F_pc, phi_pc, petsc_options_prefix=unique_prefix("perfect_conductor"), petsc_options=opts)
    problem.solve()
    assert problem.solver.getConvergedReason() > 0

    i_coupled = kin.current(gamma.overpotential(c.phi_s, c.phi))
    i_perfect = kin.current(-phi_pc(gamma.ELECTROLYTE))

    def integral(expr):
        form = fem.form(expr * c.dS(1), entity_maps=c.entity_maps)
        return c.parent.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    diff = np.sqrt(integral((i_coupled - i_perfect) ** 2) / integral(i_perfect**2))
    return diff, integral(i_coupled), integral(i_perfect)


def _exterior_entities(msh, facets):
    """(cell, local facet) pairs of owned exterior facets, flattened."""
    return fem.compute_integration_domains(fem.IntegralType.exterior_facet, msh.topology, facets)


def test_perfect_conductor_limit():
    diff, total, total_pc = plating_distributions(8, sigma_s=1e8)
    print(f"sigma_s = 1e8: relative L2 difference of i_loc {diff:.3e}; totals {total:.6g} vs {total_pc:.6g}")
    assert diff < 1e-5
    assert total == pytest.approx(-2.0, rel=1e-6)  # all the applied current plates (area 1, mean i_app 2)
    # the comparison has teeth: a poorly conducting host does change the distribution
    diff_poor, _, _ = plating_distributions(8, sigma_s=1.0)
    print(f"sigma_s = 1: relative L2 difference {diff_poor:.3e}")
    assert diff_poor > 1e-2


# ---- the pillar-array study with a [host] section (femli.models.host_conduction) -----------------

import json  # noqa: E402

import femli  # noqa: E402
from conftest import PROBLEMS, run_cli  # noqa: E402
from femli.errors import ConfigError  # noqa: E402

# one unit cell, coarse mesh
PILLAR_SMALL = {"geometry.cells": [1, 1], "mesh.size_max": "5 um", "mesh.size_min": "2 um",
                "output.report": False, "output.fields": False}


def _pillar(**changes):
    return femli.load_study(PROBLEMS / "pillar_host.toml").updated(PILLAR_SMALL | changes)


def _key_metrics(m):
    return m["cell"]["separator_potential"], m["deposition"]["coated_share"], m["deposition"]["height_centroid"]


@pytest.fixture(scope="module")
def perfect_conductor_run(tmp_path_factory):
    return femli.run(_pillar(), out=tmp_path_factory.mktemp("pc")).metrics


def test_host_section_schema():
    s = _pillar(host={"material": "Cu"})
    assert s.host.conductivity == pytest.approx(5.96e7)
    assert s.geometry.mesh_host  # set by [host], so the mesh cache key changes with it
    assert s.mesh_hash() != _pillar().mesh_hash()
    assert not s.updated({"host": None}).geometry.mesh_host  # removing [host] goes back to the cut mesh
    with pytest.raises(ConfigError, match="mesh_host"):
        _pillar(**{"geometry.mesh_host": True})
    with pytest.raises(ConfigError, match="conductivity"):
        _pillar(host={"conductivity": "0 S/m"})


def test_host_perfect_conductor_limit(perfect_conductor_run, tmp_path):
    """A very good electronic conductor reproduces the perfect-conductor study."""
    r = femli.run(_pillar(host={"conductivity": 1e8}), out=tmp_path)
    m = r.metrics
    assert m["status"] == "ok"
    assert {"host_bare", "host_coated", "current_collector"} <= set(m["surfaces"])
    assert m["balance"]["relative_error"] < 1e-10
    for got, want in zip(_key_metrics(m), _key_metrics(perfect_conductor_run)):
        assert got == pytest.approx(want, rel=1e-5)


def test_poor_host_plates_low(perfect_conductor_run, tmp_path):
    """A poorly conducting (carbon-like) host draws the deposit down to the collector:
    electrons must travel up the pillar, so plating near its foot is favoured."""
    m = femli.run(_pillar(host={"conductivity": "1e-2 S/m"}), out=tmp_path).metrics
    assert m["status"] == "ok"
    assert m["balance"]["relative_error"] < 1e-10
    v, _, z = _key_metrics(m)
    v_pc, _, z_pc = _key_metrics(perfect_conductor_run)
    print(f"height centroid {z:.4f} (perfect conductor {z_pc:.4f}); separator potential {v:.4g} V ({v_pc:.4g} V)")
    assert z < z_pc - 0.05
    assert v > v_pc  # the host's resistance adds to the cell's


def test_host_conduction_one_vs_two_ranks(tmp_path):
    args = ["run", PROBLEMS / "pillar_host.toml", "--set", "geometry.cells=[1, 1]", "--set", "mesh.size_max='5 um'",
            "--set", "mesh.size_min='2 um'", "--set", "output.report=false", "--set", "host.conductivity='1e-2 S/m'"]
    results = []
    for nproc in (1, 2):
        out = tmp_path / f"np{nproc}"
        proc = run_cli([*args, "--out", out], nproc=nproc)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        results.append(json.loads((out / "metrics.json").read_text()))
    one, two = results
    assert two["mesh"]["mpi_size"] == 2
    for a, b in zip(_key_metrics(one), _key_metrics(two)):
        assert a == pytest.approx(b, rel=1e-8)


def test_conductivity_gradient_pushes_plating_down(tmp_path):
    """A host whose conductivity falls toward the separator (100x at the top) plates lower
    than the same host at its bottom conductivity everywhere (0.1 S/m: centroid 0.168 -> 0.149)."""
    import femli
    from conftest import PROBLEMS

    base = femli.load_study(PROBLEMS / "pillar_host.toml").updated(
        {"geometry.cells": [1, 1], "mesh.size_max": "5 um", "mesh.size_min": "2 um", "output.fields": False,
         "output.report": False, "host": {"conductivity": "0.1 S/m"}})
    uniform = femli.run(base, out=tmp_path / "u").metrics
    graded = femli.run(base.updated({"host.conductivity_profile": [[0.0, 1.0], [1.0, 0.01]], "output.fields": True}),
                       out=tmp_path / "g").metrics
    # phi_s and the graded conductivity inside the host go to ParaView
    host_fields = (tmp_path / "g" / "fields" / "host.xdmf").read_text()
    assert 'Name="host_potential"' in host_fields and 'Name="host_potential_conductivity"' in host_fields
    assert graded["deposition"]["height_centroid"] < uniform["deposition"]["height_centroid"] - 0.01
    assert graded["balance"]["relative_error"] < 1e-8
    assert graded["cell"]["separator_potential"] > uniform["cell"]["separator_potential"]
