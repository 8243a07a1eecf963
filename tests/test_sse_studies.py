"""Every solid-electrolyte study runs on 1 and 2 MPI ranks with the same metrics."""

import json

import pytest

from conftest import PROBLEMS, run_cli

STUDIES = ["sse_contact_loss", "sse_voids", "sse_protrusion", "sse_flaw", "sse_polycrystal", "sse_interlayer"]
QUICK = ["--set", "output.fields=false", "--set", "output.report=false"]


@pytest.mark.mpi
@pytest.mark.parametrize("name", STUDIES)
def test_study_on_one_and_two_ranks(name, tmp_path):
    args = ["run", PROBLEMS / f"{name}.toml", *QUICK]
    one = run_cli(args + ["--out", tmp_path / "np1"])
    two = run_cli(args + ["--out", tmp_path / "np2"], nproc=2)
    assert one.returncode == 0, one.stderr[-2000:]
    assert two.returncode == 0, two.stderr[-2000:]
    m1, m2 = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("np1", "np2"))
    assert m1["balance"]["relative_error"] < 1e-8 and m2["balance"]["relative_error"] < 1e-8
    for key, value in m1["cell"]["interface"].items():
        assert m2["cell"]["interface"][key] == pytest.approx(value, rel=1e-6, abs=1e-12 * abs(m1["cell"]["resistance"])), key
    for surface, s1 in m1["surfaces"].items():
        s2 = m2["surfaces"][surface]
        for key in ("area", "total_current", "max", "cv", "max_over_mean"):
            assert s2[key] == pytest.approx(s1[key], rel=1e-6), (surface, key)
        assert len(s2["hot_spots"]) == len(s1["hot_spots"])
    for phase, p1 in m1.get("phases", {}).items():
        assert m2["phases"][phase]["current_share"] == pytest.approx(p1["current_share"], rel=1e-6)
        if phase != "electrolyte":  # grain boundary / interlayer, 10x less conductive than LLZO in these studies
            assert p1["current_enhancement"] < 1
