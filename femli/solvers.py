"""PETSc option presets and a Newton driver that reports what happened.

``iterative`` (default): Newton with backtracking line search, CG preconditioned
by smoothed-aggregation algebraic multigrid (GAMG; the wheel's PETSc has no
hypre). The Jacobians femli builds here are symmetric positive definite (a
conductivity stiffness plus a positive kinetic boundary mass), so CG applies.
``direct``: MUMPS LU, for small problems or as a check.
"""

from dataclasses import dataclass, field
from itertools import count

from femli.errors import SolverError

_prefixes = count()


def petsc_options(solver) -> dict:
    """PETSc options for a :class:`femli.config.Solver` section."""
    opts = {
        "snes_type": "newtonls",
        "snes_linesearch_type": "bt",
        "snes_rtol": solver.newton_rtol,
        "snes_atol": solver.newton_atol,
        "snes_stol": solver.newton_stol,
        "snes_max_it": solver.newton_max_it,
    }
    if solver.method == "iterative":
        opts |= {
            "ksp_rtol": solver.krylov_rtol,
            "ksp_max_it": solver.krylov_max_it,
            "ksp_type": "cg",
            "pc_type": "gamg",
            "pc_gamg_type": "agg",
            "pc_gamg_agg_nsmooths": 1,
            "pc_gamg_threshold": 0.02,
            "mg_levels_ksp_type": "chebyshev",
            "mg_levels_pc_type": "jacobi",
            "mg_levels_ksp_max_it": 2,
            # Newton changes only the boundary-mass values, not the sparsity: keep the coarse spaces
            "pc_gamg_reuse_interpolation": True,
        }
    else:
        opts |= {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
    opts |= dict(solver.petsc_options)
    return opts


def unique_prefix(name: str) -> str:
    """PETSc options are global: every solver gets its own prefix."""
    return f"femli_{name}_{next(_prefixes)}_"


@dataclass
class SolveStats:
    newton_iterations: int = 0
    krylov_iterations: int = 0
    converged: bool = False
    steps: list = field(default_factory=list)  # (load factor, newton its, krylov its, reason)

    def as_dict(self) -> dict:
        return {
            "newton_iterations": self.newton_iterations,
            "krylov_iterations": self.krylov_iterations,
            "krylov_per_newton": self.krylov_iterations / max(self.newton_iterations, 1),
            "converged": self.converged,
            "continuation_steps": len(self.steps),
        }


def newton_solve(problem, stats: SolveStats, load: float) -> int:
    """One SNES solve; returns PETSc's converged reason and records iterations."""
    from petsc4py import PETSc

    try:
        problem.solve()
    except PETSc.Error as err:  # e.g. a bad petsc_options entry or a failed factorisation
        raise SolverError(f"PETSc failed during the Newton solve at load factor {load:.3g}: {err}") from None
    snes = problem.solver
    reason = snes.getConvergedReason()
    its, lits = snes.getIterationNumber(), snes.getLinearSolveIterations()
    stats.newton_iterations += its
    stats.krylov_iterations += lits
    stats.steps.append((load, its, lits, reason))
    return reason


def solve_with_continuation(problem, solution, set_load, steps: int, min_step: float = 1.0 / 64) -> SolveStats:
    """Ramp the load factor 0 -> 1 (``set_load(s)``), halving the step after a failed Newton solve.

    The solution of the last converged step is the initial guess of the next,
    which keeps Newton inside its basin for stiff exponential kinetics.
    """
    stats = SolveStats()
    done, step = 0.0, 1.0 / steps
    saved = solution.x.array.copy()
    while done < 1.0 - 1e-12:
        target = min(1.0, done + step)
        set_load(target)
        reason = newton_solve(problem, stats, target)
        if reason > 0:
            done, saved = target, solution.x.array.copy()
            continue
        solution.x.array[:] = saved
        step /= 2
        if step < min_step:
            raise SolverError(
                f"Newton did not converge at load factor {target:.3g} of the applied current "
                f"(PETSc SNES reason {reason}: {_reason_name(reason)}) even with steps of {2 * step:.3g}; "
                "try a smaller current density, solver.method = 'direct', or a finer mesh"
            )
    stats.converged = True
    return stats


def _reason_name(reason: int) -> str:
    from petsc4py import PETSc

    names = {v: k for k, v in vars(PETSc.SNES.ConvergedReason).items() if isinstance(v, int)}
    return names.get(reason, "unknown")
