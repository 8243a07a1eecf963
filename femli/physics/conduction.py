"""Ohmic conduction, i = -kappa grad(phi), div i = 0, in weak form.

Multiplying div i = 0 by a test function v and integrating by parts gives
    int kappa grad(phi).grad(v) dx + int (i.n) v ds = 0,
so every boundary contributes its normal current i.n (positive out of the
domain) through the terms below.
"""

import ufl


def current_density(phi, kappa):
    return -kappa * ufl.grad(phi)


def conduction(phi, v, kappa, dx):
    """Bulk term  int kappa grad(phi).grad(v) dx."""
    return ufl.inner(kappa * ufl.grad(phi), ufl.grad(v)) * dx


def inflow(current_in, v, ds):
    """A current density entering the domain (i.n = -current_in): - int current_in v ds."""
    return -current_in * v * ds


def electrode(i_loc, v, ds):
    """An electrode surface with local anodic current i_loc (i.n = -i_loc): - int i_loc v ds."""
    return -i_loc * v * ds


class Conduction:
    """div(sigma grad u) = 0 in a volume (``dx`` restricts to it): the ohmic piece of a model."""

    linear = True

    def __init__(self, field, conductivity, dx):
        self.field, self.conductivity, self.dx = field, conductivity, dx

    def residual(self) -> dict:
        return {self.field: conduction(self.field.u, self.field.test, self.conductivity, self.dx)}

    def dissipation(self):
        """Joule heating int sigma |grad u|^2 dx (W)."""
        u = self.field.u
        return self.conductivity * ufl.inner(ufl.grad(u), ufl.grad(u)) * self.dx

    def current_density(self):
        return current_density(self.field.u, self.conductivity)


class Inflow:
    """A prescribed current density entering ``field``'s volume through ``ds`` (galvanostatic drive)."""

    linear = True

    def __init__(self, field, current_in, ds):
        self.field, self.current_in, self.ds = field, current_in, ds

    def residual(self) -> dict:
        return {self.field: inflow(self.current_in, self.field.test, self.ds)}
