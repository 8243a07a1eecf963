"""Figures and the human-readable report of one run (rank 0, after the solve).

Reads only the gathered surface records and the metrics dict. Figures are
best-effort: one that fails is logged and left out, and the report and the
other figures are still written. metrics.json stays SI; the report speaks
mA/cm², µm and mV, the units battery people read.

A transient run (metrics with a "transient" block) adds a section with its
protocol, the history of the run from ``timeseries.csv`` (cell voltage, the
lowest surface concentration per surface with Sand's time, plated capacity
and pore filling) and the fill order (nucleated fraction per surface, the
deposit front against the plated capacity); the steady numbers and figures
are then those of the final state.
"""

import csv
import math

import logging
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure  # no pyplot: no global backend state, nothing left open in a long run

from femli.analysis.surface_data import SurfaceField
from femli.atomic import atomic_path, write_text
from femli.config import Study

log = logging.getLogger(__name__)

MA_CM2 = 10.0  # A/m² per mA/cm²
UM = 1e-6
CURRENT_LABEL = "plating current density (mA/cm²)"
COLORS = colormaps["tab10"].colors
TOP_SPOTS = 10
MAH_CM2 = 3.6e4  # C/m² per mAh/cm²
MOL_L = 1000.0  # mol/m³ per mol/L
PROTOCOL_ROWS = 24  # protocol steps listed in report.md; a long cycling run lists its first ones


def write_report(out_dir: Path, study: Study, metrics: dict, surfaces: list[SurfaceField],
                 z_range: tuple[float, float]) -> Path:
    """Write figures/*.png and report.md into ``out_dir``; returns the report path."""
    out_dir = Path(out_dir)
    surfaces = [s for s in surfaces if len(s)]
    spots = _ranked_hot_spots(metrics)
    factor = study.output.hot_spot_factor
    hc = _get(metrics, "deposition", "height_centroid")
    drawers = {
        "current_distribution": lambda p: _plot_distribution(p, surfaces, factor),
        "current_vs_height": lambda p: _plot_height(p, surfaces, z_range, hc),
        "surface_current": lambda p: _plot_surface(p, surfaces, spots[:TOP_SPOTS]),
    }
    series = None
    if metrics.get("transient") is not None:  # the history is in timeseries.csv, written before the report
        series = _read_timeseries(out_dir / "timeseries.csv")
        if series:
            drawers["transient_history"] = lambda p: _plot_history(p, study, metrics, series)
            drawers["fill_order"] = lambda p: _plot_fill_order(p, study, metrics, series, z_range)
    _remove_stale_temporaries(out_dir, drawers)
    figures = {}
    for name, draw in drawers.items():
        path = out_dir / "figures" / f"{name}.png"
        try:
            _write_figure(path, draw)
            figures[name] = path.relative_to(out_dir).as_posix()
        except Exception:
            log.warning("report: figure %s not written", name, exc_info=True)
    return write_text(out_dir / "report.md", _markdown(study, metrics, surfaces, z_range, spots, figures, series))


def _write_figure(path: Path, draw) -> None:
    """``draw(tmp)`` then rename onto ``path`` (femli.atomic, which removes the temporary on any
    exception, KeyboardInterrupt included): a figure is complete or absent, never empty. Only a
    hard kill can leave the temporary behind; the next report removes it."""
    with atomic_path(path) as tmp:
        draw(tmp)
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise RuntimeError(f"drawing {path.name} wrote no data")


def _remove_stale_temporaries(out_dir: Path, drawers) -> None:
    """Temporary figure (and report) files of an earlier run that was killed while writing them."""
    figures = out_dir / "figures"
    stale = list(figures.glob(".*.tmp*"))  # the naming of a femli version between 6fc59ab and this one
    for name in drawers:  # femli.atomic's naming (.<file>.<random><suffix>)
        stale += figures.glob(f".{name}.png.*")
    stale += out_dir.glob(".report.md.*")
    for path in stale:
        try:
            if path.is_file():
                path.unlink()
        except OSError:  # best effort: a leftover must not cost the report
            log.warning("report: cannot remove stale temporary file %s", path)


def _get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def _ranked_hot_spots(metrics):
    spots = [(name, hs) for name, m in (metrics.get("surfaces") or {}).items() for hs in m.get("hot_spots") or []]
    return sorted(spots, key=lambda t: -t[1]["peak"])


def _overall_mean(surfaces):
    return sum(float(s.value @ s.area) for s in surfaces) / sum(float(s.area.sum()) for s in surfaces)


def _height(z, z_range):
    z0, z1 = z_range
    return (np.asarray(z) - z0) / (z1 - z0)


# --- figures -------------------------------------------------------------------------------


