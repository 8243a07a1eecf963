"""Models: short compositions of femli.physics pieces on the femli.core problem."""

from femli.models.host_conduction import host_conduction
from femli.models.secondary_current import secondary_current
from femli.models.transient_transport import transient_transport

MODELS = {"secondary_current": secondary_current, "transient_transport": transient_transport}


def create_model(study, mesh):
    """The model of ``study.model.kind``; a [host] section adds finite host conduction."""
    if getattr(study, "host", None) is not None:
        return host_conduction(study, mesh)
    return MODELS[study.model.kind](study, mesh)
