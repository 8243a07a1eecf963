"""SIGINT and SIGTERM end a run cleanly: status "interrupted", what was computed kept.

A batch scheduler ends a job at its time limit with SIGTERM; a user presses
Ctrl-C (SIGINT). Both raise :class:`Interrupted` in the main thread. Under MPI
only rank 0 reacts (the others ignore the signals): it records the interrupted
run and then ends every rank with MPI_Abort (femli.cli), because another rank
may be waiting in a collective call that rank 0 will never join.

An interrupt that arrives inside a PETSc callback surfaces as a PETSc error;
:func:`received` tells the solver that the error was the interrupt.
"""

import contextlib
import signal
import threading


class Interrupted(KeyboardInterrupt):
    """The run was stopped by SIGINT or SIGTERM."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


_received: list[int] = []


def received() -> int | None:
    """The signal number that interrupted this process, if any."""
    return _received[-1] if _received else None


def _handler(signum, frame):
    _received.append(signum)
    raise Interrupted(signum)


@contextlib.contextmanager
def kept():
    """Keep this process's SIGINT/SIGTERM handlers across a library call that resets them
    (gmsh.initialize puts back the defaults)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in saved.items():
            if h is not None:
                signal.signal(s, h)


@contextlib.contextmanager
def interruptible(comm):
    """Within: SIGINT/SIGTERM raise Interrupted on rank 0 and are ignored on the other ranks."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread (e.g. a notebook worker)
        return
    try:  # PETSc installs its own handlers when it starts: start it first, then take over
        from petsc4py import PETSc  # noqa: F401
    except ImportError:
        pass
    handler = _handler if comm.rank == 0 else signal.SIG_IGN
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    _received.clear()
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
