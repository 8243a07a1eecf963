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
