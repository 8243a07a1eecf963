"""Analytic anchors (DESIGN.md) through the full pipeline."""

import math

import numpy as np
import pytest

import femli
from conftest import PROBLEMS


@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    return femli.run(PROBLEMS / "bench_disk_primary.toml", out=tmp_path_factory.mktemp("disk"))


def test_disk_resistance_newman(disk):
    """R = 1/(4 kappa a) (Newman 1966; Holm's constriction resistance of one contact spot),
    minus the shell beyond the counter hemisphere, 1/(2 pi kappa R_inf)."""
    g = disk.study.geometry
    kappa = disk.study.electrolyte.conductivity
    exact = 1 / (4 * kappa * g.disk_radius) - 1 / (2 * math.pi * kappa * g.domain_radius)
    quarter = disk.metrics["cell"]["resistance"]
    assert quarter / 4 == pytest.approx(exact, rel=0.01)


def test_disk_current_distribution_newman(disk):
    """i(r)/i_avg = 0.5 / sqrt(1 - (r/a)^2) away from the edge singularity."""
    (s,) = disk.surfaces
    a = disk.study.geometry.disk_radius
    r = np.hypot(*s.centroid[:, :2].T) / a
    inner = r < 0.8
    i_avg = disk.metrics["cell"]["separator_potential"] / disk.metrics["cell"]["resistance"] / (math.pi * a**2 / 4)
    newman = 0.5 / np.sqrt(1 - r[inner] ** 2)
    rel = np.abs(s.value[inner] / i_avg - newman) / newman
    assert np.average(rel, weights=s.area[inner]) < 0.03
    assert rel.max() < 0.10
