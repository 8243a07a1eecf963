"""Bad input gets one clear message naming the parameter, exit status 2, no traceback."""

from pathlib import Path

import pytest

from conftest import PROBLEMS, run_cli

STUDY = PROBLEMS / "pillar_host.toml"
SMALL = ["geometry.cells=[1,1]", "mesh.size_max='6 um'", "mesh.size_min='3 um'", "output.report=false", "output.fields=false"]

CASES = [
    # (--set overrides, words the message must contain)
    (["geometry.pillar_radius='11 um'"], ["pillar_radius", "overlap"]),
    (["geometry.pillar_radius='10 um'"], ["pillar_radius", "touch"]),
    (["geometry.gap=null", "geometry.cell_height='30 um'"], ["pillar_height", "cell_height"]),
    (["geometry.coating.bottom_fraction=1.5"], ["bottom_fraction", "[0, 1]"]),
    (["geometry.coating.bands=[[0.2, 1.3]]"], ["bands", "0 <= lo < hi <= 1"]),
    (["geometry.pillar_radius='-5 um'"], ["pillar_radius", "greater than 0"]),
    (["geometry.pitch='20 mA/cm^2'"], ["pitch", "expected units compatible with m"]),
    (["electrolyte.conductivity='-1 S/m'"], ["electrolyte.conductivity", "greater than 0"]),
    (["operating.current_density='2 mA'"], ["operating.current_density", "A/m^2"]),
    (["operating.current_densty='2 mA/cm^2'"], ["operating.current_densty", "unknown key"]),
    (["electrolyte.material='LiPF6_typo'"], ["LiPF6_typo", "known presets"]),
    (["kinetics.host_bare.film_resistance='1 ohm*cm^2'"], ["film_resistance", "linear"]),
    (["kinetics.symmetry_xmin.model=linear"], ["symmetry_xmin", "cannot carry an electrode reaction"]),
    (["mesh.size_min='5 um'", "mesh.size_max='2 um'"], ["size_min", "size_max"]),
    (["operating.voltage='20 mV'"], ["voltage", "no effect in galvanostatic mode"]),
    (["kinetics.host_bare.exchange_current_profile=[[0.5, 1], [0.2, 2]]"], ["exchange_current_profile", "increase strictly"]),
    (['coatings=[{"pattern": "random", "radius": "2 um"}]'], ["coatings.0", "coverage"]),
    (["operating.mode=potentiostatic"], ["potentiostatic mode needs a positive 'voltage'"]),
    (["kinetics.host_bare.model=primary", "kinetics.host_bare.material=li_on_cu"], ["primary", "nucleation barrier"]),
    # finite host conduction ([host])
    (["host.conductivity='-1 S/m'"], ["host.conductivity", "greater than 0"]),
    (["host.material=Cu_typo"], ["Cu_typo", "known presets"]),
    (["host.conductivity_profile=[[0.5, 1], [0.2, 2]]"], ["conductivity_profile", "increase strictly"]),
    (["geometry.mesh_host=true"], ["mesh_host", "[host]"]),
    (["host.conductivity='1 S/m'", "kinetics.current_collector.model=primary"], ["primary", "finite host conductivity"]),
    # inf and nan are refused at load, unit-typed or plain float (never reach Gmsh or PETSc)
    (["geometry.pillar_height=inf"], ["geometry.pillar_height", "must be a finite number"]),
    (["geometry.pillar_height=nan"], ["geometry.pillar_height", "must be a finite number"]),
    (["geometry.pillar_height='inf um'"], ["geometry.pillar_height", "must be a finite number"]),
    (["geometry.pillar_height=Infinity"], ["geometry.pillar_height", "must be a finite number"]),
    (["electrolyte.conductivity=nan"], ["electrolyte.conductivity", "must be a finite number"]),
    (["operating.current_density=inf"], ["operating.current_density", "must be a finite number"]),
    (["solver.newton_rtol=NaN"], ["solver.newton_rtol", "must be a finite number"]),
    (["geometry.coating.bottom_fraction=NaN"], ["geometry.coating.bottom_fraction", "must be a finite number"]),
    # a mesh far too large is refused before Gmsh runs
    (["mesh.size_max='0.05 um'", "mesh.size_min='0.05 um'"], ["mesh.size_max", "mesh.size_min", "mesh.max_cells", "tetrahedra"]),
    (["mesh.max_cells=1000"], ["mesh.size_max", "mesh.max_cells = 1000"]),
    # a PETSc option PETSc never reads (checked after the first solve)
    (['solver.petsc_options={"ksp_typee": "cg"}', *SMALL], ["solver.petsc_options", "ksp_typee", "did not use"]),
]


