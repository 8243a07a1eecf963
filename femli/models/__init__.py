"""Coupled problems composed from femli.physics pieces."""

from femli.models.secondary_current import SecondaryCurrent

MODELS = {"secondary_current": SecondaryCurrent}


def create_model(study, mesh):
    return MODELS[study.model.kind](study, mesh)
