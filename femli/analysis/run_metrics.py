"""The metrics.json of a run (DESIGN.md output contract), SI throughout."""

import ufl
from dolfinx import fem
from mpi4py import MPI

from femli.analysis.hotspots import deposition, surface_statistics
from femli.physics.conduction import current_density


def _integral(expr, comm) -> float:
    return comm.allreduce(fem.assemble_scalar(fem.form(expr)), op=MPI.SUM)


def cell_metrics(study, model, comm) -> dict:
    """Cell voltage and resistance, split by where the energy is dissipated."""
    ds = model.ds(model.counter_tag)
    counter_area = _integral(1.0 * ds, comm)
    current = model.applied_current()
    voltage = _integral(model.phi * ds, comm) / counter_area
    power = model.power_split()
    out = {
        "counter_area": counter_area,
        "applied_current": current,
        "separator_potential": voltage,
        "resistance": voltage / current,
        "area_specific_resistance": voltage * counter_area / current,
        "resistance_ohmic": power["ohmic"] / current**2,
        "resistance_charge_transfer": power["charge_transfer"] / current**2,
    }
    if getattr(study.geometry, "is_slab", False):
        # a layer of thickness L and cross-section A: ideal full contact would give L / (kappa A)
        thickness = study.geometry.thickness
        bulk = thickness / (study.electrolyte.conductivity * counter_area)
        out["interface"] = {
            "bulk_resistance_1d": bulk,
            "constriction_resistance": out["resistance_ohmic"] - bulk,
            "charge_transfer_resistance": out["resistance_charge_transfer"],
            "interface_resistance": out["resistance"] - bulk,
            "area_specific_interface_resistance": (out["resistance"] - bulk) * counter_area,
            "area_specific_constriction_resistance": (out["resistance_ohmic"] - bulk) * counter_area,
            "area_specific_charge_transfer_resistance": out["resistance_charge_transfer"] * counter_area,
        }
    return out


def phase_metrics(model, comm) -> dict:
    """Share of the through-thickness current carried by each volume, against its volume share."""
    if len(model.volumes) < 2:
        return {}
    down = -current_density(model.phi, model.kappa)[2]  # plating current flows towards -z
    total_flow = _integral(down * model.dx, comm)
    total_volume = _integral(1.0 * model.dx, comm)
    out = {}
    for name, tag in model.volumes.items():
        vol = _integral(1.0 * model.dx(tag), comm)
        share = _integral(down * model.dx(tag), comm) / total_flow
        out[name] = {"volume_fraction": vol / total_volume, "current_share": share,
                     "current_enhancement": share / (vol / total_volume)}
    return out


def collect_metrics(study, model, bundle, fields, stats, comm) -> dict:
    """Collective for the global integrals; the surface part is computed on rank 0 (None elsewhere)."""
    cell = cell_metrics(study, model, comm)
    phases = phase_metrics(model, comm)
    primary_total = {n: model.boundary_current(tag) for n, (tag, kin) in model.electrodes.items() if kin.is_primary}
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
    if comm.rank != 0:
        return metrics
    factor = study.output.hot_spot_factor
    metrics["surfaces"] = {s.name: surface_statistics(s, factor) for s in fields}
    metrics["deposition"] = deposition(fields, bundle.info.z_collector, bundle.info.z_separator)
    # kinetic surfaces: facet sums are exact; primary surfaces: the consistent boundary current
    plated = sum(primary_total.get(n, s["total_current"]) for n, s in metrics["surfaces"].items())
    applied = cell["applied_current"]
    metrics["balance"] = {
        "applied_current": applied,
        "plated_current": plated,
        "relative_error": abs(plated - applied) / abs(applied),
    }
    return metrics
