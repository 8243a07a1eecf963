"""The pillar-host study end to end: output contract, exact charge conservation,
the physics trend of the secondary distribution, and 1 vs 2 MPI ranks."""

import json
import math

import pytest

import femli
from conftest import PROBLEMS, run_one_and_two

# one unit cell, coarse mesh: seconds, not minutes
SMALL = {"geometry.cells": [1, 1], "mesh.size_max": "5 um", "mesh.size_min": "2 um", "output.report": False}


@pytest.fixture(scope="module")
def small_study():
    return femli.load_study(PROBLEMS / "pillar_host.toml").updated(SMALL)


@pytest.fixture(scope="module")
def small_run(small_study, tmp_path_factory):
    return femli.run(small_study, out=tmp_path_factory.mktemp("run"))


def test_output_contract(small_run):
    m = small_run.metrics
    assert m["status"] == "ok"
    for name in ("host_bare", "host_coated", "current_collector"):
        s = m["surfaces"][name]
        for key in ("area", "total_current", "mean", "max", "max_over_mean", "cv", "area_fraction_above_2x_mean", "hot_spots"):
            assert key in s
        assert s["max"] >= s["mean"] > 0
    assert 0 < m["deposition"]["height_centroid"] < 1
    assert 0 < m["deposition"]["coated_share"] < 1
    assert m["solver"]["converged"] and m["solver"]["newton_iterations"] >= 2
    for stage in ("geometry", "mesh", "assemble", "solve", "output"):
        assert stage in m["timing"]
    assert m["mesh"]["mpi_size"] == 1 and m["mesh"]["dofs"] > 1000
    out = small_run.out
    assert json.loads((out / "metrics.json").read_text())["status"] == "ok"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["study"]["operating"]["current_density"] == pytest.approx(20.0)
    assert (out / "fields" / "volume.xdmf").is_file() and (out / "fields" / "electrode_surface.xdmf").is_file()


def test_charge_conservation(small_run, small_study):
    """Plated current equals applied current to solver tolerance (no global unknown needed)."""
    b = small_run.metrics["balance"]
    ux, uy = small_study.geometry.unit_cell
    assert b["applied_current"] == pytest.approx(20.0 * ux * uy, rel=1e-12)
    assert b["relative_error"] < 1e-8


def test_coated_share_matches_area_and_kinetics(small_run):
    """Coated share is the coated surface's integrated current over the total."""
    m = small_run.metrics
    total = sum(s["total_current"] for s in m["surfaces"].values())
    assert m["deposition"]["coated_share"] == pytest.approx(m["surfaces"]["host_coated"]["total_current"] / total, rel=1e-12)


def _cv(study, i0, tmp):
    kin = {f"kinetics.{n}.exchange_current_density": i0 for n in ("host_bare", "host_coated", "current_collector")}
    kin |= {f"kinetics.{n}.model": "linear" for n in ("host_bare", "host_coated", "current_collector")}
    m = femli.run(study.updated(kin | {"output.fields": False}), out=tmp).metrics
    cvs = [m["surfaces"][n]["cv"] for n in ("host_bare", "host_coated", "current_collector")]
    areas = [m["surfaces"][n]["area"] for n in ("host_bare", "host_coated", "current_collector")]
    return m, sum(c * a for c, a in zip(cvs, areas)) / sum(areas)


def test_wagner_number_trend(small_study, tmp_path):
    """Slow kinetics (large Wagner number Wa = kappa R_ct / L) make the current uniform;
    fast kinetics approach the non-uniform primary distribution."""
    slow, cv_slow = _cv(small_study, 1e-3, tmp_path / "slow")
    fast, cv_fast = _cv(small_study, 1e3, tmp_path / "fast")
    assert cv_slow < 0.01  # Wa = kappa R_ct / L ~ 6e5: uniform to 1 %
    assert cv_fast > 10 * cv_slow
    # uniform current: the deposition centroid is the area-weighted mean height of the electrode surface
    g = small_study.geometry
    r, h, p = g.pillar_radius, g.pillar_height, g.pitch
    side, top, plate = 2 * math.pi * r * h, math.pi * r**2, p * p - math.pi * r**2
    uniform = (side * h / 2 + top * h) / ((side + top + plate) * g.height)
    assert slow["deposition"]["height_centroid"] == pytest.approx(uniform, rel=0.02)
    # fast kinetics draw the current to the pillar tops, nearest the separator
    assert fast["deposition"]["height_centroid"] > slow["deposition"]["height_centroid"] + 0.05


