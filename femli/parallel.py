"""The MPI world, with a clear error when DOLFINx is missing."""

from femli.errors import MissingDependencyError


def ensure_dolfinx():
    try:
        import dolfinx  # noqa: F401
        from mpi4py import MPI  # noqa: F401
    except ImportError as err:
        raise MissingDependencyError(
            f"DOLFINx is not importable ({err}). Install femli with the 'fenics' extra "
            "(pip install 'femli[fenics]') or use a DOLFINx 0.11 installation or container."
        ) from None


def world():
    ensure_dolfinx()
    from mpi4py import MPI

    return MPI.COMM_WORLD
