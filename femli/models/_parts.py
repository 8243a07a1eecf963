"""What every model reads from a study the same way: conductivities, electrode kinetics
by surface, graded profiles over the host height, and the drive at the counter boundary."""

import ufl
from dolfinx import fem

from femli.core.model import Drive
from femli.errors import ConfigError
from femli.geometry.base import is_electrode_surface
from femli.physics.conduction import Inflow
from femli.physics.kinetics import Kinetics


def height_profile(study, bundle, points, msh):
    """Piecewise-linear factor over the host's height fraction (1 without points), in ``msh``'s coordinates."""
    if not points:
        return 1.0
    z = (ufl.SpatialCoordinate(msh)[2] - bundle.info.z_collector) / study.geometry.host_top
    factor = points[-1][1]  # above the last point
    for (z0, f0), (z1, f1) in reversed(list(zip(points, points[1:]))):
        factor = ufl.conditional(ufl.lt(z, z1), f0 + (f1 - f0) * (z - z0) / (z1 - z0), factor)
    return ufl.conditional(ufl.lt(z, points[0][0]), points[0][1], factor)


def electrolyte_conductivity(study, bundle, volume) -> tuple[fem.Function, dict]:
    """kappa per named volume of the ion conductor, as a DG0 field on ``volume``'s mesh;
    returns (kappa, {volume name: tag})."""
    volumes = {n: tag for n, (d, tag) in bundle.names.items() if d == 3 and tag in volume.tags}
    unknown = sorted(set(study.phases) - set(volumes))
    if unknown:
        raise ConfigError(f"phases: {unknown} are not volumes of this geometry; its volumes are {sorted(volumes)}")
    values = {}
    for name in volumes:
        if name == "electrolyte":
            values[name] = study.electrolyte.conductivity
        elif name in study.phases:
            values[name] = study.phases[name].conductivity
        else:
            raise ConfigError(f"the geometry has a volume {name!r} without a conductivity: add [phases.{name}]")
    kappa = fem.Function(fem.functionspace(volume.mesh, ("DG", 0)), name="conductivity")
    dofs = kappa.function_space.dofmap.list[:, 0]
    for name, tag in volumes.items():
        kappa.x.array[dofs[volume.cell_tags.find(tag)]] = values[name]
    kappa.x.scatter_forward()
    return kappa, volumes


def electrode_kinetics(study, bundle) -> dict:
    """{surface name: (tag, kinetics(mesh) -> Kinetics)} for every non-insulating electrode of the geometry."""
    names = bundle.names
    missing = [n for n in names if names[n][0] == 2 and is_electrode_surface(n) and n not in study.kinetics]
    if missing:
        raise ConfigError(
            f"the geometry has electrode surface(s) {missing} without kinetics: add [kinetics.{missing[0]}] "
            "(model = 'insulating' if it should carry no current)"
        )
    T = study.operating.temperature
    out = {}
    for name, k in study.kinetics.items():
        # e.g. host_coated when the coating fraction is 0: nothing to plate on, not an error
        if k.model == "insulating" or name not in names:
            continue

        def kinetics(msh, k=k):
            # without a mesh: the law's constants only (what is linear, what is primary)
            factor = 1.0 if msh is None else height_profile(study, bundle, k.exchange_current_profile, msh)
            return Kinetics(k.model, k.exchange_current_density * factor, k.alpha_a, k.alpha_c, T,
                            k.film_resistance, k.nucleation_overpotential, k.nucleation_width)

        out[name] = (bundle.tag(name), kinetics)
    if not out:
        raise ConfigError(
            f"kinetics: none of {list(study.kinetics)} is an electrode surface of this geometry "
            f"(or all are 'insulating'); its surfaces are {sorted(n for n, (d, _) in names.items() if d == 2)}"
        )
    return out


def drive(study, bundle, phi, ds) -> tuple[Drive, list, list]:
    """The counter boundary: an inflow piece (galvanostatic) or a Dirichlet condition on phi
    (potentiostatic). Returns (drive, pieces, bcs); ``ds`` is the measure the residual uses."""
    op = study.operating
    galvanostatic = op.mode == "galvanostatic"
    target = op.current_density if galvanostatic else op.voltage
    value = fem.Constant(bundle.mesh, target)
    tag = bundle.tag(op.counter)
    d = Drive(galvanostatic, value, target, tag)
    if galvanostatic:
        return d, [Inflow(phi, value, ds(tag))], []
    return d, [], [fem.dirichletbc(value, phi.tagged_dofs(tag), phi.space)]


def all_linear(pieces) -> bool:
    return all(p.linear for p in pieces)


__all__ = ["height_profile", "electrolyte_conductivity", "electrode_kinetics", "drive", "all_linear"]