def _plot_distribution(path, surfaces, factor):
    # each surface against its own mean: the hot-spot threshold is defined per surface
    means = [float(s.area @ s.value / s.area.sum()) or 1.0 for s in surfaces]
    fig = Figure(figsize=(10, 4), layout="constrained")
    hist_ax, tail_ax = fig.subplots(1, 2)
    lo = min(0.0, min(s.value.min() / m for s, m in zip(surfaces, means)))
    hi = max(1.15 * factor, 1.03 * max(s.value.max() / m for s, m in zip(surfaces, means)))
    bins = np.linspace(lo, hi, 60)
    for color, s, mean in zip(COLORS, surfaces, means):
        x, w = s.value / mean, s.area / s.area.sum()
        hist_ax.hist(x, bins=bins, weights=w, histtype="step", lw=1.8, color=color, label=s.name)
        # exceedance curve: at x = k it reads directly as "area fraction above k x mean"
        order = np.argsort(x)[::-1]
        tail_ax.step(x[order], np.cumsum(w[order]), where="post", lw=1.8, color=color, label=s.name)
    for ax in (hist_ax, tail_ax):
        ax.axvline(1.0, color="0.6", lw=1, ls=":")
        ax.axvline(factor, color="crimson", lw=1.2, ls="--", label=f"hot-spot threshold ({factor:g}× mean)")
        ax.set_xlabel("local current / mean of its surface")
        ax.set_xlim(lo, hi)
        ax.grid(alpha=0.3)
    hist_ax.set_ylabel("fraction of surface area per bin")
    hist_ax.set_title("Area-weighted distribution")
    tail_ax.set_yscale("log")
    tail_ax.set_ylim(bottom=max(1e-4, 0.5 * min(s.area.min() / s.area.sum() for s in surfaces)), top=1.5)
    tail_ax.set_ylabel("area fraction above x")
    tail_ax.set_title("Exceedance (tail)")
    tail_ax.legend(fontsize=9, loc="lower left")
    fig.savefig(path, format="png", dpi=150)


def _plot_height(path, surfaces, z_range, height_centroid, nbins=30):
    fig = Figure(figsize=(6.5, 5), layout="constrained")
    ax = fig.subplots()
    edges = np.linspace(0.0, 1.0, nbins + 1)
    for color, s in zip(COLORS, surfaces):
        h = np.clip(_height(s.centroid[:, 2], z_range), 0.0, 1.0)
        idx = np.clip(np.digitize(h, edges) - 1, 0, nbins - 1)
        a = np.bincount(idx, s.area, nbins)
        ok = a > 0
        # plot at each bin's area-weighted height, so a flat collector sits exactly at 0
        h_bin = np.bincount(idx, s.area * h, nbins)[ok] / a[ok]
        i_bin = np.bincount(idx, s.area * s.value, nbins)[ok] / a[ok]
        ax.plot(i_bin / MA_CM2, h_bin, "o-", ms=4, lw=1.8, color=color, label=s.name)
    ax.axvline(_overall_mean(surfaces) / MA_CM2, color="0.6", lw=1, ls=":", label="mean, all surfaces")
    if height_centroid is not None:
        ax.axhline(height_centroid, color="black", lw=1.2, ls="--",
                   label=f"current-weighted height = {height_centroid:.2f}")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    ax.set_xlabel(f"area-averaged {CURRENT_LABEL}")
    ax.set_ylabel("normalised height (0 = collector, 1 = separator)")
    ax.set_title("Where along the height does lithium plate?")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="best")
    fig.savefig(path, format="png", dpi=150)


def _plot_surface(path, surfaces, spots):
    tris = np.concatenate([s.vertices for s in surfaces]) / UM
    vals = np.concatenate([s.value for s in surfaces]) / MA_CM2
    marks = np.array([hs["centroid"] for _, hs in spots], dtype=float).reshape(-1, 3) / UM
    try:
        ids = np.concatenate([s.vertex_ids for s in surfaces])
        _render_pyvista(path, tris, ids, vals, marks)
    except Exception:
        log.warning("report: pyvista rendering failed, using matplotlib instead", exc_info=True)
        _render_matplotlib(path, tris, vals, marks)


def _label_format(vals) -> str:
    """Enough decimals that five colour-bar labels over the data range differ."""
    lo, hi = float(np.min(vals)), float(np.max(vals))
    step = (hi - lo) / 4 or abs(hi) or 1.0
    return f"%.{max(0, min(6, 1 - int(np.floor(np.log10(step)))))}f"


