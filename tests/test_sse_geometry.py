"""Solid-electrolyte cell geometry (kind = "sse_cell"): contact patterns, voids,
protrusions, flaws, polycrystals and interlayers build with their named groups
and measured quantities; impossible inputs are refused before Gmsh runs."""

import copy
import math

import gmsh
import numpy as np
import pytest
from mpi4py import MPI

import femli
from conftest import PROBLEMS
from femli.errors import ConfigError
from femli.geometry import MeshOptions, SolidElectrolyteCell
from femli.mesh import build_mesh, generate_msh

UM = 1e-6
COARSE = MeshOptions(size_max=4 * UM, size_min=1.5 * UM, growth_distance=6 * UM)
SIDES = ("separator", "symmetry_xmin", "symmetry_xmax", "symmetry_ymin", "symmetry_ymax")


def cell(**kw) -> SolidElectrolyteCell:
    base = {"kind": "sse_cell", "thickness": "30 um", "width": "40 um"}
    return SolidElectrolyteCell.model_validate(base | kw)


def mesh(geometry, tmp_path, key, options=COARSE):
    return build_mesh(geometry, options, MPI.COMM_WORLD, key=key, cache_dir=tmp_path, use_cache=False)


def names(bundle, dim):
    return {n for n, (d, _) in bundle.names.items() if d == dim}


# --- contact patterns ---------------------------------------------------------------


CONTACTS = {
    "single_spot": {"pattern": "single_spot", "contact_fraction": 0.3},
    "single_spot_clipped": {"pattern": "single_spot", "contact_fraction": 0.9},
    "spot_array": {"pattern": "spot_array", "contact_fraction": 0.3, "spots": [2, 2]},
    "spot_array_clipped": {"pattern": "spot_array", "contact_fraction": 0.7, "spots": [3, 2]},
    "random": {"pattern": "random", "contact_fraction": 0.3, "spot_radius": "3 um", "seed": 0},
    "random_other_seed": {"pattern": "random", "contact_fraction": 0.2, "spot_radius": "2 um", "seed": 7},
}


@pytest.mark.parametrize("name", list(CONTACTS))
def test_contact_fraction_measured(name, tmp_path):
    spec = cell(contact=CONTACTS[name])
    b = mesh(spec, tmp_path, name)
    m = b.info.measures
    want = CONTACTS[name]["contact_fraction"]
    assert m["contact_fraction_requested"] == want
    assert m["contact_fraction"] == pytest.approx(want, rel=0.03)
    assert abs(m["contact_fraction"] - want) < 1e-4  # spot radii are solved for the exact fraction
    assert {"li_contact", "void_surface", *SIDES} <= names(b, 2)
    assert names(b, 3) == {"electrolyte"}
    assert b.info.z_collector == 0.0 and b.info.z_separator == pytest.approx(30 * UM)


def test_full_contact(tmp_path):
    b = mesh(cell(width="20 um", depth="15 um", thickness="10 um"), tmp_path, "full")
    assert b.info.measures["contact_fraction"] == pytest.approx(1.0, abs=1e-9)
    assert "void_surface" not in b.names and {"li_contact", *SIDES} <= names(b, 2)
    assert np.allclose(b.info.bounds, ((0.0, 0.0, 0.0), (20 * UM, 15 * UM, 10 * UM)), rtol=1e-12, atol=0)
    assert SolidElectrolyteCell.is_slab


def test_random_spots_are_seeded():
    c = {"pattern": "random", "contact_fraction": 0.3, "spot_radius": "3 um"}
    a, b, d = (cell(contact=c | {"seed": s}).contact_spots() for s in (1, 1, 2))
    assert a == b and a[0] != d[0]
    n, r = len(a[0]), a[1]
    assert n == 17 and r == pytest.approx(3 * UM, rel=0.01)  # 0.3 x 1600 um^2 / (pi 9 um^2) = 16.98 spots


# --- voids, protrusions, flaws ----------------------------------------------------------


def test_voids(tmp_path):
    voids = [
        {"shape": "spherical_cap", "center": ["12 um", "12 um"], "radius": "6 um", "height": "2 um"},
        {"shape": "ellipsoid", "center": ["28 um", "27 um"], "semi_axes": ["7 um", "4 um", "3 um"], "angle": 30},
    ]
    spec = cell(voids=voids, random_voids={"count": 3, "radius": "3 um", "height": "1 um", "seed": 2})
    b = mesh(spec, tmp_path, "voids")
    m = b.info.measures
    assert {"li_contact", "void_surface"} <= names(b, 2)
    assert m["void_count"] == 5
    analytic = sum(v.volume() for _, v in spec.all_voids())
    assert m["void_volume"] == pytest.approx(analytic, rel=0.01)
    footprint = sum(math.pi * v.radius**2 if v.shape == "spherical_cap" else math.pi * v.semi_axes[0] * v.semi_axes[1]
                    for _, v in spec.all_voids())
    assert m["contact_fraction"] == pytest.approx(1 - footprint / (40 * UM) ** 2, abs=1e-4)


