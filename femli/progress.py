"""Progress of a transient run for the person watching it (rank 0 only).

In a terminal: a rich progress bar of simulated time with the step size and the last
event. In a log (batch jobs, pipes): one line per protocol step, so a Slurm log tells
how far a run got without a screen full of redraws.
"""

import math

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


class RunProgress:
    def __init__(self, comm, total_time: float, say=print):
        self.active = comm.rank == 0
        self.say = say
        self.console = Console(stderr=True)
        self.bar = None
        if self.active and self.console.is_terminal:
            self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                TextColumn("t = {task.fields[t]}  dt = {task.fields[dt]}  {task.fields[event]}"),
                                TimeElapsedColumn(), console=self.console, transient=True)
            total = total_time if math.isfinite(total_time) else None
            self.task = self.bar.add_task("transient", total=total, t="0 s", dt="-", event="")
            self.bar.start()

    def step(self, t: float, dt: float):
        if self.bar is not None:
            self.bar.update(self.task, completed=t, t=_seconds(t), dt=_seconds(dt))

    def stage(self, index: int, count: int, mode: str, t0: float, t1: float, steps: int, event: str | None):
        """A protocol step ended."""
        if not self.active:
            return
        line = (f"  protocol step {index}/{count} {mode}: {_seconds(t0)} -> {_seconds(t1)}, {steps} time steps"
                + (f", ended by {event}" if event else ""))
        if self.bar is not None:
            self.bar.update(self.task, event=f"last: {event or mode}")
            self.bar.console.print(line)
        else:
            self.say(line)

    def close(self):
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _seconds(t: float) -> str:
    if t >= 3600:
        return f"{t / 3600:.3g} h"
    if t >= 60:
        return f"{t / 60:.3g} min"
    return f"{t:.3g} s"
