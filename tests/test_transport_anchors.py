"""Transient transport in 3D against DESIGN.md's anchors, through the study files users run.

- problems/fiber_host_sand.toml: a local Sand's time in a fiber mat, compared with the planar
  Sand's time of the current per footprint (and the contrasting mat of conducting fibers).
- problems/bench_microdisk_transport.toml: the diffusion-limited steady current of a disk
  electrode, I = 4 F D c0 a / (1 - t+) with the finite-domain correction.
"""

import csv
import math

import pytest

import femli
from femli.physics.constants import FARADAY

D, T_PLUS, C0 = 3e-10, 0.38, 1000.0  # the constant preset LiPF6_EC_DMC_1M


def planar_sand_time(i):
    """DESIGN.md: t_s = pi D (c0 F)^2 / (4 (i (1 - t+))^2), semi-infinite planar electrode."""
    return math.pi * D * (C0 * FARADAY) ** 2 / (4 * (i * (1 - T_PLUS)) ** 2)


def rows(folder):
    return list(csv.DictReader((folder / "timeseries.csv").open()))


# ---------------------------------------------------------------------------------------------
# Local Sand's time in a fiber mat
# ---------------------------------------------------------------------------------------------

I_APP = 100.0  # A/m^2 per footprint (10 mA/cm^2)
H = 30e-6  # host height


def fiber_run(tmp_path, name, changes=None):
    study = femli.load_study("problems/fiber_host_sand.toml").updated(
        {"output.report": False, "output.fields": False, **(changes or {})})
    result = femli.run(study, out=tmp_path / name)
    m = result.metrics
    assert m["status"] == "ok", m.get("error")
    return m


def test_fiber_host_local_sand_time_before_planar(tmp_path):
    """Insulating fiber mat on a Li-plating collector, 10 mA/cm^2 per footprint.

    The right planar comparison is the planar Sand's time of the applied current per
    footprint (= per separator area), t_s(i_fp) = 570 s: the salt consumed, (1 - t+) I / F,
    must enter the mat through the separator side, and the diffusion layer at t_s,
    sqrt(D t_s) ~ 0.4 mm, is ten times the footprint, so the depletion is one-dimensional
    on that scale. Referring the current to the electrode area instead (here the exposed
    collector, 70 % of the footprint; for conducting fibers the ~6x larger host area) would
    compare with a planar electrode at a different salt flux: with the host area, a Sand's
    time ~40x too long.

    Here the current concentrates on the exposed collector (mean 1/0.70 of the footprint
    value) and the salt reaches it through the tortuous mat (D_eff ~ eps^1.5 D): the
    concentration at the collector runs below the planar value by about
    J H (1/D_eff - 1/D) ~ 0.06 c0 (J the salt flux per footprint), which alone brings the
    depletion forward to ~0.89 t_s (~505 s); the local crowding around the fibers lying on
    the collector adds to it. Measured: ~490 s (-14 %), on the collector (z = 0).
    """
    m = fiber_run(tmp_path, "insulating")
    expected = planar_sand_time(I_APP)
    t_s = m["transient"]["sand_time"]
    assert m["transient"]["protocol"][0]["event"] == "sand"
    print(f"local Sand's time {t_s:.1f} s vs planar {expected:.1f} s ({t_s / expected - 1:+.1%}); "
          f"at {m['surfaces']['current_collector']['sand_location']}")
    assert 0.75 * expected < t_s < 0.95 * expected
    collector = m["surfaces"]["current_collector"]
    assert collector["sand_time"] == t_s
    assert collector["sand_location"][2] == pytest.approx(0.0, abs=1e-9)  # on the collector
    # the current concentrates on the exposed collector: footprint current / exposed area
    footprint = 40e-6 * 40e-6
    assert collector["mean"] == pytest.approx(I_APP * footprint / collector["area"], rel=1e-6)
    assert collector["mean"] > 1.3 * I_APP
    assert "host_bare" not in m["surfaces"]  # insulating: no electrode
    # the surface minimum ran below the planar surface concentration all along
    for r in rows(tmp_path / "insulating"):
        t = float(r["time"])
        if 0.05 * expected < t < 0.8 * expected:
            assert float(r["current_collector.min_concentration"]) < C0 * (1 - math.sqrt(t / expected)) - 0.05 * C0


