"""Checkpoints of a long transient run, so that a killed run resumes (``femli run --resume``).

A checkpoint is one ``.npz`` per rank (the rank's own dof values: fields, time history,
surface state) plus ``meta.json`` (written last, by rank 0, atomically): a checkpoint
without its meta.json is incomplete and ignored, so a kill while writing loses at most
one interval. The folder sits beside the result folder (``<out>.femli-checkpoint``),
outside the run's staging folder, which a new run clears.

The local arrays follow the mesh partition: a checkpoint resumes only on the same
number of ranks, the same mesh and the same study; anything else is refused with the
reason (the run can start again without --resume).
"""

import json
import pickle
import shutil
import time
from pathlib import Path

import numpy as np

from femli.atomic import atomic_path, write_json
from femli.errors import FemliError

SUFFIX = ".femli-checkpoint"


class Checkpoints:
    def __init__(self, out: Path, comm, identity: dict, every: float):
        self.folder = Path(out).with_name(Path(out).name + SUFFIX)
        self.comm, self.identity, self.every = comm, identity, every
        self._last = time.monotonic()
        self._number = 0

    def due(self) -> bool:
        """Wall time since the last checkpoint passed ``every`` (decided on rank 0 for all)."""
        due = time.monotonic() - self._last >= self.every
        return self.comm.bcast(due, root=0)

    def save(self, state: dict):
        """``state``: this rank's picklable dict (numpy arrays inside); collective."""
        self._number += 1
        k = self._number
        if self.comm.rank == 0:
            self.folder.mkdir(parents=True, exist_ok=True)
        self.comm.barrier()
        with atomic_path(self.folder / f"state-{k}-rank{self.comm.rank}.pkl") as tmp:
            Path(tmp).write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
        self.comm.barrier()
        if self.comm.rank == 0:
            write_json(self.folder / "meta.json", {**self.identity, "number": k, "written": time.time()})
            for old in self.folder.glob(f"state-{k - 1}-rank*.pkl"):
                old.unlink(missing_ok=True)
        self._last = time.monotonic()

    def load(self) -> dict | None:
        """This rank's state of the last complete checkpoint, or None when there is none;
        FemliError when it belongs to another set-up."""
        meta = None
        if self.comm.rank == 0 and (self.folder / "meta.json").is_file():
            meta = json.loads((self.folder / "meta.json").read_text())
        meta = self.comm.bcast(meta, root=0)
        if meta is None:
            return None
        for key, value in self.identity.items():
            if meta.get(key) != value:
                raise FemliError(
                    f"--resume: the checkpoint in {self.folder} is of another run ({key} {meta.get(key)!r}, this run "
                    f"{value!r}); run without --resume to start again (the checkpoint is then replaced)")
        self._number = meta["number"]
        path = self.folder / f"state-{self._number}-rank{self.comm.rank}.pkl"
        if not path.is_file():
            raise FemliError(f"--resume: checkpoint file {path} is missing; run without --resume to start again")
        return pickle.loads(path.read_bytes())

    def clear(self):
        """After a finished run (collective)."""
        self.comm.barrier()
        if self.comm.rank == 0:
            shutil.rmtree(self.folder, ignore_errors=True)


def dof_fingerprint(space) -> float:
    """A number that changes when this rank's dofs sit elsewhere (another partition or mesh)."""
    x = space.tabulate_dof_coordinates()
    return float(np.round(np.abs(x).sum() * 1e6 + len(x), 3))
