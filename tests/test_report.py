"""The run report: figures and report.md from synthetic surface data (no solve needed)."""

from pathlib import Path

import numpy as np
import pytest

import femli
from femli import report
from femli.analysis.surface_data import SurfaceField
from femli.report import write_report

ROOT = Path(__file__).resolve().parents[1]
UM = 1e-6
HEIGHT = 60 * UM
HOT = np.array([50, 50, 55]) * UM  # hot spot near the top of the strip


def _grid(corner, du, dv, nu, nv, first_id):
    """Triangulated parallelogram corner + [0,1]du + [0,1]dv, as a SurfaceField's arrays."""
    s, t = np.meshgrid(np.linspace(0, 1, nu + 1), np.linspace(0, 1, nv + 1), indexing="ij")
    pts = corner + s[..., None] * du + t[..., None] * dv
    ids = first_id + np.arange(pts[..., 0].size).reshape(s.shape)
    quads = [(ids[i, j], ids[i + 1, j], ids[i + 1, j + 1], ids[i, j + 1]) for i in range(nu) for j in range(nv)]
    tri_ids = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))])
    verts = pts.reshape(-1, 3)[tri_ids - first_id]
    area = 0.5 * np.linalg.norm(np.cross(verts[:, 1] - verts[:, 0], verts[:, 2] - verts[:, 0]), axis=1)
    return verts, tri_ids, area


def _surfaces():
    plate = _grid(np.zeros(3), np.array([100, 0, 0]) * UM, np.array([0, 100, 0]) * UM, 14, 14, 0)
    strip = _grid(np.array([0, 50, 0]) * UM, np.array([100, 0, 0]) * UM, np.array([0, 0, 60]) * UM, 14, 12, 10_000)
    out = []
    for name, (verts, ids, area), base in (("current_collector", plate, 16.0), ("host_bare", strip, 12.0)):
        c = verts.mean(axis=1)
        hot = 60.0 * np.exp(-((c - HOT) ** 2).sum(axis=1) / (2 * (8 * UM) ** 2))
        value = base * (1 + 0.3 * c[:, 2] / HEIGHT + 0.1 * np.cos(c[:, 0] / (15 * UM))) + hot
        out.append(SurfaceField(name, verts, ids, area, value))
    return out


def _metrics(surfaces, factor=2.0):
    per = {}
    for s in surfaces:
        a, v = s.area, s.value
        mean = v @ a / a.sum()
        hot = v > factor * mean
        spots = []
        if hot.any():
            centroid = (s.centroid[hot] * a[hot, None]).sum(0) / a[hot].sum()
            spots.append({"centroid": centroid.tolist(), "area": float(a[hot].sum()), "peak": float(v[hot].max()),
                          "current": float(v[hot] @ a[hot])})
        per[s.name] = {"area": float(a.sum()), "total_current": float(v @ a), "mean": float(mean), "max": float(v.max()),
                       "max_over_mean": float(v.max() / mean),
                       "cv": float(np.sqrt(((v - mean) ** 2) @ a / a.sum()) / mean),
                       "area_fraction_above_2x_mean": float(a[v > 2 * mean].sum() / a.sum()), "hot_spots": spots}
    plated = sum(m["total_current"] for m in per.values())
    h = np.concatenate([s.centroid[:, 2] for s in surfaces]) / HEIGHT
    w = np.concatenate([s.value * s.area for s in surfaces])
    return {
        "status": "ok",
        "surfaces": per,
        "deposition": {"height_centroid": float(h @ w / w.sum()), "coated_share": 0.0},
        "balance": {"applied_current": plated * (1 + 2e-9), "plated_current": plated, "relative_error": 2e-9},
        "cell": {"separator_potential": -0.0123, "resistance": 1.5e5},
        "solver": {"newton_iterations": 4, "krylov_iterations": 57, "converged": True},
        "timing": {"geometry": 0.8, "mesh": 2.1, "assemble": 0.4, "solve": 3.3, "output": 0.6},
        "mesh": {"cells": 123456, "dofs": 23456, "mpi_size": 2},
    }


@pytest.fixture(scope="module")
def study():
    return femli.load_study(ROOT / "problems" / "pillar_host.toml")


def _check_png(path: Path):
    assert path.is_file(), path
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5_000, f"{path.name} is only {len(data)} bytes"


def test_report_writes_figures_and_markdown(tmp_path, study):
    surfaces = _surfaces()
    metrics = _metrics(surfaces)
    path = write_report(tmp_path, study, metrics, surfaces, (0.0, HEIGHT))

    assert path == tmp_path / "report.md"
    for name in ("current_distribution", "current_vs_height", "surface_current"):
        _check_png(tmp_path / "figures" / f"{name}.png")
    text = path.read_text()
    assert text.startswith("# pillar_host\n")
    assert study.description in text
    strip = metrics["surfaces"]["host_bare"]
    assert strip["max_over_mean"] > 2.5 and strip["hot_spots"], "the synthetic field must have a hot spot"
    assert f"| {strip['max_over_mean']:.2f} |" in text
    assert f"is {strip['max_over_mean']:.2f}× the mean on host_bare" in text
    assert "| applied current density | 2 mA/cm² |" in text
    assert "-12.30 mV" in text
    for fig in ("figures/current_distribution.png", "figures/current_vs_height.png", "figures/surface_current.png"):
        assert f"]({fig})" in text
    assert not list(tmp_path.rglob(".*")), "temporary files left behind"


