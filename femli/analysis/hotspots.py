"""Current statistics and hot spots on an electrode surface (rank-0 numpy).

A hot spot is a connected region of facets whose local current exceeds
``factor`` x the surface mean; facets are connected when they share a vertex.
"""

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from femli.analysis.surface_data import SurfaceField


def surface_statistics(s: SurfaceField, factor: float = 2.0, max_spots: int = 50) -> dict:
    area = float(s.area.sum())
    total = float(s.area @ s.value)
    mean = total / area
    var = float(s.area @ (s.value - mean) ** 2) / area
    scale = abs(mean) if mean != 0 else np.nan
    return {
        "area": area,
        "total_current": total,
        "mean": mean,
        "max": float(s.value.max()),
        "max_location": s.centroid[int(np.argmax(s.value))].tolist(),
        "min": float(s.value.min()),
        "max_over_mean": float(s.value.max() / mean) if mean != 0 else None,
        "cv": float(np.sqrt(var) / scale) if mean != 0 else None,
        "area_fraction_above_2x_mean": float(s.area[s.value > 2 * mean].sum() / area) if mean > 0 else 0.0,
        "hot_spot_factor": factor,
        "hot_spots": hot_spots(s, factor * mean, max_spots) if mean > 0 else [],
    }


def hot_spots(s: SurfaceField, threshold: float, max_spots: int = 50) -> list[dict]:
    """Connected regions above ``threshold``, largest peak first."""
    hot = np.flatnonzero(s.value > threshold)
    if hot.size == 0:
        return []
    # bipartite facet-vertex graph: facets sharing a vertex fall in one component
    _, vert = np.unique(s.vertex_ids[hot], return_inverse=True)
    vert = vert.reshape(-1, 3)
    nf, nv = hot.size, vert.max() + 1
    rows = np.repeat(np.arange(nf), 3)
    graph = coo_matrix((np.ones(rows.size), (rows, nf + vert.ravel())), shape=(nf + nv, nf + nv))
    _, labels = connected_components(graph, directed=False)
    labels = labels[:nf]
    spots = []
    centroids = s.centroid[hot]
    for lab in np.unique(labels):
        m = labels == lab
        a, j = s.area[hot][m], s.value[hot][m]
        spots.append({
            "centroid": (a @ centroids[m] / a.sum()).tolist(),
            "area": float(a.sum()),
            "peak": float(j.max()),
            "current": float(a @ j),
        })
    spots.sort(key=lambda d: -d["peak"])
    return spots[:max_spots]


def deposition(surfaces: list[SurfaceField], z_collector: float, z_separator: float) -> dict:
    """Where the plated current goes: current-weighted height (0 = collector, 1 = separator) and coated share."""
    currents = {s.name: s.area * s.value for s in surfaces}
    total = sum(float(c.sum()) for c in currents.values())
    z = np.concatenate([(s.centroid[:, 2] - z_collector) / (z_separator - z_collector) for s in surfaces])
    w = np.concatenate([currents[s.name] for s in surfaces])
    coated = [n for n in currents if "coated" in n]
    return {
        "height_centroid": float(w @ z / total) if total else None,
        "coated_share": sum(float(currents[n].sum()) for n in coated) / total if total and coated else None,
    }
