"""Binary electrolyte, concentrated-solution theory (Newman), in weak form.

Unknowns: the salt concentration c and the electrolyte potential phi (vs a Li
reference electrode). In the electrolyte

    dc/dt = div(D grad c) - i.grad(t+) / F
    div i = 0,     i = -kappa grad(phi) + kappa_D grad(ln c),
    kappa_D = 2 R T kappa (1 - t+) (1 + dln f/dln c) / F,

with kappa, D, t+ and the thermodynamic factor functions of c (and T). On an
electrode surface with local anodic current i_loc (n out of the electrolyte)

    i.n = -i_loc,       -D grad(c).n = (1 - t+) (i.n) / F = -(1 - t+) i_loc / F,

so the salt leaves the electrolyte where Li plates (i_loc < 0) and enters where
it strips. Tested with w and integrated by parts:

    int dc/dt w + D grad c . grad w + (i.grad t+ / F) w dx - sum_e int (1 - t+) i_loc / F w ds_e = 0
    int (kappa grad phi - kappa_D grad c / c) . grad w dx - sum_e int i_loc w ds_e = 0

(the second line's boundary sum is the electrode pieces' own residual). The
dilute limit (constant D, t+ and a thermodynamic factor of 1) and, with c held
at its bulk value, the ohmic model of femli.models.secondary_current are special
cases. Properties are evaluated at max(c, c_floor): Newton iterates may dip
below zero near depletion, where ln c and c^alpha have no real value.
"""

import ufl

from femli.physics.constants import FARADAY, GAS_CONSTANT


class ElectrolyteProperties:
    """kappa(c), D(c), t+(c), the thermodynamic factor and kappa_D(c) as UFL, from a
    femli.electrolytes model at temperature ``temperature``."""

    def __init__(self, model, temperature: float, floor: float, xp=None):
        if xp is None:
            from femli.electrolytes import UFL as xp
        self.model, self.T, self.floor, self._xp = model, temperature, floor, xp

    def positive(self, c):
        return ufl.max_value(c, self.floor)

    def conductivity(self, c):
        return self.model.conductivity(self.positive(c), self.T, self._xp)

    def diffusivity(self, c):
        return self.model.diffusivity(self.positive(c), self.T, self._xp)

    def transference_number(self, c):
        return self.model.transference_number(self.positive(c), self.T, self._xp)

    def thermodynamic_factor(self, c):
        return self.model.thermodynamic_factor(self.positive(c), self.T, self._xp)

    def diffusional_conductivity(self, c):
        """kappa_D = 2 R T kappa (1 - t+) (1 + dln f/dln c) / F (A/m): the current per unit grad(ln c)."""
        return (2 * GAS_CONSTANT * self.T / FARADAY) * self.conductivity(c) * (1 - self.transference_number(c)) \
            * self.thermodynamic_factor(c)


def current_density(c, phi, props: ElectrolyteProperties):
    """i = -kappa grad(phi) + kappa_D grad(c) / c."""
    return -props.conductivity(c) * ufl.grad(phi) + props.diffusional_conductivity(c) * ufl.grad(c) / props.positive(c)


class ElectrolyteCurrent:
    """div i = 0 for the potential field (the electrode pieces add the surface currents)."""

    linear = False

    def __init__(self, phi, c, props: ElectrolyteProperties, dx):
        self.field, self.c, self.props, self.dx = phi, c, props, dx

    def current_density(self):
        return current_density(self.c.u, self.field.u, self.props)

    def residual(self) -> dict:
        return {self.field: -ufl.inner(self.current_density(), ufl.grad(self.field.test)) * self.dx}

    def dissipation(self):
        """Joule heating int |i|^2 / kappa dx (W); the rest of the cell's power goes to the
        concentration overpotential and the charge transfer."""
        i = self.current_density()
        return ufl.inner(i, i) / self.props.conductivity(self.c.u) * self.dx


class SaltTransport:
    """Salt balance for the concentration field: storage, diffusion, migration where t+ varies,
    and the salt fluxes of the electrode surfaces (``electrodes``: pieces with ``local_current()``
    and their measure) and of a Li counter electrode (``counter``: (current density in, ds)).
    The residual is the salt balance times F (A)."""

    linear = False

    def __init__(self, c, phi, props: ElectrolyteProperties, rate, dx, electrodes=(), counter=None):
        self.field, self.phi, self.props, self.rate, self.dx = c, phi, props, rate, dx
        self.electrodes, self.counter = list(electrodes), counter

    def residual(self) -> dict:
        c, w, p = self.field.u, self.field.test, self.props
        i = current_density(c, self.phi.u, p)
        t_plus = p.transference_number(c)
        F = (self.rate * w + ufl.inner(p.diffusivity(c) * ufl.grad(c), ufl.grad(w))) * self.dx
        if isinstance(t_plus, ufl.core.expr.Expr):  # a number has no gradient
            F += ufl.inner(i, ufl.grad(t_plus)) / FARADAY * w * self.dx
        for e in self.electrodes:
            F -= (1 - t_plus) * e.local_current() / FARADAY * w * e.ds(e.tag)
        if self.counter is not None:
            current_in, ds = self.counter
            F -= (1 - t_plus) * current_in / FARADAY * w * ds
        # in amperes (x F), like the charge balance: one Newton tolerance serves both equations
        return {self.field: FARADAY * F}

    def amount(self):
        """int c dx (mol): the salt in the electrolyte."""
        return self.field.u * self.dx

