"""Exceptions that carry a message meant for the user.

Anything femli raises on purpose derives from ``FemliError``; the CLI prints its
message (no traceback) and exits with status 2.
"""


class FemliError(Exception):
    """Base class: a problem the user can fix, described in plain words."""


class ConfigError(FemliError):
    """The study file or study object is invalid (names the offending key)."""


class GeometryError(FemliError):
    """The geometry cannot be built (names the parameter or the Gmsh cause)."""


class SolverError(FemliError):
    """A solve did not converge (names the solver and the PETSc reason)."""


class MissingDependencyError(FemliError):
    """An optional dependency (DOLFINx, PETSc) is not importable."""
