"""Coatings on any host surface, applied to the mesh's facets after meshing.

OCC face splitting works for the pillar and channel bands but is fragile on
curved, intersecting fibers and pores. A coating here is instead a rule on
facet midpoints: a height band, regular dots, or random patches with a target
area coverage. Covered facets of the ``on`` surfaces move to the coating's own
named surface (``host_coated`` or ``host_coated_<material>``), which then takes
its own [kinetics] entry; several coatings (intermittent A/B designs,
insulating top coats with model = "insulating") apply in order, later ones on
top. The rule depends on coordinates only, so every rank tags its facets the
same way and the mesh cache is untouched: changing a coating never remeshes.
Coverage is measured on the facets (area-weighted) and reported; the resolution
is the facet size at the coating edges.
"""

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from femli.errors import ConfigError
from femli.units import Length


class Coating(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    surface: str = Field("host_coated", description="name of the coated surface: host_coated or host_coated_<material>")
    on: tuple[str, ...] = ("host_bare",)
    pattern: Literal["band", "dots", "random"]
    z_min: float = Field(0.0, ge=0, le=1, description="band: lower edge, fraction of the host height")
    z_max: float = Field(1.0, ge=0, le=1, description="band: upper edge, fraction of the host height")
    radius: Length | None = Field(None, description="dots/random: patch radius")
    spacing: Length | None = Field(None, description="dots: lattice spacing of the patch centres")
    coverage: float | None = Field(None, gt=0, le=1, description="random: target area fraction of the 'on' surfaces")
    seed: int = Field(0, ge=0)

    @field_validator("surface")
    @classmethod
    def _name(cls, name):
        if name != "host_coated" and not name.startswith("host_coated_"):
            raise ValueError(f"a coating surface is named host_coated or host_coated_<material>, got {name!r}")
        return name

    @model_validator(mode="after")
    def _pattern(self):
        need = {"band": (), "dots": ("radius", "spacing"), "random": ("radius", "coverage")}[self.pattern]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"pattern '{self.pattern}' needs {missing}")
        if self.pattern == "band" and self.z_min >= self.z_max:
            raise ValueError(f"band needs z_min < z_max, got [{self.z_min}, {self.z_max}]")
        if self.pattern == "dots" and 2 * self.radius > self.spacing * 3**0.5:
            raise ValueError("dots: 2*radius must not exceed spacing*sqrt(3) (patches would merge everywhere)")
        return self


def _facet_geometry(msh, facets):
    """Midpoints and areas of triangle facets."""
    from dolfinx import mesh as dmesh

    x = msh.geometry.x[dmesh.entities_to_geometry(msh, 2, facets, False)]
    mid = x.mean(axis=1)
    area = 0.5 * np.linalg.norm(np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]), axis=1)
    return mid, area


def _covered_by_spheres(points, centres, radius):
    if len(centres) == 0:
        return np.zeros(len(points), dtype=bool)
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(centres).query(points, k=1)
    return dist <= radius


def apply_coatings(bundle, coatings, host_height: float):
    """Re-tag the facets of ``bundle`` for each coating; returns the bundle, with measured coverages."""
    if not coatings:
        return bundle
    from dolfinx import mesh as dmesh
    from mpi4py import MPI

    msh, tags = bundle.mesh, bundle.facet_tags
    comm = msh.comm
    owned = msh.topology.index_map(2).size_local
    indices, values = tags.indices.copy(), tags.values.copy()
    mid, area = _facet_geometry(msh, indices)
    is_owned = indices < owned
    next_tag = max(t for _, t in bundle.names.values()) + 1
    for k, c in enumerate(coatings):
        on_tags = [bundle.tag(n) for n in c.on if n in bundle.names]
        if not on_tags:
            raise ConfigError(f"coatings[{k}].on: none of {list(c.on)} is a surface of this geometry")
        candidates = np.isin(values, on_tags)
        z = (mid[:, 2] - bundle.info.z_collector) / host_height
        if c.pattern == "band":
            covered = (z >= c.z_min) & (z <= c.z_max)
        elif c.pattern == "dots":
            covered = _covered_by_spheres(mid, _lattice(bundle.info.bounds, c.spacing), c.radius)
        else:
            covered = _random_patches(comm, mid, area, candidates & is_owned, c, bundle.info.bounds)
        covered &= candidates
        if c.surface not in bundle.names:
            bundle.names[c.surface] = (2, next_tag)
            next_tag += 1
        values[covered] = bundle.names[c.surface][1]
        total = comm.allreduce(float(area[candidates & is_owned].sum()), op=MPI.SUM)
        done = comm.allreduce(float(area[covered & is_owned].sum()), op=MPI.SUM)
        bundle.info.measures[f"coatings[{k}].coverage"] = done / total if total else 0.0
        if c.coverage is not None:
            bundle.info.measures[f"coatings[{k}].coverage_requested"] = c.coverage
    for name, (dim, tag) in list(bundle.names.items()):
        if dim == 2 and comm.allreduce(int(np.any(values == tag)), op=MPI.SUM) == 0:
            del bundle.names[name]  # e.g. host_bare fully covered
    # the builder's coated fraction counted CAD coatings only: recount over the tagged facets
    def area_of(names):
        sel = np.isin(values, [t for n, (d, t) in bundle.names.items() if d == 2 and n in names]) & is_owned
        return comm.allreduce(float(area[sel].sum()), op=MPI.SUM)

    electrode = [n for n in bundle.names if n.startswith("host_") or n == "current_collector"]
    bundle.info.measures["coated_area_fraction"] = area_of([n for n in electrode if n.startswith("host_coated")]) / area_of(electrode)
    bundle.facet_tags = dmesh.meshtags(msh, 2, indices, values)
    return bundle


def _lattice(bounds, spacing):
    lo, hi = np.asarray(bounds[0]), np.asarray(bounds[1])
    axes = [np.arange(a, b + spacing, spacing) for a, b in zip(lo, hi)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)


def _random_patches(comm, mid, area, mask, c, bounds):
    """Seeded patch centres in the box; the count is bisected until the coverage of the
    'on' surfaces reaches the target. The same centre sequence on every rank and for
    any partition keeps the pattern independent of the MPI layout."""
    from mpi4py import MPI

    rng = np.random.default_rng(c.seed)
    lo, hi = np.asarray(bounds[0]), np.asarray(bounds[1])
    total = comm.allreduce(float(area[mask].sum()), op=MPI.SUM)

    def coverage(centres):
        hit = _covered_by_spheres(mid[mask], centres, c.radius)
        return comm.allreduce(float(area[mask][hit].sum()), op=MPI.SUM) / total

    n_max = 64
    pool = lo + (hi - lo) * rng.random((n_max, 3))
    while coverage(pool) < c.coverage:
        if n_max > 2_000_000:
            raise ValueError("random coating: coverage not reachable; use a larger radius")
        pool = np.vstack([pool, lo + (hi - lo) * rng.random((n_max, 3))])
        n_max *= 2
    lo_n, hi_n = 0, len(pool)
    while hi_n - lo_n > 1:  # smallest prefix of the sequence reaching the target
        n = (lo_n + hi_n) // 2
        lo_n, hi_n = (n, hi_n) if coverage(pool[:n]) < c.coverage else (lo_n, n)
    n = hi_n if abs(coverage(pool[:hi_n]) - c.coverage) <= abs(coverage(pool[:lo_n]) - c.coverage) else lo_n
    return _covered_by_spheres(mid, pool[:n], c.radius)
