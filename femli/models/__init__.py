"""Coupled problems composed from femli.physics pieces."""

from femli.models.host_conduction import HostConduction
from femli.models.secondary_current import SecondaryCurrent

MODELS = {"secondary_current": SecondaryCurrent, "host_conduction": HostConduction}


def create_model(study, mesh):
    """The model of ``study.model.kind``; a [host] section selects finite host conduction."""
    if getattr(study, "host", None) is not None:
        return HostConduction(study, mesh)
    return MODELS[study.model.kind](study, mesh)
