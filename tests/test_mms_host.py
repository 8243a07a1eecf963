"""Manufactured solutions for host conduction on real host geometries.

The coupled problem (femli.models.host_conduction's pieces: conduction in the
electrolyte and in the host, Butler-Volmer across every host surface) on a
meshed host from femli's own builders, uniformly refined twice so every mesh
has the same polyhedral domain. Smooth exact potentials phi_e (electrolyte) and
phi_s,e (host, 0 on the collector) in cell-size coordinates xi = x / L; the
sources, the normal currents on the outer walls and the interface mismatch
r = i_loc(eta_e) - (exact normal current) are computed from them with the
discrete facet normals, so phi_e and phi_s,e solve the discrete-domain problem
exactly and the observed rates must be optimal for P1 (L2 2, H1 1) and P2
(L2 3, H1 2), with curved host surfaces, fiber crossings and pore windows.
"""

import dataclasses

import numpy as np
import pytest
import ufl
from dolfinx import fem, mesh as dmesh
from mpi4py import MPI

from femli.core.domains import Domain
from femli.core.fields import Field
from femli.core.problem import CoupledProblem
from femli.config import Solver
from femli.geometry import MeshOptions
from femli.mesh import build_mesh
from femli.physics import conduction as ohm
from femli.physics import interface as gamma
from femli.physics.conduction import Conduction
from femli.physics.electrode import InterfaceElectrode
from femli.physics.kinetics import Kinetics
from femli.solvers import petsc_options
from mms import field_errors, rates

KAPPA, SIGMA_S = 1.0, 20.0  # S/m: a poor (carbon-like) host, so phi_s varies
BV = Kinetics("butler_volmer", exchange_current_density=50.0, alpha_a=0.5, alpha_c=0.5, temperature=298.15)

HOSTS = {
    "fiber_mat": {"kind": "fiber_mat", "footprint": ["30 um", "30 um"], "host_height": "20 um", "gap": "10 um",
                  "fiber_diameter": "7 um", "fiber_count": 4, "seed": 3},
    "open_foam": {"kind": "open_foam", "footprint": ["30 um", "30 um"], "host_height": "20 um", "gap": "10 um",
                  "pore_diameter": "10 um", "porosity": 0.5, "seed": 1},
}


def _spec(kind):
    from femli.config import study_from_dict

    s = study_from_dict({"geometry": HOSTS[kind], "host": {"conductivity": SIGMA_S},
                         "kinetics": {"host_bare": {}, "current_collector": {}}})
    return s.geometry


_coarse = {}


def coarse(kind, cache_dir):
    """The coarse host mesh of ``kind`` (built once per session)."""
    if kind not in _coarse:
        options = MeshOptions(size_max=8e-6, size_min=4e-6, growth_distance=8e-6)
        _coarse[kind] = build_mesh(_spec(kind), options, MPI.COMM_WORLD, key=f"mms_{kind}", cache_dir=cache_dir, use_cache=False)
    return _coarse[kind]


def refined(bundle, times: int):
    for _ in range(times):
        bundle.mesh.topology.create_entities(1)
        msh, cells, facets = dmesh.refine(bundle.mesh, option=dmesh.RefinementOption.parent_cell_and_facet)
        msh.topology.create_entities(2)
        bundle = dataclasses.replace(bundle, mesh=msh,
                                     cell_tags=dmesh.transfer_meshtag(bundle.cell_tags, msh, cells),
                                     facet_tags=dmesh.transfer_meshtag(bundle.facet_tags, msh, cells, facets))
    return bundle


