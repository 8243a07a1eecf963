"""Deposition history: the plated charge per facet, nucleation and its reversal by stripping,
and the derived pore filling and fill order, through the study path."""

import csv

import numpy as np
import pytest
from dolfinx import mesh
from mpi4py import MPI

import femli
from femli.physics.constants import FARADAY
from femli.physics.deposition import SurfaceState, electrode_facets


def surface_state():
    msh = mesh.create_unit_cube(MPI.COMM_SELF, 2, 2, 2)
    bottom = mesh.locate_entities_boundary(msh, 2, lambda x: np.isclose(x[2], 0.0))
    tags = mesh.meshtags(msh, 2, np.sort(bottom), np.full(len(bottom), 7, dtype=np.int32))
    return SurfaceState(electrode_facets(msh, tags, [7]), nucleation_charge=5.0)


def test_nucleation_and_return_to_bare():
    s = surface_state()
    n = len(s.charge.x.array)
    j = np.linspace(0.0, 2.0, n)  # A/m^2 per facet
    s.advance(j, 2.0)  # q = 0 ... 4 C/m^2: below q_nuc everywhere
    assert s.nucleated.x.array.max() == 0
    s.advance(j, 2.0)  # q = 0 ... 8: the facets past 5 C/m^2 are Li now
    assert np.array_equal(s.nucleated.x.array, (2 * 2.0 * j >= 5.0).astype(float))
    excess = s.advance(-j, 3.0)  # strip 0 ... 6: q = j, Li stays Li while it holds charge
    assert np.array_equal(s.nucleated.x.array, (2 * 2.0 * j >= 5.0).astype(float))
    assert excess.max() == 0
    excess = s.advance(-j, 2.0)  # strip 2j more: q would be -j; it stays at 0 and j is counted
    assert s.charge.x.array.max() == 0 and s.nucleated.x.array.max() == 0
    assert excess == pytest.approx(j, abs=1e-12)
    assert s.thickness(FARADAY / 1.3e-5) == pytest.approx(1.0)


def rows(path):
    return list(csv.DictReader(path.open()))


def test_pillar_fill_order(tmp_path):
    """Bottom-coated pillars (no barrier on Au, 40 mV on Cu): the coated facets nucleate first;
    the history's Li volume is the plated charge's, and the pore filling is its share of the pores."""
    study = femli.load_study("problems/pillar_host_transient.toml").updated({
        "protocol": [{"mode": "galvanostatic", "current_density": "0.5 mA/cm^2", "capacity": "0.05 mAh/cm^2"}],
        "output.fields": False, "output.report": False})
    m = femli.run(study, out=tmp_path / "run").metrics
    assert m["status"] == "ok", m.get("error")
    series = rows(tmp_path / "run" / "timeseries.csv")

    def first_full(name):
        return next((float(r["time"]) for r in series if float(r[f"{name}.nucleated_fraction"]) >= 1.0), np.inf)

    assert first_full("host_coated") < first_full("host_bare")
    dep = m["deposition"]
    assert dep["plated_capacity"] == pytest.approx(0.05 * 3.6e4, rel=1e-9)
    footprint = m["cell"]["counter_area"]
    li_volume = dep["plated_capacity"] * footprint * 1.30e-5 / FARADAY
    host_area = sum(surface["area"] for surface in m["surfaces"].values())  # every electrode surface is host here
    assert dep["pore_filling"] == pytest.approx(li_volume / (dep["pore_diameter"] / 4 * host_area), rel=1e-6)
    # the pores: the electrolyte below the pillar tops, 1 - pi r^2 / pitch^2 of the host layer
    assert dep["pore_diameter"] / 4 * host_area == pytest.approx(
        m["geometry"]["porosity"] * footprint * 40e-6, rel=0.02)
    assert 0 < dep["front_height"] <= 40 / 60 + 1e-9  # on the host (pillar top at 40 of 60 um)
    # the charge plated per surface adds up to the charge passed
    plated = sum(s["plated_charge"] for s in m["surfaces"].values())
    assert plated == pytest.approx(dep["plated_capacity"] * footprint, rel=1e-9)


def test_plate_strip_cycle(tmp_path):
    """Plate and strip the same charge in a closed Li|Li cell: the facets return to bare, the salt
    is conserved, every protocol step runs to its end."""
    study = femli.load_study("problems/plate_strip_cycle.toml").updated({
        "time.cycles": 1, "output.report": False, "time.output_interval": None})
    m = femli.run(study, out=tmp_path / "run").metrics
    assert m["status"] == "ok", m.get("error")
    assert [s["event"] for s in m["transient"]["protocol"]] == [None] * 4
    assert [s["mode"] for s in m["transient"]["protocol"]] == ["galvanostatic", "rest", "galvanostatic", "rest"]
    electrode = m["surfaces"]["electrode"]
    assert abs(electrode["plated_capacity"]) < 1e-6 * 3.6e4
    assert m["deposition"]["overstripped_charge"] < 1e-6 * 3.6e4 * m["cell"]["counter_area"]
    assert m["transient"]["salt_amount"]["max_relative_change"] < 1e-9
    series = rows(tmp_path / "run" / "timeseries.csv")
    peak = max(float(r["max_thickness"]) for r in series)
    assert peak == pytest.approx(3.6e4 * 1.30e-5 / FARADAY, rel=0.05)  # 1 mAh/cm^2 = 4.85 um of Li
