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
    # refused when the model meets the mesh: the geometry has no such volume
    (["phases.grain_boundary.conductivity='1 S/m'", *SMALL], ["grain_boundary", "not volumes of this geometry"]),
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


# ---- the study-level catalogue: refused at load (femli check), in-process so that it stays fast ----------
# (study file, changes as femli.Study.updated takes them, words the message must contain)
# short names of the studies in problems/ the cases start from
P = "pillar_host"; F = "fiber_host"; FO = "foam_host"; C = "channel_host"; S = "screen_host"; V = "sse_voids"; FL = "sse_flaw"; D = "bench_disk_primary"
PR = "sse_protrusion"; PC = "sse_polycrystal"; IL = "sse_interlayer"; T = "sand_planar"
LOAD_CASES = [
 # pillar geometry
 (P, {"geometry.pitch": "0 um"}, ["geometry.pitch"]),
 (P, {"geometry.pillar_height": "-1 um"}, ["geometry.pillar_height"]),
 (P, {"geometry.lattice": "triangular"}, ["geometry.lattice"]),
 (P, {"geometry.cells": [0, 1]}, ["geometry.cells"]),
 (P, {"geometry.cells": [1]}, ["geometry.cells"]),
 (P, {"geometry.gap": "5 um", "geometry.cell_height": "60 um"}, ["gap", "cell_height"]),
 (P, {"geometry.kind": "pillars"}, ["geometry"]),
 (P, {"geometry.pillar_radius": "5 V"}, ["geometry.pillar_radius", "m"]),
 (P, {"geometry.pillar_radius": "five um"}, ["geometry.pillar_radius"]),
 (P, {"geometry.coating.bands": [[0.1, 0.5], [0.4, 0.8]]}, ["overlap"]),
 (P, {"geometry.coating.colour": "gold"}, ["geometry.coating.colour", "unknown key"]),
 # fiber mat
 (F, {"geometry.porosity": 1.2}, ["porosity"]),
 (F, {"geometry.porosity": 0.0}, ["porosity"]),
 (F, {"geometry.porosity": None, "geometry.fiber_count": None}, ["porosity", "fiber_count"]),
 (F, {"geometry.fiber_count": 10}, ["porosity", "fiber_count"]),
 (F, {"geometry.fiber_diameter": "35 um"}, ["fiber_diameter"]),
 (F, {"geometry.tilt_spread": 60}, ["geometry.tilt_spread"]),
 (F, {"geometry.diameter_spread": -0.1}, ["geometry.diameter_spread"]),
 (F, {"geometry.seed": -1}, ["geometry.seed"]),
 (F, {"geometry.coating.bottom_fraction": 0.3}, ["coating", "fiber_mat"]),
 (F, {"geometry.footprint": ["60 um"]}, ["geometry.footprint"]),
 # foam
 (FO, {"geometry.pore_diameter": "45 um"}, ["pore_diameter"]),
 (FO, {"geometry.pore_spread": 0.5}, ["geometry.pore_spread"]),
 (FO, {"geometry.porosity": 0.95}, ["porosity"]),
 (FO, {"geometry.host_height": "0 um"}, ["geometry.host_height"]),
 # channels, screens
 (C, {"geometry.channel_radius": "20 um"}, ["channel_radius"]),
 (C, {"geometry.host_height": "-3 um"}, ["geometry.host_height"]),
 (S, {"geometry.woven": True}, ["woven"]),
 (S, {"geometry.opening": "0.1 um"}, ["opening"]),
 (S, {"geometry.layer_spacing": "100 um"}, ["layer_spacing"]),
 (S, {"geometry.layers": 0}, ["geometry.layers"]),
 (S, {"geometry.contact_depth": 0.9}, ["geometry.contact_depth"]),
 # sse cell
 (V, {"geometry.thickness": "0 um"}, ["geometry.thickness"]),
 (V, {"geometry.width": "-40 um"}, ["geometry.width"]),
 (V, {"geometry.voids": [{"shape": "spherical_cap", "center": ["14 um", "14 um"], "radius": "30 um", "height": "2 um"}]}, ["voids"]),
 (V, {"geometry.voids": [{"shape": "spherical_cap", "center": ["80 um", "14 um"], "radius": "3 um", "height": "1 um"}]}, ["voids"]),
 (V, {"geometry.voids": [{"shape": "spherical_cap", "center": ["14 um", "14 um"], "radius": "3 um", "height": "40 um"}]}, ["voids"]),
 (V, {"geometry.voids": [{"shape": "cube", "center": ["14 um", "14 um"], "radius": "3 um", "height": "1 um"}]}, ["voids"]),
 (V, {"geometry.random_voids.count": -2}, ["random_voids"]),
 (V, {"geometry.contact": {"pattern": "single_spot"}}, ["contact_fraction"]),
 (V, {"geometry.contact": {"pattern": "full", "contact_fraction": 0.5}}, ["contact_fraction"]),
 (V, {"geometry.contact": {"pattern": "random", "contact_fraction": 1.5}}, ["contact_fraction"]),
 (FL, {"geometry.flaws": [{"shape": "semi_elliptical", "center": ["20 um", "20 um"], "depth": "50 um", "half_length": "4 um", "opening": "0.4 um"}]}, ["flaws"]),
 (FL, {"geometry.flaws": [{"shape": "semi_elliptical", "center": ["20 um", "20 um"], "depth": "5 um", "half_length": "4 um", "opening": "-0.4 um"}]}, ["flaws"]),
 (FL, {"geometry.flaws": [{"shape": "triangle", "center": ["20 um", "20 um"], "depth": "5 um", "half_length": "4 um", "opening": "0.4 um"}]}, ["flaws"]),
 (PR, {"geometry.protrusions": [{"shape": "cone", "center": ["20 um", "20 um"], "radius": "3 um", "length": "40 um", "tip_radius": "0.5 um"}]}, ["protrusions"]),
 (PR, {"geometry.protrusions": [{"shape": "cone", "center": ["20 um", "20 um"], "radius": "3 um", "length": "10 um", "tip_radius": "5 um"}]}, ["protrusions"]),
 (PC, {"geometry.grains.count": 1}, ["grains.count"]),
 (PC, {"geometry.grains.boundary_thickness": "-1 um"}, ["boundary_thickness"]),
 (IL, {"geometry.interlayer.hole_fraction": 1.5}, ["hole_fraction"]),
 (IL, {"geometry.interlayer.thickness": "0 um"}, ["interlayer.thickness"]),
 (D, {"geometry.disk_radius": "0 um"}, ["geometry.disk_radius"]),
 (D, {"geometry.domain_radius": "1 um"}, ["domain_radius"]),
 # mesh
 (P, {"mesh.size_max": "0 um"}, ["mesh.size_max"]),
 (P, {"mesh.growth_distance": "-1 um"}, ["mesh.growth_distance"]),
 (P, {"mesh.algorithm3d": 5}, ["mesh.algorithm3d"]),
 (P, {"mesh.optimize": "maybe"}, ["mesh.optimize"]),
 (P, {"mesh.max_cells": 0}, ["max_cells"]),
 # electrolyte, phases, host
 (P, {"electrolyte.conductivity": "1 S"}, ["electrolyte.conductivity"]),
  (PC, {"phases.grain_boundary.conductivity": "-0.1 S/m"}, ["phases.grain_boundary.conductivity"]),
 (P, {"host.conductivity": "1 ohm"}, ["host.conductivity"]),
 (P, {"host": {}}, ["host"]),
 (P, {"host.conductivity_profile": [[0, 1], [1, -2]]}, ["conductivity_profile"]),
 (P, {"host.conductivity_profile": [[0, 1], [1.5, 2]]}, ["conductivity_profile"]),
 (P, {"model.degree": 3}, ["model.degree"]),
 (P, {"model.kind": "pnp"}, ["model.kind"]),
 # coatings
 (F, {"coatings": [{"pattern": "band", "z_min": 0.6, "z_max": 0.2}]}, ["coatings"]),
 (F, {"coatings": [{"pattern": "dots", "radius": "2 um"}]}, ["coatings", "spacing"]),
 (F, {"coatings": [{"pattern": "random", "radius": "2 um", "coverage": 1.5}]}, ["coatings.0.coverage"]),
 (F, {"coatings": [{"pattern": "band", "surface": "gold"}]}, ["coatings.0.surface"]),
 (F, {"coatings": [{"pattern": "band", "surface": "host_coated_au"}]}, ["host_coated_au", "kinetics"]),
 (F, {"coatings": [{"pattern": "stripes"}]}, ["coatings.0.pattern"]),
 (V, {"coatings": [{"pattern": "band"}]}, ["coatings"]),
 # kinetics
 (P, {"kinetics.host_bare.model": "marcus"}, ["kinetics.host_bare.model"]),
 (P, {"kinetics.host_bare.alpha_a": 1.5}, ["kinetics.host_bare.alpha_a"]),
 (P, {"kinetics.host_bare.alpha_c": 0}, ["kinetics.host_bare.alpha_c"]),
 (P, {"kinetics.host_bare.exchange_current_density": "-1 A/m^2"}, ["kinetics.host_bare.exchange_current_density"]),
 (P, {"kinetics.host_bare.exchange_current_density": "1 A"}, ["kinetics.host_bare.exchange_current_density"]),
 (P, {"kinetics.host_bare.material": "li_typo"}, ["li_typo"]),
 (P, {"kinetics.host_bare.nucleation_overpotential": "-10 mV"}, ["nucleation_overpotential"]),
 (P, {"kinetics.host_bare.nucleation_width": "0 mV"}, ["nucleation_width"]),
 (P, {"kinetics.host_bare.film_resistance": "-1 ohm*m^2"}, ["film_resistance"]),
 (P, {"kinetics.host_bare.exchange_current_profile": [[0, 1], [0.5, 0]]}, ["exchange_current_profile"]),
 (P, {"kinetics.separator.model": "linear"}, ["separator"]),
 (P, {"kinetics": {}}, ["kinetics"]),
 (V, {"kinetics.li_contact.exchange_current_profile": [[0, 1], [1, 2]]}, ["exchange_current_profile"]),
 # operating
 (P, {"operating.mode": "galvano"}, ["operating.mode"]),
 (P, {"operating.temperature": "-10 K"}, ["operating.temperature"]),
 (P, {"operating.temperature": "25 m"}, ["operating.temperature"]),
 (P, {"operating.current_density": "-2 mA/cm^2"}, ["operating.current_density"]),
 (P, {"operating.mode": "potentiostatic", "operating.voltage": "-50 mV", "operating.current_density": None}, ["voltage"]),
 (P, {"operating.mode": "potentiostatic", "operating.voltage": "50 mA", "operating.current_density": None}, ["operating.voltage"]),
 (P, {"operating.counter": "host_bare"}, ["operating.counter"]),
 # solver, output
 (P, {"solver.method": "cholesky"}, ["solver.method"]),
 (P, {"solver.newton_rtol": 0}, ["solver.newton_rtol"]),
 (P, {"solver.newton_max_it": 0}, ["solver.newton_max_it"]),
 (P, {"solver.krylov_rtol": -1e-8}, ["solver.krylov_rtol"]),
 (P, {"solver.continuation_steps": 0}, ["solver.continuation_steps"]),
 (P, {"solver.petsc_options": "ksp_type cg"}, ["solver.petsc_options"]),
 (P, {"output.hot_spot_factor": 1.0}, ["output.hot_spot_factor"]),
 (P, {"output.fields": "yes please"}, ["output.fields"]),
 (P, {"name": 5}, ["name"]),
 (P, {"extra_section.key": 1}, ["extra_section", "unknown key"]),
 # transient transport
 (T, {"electrolyte.diffusivity": "-3e-10 m^2/s"}, ["electrolyte.diffusivity", "greater than 0"]),
 (T, {"electrolyte.diffusivity": "3e-10 m^2"}, ["electrolyte.diffusivity", "m^2/s"]),
 (T, {"electrolyte.transference_number": 1.2}, ["electrolyte.transference_number", "less than 1"]),
 (T, {"electrolyte.transference_number": 0}, ["electrolyte.transference_number", "greater than 0"]),
 (T, {"electrolyte.thermodynamic_factor": -1}, ["electrolyte.thermodynamic_factor"]),
 (T, {"electrolyte.concentration": "-1 mol/L"}, ["electrolyte.concentration", "greater than 0"]),
 (T, {"electrolyte.concentration": "1 mol"}, ["electrolyte.concentration", "mol/m^3"]),
 (T, {"protocol": [{"mode": "galvanostatic", "current_density": "2 mA/cm^2"}]}, ["protocol.0", "needs an end"]),
 (T, {"protocol": [{"mode": "rest", "capacity": "1 mAh/cm^2"}]}, ["protocol.0", "capacity", "no effect"]),
 (T, {"protocol": [{"mode": "rest"}]}, ["protocol.0", "needs an end: 'duration'"]),
 (T, {"protocol": [{"mode": "galvanostatic", "duration": "1 s"}]}, ["protocol.0", "needs 'current_density'"]),
 (T, {"protocol": [{"mode": "galvanostatic", "current_density": 0, "duration": "1 s"}]}, ["protocol.0", "mode = 'rest'"]),
 (T, {"protocol": [{"mode": "potentiostatic", "voltage": "50 mV", "voltage_limit": "1 V", "duration": "1 s"}]},
  ["protocol.0", "voltage_limit", "no effect"]),
 (T, {"protocol": [{"mode": "charge", "duration": "1 s"}]}, ["protocol.0.mode"]),
 (T, {"protocol": [{"mode": "rest", "duration": "5 mAh/cm^2"}]}, ["protocol.0.duration", "s"]),
 (T, {"protocol": [{"mode": "galvanostatic", "current_density": "1 mA/cm^2", "capacity": "1 mAh"}]}, ["protocol.0.capacity"]),
 (T, {"protocol": []}, ["[[protocol]]"]),
 (T, {"operating.current_density": "2 mA/cm^2"}, ["operating.current_density", "[[protocol]]"]),
 (T, {"operating.counter_salt": "lithium",
      "protocol": [{"mode": "potentiostatic", "voltage": "50 mV", "duration": "1 s"}]}, ["counter_salt", "potentiostatic"]),
 (T, {"operating.counter_salt": "copper"}, ["operating.counter_salt"]),
 (T, {"electrolyte.material": "LLZO"}, ["electrolyte.diffusivity", "LLZO"]),
 (T, {"kinetics.electrode.model": "primary", "kinetics.electrode.material": "li_liquid"}, ["primary", "transient"]),
 (T, {"time.rtol": 0}, ["time.rtol"]),
 (T, {"time.sand_tolerance": 0.7}, ["time.sand_tolerance"]),
 (T, {"time.initial_step": "-1 s"}, ["time.initial_step"]),
 (T, {"time.cycles": 0}, ["time.cycles"]),
 (T, {"time.on_sand": "ignore"}, ["time.on_sand"]),
 (T, {"deposition.li_kinetics": "li_on_cu"}, ["li_kinetics", "nucleation barrier"]),
 (T, {"deposition.nucleation_charge": "-1 C/m^2"}, ["deposition.nucleation_charge"]),
 (P, {"protocol": [{"mode": "rest", "duration": "1 s"}]}, ["protocol", "transient_transport"]),
 (P, {"model.kind": "transient_transport"}, ["[[protocol]]"]),
]


@pytest.mark.parametrize("study, changes, words", LOAD_CASES, ids=[f"{s}:{next(iter(c))}" for s, c, _ in LOAD_CASES])
def test_bad_study_value_is_refused_at_load(study, changes, words):
    import femli
    from femli.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        femli.load_study(PROBLEMS / f"{study}.toml").updated(changes)
    for w in words:
        assert w in str(err.value), f"{w!r} not in: {err.value}"