def solve_mms(bundle, degree):
    domain = Domain(bundle, separate=("host",))
    elyte, host = domain.volumes["electrolyte"], domain.volumes["host"]
    phi, phi_s = Field("potential", elyte, degree), Field("host_potential", host, degree)
    (x0, y0, z0), (x1, y1, z1) = bundle.info.bounds
    L = max(x1 - x0, y1 - y0, z1 - z0)

    def electrolyte_exact(x):
        xi = [c / L for c in x]
        return 0.02 + 0.01 * ufl.cos(np.pi * xi[0]) * ufl.sin(0.5 * np.pi * xi[1]) * ufl.exp(xi[2])

    def host_exact(x):
        xi = [c / L for c in x]
        return 0.01 * xi[2] * (1.0 + 0.5 * ufl.sin(np.pi * xi[0]) * ufl.cos(np.pi * xi[1])) + 0.002 * xi[2] ** 2

    msh = bundle.mesh
    q = {"quadrature_degree": 2 * degree + 4}
    x, n = ufl.SpatialCoordinate(msh), ufl.FacetNormal(msh)
    p_e, ps_e = electrolyte_exact(x), host_exact(x)
    i_e, i_s = ohm.current_density(p_e, KAPPA), ohm.current_density(ps_e, SIGMA_S)
    interface_tags = [bundle.tag(name) for name in ("host_bare", "host_coated") if name in bundle.names]
    dS = domain.interface("host", interface_tags, q)
    dx = ufl.Measure("dx", domain=msh, subdomain_data=bundle.cell_tags, metadata=q)
    trace = fem.Function(phi.space)
    pieces = [Conduction(phi, KAPPA, dx(elyte.tags)), Conduction(phi_s, SIGMA_S, dx(host.tags))]
    pieces += [InterfaceElectrode(f"s{t}", t, lambda _m: BV, phi_s, phi, dS, None, trace) for t in interface_tags]

    # outer walls of each volume (a sub-mesh's test function must only meet its own cells)
    walls = _outer_walls(bundle, domain, exclude=("separator", "host_collector"))
    ds = ufl.Measure("ds", domain=msh, subdomain_data=walls, metadata=q)
    n_s = n(gamma.HOST)  # out of the host, into the electrolyte
    i_exact = BV.current(ps_e - p_e)
    r_s = SIGMA_S * ufl.dot(ufl.grad(ps_e), n_s) + i_exact
    r = -KAPPA * ufl.dot(ufl.grad(p_e), n_s) - i_exact
    F_extra = {phi: -ufl.div(i_e) * phi.test * dx(elyte.tags) + ufl.dot(i_e, n) * phi.test * ds(1),
               phi_s: -ufl.div(i_s) * phi_s.test * dx(host.tags) + ufl.dot(i_s, n) * phi_s.test * ds(2)}
    for t in interface_tags:
        F_extra[phi] -= r * phi.test(gamma.ELECTROLYTE) * dS(t)
        F_extra[phi_s] -= r_s * phi_s.test(gamma.HOST) * dS(t)

    class Manufactured:  # the data terms, as one more (linear) piece
        linear = True

        def residual(self):
            return F_extra

    bcs = [_dirichlet(phi, bundle.tag("separator"), electrolyte_exact), _dirichlet(phi_s, bundle.tag("host_collector"), host_exact)]
    opts = petsc_options(Solver(newton_rtol=1e-12, krylov_rtol=1e-12), ("potential", "host_potential"))
    problem = CoupledProblem([phi, phi_s], pieces + [Manufactured()], bcs, opts, "mms_host", domain.entity_maps)
    stats = problem.solve(lambda s: None)
    return field_errors(phi.u, electrolyte_exact, degree) + field_errors(phi_s.u, host_exact, degree) + (stats,)


def _outer_walls(bundle, domain, exclude):
    """Exterior facets tagged 1 (electrolyte cell) or 2 (host cell), without the Dirichlet surfaces."""
    msh = bundle.mesh
    tdim = msh.topology.dim
    facets = dmesh.exterior_facet_indices(msh.topology)
    skip = np.concatenate([bundle.facet_tags.find(bundle.tag(n)) for n in exclude])
    facets = np.setdiff1d(facets, skip)
    f2c = msh.topology.connectivity(tdim - 1, tdim)
    cell = np.array([f2c.links(f)[0] for f in facets], dtype=np.int32)
    is_host = np.isin(cell, domain.volumes["host"].parent_cells)
    return dmesh.meshtags(msh, tdim - 1, facets, np.where(is_host, 2, 1).astype(np.int32))


def _dirichlet(field, tag, exact):
    g = fem.Function(field.space)
    g.interpolate(fem.Expression(exact(ufl.SpatialCoordinate(field.space.mesh)), field.space.element.interpolation_points))
    return fem.dirichletbc(g, field.tagged_dofs(tag))


# P2 on three levels costs ~90 s: on the fiber mat only (the harder geometry: fiber crossings)
@pytest.mark.parametrize("kind, degree", [("fiber_mat", 1), ("fiber_mat", 2), ("open_foam", 1)])
def test_host_conduction_rates_on_host_geometry(kind, degree, tmp_path):
    bundle, levels = coarse(kind, tmp_path), (0, 1, 2)
    results = [solve_mms(refined(bundle, k), degree) for k in levels]
    e = np.array([r[:4] for r in results])
    its = [(r[4].newton_iterations, r[4].krylov_iterations) for r in results]
    expect = {"L2": degree + 1, "H1": degree}
    for k, name in enumerate(("electrolyte L2", "electrolyte H1", "host L2", "host H1")):
        observed = rates(e[:, k])
        print(f"{kind} P{degree} {name}: errors {e[:, k]} rates {observed}; Newton/Krylov {its}")
        assert observed[-1] == pytest.approx(expect[name.split()[1]], abs=0.25)
