#!/usr/bin/env python3
"""Performance harness: femli on the default study against a hand-written DOLFINx solve.

    .venv/bin/mpiexec -n 2 .venv/bin/python benchmarks/run_benchmarks.py           # main result
    .venv/bin/python benchmarks/run_benchmarks.py                                  # 1 rank
    .venv/bin/mpiexec -n 2 .venv/bin/python benchmarks/run_benchmarks.py --quick   # smoke test

For each of three mesh sizes of problems/pillar_host.toml (P1, ~50 k to ~1 M
unknowns) the harness runs, in one process and on the same cached mesh:

* femli, default study (Butler-Volmer kinetics on every electrode surface);
* femli, the same study with every kinetics switched to ``model = "linear"``;
* "plain": the equivalent linear problem written by hand in UFL
  (conduction + Robin terms 1/R_ct on the electrode surfaces + applied current
  on the separator), assembled with dolfinx.fem.petsc and solved with one PETSc
  KSP (CG + GAMG with the options of femli.solvers.petsc_options);
* femli host conduction: the default study with a ``[host]`` section (finite
  electronic conductivity of the pillars, HOST_CONDUCTIVITY; the pillars are
  meshed too, so this is another mesh), Butler-Volmer kinetics, solved
  iteratively (CG + additive fieldsplit, one GAMG per field) and, where the
  host problem is small enough (--direct-max-dofs), with MUMPS.

It records femli's stage timings, Newton/Krylov iterations and PETSc event
times, the plain assembly and solve times (barrier + perf_counter, max over
ranks), checks that plain and femli-linear agree on the separator potential,
and reports ratios measured in the same run: femli linear solve time / plain
(assembly + solve) time, femli BV solve / femli linear solve, host-conduction
solve / perfect-conductor (default study, BV) solve, and the growth of Krylov
iterations per Newton step from the smallest to the largest mesh. See
benchmarks/README.md.

Results (rank 0): benchmarks/results/pillar_host_<N>ranks.json and a README.md
with one section per rank count (regenerated from all JSON files present).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import sys
import time
import traceback
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STUDY = ROOT / "problems" / "pillar_host.toml"

# Mesh sizes as (label, size_min in um). size_max keeps the default study's
# ratio size_max/size_min = 4/1.2 and growth_distance stays 8 um, so a size is a
# uniform refinement of the default mesh (size_min 1.2 um, ~10 k P1 dofs).
GROWTH_UM = 8.0
SIZE_RATIO = 4.0 / 1.2
FULL_SIZES = [("S", 0.65), ("M", 0.36), ("L", 0.22)]
QUICK_SIZES = [("q1", 2.0), ("q2", 1.6), ("q3", 1.2)]
WARMUP_SIZE = ("warmup", 2.0)

# --diagnose: extra femli runs with PETSc options passed through solver.petsc_options (femli
# itself unchanged; femli applies the study's petsc_options last), to show where femli's
# solve time goes against the plain solve:
#   linear+newton_bt: the full Newton/line-search path on the linear problem (femli's solve
#     for linear kinetics is a single KSP solve, snes_type = ksponly);
#   linear+unpreconditioned_norm: CG stops on the true residual (same ksp_rtol);
#   butler_volmer+no_gamg_reuse: GAMG rebuilds its coarse spaces at every Newton step;
#   butler_volmer+basic_linesearch: full Newton steps without the sufficient-decrease test.
DIAGNOSTIC_VARIANTS = {
    "linear+newton_bt": ("linear", {"snes_type": "newtonls", "snes_linesearch_type": "bt"}),
    "linear+unpreconditioned_norm": ("linear", {"ksp_norm_type": "unpreconditioned"}),
    "butler_volmer+no_gamg_reuse": ("butler_volmer", {"pc_gamg_reuse_interpolation": False}),
    "butler_volmer+basic_linesearch": ("butler_volmer", {"snes_linesearch_type": "basic"}),
}

TARGET_RATIO = 1.5  # femli linear solve / plain (assembly + solve)
TARGET_KPN_GROWTH = 30.0  # % growth of Krylov iterations per Newton step, smallest -> largest mesh
TARGET_BV_OVER_LINEAR = 1.5  # femli BV solve / femli linear solve (constant Jacobian part assembled once)
TARGET_HOST_OVER_PERFECT = 2.0  # host-conduction solve (iterative) / perfect-conductor solve, both BV

# Host conduction runs: a carbon-like host (sigma_s = 1e-2 S/m, 1e4 x less than the
# electrolyte's ~1 S/m; the hardest case for the coupled solve), Butler-Volmer kinetics.
HOST_CONDUCTIVITY = "1e-2 S/m"
# MUMPS on the host problem only up to this many unknowns (its time and memory grow much
# faster than the iterative solve's; the old MUMPS-only version took 104 s at 413 k on 1 rank).
DIRECT_MAX_DOFS = 450_000

# PETSc events whose time and count tell where a femli solve spends its time.
PETSC_EVENTS = [
    "SNESSolve",
    "SNESFunctionEval",
    "SNESJacobianEval",
    "SNESLineSearch",
    "KSPSetUp",
    "KSPSolve",
    "PCSetUp",
    "PCSetUpOnBlocks",  # fieldsplit: the per-field GAMG set-ups happen here, not in PCSetUp
    "PCApply",
    "MatPtAPNumeric",  # GAMG's Galerkin coarse operators, recomputed at every set-up
    "MatAssemblyEnd",
]

# Physical constants, CODATA 2018 (exact in the 2019 SI). Written out here on
# purpose: the plain solve must not reuse femli's kinetics code it checks.
FARADAY = 96485.33212
GAS_CONSTANT = 8.314462618


# --------------------------------------------------------------------------- helpers


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small meshes only (smoke test, about a minute)")
    p.add_argument("--sizes", help="comma-separated size labels (S,M,L) or size_min values in um, overriding the "
                   "built-in sizes")
    p.add_argument("--results", type=Path, help="result directory (default benchmarks/results; "
                   "benchmarks/.cache/results-quick with --quick)")
    p.add_argument("--cache", type=Path, default=HERE / ".cache" / "meshes", help="mesh cache (FEMLI_CACHE)")
    p.add_argument("--repeat", type=int, help="run femli linear and plain this many times each, alternating, "
                   "and compare the best of each (default 3; 1 with --quick)")
    p.add_argument("--diagnose", action="store_true",
                   help="also run femli with a few PETSc option overrides (see DIAGNOSTIC_VARIANTS)")
    p.add_argument("--no-warmup", action="store_true", help="skip the unrecorded warm-up (form JIT) run")
    p.add_argument("--host-conductivity", default=HOST_CONDUCTIVITY,
                   help=f"host.conductivity of the host-conduction runs (default {HOST_CONDUCTIVITY!r})")
    p.add_argument("--host-sizes", help="comma-separated size labels (S,M,L; q1,...; s1,...) at which to run the "
                   "host-conduction problem (default: every size)")
    p.add_argument("--direct-sizes", help="comma-separated size labels at which to run the host problem with MUMPS "
                   "(default: every size, within --direct-max-dofs)")
    p.add_argument("--direct-max-dofs", type=int, default=DIRECT_MAX_DOFS,
                   help=f"run the host problem with MUMPS only up to this many unknowns (default {DIRECT_MAX_DOFS:,}; "
                   "0 = never)")
    return p.parse_args(argv)


def selected(labels: str | None, label: str) -> bool:
    """Whether ``label`` is in a comma-separated option value (None = every label)."""
    return labels is None or label in labels.split(",")


def say(comm, *args):
    if comm.rank == 0:
        print(*args, flush=True)


def max_over_ranks(comm, value: float) -> float:
    from mpi4py import MPI

    return comm.allreduce(value, op=MPI.MAX)


@contextmanager
def timed(comm, record: dict, key: str):
    """Wall time of the block on the slowest rank (ranks start together)."""
    comm.Barrier()
    t0 = time.perf_counter()
    yield
    record[key] = max_over_ranks(comm, time.perf_counter() - t0)


def peak_rss_mb(comm) -> float:
    """Peak resident memory of the largest rank so far (MB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max_over_ranks(comm, kb / 1024.0)


def machine_info() -> dict:
    info = {"nproc": os.cpu_count(), "platform": platform.platform()}
    try:
        info["nproc_available"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024**2, 1)
                break
    except OSError:
        pass
    try:
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return info


def software_versions() -> dict:
    from mpi4py import MPI
    from petsc4py import PETSc

    from femli.output import versions

    out = versions()
    out["petsc"] = ".".join(str(v) for v in PETSc.Sys.getVersion())
    out["mpi_library"] = MPI.Get_library_version().splitlines()[0].strip()
    return out


def freeze_mesh_key() -> None:
    """Pin femli's mesh-cache key for this run.

    femli keys its mesh cache on a hash of the geometry/meshing source files,
    read from disk at every call. While other people edit those files during a
    long benchmark, the key would change between runs of one size and trigger
    fresh meshing with the code already in memory. The code in memory does not
    change during a run, so its fingerprint is taken once, here.
    """
    import femli.config as config

    fingerprint = getattr(config, "_builder_fingerprint", None)
    if callable(fingerprint):
        frozen = fingerprint()
        config._builder_fingerprint = lambda: frozen


def mesh_changes(size_min_um: float) -> dict:
    return {
        "mesh.size_min": f"{size_min_um:g} um",
        "mesh.size_max": f"{size_min_um * SIZE_RATIO:.4g} um",
        "mesh.growth_distance": f"{GROWTH_UM:g} um",
    }


def studies(size_min_um: float, host_conductivity: str = HOST_CONDUCTIVITY) -> dict:
    """The studies run at one mesh size, without field/report output, by variant name:
    butler_volmer (the default study), linear (all kinetics linear), host_iterative (the
    default study with a [host] section: the pillars conduct and are meshed too) and
    host_direct (the same with MUMPS)."""
    import femli

    base = femli.load_study(STUDY).updated(
        mesh_changes(size_min_um) | {"model.degree": 1, "output.fields": False, "output.report": False}
    )
    host = base.updated({"host": {"conductivity": host_conductivity}})
    return {
        "butler_volmer": base,
        "linear": base.updated({f"kinetics.{name}.model": "linear" for name in base.kinetics}),
        "host_iterative": host,
        "host_direct": host.updated({"solver.method": "direct"}),
    }


class PetscLog:
    """One PETSc log stage per measured run; per-event time and count on this rank."""

    def __init__(self):
        from petsc4py import PETSc

        PETSc.Log.begin()
        self._PETSc = PETSc
        self._events = {name: PETSc.Log.Event(name) for name in PETSC_EVENTS}

    @contextmanager
    def stage(self, name: str, record: dict):
        stage = self._PETSc.Log.Stage(name)
        stage.push()
        try:
            yield
        finally:
            stage.pop()
            out = {}
            for ev_name, ev in self._events.items():
                perf = ev.getPerfInfo(stage)
                if perf["count"]:
                    out[ev_name] = {"count": int(perf["count"]), "seconds": float(perf["time"])}
            record["petsc_events"] = out


# --------------------------------------------------------------------------- the runs


def run_femli(study, comm, out: Path, log: PetscLog | None, label: str) -> dict:
    """One femli.run; its metrics (timing, solver, mesh, cell) and a few extras."""
    import femli

    rec: dict = {}
    stage = log.stage(label, rec) if log else nullcontext()
    try:
        with stage, timed(comm, rec, "wall"):
            result = femli.run(study, out=out, comm=comm)
    except femli.FemliError as err:
        say(comm, f"  femli {label} FAILED: {err}")
        return rec | {"status": "failed", "error": str(err)}
    m = result.metrics
    rec |= {
        "status": m.get("status"),
        "timing": m.get("timing", {}),
        "solver": m.get("solver", {}),
        "mesh": {k: m.get("mesh", {}).get(k) for k in ("cells", "dofs", "mpi_size", "hash")},
        "separator_potential": m.get("cell", {}).get("separator_potential"),
    }
    del result
    gc.collect()
    return rec


def resistances(study) -> dict:
    """1/(R_ct + R_film) per electrode surface, R_ct = RT / (F i0 (aa + ac)), from the resolved study."""
    T = study.operating.temperature
    out = {}
    for name, k in study.kinetics.items():
        if k.model == "insulating":
            continue
        r_ct = GAS_CONSTANT * T / (FARADAY * k.exchange_current_density * (k.alpha_a + k.alpha_c))
        out[name] = {"R_ct": r_ct, "R_film": k.film_resistance, "conductance": 1.0 / (r_ct + k.film_resistance)}
        barrier = getattr(k, "nucleation_overpotential", 0.0) or 0.0
        if barrier:  # femli's kinetics is then not the plain linear Robin law: the check will say so
            out[name]["warning"] = f"nucleation_overpotential = {barrier} V is not modelled by the plain solve"
    return out


def plain_options(study) -> dict:
    """femli's iterative preset without the SNES part: the KSP/PC options a linear solve uses."""
    from femli.solvers import petsc_options

    return {k: v for k, v in petsc_options(study.solver).items() if not k.startswith("snes_")}


def run_plain(study, comm, log: PetscLog | None, label: str) -> dict:
    """The linear problem by hand: a(u,v) = (kappa grad u, grad v) + sum_s (1/R_s) (u, v)_s, L(v) = (i_app, v)_sep."""
    import ufl
    from dolfinx import fem
    from dolfinx.fem import petsc as fpetsc
    from mpi4py import MPI
    from petsc4py import PETSc

    from femli.mesh import build_mesh

    rec: dict = {"status": "running"}
    t: dict = {}
    with timed(comm, t, "mesh_read"):
        bundle = build_mesh(study.geometry, study.mesh, comm, key=study.mesh_hash())
    msh = bundle.mesh
    robin = resistances(study)
    with timed(comm, t, "setup"):
        V = fem.functionspace(msh, ("Lagrange", 1))
        u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
        ds = ufl.Measure("ds", domain=msh, subdomain_data=bundle.facet_tags)
        kappa = fem.Constant(msh, PETSc.ScalarType(study.electrolyte.conductivity))
        i_app = fem.Constant(msh, PETSc.ScalarType(study.operating.current_density))
        sep = bundle.tag(study.operating.counter)
        a = kappa * ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx
        for name, r in robin.items():
            a += fem.Constant(msh, PETSc.ScalarType(r["conductance"])) * u * v * ds(bundle.tag(name))
        L = i_app * v * ds(sep)
    with timed(comm, t, "compile"):
        a_form, L_form = fem.form(a), fem.form(L)

    opts = plain_options(study)
    prefix = f"plain_{label}_"
    stage = log.stage(label, rec) if log else nullcontext()
    with stage:
        with timed(comm, t, "matrix_create"):  # sparsity pattern
            A = fpetsc.create_matrix(a_form)
        with timed(comm, t, "matrix_assemble"):
            fpetsc.assemble_matrix(A, a_form)
            A.assemble()
        with timed(comm, t, "assembly_vector"):
            b = fpetsc.assemble_vector(L_form)
            b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        uh = fem.Function(V, name="potential")
        with timed(comm, t, "ksp_setup"):  # create, options, GAMG hierarchy
            ksp = PETSc.KSP().create(comm)
            ksp.setOptionsPrefix(prefix)
            petsc_opts = PETSc.Options()
            for k, val in opts.items():
                petsc_opts[prefix + k] = val
            ksp.setOperators(A)
            ksp.setFromOptions()
            for k in opts:
                del petsc_opts[prefix + k]
            ksp.setUp()
        with timed(comm, t, "ksp_solve"):
            ksp.solve(b, uh.x.petsc_vec)
            uh.x.scatter_forward()

    # unit cost of one residual evaluation (what SNES assembles per function evaluation); not in the total
    r_form = fem.form(ufl.action(a, uh) - L)
    with timed(comm, t, "residual_assembly"):
        rvec = fpetsc.assemble_vector(r_form)
        rvec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    rvec.destroy()
    area = comm.allreduce(fem.assemble_scalar(fem.form(1.0 * ds(sep))), op=MPI.SUM)
    v_sep = comm.allreduce(fem.assemble_scalar(fem.form(uh * ds(sep))), op=MPI.SUM) / area
    t["assembly_matrix"] = t["matrix_create"] + t["matrix_assemble"]
    t["assembly"] = t["assembly_matrix"] + t["assembly_vector"]
    t["solve"] = t["ksp_setup"] + t["ksp_solve"]
    t["total"] = t["assembly"] + t["solve"]
    rec |= {
        "status": "ok" if ksp.getConvergedReason() > 0 else "failed",
        "timing": t,
        "krylov_iterations": int(ksp.getIterationNumber()),
        "ksp_reason": int(ksp.getConvergedReason()),
        "dofs": int(V.dofmap.index_map.size_global * V.dofmap.index_map_bs),
        "cells": int(msh.topology.index_map(3).size_global),
        "separator_potential": float(v_sep),
        "robin": robin,
        "petsc_options": {k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in opts.items()},
    }
    # relative true residual ||b - A u|| / ||b||: what a converged KSP left behind
    r = b.duplicate()
    A.mult(uh.x.petsc_vec, r)
    r.aypx(-1.0, b)
    rec["true_relative_residual"] = float(r.norm() / b.norm())
    for obj in (ksp, A, b, r):
        obj.destroy()
    del bundle, msh, V, uh, a_form, L_form
    gc.collect()
    return rec


def prepare_mesh(study, comm) -> dict:
    """Mesh (or read from cache) once, before the measured runs, so they all read the cached mesh."""
    from femli.mesh import build_mesh

    t: dict = {}
    with timed(comm, t, "seconds"):
        bundle = build_mesh(study.geometry, study.mesh, comm, key=study.mesh_hash())
    rec = {
        "hash": bundle.hash,
        "cached": bool(bundle.cached),
        "prepare_seconds": t["seconds"],
        "gmsh_seconds": dict(bundle.timing),
        "quality": dict(bundle.quality),
    }
    del bundle
    gc.collect()
    return rec


def ratio(a, b):
    return a / b if a is not None and b else None


def _say_mesh(comm, what: str, m: dict):
    say(comm, f"  {what} mesh {m['hash']}: {m['quality']['cells']} cells, {'cached' if m['cached'] else 'meshed'} "
        f"in {m['prepare_seconds']:.1f} s")


def _solve_time(rec: dict):
    return rec.get("timing", {}).get("solve")


def best_run(runs: list[dict]) -> dict:
    """The fastest successful femli run (by timing.solve); the first run if none succeeded."""
    ok = [x for x in runs if x.get("status") == "ok"]
    return min(ok, key=_solve_time) if ok else runs[0]


def run_host(label: str, variants: dict, comm, runs_dir: Path, log: PetscLog, plan: dict) -> dict:
    """Host conduction at one size: its own mesh (pillars meshed), the iterative run, then MUMPS.

    ``plan``: {"iterative": bool, "direct": bool, "direct_max_dofs": int} (from --host-sizes,
    --direct-sizes, --direct-max-dofs); a run left out is recorded as skipped, with the reason.
    """
    study = variants["host_iterative"]
    rec: dict = {"conductivity": study.host.conductivity}

    def skipped(reason: str) -> dict:
        say(comm, f"  femli host run skipped: {reason}")
        return {"status": "skipped", "reason": reason}

    if not (plan["iterative"] or plan["direct"]):
        reason = f"size {label} not in --host-sizes / --direct-sizes"
        return rec | {"host_iterative": skipped(reason), "host_direct": {"status": "skipped", "reason": reason}}
    rec["mesh"] = prepare_mesh(study, comm)
    _say_mesh(comm, "host", rec["mesh"])
    if plan["iterative"]:
        rec["host_iterative"] = run_femli(study, comm, runs_dir / f"{label}_host_iterative", log,
                                          f"{label}_femli_host_iter")
    else:
        rec["host_iterative"] = skipped(f"size {label} not in --host-sizes")
    dofs, limit = rec["host_iterative"].get("mesh", {}).get("dofs"), plan["direct_max_dofs"]
    if not plan["direct"]:
        rec["host_direct"] = skipped(f"size {label} not in --direct-sizes")
    elif limit <= 0 or (dofs is not None and dofs > limit):
        rec["host_direct"] = skipped(f"{dofs:,} unknowns > --direct-max-dofs {limit:,}" if limit > 0
                                     else "--direct-max-dofs 0")
    else:
        rec["host_direct"] = run_femli(variants["host_direct"], comm, runs_dir / f"{label}_host_direct", log,
                                       f"{label}_femli_host_direct")
    rec["peak_rss_mb"] = peak_rss_mb(comm)
    return rec


def run_size(label: str, size_min_um: float, comm, runs_dir: Path, log: PetscLog, diagnose: bool = False,
             repeat: int = 1, host_conductivity: str = HOST_CONDUCTIVITY, host_plan: dict | None = None) -> dict:
    variants = studies(size_min_um, host_conductivity)
    base, linear = variants["butler_volmer"], variants["linear"]
    say(comm, f"\n== size {label}: size_min {size_min_um:g} um, size_max {size_min_um * SIZE_RATIO:.4g} um ==")
    rec: dict = {
        "label": label,
        "mesh_options": mesh_changes(size_min_um),
        "mesh": prepare_mesh(base, comm),
    }
    _say_mesh(comm, "perfect-conductor", rec["mesh"])
    bv_runs, lin_runs, plain_runs = [], [], []
    for r in range(max(repeat, 1)):  # alternate femli BV, femli linear and plain; keep the best of each
        suffix = f"_r{r}" if r else ""
        bv_runs.append(run_femli(base, comm, runs_dir / f"{label}_bv{suffix}", log, f"{label}_femli_bv{suffix}"))
        lin_runs.append(run_femli(linear, comm, runs_dir / f"{label}_linear{suffix}", log, f"{label}_femli_linear{suffix}"))
        plain_runs.append(run_plain(linear, comm, log, f"{label}_plain{suffix}"))
    plan = host_plan or {"iterative": True, "direct": True, "direct_max_dofs": DIRECT_MAX_DOFS}
    host = run_host(label, variants, comm, runs_dir, log, plan)
    rec["femli"] = {
        "butler_volmer": best_run(bv_runs),
        "linear": best_run(lin_runs),
        "host_iterative": host.pop("host_iterative"),
        "host_direct": host.pop("host_direct"),
    }
    rec["host"] = host
    rec["plain"] = min(plain_runs, key=lambda x: x["timing"]["total"])
    rec["repeats"] = {
        "n": len(lin_runs),
        "femli_bv_solve": [_solve_time(x) for x in bv_runs],
        "bv_over_linear_pair_ratios": [ratio(_solve_time(a), _solve_time(b)) for a, b in zip(bv_runs, lin_runs)],
        "femli_linear_solve": [x.get("timing", {}).get("solve") for x in lin_runs],
        "femli_linear_snes": [x.get("petsc_events", {}).get("SNESSolve", {}).get("seconds") for x in lin_runs],
        "plain_total": [x["timing"]["total"] for x in plain_runs],
        "pair_ratios": [ratio(a.get("timing", {}).get("solve"), b["timing"]["total"]) for a, b in zip(lin_runs, plain_runs)],
        "femli_linear_timing": [x.get("timing") for x in lin_runs],
        "plain_timing": [x["timing"] for x in plain_runs],
    }
    if diagnose:
        rec["diagnostics"] = {}
        for name, (variant, options) in DIAGNOSTIC_VARIANTS.items():
            study = (base if variant == "butler_volmer" else linear).updated({"solver.petsc_options": options})
            tag = name.replace("+", "_")
            d = run_femli(study, comm, runs_dir / f"{label}_{tag}", log, f"{label}_femli_{tag}")
            d["petsc_options"] = options
            d["solve_over_plain"] = ratio(d.get("timing", {}).get("solve"), rec["plain"]["timing"]["total"])
            d["work_model_over_plain"] = work_model(d, rec["plain"])
            rec["diagnostics"][name] = d
    rec["peak_rss_mb"] = peak_rss_mb(comm)

    lin, plain = rec["femli"]["linear"], rec["plain"]
    v_f, v_p = lin.get("separator_potential"), plain.get("separator_potential")
    rel = abs(v_p - v_f) / abs(v_f) if v_f else None
    rec["check"] = {
        "femli_linear_separator_potential": v_f,
        "plain_separator_potential": v_p,
        "relative_difference": rel,
        "tolerance": 1e-6,
        "passed": rel is not None and rel <= 1e-6,
    }
    femli_solve = lin.get("timing", {}).get("solve")
    f = rec["femli"]
    rec["ratios"] = {
        "femli_linear_solve_over_plain": ratio(femli_solve, plain["timing"]["total"]),
        "femli_linear_snes_over_plain": ratio(lin.get("petsc_events", {}).get("SNESSolve", {}).get("seconds"),
                                              plain["timing"]["total"]),
        "femli_bv_solve_over_plain": ratio(_solve_time(f["butler_volmer"]), plain["timing"]["total"]),
        # best of `repeat` BV runs / best of `repeat` linear runs (per-repeat pairs in rec["repeats"])
        "femli_bv_solve_over_linear": ratio(_solve_time(f["butler_volmer"]), femli_solve),
        # one host run / best perfect-conductor BV run: biased high by the noise the best-of removes
        "host_iterative_solve_over_perfect_conductor": ratio(_solve_time(f["host_iterative"]),
                                                             _solve_time(f["butler_volmer"])),
        "host_direct_solve_over_host_iterative": ratio(_solve_time(f["host_direct"]), _solve_time(f["host_iterative"])),
    }
    rec["ratios"]["work_model_femli_linear_over_plain"] = work_model(lin, plain)
    _print_size(comm, rec)
    return rec


def work_model(femli_rec: dict, plain: dict) -> float | None:
    """Noise-robust estimate of the ratio from work counts: femli's PETSc event counts
    (Jacobian and residual evaluations, GAMG set-ups, Krylov iterations) priced at the
    unit costs measured for the plain solve in the same run."""
    ev, t = femli_rec.get("petsc_events", {}), plain["timing"]
    if femli_rec.get("status") != "ok" or "matrix_create" not in t or not plain["krylov_iterations"]:
        return None
    count = lambda name: ev.get(name, {}).get("count", 0)  # noqa: E731
    femli = (
        t["matrix_create"]
        + count("SNESJacobianEval") * t["matrix_assemble"]
        + count("SNESFunctionEval") * t["residual_assembly"]
        + count("PCSetUp") * t["ksp_setup"]
        + femli_rec["solver"]["krylov_iterations"] / plain["krylov_iterations"] * t["ksp_solve"]
    )
    return femli / t["total"]


def _print_size(comm, rec):
    p = rec["plain"]
    for name, f in rec["femli"].items():
        if f.get("status") != "ok":
            say(comm, f"  femli {name:14s} {f.get('status')}: {f.get('reason') or f.get('error', '')}")
            continue
        s, tm = f["solver"], f["timing"]
        say(comm, f"  femli {name:14s} dofs {f['mesh']['dofs']:>9d}  Newton {s['newton_iterations']:2d}  Krylov "
            f"{s['krylov_iterations']:4d} ({s['krylov_per_newton']:.1f}/Newton)  assemble {tm.get('assemble', 0):.2f} s  "
            f"solve {tm.get('solve', 0):.2f} s")
    pt = p["timing"]
    say(comm, f"  plain                dofs {p['dofs']:>9d}  Krylov {p['krylov_iterations']:4d}  assembly {pt['assembly']:.2f} s  "
        f"ksp setup {pt['ksp_setup']:.2f} s  ksp solve {pt['ksp_solve']:.2f} s  (compile {pt['compile']:.2f} s)")
    c, r = rec["check"], rec["ratios"]
    rel = c["relative_difference"]
    say(comm, f"  separator potential: femli linear {c['femli_linear_separator_potential']:.9e} V, plain "
        f"{c['plain_separator_potential']:.9e} V, rel. diff {rel if rel is None else f'{rel:.1e}'} "
        f"({'ok' if c['passed'] else 'MISMATCH'})")
    q = r["femli_linear_solve_over_plain"]
    rep = rec["repeats"]
    pairs = ", ".join("–" if x is None else f"{x:.2f}" for x in rep["pair_ratios"])
    say(comm, f"  ratio femli linear solve / plain (assembly + solve) = {q if q is None else f'{q:.2f}'}"
        f"  (best of {rep['n']} each; per repeat: {pairs})")
    wm = r.get("work_model_femli_linear_over_plain")
    if wm is not None:
        say(comm, f"  work-model ratio (femli event counts x plain unit costs) = {wm:.2f}")
    pairs = ", ".join(_f(x) for x in rep["bv_over_linear_pair_ratios"])
    say(comm, f"  ratio femli BV solve / femli linear solve = {_f(r['femli_bv_solve_over_linear'])}  "
        f"(best of {rep['n']} each; per repeat: {pairs})")
    say(comm, f"  ratio host conduction ({rec['host']['conductivity']:g} S/m, iterative) solve / perfect conductor "
        f"solve = {_f(r['host_iterative_solve_over_perfect_conductor'])};  MUMPS / iterative = "
        f"{_f(r['host_direct_solve_over_host_iterative'])}")
    for name, d in rec.get("diagnostics", {}).items():
        if d.get("status") == "ok":
            s = d["solver"]
            say(comm, f"  diagnostic {name:36s} Newton {s['newton_iterations']}  Krylov {s['krylov_iterations']:4d}  "
                f"solve {d['timing']['solve']:.2f} s  / plain = {d['solve_over_plain']:.2f}")


def _by_size(sizes: list[dict], key: str) -> dict:
    return {s["label"]: s["ratios"].get(key) for s in sizes}


def _within(values, limit) -> bool:
    values = list(values)
    return bool(values) and all(v is not None and v <= limit for v in values)


def summarise(sizes: list[dict]) -> dict:
    first, last = sizes[0], sizes[-1]
    growth = {}
    growth_sizes = {}
    for variant in ("butler_volmer", "linear", "host_iterative"):
        ran = [s for s in sizes if s["femli"][variant].get("status") == "ok"]  # host: maybe not at every size
        a, b = (ran[0], ran[-1]) if len(ran) > 1 else (None, None)
        kpn = lambda s: s["femli"][variant]["solver"]["krylov_per_newton"] if s else None  # noqa: E731
        growth[variant] = 100.0 * (kpn(b) / kpn(a) - 1.0) if a and kpn(a) and kpn(b) else None
        growth_sizes[variant] = [a["label"], b["label"]] if a else None
    host = {k: v for k, v in _by_size(sizes, "host_iterative_solve_over_perfect_conductor").items() if v is not None}
    bv_lin = _by_size(sizes, "femli_bv_solve_over_linear")
    p_growth = None
    if first["plain"]["krylov_iterations"]:
        p_growth = 100.0 * (last["plain"]["krylov_iterations"] / first["plain"]["krylov_iterations"] - 1.0)
    ratios = [s["ratios"]["femli_linear_solve_over_plain"] for s in sizes]
    return {
        "ratio_femli_linear_solve_over_plain": {s["label"]: s["ratios"]["femli_linear_solve_over_plain"] for s in sizes},
        "ratio_at_largest": ratios[-1],
        "work_model_ratio": {s["label"]: s["ratios"].get("work_model_femli_linear_over_plain") for s in sizes},
        "krylov_per_newton_growth_percent": growth,
        "krylov_per_newton_growth_sizes": growth_sizes,
        "plain_krylov_growth_percent": p_growth,
        "ratio_femli_bv_solve_over_linear": bv_lin,
        "ratio_host_iterative_solve_over_perfect_conductor": host,
        "host_conductivity": first["host"]["conductivity"],
        "host_converged": {s["label"]: s["femli"]["host_iterative"].get("status") == "ok" for s in sizes},
        "host_direct_solve": {s["label"]: _solve_time(s["femli"]["host_direct"]) for s in sizes},
        "checks_passed": all(s["check"]["passed"] for s in sizes),
        "targets": {"ratio_max": TARGET_RATIO, "krylov_per_newton_growth_max_percent": TARGET_KPN_GROWTH,
                    "bv_over_linear_max": TARGET_BV_OVER_LINEAR, "host_over_perfect_conductor_max": TARGET_HOST_OVER_PERFECT},
        "targets_met": {
            "bv_over_linear_all_sizes": _within(bv_lin.values(), TARGET_BV_OVER_LINEAR),
            "host_over_perfect_conductor_all_sizes": _within(host.values(), TARGET_HOST_OVER_PERFECT),
            "host_over_perfect_conductor_at_largest": _within([host.get(last["label"])], TARGET_HOST_OVER_PERFECT),
            "krylov_growth_host": growth["host_iterative"] is not None and growth["host_iterative"] <= TARGET_KPN_GROWTH,
            "ratio_all_sizes": all(r is not None and r <= TARGET_RATIO for r in ratios),
            "ratio_at_largest": ratios[-1] is not None and ratios[-1] <= TARGET_RATIO,
            "krylov_growth_butler_volmer": growth["butler_volmer"] is not None and growth["butler_volmer"] <= TARGET_KPN_GROWTH,
            "krylov_growth_linear": growth["linear"] is not None and growth["linear"] <= TARGET_KPN_GROWTH,
        },
    }


# --------------------------------------------------------------------------- the README


def _f(x, fmt="{:.2f}"):
    return "–" if x is None else fmt.format(x)


def markdown_section(res: dict) -> str:
    n = res["mpi_size"]
    mach, ver, summ = res["machine"], res["versions"], res["summary"]
    lines = [
        f"## {n} MPI rank{'s' if n > 1 else ''}",
        "",
        f"- date: {res['date']} (run took {res['wall_seconds'] / 60:.1f} min{', --quick' if res['quick'] else ''})",
        f"- machine: {mach.get('cpu_model', '?')}, nproc {mach.get('nproc')}, {mach.get('memory_gb', '?')} GB, "
        f"load average at start {mach.get('load_average_at_start')}, at end {res.get('load_average_at_end')}",
        f"- versions: femli {ver.get('femli')}, DOLFINx {ver.get('dolfinx')}, PETSc {ver.get('petsc')}, "
        f"gmsh {ver.get('gmsh')}, Python {ver.get('python')}, {ver.get('mpi_library')}",
        f"- study: `problems/pillar_host.toml`, P1, size_max = {SIZE_RATIO:.3g} x size_min, growth_distance "
        f"{GROWTH_UM:g} um; output.fields/report off",
        "",
        "| size | size_min | cells | P1 dofs | variant | Newton | Krylov | Krylov/Newton | assemble s | solve s "
        "| analysis s | SNESSolve s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in res["sizes"]:
        for variant, f in s["femli"].items():
            if f.get("status") != "ok":
                lines.append(f"| {s['label']} | {s['mesh_options']['mesh.size_min']} | | | femli {variant} "
                             f"| {f.get('status')}: {f.get('reason') or f.get('error', '')} | | | | | | |")
                continue
            sv, tm = f["solver"], f["timing"]
            snes = f.get("petsc_events", {}).get("SNESSolve", {}).get("seconds")
            lines.append(
                f"| {s['label']} | {s['mesh_options']['mesh.size_min']} | {f['mesh']['cells']:,} | {f['mesh']['dofs']:,} "
                f"| femli {variant} | {sv['newton_iterations']} | {sv['krylov_iterations']} | {sv['krylov_per_newton']:.1f} "
                f"| {_f(tm.get('assemble'))} | {_f(tm.get('solve'))} | {_f(tm.get('analysis'))} | {_f(snes)} |"
            )
        p = s["plain"]
        pt = p["timing"]
        lines.append(
            f"| {s['label']} | {s['mesh_options']['mesh.size_min']} | {p['cells']:,} | {p['dofs']:,} | plain | – "
            f"| {p['krylov_iterations']} | – | {_f(pt['assembly'])} | {_f(pt['solve'])} | – | – |"
        )
    lines += [
        "",
        "Plain DOLFINx solve of the same linear problem (seconds, max over ranks) and the ratio "
        f"femli linear `timing.solve` / plain (assembly + solve); femli linear and plain each ran "
        f"{res.get('repeat', 1)} time(s), alternating, and the best of each is compared (per-repeat ratios in the last column):",
        "",
        "| size | P1 dofs | assembly (A + b) | KSP setup (GAMG) | KSP solve | plain total | femli linear solve "
        "| **ratio** | target | separator potential rel. diff | ratio per repeat | work-model ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in res["sizes"]:
        p, pt = s["plain"], s["plain"]["timing"]
        q = s["ratios"]["femli_linear_solve_over_plain"]
        fs = s["femli"]["linear"].get("timing", {}).get("solve")
        c = s["check"]
        lines.append(
            f"| {s['label']} | {p['dofs']:,} | {_f(pt['assembly'])} | {_f(pt['ksp_setup'])} | {_f(pt['ksp_solve'])} "
            f"| {_f(pt['total'])} | {_f(fs)} | **{_f(q)}** | {'ok' if q is not None and q <= TARGET_RATIO else 'MISSED'} "
            f"(<= {TARGET_RATIO}) | {_f(c['relative_difference'], '{:.1e}')} ({'ok' if c['passed'] else 'MISMATCH'}) "
            f"| {', '.join(_f(x) for x in s.get('repeats', {}).get('pair_ratios', []))} "
            f"| {_f(s['ratios'].get('work_model_femli_linear_over_plain'))} |"
        )
    if all("host" in sz for sz in res["sizes"]):  # results of older harness versions have no host runs
        lines += ["", *host_table(res)]
    lines += ["", *breakdown_table(res), ""]
    if any(sz.get("diagnostics") for sz in res["sizes"]):
        lines += [*diagnostics_table(res), ""]
    g = summ["krylov_per_newton_growth_percent"]
    met = summ["targets_met"]
    has_host = "ratio_host_iterative_solve_over_perfect_conductor" in summ
    ok = lambda flag: "ok" if flag else "MISSED"  # noqa: E731
    every = lambda flag: "ok at every size" if flag else "not met at every size"  # noqa: E731
    host_growth = "not measured" if g.get("host_iterative") is None else ok(met.get("krylov_growth_host"))
    lines += [
        "",
        f"Krylov iterations per Newton step, smallest -> largest mesh: Butler–Volmer {_f(g['butler_volmer'], '{:+.0f}')} %, "
        f"linear {_f(g['linear'], '{:+.0f}')} %, "
        + (f"host conduction (fieldsplit) {_f(g.get('host_iterative'), '{:+.0f}')} % "
           f"({' -> '.join(summ.get('krylov_per_newton_growth_sizes', {}).get('host_iterative') or ['not measured'])}), "
           if has_host else "") +
        f"plain KSP {_f(summ['plain_krylov_growth_percent'], '{:+.0f}')} % "
        f"(target <= +{TARGET_KPN_GROWTH:g} %: BV {ok(met['krylov_growth_butler_volmer'])}, "
        f"linear {ok(met['krylov_growth_linear'])}{f', host {host_growth}' if has_host else ''}).",
        "",
        *([
            f"femli BV solve / femli linear solve: {', '.join(f'{k} {_f(v)}' for k, v in summ['ratio_femli_bv_solve_over_linear'].items())} "
            f"(target <= {TARGET_BV_OVER_LINEAR}: {every(met['bv_over_linear_all_sizes'])}). "
            f"Host conduction solve / perfect-conductor solve: "
            f"{', '.join(f'{k} {_f(v)}' for k, v in summ['ratio_host_iterative_solve_over_perfect_conductor'].items())} "
            f"(target <= {TARGET_HOST_OVER_PERFECT}: {every(met['host_over_perfect_conductor_all_sizes'])} measured, "
            f"{ok(met['host_over_perfect_conductor_at_largest'])} at the largest size of the run).",
            "",
        ] if has_host else []),
        f"Ratio at the largest mesh: {_f(summ['ratio_at_largest'])} "
        f"(target <= {TARGET_RATIO}: {'ok' if met['ratio_at_largest'] else 'MISSED'}; all sizes "
        f"{'ok' if met['ratio_all_sizes'] else 'not all within target'}). Correctness checks "
        f"{'passed' if summ['checks_passed'] else 'FAILED'}.",
        "",
    ]
    notes = res.get("notes")
    if notes:
        lines += [f"Notes: {notes}", ""]
    return "\n".join(lines)


def _ev(rec, name, min_seconds=0.0):
    """'count / seconds' of a PETSc event; '–' if it did not occur (or took under min_seconds)."""
    e = rec.get("petsc_events", {}).get(name)
    return f"{e['count']} / {e['seconds']:.2f}" if e and e["seconds"] >= min_seconds else "–"


def host_table(res: dict) -> list[str]:
    """Host conduction (iterative and MUMPS) against the perfect conductor, and BV against linear kinetics."""
    host = res["sizes"][0]["host"]
    lines = [
        f"Host conduction (`[host]` conductivity {host['conductivity']:g} S/m, pillars meshed: its own mesh and "
        "unknowns = potential + host_potential) with Butler–Volmer kinetics, iterative (CG + additive fieldsplit, "
        "one GAMG per field) and MUMPS (`solver.method = \"direct\"`); `host / perfect` = host iterative solve / "
        "femli BV solve (perfect conductor, best of the repeats) on the same size; `BV / linear` = femli BV solve / "
        "femli linear solve, best of each (per-repeat ratios in the last column):",
        "",
        "| size | host dofs | host cells | Newton | Krylov | Krylov/Newton | host iterative assemble s "
        "| host iterative solve s | perfect conductor dofs | perfect conductor (femli BV) solve s | **host / perfect** "
        "| host MUMPS solve s | MUMPS Newton | femli linear solve s | **BV / linear** | BV / linear per repeat |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in res["sizes"]:
        f, r = s["femli"], s["ratios"]
        hi, hd, bv = f["host_iterative"], f["host_direct"], f["butler_volmer"]
        if hi.get("status") == "ok":
            sv = hi["solver"]
            it = (f"{hi['mesh']['dofs']:,} | {hi['mesh']['cells']:,} | {sv['newton_iterations']} | {sv['krylov_iterations']} "
                  f"| {sv['krylov_per_newton']:.1f} | {_f(hi['timing'].get('assemble'))} | {_f(hi['timing'].get('solve'))}")
        else:
            it = f"{hi.get('status')}: {hi.get('reason') or hi.get('error', '')} | | | | | |"
        direct = (f"{_f(_solve_time(hd))} | {hd['solver']['newton_iterations']}" if hd.get("status") == "ok"
                  else f"{hd.get('status')}: {hd.get('reason') or hd.get('error', '')} | –")
        hr, bl = r.get("host_iterative_solve_over_perfect_conductor"), r.get("femli_bv_solve_over_linear")
        lines.append(
            f"| {s['label']} | {it} | {bv.get('mesh', {}).get('dofs', 0):,} | {_f(_solve_time(bv))} | "
            f"{'not run' if hr is None else f'**{hr:.2f}** ' + ('ok' if hr <= TARGET_HOST_OVER_PERFECT else 'MISSED')} "
            f"| {direct} "
            f"| {_f(_solve_time(f['linear']))} | **{_f(bl)}** {'ok' if _within([bl], TARGET_BV_OVER_LINEAR) else 'MISSED'} "
            f"| {', '.join(_f(x) for x in s.get('repeats', {}).get('bv_over_linear_pair_ratios', []))} |"
        )
    return lines


def breakdown_table(res: dict) -> list[str]:
    """Where the time of femli's solve stages goes, next to the plain solve (rank 0, PETSc events)."""
    lines = [
        "Where the solve time goes (PETSc event count / seconds on rank 0; `outside SNES` = femli `timing.solve` "
        "minus SNESSolve: NonlinearProblem construction, form JIT lookup, matrix/vector creation; with the "
        "fieldsplit the per-field GAMG set-ups run in PCSetUpOnBlocks, not PCSetUp; `Galerkin PtAP` = "
        "MatPtAPNumeric, the coarse-operator products inside the GAMG set-ups):",
        "",
        "| size | run | matrix assembly | residual/vector assembly | line search | PC setup (PCSetUp: GAMG, fieldsplit, LU) "
        "| fieldsplit sub-PC setup (PCSetUpOnBlocks) | of which Galerkin PtAP | KSPSolve | Krylov its | outside SNES s "
        "| solve total s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in res["sizes"]:
        runs = [("femli linear", "linear"), ("femli BV", "butler_volmer"), ("femli host iterative", "host_iterative"),
                ("femli host MUMPS", "host_direct")]
        for name, variant in runs:
            f = s["femli"].get(variant, {})
            if f.get("status") != "ok":
                continue
            snes = f.get("petsc_events", {}).get("SNESSolve", {}).get("seconds", 0.0)
            lines.append(
                f"| {s['label']} | {name} | {_ev(f, 'SNESJacobianEval')} | {_ev(f, 'SNESFunctionEval')} "
                f"| {_ev(f, 'SNESLineSearch')} | {_ev(f, 'PCSetUp')} | {_ev(f, 'PCSetUpOnBlocks', 0.005)} "
                f"| {_ev(f, 'MatPtAPNumeric')} | {_ev(f, 'KSPSolve')} | {f['solver']['krylov_iterations']} "
                f"| {f['timing']['solve'] - snes:.2f} | {f['timing']['solve']:.2f} |"
            )
        p, pt = s["plain"], s["plain"]["timing"]
        lines.append(
            f"| {s['label']} | plain | 1 / {pt['assembly_matrix']:.2f} | 1 / {pt['assembly_vector']:.2f} | – "
            f"| {_ev(p, 'PCSetUp')} | – | {_ev(p, 'MatPtAPNumeric')} | {_ev(p, 'KSPSolve')} | {p['krylov_iterations']} | – "
            f"| {pt['total']:.2f} |"
        )
    return lines


def diagnostics_table(res: dict) -> list[str]:
    lines = [
        "Diagnostics (`--diagnose`): femli with PETSc options added through `solver.petsc_options`:",
        "",
        "| size | variant | options | Newton | Krylov | matrix assembly | GAMG setup | femli solve s | / plain "
        "| work-model ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in res["sizes"]:
        for name, d in s.get("diagnostics", {}).items():
            opts = ", ".join(f"{k}={v}" for k, v in d.get("petsc_options", {}).items())
            if d.get("status") != "ok":
                lines.append(f"| {s['label']} | {name} | {opts} | failed | | | | | | |")
                continue
            sv = d["solver"]
            lines.append(
                f"| {s['label']} | {name} | `{opts}` | {sv['newton_iterations']} | {sv['krylov_iterations']} "
                f"| {_ev(d, 'SNESJacobianEval')} | {_ev(d, 'PCSetUp')} | {d['timing']['solve']:.2f} "
                f"| {_f(d.get('solve_over_plain'))} | {_f(d.get('work_model_over_plain'))} |"
            )
    return lines


def write_readme(results_dir: Path):
    import json

    from femli.atomic import write_text

    sections = []
    for path in sorted(results_dir.glob("pillar_host_*ranks.json"), key=lambda p: json.loads(p.read_text())["mpi_size"]):
        sections.append(markdown_section(json.loads(path.read_text())))
    head = (
        "# Benchmark results: pillar_host\n\n"
        "Generated by `benchmarks/run_benchmarks.py` (one section per MPI rank count, regenerated from the\n"
        "`pillar_host_<N>ranks.json` files here). Times are wall seconds of one run on a shared, noisy\n"
        "machine: compare the ratios within a run, not absolute times across runs. See `../README.md`.\n\n"
        "Columns: `assemble` = femli model set-up (function space, forms); `solve` = femli's solve stage\n"
        "(NonlinearProblem construction incl. form JIT lookup and matrix creation, then SNES);\n"
        "`SNESSolve` = PETSc's own time for the SNES solve(s) inside it. `work-model ratio` = femli's\n"
        "PETSc event counts (matrix assemblies, residual evaluations, GAMG set-ups, Krylov iterations)\n"
        "priced at the unit costs of the plain solve measured in the same run: an estimate that does not\n"
        "depend on what else the machine was doing while femli ran.\n\n"
    )
    write_text(results_dir / "README.md", head + "\n".join(sections))


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ["FEMLI_CACHE"] = str(args.cache.resolve())
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing

    import femli  # noqa: F401  (imports dolfinx_solver before petsc4py/dolfinx)
    from mpi4py import MPI

    from femli.atomic import write_json

    comm = MPI.COMM_WORLD
    t_start = time.perf_counter()
    freeze_mesh_key()
    from petsc4py import PETSc

    PETSc.Options()["options_left"] = False  # diagnostic variants leave e.g. snes_linesearch_type unused
    if args.sizes:  # labels of the built-in sizes or size_min values
        known = dict(FULL_SIZES + QUICK_SIZES)
        sizes = [(x, known[x]) if x in known else (f"s{i + 1}", float(x)) for i, x in enumerate(args.sizes.split(","))]
    else:
        sizes = QUICK_SIZES if args.quick else FULL_SIZES
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    results_dir = args.results or (HERE / ".cache" / "results-quick" if args.quick else HERE / "results")
    runs_dir = HERE / ".cache" / "runs" / f"{comm.size}ranks"
    say(comm, f"femli benchmark: {STUDY.name} on {comm.size} rank(s), sizes {sizes}, mesh cache {args.cache}")

    machine = machine_info()
    log = PetscLog()
    if not args.no_warmup:  # form JIT (first ever run) and first-touch costs stay out of the measurements
        say(comm, "warm-up (not recorded) ...")
        variants = studies(WARMUP_SIZE[1], args.host_conductivity)
        prepare_mesh(variants["butler_volmer"], comm)
        prepare_mesh(variants["host_iterative"], comm)
        for name, study in variants.items():
            run_femli(study, comm, runs_dir / f"warmup_{name}", None, f"warmup_{name}")
        run_plain(variants["linear"], comm, None, "warmup_plain")

    records = []
    for label, size in sizes:
        try:
            plan = {"iterative": selected(args.host_sizes, label), "direct": selected(args.direct_sizes, label),
                    "direct_max_dofs": args.direct_max_dofs}
            records.append(run_size(label, size, comm, runs_dir, log, args.diagnose, repeat,
                                    args.host_conductivity, plan))
            if comm.rank == 0:  # partial results survive a crash on a later (larger) size
                write_json(HERE / ".cache" / f"partial_pillar_host_{comm.size}ranks.json", records)
        except Exception:  # noqa: BLE001 - keep what was measured so far
            print(f"rank {comm.rank}: size {label} failed:\n{traceback.format_exc()}", flush=True)
            if comm.size > 1:
                comm.Abort(1)  # a rank stuck in a collective call would otherwise hang the run
            raise
    result = {
        "benchmark": "pillar_host",
        "study": str(STUDY.relative_to(ROOT)),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": bool(args.quick),
        "diagnose": bool(args.diagnose),
        "repeat": repeat,
        "mpi_size": comm.size,
        "machine": machine,
        "versions": software_versions(),
        "wall_seconds": max_over_ranks(comm, time.perf_counter() - t_start),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "sizes": records,
        "summary": summarise(records),
    }
    if comm.rank == 0:
        path = write_json(results_dir / f"pillar_host_{comm.size}ranks.json", result)
        write_readme(results_dir)
        s = result["summary"]
        print(f"\nwrote {path} and {results_dir / 'README.md'}")
        print(f"ratio femli linear solve / plain: {s['ratio_femli_linear_solve_over_plain']}  "
              f"Krylov/Newton growth %: {s['krylov_per_newton_growth_percent']}  checks passed: {s['checks_passed']}")
        print(f"ratio femli BV / linear solve: {s['ratio_femli_bv_solve_over_linear']}  host conduction / perfect "
              f"conductor solve: {s['ratio_host_iterative_solve_over_perfect_conductor']}  host MUMPS solve s: "
              f"{s['host_direct_solve']}  targets met: {s['targets_met']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
