"""Which Gmsh builder constructs which geometry spec.

Specs (pillar.py, hosts.py, disk.py, planar.py, sse.py) describe and validate; builders
(the ``_*_build`` modules) construct in Gmsh and import the specs they build.
This table joins the two, so a spec never imports its builder and no module
imports in a circle.
"""

from femli.geometry._disk_build import build_disk_electrode
from femli.geometry._host_build import build_channel_array, build_fiber_mat, build_open_foam, build_stacked_screens
from femli.geometry._pillar_build import build_pillar_array
from femli.geometry._planar_build import build_planar_cell
from femli.geometry._sse_build import build_sse_cell
from femli.geometry.base import GeometryInfo, GeometrySpec, MeshOptions

BUILDERS = {
    "pillar_array": build_pillar_array,
    "fiber_mat": build_fiber_mat,
    "open_foam": build_open_foam,
    "channel_array": build_channel_array,
    "stacked_screens": build_stacked_screens,
    "disk_electrode": build_disk_electrode,
    "planar_cell": build_planar_cell,
    "sse_cell": build_sse_cell,
}


def build(spec: GeometrySpec, mesh: MeshOptions) -> GeometryInfo:
    """Fill the current gmsh model with ``spec``'s volumes, named groups and size fields."""
    return BUILDERS[spec.kind](spec, mesh)
