"""Runs never trust a damaged file and never start a hopeless mesh.

- a corrupt mesh-cache entry (truncated or empty .msh, truncated or invalid .json, one
  file of the pair missing) is rebuilt with a warning, never fatal, never used;
- the cell-count estimate refuses a mesh far above mesh.max_cells before Gmsh runs, and
  every shipped study stays well below it.
"""

from pathlib import Path

import pytest
from mpi4py import MPI

import femli
from femli.errors import ConfigError
from femli.mesh import build_mesh

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"geometry.cells": [1, 1], "mesh.size_max": "6 um", "mesh.size_min": "3 um"}


@pytest.fixture(scope="module")
def study():
    return femli.load_study(ROOT / "problems" / "pillar_host.toml").updated(SMALL)


def _build(study, cache):
    return build_mesh(study.geometry, study.mesh, MPI.COMM_WORLD, study.mesh_hash(), cache_dir=cache)


def _truncate(path):
    path.write_bytes(path.read_bytes()[:100])


CORRUPTIONS = {
    "msh_truncated": (".msh", _truncate),
    "msh_empty": (".msh", lambda p: p.write_bytes(b"")),
    "msh_missing": (".msh", lambda p: p.unlink()),
    "json_truncated": (".json", _truncate),
    "json_empty": (".json", lambda p: p.write_bytes(b"")),
    "json_invalid": (".json", lambda p: p.write_text("{not json")),
    "json_without_quality": (".json", lambda p: p.write_text('{"info": {}}')),
    "json_missing": (".json", lambda p: p.unlink()),
}


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_corrupt_cache_entry_is_rebuilt(case, study, tmp_path, capfd):
    suffix, corrupt = CORRUPTIONS[case]
    first = _build(study, tmp_path)
    assert not first.cached and first.rebuilt is None
    assert _build(study, tmp_path).cached  # a sound entry is used as before
    corrupt(tmp_path / f"{study.mesh_hash()}{suffix}")
    capfd.readouterr()

    again = _build(study, tmp_path)
    assert again.cached is False
    assert again.quality["cells"] == first.quality["cells"]
    assert again.mesh.topology.index_map(3).size_global == first.quality["cells"]
    assert again.rebuilt and "corrupt" in again.rebuilt and "rebuilt" in again.rebuilt
    assert "femli: warning: mesh cache entry" in capfd.readouterr().err
    healed = _build(study, tmp_path)  # the rebuilt entry is sound again
    assert healed.cached and healed.rebuilt is None
    assert healed.quality["cells"] == first.quality["cells"]


def test_msh_with_changed_bytes_is_not_trusted(study, tmp_path):
    """Same length, other content: the checksum in the .json catches it."""
    first = _build(study, tmp_path)
    msh = tmp_path / f"{study.mesh_hash()}.msh"
    data = bytearray(msh.read_bytes())
    data[len(data) // 2] ^= 0xFF
    msh.write_bytes(bytes(data))
    again = _build(study, tmp_path)
    assert not again.cached and "checksum" in again.rebuilt
    assert again.quality["cells"] == first.quality["cells"]


def test_huge_mesh_is_refused_before_gmsh(study, monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match=r"mesh\.size_max.*mesh\.max_cells = 20000000"):
        study.updated({"mesh.size_max": "0.05 um", "mesh.size_min": "0.05 um"})
    # build_mesh checks too (a study made in Python may skip validation of a changed MeshOptions)
    huge = study.mesh.model_copy(update={"size_max": 5e-8, "size_min": 5e-8})
    import femli.mesh as fmesh

    def no_gmsh(*args, **kwargs):
        raise AssertionError("Gmsh must not run for a refused mesh")

    monkeypatch.setattr(fmesh, "_generate", no_gmsh)
    with pytest.raises(ConfigError, match="mesh.max_cells"):
        build_mesh(study.geometry, huge, MPI.COMM_WORLD, "huge", cache_dir=tmp_path)
    # raising the limit lets it through the check (here only the estimate is asked)
    assert huge.model_copy(update={"max_cells": 10**12}).check_cells(study.geometry) is None


def test_estimate_is_a_lower_bound(study, tmp_path):
    bundle = _build(study, tmp_path)
    estimate = study.mesh.estimated_cells(study.geometry)
    assert 0 < estimate <= bundle.quality["cells"]


def test_max_cells_does_not_change_the_mesh_key(study):
    assert study.updated({"mesh.max_cells": 123_456_789}).mesh_hash() == study.mesh_hash()


# sweep files name a base study, which is listed on its own
STUDIES = sorted(p for p in (ROOT / "problems").glob("*.toml") if not p.stem.endswith("_sweep"))


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.stem)
def test_shipped_studies_stay_well_under_the_limit(path):
    study = femli.load_study(path)
    estimate = study.mesh.estimated_cells(study.geometry)
    assert estimate is not None, f"{path.name}: no size estimate for {study.geometry.kind}"
    assert estimate < study.mesh.max_cells / 100
