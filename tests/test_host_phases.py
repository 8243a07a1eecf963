"""[phases] with [host]: the ion conductor made of several volumes beside a meshed host.

A layered box through femli's host-conduction model (femli.models.host_conduction)
on a hand-made mesh bundle: host z < L/3 (sigma_s), electrolyte L/3 < z < 2L/3
(kappa), a resistive phase above it (kappa_p, e.g. a resolved separator layer),
Butler-Volmer on the host|electrolyte interface. The solution is 1D, so P1 is
exact: the separator potential must be i (L/3)(1/sigma_s + 1/kappa + 1/kappa_p)
+ 2RT/F asinh(i / 2 i0), and each phase carries the current of its volume share.
"""

import math

import numpy as np
import pytest
from dolfinx import mesh as dmesh
from mpi4py import MPI

import femli
from femli.analysis.run_metrics import phase_metrics
from femli.geometry import GeometryInfo
from femli.mesh import MeshBundle
from femli.models import create_model
from femli.physics.constants import thermal_voltage

L = 30e-6
SIGMA_S, KAPPA, KAPPA_P, I_APP, I0 = 0.5, 1.0, 0.2, 20.0, 10.0
NAMES = {"host": (3, 1), "electrolyte": (3, 2), "separator_layer": (3, 3),
         "host_bare": (2, 4), "host_collector": (2, 5), "separator": (2, 6)}


def layered_bundle(comm=MPI.COMM_WORLD) -> MeshBundle:
    msh = dmesh.create_box(comm, [[0, 0, 0], [L / 3, L / 3, L]], [2, 2, 9], ghost_mode=dmesh.GhostMode.shared_facet)
    tdim = msh.topology.dim
    msh.topology.create_entities(tdim - 1)
    n = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    cells = np.arange(n, dtype=np.int32)
    z = dmesh.compute_midpoints(msh, tdim, cells)[:, 2]
    values = np.select([z < L / 3, z < 2 * L / 3], [1, 2], 3).astype(np.int32)
    where = {4: L / 3, 5: 0.0, 6: L}
    facets = {t: dmesh.locate_entities(msh, tdim - 1, lambda x, h=h: np.isclose(x[2], h)) for t, h in where.items()}
    idx = np.concatenate(list(facets.values()))
    val = np.concatenate([np.full(len(f), t, np.int32) for t, f in facets.items()])
    order = np.argsort(idx)
    info = GeometryInfo(bounds=((0, 0, 0), (L / 3, L / 3, L)), z_collector=0.0, z_separator=L)
    return MeshBundle(msh, dmesh.meshtags(msh, tdim, cells, values), dmesh.meshtags(msh, tdim - 1, idx[order], val[order]),
                      dict(NAMES), info, {}, "layered", False, {})


def test_host_with_a_resistive_phase():
    study = femli.study_from_dict({
        "geometry": {"kind": "pillar_array", "pitch": "20 um", "pillar_radius": "4 um", "pillar_height": "10 um", "gap": "10 um"},
        "host": {"conductivity": SIGMA_S},
        "electrolyte": {"conductivity": KAPPA},
        "phases": {"separator_layer": {"conductivity": KAPPA_P}},
        "kinetics": {"host_bare": {"exchange_current_density": I0, "alpha_a": 0.5, "alpha_c": 0.5, "material": None}},
        "operating": {"current_density": I_APP},
    })
    model = create_model(study, layered_bundle())
    model.solve()
    ds = model.counter_measure()
    V = model.integral(model.phi * ds) / model.integral(1.0 * ds)
    exact = I_APP * L / 3 * (1 / SIGMA_S + 1 / KAPPA + 1 / KAPPA_P) + 2 * thermal_voltage(298.15) * math.asinh(I_APP / (2 * I0))
    assert V == pytest.approx(exact, rel=1e-8)
    plated = model.integral(model.plating_current("host_bare") * model.surface_measure("host_bare"))
    assert plated == pytest.approx(model.applied_current(), rel=1e-9)
    power = model.power_split()
    assert (power["ohmic"] + power["charge_transfer"]) / model.applied_current() ** 2 == pytest.approx(
        V / model.applied_current(), rel=1e-8)
    phases = phase_metrics(model, MPI.COMM_WORLD)
    assert set(phases) == {"electrolyte", "separator_layer"}
    for p in phases.values():  # 1D: every layer carries the whole current, so its volume share
        assert p["volume_fraction"] == pytest.approx(0.5, rel=1e-12)
        assert p["current_enhancement"] == pytest.approx(1.0, rel=1e-8)
