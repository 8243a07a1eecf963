"""From a geometry spec to a distributed DOLFINx mesh with named tags.

Rank 0 runs Gmsh (geometry, 3D mesh, quality) and writes ``<key>.msh`` plus
``<key>.json`` into the mesh cache; every later run with the same key reads
them instead. The mesh always reaches DOLFINx through the .msh file, so a fresh
and a cached run see the identical mesh. DOLFINx then distributes it over the
communicator. Any failure on rank 0 becomes a GeometryError on every rank.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import gmsh
import numpy as np

from femli import signals
from femli.errors import ConfigError, GeometryError
from femli.geometry import _occ
from femli.geometry.base import GeometryInfo, GeometrySpec, MeshOptions
from femli.geometry.builders import build as build_geometry

if TYPE_CHECKING:
    import dolfinx


@dataclass
class MeshBundle:
    mesh: dolfinx.mesh.Mesh
    cell_tags: dolfinx.mesh.MeshTags
    facet_tags: dolfinx.mesh.MeshTags
    names: dict[str, tuple[int, int]]  # physical name -> (dim, tag)
    info: GeometryInfo
    quality: dict  # cells, vertices, min/mean_quality (minSICN), min/max_edge (m)
    hash: str
    cached: bool
    timing: dict  # seconds: geometry (0 when cached), mesh
    rebuilt: str | None = None  # why a corrupt cache entry was rebuilt (None: it was not)

    def tag(self, name: str, dim: int = 2) -> int:
        found = self.names.get(name)
        if found is None or found[0] != dim:
            available = ", ".join(sorted(n for n, (d, _) in self.names.items() if d == dim)) or "none"
            other = f" ({name!r} is {found[0]}D)" if found else ""
            raise ConfigError(f"the geometry has no {dim}D region named {name!r}{other}; available: {available}")
        return found[1]

    def has(self, name: str) -> bool:
        return name in self.names


def cache_directory(cache_dir: str | Path | None = None) -> Path:
    if cache_dir is None:
        cache_dir = os.environ.get("FEMLI_CACHE") or Path.home() / ".cache" / "femli" / "meshes"
    return Path(cache_dir).expanduser()


@contextlib.contextmanager
def _gmsh_session(name: str):
    """A fresh gmsh model; initialise/finalise gmsh unless the caller already did."""
    owner = not gmsh.isInitialized()
    if owner:
        # interruptible=False: gmsh may not install signal handlers off the main thread
        with signals.kept():  # gmsh puts back the default SIGINT/SIGTERM handlers
            gmsh.initialize(readConfigFiles=False, interruptible=False)
    gmsh.option.setNumber("General.Terminal", 1 if os.environ.get("FEMLI_GMSH_VERBOSE") else 0)
    gmsh.model.add(name)
    try:
        yield
    finally:
        if owner:
            gmsh.finalize()
        else:
            gmsh.model.remove()


def _atomic_write(path: Path, write) -> None:
    """``write(tmp)`` then rename, so readers never see a half-written cache file."""
    # keep the suffix: gmsh picks the file format from it
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quality() -> dict:
    types, elem_tags, elem_nodes = gmsh.model.mesh.getElements(3)
    if list(types) != [4]:
        raise GeometryError(f"expected a pure linear tetrahedral mesh, got Gmsh element types {list(types)}")
    q = gmsh.model.mesh.getElementQualities(elem_tags[0], "minSICN")
    node_tags, coords, _ = gmsh.model.mesh.getNodes()
    xyz = np.zeros((int(node_tags.max()) + 1, 3))
    xyz[node_tags.astype(np.int64)] = coords.reshape(-1, 3)
    tets = elem_nodes[0].astype(np.int64).reshape(-1, 4)
    pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    edges = np.concatenate([np.linalg.norm(xyz[tets[:, a]] - xyz[tets[:, b]], axis=1) for a, b in pairs])
    return {
        "cells": int(len(tets)),
        "vertices": int(len(np.unique(tets))),
        "min_quality": float(q.min()),
        "mean_quality": float(q.mean()),
        "min_edge": float(edges.min()),
        "max_edge": float(edges.max()),
    }


def _generate(geometry: GeometrySpec, options: MeshOptions, path: Path) -> tuple[GeometryInfo, dict, dict]:
    """Build, mesh and write ``path`` (.msh) and its .json; returns (info, quality, timing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = "building the geometry"
    with _gmsh_session(path.stem):
        try:
            t0 = time.perf_counter()
            info = build_geometry(geometry, options)
            gmsh.model.occ.synchronize()
            t1 = time.perf_counter()
            stage = "meshing"
            # one thread: HXT's result depends on the thread count
            gmsh.option.setNumber("General.NumThreads", 1)
            gmsh.option.setNumber("Mesh.Algorithm3D", options.algorithm3d)
            gmsh.option.setNumber("Mesh.Optimize", int(options.optimize))
            gmsh.model.mesh.generate(3)
            if not any(len(t) for t in gmsh.model.mesh.getElements(3)[1]):
                raise GeometryError(f"{type(geometry).__name__}: Gmsh produced no tetrahedra (empty 3D mesh)")
            unit = _occ.declared_unit()
            if unit != 1.0:
                gmsh.model.mesh.affineTransform([unit, 0, 0, 0, 0, unit, 0, 0, 0, 0, unit, 0])
            quality = _quality()
            t2 = time.perf_counter()
        except GeometryError:
            raise
        except Exception as exc:
            # the gmsh API raises plain Exception carrying Gmsh's last error message
            cause = f"Gmsh: {exc}" if type(exc) is Exception else f"{type(exc).__name__}: {exc}"
            raise GeometryError(f"{type(geometry).__name__}: failed while {stage} ({cause})") from None
        gmsh.option.setNumber("Mesh.Binary", 1)
        digest = {}

        def write(tmp):
            gmsh.write(str(tmp))
            digest["sha256"] = _sha256(tmp)

        _atomic_write(path, write)
    # the .json goes last and carries the .msh's hash: a reader trusts the pair only if both agree
    meta = {"info": dataclasses.asdict(info), "quality": quality, "msh_sha256": digest["sha256"]}
    _atomic_write(path.with_suffix(".json"), lambda tmp: tmp.write_text(json.dumps(meta, indent=2)))
    return info, quality, {"geometry": t1 - t0, "mesh": t2 - t1}


def generate_msh(geometry: GeometrySpec, options: MeshOptions, path: str | Path) -> tuple[GeometryInfo, dict]:
    """Rank-0 part of :func:`build_mesh`: write ``path`` (.msh, metres) and its .json."""
    info, quality, _ = _generate(geometry, options, Path(path))
    return info, quality


class _CorruptEntry(Exception):
    """A cache entry that cannot be trusted; the message says why."""


def _read_meta(path: Path, msh: Path | None = None) -> tuple[GeometryInfo, dict]:
    """The entry's .json; with ``msh``, also check the .msh is the file the .json was written for."""
    try:
        meta = json.loads(path.read_text())
        info = dict(meta["info"])
        info["bounds"] = tuple(tuple(float(v) for v in corner) for corner in info["bounds"])
        info, quality = GeometryInfo(**info), dict(meta["quality"])
        int(quality["cells"])
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:  # JSONDecodeError is a ValueError
        raise _CorruptEntry(f"{path.name} is unreadable ({type(exc).__name__}: {exc})") from None
    if msh is not None:
        if meta.get("msh_sha256") != _sha256(msh):
            raise _CorruptEntry(f"{msh.name} does not match the checksum in {path.name}")
        try:  # the checksum vouches for the content; this opens it for the caller
            gmsh.open(str(msh))
        except Exception as exc:  # noqa: BLE001 - gmsh raises plain Exception
            raise _CorruptEntry(f"Gmsh cannot read {msh.name} ({exc})") from None
    return info, quality


def _root_prepare(geometry, options, msh: Path, use_cache: bool):
    """Rank 0: make sure the cache files exist, verify them and open the mesh in gmsh.

    A cache entry that fails verification (truncated or edited .msh or .json, one of
    the pair missing) is rebuilt, never used and never fatal; the reason is returned.
    """
    meta = msh.with_suffix(".json")
    timing = {"geometry": 0.0, "mesh": 0.0}
    rebuilt = None
    t0 = time.perf_counter()
    if use_cache and (msh.exists() or meta.exists()):
        try:
            if not (msh.is_file() and meta.is_file()):
                raise _CorruptEntry(f"{(meta if msh.is_file() else msh).name} is missing")
            info, quality = _read_meta(meta, msh)
            return info, quality, True, timing, t0, None
        except _CorruptEntry as exc:
            rebuilt = f"mesh cache entry {msh.with_suffix('')} is corrupt ({exc}); rebuilt it"
            with contextlib.suppress(Exception):
                gmsh.model.remove()  # whatever a failed open left behind
            gmsh.model.add(msh.stem)
    _, _, timing = _generate(geometry, options, msh)
    t0 = time.perf_counter()
    try:  # just written: no checksum test (a concurrent run may have replaced it with its own equal mesh)
        info, quality = _read_meta(meta)
    except _CorruptEntry as exc:
        raise GeometryError(f"{type(geometry).__name__}: the mesh just written to {msh} cannot be read back ({exc})") from None
    gmsh.open(str(msh))
    return info, quality, False, timing, t0, rebuilt


def _wait_for_root(comm) -> None:
    """Sleep rather than spin in MPI while rank 0 runs Gmsh (the cores may be shared)."""
    request = comm.Ibarrier()
    while comm.rank != 0 and not request.Test():
        time.sleep(0.01)
    request.Wait()


def build_mesh(
    geometry: GeometrySpec,
    options: MeshOptions,
    comm,
    key: str,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
) -> MeshBundle:
    """Collective: the distributed mesh of ``geometry``, cached under ``key``.

    A corrupt cache entry is rebuilt (rank 0 decides); the bundle's ``rebuilt`` says why
    and rank 0 prints a warning.
    """
    from dolfinx.io import gmsh as gmshio

    try:  # every rank decides alike, before Gmsh: nothing to broadcast
        options.check_cells(geometry)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    msh = cache_directory(cache_dir) / f"{key}.msh"
    root = comm.rank == 0
    with _gmsh_session(key) if root else contextlib.nullcontext():
        error = payload = None
        if root:
            try:
                payload = _root_prepare(geometry, options, msh, use_cache)
            except GeometryError as exc:
                error = str(exc)
            except Exception as exc:
                error = f"{type(geometry).__name__}: cannot mesh ({type(exc).__name__}: {exc}); cache file {msh}"
        _wait_for_root(comm)
        error = comm.bcast(error, root=0)
        if error is not None:
            raise GeometryError(error)
        try:
            kw = {}
            if getattr(geometry, "mesh_host", False):
                # host|electrolyte interface facets on process boundaries must see both their cells
                from dolfinx import mesh as dmesh

                kw["partitioner"] = dmesh.create_cell_partitioner(dmesh.GhostMode.shared_facet, 2)
            data = gmshio.model_to_mesh(gmsh.model, comm, 0, gdim=3, **kw)
        except Exception as exc:
            raise GeometryError(f"DOLFINx could not read the Gmsh mesh {msh}: {exc}") from None
    if root:  # "mesh" time includes reading the file and distributing it
        info, quality, cached, timing, t0, rebuilt = payload
        timing["mesh"] += time.perf_counter() - t0
        payload = (info, quality, cached, timing, rebuilt)
        if rebuilt:
            print(f"femli: warning: {rebuilt}", file=sys.stderr, flush=True)
    info, quality, cached, timing, rebuilt = comm.bcast(payload, root=0)
    names = {name: (int(g.dim), int(g.tag)) for name, g in data.physical_groups.items()}
    return MeshBundle(data.mesh, data.cell_tags, data.facet_tags, names, info, quality, key, cached, timing, rebuilt)