def test_resistance_split_is_exact(small_run):
    """Ohmic plus interfacial dissipation equals the power delivered at the counter boundary."""
    c = small_run.metrics["cell"]
    assert c["resistance_ohmic"] > 0 and c["resistance_charge_transfer"] > 0
    assert c["resistance_ohmic"] + c["resistance_charge_transfer"] == pytest.approx(c["resistance"], rel=1e-8)


def test_potentiostatic_matches_galvanostatic(small_run, small_study, tmp_path):
    """Holding the separator at the galvanostatic run's mean potential draws (nearly) the same
    current; the charge balance, now from the consistent counter current, still closes exactly."""
    v = small_run.metrics["cell"]["separator_potential"]
    change = {"operating.mode": "potentiostatic", "operating.voltage": v, "operating.current_density": None, "output.fields": False}
    m = femli.run(small_study.updated(change),
                  out=tmp_path).metrics
    # Newton starts from phi = 0 inside and V on the counter: a large first residual, so
    # newton_rtol = 1e-10 leaves a (still tiny) imbalance of order 1e-8
    assert m["balance"]["relative_error"] < 1e-7
    assert m["cell"]["applied_current"] == pytest.approx(small_run.metrics["cell"]["applied_current"], rel=2e-3)
    assert m["cell"]["resistance_ohmic"] + m["cell"]["resistance_charge_transfer"] == pytest.approx(m["cell"]["resistance"], rel=1e-7)


def test_nucleation_barrier_moves_plating_to_the_coating(small_study, tmp_path):
    """Bare Cu with its ~40 mV nucleation barrier stays nearly inactive at a current whose
    overpotential stays below the barrier: plating goes to the lithiophilic coating."""
    change = {f"kinetics.{n}.material": "li_on_cu" for n in ("host_bare", "current_collector")}
    change |= {"kinetics.host_coated.material": "li_on_au", "kinetics.host_coated.exchange_current_density": 5.0,
               "operating.current_density": "0.5 mA/cm^2", "output.fields": False}
    m = femli.run(small_study.updated(change), out=tmp_path).metrics
    assert m["deposition"]["coated_share"] > 0.95
    assert m["balance"]["relative_error"] < 1e-8
    # without the barrier the same i0 everywhere spreads plating by area: the coating takes ~its area share
    m0 = femli.run(small_study.updated({**change, **{f"kinetics.{n}.nucleation_overpotential": 0.0 for n in ("host_bare", "current_collector")}}),
                   out=tmp_path / "nobarrier").metrics
    assert m0["deposition"]["coated_share"] < 0.3


def test_uncoated_host(small_study, tmp_path):
    """Coating fraction 0: no coated surface exists; its kinetics entry is simply unused."""
    m = femli.run(small_study.updated({"geometry.coating.bottom_fraction": 0.0, "output.fields": False}), out=tmp_path).metrics
    assert "host_coated" not in m["surfaces"] and m["deposition"]["coated_share"] is None
    assert m["balance"]["relative_error"] < 1e-8


@pytest.mark.mpi
def test_two_ranks_match_one(tmp_path):
    m1, m2 = run_one_and_two(PROBLEMS / "pillar_host.toml", SMALL, tmp_path)
    assert m1["mesh"]["cells"] == m2["mesh"]["cells"]
    for name, s1 in m1["surfaces"].items():
        s2 = m2["surfaces"][name]
        for key in ("area", "total_current", "mean", "max", "cv", "area_fraction_above_2x_mean"):
            assert s2[key] == pytest.approx(s1[key], rel=1e-7, abs=1e-12), (name, key)
        assert len(s2["hot_spots"]) == len(s1["hot_spots"])
    for key in ("height_centroid", "coated_share"):
        assert m2["deposition"][key] == pytest.approx(m1["deposition"][key], rel=1e-8)
    assert m2["cell"]["separator_potential"] == pytest.approx(m1["cell"]["separator_potential"], rel=1e-8)


def test_pillar_porosity_and_specific_area(small_run, small_study):
    """Measured on the built geometry against the closed forms of one unit cell."""
    g, m = small_study.geometry, small_run.metrics["geometry"]
    r, h, p = g.pillar_radius, g.pillar_height, g.pitch
    assert m["porosity"] == pytest.approx(1 - math.pi * r**2 / p**2, rel=1e-6)
    assert m["specific_area"] == pytest.approx((2 * math.pi * r * h + math.pi * r**2) / (p * p * h), rel=1e-3)
