"""Finite host conduction ([host]) on every host kind femli builds.

* sigma_s -> infinity: a host of 1e8 S/m reproduces the perfect-conductor study
  (same geometry, host not meshed) on pillars, channels, fibers, foams and screens;
* the worked studies problems/fiber_host_conduction.toml and
  foam_host_conduction.toml (1 S/m, with coatings) conserve charge and plate
  lower than with a perfect host, as electrons must climb the host;
* 1 and 2 MPI ranks give the same answers.
"""

import pytest

import femli
from conftest import PROBLEMS, run_one_and_two

COARSE = {"mesh.size_min": "3 um", "mesh.size_max": "6 um", "output.report": False, "output.fields": False}
KINDS = ["pillar_host", "channel_host", "fiber_host", "foam_host", "screen_host"]


def _key(m):
    return m["cell"]["separator_potential"], m["deposition"]["height_centroid"]


@pytest.mark.parametrize("name", KINDS)
def test_perfect_conductor_limit(name, tmp_path):
    study = femli.load_study(PROBLEMS / f"{name}.toml").updated(COARSE)
    perfect = femli.run(study, out=tmp_path / "pc").metrics
    host = femli.run(study.updated({"host": {"conductivity": 1e8}}), out=tmp_path / "host").metrics
    assert host["status"] == "ok" and host["balance"]["relative_error"] < 1e-8
    assert set(host["surfaces"]) == set(perfect["surfaces"])
    for got, want in zip(_key(host), _key(perfect)):
        print(f"{name}: sigma_s = 1e8 {got:.8g}, perfect conductor {want:.8g}")
        assert got == pytest.approx(want, rel=2e-3)


@pytest.fixture(scope="module", params=["fiber_host_conduction", "foam_host_conduction"])
def finite_and_perfect(request, tmp_path_factory):
    study = femli.load_study(PROBLEMS / f"{request.param}.toml").updated(COARSE)
    out = tmp_path_factory.mktemp(request.param)
    return request.param, femli.run(study, out=out / "finite").metrics, femli.run(study.updated({"host": None}), out=out / "pc").metrics


def test_finite_host_study(finite_and_perfect):
    name, finite, perfect = finite_and_perfect
    assert finite["status"] == "ok" and finite["balance"]["relative_error"] < 1e-8
    assert "host_coated" in finite["surfaces"] and finite["deposition"]["coated_share"] > 0
    (v, z), (v_pc, z_pc) = _key(finite), _key(perfect)
    print(f"{name}: centroid {z:.4f} (perfect host {z_pc:.4f}), separator potential {v:.5g} V ({v_pc:.5g} V)")
    assert z < z_pc  # electrons climb the host: plating moves towards the collector
    assert v > v_pc  # and the host's resistance adds to the cell's
    assert finite["solver"]["krylov_per_newton"] < 40  # fieldsplit + GAMG stays effective


@pytest.mark.mpi
@pytest.mark.parametrize("name", ["fiber_host_conduction", "foam_host_conduction"])
def test_one_vs_two_ranks(name, tmp_path):
    m1, m2 = run_one_and_two(PROBLEMS / f"{name}.toml", COARSE, tmp_path)
    for a, b in zip(_key(m1), _key(m2)):
        assert b == pytest.approx(a, rel=1e-7)
    for surface, s1 in m1["surfaces"].items():
        for key in ("area", "total_current", "max"):
            assert m2["surfaces"][surface][key] == pytest.approx(s1[key], rel=1e-6), (surface, key)
