"""Interface resistance versus contact fraction, from a `femli sweep` table.

    .venv/bin/femli sweep problems/sse_contact_loss_sweep.toml        # -> results/sse_contact_loss_sweep/
    .venv/bin/python docs/examples/contact_loss_figure.py [sweep.json] [figure.png]

Reads the sweep table, prints it in ohm cm^2 as a Markdown table, and plots the
area-specific interface resistance and its constriction and charge-transfer
parts against the contact fraction f, one line per contact pattern.

Dashed: the estimate for n x n circular spots (n = 1: single spot), each
centred in an n x n sub-cell of the cell area A:

    constriction   psi(eps) / (4 sigma a) * A / n^2,   a = sqrt(f A / (pi n^2)),  eps = sqrt(f),
                   psi = (1 - eps)^1.5 (equipotential spot in a circular flux tube of equal area)
    charge transfer  eta(i / f) / i,   eta(j) = asinh(j / (2 i0)) / (alpha F/RT)
                   (uniform current i/f on the contact, symmetric Butler-Volmer; R_ct / f when i/f << i0)

The material and cell values come from the sweep's base study.
"""

import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FormatStrFormatter, LogLocator

import femli
from femli.physics.constants import thermal_voltage

ROOT = Path(__file__).resolve().parents[2]
TABLE = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "results/sse_contact_loss_sweep/sweep.json"
PNG = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs/examples/sse_interfaces/contact_loss.png"
STUDY = ROOT / "problems/sse_contact_loss.toml"  # the sweep's base study
OHM_CM2 = 1e4  # ohm m^2 -> ohm cm^2
KEY = "cell.interface.area_specific_{}_resistance"


def spots_per_side(contact: dict) -> int:
    if contact.get("pattern") == "spot_array":
        nx, ny = contact.get("spots", (2, 2))
        assert nx == ny, "the estimate assumes a square n x n array"
        return nx
    return 1


def read(path: Path) -> dict[str, list[dict]]:
    """Rows with status ok, grouped by pattern label, sorted by contact fraction."""
    groups: dict[str, list[dict]] = {}
    for row in json.loads(path.read_text())["rows"]:
        if row["status"] != "ok":
            print(f"case {row['case']}: {row['status']} ({row.get('error', '')})", file=sys.stderr)
            continue
        contact = row["geometry.contact"]
        n = spots_per_side(contact)
        label = "single spot" if n == 1 else f"{n} x {n} spots"
        groups.setdefault(label, []).append({
            "n": n,
            "f": float(row["geometry.contact_fraction"]),
            **{part: float(row[KEY.format(part)]) for part in ("interface", "constriction", "charge_transfer")},
            "max_over_mean": float(row["surfaces.li_contact.max_over_mean"]),
        })
    return {k: sorted(v, key=lambda r: r["f"]) for k, v in groups.items()}


def estimate(f: float, n: int, s) -> dict[str, float]:
    g, k = s.geometry, s.kinetics["li_contact"]
    assert k.model == "butler_volmer" and k.alpha_a == k.alpha_c, "the estimate assumes symmetric Butler-Volmer"
    A, sigma, i = g.width * g.depth, s.electrolyte.conductivity, s.operating.current_density
    a, eps = math.sqrt(f * A / (math.pi * n * n)), math.sqrt(f)
    constriction = (1 - eps) ** 1.5 / (4 * sigma * a) * A / n**2
    eta = thermal_voltage(s.operating.temperature) / k.alpha_a * math.asinh(i / f / (2 * k.exchange_current_density))
    return {"constriction": constriction, "charge_transfer": eta / i, "interface": constriction + eta / i}


def cm2(x: float) -> str:
    return f"{round(x * OHM_CM2, 3) + 0.0:.3f}"  # + 0.0: no "-0.000" for a round-off zero


def main():
    study = femli.load_study(STUDY)
    groups = read(TABLE)
    print("| pattern | f | interface | constriction | charge transfer | estimate (interface) | max/mean |")
    print("|---|---|---|---|---|---|---|")
    for label, rows in groups.items():
        for r in rows:
            e = estimate(r["f"], r["n"], study)
            print(f"| {label} | {r['f']:.2f} | {cm2(r['interface'])} | {cm2(r['constriction'])} | "
                  f"{cm2(r['charge_transfer'])} | {cm2(e['interface'])} | {r['max_over_mean']:.3f} |")

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), layout="constrained", sharex=True)
    titles = {"interface": "interface (total)", "constriction": "constriction", "charge_transfer": "charge transfer"}
    fine = [0.02 + 0.01 * k for k in range(98)] + [0.999]
    for (label, rows), color in zip(groups.items(), ("tab:blue", "tab:orange", "tab:green")):
        for ax, part in zip(axes, titles):
            pts = [(r["f"], r[part] * OHM_CM2) for r in rows if r[part] > 0]  # log axis: drop the zero at f = 1
            ax.plot(*zip(*pts), "o-", color=color, ms=4, label=f"{label} (femli)")
            ax.plot(fine, [estimate(f, rows[0]["n"], study)[part] * OHM_CM2 for f in fine], "--", color=color, lw=1,
                    label=f"{label} (estimate)")
    for ax, title in zip(axes, titles.values()):
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_locator(LogLocator(subs=(2, 5)))
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("contact fraction f")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("area-specific resistance (Ω cm²)")
    axes[1].set_ylim(bottom=1e-2)
    axes[0].legend(fontsize=7)
    PNG.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PNG, dpi=100)
    print(f"figure: {PNG}")


if __name__ == "__main__":
    main()
