"""What a run leaves behind: fields for ParaView, metrics.json, manifest.json.

Everything is written into the run's staging folder (femli.results): fields
collectively, JSON files by rank 0 with an atomic rename. A failed run still
writes metrics.json with its status and error.
"""

import platform
import sys
from importlib import metadata
from pathlib import Path

from dolfinx import fem, io

from femli.atomic import write_json


def write_fields(out: Path, comm, volumes: dict, surface) -> Path:
    """Every field by the volume it lives on (``volume.xdmf`` for the electrolyte, ``<volume>.xdmf``
    for the others, e.g. the host's phi_s) and the surface current (DG0 on the electrode facets).

    ``out`` is the run's staging folder (femli.results), which replaces the result
    folder as a whole when the run ends: no partial ``fields/`` is ever seen."""
    from femli.results import on_root

    tmp = out / "fields"
    on_root(comm, tmp.mkdir, parents=True, exist_ok=True)
    for volume, functions in volumes.items():
        _write_volume(tmp / ("volume.xdmf" if volume == "electrolyte" else f"{volume}.xdmf"), comm, functions)
    with io.XDMFFile(comm, str(tmp / "electrode_surface.xdmf"), "w") as f:
        f.write_mesh(surface.submesh)
        f.write_function(surface.current)
        f.write_function(surface.surface_id())
    return tmp


def _write_volume(path: Path, comm, functions: dict) -> None:
    """One mesh and its functions; Lagrange fields above degree 1 go out at the vertices
    (XDMF stores fields at the mesh's degree)."""
    msh = next(iter(functions.values())).function_space.mesh
    with io.XDMFFile(comm, str(path), "w") as f:
        f.write_mesh(msh)
        for u in functions.values():
            if u.function_space.ufl_element().embedded_superdegree <= 1:
                f.write_function(u)
                continue
            P1 = fem.functionspace(msh, ("Lagrange", 1))
            u1 = fem.Function(P1, name=u.name)
            u1.interpolate(u)
            f.write_function(u1)


def versions() -> dict:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for pkg in ("femli", "fenics-dolfinx", "dolfinx-solver-real", "petsc4py", "mpi4py", "gmsh", "numpy", "scipy", "pint", "pydantic"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    try:
        import dolfinx

        out["dolfinx"] = dolfinx.__version__
    except ImportError:
        pass
    return out


def write_run_files(out: Path, metrics: dict, manifest: dict) -> None:
    """Rank 0 only."""
    write_json(out / "metrics.json", metrics)
    write_json(out / "manifest.json", manifest)
