import os
import subprocess
import sys
from pathlib import Path

import pytest

import femli  # noqa: F401  (sets up the DOLFINx wheel before any test imports dolfinx)

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = ROOT / "problems"


@pytest.fixture(scope="session", autouse=True)
def _mesh_cache(tmp_path_factory):
    """Tests share one mesh cache, fresh per session, so cached meshes never leak between runs."""
    if "FEMLI_CACHE" not in os.environ:
        os.environ["FEMLI_CACHE"] = str(tmp_path_factory.mktemp("mesh-cache"))
    yield


def mpiexec() -> list[str]:
    return [str(Path(sys.executable).parent / "mpiexec"), "-n", "2"]


def run_cli(args, nproc=1, **kw) -> subprocess.CompletedProcess:
    """Run `femli ARGS` in a subprocess (under mpiexec -n 2 when nproc == 2)."""
    cmd = [sys.executable, "-m", "femli", *map(str, args)]
    if nproc > 1:
        cmd = mpiexec() + cmd
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=kw.pop("timeout", 600), **kw)


def run_one_and_two(study, changes: dict, tmp_path, extra=()) -> tuple[dict, dict]:
    """`femli run STUDY` with ``changes`` (dotted key -> value, sent as JSON) on 1 and on 2 ranks;
    returns both metrics.json, after checking both runs succeeded and the second used 2 ranks."""
    import json

    args = ["run", study, *extra]
    for key, value in changes.items():
        args += ["--set", f"{key}={json.dumps(value)}"]
    one = run_cli(args + ["--out", tmp_path / "np1"])
    two = run_cli(args + ["--out", tmp_path / "np2"], nproc=2)
    assert one.returncode == 0 and two.returncode == 0, one.stderr[-1500:] + two.stderr[-1500:]
    m1, m2 = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("np1", "np2"))
    assert m2["mesh"]["mpi_size"] == 2
    return m1, m2
