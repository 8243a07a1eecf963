"""The metrics.json of a run (DESIGN.md output contract), SI throughout."""

from femli.analysis.hotspots import deposition, surface_statistics
from femli.physics.conduction import current_density


def cell_metrics(study, model, comm) -> dict:
    """Cell voltage and resistance, split by where the energy is dissipated."""
    ds = model.counter_measure()
    counter_area = model.integral(1.0 * ds)
    current = model.applied_current()
    voltage = model.integral(model.phi * ds) / counter_area
    power = model.power_split()
    out = {"counter_area": counter_area, "applied_current": current, "separator_potential": voltage}
    if current == 0:  # a transient run ending at rest: no resistance to speak of
        return out
    if getattr(model, "transient", False):
        # with salt gradients part of the power goes to the concentration overpotential: the
        # ohmic / charge-transfer split of a steady cell does not add up, and is not reported
        return out | {"resistance": voltage / current, "area_specific_resistance": voltage * counter_area / current}
    out |= {
        "resistance": voltage / current,
        "area_specific_resistance": voltage * counter_area / current,
        "resistance_ohmic": power["ohmic"] / current**2,
        "resistance_charge_transfer": power["charge_transfer"] / current**2,
    }
    if getattr(study.geometry, "is_slab", False) and current != 0:
        out["interface"] = interface_metrics(study, out, counter_area)
    return out


def interface_metrics(study, cell: dict, area: float) -> dict:
    """Resistances beyond the ideal slab: a single-phase layer of thickness L and
    cross-section A in full contact has the bulk resistance L / (kappa A)."""
    bulk = study.geometry.thickness / (study.electrolyte.conductivity * area)
    parts = {
        "interface": cell["resistance"] - bulk,
        # constriction at lost contact (> 0), resistive phases (> 0), path shortened by protrusions or flaws (< 0)
        "ohmic_excess": cell["resistance_ohmic"] - bulk,
        "charge_transfer": cell["resistance_charge_transfer"],
    }
    if study.geometry.contact_features_only:
        parts["constriction"] = parts["ohmic_excess"]
    out = {"bulk_resistance_1d": bulk}
    for name, value in parts.items():
        out[f"{name}_resistance"] = value
        out[f"area_specific_{name}_resistance"] = value * area
    return out


def phase_metrics(model, comm) -> dict:
    """Share of the through-thickness current carried by each volume, against its volume share."""
    if len(model.volumes) < 2:
        return {}
    down = -current_density(model.phi, model.conductivity)[2]  # plating current flows towards -z
    dx = model.electrolyte.measure("dx")
    total_flow = model.integral(down * dx)
    total_volume = model.integral(1.0 * dx)
    out = {}
    for name, tag in model.volumes.items():
        vol = model.integral(1.0 * dx(tag))
        share = model.integral(down * dx(tag)) / total_flow
        out[name] = {"volume_fraction": vol / total_volume, "current_share": share,
                     "current_enhancement": share / (vol / total_volume)}
    return out


def collect_metrics(study, model, bundle, stats, comm) -> dict:
    """The global integrals (collective: every rank calls, every rank gets them)."""
    cell = cell_metrics(study, model, comm)
    phases = phase_metrics(model, comm)
    metrics = {
        "status": "running",
        "study": study.name,
        "cell": cell,
        "solver": {"method": study.solver.method, **stats.as_dict()},
        "mesh": {
            "cells": bundle.quality["cells"],
            "dofs": model.dofs(),
            "mpi_size": comm.size,
            "min_quality": bundle.quality["min_quality"],
            "mean_quality": bundle.quality["mean_quality"],
            "min_edge": bundle.quality["min_edge"],
            "hash": bundle.hash,
        },
        "geometry": dict(bundle.info.measures),
    }
    if phases:
        metrics["phases"] = phases
    record = getattr(model, "record", None)
    if record is not None:  # merged into the surface blocks on rank 0 by add_surface_metrics
        metrics["_transient"] = record.metrics()
    return metrics


def add_surface_metrics(metrics, study, model, bundle, fields) -> dict:
    """Surface statistics, deposition and the charge balance from the gathered surfaces (rank 0)."""
    factor = study.output.hot_spot_factor
    metrics["surfaces"] = {s.name: surface_statistics(s, factor) for s in fields}
    for name, piece in model.electrodes.items():
        # on a primary surface the local current is the consistent (residual) flux
        metrics["surfaces"][name]["local_current"] = "consistent flux" if piece.is_primary else "kinetics"
    metrics["deposition"] = deposition(fields, bundle.info.z_collector, bundle.info.z_separator)
    plated = sum(s["total_current"] for s in metrics["surfaces"].values())
    applied = metrics["cell"]["applied_current"]
    # a transient run may end at rest: judge the balance against the run's largest current
    scale = model.current_scale() if hasattr(model, "current_scale") else abs(applied)
    metrics["balance"] = {
        "applied_current": applied,
        "plated_current": plated,
        "relative_error": abs(plated - applied) / scale,
    }
    extra = metrics.pop("_transient", None)  # computed collectively by collect_metrics
    if extra is not None:
        for name, values in extra.pop("surfaces").items():
            metrics["surfaces"][name] |= values
        metrics["deposition"] |= extra.pop("deposition")
        metrics |= extra
    return metrics
