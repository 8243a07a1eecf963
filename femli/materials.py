"""Material presets, each value with its source.

Presets are parameter sets, kept apart from the models (as in PyBaMM): a study
names a preset and may override any of its values. Values are SI. Where the
literature gives a range, the preset takes a representative value and the
source says so; a study should override it with the user's own measurement.
"""

from dataclasses import dataclass

from femli.errors import ConfigError


@dataclass(frozen=True)
class Value:
    value: float
    unit: str
    source: str


ELECTROLYTES: dict[str, dict[str, Value]] = {
    "LiPF6_EC_DMC_1M": {
        "conductivity": Value(1.0, "S/m", "Valoen & Reimers, J. Electrochem. Soc. 152, A882 (2005): ~1 S/m for 1 M LiPF6 in carbonate blends at 25 C"),
        "diffusivity": Value(3.0e-10, "m^2/s", "Valoen & Reimers (2005): salt diffusivity ~3e-10 m^2/s near 1 M, 25 C"),
        "transference_number": Value(0.38, "-", "Valoen & Reimers (2005): t+ ~0.38"),
    },
    "LiTFSI_DOL_DME_1M": {
        "conductivity": Value(1.0, "S/m", "order 10 mS/cm for 1 M LiTFSI in DOL/DME (1:1 v/v), e.g. Suo et al., Nat. Commun. 4, 1481 (2013), Fig. 1; representative value"),
        "diffusivity": Value(1.0e-9, "m^2/s", "order 1e-9 m^2/s for ether electrolytes near 1 M (PFG-NMR averages); representative value"),
        "transference_number": Value(0.5, "-", "t+ ~0.5 reported for LiTFSI DOL/DME over 1-6 M (Suo et al. 2013)"),
    },
}

# Charge-transfer kinetics of Li plating/stripping on a surface in a liquid
# electrolyte. Lithiophilicity acts first on nucleation (a later capability);
# these presets only carry Butler-Volmer parameters.
KINETICS: dict[str, dict[str, Value]] = {
    "li_liquid": {
        "exchange_current_density": Value(5.0, "A/m^2", "Li/Li+ in liquid electrolytes: ~1-10 A/m^2 (femli DESIGN.md range; e.g. Boyle et al., ACS Energy Lett. 5, 701 (2020) report mA/cm^2-scale values with SEI)"),
        "alpha_a": Value(0.5, "-", "symmetric charge transfer assumed"),
        "alpha_c": Value(0.5, "-", "symmetric charge transfer assumed"),
    },
    "li_on_lithiophilic": {
        "exchange_current_density": Value(20.0, "A/m^2", "illustrative: lithiophilic coatings (Au, Ag, ZnO) lower the interfacial resistance several-fold relative to bare Cu (e.g. Yan et al., Nat. Energy 1, 16010 (2016)); a 4x higher i0 than 'li_liquid' is a representative choice"),
        "alpha_a": Value(0.5, "-", "symmetric charge transfer assumed"),
        "alpha_c": Value(0.5, "-", "symmetric charge transfer assumed"),
    },
}

LIBRARIES = {"electrolyte": ELECTROLYTES, "kinetics": KINETICS}


def preset(library: str, name: str) -> dict[str, float]:
    """Values of preset ``name`` from ``library`` as a plain SI dict."""
    table = LIBRARIES[library]
    if name not in table:
        raise ConfigError(f"unknown {library} preset {name!r}; known presets: {', '.join(sorted(table))}")
    return {key: v.value for key, v in table[name].items()}


def sources(library: str, name: str) -> dict[str, str]:
    return {key: f"{v.value:g} {v.unit}: {v.source}" for key, v in LIBRARIES[library][name].items()}