def _render_pyvista(path, tris, ids, vals, marks):
    import pyvista as pv

    pv.OFF_SCREEN = True
    # merge shared corners (global vertex ids) so smooth shading sees one connected surface
    _, first, faces = np.unique(ids.ravel(), return_index=True, return_inverse=True)
    mesh = pv.PolyData.from_regular_faces(tris.reshape(-1, 3)[first], faces.reshape(-1, 3))
    mesh.cell_data[CURRENT_LABEL] = vals
    pl = pv.Plotter(off_screen=True, window_size=(1500, 1050))
    try:
        pl.set_background("white")
        # strong ambient light: the colour must read as the current, not as the shading
        pl.add_mesh(mesh, scalars=CURRENT_LABEL, cmap="viridis", smooth_shading=True, ambient=0.5, diffuse=0.5,
                    scalar_bar_args=dict(title="plating current\ndensity (mA/cm²)", color="black", vertical=True,
                                         position_x=0.88, position_y=0.2, width=0.045, height=0.6, fmt=_label_format(vals),
                                         n_labels=5, title_font_size=20, label_font_size=18))
        if len(marks):
            ball = pv.Sphere(radius=0.012 * mesh.length)
            pl.add_mesh(pv.PolyData(marks).glyph(geom=ball, scale=False, orient=False), color="red")
            pl.add_point_labels(marks, [str(i + 1) for i in range(len(marks))], font_size=20, point_size=1,
                                text_color="white", shape_color="red", shape_opacity=0.85, always_visible=True)
        pl.show_bounds(xtitle="x (um)", ytitle="y (um)", ztitle="z (um)", color="black", font_size=14,
                       location="outer", n_xlabels=3, n_ylabels=3, n_zlabels=3, fmt="%.0f")  # VTK axis text has no µ
        pl.add_axes(color="black")
        pl.view_isometric()
        pl.camera.zoom(0.9)  # keep the outer axis labels inside the frame
        img = pl.screenshot(str(path), return_img=True)
    finally:
        pl.close()
    if np.ptp(img) == 0:  # a broken GL context can render an empty frame without raising
        raise RuntimeError("pyvista rendered a blank image")


def _render_matplotlib(path, tris, vals, marks):
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    cmap, norm = colormaps["viridis"], Normalize(vals.min(), vals.max())
    fig = Figure(figsize=(9, 7), layout="constrained")
    ax = fig.add_subplot(projection="3d")
    colors = cmap(norm(vals))
    ax.add_collection3d(Poly3DCollection(tris, facecolors=colors, edgecolors=colors, linewidths=0.3))
    pts = tris.reshape(-1, 3)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), zlim=(lo[2], hi[2]),
           xlabel="x (µm)", ylabel="y (µm)", zlabel="z (µm)")
    ax.set_box_aspect(np.maximum(hi - lo, 1e-3 * (hi - lo).max()))
    ax.view_init(elev=30, azim=45)  # same side as pyvista's isometric view
    ax.computed_zorder = False  # no z-buffer in mplot3d: draw the markers last so surfaces cannot hide them
    ax.zaxis.set_rotate_label(False)
    ax.set_zlabel("z (µm)", rotation=90)
    for i, p in enumerate(marks):
        ax.scatter(*p, color="red", edgecolor="white", s=60, depthshade=False, zorder=10)
        ax.text(*p, f"  {i + 1}", color="black", fontsize=11, fontweight="bold", zorder=11)
    fig.colorbar(ScalarMappable(norm, cmap), ax=ax, shrink=0.7, label=CURRENT_LABEL)
    fig.savefig(path, format="png", dpi=150)


# --- transient runs -------------------------------------------------------------------------


