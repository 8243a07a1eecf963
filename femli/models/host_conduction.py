"""Secondary current with a host of finite electronic conductivity.

The host (volume ``host``, phi_s, sigma_s) and the ion conductor (every other
volume, phi, kappa per volume) are sub-meshes of one parent mesh
(femli.core.domains); one blocked Newton solves for (phi, phi_s):

    div(kappa grad phi) = 0,  div(sigma_s grad phi_s) = 0
    phi_s = 0                                on host_collector (where the host stands on the collector)
    i_loc(phi_s - phi) leaves the host and enters the electrolyte on each host surface (interface dS)
    -kappa grad(phi).n = -i_loc(-phi)        on current_collector (the bare collector, phi_s = 0)
    -kappa grad(phi).n = -i_app              on the counter boundary (galvanostatic), or phi = V

Analysis runs on the electrolyte's sub-mesh, where the host surfaces are
exterior facets; phi_s reaches it as its trace (copied through the parent after
the solve), so surface currents and balances are those of any other model.
"""

from dolfinx import fem

from femli.core.domains import Domain
from femli.core.fields import Field
from femli.core.model import Model
from femli.errors import ConfigError
from femli.models import _parts
from femli.physics.conduction import Conduction
from femli.physics.electrode import BoundaryElectrode, InterfaceElectrode
from femli.solvers import petsc_options


def host_conduction(study, bundle) -> Model:
    names = bundle.names
    if "host" not in names or names["host"][0] != 3:
        raise ConfigError("[host] needs a geometry with a meshed 'host' volume (geometry.mesh_host)")
    degree = study.model.degree
    domain = Domain(bundle, separate=("host",))
    electrolyte, host = domain.volumes["electrolyte"], domain.volumes["host"]
    kappa, volumes = _parts.electrolyte_conductivity(study, bundle, electrolyte)
    phi = Field("potential", electrolyte, degree, kappa, len(volumes) > 1)

    def sigma_s(msh):
        return study.host.conductivity * _parts.height_profile(study, bundle, study.host.conductivity_profile, msh)

    phi_s = Field("host_potential", host, degree, sigma_s(host.mesh), bool(study.host.conductivity_profile))
    # one fixed rule on every electrode surface, in the solve and in the analysis: the kinetics
    # are not polynomial, and the same rule makes the facet sums balance the applied current
    quadrature = {"quadrature_degree": 2 * degree + 2}
    ds, analysis_ds = domain.ds(quadrature), electrolyte.measure("ds", quadrature)
    pieces = [Conduction(phi, kappa, domain.dx(electrolyte.tags)), Conduction(phi_s, sigma_s(bundle.mesh), domain.dx(host.tags))]
    drive, inflow, bcs = _parts.drive(study, bundle, phi, domain.ds())
    pieces += inflow
    trace = fem.Function(phi.space, name="host_potential_trace")
    kinetics = _parts.electrode_kinetics(study, bundle)
    on_host = [n for n in kinetics if n != "current_collector"]
    dS = domain.interface("host", [kinetics[n][0] for n in on_host], quadrature)
    for name, (tag, kin) in kinetics.items():
        if kin(None).is_primary:
            raise ConfigError(f"kinetics.{name}: primary kinetics are not supported with finite host conductivity")
        if name == "current_collector":  # the bare collector beside the host: phi_s = 0
            pieces.append(BoundaryElectrode(name, tag, kin, phi, ds, analysis_ds))
        else:
            pieces.append(InterfaceElectrode(name, tag, kin, phi_s, phi, dS, analysis_ds, trace))
    if "host_collector" not in names:
        raise ConfigError("[host]: the geometry names no 'host_collector' surface where the host meets the collector")
    bcs.append(fem.dirichletbc(0.0, phi_s.tagged_dofs(bundle.tag("host_collector")), phi_s.space))
    options = petsc_options(study.solver, ("potential", "host_potential"), linear=_parts.all_linear(pieces))
    model = Model("host_conduction", study, bundle, domain, [phi, phi_s], pieces, bcs, drive, options, volumes)
    model.after_solve.append(lambda: domain.transfer(phi_s.u, trace))
    return model