def test_void_inside_contact_spot(tmp_path):
    """A void in the middle of the contact spot leaves an annulus of contact."""
    spec = cell(contact={"pattern": "single_spot", "contact_fraction": 0.3},
                voids=[{"center": ["20 um", "20 um"], "radius": "5 um", "height": "2 um"}])
    m = mesh(spec, tmp_path, "void_in_spot").info.measures
    assert m["contact_fraction"] == pytest.approx(0.3 - math.pi * 25 / 1600, abs=1e-4)


def test_protrusions(tmp_path):
    prots = [
        {"shape": "hemisphere", "center": ["10 um", "10 um"], "radius": "3 um"},
        {"shape": "cone", "center": ["30 um", "10 um"], "radius": "3 um", "length": "10 um", "tip_radius": "0.5 um"},
        {"shape": "cylinder", "center": ["20 um", "30 um"], "radius": "2 um", "length": "8 um", "tip_radius": "1 um"},
        {"shape": "cylinder", "center": ["8 um", "30 um"], "radius": "2 um", "length": "6 um"},
    ]
    b = mesh(cell(protrusions=prots), tmp_path, "protrusions")
    assert "protrusion" in names(b, 2)
    # each filament reaches its length: the highest protrusion vertex near each axis
    msh = b.mesh
    facets = b.facet_tags.find(b.tag("protrusion"))
    msh.topology.create_connectivity(2, 0)
    f2v = msh.topology.connectivity(2, 0)
    x = msh.geometry.x
    verts = np.unique(np.concatenate([f2v.links(f) for f in facets]))
    pts = x[verts]
    for p, top in zip(prots, (3, 10, 8, 6)):
        cx, cy = (float(v.split()[0]) * UM for v in p["center"])
        near = np.hypot(pts[:, 0] - cx, pts[:, 1] - cy) < 3.5 * UM
        assert pts[near, 2].max() == pytest.approx(top * UM, rel=0.02)
    area = b.info.measures["protrusion_area"]
    assert area > 2 * math.pi * (3 * UM) ** 2  # at least the hemisphere


def test_hemisphere_area(tmp_path):
    spec = cell(width="20 um", thickness="10 um", protrusions=[{"center": ["10 um", "10 um"], "radius": "4 um"}])
    m = mesh(spec, tmp_path, "hemisphere").info.measures
    assert m["protrusion_area"] == pytest.approx(2 * math.pi * (4 * UM) ** 2, rel=1e-6)
    assert m["contact_fraction"] == pytest.approx(1 - math.pi * 16 / 400, rel=1e-6)


FLAWS = [
    {"shape": "semi_elliptical", "center": ["12 um", "20 um"], "depth": "5 um", "half_length": "7 um", "opening": "0.4 um", "angle": 20},
    {"shape": "penny", "center": ["28 um", "12 um", "12 um"], "depth": "4 um", "opening": "0.4 um", "angle": 90},
    {"shape": "edge_notch", "center": ["30 um", "30 um"], "depth": "3 um", "opening": "0.3 um", "angle": 90, "filled": False},
]


def _ellipse_half_perimeter(a, c):
    h = ((a - c) / (a + c)) ** 2
    return 0.5 * math.pi * (a + c) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))  # Ramanujan


def test_flaw_families(tmp_path):
    b = mesh(cell(flaws=FLAWS), tmp_path, "flaws")
    assert {"crack_faces", "flaw_faces", "li_contact"} <= names(b, 2)
    assert names(b, 1) == {"flaw_front"}
    m = b.info.measures
    front = _ellipse_half_perimeter(5, 7) + 2 * math.pi * 4 + 40  # semi-ellipse + penny circle + notch across the cell
    assert m["flaw_front_length"] == pytest.approx(front * UM, rel=1e-3)
    # the semi-elliptical flaw is filled: two flanks (2 a c pi/2 each) plus the front strip
    assert m["crack_face_area"] == pytest.approx((math.pi * 5 * 7 + 0.4 * _ellipse_half_perimeter(5, 7)) * UM**2, rel=1e-3)
    # mouths of the surface flaws are lost contact area
    assert m["contact_fraction"] == pytest.approx(1 - (0.4 * 14 + 0.3 * 40) / 1600, abs=1e-6)