def _read_timeseries(path: Path) -> dict[str, np.ndarray] | None:
    """The columns of timeseries.csv as float arrays (nan where a cell is empty), or None."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError:
        log.warning("report: %s not readable; no time plots", path)
        return None
    if len(rows) < 2:
        return None

    def number(text):
        try:
            return float(text) if text != "" else math.nan
        except ValueError:
            return math.nan

    header, body = rows[0], [r for r in rows[1:] if len(r) == len(rows[0])]
    if not body:
        return None
    return {key: np.array([number(r[k]) for r in body]) for k, key in enumerate(header)}


def _series_surfaces(series) -> list[str]:
    return [k[: -len(".min_concentration")] for k in series if k.endswith(".min_concentration")]


def _time_unit(t_end: float) -> tuple[float, str]:
    if t_end <= 600:
        return 1.0, "s"
    if t_end <= 6 * 3600:
        return 60.0, "min"
    return 3600.0, "h"


def _step_setpoint(study, index):
    """The protocol step ``index`` of the study, or None."""
    steps = getattr(study, "protocol", ()) or ()
    return steps[index] if isinstance(index, int) and 0 <= index < len(steps) else None


def _shade_protocol(ax, study, metrics, scale) -> str:
    """Rests grey, stripping steps orange, a thin line where each step begins; returns the
    legend of the shading for the axis label ("" when nothing was shaded)."""
    shaded = set()
    for k, s in enumerate(_get(metrics, "transient", "protocol") or []):
        start, end = s.get("start"), s.get("end")
        if start is None or end is None:
            continue
        step = _step_setpoint(study, s.get("step"))
        if s.get("mode") == "rest":
            ax.axvspan(start / scale, end / scale, color="0.9", lw=0, zorder=0)
            shaded.add("grey: rest")
        elif step is not None and (step.current_density or 0) < 0:
            ax.axvspan(start / scale, end / scale, color="#fde0c5", lw=0, zorder=0)
            shaded.add("orange: stripping")
        if k:
            ax.axvline(start / scale, color="0.75", lw=0.6, zorder=0)
    return "; " + ", ".join(sorted(shaded)) if shaded else ""


def _sand(metrics):
    """(Sand's time, the surface it was reached on) or (None, None)."""
    t_s = _get(metrics, "transient", "sand_time")
    where = next((n for n, m in (metrics.get("surfaces") or {}).items() if m.get("sand_time") is not None), None)
    return t_s, where


def _plot_history(path, study, metrics, series):
    t = series["time"]
    scale, unit = _time_unit(float(np.nanmax(t)))
    fig = Figure(figsize=(8, 9.5), layout="constrained")
    v_ax, c_ax, q_ax = fig.subplots(3, 1, sharex=True)
    for ax in (v_ax, c_ax, q_ax):
        shading = _shade_protocol(ax, study, metrics, scale)
        ax.grid(alpha=0.3)

    v_ax.plot(t / scale, series["cell_voltage"] * 1e3, color="black", lw=1.6)
    v_ax.axhline(0.0, color="0.6", lw=0.8)
    v_ax.set_ylabel("cell voltage (mV)")
    v_ax.set_title("Cell voltage (electrolyte at the counter vs the electrode; > 0 while plating)", fontsize=10)

    c_bulk = study.electrolyte.concentration
    for color, name in zip(COLORS, _series_surfaces(series)):
        c_ax.plot(t / scale, series[f"{name}.min_concentration"] / MOL_L, color=color, lw=1.6, label=name)
    c_ax.axhline(c_bulk / MOL_L, color="0.5", lw=1, ls=":", label="bulk")
    t_s, where = _sand(metrics)
    if t_s is not None:
        c_ax.axvline(t_s / scale, color="crimson", lw=1.3, ls="--",
                     label=f"Sand's time {t_s:.4g} s" + (f" ({where})" if where else ""))
        c_ax.plot([t_s / scale], [0.0], marker="x", color="crimson", ms=9, mew=2, clip_on=False)
    lows = np.concatenate([series[f"{n}.min_concentration"] for n in _series_surfaces(series)] or [[c_bulk]])
    lows = lows[np.isfinite(lows)]
    if t_s is None and len(lows) and lows.min() > 0.5 * c_bulk:  # far from depletion: show the variation
        lo, hi = min(lows.min(), c_bulk), max(lows.max(), c_bulk)
        pad = 0.08 * (hi - lo) or 0.01 * c_bulk
        c_ax.set_ylim((lo - pad) / MOL_L, (hi + pad) / MOL_L)
        c_ax.set_title("Salt at the electrode surfaces (zoomed: far from depletion)", fontsize=10)
    else:
        c_ax.set_ylim(bottom=0.0)
        c_ax.set_title("Salt at the electrode surfaces (0 = depleted: Sand's time)", fontsize=10)
    c_ax.set_ylabel("lowest surface concentration (mol/L)")
    c_ax.legend(fontsize=8, loc="best")

    lines = q_ax.plot(t / scale, series["plated_capacity"] / MAH_CM2, color="tab:blue", lw=1.6,
                      label="plated capacity (per footprint)")
    q_ax.set_ylabel("plated capacity (mAh/cm²)")
    if np.nanmin(series["plated_capacity"]) >= 0:
        q_ax.set_ylim(bottom=0.0)  # the same zero as the pore filling's axis
    filling = series.get("pore_filling")
    if filling is not None and np.isfinite(filling).any():
        p_ax = q_ax.twinx()
        lines += p_ax.plot(t / scale, 100 * filling, color="tab:green", lw=1.4, ls="--", label="pore filling")
        p_ax.set_ylabel("pore filling (% of the pore volume)", color="tab:green")
        p_ax.set_ylim(bottom=0.0)
    q_ax.legend(lines, [ln.get_label() for ln in lines], fontsize=8, loc="best")
    q_ax.set_title("Plated Li (stripping lowers it)", fontsize=10)
    q_ax.set_xlabel(f"time ({unit}){shading}")
    fig.savefig(path, format="png", dpi=150)


def _plot_fill_order(path, study, metrics, series, z_range):
    t = series["time"]
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    n_ax, f_ax = fig.subplots(1, 2)
    steps = _get(metrics, "transient", "protocol") or []
    logarithmic = len(steps) <= 1 and t[0] > 0 and t[-1] / t[0] > 1e3  # one step: nucleation is early, growth long
    scale, unit = (1.0, "s") if logarithmic else _time_unit(float(np.nanmax(t)))
    shading = "" if logarithmic else _shade_protocol(n_ax, study, metrics, scale)
    for color, name in zip(COLORS, _series_surfaces(series)):
        column = series.get(f"{name}.nucleated_fraction")
        if column is not None:
            n_ax.plot(t / scale, column, color=color, lw=1.8, label=name)
    if logarithmic:
        n_ax.set_xscale("log")
    n_ax.set_ylim(-0.03, 1.05)
    n_ax.set_xlabel(f"time ({unit}){shading}")
    n_ax.set_ylabel("nucleated fraction of the surface area")
    n_ax.set_title("Where Li has nucleated, per surface (fill order)", fontsize=10)
    n_ax.grid(alpha=0.3)
    n_ax.legend(fontsize=8, loc="best")

    q = series["plated_capacity"] / MAH_CM2
    f_ax.plot(q, series["front_height"], color="black", lw=1.8, label="deposit front (half the mean thickness)")
    for key, colour, label in (("height_centroid", "tab:purple", "current-weighted height of plating"),
                               ("deposit_centroid", "tab:green", "charge-weighted height of the deposit")):
        values = series.get(key)
        if values is not None and np.isfinite(values).any():
            f_ax.plot(q, values, color=colour, lw=1.4, ls="--", label=label)
    host_top = getattr(study.geometry, "host_top", None)
    if host_top is not None:
        f_ax.axhline(host_top / (z_range[1] - z_range[0]), color="0.5", lw=1, ls=":", label="host top")
    reach = _get(metrics, "deposition", "capacity_to_host_top")
    if reach is not None:
        f_ax.axvline(reach / MAH_CM2, color="crimson", lw=1.2, ls="--",
                     label=f"front at the host top: {reach / MAH_CM2:.3g} mAh/cm²")
    f_ax.set_ylim(-0.03, 1.03)
    f_ax.set_xlabel("plated capacity (mAh/cm²)")
    f_ax.set_ylabel("normalised height (0 = collector, 1 = separator)")
    f_ax.set_title("How high the deposit reaches", fontsize=10)
    f_ax.grid(alpha=0.3)
    f_ax.legend(fontsize=8, loc="best")
    fig.savefig(path, format="png", dpi=150)


# --- report.md -----------------------------------------------------------------------------


def _f(value, fmt=".3g", scale=1.0, unit=""):
    if value is None:
        return "–"
    try:
        return f"{value * scale:{fmt}}{unit}"
    except (TypeError, ValueError):  # an odd entry in metrics must not cost the whole report
        return str(value)


def _table(header, rows):
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def _summary(metrics, surfaces, z_range, spots, factor):
    out = []
    if surfaces:
        s = max(surfaces, key=lambda s: s.value.max())
        k = int(np.argmax(s.value))
        ratio = _get(metrics, "surfaces", s.name, "max_over_mean") or s.value[k] * s.area.sum() / (s.value @ s.area)
        out.append(f"The peak local current, {s.value[k] / MA_CM2:.3g} mA/cm², is {ratio:.2f}× the mean on "
                   f"{s.name}, near z = {_height(s.centroid[k, 2], z_range):.2f} of the cell height "
                   f"(0 = collector, 1 = separator); "
                   f"{len(spots)} hot spot{'' if len(spots) == 1 else 's'} exceed{'s' if len(spots) == 1 else ''} "
                   f"{factor:g}× the surface mean.")
    dep = metrics.get("deposition") or {}
    if dep.get("height_centroid") is not None:
        text = f"Plating is centred at z = {dep['height_centroid']:.2f} of the cell height"
        if dep.get("coated_share") is not None:
            text += f", and {100 * dep['coated_share']:.0f} % of the plated current lands on the coated surface"
        out.append(text + ".")
    return " ".join(out)


def _markdown(study, metrics, surfaces, z_range, spots, figures, series=None):
    factor = study.output.hot_spot_factor
    transient = metrics.get("transient") is not None
    lines = [f"# {study.name}", ""]
    if study.description:
        lines += [study.description, ""]
    status = metrics.get("status", "unknown")
    if status != "ok":
        lines += [f"> **Run status: {status}.** Numbers below may be incomplete.", ""]
    if transient:
        note, at_rest = _final_state_note(study, metrics)
        lines += [note if at_rest else note + " " + _summary(metrics, surfaces, z_range, spots, factor), ""]
    else:
        lines += [_summary(metrics, surfaces, z_range, spots, factor), ""]
    lines += ["## Key numbers", ""]

    g = lambda *k: _get(metrics, *k)  # noqa: E731
    solver = g("solver") or {}
    timing = {k: v for k, v in (g("timing") or {}).items() if isinstance(v, (int, float))}
    if transient:  # [operating] does not drive a transient run: its protocol does
        rows = [("protocol", _protocol_text(study))]
    else:
        rows = [("applied current density", _f(study.operating.current_density, ".3g", 1 / MA_CM2, " mA/cm²"))]
    if g("deposition"):
        rows += [("current-weighted deposition height (0–1)", _f(g("deposition", "height_centroid"), ".3f")),
                 ("share of current on coated surface", _f(g("deposition", "coated_share"), ".1f", 100, " %"))]
    rows += [("charge-balance error (relative)", _f(g("balance", "relative_error"), ".1e")),
             ("separator potential", _f(g("cell", "separator_potential"), ".2f", 1e3, " mV")),
             ("cell resistance", _f(g("cell", "resistance"), ".4g", 1, " Ω")),
             ("mesh", f"{_f(g('mesh', 'cells'), ',.0f')} cells, {_f(g('mesh', 'dofs'), ',.0f')} dofs, "
                      f"{_f(g('mesh', 'mpi_size'), '.0f')} MPI ranks"),
             ("solver", f"{_f(solver.get('newton_iterations'), '.0f')} Newton, "
                        f"{_f(solver.get('krylov_iterations'), '.0f')} Krylov iterations"
                        + {True: ", converged", False: ", **not converged**"}.get(solver.get("converged"), "")),
             ("wall time", ", ".join(f"{k} {v:.1f} s" for k, v in timing.items())
                           + (f" (total {sum(timing.values()):.1f} s)" if timing else "–"))]
    lines += _table(("quantity", "value"), rows) + [""]

    surf_metrics = g("surfaces") or {}
    total = sum(m.get("total_current") or 0.0 for m in surf_metrics.values())
    rows = [(name, _f(m.get("area"), ",.0f", 1 / UM**2),
             _f(m.get("total_current") if total else None, ".1f", 100 / (total or 1), " %"),
             _f(m.get("mean"), ".3g", 1 / MA_CM2), _f(m.get("max"), ".3g", 1 / MA_CM2),
             _f(m.get("max_over_mean"), ".2f"), _f(m.get("cv"), ".3f"),
             _f(m.get("area_fraction_above_2x_mean"), ".2f", 100, " %"), str(len(m.get("hot_spots") or [])))
            for name, m in surf_metrics.items()]
    lines += _table(("surface", "area (µm²)", "share of current", "mean (mA/cm²)", "max (mA/cm²)", "max/mean", "CV",
                     "area > 2× mean", "hot spots"), rows) + [""]

    if transient:
        lines += _transient_section(study, metrics, series, figures)

    if spots:
        lines += [f"## Hot spots (regions above {factor:g}× the surface mean; top {min(len(spots), TOP_SPOTS)} "
                  f"of {len(spots)} by peak)", ""]
        rows = []
        for i, (name, hs) in enumerate(spots[:TOP_SPOTS], 1):
            c = np.asarray(hs["centroid"], dtype=float)
            mean = _get(surf_metrics, name, "mean")
            rows.append((str(i), name, ", ".join(f"{v / UM:.1f}" for v in c), f"{_height(c[2], z_range):.2f}",
                         _f(hs.get("area"), ".1f", 1 / UM**2), _f(hs["peak"], ".3g", 1 / MA_CM2),
                         _f(hs["peak"] / mean if mean else None, ".2f"), _f(hs.get("current"), ".3g", 1e9)))
        lines += _table(("#", "surface", "centroid x, y, z (µm)", "height (0–1)", "area (µm²)", "peak (mA/cm²)",
                         "peak/mean", "current (nA)"), rows) + [""]

    flaws = g("fracture", "flaws")
    if flaws:
        lines += ["## Crack-driving force", ""]
        lines += _table(("flaw", "K_I max (MPa·m^½)", "K_IC (MPa·m^½)", "K_I/K_IC", "G max (J/m²)"),
                        [(fl.get("name", "?"), _f(fl.get("K_I_max"), ".3g", 1e-6), _f(fl.get("K_IC"), ".3g", 1e-6),
                          _f(fl.get("K_ratio"), ".3f"), _f(fl.get("G_max"), ".3g")) for fl in flaws]) + [""]
    sigma = g("fracture", "max_principal_stress")
    if sigma and sigma.get("value") is not None:
        where = ", ".join(f"{v / UM:.1f}" for v in sigma.get("location") or [])
        at = f" at ({where}) µm" if where else ""
        lines += [f"Largest principal stress: {sigma['value'] * 1e-6:.3g} MPa{at}.", ""]

    captions = {"current_distribution": "Distribution of local plating current over each surface",
                "current_vs_height": "Area-averaged plating current versus height",
                "surface_current": "Plating current on the electrode surfaces (numbers mark the hot spots above)"}
    lines += ["## Figures of the final state" if transient else "## Figures", ""]
    for name, caption in captions.items():
        lines += [f"![{caption}]({figures[name]})" if name in figures else f"*{caption}: figure not available.*", ""]
    return "\n".join(lines)


# --- report.md: transient runs ----------------------------------------------------------------


def _step_text(step) -> str:
    if step.mode == "galvanostatic":
        return f"galvanostatic {step.current_density / MA_CM2:.3g} mA/cm²"
    if step.mode == "potentiostatic":
        return f"potentiostatic {step.voltage * 1e3:.3g} mV"
    return "rest"


def _step_end(step) -> str:
    """What ends a protocol step when no event does."""
    parts = []
    if step.duration is not None:
        parts.append(f"{step.duration:.4g} s")
    if step.capacity is not None:
        parts.append(f"{step.capacity / MAH_CM2:.3g} mAh/cm²")
    return " or ".join(parts)


def _protocol_text(study) -> str:
    steps = getattr(study, "protocol", ()) or ()
    text = ", ".join(f"{_step_text(s)} to {_step_end(s)}" for s in steps) or "–"
    cycles = getattr(getattr(study, "time", None), "cycles", 1)
    return text + (f"; {cycles} cycles" if cycles > 1 else "")


def _final_state_note(study, metrics) -> tuple[str, bool]:
    """The sentence that says the steady numbers below are of the last instant; whether it is a rest."""
    steps = _get(metrics, "transient", "protocol") or []
    t_end = _get(metrics, "transient", "time")
    last = steps[-1] if steps else {}
    at_rest = last.get("mode") == "rest"
    note = (f"Transient run: the current-distribution numbers and the last three figures are of the final "
            f"state, t = {_f(t_end, '.4g')} s (end of a {last.get('mode', '?')} step); the history is in "
            f"[Transient run](#transient-run).")
    if at_rest:
        note += (" No current flows in that state, so the ratios to the mean current and the hot spots "
                 "below carry no meaning.")
    return note, at_rest


def _event_text(s, study) -> str:
    event = s.get("event")
    if event == "sand":
        return f"Sand's time (t_s = {_f(s.get('event_time'), '.4g')} s)"
    if event is not None:
        return event.replace("_", " ")
    step = _step_setpoint(study, s.get("step"))
    if step is None:
        return "its end"
    ends = {"duration": step.duration}
    if step.capacity is not None and step.mode == "galvanostatic":
        ends["capacity"] = step.capacity / abs(step.current_density)
    known = {k: v for k, v in ends.items() if v is not None}
    return min(known, key=known.get) if known else "its end"


def _transient_section(study, metrics, series, figures) -> list[str]:
    g = lambda *k: _get(metrics, *k)  # noqa: E731
    tr, dep = g("transient") or {}, g("deposition") or {}
    steps = tr.get("protocol") or []
    lines = ["## Transient run", ""]
    rejected = sum(s.get("rejected_steps") or 0 for s in steps)
    text = (f"Simulated {_f(tr.get('time'), '.6g')} s in {_f(tr.get('time_steps'), '.0f')} accepted time steps "
            f"({rejected} rejected), {len(steps)} protocol step{'' if len(steps) == 1 else 's'}.")
    if tr.get("resumed_at") is not None:
        text += f" Resumed from a checkpoint at t = {tr['resumed_at']:.4g} s."
    t_s, where = _sand(metrics)
    surf = g("surfaces") or {}
    if t_s is not None:
        loc = _get(surf, where, "sand_location") if where else None
        at = f", at ({', '.join(f'{v / UM:.1f}' for v in loc)}) µm" if loc else ""
        text += f" **The salt at the surface ran out (Sand's time) at t_s = {t_s:.4g} s on {where or '?'}{at}.**"
    else:
        low = [(m.get("min_concentration"), n, m.get("min_concentration_time")) for n, m in surf.items()
               if m.get("min_concentration") is not None]
        if low:
            c, n, t = min(low, key=lambda v: v[0])
            text += (f" Sand's time was not reached: the lowest surface concentration was {c / MOL_L:.3g} mol/L, "
                     f"on {n} at t = {_f(t, '.4g')} s.")
    lines += [text, ""]
    warning = tr.get("property_range_warning")
    if warning:
        lines += [f"> **Warning:** the electrolyte's properties were used outside their source's range: {warning}", ""]
    if dep.get("thick_deposit"):
        lines += [f"> **Warning:** the thickest local deposit, {_f(dep.get('max_thickness'), '.3g', 1 / UM)} µm, "
                  f"exceeds {study.deposition.thickness_warning:g}× the hydraulic pore diameter "
                  f"({_f(dep.get('pore_diameter'), '.3g', 1 / UM)} µm): the deposit is a surface state, the "
                  "electrolyte keeps its shape, and that no longer holds.", ""]

    rows = []
    for k, s in enumerate(steps[:PROTOCOL_ROWS]):
        step = _step_setpoint(study, s.get("step"))
        cycle = s.get("cycle")
        rows.append((str(k + 1), str(cycle + 1) if isinstance(cycle, int) else "–",
                     _step_text(step) if step is not None else str(s.get("mode")),
                     _f(s.get("start"), ".6g"), _f(s.get("end"), ".6g"), _f(s.get("time_steps"), ".0f"),
                     _f(s.get("rejected_steps"), ".0f"), _event_text(s, study)))
    lines += ["### Protocol", ""]
    lines += _table(("#", "cycle", "step", "start (s)", "end (s)", "time steps", "rejected", "ended by"), rows) + [""]
    if len(steps) > PROTOCOL_ROWS:
        lines += [f"… and {len(steps) - PROTOCOL_ROWS} more steps (all in metrics.json, `transient.protocol`).", ""]

    c_range = tr.get("concentration_range")
    salt = tr.get("salt_amount") or {}
    footprint = g("cell", "counter_area")
    over = dep.get("overstripped_charge")
    rows = [("plated capacity (per footprint)", _f(dep.get("plated_capacity"), ".3g", 1 / MAH_CM2, " mAh/cm²")),
            ("pore filling (Li volume / pore volume below the host top)", _f(dep.get("pore_filling"), ".1f", 100, " %")),
            ("deposit front: highest nucleated facet (0–1)", _f(dep.get("front_height"), ".3f")),
            ("plated capacity when the front reached the host top",
             _f(dep.get("capacity_to_host_top"), ".3g", 1 / MAH_CM2, " mAh/cm²")),
            ("thickest local Li deposit", _f(dep.get("max_thickness"), ".3g", 1 / UM, " µm")),
            ("hydraulic pore diameter 4 V_pore / A_host", _f(dep.get("pore_diameter"), ".3g", 1 / UM, " µm")),
            ("charge stripped beyond the plated Li (per footprint)",
             _f(over / footprint if over is not None and footprint else None, ".3g", 1 / MAH_CM2, " mAh/cm²")),
            ("salt in the electrolyte, largest relative change", _f(salt.get("max_relative_change"), ".2e"))]
    if c_range:
        rows.append(("concentration range reached", f"{c_range[0] / MOL_L:.3g}–{c_range[1] / MOL_L:.3g} mol/L"))
    lines += ["### Deposit and salt", ""] + _table(("quantity", "value"), rows) + [""]

    rows = []
    for name, m in surf.items():
        loc = m.get("min_concentration_location")
        rows.append((name, _f(m.get("min_concentration"), ".3g", 1 / MOL_L), _f(m.get("min_concentration_time"), ".4g"),
                     ", ".join(f"{v / UM:.1f}" for v in loc) if loc else "–", _f(m.get("sand_time"), ".4g"),
                     _f(m.get("plated_capacity"), ".3g", 1 / MAH_CM2), _f(m.get("nucleated_fraction"), ".3f")))
    lines += _table(("surface", "lowest c (mol/L)", "at t (s)", "at x, y, z (µm)", "Sand's time (s)",
                     "plated (mAh/cm² of surface)", "nucleated fraction"), rows) + [""]

    captions = {"transient_history": "Cell voltage, lowest surface concentration per surface (Sand's time marked) "
                                     "and plated capacity with pore filling, over time",
                "fill_order": "Fill order: nucleated fraction of each surface over time, and the deposit front "
                              "against the plated capacity"}
    if series is None:
        lines += ["*Time plots: timeseries.csv not available.*", ""]
    else:
        for name, caption in captions.items():
            lines += [f"![{caption}]({figures[name]})" if name in figures else f"*{caption}: figure not available.*", ""]
    return lines