def test_fiber_host_conducting_fibers_deplete_at_the_planar_time(tmp_path):
    """The same mat with conducting fibers (li_liquid on the fibers and the collector).

    The salt still enters at the current per footprint, and the deepest point of the mat (a
    crevice where a fiber lies on the collector) runs ~0.03 c0 below the planar surface
    concentration for most of the run. But it does NOT reach zero first: as it depletes,
    i0 ~ c^alpha and the concentration overpotential push the current up the fibers (at
    Sand's time the peak current is on the top fibers, z ~ H), and the pore electrolyte is a
    salt reservoir the planar cell does not have (eps H c0 against the J t_s consumed). The
    first depletion (at the bottom) comes when the whole mat runs out: 2 % after the planar
    value at 10 mA/cm^2 (9 % at 30, 0.4 % at 3 mA/cm^2: the reservoir's share grows as i).
    """
    m = fiber_run(tmp_path, "conducting", {"kinetics.host_bare": {"material": "li_liquid"}})
    expected = planar_sand_time(I_APP)
    t_s = m["transient"]["sand_time"]
    fibers = m["surfaces"]["host_bare"]
    print(f"Sand's time {t_s:.1f} s vs planar {expected:.1f} s ({t_s / expected - 1:+.1%}); "
          f"depleted at {fibers['sand_location']}, peak current at {fibers['max_location']}")
    assert 0.99 * expected < t_s < 1.06 * expected
    assert fibers["sand_location"][2] < 0.1 * H  # depleted at the bottom ...
    assert fibers["max_location"][2] > 0.8 * H  # ... while the current has moved to the top
    assert fibers["max"] > 3 * fibers["mean"]
    for r in rows(tmp_path / "conducting"):
        t = float(r["time"])
        if 0.05 * expected < t < 0.8 * expected:
            c_min = min(float(r["host_bare.min_concentration"]), float(r["current_collector.min_concentration"]))
            assert c_min < C0 * (1 - math.sqrt(t / expected)) - 0.015 * C0


# ---------------------------------------------------------------------------------------------
# Microdisk: diffusion-limited steady current
# ---------------------------------------------------------------------------------------------


def test_microdisk_diffusion_limited_current(tmp_path):
    """Disk of radius a = 1 mm in an insulating plane, hemispherical counter at R = 20 mm that
    holds the bulk concentration, 0.5 V: the steady current against

        I = F D c0 / ((1 - t+) (1/(4a) - 1/(2 pi R)))      (full disk; the model is a quarter)

    At steady state with constant D and t+ the salt concentration is harmonic; the disk's salt
    flux is (1 - t+) i / F, so the diffusion-limited current (c = 0 on the disk) is
    F D c0 G / (1 - t+), G the disk-to-counter conductance: 4a to infinity (DESIGN.md's
    I = 4 n F D c0 a with a binary salt's migration enhancement 1/(1 - t+)), less the shell
    beyond R, 1/G = 1/(4a) - 1/(2 pi R) up to O((a/R)^3). DESIGN.md's tolerance is 3 %; the
    finite-domain correction is 3.2 % here, so the test holds 1 % (measured +0.2 %; a finer
    mesh gives -0.1 %).
    """
    study = femli.load_study("problems/bench_microdisk_transport.toml")
    result = femli.run(study, out=tmp_path / "disk")
    m = result.metrics
    assert m["status"] == "ok", m.get("error")
    g = study.geometry
    a, R = g.disk_radius, g.domain_radius
    expected = FARADAY * D * C0 / ((1 - T_PLUS) * (1 / (4 * a) - 1 / (2 * math.pi * R)))
    electrode = m["surfaces"]["electrode"]
    full = 4 * electrode["total_current"]
    print(f"I = {full:.5e} A vs {expected:.5e} A ({full / expected - 1:+.2%}); "
          f"without the finite-domain correction {4 * FARADAY * D * C0 * a / (1 - T_PLUS):.5e} A")
    assert full == pytest.approx(expected, rel=0.01)
    assert full > 1.02 * 4 * FARADAY * D * C0 * a / (1 - T_PLUS)  # the correction is resolved
    # steady: the last steps no longer change the current; the disk is depleted
    last = rows(tmp_path / "disk")[-2:]
    mean = [float(r["electrode.mean_current"]) for r in last]
    assert mean[1] == pytest.approx(mean[0], rel=1e-4)
    assert electrode["mean"] * electrode["area"] == pytest.approx(electrode["total_current"], rel=1e-6)
    assert abs(float(last[-1]["electrode.min_concentration"])) < 0.01 * C0
