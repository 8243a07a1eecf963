"""Sweeps: a grid of cases, one table, and a failed case does not stop the rest."""

import csv

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
    from femli.sweep import Sweep

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
