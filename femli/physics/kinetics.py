"""Interfacial charge-transfer kinetics.

Sign convention (DESIGN.md): i_loc is the anodic-positive local current density
leaving the electrode, i.n = -i_loc with n pointing out of the electrolyte, and
eta = phi_s - phi - U. Plating is cathodic: eta < 0, i_loc < 0.

Butler-Volmer   i_loc = i0 [exp(aa f eta) - exp(-ac f eta)],   f = F/RT
linear          i_loc = i0 (aa + ac) f eta           (small |eta|)
tafel           i_loc = -i0 exp(-ac f eta)           (cathodic, |eta| >> RT/F)
primary         eta = 0                              (infinitely fast kinetics)

Nucleation barrier. A surface without Li (bare Cu, a lithiophobic host) must be
driven past its nucleation overpotential eta_n before Li nucleates; a
lithiophilic surface (Au, Ag, ZnO) has eta_n ~ 0. femli multiplies the
charge-transfer law by a smooth activation of the plating overpotential

    theta(eta) = 1/2 [1 + tanh((-eta - eta_n) / w)],

so the surface is inactive for |eta| well below eta_n, active above, and the
width w (a few mV) keeps Newton's Jacobian smooth. For plating (eta <= 0, where
the solution lies) theta and |i_loc| both grow with -eta, so i_loc is monotone
and the Jacobian symmetric positive definite; a Newton step overshooting into
eta > 0 meets a decreasing branch, which the line search turns back. The barrier is kept apart from i0: a coating may change nucleation,
charge transfer, or both. With eta_n = 0 no activation is applied.

A film (SEI) resistance R_f adds in series: eta = eta_ct + i_loc R_f. For the
linear law this stays explicit, i_loc = eta / (R_ct + R_f); for the exponential
laws it makes i_loc implicit and is refused until a surface unknown carries it.
"""

from dataclasses import dataclass

import ufl

from femli.errors import ConfigError
from femli.physics.constants import thermal_voltage


@dataclass(frozen=True)
class Kinetics:
    model: str
    exchange_current_density: float
    alpha_a: float
    alpha_c: float
    temperature: float
    film_resistance: float = 0.0
    nucleation_overpotential: float = 0.0
    nucleation_width: float = 0.003

    def __post_init__(self):
        if self.film_resistance > 0 and self.model in ("butler_volmer", "tafel"):
            raise ConfigError(
                f"film_resistance > 0 is supported with 'linear' or 'primary' kinetics only, not {self.model!r}"
            )

    @property
    def is_primary(self) -> bool:
        """Infinitely fast kinetics and no film: the surface sits at eta = 0 (Dirichlet)."""
        return self.model == "primary" and self.film_resistance == 0

    @property
    def charge_transfer_resistance(self) -> float:
        """R_ct = RT / (i0 (aa + ac) F), ohm m^2: the slope of BV at eta = 0."""
        return thermal_voltage(self.temperature) / (self.exchange_current_density * (self.alpha_a + self.alpha_c))

    def activation(self, eta):
        """Nucleation activation theta(eta) in [0, 1] (UFL); 1 without a barrier."""
        if self.nucleation_overpotential <= 0:
            return 1.0
        return 0.5 * (1.0 + ufl.tanh((-eta - self.nucleation_overpotential) / self.nucleation_width))

    def current(self, eta):
        """Local anodic current density i_loc(eta) as a UFL expression (A/m^2)."""
        return self.activation(eta) * self.charge_transfer(eta)

    def charge_transfer(self, eta):
        """The charge-transfer law alone, without the nucleation activation."""
        f = 1.0 / thermal_voltage(self.temperature)
        i0, aa, ac = self.exchange_current_density, self.alpha_a, self.alpha_c
        if self.model == "butler_volmer":
            return i0 * (ufl.exp(aa * f * eta) - ufl.exp(-ac * f * eta))
        if self.model == "tafel":
            return -i0 * ufl.exp(-ac * f * eta)
        if self.model == "linear":
            return eta / (self.charge_transfer_resistance + self.film_resistance)
        if self.model == "primary":
            if self.film_resistance == 0:
                raise ValueError("primary kinetics without a film is a Dirichlet condition, not a flux")
            return eta / self.film_resistance
        raise ConfigError(f"unknown kinetics model {self.model!r}")