def test_flaw_front_curve_and_refinement(tmp_path):
    """The front is a mesh curve on the slot mid-plane, on the semi-ellipse, meshed at front_size."""
    flaw = {"center": ["20 um", "20 um"], "depth": "5 um", "half_length": "4 um", "opening": "0.4 um", "front_size": "0.4 um"}
    spec = cell(flaws=[flaw])
    path = tmp_path / "front.msh"
    generate_msh(spec, COARSE, path)
    gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.open(str(path))
        groups = {gmsh.model.getPhysicalName(d, t): (d, t) for d, t in gmsh.model.getPhysicalGroups()}
        dim, tag = groups["flaw_front"]
        assert dim == 1
        _, coords = gmsh.model.mesh.getNodesForPhysicalGroup(dim, tag)
        xyz = coords.reshape(-1, 3) / UM
        lengths = []
        for curve in gmsh.model.getEntitiesForPhysicalGroup(dim, tag):
            _, _, nodes = gmsh.model.mesh.getElements(1, curve)
            ntags, ncoords, _ = gmsh.model.mesh.getNodes(1, curve, includeBoundary=True)
            where = {int(n): i for i, n in enumerate(ntags)}
            p = ncoords.reshape(-1, 3) / UM
            lengths += [np.linalg.norm(p[where[a]] - p[where[b]]) for a, b in nodes[0].astype(int).reshape(-1, 2)]
    finally:
        gmsh.finalize()
    assert np.allclose(xyz[:, 0], 20, atol=1e-6)  # angle 0: the flaw plane is x = 20 um
    assert np.allclose(((xyz[:, 1] - 20) / 4) ** 2 + (xyz[:, 2] / 5) ** 2, 1, atol=1e-6)
    assert xyz[:, 2].min() >= -1e-9 and xyz[:, 2].max() == pytest.approx(5)
    assert max(lengths) < 1.3 * 0.4 and len(lengths) >= 30  # half perimeter ~14.2 um at 0.4 um


# --- polycrystal and interlayer ------------------------------------------------------------


@pytest.mark.parametrize("columnar", [False, True], ids=["voronoi3d", "columnar"])
def test_polycrystal(columnar, tmp_path):
    spec = cell(width="20 um", thickness="15 um", grains={"count": 6, "seed": 1, "boundary_thickness": "0.3 um", "columnar": columnar})
    b = mesh(spec, tmp_path, f"grains{columnar}")
    assert names(b, 3) == {"electrolyte", "grain_boundary"}
    m = b.info.measures
    assert m["grain_count"] == 6
    # first-order estimate t x (interior face area) / volume; triple lines make the measured value a little smaller
    assert m["grain_boundary_volume_fraction"] == pytest.approx(m["grain_boundary_volume_fraction_estimate"], rel=0.03)
    assert 0.02 < m["grain_boundary_volume_fraction"] < 0.1
    assert m["contact_fraction"] == pytest.approx(1.0, abs=1e-9)  # grain boundaries touch the Li too
    assert b.quality["min_quality"] > 0.05


def test_interlayer_with_holes(tmp_path):
    spec = cell(width="30 um", thickness="20 um",
                interlayer={"thickness": "0.5 um", "hole_fraction": 0.2, "hole_radius": "3 um", "seed": 0},
                contact={"pattern": "single_spot", "contact_fraction": 0.5})
    b = mesh(spec, tmp_path, "interlayer")
    assert names(b, 3) == {"electrolyte", "interlayer"}
    m = b.info.measures
    assert m["interlayer_coverage"] == pytest.approx(0.8, abs=1e-6)
    assert m["interlayer_volume"] == pytest.approx(0.8 * (30 * UM) ** 2 * 0.5 * UM, rel=1e-6)
    assert m["contact_fraction"] == pytest.approx(0.5, abs=1e-6)  # Li touches film and hole plugs alike


def test_features_combined(tmp_path):
    """Everything at once still fragments into consistent groups."""
    spec = cell(
        thickness="15 um", width="30 um",
        contact={"pattern": "spot_array", "contact_fraction": 0.6},
        voids=[{"center": ["15 um", "15 um"], "radius": "4 um", "height": "2 um"}],
        protrusions=[{"shape": "cone", "center": ["24 um", "6 um"], "radius": "2 um", "length": "6 um"}],
        flaws=[{"center": ["6 um", "22 um"], "depth": "4 um", "opening": "0.4 um"}],
        grains={"count": 6, "boundary_thickness": "0.5 um", "columnar": True},
        interlayer={"thickness": "0.5 um", "hole_fraction": 0.1, "hole_radius": "3 um"},
    )
    b = mesh(spec, tmp_path, "combined", MeshOptions(size_max=5 * UM, size_min=2 * UM, growth_distance=5 * UM))
    assert names(b, 3) == {"electrolyte", "grain_boundary", "interlayer"}
    assert {"li_contact", "void_surface", "protrusion", "crack_faces", *SIDES} <= names(b, 2)
    assert "flaw_front" in names(b, 1)


