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
    # Solid electrolytes: single-ion conductors (t+ = 1). Mechanical values are kept
    # beside the conductivity for the electro-chemo-mechanics to come.
    "LLZO": {
        "conductivity": Value(0.05, "S/m", "~0.5 mS/cm for Al/Ta-doped cubic Li7La3Zr2O12 at 25 C (e.g. Murugan, Thangadurai & Weppner, Angew. Chem. Int. Ed. 46, 7778 (2007) report 3e-4 S/cm; doped garnets 0.4-1 mS/cm)"),
        "youngs_modulus": Value(150e9, "Pa", "Ni et al., J. Mater. Sci. 47, 7978 (2012): E = 149.8 GPa by resonant ultrasound"),
        "poisson_ratio": Value(0.26, "-", "Ni et al. (2012): nu = 0.257"),
        "fracture_toughness": Value(1.0e6, "Pa*m^0.5", "~1 MPa m^0.5 (Wolfenstine et al., J. Mater. Sci. 48, 5846 (2013): 1.25 MPa m^0.5 by indentation)"),
    },
    "Li6PS5Cl": {
        "conductivity": Value(0.2, "S/m", "~2 mS/cm for argyrodite Li6PS5Cl at 25 C (cold-pressed pellets 1-3 mS/cm; e.g. Kraft et al., J. Am. Chem. Soc. 139, 10909 (2017))"),
        "youngs_modulus": Value(22e9, "Pa", "~22 GPa (Deng et al., J. Electrochem. Soc. 163, A67 (2016), first-principles elastic constants of argyrodites)"),
        "fracture_toughness": Value(0.2e6, "Pa*m^0.5", "~0.2 MPa m^0.5 for sulfide electrolytes (McGrogan et al., Adv. Energy Mater. 7, 1602011 (2017), Li2S-P2S5 glass: 0.23 MPa m^0.5)"),
    },
    "LiPON": {
        "conductivity": Value(2e-4, "S/m", "~2e-6 S/cm (Bates et al., Solid State Ionics 53-56, 647 (1992): 3.3e-6 S/cm at 25 C)"),
        "youngs_modulus": Value(77e9, "Pa", "Herbert et al., J. Mater. Res. 26, 1113 (2011): ~77 GPa by nanoindentation"),
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

# Nucleation: Yan et al., Nat. Energy 1, 16010 (2016) measured a Li nucleation
# overpotential of ~40 mV on Cu and none on metals with Li solubility (Au, Ag, Zn, Mg).
KINETICS |= {
    "li_on_cu": {
        "exchange_current_density": KINETICS["li_liquid"]["exchange_current_density"],
        "alpha_a": Value(0.5, "-", "symmetric charge transfer assumed"),
        "alpha_c": Value(0.5, "-", "symmetric charge transfer assumed"),
        "nucleation_overpotential": Value(0.040, "V", "Yan et al., Nat. Energy 1, 16010 (2016): ~40 mV Li nucleation overpotential on bare Cu"),
    },
    "li_on_au": {
        "exchange_current_density": KINETICS["li_liquid"]["exchange_current_density"],
        "alpha_a": Value(0.5, "-", "symmetric charge transfer assumed"),
        "alpha_c": Value(0.5, "-", "symmetric charge transfer assumed"),
        "nucleation_overpotential": Value(0.0, "V", "Yan et al. (2016): no nucleation barrier on Au (Li dissolves into Au before Li metal nucleates)"),
    },
}

# Li | solid-electrolyte interfaces: an exchange current density i0 = RT / (F ASR_ct)
# from a measured charge-transfer area-specific resistance.
KINETICS |= {
    "li_llzo": {
        "exchange_current_density": Value(128.0, "A/m^2", "from ASR_ct ~2 ohm cm^2 of a clean, heat-treated Li|LLZO interface (Sharafi et al., Chem. Mater. 29, 7961 (2017)): i0 = RT/(F ASR)"),
        "alpha_a": Value(0.5, "-", "symmetric charge transfer assumed"),
        "alpha_c": Value(0.5, "-", "symmetric charge transfer assumed"),
    },
    "li_argyrodite": {
        "exchange_current_density": Value(26.0, "A/m^2", "representative: ASR_ct ~10 ohm cm^2 for Li|Li6PS5Cl after initial SEI formation (order reported in Wenzel et al., Solid State Ionics 318, 102 (2018)); i0 = RT/(F ASR)"),
        "alpha_a": Value(0.5, "-", "symmetric charge transfer assumed"),
        "alpha_c": Value(0.5, "-", "symmetric charge transfer assumed"),
    },
}

# Electronic conductors of the host (finite electronic conductivity, [host] section).
HOSTS: dict[str, dict[str, Value]] = {
    "Cu": {
        "conductivity": Value(5.96e7, "S/m", "CRC Handbook of Chemistry and Physics: electrical resistivity of Cu 1.678e-8 ohm m at 20 C (sigma = 5.96e7 S/m)"),
    },
}

LIBRARIES = {"electrolyte": ELECTROLYTES, "kinetics": KINETICS, "host": HOSTS}


def preset(library: str, name: str) -> dict[str, float]:
    """Values of preset ``name`` from ``library`` as a plain SI dict."""
    table = LIBRARIES[library]
    if name not in table:
        raise ConfigError(f"unknown {library} preset {name!r}; known presets: {', '.join(sorted(table))}")
    return {key: v.value for key, v in table[name].items()}


def sources(library: str, name: str) -> dict[str, str]:
    return {key: f"{v.value:g} {v.unit}: {v.source}" for key, v in LIBRARIES[library][name].items()}
