"""Secondary current distribution in an ohmic ion conductor, the electrode a perfect conductor.

    div(kappa grad phi) = 0                  in every conducting volume (kappa per volume)
    -kappa grad(phi).n = -i_app              on the counter boundary (galvanostatic), or
    phi = V                                  on the counter boundary (potentiostatic)
    -kappa grad(phi).n = -i_loc(eta)         on each electrode surface, eta = phi_s - phi - U
    -kappa grad(phi).n = 0                   elsewhere (insulating walls, voids, mirror planes)

The electrode sits at phi_s = 0 and U = 0 (Li/Li+), so eta = -phi. The same
equations describe a liquid electrolyte (secondary current distribution) and a
single-ion solid electrolyte (c constant), with grains, grain boundaries and
interlayers as volumes of their own conductivity. Primary surfaces (infinitely
fast kinetics) hold phi = 0 strongly.
"""

import ufl

from femli.core.domains import Domain
from femli.core.fields import Field
from femli.core.model import Model
from femli.models import _parts
from femli.physics.conduction import Conduction
from femli.physics.electrode import BoundaryElectrode, PrimaryElectrode
from femli.solvers import petsc_options


def secondary_current(study, bundle) -> Model:
    domain = Domain(bundle)
    electrolyte = domain.volumes["electrolyte"]
    kappa, volumes = _parts.electrolyte_conductivity(study, bundle, electrolyte)
    phi = Field("potential", electrolyte, study.model.degree, kappa, len(volumes) > 1)
    ds = ufl.Measure("ds", domain=bundle.mesh, subdomain_data=bundle.facet_tags)
    pieces = [Conduction(phi, kappa, domain.dx)]
    drive, inflow, bcs = _parts.drive(study, bundle, phi, ds)
    pieces += inflow
    for name, (tag, kinetics) in _parts.electrode_kinetics(study, bundle).items():
        if kinetics(None).is_primary:
            piece = PrimaryElectrode(name, tag, kinetics, phi, ds)
            bcs += piece.bcs()
        else:
            piece = BoundaryElectrode(name, tag, kinetics, phi, ds, ds)
        pieces.append(piece)
    options = petsc_options(study.solver, ("potential",), linear=_parts.all_linear(pieces))
    return Model("secondary", study, bundle, domain, [phi], pieces, bcs, drive, options, volumes)
