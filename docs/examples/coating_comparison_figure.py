"""Grouped bars of the deposition height centroid for the coating comparison sweep.

    .venv/bin/femli sweep problems/coating_comparison_sweep.toml --out /tmp/cc
    .venv/bin/python docs/examples/coating_comparison_figure.py /tmp/cc/sweep.json

Writes docs/examples/coatings/coating_comparison.png (or the path given as the
second argument).
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent


def coating_label(coating: dict) -> str:
    if not coating.get("bands", True) and "bottom_fraction" not in coating:
        return "no coating"
    if coating.get("bottom_fraction") == 1.0:
        return "uniform"
    return f"bottom {coating['bottom_fraction']:.0%}"


def main(sweep_json: str, out: str | None = None) -> Path:
    rows = json.loads(Path(sweep_json).read_text())["rows"]
    coatings, currents = [], []
    for r in rows:
        c, i = coating_label(r["geometry.coating"]), r["operating.current_density"]
        coatings += [c] if c not in coatings else []
        currents += [i] if i not in currents else []
    z = {(coating_label(r["geometry.coating"]), r["operating.current_density"]): r["deposition.height_centroid"]
         for r in rows if r["status"] == "ok"}

    x = np.arange(len(coatings))
    width = 0.8 / len(currents)
    fig, ax = plt.subplots(figsize=(5.5, 3.6), constrained_layout=True)
    for k, i in enumerate(currents):
        vals = [z.get((c, i), np.nan) for c in coatings]
        bars = ax.bar(x + (k - (len(currents) - 1) / 2) * width, vals, width, label=i.replace("^2", "²"))
        ax.bar_label(bars, fmt="%.3f", fontsize=8)
    ax.set_xticks(x, coatings)
    ax.set_ylabel("deposition height centroid\n(0 = collector, 1 = separator)")
    ax.set_ylim(0, 0.4)
    ax.set_title("Cu pillars, Au-like coating, 40 mV barrier on bare Cu", fontsize=9)
    ax.legend(title="current density", fontsize=8, title_fontsize=8)
    path = Path(out) if out else HERE / "coatings" / "coating_comparison.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150)
    return path


if __name__ == "__main__":
    print(main(*sys.argv[1:3]))