# --- refused before Gmsh ---------------------------------------------------------------------

BASE = {
    "geometry": {"kind": "sse_cell", "thickness": "30 um", "width": "40 um"},
    "electrolyte": {"material": "LLZO"},
    "kinetics": {"li_contact": {"model": "butler_volmer", "material": "li_llzo"}},
}
CAP = {"center": ["20 um", "20 um"], "radius": "6 um", "height": "2 um"}
SEMI = {"center": ["20 um", "20 um"], "depth": "5 um", "opening": "0.4 um"}

REFUSED = [
    ({"contact": {"pattern": "single_spot", "contact_fraction": 0.0}}, ["contact_fraction must lie in (0, 1]"]),
    ({"contact": {"pattern": "spot_array", "contact_fraction": 1.2}}, ["contact_fraction must lie in (0, 1]"]),
    ({"contact": {"pattern": "single_spot"}}, ["needs contact_fraction"]),
    ({"contact": {"pattern": "random", "contact_fraction": 0.6, "spot_radius": "2 um"}}, ["contact_fraction", "random sequential adsorption"]),
    ({"contact": {"pattern": "random", "contact_fraction": 0.3}}, ["spot_radius"]),
    ({"contact": {"pattern": "random", "contact_fraction": 0.3, "spot_radius": "25 um"}}, ["contact.spot_radius", "too large"]),
    ({"contact": {"pattern": "single_spot", "contact_fraction": 0.785}}, ["contact_fraction", "tangent"]),
    ({"contact": {"pattern": "single_spot", "contact_fraction": 0.3, "spots": [2, 2]}}, ["spots applies"]),
    ({"contact": {"pattern": "full", "contact_fraction": 0.5}}, ["contact_fraction", "pattern"]),
    ({"contact": {"pattern": "full", "fraction": 0.5}}, ["contact.fraction", "unknown key"]),
    ({"voids": [CAP, CAP]}, ["voids[1] overlaps voids[0]"]),
    ({"voids": [CAP | {"radius": "25 um", "height": "3 um"}]}, ["voids[0] is larger than the cell"]),
    ({"voids": [CAP | {"center": ["2 um", "20 um"]}]}, ["voids[0] leaves the cell"]),
    ({"voids": [{"shape": "ellipsoid", "center": ["20 um", "20 um"], "semi_axes": ["5 um", "5 um", "40 um"]}]},
     ["voids[0].semi_axes[2] (40 um) must be smaller than thickness (30 um)"]),
    ({"voids": [CAP | {"height": "8 um"}]}, ["height", "must not exceed radius"]),
    ({"voids": [{"center": ["20 um", "20 um"], "semi_axes": ["5 um", "5 um", "2 um"]}]}, ["semi_axes", "ellipsoid"]),
    ({"random_voids": {"count": 40, "radius": "5 um", "height": "1 um"}}, ["random_voids", "cannot place"]),
    ({"flaws": [SEMI | {"depth": "40 um", "opening": "1 um", "half_length": "10 um"}]}, ["flaws[0].depth (40 um) must be smaller than thickness (30 um)"]),
    ({"flaws": [SEMI | {"opening": "2 um"}]}, ["opening", "<< depth"]),
    ({"flaws": [SEMI | {"shape": "penny", "center": ["20 um", "20 um", "10 um"], "filled": True}]}, ["penny", "filled"]),
    ({"flaws": [SEMI | {"shape": "penny", "center": ["20 um", "20 um", "3 um"]}]}, ["flaws[0]", "must not touch any boundary"]),
    ({"flaws": [SEMI | {"shape": "penny"}]}, ["center", "[x, y, z]"]),
    ({"flaws": [SEMI | {"shape": "edge_notch", "half_length": "3 um"}]}, ["half_length", "edge_notch"]),
    ({"flaws": [SEMI | {"half_length": "30 um"}]}, ["flaws[0] is larger than the cell"]),
    ({"flaws": [SEMI], "voids": [CAP]}, ["flaws[0] overlaps voids[0]"]),
    ({"flaws": [SEMI | {"shape": "edge_notch", "center": ["10 um", "20 um"]}], "voids": [CAP | {"center": ["30 um", "10 um"]}],
      "protrusions": [{"center": ["11 um", "35 um"], "radius": "2 um"}]}, ["flaws[0] overlaps protrusions[0]"]),
    ({"protrusions": [{"center": ["20 um", "20 um"], "radius": "2 um", "length": "3 um"}]}, ["length must equal its radius"]),
    ({"protrusions": [{"shape": "cylinder", "center": ["20 um", "20 um"], "radius": "2 um", "length": "5 um", "tip_radius": "3 um"}]},
     ["tip_radius", "must not exceed radius"]),
    ({"protrusions": [{"shape": "cone", "center": ["20 um", "20 um"], "radius": "2 um", "length": "5 um", "tip_radius": "2 um"}]},
     ["tip_radius", "too large"]),
    ({"protrusions": [{"shape": "cone", "center": ["20 um", "20 um"], "radius": "2 um"}]}, ["needs length"]),
    ({"protrusions": [{"shape": "cone", "center": ["20 um", "20 um"], "radius": "2 um", "length": "35 um"}]},
     ["protrusions[0].length (35 um) must be smaller than thickness (30 um)"]),
    ({"protrusions": [{"center": ["21 um", "20 um"], "radius": "2 um"}], "voids": [CAP]}, ["protrusions[0] overlaps voids[0]"]),
    ({"grains": {"count": 12, "boundary_thickness": "3 um"}}, ["grains.boundary_thickness", "mean grain size"]),
    ({"grains": {"count": 1, "boundary_thickness": "0.3 um"}}, ["grains.count", "greater than or equal to 2"]),
    ({"grains": {"count": 5, "boundary_thickness": "0.3 um", "seed": -1}}, ["grains.seed"]),
    ({"interlayer": {"thickness": "20 um"}}, ["interlayer.thickness (20 um) must be smaller than half the thickness"]),
    ({"interlayer": {"thickness": "1 um", "hole_fraction": 0.7, "hole_radius": "2 um"}}, ["hole_fraction"]),
    ({"interlayer": {"thickness": "1 um", "hole_fraction": 0.2}}, ["needs hole_radius"]),
    ({"interlayer": {"thickness": "1 um", "hole_fraction": 0.1, "hole_radius": "15 um"}}, ["interlayer.hole_radius", "too large"]),
    ({"thickness": "30 mA"}, ["geometry.thickness", "expected units compatible with m"]),
    ({"width": "-4 um"}, ["geometry.width", "greater than 0"]),
]


