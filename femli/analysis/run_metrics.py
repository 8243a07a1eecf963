"""The metrics.json of a run (DESIGN.md output contract), SI throughout."""

import ufl
from dolfinx import fem
from mpi4py import MPI

from femli.analysis.hotspots import deposition, surface_statistics


def _integral(expr, comm) -> float:
    return comm.allreduce(fem.assemble_scalar(fem.form(expr)), op=MPI.SUM)


def collect_metrics(study, model, bundle, fields, stats, comm) -> dict:
    """Collective for the global integrals; the surface part is computed on rank 0 (None elsewhere)."""
    ds = model.ds(model.counter_tag)
    counter_area = _integral(1.0 * ds, comm)
    applied = study.operating.current_density * counter_area
    v_counter = _integral(model.phi * ds, comm) / counter_area
    metrics = {
        "status": "running",
        "study": study.name,
        "cell": {
            "separator_potential": v_counter,
            "resistance": v_counter / applied,
            "area_specific_resistance": v_counter / study.operating.current_density,
        },
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
    if comm.rank != 0:
        return metrics
    factor = study.output.hot_spot_factor
    metrics["surfaces"] = {s.name: surface_statistics(s, factor) for s in fields}
    metrics["deposition"] = deposition(fields, bundle.info.z_collector, bundle.info.z_separator)
    plated = sum(s["total_current"] for s in metrics["surfaces"].values())
    metrics["balance"] = {
        "applied_current": applied,
        "plated_current": plated,
        "relative_error": abs(plated - applied) / applied,
    }
    return metrics
