"""Compose a femli model from physics pieces, without a geometry builder (docs/architecture.md).

A 20 um cube: a host slab (sigma_s, z < 10 um) under an electrolyte (kappa), Butler-Volmer
on the interface z = 10 um, phi_s = 0 on the collector z = 0, a plating current density
i_app entering at the separator z = 20 um. The solution is 1D, so P1 is exact and the
separator potential must equal i L_e / kappa + i L_s / sigma_s + 2 RT/F asinh(i / (2 i0)).

    .venv/bin/python docs/examples/compose_model.py
"""

from types import SimpleNamespace

import numpy as np
from mpi4py import MPI  # before dolfinx: mpi4py loads the MPI library dolfinx links to
from dolfinx import fem, mesh as dmesh

from femli.config import Solver
from femli.core.domains import Domain
from femli.core.fields import Field
from femli.core.model import Drive, Model
from femli.physics.conduction import Conduction, Inflow
from femli.physics.constants import thermal_voltage
from femli.physics.electrode import InterfaceElectrode
from femli.physics.kinetics import Kinetics
from femli.solvers import petsc_options

L, KAPPA, SIGMA_S, I_APP, T = 20e-6, 1.0, 0.5, 20.0, 298.15  # m, S/m, S/m, A/m^2, K
BV = Kinetics("butler_volmer", exchange_current_density=10.0, alpha_a=0.5, alpha_c=0.5, temperature=T)

# ---- a MeshBundle-like object: mesh, cell and facet tags, names -> (dim, tag) ----------------------
msh = dmesh.create_box(MPI.COMM_WORLD, [[0, 0, 0], [L, L, L]], [4, 4, 8], ghost_mode=dmesh.GhostMode.shared_facet)
tdim = msh.topology.dim
msh.topology.create_entities(tdim - 1)
names = {"host": (3, 1), "electrolyte": (3, 2), "host_bare": (2, 3), "host_collector": (2, 4), "separator": (2, 5)}
n_cells = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
cells = np.arange(n_cells, dtype=np.int32)
host_cells = dmesh.locate_entities(msh, tdim, lambda x: x[2] < 0.5 * L + 1e-12)
cell_values = np.where(np.isin(cells, host_cells), 1, 2).astype(np.int32)
facet_sets = [(3, lambda x: np.isclose(x[2], 0.5 * L)), (4, lambda x: np.isclose(x[2], 0.0)), (5, lambda x: np.isclose(x[2], L))]
facets = [dmesh.locate_entities(msh, tdim - 1, where) for _, where in facet_sets]
order = np.argsort(np.concatenate(facets))
bundle = SimpleNamespace(
    mesh=msh, names=names,
    cell_tags=dmesh.meshtags(msh, tdim, cells, cell_values),
    facet_tags=dmesh.meshtags(msh, tdim - 1, np.concatenate(facets)[order],
                              np.concatenate([np.full(len(f), t, np.int32) for (t, _), f in zip(facet_sets, facets)])[order]),
)

# ---- the composition: what femli/models/host_conduction.py does for a real host -----------------
domain = Domain(bundle, separate=("host",))
electrolyte, host = domain.volumes["electrolyte"], domain.volumes["host"]
phi = Field("potential", electrolyte, degree=1, conductivity=KAPPA)
phi_s = Field("host_potential", host, degree=1, conductivity=SIGMA_S)
q = {"quadrature_degree": 4}
trace = fem.Function(phi.space, name="host_potential_trace")  # phi_s seen from the electrolyte
i_app = fem.Constant(msh, 0.0)  # the continuation scales it to I_APP
pieces = [
    Conduction(phi, KAPPA, domain.dx(electrolyte.tags)),
    Conduction(phi_s, SIGMA_S, domain.dx(host.tags)),
    Inflow(phi, i_app, domain.ds()(names["separator"][1])),
    InterfaceElectrode("host_bare", names["host_bare"][1], lambda _msh: BV, phi_s, phi,
                       domain.interface("host", [names["host_bare"][1]], q), electrolyte.measure("ds", q), trace),
]
bcs = [fem.dirichletbc(0.0, phi_s.tagged_dofs(names["host_collector"][1]), phi_s.space)]
study = SimpleNamespace(solver=Solver(continuation_steps=1))  # Model reads only solver.continuation_steps
options = petsc_options(study.solver, ("potential", "host_potential"), linear=all(p.linear for p in pieces))
model = Model("example", study, bundle, domain, [phi, phi_s], pieces, bcs,
              Drive(True, i_app, I_APP, names["separator"][1]), options)
model.after_solve.append(lambda: domain.transfer(phi_s.u, trace))
stats = model.solve()

# ---- what analysis asks of any model ---------------------------------------------------------
area = model.integral(1.0 * model.counter_measure())
V = model.integral(model.phi * model.counter_measure()) / area
plated = model.integral(model.plating_current("host_bare") * model.surface_measure("host_bare"))
power, I = model.power_split(), model.applied_current()  # collective: every rank calls
exact = I_APP * (0.5 * L / KAPPA + 0.5 * L / SIGMA_S) + 2 * thermal_voltage(T) * np.arcsinh(I_APP / (2 * BV.exchange_current_density))
if MPI.COMM_WORLD.rank == 0:
    print(f"{model.dofs()} dofs, {stats.newton_iterations} Newton / {stats.krylov_iterations} Krylov iterations")
    print(f"separator potential {V * 1e3:.6f} mV, closed form {exact * 1e3:.6f} mV, relative error {abs(V - exact) / exact:.1e}")
    print(f"applied {I:.6e} A, plated {plated:.6e} A")
    print(f"R_ohmic + R_ct = {(power['ohmic'] + power['charge_transfer']) / I**2:.6e} Ohm, "
          f"V / I = {V / I:.6e} Ohm")
