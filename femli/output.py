"""What a run leaves behind: fields for ParaView, metrics.json, manifest.json.

Fields are written collectively into a temporary folder that rank 0 renames
to ``fields/`` once complete; JSON files are written by rank 0 with an atomic
rename. A failed run still writes metrics.json with its status and error.
"""

import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path

from dolfinx import fem, io

from femli.atomic import write_json


def write_fields(out: Path, comm, volume: dict, surface) -> Path:
    """Volume fields (P1 potential, DG0 current density) and the surface current (DG0 on the electrode facets)."""
    tmp = out / ".fields.partial"
    final = out / "fields"
    if comm.rank == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    comm.barrier()
    phi = volume["potential"]
    msh = phi.function_space.mesh
    if phi.function_space.element.basix_element.degree != 1:  # XDMF stores fields at the mesh's degree
        P1 = fem.functionspace(msh, ("Lagrange", 1))
        phi_out = fem.Function(P1, name=phi.name)
        phi_out.interpolate(phi)
    else:
        phi_out = phi
    with io.XDMFFile(comm, str(tmp / "volume.xdmf"), "w") as f:
        f.write_mesh(msh)
        f.write_function(phi_out)
        for name, u in volume.items():
            if name != "potential":
                f.write_function(u)
    with io.XDMFFile(comm, str(tmp / "electrode_surface.xdmf"), "w") as f:
        f.write_mesh(surface.submesh)
        f.write_function(surface.current)
        f.write_function(surface.surface_id())
    comm.barrier()
    if comm.rank == 0:
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
    comm.barrier()
    return final


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
