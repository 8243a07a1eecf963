"""Gmsh OCC builders. Each spec validates its inputs before Gmsh runs."""

from typing import Annotated, Union

from pydantic import Field

from femli.geometry.base import GeometryInfo, GeometrySpec, MeshOptions
from femli.geometry.disk import DiskElectrode
from femli.geometry.hosts import ChannelArray, FiberMat, OpenFoam, StackedScreens
from femli.geometry.pillar import HeightBands, PillarArray
from femli.geometry.planar import PlanarCell
from femli.geometry.sse import SolidElectrolyteCell

Geometry = Annotated[
    Union[PillarArray, FiberMat, OpenFoam, ChannelArray, StackedScreens, DiskElectrode, PlanarCell, SolidElectrolyteCell],
    Field(discriminator="kind"),
]

__all__ = [
    "Geometry", "GeometryInfo", "GeometrySpec", "MeshOptions", "HeightBands",
    "PillarArray", "FiberMat", "OpenFoam", "ChannelArray", "StackedScreens", "DiskElectrode", "PlanarCell", "SolidElectrolyteCell",
]