def test_report_tolerates_missing_blocks_and_failed_rendering(tmp_path, study, monkeypatch):
    def no_gl(*args, **kwargs):
        raise RuntimeError("no OpenGL")

    monkeypatch.setattr(report, "_render_pyvista", no_gl)
    surfaces = _surfaces()
    metrics = _metrics(surfaces)
    for key in ("deposition", "cell", "timing"):
        del metrics[key]
    metrics["status"] = "failed"
    metrics["fracture"] = {"flaws": [{"name": "notch", "K_I_max": 0.4e6, "K_IC": 1.0e6, "K_ratio": 0.4, "G_max": 1.2}]}
    text = write_report(tmp_path, study, metrics, surfaces, (0.0, HEIGHT)).read_text()

    _check_png(tmp_path / "figures" / "surface_current.png")  # matplotlib fallback
    assert "Run status: failed" in text
    assert "coated surface" not in text
    assert "| notch | 0.4 | 1 | 0.400 | 1.2 |" in text


def test_report_survives_a_failing_figure(tmp_path, study, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(report, "_plot_height", broken)
    surfaces = _surfaces()
    text = write_report(tmp_path, study, _metrics(surfaces), surfaces, (0.0, HEIGHT)).read_text()
    assert not (tmp_path / "figures" / "current_vs_height.png").exists()
    _check_png(tmp_path / "figures" / "current_distribution.png")
    assert "figure not available" in text


# --- figure writes: no temporary file survives -----------------------------------------------


def _report_inputs():
    import numpy as np

    from femli.analysis.surface_data import SurfaceField

    um = 1e-6
    verts = np.array([[[0, 0, 0], [10, 0, 0], [0, 10, 0]], [[10, 0, 0], [10, 10, 5], [0, 10, 0]]], float) * um
    ids = np.array([[0, 1, 2], [1, 3, 2]])
    area = np.full(2, 50 * um**2)
    surface = SurfaceField("current_collector", verts, ids, area, np.array([10.0, 30.0]))
    metrics = {"status": "ok", "surfaces": {"current_collector": {"mean": 20.0, "hot_spots": []}}}
    return [surface], metrics


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_interrupted_figure_leaves_no_temporary_file(error, study, tmp_path, monkeypatch):
    def half_written(path, *args, **kwargs):
        Path(path).write_bytes(b"\x89PNG")  # the writer got this far
        raise error("killed while saving")

    monkeypatch.setattr(report, "_plot_distribution", half_written)
    surfaces, metrics = _report_inputs()
    if error is KeyboardInterrupt:
        with pytest.raises(KeyboardInterrupt):
            report.write_report(tmp_path, study, metrics, surfaces, (0.0, 1e-5))
    else:  # an ordinary failure loses only that figure
        report.write_report(tmp_path, study, metrics, surfaces, (0.0, 1e-5))
        assert (tmp_path / "report.md").is_file()
    assert not (tmp_path / "figures" / "current_distribution.png").exists()
    assert not list(tmp_path.rglob(".*")), "temporary files left behind"


def test_stale_temporaries_of_a_killed_run_are_removed(study, tmp_path, monkeypatch):
    figures = tmp_path / "figures"
    figures.mkdir()
    stale = [figures / ".current_distribution.0123abcd.tmp.png",  # this module's naming
             figures / ".surface_current.png.k3j4h5.png",  # femli.atomic's naming
             tmp_path / ".report.md.x7y8z9.md"]
    for path in stale:
        path.write_bytes(b"")  # a kill -9 leaves zero-byte files
    keep = figures / "notes.txt"
    keep.write_text("not ours")
    monkeypatch.setattr(report, "_render_pyvista", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no GL")))
    surfaces, metrics = _report_inputs()
    report.write_report(tmp_path, study, metrics, surfaces, (0.0, 1e-5))
    assert not any(p.exists() for p in stale)
    assert keep.read_text() == "not ours"
    assert not list(tmp_path.rglob(".*"))


# --- transient runs: the time plots and the fill order -----------------------------------------


def _transient_inputs(tmp_path):
    """metrics and timeseries.csv of a made-up plate/rest/strip/rest cycle of plate_strip_cycle.toml."""
    surfaces = _surfaces()
    metrics = _metrics(surfaces)
    t = np.linspace(1.0, 4800.0, 60)
    plate, rest, strip = t <= 1800, (t > 1800) & (t <= 2400), (t > 2400) & (t <= 4200)
    q = np.where(plate, 20.0 * t, np.where(rest, 3.6e4, np.where(strip, 3.6e4 - 20.0 * (t - 2400), 0.0)))
    lines = ["time,step,cycle,cell_voltage,electrode.min_concentration,electrode.plated_capacity,plated_capacity,"
             "height_centroid,front_height,max_thickness,pore_filling,electrode.nucleated_fraction"]
    for k, (ti, qi) in enumerate(zip(t, q)):
        step = 0 if plate[k] else 1 if rest[k] else 2 if strip[k] else 3
        v = {0: 0.078, 1: 0.0, 2: -0.077, 3: 0.0}[step]
        lines.append(f"{ti:.10g},{step},0,{v},{1000 - 20 * (step == 0)},{qi},{qi},0,0,{qi * 1.3e-5 / 96485.33},,"
                     f"{float(qi > 7.42)}")
    (tmp_path / "timeseries.csv").write_text("\n".join(lines) + "\n")
    steps = [{"step": i, "cycle": 0, "mode": mode, "start": a, "end": b, "event": None, "event_time": None,
              "time_steps": 15, "rejected_steps": i % 2}
             for i, (mode, a, b) in enumerate((("galvanostatic", 0, 1800), ("rest", 1800, 2400),
                                               ("galvanostatic", 2400, 4200), ("rest", 4200, 4800)))]
    metrics["transient"] = {"time": 4800.0, "time_steps": 60, "protocol": steps, "sand_time": None, "resumed_at": None,
                            "salt_amount": {"first": 4e-11, "last": 4e-11, "max_relative_change": 2e-14}}
    metrics["deposition"] |= {"plated_capacity": 0.0, "pore_filling": None, "front_height": 0.0, "max_thickness": 4.9e-6,
                              "capacity_to_host_top": None, "pore_diameter": None, "thick_deposit": False,
                              "overstripped_charge": 0.0}
    metrics["cell"]["counter_area"] = 4e-10
    for name, m in metrics["surfaces"].items():
        m |= {"min_concentration": 978.6, "min_concentration_time": 18.5, "min_concentration_location": [5e-6, 9e-6, 0.0],
              "sand_time": None, "sand_location": None, "plated_capacity": 0.0, "nucleated_fraction": 0.0}
    return surfaces, metrics


def test_transient_report_has_time_plots_and_protocol(tmp_path):
    study = femli.load_study(ROOT / "problems" / "plate_strip_cycle.toml")
    surfaces, metrics = _transient_inputs(tmp_path)
    text = write_report(tmp_path, study, metrics, surfaces, (0.0, HEIGHT)).read_text()
    for name in ("transient_history", "fill_order"):
        _check_png(tmp_path / "figures" / f"{name}.png")
        assert f"](figures/{name}.png)" in text
    assert "## Transient run" in text and "Sand's time was not reached" in text
    assert "| protocol | galvanostatic 2 mA/cm² to 1 mAh/cm², rest to 600 s, galvanostatic -2 mA/cm² to 1 mAh/cm², " \
           "rest to 600 s; 3 cycles |" in text
    assert "applied current density" not in text  # [operating] does not drive a transient run
    assert "| 3 | 1 | galvanostatic -2 mA/cm² | 2400 | 4200 | 15 | 0 | capacity |" in text
    assert "| 4 | 1 | rest | 4200 | 4800 | 15 | 1 | duration |" in text
    assert "No current flows in that state" in text  # the run ended in a rest
    assert "## Figures of the final state" in text
    assert not list(tmp_path.rglob(".*")), "temporary files left behind"


def test_transient_report_without_timeseries(tmp_path):
    study = femli.load_study(ROOT / "problems" / "plate_strip_cycle.toml")
    surfaces, metrics = _transient_inputs(tmp_path)
    (tmp_path / "timeseries.csv").unlink()
    text = write_report(tmp_path, study, metrics, surfaces, (0.0, HEIGHT)).read_text()
    assert "## Transient run" in text and "timeseries.csv not available" in text
    assert not (tmp_path / "figures" / "transient_history.png").exists()


def test_report_of_a_transient_run(tmp_path, monkeypatch):
    """A short Sand's-time run through the study path: its report has the transient section, the
    time plots and the fill order, and names Sand's time where the run found it."""
    monkeypatch.setattr(report, "_render_pyvista", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no GL")))
    study = femli.load_study(ROOT / "problems" / "sand_planar.toml").updated({
        "mesh.size_min": "8 um", "output.fields": False,
        "protocol": [{"mode": "galvanostatic", "current_density": "40 mA/cm^2", "duration": "2 min"}]})
    result = femli.run(study, out=tmp_path / "run")
    m = result.metrics
    assert m["status"] == "ok", m.get("error")
    assert m["report"]["error"] is None
    t_s = m["transient"]["sand_time"]
    assert t_s == pytest.approx(570.62 / 16, rel=0.02)  # Sand's time goes as 1/i^2: 10 -> 40 mA/cm^2
    out = tmp_path / "run"
    text = (out / "report.md").read_text()
    assert "## Transient run" in text
    assert f"Sand's time) at t_s = {t_s:.4g} s on electrode" in text
    assert "| protocol | galvanostatic 40 mA/cm² to 120 s |" in text
    for name in ("transient_history", "fill_order", "current_distribution"):
        _check_png(out / "figures" / f"{name}.png")
        assert f"](figures/{name}.png)" in text
