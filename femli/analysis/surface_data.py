"""Electrode-surface data gathered on rank 0: one record per surface triangle.

The solve is distributed; analysis and figures need whole surfaces. Surfaces
are small next to the volume, so every rank sends its owned facets to rank 0
and the metrics, hot-spot search and pictures work on these arrays there.
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class SurfaceField:
    name: str
    vertices: np.ndarray  # (n, 3, 3): corner coordinates of each triangle, m
    vertex_ids: np.ndarray  # (n, 3): global vertex numbers (shared corners => same id)
    area: np.ndarray  # (n,): triangle areas, m^2
    value: np.ndarray  # (n,): facet-mean plating current density, A/m^2 (> 0 = plating)

    @property
    def centroid(self) -> np.ndarray:
        return self.vertices.mean(axis=1)

    def __len__(self) -> int:
        return len(self.area)
