"""Runs that never lie and never hang: signals, failures on one rank, result folders, checks.

Every MPI case is bounded by a timeout: a hang fails the test instead of the suite.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import femli
from conftest import PROBLEMS, ROOT, mpiexec, run_cli

SMALL = ["--set", "geometry.cells=[1, 1]", "--set", "mesh.size_max='6 um'", "--set", "mesh.size_min='3 um'",
         "--set", "output.report=false"]
# big enough that the solve lasts a few seconds: the signal lands inside PETSc
SLOW = ["--set", "mesh.size_max='2.5 um'", "--set", "mesh.size_min='0.7 um'", "--set", "output.report=false",
        "--set", "solver.continuation_steps=4"]


def _metrics(folder):
    return json.loads((folder / "metrics.json").read_text())


def _start(args, nproc):
    cmd = [sys.executable, "-m", "femli", *map(str, args)]
    return subprocess.Popen((mpiexec() if nproc == 2 else []) + cmd, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _wait_for(proc, text, timeout=300):
    """Read the run's output until a line contains ``text``; returns everything read."""
    seen, t0 = [], time.time()
    for line in proc.stdout:
        seen.append(line)
        if text in line or time.time() - t0 > timeout:
            break
    return "".join(seen)


@pytest.mark.parametrize("nproc, signum", [(1, signal.SIGINT), pytest.param(2, signal.SIGTERM, marks=pytest.mark.mpi)])
def test_signal_during_the_solve_records_interrupted(nproc, signum, tmp_path):
    """SIGTERM (a scheduler's time limit) and SIGINT are recorded as "interrupted", even
    inside the PETSc solve, on every rank count, and the job ends promptly."""
    subprocess.run([sys.executable, "-m", "femli", "mesh", PROBLEMS / "pillar_host.toml", *SLOW[:4]], cwd=ROOT,
                   capture_output=True, timeout=600, check=True)  # mesh first: the run starts from the cache
    proc = _start(["run", PROBLEMS / "pillar_host.toml", "--out", tmp_path / "out", *SLOW], nproc)
    seen = _wait_for(proc, "mesh:")
    time.sleep(1.0)  # into the assembly/solve
    os.kill(proc.pid, signum)
    t0 = time.time()
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0, seen + out
    assert time.time() - t0 < 60
    m = _metrics(tmp_path / "out")
    assert m["status"] == "interrupted", m
    assert signal.Signals(signum).name in m["error"]
    assert "Traceback" not in seen + out


@pytest.mark.mpi
def test_rank0_failure_ends_every_rank(tmp_path):
    """A step on rank 0 alone that fails reaches rank 1 too (no rank waits in a collective forever)."""
    script = tmp_path / "fail.py"
    script.write_text(
        "import femli\nfrom mpi4py import MPI\nfrom femli.results import on_root, RankFailure\n"
        "comm = MPI.COMM_WORLD\n"
        "def boom():\n    raise OSError('No space left on device')\n"
        "try:\n    on_root(comm, boom)\nexcept (OSError, RankFailure) as err:\n    print(f'{comm.rank} {type(err).__name__} {err}', flush=True)\n"
        "comm.barrier()\nprint(f'{comm.rank} done', flush=True)\n")
    res = subprocess.run(mpiexec() + [sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "0 OSError No space left on device" in res.stdout and "1 RankFailure No space left on device" in res.stdout
    assert res.stdout.count("done") == 2


@pytest.mark.parametrize("nproc", [1, pytest.param(2, marks=pytest.mark.mpi)])
def test_out_is_an_existing_file(nproc, tmp_path):
    target = tmp_path / "a_file"
    target.write_text("keep me")
    res = run_cli(["run", PROBLEMS / "sse_voids.toml", "--out", target], nproc=nproc, timeout=120)
    assert res.returncode == 2 and "exists and is not a folder" in res.stderr and "Traceback" not in res.stderr
    assert target.read_text() == "keep me"


def test_a_killed_run_leaves_the_previous_results_whole(tmp_path):
    """Run A completes into X; run B into X is killed outright: X still holds A, all of it."""
    out = tmp_path / "X"
    a = run_cli(["run", PROBLEMS / "pillar_host.toml", "--out", out, *SMALL])
    assert a.returncode == 0, a.stderr
    before = {p.name: p.stat().st_mtime_ns for p in out.rglob("*")}
    proc = _start(["run", PROBLEMS / "pillar_host.toml", "--out", out, *SMALL,
                   "--set", "operating.current_density='3 mA/cm^2'"], 1)
    _wait_for(proc, "solve:")
    proc.kill()
    proc.wait(timeout=60)
    assert {p.name: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    assert _metrics(out)["status"] == "ok"
    # the next run cleans up what the killed one left beside X, and takes over its stale lock
    c = run_cli(["run", PROBLEMS / "pillar_host.toml", "--out", out, *SMALL])
    assert c.returncode == 0, c.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["X"]


def test_second_writer_is_refused(tmp_path):
    out = tmp_path / "X"
    (tmp_path / "X.femli-lock").write_text(f"{os.getpid()} {os.uname().nodename}")  # a live run holds X
    res = run_cli(["run", PROBLEMS / "pillar_host.toml", "--out", out, *SMALL])
    assert res.returncode == 2 and "in use by another femli run" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()


@pytest.mark.parametrize("changes", [
    ["--set", "operating.mode=potentiostatic", "--set", "operating.voltage='1000 V'", "--set", "operating.current_density=null"],
    ["--set", "operating.current_density='1e6 A/cm^2'"],
], ids=["1000 V", "1e6 A/cm^2"])
def test_wrong_answer_is_not_ok(changes, tmp_path):
    """An absurd drive: Newton stops on a small step with the equations unbalanced (9.5e-3 at 1000 V, 2.8e-2 at 1e6 A/cm^2)."""
    res = run_cli(["run", PROBLEMS / "pillar_host.toml", "--out", tmp_path, *SMALL, *changes])
    assert res.returncode == 1, res.stderr
    m = _metrics(tmp_path)
    assert m["status"] == "check_failed" and not m["checks"]["charge_balance"]["passed"]
    assert "charge_balance" in m["error"]


def test_checks_pass_on_a_good_run(tmp_path):
    m = femli.run(femli.load_study(PROBLEMS / "sse_voids.toml").updated({"output.report": False, "output.fields": False}),
                  out=tmp_path).metrics
    assert m["status"] == "ok" and all(c["passed"] for c in m["checks"].values())