@pytest.mark.parametrize("overrides, words", CASES, ids=[c[0][0].split("=")[0] for c in CASES])
def test_bad_parameter_is_named(overrides, words, tmp_path):
    args = ["run", STUDY, "--out", tmp_path]
    for o in overrides:
        args += ["--set", o]
    res = run_cli(args)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    for w in words:
        assert w in res.stderr, f"{w!r} not in: {res.stderr}"


def test_missing_study_file(tmp_path):
    res = run_cli(["check", tmp_path / "nope.toml"])
    assert res.returncode == 2 and "study file not found" in res.stderr and "Traceback" not in res.stderr


def _directory(tmp_path):
    return tmp_path


def _png(tmp_path):
    path = tmp_path / "figure.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return path


def _executable(tmp_path):
    import sys

    return Path(sys.executable).resolve()


@pytest.mark.parametrize("make, words", [
    (_directory, ["is a directory"]),
    (_png, ["is not a text TOML file"]),
    (_executable, ["is not a text TOML file"]),
], ids=["directory", "png", "executable"])
def test_study_path_is_not_a_toml_file(make, words, tmp_path):
    path = make(tmp_path)
    res = run_cli(["check", path])
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert f"study file {path}" in res.stderr
    for w in words:
        assert w in res.stderr, res.stderr


def test_valid_petsc_option_still_runs(tmp_path):
    """The unused-option check looks only at the user's keys, and a used one passes."""
    args = ["run", STUDY, "--out", tmp_path, "--set", 'solver.petsc_options={"ksp_monitor_cancel": true, "pc_gamg_threshold": 0.05}']
    for o in SMALL:
        args += ["--set", o]
    res = run_cli(args)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr


def test_invalid_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[geometry\nkind = 1\n")
    res = run_cli(["check", bad])
    assert res.returncode == 2 and "not valid TOML" in res.stderr


def test_electrode_surface_without_kinetics(tmp_path):
    """Dropping [kinetics.host_coated] must not silently make the coating insulating."""
    text = STUDY.read_text().replace("[kinetics.host_coated]", "[unused_section]")
    text = text.split("[unused_section]")[0] + "[kinetics.current_collector]" + text.split("[kinetics.current_collector]")[1]
    study = tmp_path / "study.toml"
    study.write_text(text)
    res = run_cli(["run", study, "--out", tmp_path / "out", "--set", "geometry.cells=[1,1]", "--set", "mesh.size_max='6 um'", "--set", "mesh.size_min='3 um'"])
    assert res.returncode == 2, res.stderr
    assert "host_coated" in res.stderr and "kinetics" in res.stderr and "Traceback" not in res.stderr


def test_solver_failure_is_reported(tmp_path):
    """A Newton solve that cannot converge names the cause and keeps a failed metrics.json."""
    res = run_cli(["run", STUDY, "--out", tmp_path, "--set", "geometry.cells=[1,1]", "--set", "mesh.size_max='6 um'",
                   "--set", "mesh.size_min='3 um'", "--set", "solver.newton_max_it=1", "--set", "output.report=false"])
    assert res.returncode == 2, res.stderr
    assert "Newton did not converge" in res.stderr and "Traceback" not in res.stderr
    import json

    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "failed"


def test_host_on_a_geometry_without_host(tmp_path):
    """[host] on a solid-electrolyte cell names the section and the host geometries."""
    res = run_cli(["check", PROBLEMS / "sse_voids.toml", "--set", "host.conductivity='1 S/m'"])
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "host" in res.stderr and "fiber_mat" in res.stderr, res.stderr
