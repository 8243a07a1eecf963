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
