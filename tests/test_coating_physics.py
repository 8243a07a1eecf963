"""A lithiophilic bottom coating on a Cu host moves plating toward the current collector.

Below the ~40 mV nucleation barrier of bare Cu only the Au-like band (no barrier)
plates, uniformly, so the deposition centroid sits at the band's mid-height:
(0.3 x 40 um / 2) / 60 um = 0.10 of the cell height. An uncoated Cu host plates
everywhere, its tops (nearest the separator, largest overpotential) slightly first.
Above the barrier (2 mA/cm^2 gives ~40 mV) the bare Cu joins in and the shift shrinks.
"""

import pytest

import femli
from conftest import PROBLEMS

COARSE = {"mesh.size_max": "5 um", "mesh.size_min": "2 um", "output.fields": False, "output.report": False}


def run(tmp_path, coating, current):
    study = femli.load_study(PROBLEMS / "coating_comparison.toml").updated(
        COARSE | {"geometry.coating": coating, "operating.current_density": current})
    return femli.run(study, out=tmp_path).metrics


def test_bottom_coating_lowers_the_deposition_centroid(tmp_path):
    uncoated = run(tmp_path / "a", {"bands": []}, "0.5 mA/cm^2")
    gradient = run(tmp_path / "b", {"bottom_fraction": 0.3}, "0.5 mA/cm^2")
    assert gradient["deposition"]["coated_share"] > 0.99
    assert gradient["deposition"]["height_centroid"] == pytest.approx(0.3 * 40 / 2 / 60, rel=0.02)
    # uncoated: area-weighted surface height (0.284) or a little above it
    assert 0.28 < uncoated["deposition"]["height_centroid"] < 0.31
    high = run(tmp_path / "c", {"bottom_fraction": 0.3}, "2 mA/cm^2")
    assert gradient["deposition"]["height_centroid"] < high["deposition"]["height_centroid"] < uncoated["deposition"]["height_centroid"]


def test_fiber_gradient_study(tmp_path):
    """problems/fiber_host_gradient.toml: the facet-rule band on the fibers takes the plating
    below the nucleation barrier; removing the coating lifts the centroid."""
    study = femli.load_study(PROBLEMS / "fiber_host_gradient.toml").updated({"output.fields": False, "output.report": False})
    coated = femli.run(study, out=tmp_path / "coated").metrics
    bare = femli.run(study.updated({"coatings": [], "kinetics.host_coated": None}), out=tmp_path / "bare").metrics
    assert coated["deposition"]["coated_share"] > 0.95
    assert coated["deposition"]["height_centroid"] < bare["deposition"]["height_centroid"] - 0.05
    assert coated["balance"]["relative_error"] < 1e-8
