"""Electrolyte property presets (femli.electrolytes): values against independent
sources, the UFL path against the numpy path, physical sanity and the look-up errors.

Reference values used here, and where they come from:

* Landesfeind & Gasteiger, J. Electrochem. Soc. 166, A3079 (2019), LiPF6 in EC:EMC
  (3:7 w:w). kappa(c, T) and D(c, T) as COMSOL's material library transcribes the
  same fits ("LiPF6 in 3:7 EC:EMC (Liquid, Li-ion Battery)", mol/L, K, mS/cm,
  cm^2/s), and the 9-term TDF and t+ polynomials as the Hebenbrock et al. (J. Energy
  Storage 154, 121255 (2026)) PyBaMM parameter set writes them: independent
  transcriptions, so agreement is exact. The thermodynamic factor and t+ also
  against COMSOL's per-temperature quadratic fits of the same measurements at the
  paper's seven temperatures (-10 ... +50 C): a second fit of the same data, so
  agreement is within the scatter of the measurements.
* Nyman, Behm & Lindbergh, Electrochim. Acta 53, 6356 (2008): kappa of LiPF6 in
  EC:EMC (3:7 w:w) at 25 C measured in another laboratory,
  kappa = 0.1297 c^3 - 2.51 c^1.5 + 3.329 c (S/m, c in mol/L).
* Valoen & Reimers, J. Electrochem. Soc. 152, A882 (2005): kappa, D and the
  thermodynamic factor as the mpet and LIONSIMBA codes write them (c in mol/m^3,
  coefficients rescaled), an independent transcription, so agreement is exact.

The papers' own tables of measured points were not available to the author of
these tests; the comparisons above are what could be checked.
"""

import numpy as np
import pytest

from femli.electrolytes import (
    ELECTROLYTE_MODELS,
    NUMPY,
    PROPERTIES,
    UFL,
    constant_electrolyte,
    electrolyte_model,
    out_of_range,
)
from femli.errors import ConfigError
from femli.materials import ELECTROLYTES

LG = "LiPF6_EC_EMC_Landesfeind2019"
VR = "LiPF6_PC_EC_DMC_Valoen2005"
LG_TEMPERATURES = np.array([263.15, 273.15, 283.15, 293.15, 303.15, 313.15, 323.15])


def _grid(c_molar, temperatures):
    c, T = np.meshgrid(np.asarray(c_molar, float), temperatures, indexing="ij")
    return c, T


# ---------------------------------------------------------------- Landesfeind 2019


def test_landesfeind_kappa_and_D_match_an_independent_transcription():
    m = electrolyte_model(LG)
    c, T = _grid([0.1, 0.25, 0.5, 1.0, 1.5, 2.0], LG_TEMPERATURES)
    e = np.exp(1000 / T)
    kappa_mS_cm = 5.21e-1 * (1 + (T - 2.28e2)) * c * (1 - 1.06 * np.sqrt(c) + 3.53e-1 * (1 - 3.59e-3 * e) * c) \
        / (1 + c**4 * 1.48e-3 * e)
    D_cm2_s = 1.01e3 * np.exp(1.01 * c) * np.exp(-1.56e3 / T) * np.exp(-4.87e2 / T * c) * 1e-6
    np.testing.assert_allclose(m.conductivity(1000 * c, T), 0.1 * kappa_mS_cm, rtol=1e-12)
    np.testing.assert_allclose(m.diffusivity(1000 * c, T), 1e-4 * D_cm2_s, rtol=1e-12)


def test_landesfeind_tdf_and_tplus_match_an_independent_transcription():
    m = electrolyte_model(LG)
    c, T = _grid([0.1, 0.5, 1.0, 1.5, 2.0], LG_TEMPERATURES)

    def poly(p1, p2, p3, p4, p5, p6, p7, p8, p9):
        return p1 + p2 * c + p3 * T + p4 * c**2 + p5 * c * T + p6 * T**2 + p7 * c**3 + p8 * c**2 * T + p9 * c * T**2

    tdf = poly(2.57e1, -4.51e1, -1.77e-1, 1.94e0, 2.95e-1, 3.08e-4, 2.59e-1, -9.46e-3, -4.54e-4)
    tplus = poly(-1.28e1, -6.12e0, 8.21e-2, 9.04e-1, 3.18e-2, -1.27e-4, 1.75e-2, -3.12e-3, -3.96e-5)
    np.testing.assert_allclose(m.thermodynamic_factor(1000 * c, T), tdf, rtol=1e-12)
    np.testing.assert_allclose(m.transference_number(1000 * c, T), tplus, rtol=1e-12, atol=1e-14)


