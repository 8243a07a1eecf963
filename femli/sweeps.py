"""Parameter sweeps: one base study, a grid of changes, one table.

A sweep file names a base study and the values to try:

    study = "sse_contact_loss.toml"            # relative to the sweep file
    [parameters]
    "geometry.contact.contact_fraction" = [0.1, 0.3, 1.0]
    [table]
    columns = ["cell.interface.area_specific_interface_resistance"]

Cases run one after another on the whole communicator (sub-communicators come
later). A failed case is recorded in the table and the sweep goes on; the table
is rewritten atomically after every case, so nothing computed is lost.

Resuming is the default: a case whose folder already holds a finished run of
the same resolved study with status "ok" is reused, not recomputed (``fresh``
recomputes every case). SIGINT/SIGTERM stop the sweep after recording the case
that was running as "interrupted"; starting the sweep again picks up from there.
"""

import csv
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from femli.atomic import write_json, write_text
from femli.config import Study, load_study, read_toml
from femli.errors import ConfigError, FemliError

DEFAULT_COLUMNS = ("cell.resistance", "cell.area_specific_resistance", "deposition.height_centroid")


@dataclass
class Sweep:
    base: Study
    parameters: dict[str, list]
    columns: tuple[str, ...] = DEFAULT_COLUMNS

    def cases(self) -> list[dict]:
        keys = list(self.parameters)
        return [dict(zip(keys, values)) for values in itertools.product(*self.parameters.values())]


def load_sweep(path: str | Path) -> Sweep:
    path = Path(path)
    data = read_toml(path, "sweep")
    unknown = set(data) - {"study", "parameters", "table"}
    if unknown or "study" not in data or not data.get("parameters"):
        raise ConfigError(f"{path}: a sweep needs 'study' and [parameters] (unknown keys: {sorted(unknown)})")
    params = data["parameters"]
    for key, values in params.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{path}: parameters.{key!r} must be a non-empty list of values")
    base = load_study(path.parent / data["study"])
    columns = data.get("table", {}).get("columns", DEFAULT_COLUMNS)
    if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
        raise ConfigError(f"{path}: table.columns must be a list of metric names, e.g. [\"cell.resistance\"], "
                          f"got {columns!r}")
    columns = tuple(columns)
    sweep = Sweep(base, params, columns)
    for case in sweep.cases():  # every case must validate before anything runs
        base.updated(case, origin=f"{path} case {case}")
    return sweep


def _lookup(metrics: dict, dotted: str):
    node = metrics
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _finished(folder: Path, study: Study) -> dict | None:
    """The metrics of a finished "ok" run of exactly ``study`` in ``folder``, else None."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        metrics = json.loads((folder / "metrics.json").read_text())
    except (OSError, ValueError):
        return None
    same = manifest.get("study") == json.loads(json.dumps(study.resolved()))
    return metrics if same and manifest.get("status") == "ok" and metrics.get("status") == "ok" else None


def run_sweep(sweep: Sweep, out: str | Path, comm=None, log=print, fresh: bool = False) -> list[dict]:
    from femli.parallel import world
    from femli.signals import interruptible

    comm = comm or world()
    out = Path(out)
    rows = []
    say = log if comm.rank == 0 else (lambda *a, **k: None)
    with interruptible(comm):  # SIGTERM between two cases stops the sweep cleanly too
        for i, case in enumerate(sweep.cases()):
            row = {"case": i, **case}
            study, folder = sweep.base.updated(case), out / f"case_{i:03d}"
            reused = None if fresh else comm.bcast(_finished(folder, study) if comm.rank == 0 else None, root=0)
            if reused is not None:
                say(f"sweep case {i}: {case}: reused (finished run of the same study in {folder})")
                row["status"], metrics = "ok", reused
            else:
                say(f"sweep case {i}: {case}")
                try:
                    metrics = _run_case(study, folder, comm, say, row)
                except KeyboardInterrupt:  # stop the sweep, keeping the table
                    row["status"], row["error"] = "interrupted", "interrupted"
                    rows.append(row)
                    if comm.rank == 0:
                        _write_table(out, rows, sweep)
                    raise
            row["reused"] = reused is not None
            row |= {c: _lookup(metrics, c) for c in sweep.columns}
            rows.append(row)
            if comm.rank == 0:
                _write_table(out, rows, sweep)
    return rows


def _run_case(study, folder, comm, say, row) -> dict:
    """One case; its status (and error) go into ``row``. A failure costs this case only."""
    from femli.runner import run_study

    try:
        result = run_study(study, out=folder, comm=comm, log=lambda *a, **k: None)
    except Exception as err:  # noqa: BLE001 - one broken case must not cost the others
        row["status"] = "failed"
        row["error"] = str(err) if isinstance(err, FemliError) else f"internal error {type(err).__name__}: {err}"
        say(f"  failed: {row['error']}")
        return {}
    row["status"] = result.status
    if result.status != "ok":
        row["error"] = result.metrics.get("error")
    return result.metrics


def _write_table(out: Path, rows: list[dict], sweep: Sweep):
    fields = ["case", *sweep.parameters, "status", "reused", *sweep.columns, "error"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    # lists and sections as JSON, so the table reads back with any CSV + JSON reader
    writer.writerows({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in row.items()} for row in rows)
    write_text(out / "sweep.csv", buf.getvalue())
    write_json(out / "sweep.json", {"base": sweep.base.name, "parameters": sweep.parameters, "rows": rows})