@pytest.fixture
def no_gmsh(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("gmsh was called while validating")

    monkeypatch.setattr(gmsh, "initialize", refuse)
    monkeypatch.setattr(gmsh.model, "add", refuse)
    monkeypatch.setattr(gmsh.model.occ, "addBox", refuse)


@pytest.mark.parametrize("change, words", REFUSED, ids=[f"{i}-{'-'.join(c)}" for i, (c, _) in enumerate(REFUSED)])
def test_refused_before_gmsh(change, words, no_gmsh):
    data = copy.deepcopy(BASE)
    data["geometry"] |= change
    with pytest.raises(ConfigError) as err:
        femli.study_from_dict(data)
    for w in words:
        assert w in str(err.value), f"{w!r} not in: {err.value}"


def test_base_study_is_valid(no_gmsh):
    study = femli.study_from_dict(copy.deepcopy(BASE))
    assert study.geometry.depth == study.geometry.width == pytest.approx(40 * UM)


# --- example studies -------------------------------------------------------------------------

EXAMPLES = ["sse_voids", "sse_contact_loss", "sse_protrusion", "sse_polycrystal", "sse_interlayer", "sse_flaw"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_study_valid(name, no_gmsh):
    study = femli.load_study(PROBLEMS / f"{name}.toml")
    assert study.geometry.kind == "sse_cell" and study.operating.counter == "separator"
    assert "li_contact" in study.kinetics


def test_flaw_study_runs(tmp_path):
    """The Li-filled flaw plates Li, most intensely at its front."""
    study = femli.load_study(PROBLEMS / "sse_flaw.toml").updated(
        {"mesh.size_min": "1.5 um", "mesh.size_max": "6 um", "output.fields": False, "output.report": False})
    m = femli.run(study, out=tmp_path / "run").metrics
    assert m["status"] == "ok" and m["balance"]["relative_error"] < 1e-8
    crack = m["surfaces"]["crack_faces"]
    assert crack["max_over_mean"] > 1.1
    assert crack["max_location"][2] == pytest.approx(5 * UM, abs=1 * UM)  # at the front, 5 um deep
