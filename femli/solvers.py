"""PETSc option presets, in one place for every model.

``iterative`` (default): Newton with backtracking line search and CG. One field:
smoothed-aggregation algebraic multigrid (GAMG; the wheel's PETSc has no hypre).
Several fields: an additive fieldsplit with one GAMG per field (block Jacobi
over the fields), which keeps the operator symmetric so CG still applies. The
Jacobians femli builds are symmetric positive (semi-)definite: conductivity
stiffness plus a kinetic mass on the electrode surfaces, which couples the host
and electrolyte blocks symmetrically ([[K + M, -M], [-M, K_s + M]]).
``direct``: MUMPS LU, for small problems or as a check.
"""

from itertools import count

_GAMG = {
    "pc_type": "gamg",
    "pc_gamg_type": "agg",
    "pc_gamg_agg_nsmooths": 1,
    "pc_gamg_threshold": 0.02,
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_pc_type": "jacobi",
    "mg_levels_ksp_max_it": 2,
    # Newton changes only the kinetics' values, not the sparsity: keep the coarse spaces
    "pc_gamg_reuse_interpolation": True,
}


class PetscOptions(dict):
    """PETSc options (name relative to a prefix -> value) that remember which keys the user gave
    (``solver.petsc_options``): the problem checks after its first solve that PETSc used each of them."""

    user: tuple[str, ...] = ()


def petsc_options(solver, fields: tuple[str, ...] = ("phi",), linear: bool = False, symmetric: bool = True) -> PetscOptions:
    """PETSc options for a :class:`femli.config.Solver` section and the problem's field names.

    ``linear``: the residual is linear in the unknowns, so one Krylov solve is the
    answer (a second Newton step would only re-assemble and re-set-up the
    multigrid to confirm it). ``symmetric = False`` (salt transport: migration and the
    diffusion potential couple c and phi one way each) takes GMRES and a multiplicative
    fieldsplit (block Gauss-Seidel over the fields) instead of CG and block Jacobi.
    """
    opts = {
        "snes_type": "ksponly" if linear else "newtonls",
        "snes_rtol": solver.newton_rtol,
        "snes_atol": solver.newton_atol,
        "snes_stol": solver.newton_stol,
        "snes_max_it": solver.newton_max_it,
    }
    if not linear:
        opts["snes_linesearch_type"] = "bt"
    if solver.method == "direct":
        opts |= {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
    else:
        opts |= {"ksp_type": "cg" if symmetric else "gmres", "ksp_rtol": solver.krylov_rtol, "ksp_max_it": solver.krylov_max_it}
        if len(fields) == 1:
            opts |= _GAMG
        else:
            opts |= {"pc_type": "fieldsplit", "pc_fieldsplit_type": "additive" if symmetric else "multiplicative"}
            for name in fields:
                opts[f"fieldsplit_{name}_ksp_type"] = "preonly"
                opts |= {f"fieldsplit_{name}_{k}": v for k, v in _GAMG.items()}
    opts |= dict(solver.petsc_options)  # the user's word stays final
    out = PetscOptions(opts)
    out.user = tuple(solver.petsc_options)
    return out


_prefixes = count()


def unique_prefix(name: str) -> str:
    """PETSc options are global: every solver gets its own prefix."""
    return f"femli_{name}_{next(_prefixes)}_"
