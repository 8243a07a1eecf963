"""Transient transport against the analytic anchors of DESIGN.md, through the study path users
run (config -> mesh -> model -> protocol -> metrics), on 1 and 2 ranks.

- Sand's time of a planar electrode, t_s = pi D (c0 F)^2 / (4 (i (1 - t+))^2), within 2 %.
- Limiting current of a closed Li|Li cell of gap L, i_lim = 2 F D c0 / ((1 - t+) L): below it
  the steady surface concentration is c0 (1 - i / i_lim) (a linear profile); 5 % above it the
  salt at the surface runs out (Sand's time is reached); 5 % below, it does not.
- Salt is conserved in the closed cell to solver tolerance at every step.
"""

import csv
import math

import pytest

import femli
from conftest import run_one_and_two
from femli.physics.constants import FARADAY

D, T_PLUS, C0 = 3e-10, 0.38, 1000.0  # the constant preset LiPF6_EC_DMC_1M


def sand_time(i):
    return math.pi * D * (C0 * FARADAY) ** 2 / (4 * (i * (1 - T_PLUS)) ** 2)


def test_sand_time_planar(tmp_path):
    study = femli.load_study("problems/sand_planar.toml").updated({"output.report": False})
    result = femli.run(study, out=tmp_path / "sand")
    m = result.metrics
    assert m["status"] == "ok", m.get("error")
    expected = sand_time(100.0)
    assert m["transient"]["sand_time"] == pytest.approx(expected, rel=0.02)
    surface = m["surfaces"]["electrode"]
    assert surface["sand_time"] == m["transient"]["sand_time"]
    assert surface["sand_location"][2] == pytest.approx(0.0, abs=1e-9)  # on the electrode plane
    assert surface["min_concentration"] < 0.01 * C0
    assert m["transient"]["protocol"][0]["event"] == "sand"
    # the plated capacity is the applied current times the time run, per counter area
    assert m["deposition"]["plated_capacity"] == pytest.approx(100.0 * m["transient"]["time"], rel=1e-6)
    rows = list(csv.DictReader((tmp_path / "sand" / "timeseries.csv").open()))
    assert len(rows) == m["transient"]["time_steps"] > 10
    c_min = [float(r["electrode.min_concentration"]) for r in rows]
    assert all(a >= b for a, b in zip(c_min, c_min[1:]))  # galvanostatic plating only depletes
    for name in ("transient.xdmf", "transient_surface.xdmf"):
        assert (tmp_path / "sand" / "fields" / name).is_file()
    surface = (tmp_path / "sand" / "fields" / "transient_surface.xdmf").read_text()
    for field in ("plating_current_density", "plated_charge", "nucleated"):
        assert f'Name="{field}"' in surface


GAP = 100e-6
I_LIM = 2 * FARADAY * D * C0 / ((1 - T_PLUS) * GAP)  # 934 A/m^2


def closed_cell(fraction: float, duration: str = "120 s"):
    return femli.load_study("problems/sand_planar.toml").updated({
        "name": "limiting_current",
        "geometry.size": ["20 um", "20 um", "100 um"],
        "mesh.size_min": "2 um", "mesh.size_max": "10 um", "mesh.growth_distance": "100 um",
        "operating.counter_salt": "lithium",
        "protocol": [{"mode": "galvanostatic", "current_density": fraction * I_LIM, "duration": duration}],
        "time.output_interval": None, "output.report": False, "output.fields": False,
    })


def test_limiting_current_closed_cell(tmp_path):
    """At 0.9 i_lim the steady surface concentration is 0.1 c0 (2 % of i_lim is 0.02 c0)."""
    m = femli.run(closed_cell(0.9), out=tmp_path / "below").metrics
    assert m["status"] == "ok", m.get("error")
    assert m["transient"]["sand_time"] is None
    assert m["surfaces"]["electrode"]["min_concentration"] / C0 == pytest.approx(0.1, abs=0.004)
    # no salt enters or leaves a closed cell
    assert m["transient"]["salt_amount"]["max_relative_change"] < 1e-9


@pytest.mark.parametrize("fraction, depletes", [(0.95, False), (1.05, True)])
def test_limiting_current_brackets(tmp_path, fraction, depletes):
    m = femli.run(closed_cell(fraction, "200 s"), out=tmp_path / "run").metrics
    assert m["status"] == "ok", m.get("error")
    assert (m["transient"]["sand_time"] is not None) == depletes


def test_transient_one_and_two_ranks(tmp_path):
    """The same Sand's time, surface minimum and step count on 1 and 2 ranks."""
    changes = {"mesh.size_min": "8 um", "output.report": False}
    m1, m2 = run_one_and_two("problems/sand_planar.toml", changes, tmp_path)
    assert m1["status"] == m2["status"] == "ok"
    assert m2["transient"]["sand_time"] == pytest.approx(m1["transient"]["sand_time"], rel=1e-6)
    assert m2["transient"]["time_steps"] == m1["transient"]["time_steps"]
    assert m2["surfaces"]["electrode"]["plated_capacity"] == pytest.approx(
        m1["surfaces"]["electrode"]["plated_capacity"], rel=1e-8)


def test_stripping_li_counter_runs_out_of_salt(tmp_path):
    """Stripping above the limiting current depletes the salt at the Li counter: the step ends
    with the event "counter_depletion" (near the semi-infinite Sand's time of the counter's
    current), not with a solver failure."""
    study = closed_cell(-1.3).updated({"kinetics.electrode.material": "li_liquid"})
    m = femli.run(study, out=tmp_path / "run").metrics
    assert m["status"] == "ok", m.get("error")
    step = m["transient"]["protocol"][0]
    assert step["event"] == "counter_depletion"
    assert step["event_time"] == pytest.approx(sand_time(1.3 * I_LIM), rel=0.15)
