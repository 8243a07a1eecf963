"""Porous hosts (femli.geometry.hosts): inputs refused before Gmsh with the parameter
named, measured porosity and specific area against the closed forms (channel array,
stacked screens) and against the target (fiber mat, foam), named groups, fiber
network connectivity and pore percolation, deterministic layouts, the study files, and
the meshed host (mesh_host: conformal 'host' volume, same electrolyte and measures)."""

import math
import tomllib

import numpy as np
import pytest
from pydantic import ValidationError

import femli  # noqa: F401  (prepares DOLFINx before mpi4py/dolfinx imports)
from conftest import PROBLEMS
from femli.geometry import _fiber_layout, _foam_layout, _layout_common
from femli.geometry.base import MeshOptions
from femli.geometry.hosts import ChannelArray, FiberMat, OpenFoam, StackedScreens

COARSE = MeshOptions(size_min=3e-6, size_max=6e-6, growth_distance=6e-6)
SIDES = {"symmetry_xmin", "symmetry_xmax", "symmetry_ymin", "symmetry_ymax"}
GROUPS = {"electrolyte", "current_collector", "separator", "host_bare", *SIDES}
STUDIES = {"fiber_host": FiberMat, "foam_host": OpenFoam, "channel_host": ChannelArray, "screen_host": StackedScreens}


def _mesh(spec, tmp_path_factory, key):
    from mpi4py import MPI

    from femli.mesh import build_mesh

    return build_mesh(spec, COARSE, MPI.COMM_WORLD, key=key, cache_dir=tmp_path_factory.mktemp(key), use_cache=False)


def _close(value, reference, rel=0.02):
    return abs(value - reference) <= rel * abs(reference)


# ----------------------------------------------------------------------------- refusals

FIBER = {"kind": "fiber_mat", "gap": 20e-6, "porosity": 0.7}
FOAM = {"kind": "open_foam", "gap": 20e-6}
CHANNEL = {"kind": "channel_array", "channel_radius": 6e-6, "pitch": 20e-6, "host_height": 40e-6, "gap": 20e-6}
SCREEN = {"kind": "stacked_screens", "wire_diameter": 8e-6, "opening": 12e-6, "gap": 20e-6}

REFUSED = [
    ("fiber porosity > 1", FiberMat, FIBER | {"porosity": 1.2}, ["porosity", "strictly between 0 and 1"]),
    ("fiber porosity 0", FiberMat, FIBER | {"porosity": 0.0}, ["porosity", "strictly between 0 and 1"]),
    ("foam porosity 1", OpenFoam, FOAM | {"porosity": 1.0}, ["porosity", "strictly between 0 and 1"]),
    ("foam porosity < 0", OpenFoam, FOAM | {"porosity": -0.1}, ["porosity", "strictly between 0 and 1"]),
    ("fiber thicker than layer", FiberMat, FIBER | {"fiber_diameter": "40 um"}, ["fiber_diameter", "host_height"]),
    ("fiber porosity and count", FiberMat, FIBER | {"fiber_count": 10}, ["exactly one of 'porosity'", "fiber_count"]),
    ("fiber coating bands", FiberMat, FIBER | {"coating": {"bottom_fraction": 0.3}}, ["coating", "not supported for fiber_mat"]),
    ("fiber too many", FiberMat, FIBER | {"porosity": None, "fiber_count": 80, "footprint": ["30 um", "30 um"], "host_height": "20 um", "fiber_diameter": "6 um"}, ["fiber_mat", "could not place", "fiber_count 80"]),
    ("pores bigger than layer", OpenFoam, FOAM | {"pore_diameter": "45 um"}, ["pore_diameter", "host_height"]),
    ("foam coating bands", OpenFoam, FOAM | {"coating": {"bands": [[0.2, 0.4]]}}, ["coating", "not supported for open_foam"]),
    ("foam does not percolate", OpenFoam, FOAM | {"porosity": 0.15}, ["porosity 0.15", "do not reach the current collector"]),
    ("channel radius = pitch/2", ChannelArray, CHANNEL | {"channel_radius": "10 um"}, ["channel_radius", "pitch/2"]),
    ("channel radius > pitch/2", ChannelArray, CHANNEL | {"channel_radius": "12 um"}, ["channel_radius", "pitch/2"]),
    ("channel negative radius", ChannelArray, CHANNEL | {"channel_radius": "-1 um"}, ["channel_radius", "greater than 0"]),
    ("channel gap and cell_height", ChannelArray, CHANNEL | {"cell_height": 60e-6}, ["exactly one of 'gap'"]),
    ("channel pierces separator", ChannelArray, CHANNEL | {"gap": None, "cell_height": "30 um"}, ["host_height", "cell_height"]),
    ("screen spacing too large", StackedScreens, SCREEN | {"layer_spacing": "8 um"}, ["layer_spacing", "interpenetrate"]),
    ("screen spacing too small", StackedScreens, SCREEN | {"layer_spacing": "4 um"}, ["layer_spacing", "0.6 and 0.9"]),
    ("screen woven", StackedScreens, SCREEN | {"woven": True}, ["woven", "not implemented"]),
    ("screen band at a wire top", StackedScreens, SCREEN | {"coating": {"bands": [[0.0, 0.36]]}}, ["coating band edge", "wire"]),
    ("screen opening", StackedScreens, SCREEN | {"opening": "1 um"}, ["opening", "wire_diameter"]),
]


