"""femli: finite-element multiphysics for lithium-metal anodes."""

__version__ = "0.1.0"

try:  # the DOLFINx wheel orders MPI ahead of petsc4py/dolfinx; it must load first
    import dolfinx_solver  # noqa: F401
except ImportError:  # a site or container DOLFINx needs no preparation
    pass

from femli.config import Study, load_study, study_from_dict  # noqa: E402
from femli.errors import ConfigError, FemliError, GeometryError, SolverError  # noqa: E402


def run(study, out=None, comm=None, resume=False):
    """Run a study (a :class:`Study` or a path to a study file); returns a :class:`femli.runner.RunResult`.
    ``resume``: a transient run continues from its last checkpoint."""
    from femli.runner import run_study

    return run_study(study if isinstance(study, Study) else load_study(study), out=out, comm=comm, resume=resume)


def sweep(path, out=None, comm=None, fresh=False):
    """Run a sweep file; returns its table rows (one dict per case). Finished cases in ``out``
    are reused unless ``fresh``."""
    from femli.sweeps import load_sweep, run_sweep

    s = load_sweep(path)
    return run_sweep(s, out or f"results/{s.base.name}_sweep", comm=comm, fresh=fresh)


__all__ = ["sweep", "Study", "load_study", "study_from_dict", "run", "FemliError", "ConfigError", "GeometryError", "SolverError"]
