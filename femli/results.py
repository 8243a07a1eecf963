"""A run's result folder holds one run's outputs, always consistent.

A run writes into a staging folder beside ``out`` and, when it ends (ok,
failed or interrupted), rank 0 swaps the staging folder in for ``out`` as a
whole: a folder never mixes the fields of one run with the metrics of another,
and a run killed outright (SIGKILL) leaves the previous contents untouched. A
lock file beside ``out`` keeps a second run from writing into the same folder
at the same time (a stale lock of a dead process on this host is taken over).

Rank-0-only steps go through :func:`on_root`, so a failure there reaches every
rank instead of leaving the others waiting in the next collective call.
"""

import os
import shutil
import socket
import uuid
from pathlib import Path

from femli.errors import FemliError

STAGING, OLD, LOCK = ".femli-staging-", ".femli-old-", ".femli-lock"


class RankFailure(FemliError):
    """A step that runs on rank 0 alone failed there (reported on the other ranks)."""


def on_root(comm, fn, *args, **kw):
    """``fn`` on rank 0 only; an exception there is raised on every rank. Returns fn's value on rank 0."""
    result, error = None, None
    if comm.rank == 0:
        try:
            result = fn(*args, **kw)
        except BaseException as err:  # noqa: BLE001 - re-raised below, on every rank
            error = err
    message = None if error is None else (str(error) or type(error).__name__)
    message = comm.bcast(message, root=0) if comm.size > 1 else message
    if message is not None:
        if comm.rank == 0:
            raise error
        raise RankFailure(message)
    return result


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ResultFolder:
    """``out`` and its staging folder. ``open`` and ``commit`` are collective in the normal
    path; ``commit(collective=False)`` is for rank 0 alone (an interrupted run)."""

    def __init__(self, out: Path, comm):
        self.out, self.comm = Path(out), comm
        self.lock = self.out.with_name(self.out.name + LOCK)
        self.stage = None

    def open(self) -> Path:
        stage = on_root(self.comm, self._open)
        self.stage = Path(self.comm.bcast(stage, root=0) if self.comm.size > 1 else stage)
        return self.stage

    def _open(self) -> str:
        out = self.out
        if out.exists() and not out.is_dir():
            raise FemliError(f"--out {out}: exists and is not a folder; choose a folder for the results")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            self._take_lock()
        except PermissionError as err:
            raise FemliError(f"--out {out}: cannot write there ({err.strerror})") from None
        try:
            self._clean_leftovers()
            stage = out.with_name(f"{out.name}{STAGING}{uuid.uuid4().hex[:8]}")
            stage.mkdir()
        except BaseException:
            self.lock.unlink(missing_ok=True)
            raise
        return str(stage)

    def _take_lock(self):
        me = f"{os.getpid()} {socket.gethostname()}"
        for _ in range(2):
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                os.write(fd, me.encode())
                os.close(fd)
                return
            except FileExistsError:
                owner = self.lock.read_text().split() if self.lock.is_file() else []
                if len(owner) == 2 and owner[1] == socket.gethostname() and owner[0].isdigit() and not _alive(int(owner[0])):
                    self.lock.unlink(missing_ok=True)  # left by a run that was killed
                    continue
                who = f"pid {owner[0]} on {owner[1]}" if len(owner) == 2 else "another process"
                raise FemliError(f"--out {self.out}: the folder is in use by another femli run ({who}); "
                                 f"wait for it or choose another --out (remove {self.lock} if that run is gone)") from None
        raise FemliError(f"--out {self.out}: cannot take the lock {self.lock}")

    def _clean_leftovers(self):
        """Staging and old folders of killed runs into this ``out`` (we hold the lock: nobody uses them)."""
        for prefix in (STAGING, OLD):
            for path in self.out.parent.glob(f"{self.out.name}{prefix}*"):
                shutil.rmtree(path, ignore_errors=True)

    def commit(self, write_files, collective: bool = True):
        """``write_files(stage)`` on rank 0, then the staging folder replaces ``out`` as a whole."""
        if collective:
            on_root(self.comm, self._commit, write_files)
        elif self.comm.rank == 0:
            self._commit(write_files)

    def _commit(self, write_files):
        try:
            write_files(self.stage)
            old = self.out.with_name(f"{self.out.name}{OLD}{uuid.uuid4().hex[:8]}")
            if self.out.exists():
                self.out.rename(old)
            self.stage.rename(self.out)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            self.lock.unlink(missing_ok=True)