# COMSOL's per-temperature fits  y = a c^2 + b c + d  (c in mol/L) of Landesfeind &
# Gasteiger's measured TDF and t+ at -10, 0, 10, 20, 30, 40, 50 C: rows (a, b, d).
TDF_PER_T = [(2.45e-1, 4.49e-1, 3.41e-1), (7.23e-1, 9.8e-2, 5e-1), (7.36e-1, -1.55e-1, 8.63e-1),
             (6.65e-1, -2.57e-1, 1.03), (3.7e-1, 7.6e-1, 7.17e-1), (1.85e-2, 1.75, 4.8e-1),
             (-3.92e-2, 1.76, 6.75e-1)]
TPLUS_PER_T = [(4.1e-2, -3.63e-1, -9.17e-2), (1.04e-1, -3.38e-1, 2.13e-1), (1.09e-1, -4.12e-1, 3.98e-1),
               (1.4e-1, -5.74e-1, 5.57e-1), (2.97e-2, -2.1e-1, 4.92e-1), (-1.39e-2, -9.01e-2, 5.26e-1),
               (-5.87e-3, -1.3e-1, 6.12e-1)]


@pytest.mark.parametrize("prop, per_t, max_dev, rms_dev", [
    # measured (c, T) grid 0.5-1.5 M x 7 temperatures; found: TDF max 0.69 rms 0.32, t+ max 0.20 rms 0.085
    ("thermodynamic_factor", TDF_PER_T, 0.75, 0.35),
    ("transference_number", TPLUS_PER_T, 0.22, 0.10),
])
def test_landesfeind_tdf_and_tplus_agree_with_per_temperature_fits(prop, per_t, max_dev, rms_dev):
    m = electrolyte_model(LG)
    c = np.array([0.5, 1.0, 1.5])
    dev = np.concatenate([
        getattr(m, prop)(1000 * c, T) - (a * c**2 + b * c + d) for T, (a, b, d) in zip(LG_TEMPERATURES, per_t)
    ])
    assert np.abs(dev).max() < max_dev
    assert np.sqrt(np.mean(dev**2)) < rms_dev


def test_landesfeind_kappa_agrees_with_nyman_2008_at_25C():
    """Two laboratories, the same electrolyte: within 5 % from 0.2 to 2 M (found: 4.7 %)."""
    c = np.array([0.2, 0.5, 0.8, 1.0, 1.2, 1.5, 2.0])
    nyman = 0.1297 * c**3 - 2.51 * c**1.5 + 3.329 * c
    kappa = electrolyte_model(LG).conductivity(1000 * c, 298.15)
    np.testing.assert_allclose(kappa, nyman, rtol=0.05)


def test_landesfeind_tplus_is_negative_at_low_temperature():
    """The fit gives t+ < 0 at -10 C and 1 M (as do the per-temperature fits: -0.41); documented."""
    m = electrolyte_model(LG)
    assert m.transference_number(1000.0, 263.15) < -0.3
    assert "negative" in m.description


# ------------------------------------------------------------------ Valoen 2005


def test_valoen_matches_an_independent_transcription():
    m = electrolyte_model(VR)
    c, T = _grid([100.0, 500.0, 1000.0, 1500.0, 2000.0], LG_TEMPERATURES)  # c in mol/m^3 here
    r = (-10.5, 0.668e-3, 0.494e-6, 0.074, -1.78e-5, -8.86e-10, -6.96e-5, 2.8e-8)
    kappa = 1e-4 * c * (r[0] + r[1] * c + r[2] * c**2 + T * (r[3] + r[4] * c + r[5] * c**2)
                        + T**2 * (r[6] + r[7] * c)) ** 2
    D = 1e-4 * 10 ** (-4.43 - 54 / (T - 229 - 5e-3 * c) - 0.22e-3 * c)
    cm = c / 1000
    tdf = (0.601 - 0.24 * cm**0.5 + 0.982 * (1 - 0.0052 * (T - 294)) * cm**1.5) / (1 - 0.38)
    np.testing.assert_allclose(m.conductivity(c, T), kappa, rtol=1e-12)
    np.testing.assert_allclose(m.diffusivity(c, T), D, rtol=1e-12)
    np.testing.assert_allclose(m.thermodynamic_factor(c, T), tdf, rtol=1e-12)
    np.testing.assert_allclose(m.transference_number(c, T), 0.38)


