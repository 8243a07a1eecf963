"""A transient run killed mid-way resumes from its last checkpoint (`femli run --resume`) and
ends where an unbroken run ends; a checkpoint of another set-up is refused."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, run_cli

STUDY = "problems/plate_strip_cycle.toml"
SETTINGS = ["--set", "time.cycles=1", "--set", "output.report=false", "--set", 'time.checkpoint_interval="0.2 s"']


def metrics(folder):
    return json.loads((folder / "metrics.json").read_text())


def test_killed_run_resumes(tmp_path):
    whole = run_cli(["run", STUDY, *SETTINGS, "--out", tmp_path / "whole"])
    assert whole.returncode == 0, whole.stderr[-2000:]
    out = tmp_path / "broken"
    checkpoint = tmp_path / "broken.femli-checkpoint" / "meta.json"
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "femli", "run", STUDY, *SETTINGS, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if checkpoint.is_file() and json.loads(checkpoint.read_text())["number"] >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)  # no clean-up at all, as a node failure
    proc.wait()
    assert not (out / "metrics.json").exists()
    resumed = run_cli(["run", STUDY, *SETTINGS, "--out", out, "--resume"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a, b = metrics(tmp_path / "whole"), metrics(out)
    # the step sequence of this marginal case (Newton on bare Cu's 40 mV nucleation barrier) may
    # differ between runs by a rejected step, so the comparison is of the physics, not the steps
    assert b["transient"]["resumed_at"] > 0
    assert b["transient"]["time"] == pytest.approx(a["transient"]["time"], rel=1e-12)
    assert b["transient"]["time_steps"] == pytest.approx(a["transient"]["time_steps"], rel=0.1)
    assert b["surfaces"]["electrode"]["min_concentration"] == pytest.approx(
        a["surfaces"]["electrode"]["min_concentration"], rel=1e-3)
    assert b["surfaces"]["electrode"]["plated_charge"] == pytest.approx(
        a["surfaces"]["electrode"]["plated_charge"], abs=1e-6 * 3.6e4 * a["cell"]["counter_area"])
    # the rows before the kill come from the checkpoint: the record was kept, not restarted
    times = [float(line.split(",")[0]) for line in (out / "timeseries.csv").read_text().splitlines()[1:]]
    assert times[0] < b["transient"]["resumed_at"] < times[-1]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert not (tmp_path / "broken.femli-checkpoint").exists()  # a finished run removes its checkpoint


def test_checkpoint_of_another_study_is_refused(tmp_path):
    out = tmp_path / "run"
    folder = tmp_path / "run.femli-checkpoint"
    folder.mkdir()
    (folder / "meta.json").write_text(json.dumps({"study": "0" * 16, "mesh": "x", "mpi_size": 1, "number": 1}))
    r = run_cli(["run", STUDY, *SETTINGS, "--out", out, "--resume"])
    assert r.returncode != 0
    assert "checkpoint" in r.stderr and "another run" in r.stderr and "Traceback" not in r.stderr
