"""Coatings applied to host facets after meshing: coverage, several materials, insulating coats, MPI."""


import pytest

import femli
from conftest import PROBLEMS, run_one_and_two

COARSE = {"geometry.cells": [1, 1], "mesh.size_max": "4 um", "mesh.size_min": "1 um",
          "output.fields": False, "output.report": False}
RANDOM_AU = {"surface": "host_coated_au", "pattern": "random", "coverage": 0.3, "radius": "2.5 um", "seed": 3}


def pillar(**changes):
    base = femli.load_study(PROBLEMS / "pillar_host.toml").updated(COARSE)
    return base.updated({"geometry.coating": {"bands": []}, **changes})


def test_random_coverage_matches_request(tmp_path):
    s = pillar(coatings=[RANDOM_AU], **{"kinetics.host_coated_au": {"material": "li_on_au"}, "kinetics.host_coated": None})
    m = femli.run(s, out=tmp_path).metrics
    assert m["geometry"]["coatings[0].coverage"] == pytest.approx(0.3, rel=0.03)
    coated, other = m["surfaces"]["host_coated_au"]["area"], m["surfaces"]["host_bare"]["area"] + m["surfaces"]["current_collector"]["area"]
    assert m["geometry"]["coated_area_fraction"] == pytest.approx(coated / (coated + other), rel=1e-9)
    assert {"host_bare", "host_coated_au", "current_collector"} <= set(m["surfaces"])
    assert m["balance"]["relative_error"] < 1e-8


def test_two_materials_and_an_insulating_top_coat(tmp_path):
    coats = [
        {"surface": "host_coated_au", "pattern": "band", "z_min": 0.0, "z_max": 0.3},
        {"surface": "host_coated_ag", "pattern": "dots", "radius": "2 um", "spacing": "8 um"},
        {"surface": "host_coated_sio2", "pattern": "band", "z_min": 0.8, "z_max": 1.0, "on": ["host_bare", "host_coated_ag"]},
    ]
    kin = {"kinetics.host_coated": None, "kinetics.host_coated_au": {"material": "li_on_au"},
           "kinetics.host_coated_ag": {"material": "li_on_au", "exchange_current_density": 10.0},
           "kinetics.host_coated_sio2": {"model": "insulating"}}
    m = femli.run(pillar(coatings=coats, **kin), out=tmp_path).metrics
    assert "host_coated_sio2" not in m["surfaces"]  # insulating: carries no current
    assert {"host_coated_au", "host_coated_ag", "host_bare"} <= set(m["surfaces"])
    assert 0 < m["geometry"]["coatings[1].coverage"] < 1
    assert m["balance"]["relative_error"] < 1e-8
    # the band rule reproduces the geometric band: 30 % of the pillar side (its top is not in [0, 0.3])
    side = m["surfaces"]["host_coated_au"]["area"]
    g = femli.load_study(PROBLEMS / "pillar_host.toml").geometry
    assert side == pytest.approx(0.3 * 2 * 3.141592653589793 * g.pillar_radius * g.pillar_height, rel=0.03)


def test_coating_needs_kinetics_and_a_host():
    with pytest.raises(femli.ConfigError, match="host_coated_au"):
        pillar(coatings=[RANDOM_AU])
    with pytest.raises(femli.ConfigError, match="named host_coated"):
        pillar(coatings=[RANDOM_AU | {"surface": "gold"}])


@pytest.mark.mpi
def test_random_coating_is_partition_independent(tmp_path):
    changes = COARSE | {"geometry.coating": {}, "coatings": [RANDOM_AU], "kinetics.host_coated_au": {"material": "li_on_au"},
                        "kinetics.host_coated": None}
    m1, m2 = run_one_and_two(PROBLEMS / "pillar_host.toml", changes, tmp_path)
    assert m2["geometry"]["coatings[0].coverage"] == pytest.approx(m1["geometry"]["coatings[0].coverage"], rel=1e-12)
    for key in ("area", "total_current", "max"):
        assert m2["surfaces"]["host_coated_au"][key] == pytest.approx(m1["surfaces"]["host_coated_au"][key], rel=1e-7)


def test_graded_exchange_current(tmp_path):
    """Slow linear kinetics (Wa >> 1): the overpotential is nearly uniform, so the local
    current follows i0(z) = i0 (1 - 0.9 h) on the pillar side, h = z / pillar height."""
    s = pillar(**{"kinetics.host_bare.model": "linear", "kinetics.host_bare.exchange_current_density": 0.01,
                  "kinetics.host_bare.exchange_current_profile": [[0.0, 1.0], [1.0, 0.1]],
                  "kinetics.current_collector.model": "linear", "kinetics.current_collector.exchange_current_density": 0.01})
    r = femli.run(s, out=tmp_path)
    (bare,) = [f for f in r.surfaces if f.name == "host_bare"]
    g = s.geometry
    h = bare.centroid[:, 2] / g.pillar_height
    side = h < 0.99

    def band_mean(lo, hi):
        m = side & (h > lo) & (h < hi)
        return (bare.area[m] @ bare.value[m]) / bare.area[m].sum()

    assert band_mean(0.1, 0.2) / band_mean(0.8, 0.9) == pytest.approx((1 - 0.9 * 0.15) / (1 - 0.9 * 0.85), rel=0.03)


def test_insulating_host_plates_only_on_its_conductive_coating(tmp_path):
    """An insulating host (polyimide, glass fibre) with a conductive bottom band: plating happens
    on the band and the collector plate only; the bare host carries nothing."""
    coats = [{"surface": "host_coated_au", "pattern": "band", "z_min": 0.0, "z_max": 0.3}]
    kin = {"kinetics.host_coated": None, "kinetics.host_bare": {"model": "insulating"},
           "kinetics.host_coated_au": {"material": "li_on_au"}}
    m = femli.run(pillar(coatings=coats, **kin), out=tmp_path).metrics
    assert set(m["surfaces"]) == {"host_coated_au", "current_collector"}
    assert m["balance"]["relative_error"] < 1e-8
