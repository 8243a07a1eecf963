"""One study, end to end: config -> geometry -> mesh -> model -> solve -> analysis -> output.

Every rank runs this; collective steps come first and rank-0-only work
(metrics, report) last, so an error on rank 0 cannot strand the others inside a
collective call.
"""

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from femli.errors import FemliError


@dataclass
class RunResult:
    study: object
    out: Path
    metrics: dict = field(default_factory=dict)
    surfaces: list | None = None  # SurfaceField per electrode surface, on rank 0 (None on other ranks)

    @property
    def status(self) -> str:
        return self.metrics.get("status", "unknown")


class StageTimer(dict):
    @contextmanager
    def __call__(self, stage: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self[stage] = self.get(stage, 0.0) + time.perf_counter() - t0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def run_study(study, out=None, comm=None, log=print, resume: bool = False) -> RunResult:
    """Every rank runs this. Outputs are staged and replace ``out`` as a whole at the end
    (femli.results); SIGINT/SIGTERM end the run with status "interrupted" (femli.signals)."""
    from femli.parallel import world
    from femli.results import ResultFolder
    from femli.signals import Interrupted, interruptible

    comm = comm or world()
    out = Path(out or Path("results") / study.name)
    result = RunResult(study, out)
    timing = StageTimer()
    manifest = {"study": study.resolved(), "mpi_size": comm.size, "start": _now(), "mesh_hash": study.mesh_hash()}
    say = log if comm.rank == 0 else (lambda *a, **k: None)
    folder = ResultFolder(out, comm)
    folder.open()  # before any work: a bad --out or a folder in use is refused now, not after the solve
    try:
        with interruptible(comm):
            metrics, result.surfaces = _pipeline(study, folder, comm, timing, say, resume)
    except BaseException as err:  # record every failure; the caller decides how to report it
        interrupted = isinstance(err, KeyboardInterrupt)
        metrics = {"status": "interrupted" if interrupted else "failed", "error": str(err) or type(err).__name__,
                   "timing": dict(timing)}
        if not isinstance(err, (FemliError, KeyboardInterrupt)):
            metrics["error"] = f"internal error {type(err).__name__}: {err}"
        result.metrics = metrics
        # an interrupt reached rank 0 alone: the other ranks may be inside a collective call
        folder.commit(lambda stage: _write_run_files(stage, metrics, manifest), collective=not interrupted)
        if isinstance(err, KeyboardInterrupt) and not isinstance(err, Interrupted):
            raise Interrupted() from None
        raise
    result.metrics = metrics
    folder.commit(lambda stage: _write_run_files(stage, metrics, manifest))
    written = ["metrics.json", "manifest.json"] + ["fields/"] * study.output.fields + ["report.md"] * study.output.report
    note = "" if metrics["status"] == "ok" else f"  status {metrics['status']}: {metrics.get('error')}"
    say(f"results: {out.resolve()}  ({', '.join(written)}){note}")
    return result


def _write_run_files(stage, metrics, manifest):
    from femli.output import versions, write_run_files

    manifest |= {"end": _now(), "status": metrics["status"], "versions": versions()}
    write_run_files(stage, metrics, manifest)


def _pipeline(study, folder, comm, timing, say, resume=False) -> dict:
    from femli.analysis.gather import ElectrodeSurface
    from femli.analysis.run_metrics import collect_metrics
    from femli.results import on_root
    from femli.coatings import apply_coatings
    from femli.mesh import build_mesh
    from femli.models import create_model
    from femli.output import write_fields

    out = folder.stage
    say(f"femli: study '{study.name}' on {comm.size} rank(s)")
    bundle = build_mesh(study.geometry, study.mesh, comm, key=study.mesh_hash())
    timing.update(bundle.timing)
    if study.coatings:
        with timing("coatings"):
            apply_coatings(bundle, study.coatings, study.geometry.host_top)
    say(f"  mesh: {bundle.quality['cells']} cells{' (cached)' if bundle.cached else ''}, "
        f"min quality {bundle.quality['min_quality']:.3f}")
    with timing("assemble"):
        model = create_model(study, bundle)
        surface = ElectrodeSurface(model)
    checkpoints = None
    if getattr(model, "transient", False):
        from femli.core.checkpoint import Checkpoints

        identity = {"study": study.study_hash(), "mesh": bundle.hash, "mpi_size": comm.size}
        checkpoints = Checkpoints(folder.out, comm, identity, study.time.checkpoint_interval)
    elif resume:
        say("  --resume: a steady model has nothing to resume; solving from the start")
    with timing("solve"):
        stats = model.solve(out, checkpoints=checkpoints, resume=resume)
    say(f"  solve: {stats.newton_iterations} Newton, {stats.krylov_iterations} Krylov iterations, {model.dofs()} dofs")
    with timing("analysis"):
        surface.update()
        fields = surface.gather()
        metrics = collect_metrics(study, model, bundle, stats, comm)
        # rank 0 alone from here to the next collective: a failure there must reach every rank
        on_root(comm, _judge, metrics, study, model, bundle, fields)
        metrics["status"] = comm.bcast(metrics.get("status"), root=0)
    with timing("output"):
        if study.output.fields:
            write_fields(out, comm, model.fields_for_output(), surface)
        record = getattr(model, "record", None)
        if record is not None:
            from femli.atomic import write_text

            on_root(comm, write_text, out / "timeseries.csv", record.csv())
        if study.output.report:
            metrics["report"] = on_root(comm, _report, out, study, metrics, fields, bundle, timing)
    metrics["timing"] = dict(timing)
    on_root(comm, _summary, say, metrics)
    return metrics, fields


def _judge(metrics, study, model, bundle, fields):
    """Surface metrics and the built-in checks that decide whether the result is "ok"."""
    from femli.analysis.checks import run_checks, status_from_checks
    from femli.analysis.run_metrics import add_surface_metrics

    add_surface_metrics(metrics, study, model, bundle, fields)
    metrics["checks"] = run_checks(metrics)
    metrics["status"], error = status_from_checks(metrics["checks"])
    if error:
        metrics["error"] = error


def _report(out, study, metrics, fields, bundle, timing):
    """A failed figure must not lose the run: report problems land in metrics instead."""
    from femli.report import write_report

    try:
        metrics["timing"] = dict(timing)
        path = write_report(out, study, metrics, fields, (bundle.info.z_collector, bundle.info.z_separator))
        return {"path": str(Path(path).name), "error": None}
    except Exception as err:  # noqa: BLE001 - the report is optional output
        return {"path": None, "error": f"{type(err).__name__}: {err}"}


def _summary(say, m):
    warning = m.get("transient", {}).get("property_range_warning")
    if warning:
        say(f"  warning: the electrolyte's properties were used outside their source's range: {warning}")
    for name, s in m["surfaces"].items():
        say(f"  {name:18s} mean {s['mean'] / 10:8.3f} mA/cm^2   max/mean {s['max_over_mean']:6.2f}   "
            f"hot spots {len(s['hot_spots'])}")
    d, b = m["deposition"], m["balance"]
    coated = "" if d["coated_share"] is None else f", coated share {d['coated_share']:.3f}"
    say(f"  deposition height centroid {d['height_centroid']:.3f}{coated}, charge balance error {b['relative_error']:.1e}")