# --------------------------------------------------------------- every model


@pytest.mark.parametrize("name", [*sorted(ELECTROLYTE_MODELS), "constant"])
def test_physical_sanity_over_the_valid_range(name):
    m = constant_electrolyte(1.0, 3e-10, 0.38) if name == "constant" else electrolyte_model(name)
    (c_lo, c_hi), (t_lo, t_hi) = m.concentration_range, m.temperature_range
    c_hi, t_lo, t_hi = min(c_hi, 4000.0), max(t_lo, 263.15), min(t_hi, 333.15)
    c, T = _grid(np.linspace(max(c_lo, 50.0), c_hi, 25), np.linspace(t_lo, t_hi, 9))
    assert np.all(m.conductivity(c, T) > 0)
    assert np.all(m.diffusivity(c, T) > 0)
    assert np.all(m.thermodynamic_factor(c, T) > 0)
    t_plus = m.transference_number(c, T)
    warm = T >= 293.15 if name == LG else np.ones_like(T, bool)  # LG: t+ < 0 below ~10 C, see above
    assert np.all((t_plus[warm] > 0) & (t_plus[warm] < 1))
    assert set(m.sources) == set(PROPERTIES) and all(len(s) > 10 for s in m.sources.values())


def test_ufl_path_gives_the_numpy_numbers():
    from mpi4py import MPI
    import ufl
    from dolfinx import fem, mesh

    domain = mesh.create_unit_square(MPI.COMM_SELF, 1, 1)
    c0, T0 = 1234.5, 301.7
    c = fem.Constant(domain, c0)
    models = [*ELECTROLYTE_MODELS.values(), constant_electrolyte(1.0, 3e-10, 0.38)]
    cases = [(m, prop) for m in models for prop in PROPERTIES]
    expected = np.array([float(getattr(m, prop)(c0, T0, NUMPY)) for m, prop in cases])
    for T in (T0, fem.Constant(domain, T0)):  # T a number (as the transport model gives it) or a Constant
        # every property of every model in one compiled expression, at one point of one cell
        vector = ufl.as_vector([getattr(m, prop)(c, T, UFL) for m, prop in cases])
        expr = fem.Expression(vector, np.array([[1 / 3, 1 / 3]]), comm=MPI.COMM_SELF)
        values = expr.eval(domain, np.array([0], dtype=np.int32)).ravel()
        np.testing.assert_allclose(values, expected, rtol=1e-12)


# ------------------------------------------------------- constants and look-ups


def test_constant_electrolyte():
    m = constant_electrolyte(1.2, 3e-10, 0.4, name="mine")
    c = np.array([10.0, 1000.0, 3000.0])
    np.testing.assert_array_equal(m.conductivity(c, 298.15), 1.2)
    assert m.transference_number(c, 298.15).shape == (3,)
    assert m.thermodynamic_factor(500.0, 300.0) == 1.0
    assert m.transference_number(c, 298.15, UFL) == 0.4  # a plain number in the forms
    assert out_of_range(m, 0.0, 1e5, 400.0) is None
    assert not set(ELECTROLYTE_MODELS) & set(ELECTROLYTES)  # the constant presets keep their names


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        electrolyte_model("nope")
    message = str(err.value)
    assert "'nope'" in message and LG in message and VR in message


def test_out_of_range():
    m = electrolyte_model(LG)
    assert out_of_range(m, 500.0, 1500.0, 298.15) is None
    above = out_of_range(m, 500.0, 3000.0, 298.15)
    assert "3000 mol/m^3 is above 2000 mol/m^3" in above and LG in above
    assert "below 100 mol/m^3" in out_of_range(m, 10.0, 1000.0, 298.15)
    assert "temperature 340 K" in out_of_range(m, 500.0, 1000.0, 340.0)
