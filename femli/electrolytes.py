"""Concentration- and temperature-dependent properties of binary electrolytes.

Concentrated-solution theory (DESIGN.md, "Physics") needs four functions of the
salt concentration c and the temperature T: the conductivity kappa, the salt
(ambipolar) diffusivity D, the cation transference number t+ (with respect to
the solvent velocity) and the thermodynamic factor 1 + dln f/dln c. An
:class:`ElectrolyteModel` holds one *correlation* per property: a published
functional form, its coefficients as printed in the source, the source's units
and the citation. The model is data; the few functional forms below are shared.

Units. Every public method takes SI (c in mol/m^3, T in K) and returns SI
(kappa in S/m, D in m^2/s, t+ and the thermodynamic factor dimensionless).
Inside, c is converted to the unit the source fits in (mol/L for every preset
here: c_src = c / 1000); T is in K in every source here. The result is scaled
from the source's unit to SI: mS/cm -> S/m is x 0.1, cm^2/s -> m^2/s is x 1e-4.

Forms (c in mol/L, T in K, p_i or k_ij the printed coefficients):

``poly_cT``        sum_(i,j) k_ij c^i T^j  (Landesfeind & Gasteiger's 9-term
                   polynomials for the thermodynamic factor and t+)
``c_poly_cT_sq``   c (sum_(i,j) k_ij c^i T^j)^2  (Valoen & Reimers, kappa)
``landesfeind_kappa``  p1 (1 + (T - p2)) c (1 + p3 sqrt(c) + p4 (1 + p5 exp(1000/T)) c)
                   / (1 + c^4 p6 exp(1000/T))  (mS/cm; the form as PyBaMM, COMSOL and
                   Hebenbrock et al. all write it)
``landesfeind_diffusivity``  p1 exp(p2 c) exp(p3/T) exp(p4 c/T)  (1e-6 cm^2/s)
``vtf_log10``      10^(D00 + D01/(T - Tg) + (D10 + D11/(T - Tg)) c),  Tg = Tg0 + Tg1 c
                   (Valoen & Reimers, D in cm^2/s)
``valoen_tdf``     (v00 + v10 c^0.5 + v30 (1 + v31 (T - T_ref)) c^1.5) / (1 - t+)
``constant``       a number

Every form uses only +, -, *, /, ** and the ``exp``/``sqrt``/``log`` of the
namespace ``xp`` it is given, so the same code evaluates on numpy arrays
(``xp=NUMPY``) and on UFL expressions in the finite-element forms (``xp=UFL``).
There are no branches on c: a caller that may see c <= 0 (Newton iterates near
depletion) evaluates at max(c, c_floor), as femli.physics.transport does.

Presets (ELECTROLYTE_MODELS): each correlation names its source (authors,
journal, volume, page, year, equation/table). Their names differ from the
constant presets of femli.materials.ELECTROLYTES, which stay as they are;
:func:`constant_electrolyte` makes a constant model from plain numbers (a
study's values or a femli.materials preset's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable, Mapping

import numpy as np

from femli.errors import ConfigError

PROPERTIES = ("conductivity", "diffusivity", "transference_number", "thermodynamic_factor")

# ---------------------------------------------------------------------------
# Math namespaces: the same correlation code on numpy arrays and on UFL.
# ---------------------------------------------------------------------------


def _ufl(name):
    def call(x):
        import ufl

        return getattr(ufl, name)(x)

    return call


NUMPY = SimpleNamespace(
    name="numpy",
    exp=np.exp,
    sqrt=np.sqrt,
    log=np.log,
    constant=lambda value, c, T: np.full(np.broadcast(np.asarray(c), np.asarray(T)).shape, float(value)),
)
UFL = SimpleNamespace(
    name="ufl",
    exp=_ufl("exp"),
    sqrt=_ufl("sqrt"),
    log=_ufl("ln"),
    # a constant property stays a plain number in the forms (no spurious grad(t+) term)
    constant=lambda value, c, T: float(value),
)

LN10 = math.log(10.0)
MOL_PER_L = 1.0e-3  # mol/m^3 -> mol/L
MS_PER_CM = 0.1  # mS/cm -> S/m
CM2_PER_S = 1.0e-4  # cm^2/s -> m^2/s

# ---------------------------------------------------------------------------
# Functional forms: f(params, c [source unit], T [K], xp) -> value in the source unit.
# ---------------------------------------------------------------------------


def poly_cT(terms, c, T, xp):
    """sum k c^i T^j over ``terms`` = ((i, j, k), ...)."""
    return sum(k * c**i * T**j for i, j, k in terms)


def c_poly_cT_sq(terms, c, T, xp):
    """c (sum k c^i T^j)^2."""
    return c * poly_cT(terms, c, T, xp) ** 2


def landesfeind_kappa(p, c, T, xp):
    p1, p2, p3, p4, p5, p6 = p
    e = xp.exp(1000.0 / T)
    return p1 * (1 + (T - p2)) * c * (1 + p3 * xp.sqrt(c) + p4 * (1 + p5 * e) * c) / (1 + c**4 * p6 * e)


def landesfeind_diffusivity(p, c, T, xp):
    p1, p2, p3, p4 = p
    return p1 * xp.exp(p2 * c) * xp.exp(p3 / T) * xp.exp(p4 * c / T)


def vtf_log10(p, c, T, xp):
    D00, D01, D10, D11, Tg0, Tg1 = p
    dT = T - (Tg0 + Tg1 * c)
    return xp.exp(LN10 * (D00 + D01 / dT + (D10 + D11 / dT) * c))


def valoen_tdf(p, c, T, xp):
    v00, v10, v30, v31, T_ref, t_plus = p
    return (v00 + v10 * c**0.5 + v30 * (1 + v31 * (T - T_ref)) * c**1.5) / (1 - t_plus)


def constant(value, c, T, xp):
    return xp.constant(value, c, T)


@dataclass(frozen=True)
class Correlation:
    """One property: ``form(params, c * c_scale, T, xp) * scale`` is the SI value."""

    form: Callable
    params: object
    source: str
    scale: float = 1.0  # source unit -> SI
    c_scale: float = MOL_PER_L  # mol/m^3 -> the source's concentration unit

    def __call__(self, c, T, xp):
        return self.form(self.params, c * self.c_scale, T, xp) * self.scale


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ElectrolyteModel:
    """kappa(c, T), D(c, T), t+(c, T) and 1 + dln f/dln c for a binary salt, with sources.

    ``concentration_range`` (mol/m^3) and ``temperature_range`` (K) are where the
    correlations are valid; :func:`out_of_range` checks a study against them.
    """

    name: str
    description: str
    sources: dict[str, str]
    concentration_range: tuple[float, float]
    temperature_range: tuple[float, float]
    reference_concentration: float
    correlations: Mapping[str, Correlation] = field(default_factory=dict, repr=False)

    def _eval(self, prop, c, T, xp):
        if xp is NUMPY:
            c, T = np.asarray(c, dtype=float), np.asarray(T, dtype=float)
        return self.correlations[prop](c, T, xp)

    def conductivity(self, c, T, xp=NUMPY):
        """kappa (S/m)."""
        return self._eval("conductivity", c, T, xp)

    def diffusivity(self, c, T, xp=NUMPY):
        """Salt (ambipolar) diffusivity D (m^2/s)."""
        return self._eval("diffusivity", c, T, xp)

    def transference_number(self, c, T, xp=NUMPY):
        """Cation transference number t+ with respect to the solvent velocity (-)."""
        return self._eval("transference_number", c, T, xp)

    def thermodynamic_factor(self, c, T, xp=NUMPY):
        """1 + dln f/dln c (-)."""
        return self._eval("thermodynamic_factor", c, T, xp)


def _model(name, description, correlations, concentration_range, temperature_range, reference_concentration=1000.0):
    missing = set(PROPERTIES) - set(correlations)
    if missing:
        raise ValueError(f"electrolyte model {name!r} lacks {sorted(missing)}")
    return ElectrolyteModel(
        name=name,
        description=description,
        sources={p: correlations[p].source for p in PROPERTIES},
        concentration_range=tuple(map(float, concentration_range)),
        temperature_range=tuple(map(float, temperature_range)),
        reference_concentration=float(reference_concentration),
        correlations=dict(correlations),
    )


UNBOUNDED = (0.0, math.inf)


def constant_electrolyte(conductivity, diffusivity, transference_number, thermodynamic_factor=1.0,
                         name="constant", reference_concentration=1000.0, sources=None, description=None):
    """An electrolyte with constant properties (SI), e.g. the plain numbers of a study.

    ``sources`` maps a property to where its number comes from (default: "given by the
    study"). No validity range is implied: :func:`out_of_range` never objects.
    """
    values = dict(zip(PROPERTIES, (conductivity, diffusivity, transference_number, thermodynamic_factor)))
    sources = dict(sources or {})
    correlations = {
        p: Correlation(constant, float(v), sources.get(p, "given by the study"), c_scale=1.0) for p, v in values.items()
    }
    if "thermodynamic_factor" not in sources and float(thermodynamic_factor) == 1.0:
        correlations["thermodynamic_factor"] = Correlation(constant, 1.0, "ideal solution (dilute limit): 1 + dln f/dln c = 1", c_scale=1.0)
    desc = description or (
        "constant properties: kappa {:g} S/m, D {:g} m^2/s, t+ {:g}, thermodynamic factor {:g}".format(*values.values())
    )
    return _model(name, desc, correlations, UNBOUNDED, UNBOUNDED, reference_concentration)


# ---------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------

LANDESFEIND = (
    "J. Landesfeind and H. A. Gasteiger, 'Temperature and Concentration Dependence of the Ionic "
    "Transport Properties of Lithium-Ion Battery Electrolytes', J. Electrochem. Soc. 166 (14), "
    "A3079-A3097 (2019), doi:10.1149/2.0571912jes"
)
VALOEN = (
    "L. O. Valoen and J. N. Reimers, 'Transport Properties of LiPF6-Based Li-Ion Battery "
    "Electrolytes', J. Electrochem. Soc. 152 (5), A882-A891 (2005), doi:10.1149/1.1872737"
)

# Landesfeind & Gasteiger's 9-term polynomial in (c [mol/L], T [K]) for the
# thermodynamic factor and t+: p1 + p2 c + p3 T + p4 c^2 + p5 c T + p6 T^2 + p7 c^3 + p8 c^2 T + p9 c T^2.
_LG_POWERS = ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (3, 0), (2, 1), (1, 2))


def _lg_poly(p):
    return tuple((i, j, k) for (i, j), k in zip(_LG_POWERS, p))


def _landesfeind(system, kappa, diff, tdf, tplus, description, **ranges):
    cite = f"{LANDESFEIND}; LiPF6 in {system}, fit"
    correlations = {
        "conductivity": Correlation(landesfeind_kappa, kappa, f"{cite} kappa(c, T) (mS/cm), parameters p1-p6", MS_PER_CM),
        "diffusivity": Correlation(landesfeind_diffusivity, diff, f"{cite} D(c, T) (1e-6 cm^2/s), parameters p1-p4", 1e-6 * CM2_PER_S),
        "thermodynamic_factor": Correlation(poly_cT, _lg_poly(tdf), f"{cite} TDF(c, T), 9-term polynomial, parameters p1-p9"),
        "transference_number": Correlation(poly_cT, _lg_poly(tplus), f"{cite} t+(c, T), 9-term polynomial, parameters p1-p9"),
    }
    return _model(f"LiPF6_{system.split(' ')[0].replace(':', '_')}_Landesfeind2019", description, correlations, **ranges)


LIPF6_EC_EMC_LANDESFEIND2019 = _landesfeind(
    "EC:EMC (3:7 w:w)",
    kappa=(5.21e-1, 2.28e2, -1.06, 3.53e-1, -3.59e-3, 1.48e-3),
    diff=(1.01e3, 1.01, -1.56e3, -4.87e2),
    tdf=(2.57e1, -4.51e1, -1.77e-1, 1.94, 2.95e-1, 3.08e-4, 2.59e-1, -9.46e-3, -4.54e-4),
    tplus=(-1.28e1, -6.12, 8.21e-2, 9.04e-1, 3.18e-2, -1.27e-4, 1.75e-2, -3.12e-3, -3.96e-5),
    description=(
        "LiPF6 in EC:EMC (3:7 w:w), kappa, D, TDF and t+ from one study as functions of c and T "
        "(Landesfeind & Gasteiger 2019, measured at -10 to +50 C). The concentration window here, "
        "0.1-2 M, is a conservative one. t+ falls with c and with decreasing T and is negative at "
        "low T and high c (-0.17 at 0 C, 1 M; -0.38 at -10 C, 1 M), as are the per-temperature "
        "fits of the same measurements; above 20 C it lies in 0.05-0.47. Coefficients as "
        "transcribed, identically, by PyBaMM (lipf6_EC_EMC_3_7_Landesfeind2019), by the "
        "Hebenbrock et al. (J. Energy Storage 154, 121255 (2026)) PyBaMM parameter set and, for "
        "kappa and D, by COMSOL's material library."
    ),
    concentration_range=(100.0, 2000.0),
    temperature_range=(263.15, 323.15),
)

_VALOEN_T_PLUS = 0.38

LIPF6_PC_EC_DMC_VALOEN2005 = _model(
    "LiPF6_PC_EC_DMC_Valoen2005",
    "LiPF6 in PC:EC:DMC (10:27:63 v:v), kappa, D and the thermodynamic factor as functions of c and "
    "T, t+ = 0.38 constant (Valoen & Reimers 2005). The validity window here (0.1-2 M, -10 to "
    "+50 C) is a conservative choice: the paper's own stated limits could not be checked for "
    "this module. Coefficients as transcribed, identically, by mpet (valoen_reimers) and by "
    "LIONSIMBA-style DFN codes; equation and table numbers as annotated in one of them.",
    {
        "conductivity": Correlation(
            c_poly_cT_sq,
            # k_ij of kappa = c (sum k_ij c^i T^j)^2, i = 0..2, j = 0..2 (k_22 = 0)
            ((0, 0, -10.5), (0, 1, 0.0740), (0, 2, -6.96e-5),
             (1, 0, 0.668), (1, 1, -0.0178), (1, 2, 2.80e-5),
             (2, 0, 0.494), (2, 1, -8.86e-4)),
            f"{VALOEN}: Eq. 17 with Table III, kappa (mS/cm) = c (sum k_ij c^i T^j)^2",
            MS_PER_CM,
        ),
        "diffusivity": Correlation(
            vtf_log10,
            (-4.43, -54.0, -0.22, 0.0, 229.0, 5.0),
            f"{VALOEN}: Table II, log10 D (cm^2/s) = D00 + D01/(T - Tg) + (D10 + D11/(T - Tg)) c, Tg = Tg0 + Tg1 c",
            CM2_PER_S,
        ),
        "transference_number": Correlation(
            constant, _VALOEN_T_PLUS, f"{VALOEN}: t+ = 0.38, found fairly constant with concentration", c_scale=1.0,
        ),
        "thermodynamic_factor": Correlation(
            valoen_tdf,
            (0.601, -0.24, 0.982, -0.0052, 294.0, _VALOEN_T_PLUS),
            f"{VALOEN}: Eqs. 3-4 with Table I, (1 - t+)(1 + dln f/dln c) = 0.601 - 0.24 c^0.5 + 0.982 (1 - 0.0052 (T - 294)) c^1.5",
        ),
    },
    concentration_range=(100.0, 2000.0),
    temperature_range=(263.15, 323.15),
)


ELECTROLYTE_MODELS: dict[str, ElectrolyteModel] = {
    m.name: m for m in (LIPF6_EC_EMC_LANDESFEIND2019, LIPF6_PC_EC_DMC_VALOEN2005)
}


def electrolyte_model(name: str) -> ElectrolyteModel:
    """The preset ``name`` of ELECTROLYTE_MODELS."""
    try:
        return ELECTROLYTE_MODELS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown electrolyte model {name!r}; known models: {', '.join(sorted(ELECTROLYTE_MODELS))}"
        ) from None


def out_of_range(model: ElectrolyteModel, c_min: float, c_max: float, T: float) -> str | None:
    """A sentence naming each validity range of ``model`` that concentrations in
    [c_min, c_max] (mol/m^3) at temperature T (K) leave, or None."""
    (c_lo, c_hi), (t_lo, t_hi) = model.concentration_range, model.temperature_range
    problems = []
    if c_min < c_lo:
        problems.append(f"concentration {c_min:g} mol/m^3 is below {c_lo:g} mol/m^3")
    if c_max > c_hi:
        problems.append(f"concentration {c_max:g} mol/m^3 is above {c_hi:g} mol/m^3")
    if not t_lo <= T <= t_hi:
        problems.append(f"temperature {T:g} K is outside {t_lo:g}-{t_hi:g} K")
    if not problems:
        return None
    return (
        f"electrolyte model {model.name!r} is valid for {c_lo:g}-{c_hi:g} mol/m^3 and {t_lo:g}-{t_hi:g} K: "
        + "; ".join(problems) + "."
    )


__all__ = [
    "ElectrolyteModel", "Correlation", "ELECTROLYTE_MODELS", "electrolyte_model", "out_of_range",
    "constant_electrolyte", "NUMPY", "UFL", "PROPERTIES",
]
