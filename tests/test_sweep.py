"""Sweeps: a grid of cases, one table, and a failed case does not stop the rest."""

import csv

import pytest

import femli
from conftest import PROBLEMS, run_cli

SWEEP = f'''
study = "{PROBLEMS / "pillar_host.toml"}"
[parameters]
"geometry.cells" = [[1, 1]]
"mesh.size_min" = ["3 um"]
"output.fields" = [false]
"output.report" = [false]
"solver.newton_max_it" = [1, 50]
"operating.current_density" = ["1 mA/cm^2", "4 mA/cm^2"]
[table]
columns = ["cell.resistance", "deposition.height_centroid"]
'''


def test_sweep_survives_a_failed_case(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP)
    rows = femli.sweep(path, out=tmp_path / "out")
    assert [r["status"] for r in rows] == ["failed", "failed", "ok", "ok"]
    assert "Newton did not converge" in rows[0]["error"]
    # the ohmic part is fixed, the Butler-Volmer part falls with current: R(4 mA/cm^2) < R(1 mA/cm^2)
    assert rows[3]["cell.resistance"] < rows[2]["cell.resistance"]
    table = list(csv.DictReader((tmp_path / "out" / "sweep.csv").open()))
    assert len(table) == 4 and table[2]["status"] == "ok" and float(table[2]["cell.resistance"]) > 0


def test_section_values_are_not_shared_between_cases(tmp_path):
    """A whole section as a sweep value, refined by a later key, must not leak into other cases."""
    from femli.sweeps import Sweep

    base = femli.load_study(PROBLEMS / "pillar_host.toml")
    sweep = Sweep(base, {"geometry.coating": [{"bottom_fraction": 0.2}], "geometry.coating.coat_collector": [True, False]})
    studies = [base.updated(case) for case in sweep.cases()]
    assert [s.geometry.coating.coat_collector for s in studies] == [True, False]
    assert sweep.parameters["geometry.coating"] == [{"bottom_fraction": 0.2}]


def test_sweep_with_an_invalid_case_is_refused_before_running(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP.replace('"operating.current_density" = ["1 mA/cm^2", "4 mA/cm^2"]', '"operating.current_density" = ["1 mA/cm^2", "4 mA"]'))
    res = run_cli(["sweep", path, "--out", tmp_path / "out"])
    assert res.returncode == 2 and "operating.current_density" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_sweep_resumes_finished_cases(tmp_path):
    """A second start reuses every finished "ok" case of the same study and recomputes the rest."""
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP)
    first = femli.sweep(path, out=tmp_path / "out")
    again = femli.sweep(path, out=tmp_path / "out")
    assert [r["reused"] for r in again] == [False, False, True, True]  # the failed cases run again
    for a, b in zip(first, again):
        assert (a["status"], a["cell.resistance"]) == (b["status"], b["cell.resistance"])
    fresh = femli.sweep(path, out=tmp_path / "out", fresh=True)
    assert not any(r["reused"] for r in fresh)


def test_sweep_stops_on_sigint_and_keeps_the_table(tmp_path):
    import signal
    import subprocess
    import sys
    from conftest import ROOT

    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP.replace('"solver.newton_max_it" = [1, 50]', '"solver.newton_max_it" = [50]')
                    .replace('"1 mA/cm^2", "4 mA/cm^2"', '"1 mA/cm^2", "2 mA/cm^2", "3 mA/cm^2", "4 mA/cm^2"'))
    proc = subprocess.Popen([sys.executable, "-m", "femli", "sweep", str(path), "--out", str(tmp_path / "out")], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if "sweep case 1" in line:
            break
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in out, out
    table = list(csv.DictReader((tmp_path / "out" / "sweep.csv").open()))
    assert len(table) < 4  # stopped before the last case; a case it stopped in is recorded
    assert [r["status"] for r in table[:-1]] == ["ok"] * (len(table) - 1) and table[-1]["status"] in ("ok", "interrupted")
    rows = femli.sweep(path, out=tmp_path / "out")  # starting again picks up where it stopped
    assert rows[0]["reused"] and all(r["status"] == "ok" for r in rows)


def test_columns_must_be_a_list(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP.replace('columns = ["cell.resistance", "deposition.height_centroid"]', 'columns = "cell.resistance"'))
    res = run_cli(["sweep", path, "--out", tmp_path / "out"])
    assert res.returncode == 2 and "table.columns must be a list" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.mpi
def test_sweep_resumes_on_two_ranks(tmp_path):
    """Rank 0 decides what is reused and every rank follows (no rank runs a case alone)."""
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP.replace('"solver.newton_max_it" = [1, 50]', '"solver.newton_max_it" = [50]'))
    first = run_cli(["sweep", path, "--out", tmp_path / "out"], nproc=2, timeout=300)
    again = run_cli(["sweep", path, "--out", tmp_path / "out"], nproc=2, timeout=300)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert again.stdout.count("reused") == 2
    table = list(csv.DictReader((tmp_path / "out" / "sweep.csv").open()))
    assert [r["reused"] for r in table] == ["True", "True"] and all(r["status"] == "ok" for r in table)