@pytest.mark.parametrize("cls, data, words", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_impossible_inputs_are_refused(cls, data, words):
    with pytest.raises(ValidationError) as err:
        cls(**data)
    for word in words:
        assert word in str(err.value), f"{word!r} not in {err.value}"


def test_screen_band_edge_at_a_wire_top_is_really_one():
    s = StackedScreens(**SCREEN)
    r, top = s.wire_diameter / 2, s.host_top
    assert abs(0.36 * top - (s.layer_heights()[0] + r)) < 0.1 * r  # the lowest wires' tops


# ----------------------------------------------------------------------------- closed forms


@pytest.fixture(scope="module")
def channels(tmp_path_factory):
    square = ChannelArray(**CHANNEL | {"cells": (2, 1), "coating": {"bottom_fraction": 0.3}})
    hexagonal = ChannelArray(**CHANNEL | {"lattice": "hexagonal", "channel_radius": 5e-6,
                                          "coating": {"bands": [[0.7, 1.0]], "coat_collector": True}})
    return [(s, _mesh(s, tmp_path_factory, f"channel_{s.lattice}")) for s in (square, hexagonal)]


def test_channel_array_measured_matches_closed_form(channels):
    for spec, bundle in channels:
        m = bundle.info.measures
        collector = {"current_collector"} if not spec.coating.coat_collector else set()
        assert GROUPS - {"current_collector"} | collector <= set(bundle.names)
        assert _close(m["porosity"], m["porosity_closed_form"], 1e-6)
        assert _close(m["specific_area"], m["specific_area_closed_form"], 1e-6)
        assert _close(m["collector_area"], m["collector_area_closed_form"], 1e-6)
        assert _close(m["porosity"], spec.porosity_closed_form())
        assert bundle.quality["cells"] > 1000 and bundle.quality["min_quality"] > 0.1
        n = spec.cells[0] * spec.cells[1] * (1 if spec.lattice == "square" else 2)
        assert m["channel_count"] == n
        assert _close(m["porosity_closed_form"], n * math.pi * spec.channel_radius**2 / (spec.size[0] * spec.size[1]))


def test_channel_array_coating_bands(channels):
    (spec, bundle), (hspec, hbundle) = channels
    m = bundle.info.measures
    assert "host_coated" in bundle.names
    # coated: the bottom 30 % of the channel walls (the block top and the collector stay bare)
    walls = m["channel_count"] * 2 * math.pi * spec.channel_radius * spec.host_height
    expected = 0.3 * walls / (m["host_area"] + m["collector_area"])
    assert _close(m["coated_area_fraction"], expected, 1e-6)
    # top 30 % of the walls, the block top (the band reaches 1) and the collector (coat_collector)
    m = hbundle.info.measures
    assert "current_collector" not in hbundle.names
    walls = m["channel_count"] * 2 * math.pi * hspec.channel_radius * hspec.host_height
    top = hspec.size[0] * hspec.size[1] - m["collector_area"]
    expected = (0.3 * walls + top + m["collector_area"]) / (m["host_area"] + m["collector_area"])
    assert _close(m["coated_area_fraction"], expected, 1e-6)


@pytest.fixture(scope="module")
def screens(tmp_path_factory):
    plain = StackedScreens(**SCREEN | {"layers": 4, "layer_spacing": "6.4 um", "cells": (2, 2)})
    banded = StackedScreens(**SCREEN | {"layers": 3, "cells": (2, 1), "coating": {"bottom_fraction": 0.5}})
    return [(s, _mesh(s, tmp_path_factory, f"screens_{s.layers}")) for s in (plain, banded)]


def test_stacked_screens_measured_matches_closed_form(screens):
    for spec, bundle in screens:
        m = bundle.info.measures
        assert GROUPS <= set(bundle.names)
        assert _close(m["porosity"], m["porosity_closed_form"])
        assert _close(m["specific_area"], m["specific_area_closed_form"])
        assert _close(m["host_area"], m["host_area_closed_form"])
        assert _close(m["collector_area"], m["collector_area_closed_form"], 1e-6)
        assert m["wire_count"] == len(spec.wires())
        assert _close(m["host_height"], spec.host_top, 1e-9)


def test_stacked_screens_coating_splits_wires(screens):
    spec, bundle = screens[1]
    m = bundle.info.measures
    assert "host_coated" in bundle.names
    assert 0.2 < m["coated_area_fraction"] < 0.8
    assert _close(m["porosity"], m["porosity_closed_form"])  # splitting changes no volume


def test_screen_closed_form_without_overlaps():
    """One layer: wires are plain cylinders cut by the collector plane (circular segment)."""
    s = StackedScreens(**SCREEN | {"layers": 1, "cells": (3, 2)})
    r, h = s.wire_diameter / 2, s.layer_heights()[0]
    Lx, Ly = s.footprint_size
    area = 2 * Lx * (2 * math.pi - 2 * math.acos(h / r)) * r
    volume = 2 * Lx * (math.pi * r * r - (r * r * math.acos(h / r) - h * math.sqrt(r * r - h * h)))
    assert _close(s.host_area_closed_form(), area, 1e-12)
    assert _close(s.porosity_closed_form(), 1 - volume / (Lx * Ly * s.host_top), 1e-12)


# ----------------------------------------------------------------------------- random hosts


@pytest.fixture(scope="module")
def fiber_mat(tmp_path_factory):
    spec = FiberMat(**FIBER | {"porosity": 0.7, "seed": 2})
    return spec, _mesh(spec, tmp_path_factory, "fiber_mat")


def test_fiber_mat_porosity_meets_target(fiber_mat):
    spec, bundle = fiber_mat
    m = bundle.info.measures
    assert GROUPS <= set(bundle.names)
    assert _close(m["porosity"], spec.porosity)  # measured on the OCC solid
    assert _close(m["porosity"], m["porosity_estimate"], 0.01)  # the layout's grid estimate agrees
    assert m["fiber_count"] == len(spec.layout().fibers) >= 5
    assert m["fibers_on_collector"] >= 1 and m["sealed_pocket_volume"] == 0.0
    assert m["specific_area"] > 0 and m["collector_area"] > 0


def _fiber_graph(fibers, Lx, Ly):
    n = len(fibers)
    edges = []
    for i in range(n):
        for j in range(i + 1, n):
            f, g = fibers[i], fibers[j]
            # closest points of the two axes, sampled densely along the in-box segments
            t = np.linspace(0, 1, 400)[:, None]
            a = f.seg[0] + t * (f.seg[1] - f.seg[0])
            b = g.seg[0] + t * (g.seg[1] - g.seg[0])
            dist = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
            ia, ib = np.unravel_index(np.argmin(dist), dist.shape)
            mid = 0.5 * (a[ia] + b[ib])  # the fibers cross here: it must lie inside the box
            if dist[ia, ib] < f.radius + g.radius and 0 <= mid[0] <= Lx and 0 <= mid[1] <= Ly:
                edges.append((i, j))
    roots = []
    for i, f in enumerate(fibers):
        t = np.linspace(0, 1, 2000)[:, None]
        axis = f.seg[0] + t * (f.seg[1] - f.seg[0])
        inside = (axis[:, 0] >= 0) & (axis[:, 0] <= Lx) & (axis[:, 1] >= 0) & (axis[:, 1] <= Ly)
        low = axis[inside, 2] - f.radius * math.sqrt(1 - f.direction[2] ** 2)
        if inside.any() and low.min() < 0:
            roots.append(i)
    return edges, roots


@pytest.mark.parametrize("seed", [0, 3])
def test_fiber_network_is_connected_to_the_collector(seed):
    spec = FiberMat(**FIBER | {"porosity": 0.75, "seed": seed, "tilt_spread": 20, "diameter_spread": 0.1})
    fibers = spec.layout().fibers
    edges, roots = _fiber_graph(fibers, *spec.footprint)
    assert roots, "no fiber touches the collector"
    assert _layout_common._components(len(fibers), edges, roots) == set(range(len(fibers)))


def test_fiber_layout_rejects_grazing_contacts():
    spec = FiberMat(**FIBER)
    fibers = spec.layout().fibers
    gap = _layout_common.GAP * spec.fiber_diameter / 2
    for i, f in enumerate(fibers):
        assert f.seg[1][2] + f.radius <= spec.host_height + 1e-12 and f.seg[0][2] + f.radius <= spec.host_height + 1e-12
        others = fibers[i + 1:]
        if others:
            d = _fiber_layout._segment_distances(f.seg[0], f.seg[1], np.array([g.seg[0] for g in others]),
                                          np.array([g.seg[1] for g in others]))
            for g, dist in zip(others, d):
                touching = f.radius + g.radius - _layout_common.TANGENCY * min(f.radius, g.radius)
                assert dist >= f.radius + g.radius + gap or dist <= touching


def test_fiber_count_mode():
    spec = FiberMat(**FIBER | {"porosity": None, "fiber_count": 12, "seed": 4})
    assert len(spec.layout().fibers) == 12


@pytest.fixture(scope="module")
def foam(tmp_path_factory):
    spec = OpenFoam(**FOAM | {"porosity": 0.55, "seed": 1})
    return spec, _mesh(spec, tmp_path_factory, "foam")


def test_foam_porosity_meets_target(foam):
    spec, bundle = foam
    m = bundle.info.measures
    assert GROUPS <= set(bundle.names)
    assert _close(m["porosity"], spec.porosity)
    assert _close(m["porosity"], m["porosity_estimate"], 0.01)
    assert m["pore_count"] == len(spec.layout().pores)
    assert m["pores_on_collector"] >= 1 and m["pores_open_to_top"] >= 1
    assert m["solid_pieces"] >= 1 and m["sealed_pocket_volume"] == 0.0
    # the host volume measured on the solid pieces equals box minus electrolyte
    assert _close(1 - m["host_volume"] / spec.layer_volume, m["porosity"], 1e-6)


@pytest.mark.parametrize("porosity, seed", [(0.35, 0), (0.6, 2)])
def test_foam_pores_percolate(porosity, seed):
    spec = OpenFoam(**FOAM | {"porosity": porosity, "seed": seed})
    pores = spec.layout().pores
    edges = [(i, j) for i in range(len(pores)) for j in range(i + 1, len(pores))
             if np.linalg.norm(pores[i].centre - pores[j].centre) < pores[i].radius + pores[j].radius]
    top = [i for i, p in enumerate(pores) if spec.host_height - p.centre[2] < p.radius]
    reached = _layout_common._components(len(pores), edges, top)
    assert reached == set(range(len(pores))), "every pore is connected to the separator side"
    assert any(pores[i].centre[2] < pores[i].radius for i in reached), "the network reaches the collector"


def test_layouts_are_deterministic():
    a = _fiber_layout.fiber_layout(FiberMat(**FIBER | {"seed": 7}))
    b = _fiber_layout.fiber_layout(FiberMat(**FIBER | {"seed": 7}))
    c = _fiber_layout.fiber_layout(FiberMat(**FIBER | {"seed": 8}))
    assert [f.point.tolist() for f in a.fibers] == [f.point.tolist() for f in b.fibers]
    assert [f.point.tolist() for f in a.fibers] != [f.point.tolist() for f in c.fibers]
    p = _foam_layout.foam_layout(OpenFoam(**FOAM | {"seed": 3}))
    q = _foam_layout.foam_layout(OpenFoam(**FOAM | {"seed": 3}))
    assert [x.centre.tolist() for x in p.pores] == [x.centre.tolist() for x in q.pores]


# ----------------------------------------------------------------------------- studies


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_geometry_is_valid(name):
    data = tomllib.loads((PROBLEMS / f"{name}.toml").read_text())
    spec = STUDIES[name](**data["geometry"])
    assert spec.host_top < spec.size[2]
    assert set(data["kinetics"]) == {"host_bare", "current_collector"}


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_runs(name, tmp_path):
    """Every host study meshes, solves and conserves charge."""
    study = femli.load_study(PROBLEMS / f"{name}.toml").updated(
        {"mesh.size_min": "3 um", "mesh.size_max": "6 um", "output.report": False, "output.fields": False}
    )
    m = femli.run(study, out=tmp_path).metrics
    assert m["status"] == "ok" and m["solver"]["converged"]
    assert abs(m["balance"]["relative_error"]) < 1e-8
    assert 0 < m["deposition"]["height_centroid"] < 1


@pytest.mark.mpi
@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_on_two_ranks_matches_one(name, tmp_path):
    from conftest import run_one_and_two

    changes = {"mesh.size_min": "3 um", "mesh.size_max": "6 um", "output.report": False, "output.fields": False}
    m1, m2 = run_one_and_two(PROBLEMS / f"{name}.toml", changes, tmp_path)
    assert m2["cell"]["separator_potential"] == pytest.approx(m1["cell"]["separator_potential"], rel=1e-7)
    assert m2["deposition"]["height_centroid"] == pytest.approx(m1["deposition"]["height_centroid"], rel=1e-7)
    for surface, s1 in m1["surfaces"].items():
        for key in ("area", "total_current", "max", "cv"):
            assert m2["surfaces"][surface][key] == pytest.approx(s1[key], rel=1e-6), (surface, key)


# ----------------------------------------------------------------------------- meshed host (mesh_host)

# the mesh_host = false build to compare with: fixture name, index in it (None: the fixture is (spec, bundle))
MESHED = {"fiber_mat": ("fiber_mat", None), "open_foam": ("foam", None), "channel_array": ("channels", 0),
          "stacked_screens": ("screens", 1)}


@pytest.mark.parametrize("kind", sorted(MESHED))
def test_mesh_host_meshes_the_host_volume(kind, request, tmp_path_factory):
    """mesh_host: the host becomes the volume 'host' (fragment instead of cut), conformal
    with the electrolyte; the electrolyte, its named faces and the measures stay those of
    the cut build."""
    name, index = MESHED[kind]
    value = request.getfixturevalue(name)
    spec, plain = value if index is None else value[index]
    meshed = type(spec)(**spec.model_dump() | {"mesh_host": True})
    bundle = _mesh(meshed, tmp_path_factory, f"{kind}_host")
    assert "host" not in plain.names and "host_collector" not in plain.names
    assert set(bundle.names) == set(plain.names) | {"host", "host_collector"}
    assert bundle.names["host"][0] == 3 and bundle.names["host_collector"][0] == 2

    m, m0 = bundle.info.measures, plain.info.measures
    Lx, Ly, H = spec.size
    filled = m["electrolyte_volume"] + m["host_volume"] + m["sealed_pocket_volume"] + m["dropped_host_volume"]
    assert _close(filled, Lx * Ly * H, 1e-6)
    assert m["dropped_host_volume"] == 0.0  # the layouts keep every host piece connected to the collector
    for key in ("porosity", "host_area", "collector_area", "specific_area", "coated_area_fraction", "electrolyte_volume"):
        assert _close(m[key], m0[key], 1e-6), (key, m[key], m0[key])
    solid = spec.layer_volume * (1 - m["porosity"]) - m["sealed_pocket_volume"]
    assert _close(m["host_volume"], solid, 1e-6)

    # conformal: every host surface facet lies between one host and one electrolyte cell
    msh, cells, facets = bundle.mesh, bundle.cell_tags, bundle.facet_tags
    host, electrolyte = cells.find(bundle.tag("host", 3)), cells.find(bundle.tag("electrolyte", 3))
    assert len(host) > 0 and len(electrolyte) > 0
    owner = np.zeros(msh.topology.index_map(3).size_local, dtype=np.int8)
    owner[host], owner[electrolyte] = 1, 2
    msh.topology.create_connectivity(2, 3)
    f2c = msh.topology.connectivity(2, 3)
    wetted = np.concatenate([facets.find(bundle.tag(n)) for n in ("host_bare", "host_coated") if n in bundle.names])
    assert len(wetted) > 0
    for f in wetted:
        assert sorted(owner[f2c.links(f)]) == [1, 2], f"host surface facet {f} is not shared by a host and an electrolyte cell"
    for f in facets.find(bundle.tag("host_collector")):
        assert list(owner[f2c.links(f)]) == [1]
