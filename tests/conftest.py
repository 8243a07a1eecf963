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
