"""The architecture page's example (docs/examples/compose_model.py) runs and is right:
a model composed by hand from physics pieces reproduces the 1D closed form of a host
slab in series with an electrolyte and Butler-Volmer kinetics, on 1 and 2 ranks."""

import re
import subprocess
import sys

import pytest

from conftest import ROOT, mpiexec

SCRIPT = ROOT / "docs" / "examples" / "compose_model.py"


@pytest.mark.parametrize("nproc", [1, pytest.param(2, marks=pytest.mark.mpi)])
def test_compose_model_example(nproc):
    cmd = [sys.executable, str(SCRIPT)]
    res = subprocess.run((mpiexec() if nproc == 2 else []) + cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    error = float(re.search(r"relative error ([0-9.eE+-]+)", res.stdout).group(1))
    assert error < 1e-8, res.stdout
    applied, plated = map(float, re.search(r"applied ([0-9.eE+-]+) A, plated ([0-9.eE+-]+) A", res.stdout).groups())
    assert plated == pytest.approx(applied, rel=1e-8)
