"""Figures and the human-readable report of one run (rank 0, after the solve).

Reads only the gathered surface records and the metrics dict. Figures are
best-effort: one that fails is logged and left out, and the report and the
other figures are still written. metrics.json stays SI; the report speaks
mA/cm², µm and mV, the units battery people read.
"""

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
    _remove_stale_temporaries(out_dir, drawers)
    figures = {}
    for name, draw in drawers.items():
        path = out_dir / "figures" / f"{name}.png"
        try:
            _write_figure(path, draw)
            figures[name] = path.relative_to(out_dir).as_posix()
        except Exception:
            log.warning("report: figure %s not written", name, exc_info=True)
    return write_text(out_dir / "report.md", _markdown(study, metrics, surfaces, z_range, spots, figures))


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


def _markdown(study, metrics, surfaces, z_range, spots, figures):
    factor = study.output.hot_spot_factor
    lines = [f"# {study.name}", ""]
    if study.description:
        lines += [study.description, ""]
    status = metrics.get("status", "unknown")
    if status != "ok":
        lines += [f"> **Run status: {status}.** Numbers below may be incomplete.", ""]
    lines += [_summary(metrics, surfaces, z_range, spots, factor), "", "## Key numbers", ""]

    g = lambda *k: _get(metrics, *k)  # noqa: E731
    solver = g("solver") or {}
    timing = {k: v for k, v in (g("timing") or {}).items() if isinstance(v, (int, float))}
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
    lines += ["## Figures", ""]
    for name, caption in captions.items():
        lines += [f"![{caption}]({figures[name]})" if name in figures else f"*{caption}: figure not available.*", ""]
    return "\n".join(lines)
