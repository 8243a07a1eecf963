"""Unit-aware quantities at the edges of femli; SI floats inside.

A study value may be a number (read as SI) or a string with units such as
``"2 mA/cm^2"`` or ``"5 um"``. Each quantity kind below is an annotated float
type for pydantic: it parses the string with pint, checks the dimension against
a reference unit and stores the SI magnitude.
"""

import math
from functools import lru_cache
from typing import Annotated

import pint
from annotated_types import Ge, Gt
from pydantic import BeforeValidator, PlainSerializer

ureg = pint.UnitRegistry()
ureg.define("percent = 0.01 = %")


@lru_cache(maxsize=None)
def _dimensionality(reference: str):
    return ureg.Quantity(1, reference).dimensionality


def finite(value: float, given=None) -> float:
    """``value`` if it is a finite number; inf and nan never describe a cell."""
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value if given is None else given!r}")
    return value


def to_si(value, reference: str) -> float:
    """Convert ``value`` (number = SI, or a string with units) to SI for ``reference``'s dimension."""
    if isinstance(value, bool):
        raise ValueError(f"expected a quantity in {reference}, got a boolean")
    if isinstance(value, (int, float)):
        try:
            return finite(float(value))  # numbers are SI
        except OverflowError:  # an int too large for a float
            raise ValueError("must be a finite number, got an integer too large for a float") from None
    if not isinstance(value, str):
        raise ValueError(f"expected a number or a string with units like '1 {reference}', got {value!r}")
    try:
        q = ureg.Quantity(value.strip())
    except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError) as exc:
        raise ValueError(f"cannot read {value!r} as a quantity ({exc})") from None
    if isinstance(q, (int, float)):  # a bare number given as a string
        return finite(float(q), value)
    try:
        finite(float(q.magnitude), value)
    except TypeError:  # e.g. an array or a complex magnitude
        raise ValueError(f"cannot read {value!r} as a single quantity") from None
    if q.dimensionality != _dimensionality(reference):
        raise ValueError(
            f"{value!r} has units of {q.dimensionality}, expected units compatible with {reference}"
        )
    # 12 significant digits: '5 um' stores as 5e-06, not 4.9999999999999996e-06
    return finite(float(f"{q.to_base_units().magnitude:.12g}"), value)


def _kind(reference: str, *constraints):
    return Annotated[
        float,
        BeforeValidator(lambda v: to_si(v, reference)),
        PlainSerializer(float, return_type=float),
        *constraints,
    ]


Length = _kind("m", Gt(0))
NonNegativeLength = _kind("m", Ge(0))
CurrentDensity = _kind("A/m^2")
PositiveCurrentDensity = _kind("A/m^2", Gt(0))
NonNegativeCurrentDensity = _kind("A/m^2", Ge(0))
Conductivity = _kind("S/m", Gt(0))
Temperature = _kind("K", Gt(0))
AreaResistance = _kind("ohm*m^2", Ge(0))
Voltage = _kind("V")
NonNegativeVoltage = _kind("V", Ge(0))
Diffusivity = _kind("m^2/s", Gt(0))
Concentration = _kind("mol/m^3", Gt(0))
Pressure = _kind("Pa")
Modulus = _kind("Pa", Gt(0))
Toughness = _kind("Pa*m^0.5", Gt(0))
MolarVolume = _kind("m^3/mol", Gt(0))
Duration = _kind("s", Gt(0))
ArealCapacity = _kind("C/m^2", Gt(0))  # e.g. "1 mAh/cm^2" = 3.6e4 C/m^2
