"""One nonlinear problem for any number of fields, solved by PETSc SNES.

Physics pieces contribute residual terms per field; the problem sums them, derives
the (blocked) Jacobian and hands both to one SNES. Two things make it cheaper
than assembling everything at every Newton step:

- the terms of *linear* pieces (bulk conduction, a prescribed inflow) give a
  Jacobian that never changes: it is assembled once and each Newton step adds
  only the nonlinear (kinetics) terms to a copy of it;
- several fields get a PETSc fieldsplit preconditioner (one algebraic multigrid
  per field, femli.solvers) through index sets of each field's rows.

``solve(set_load, steps)`` ramps a load factor 0 -> 1 (the applied current or
voltage), halving the step after a failed Newton solve: one continuation path
for every model.
"""

from dataclasses import dataclass, field

import ufl
from dolfinx import fem
from dolfinx.fem import petsc as fpetsc
from dolfinx.fem.bcs import bcs_by_block
from dolfinx.fem.forms import extract_function_spaces

from femli import signals
from femli.errors import ConfigError, SolverError
from femli.solvers import unique_prefix


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


def _derivative(F, u, du):
    """dF/du[du] with derivatives expanded; None when F does not depend on u."""
    if F is None:
        return None
    J = ufl.algorithms.expand_derivatives(ufl.derivative(F, u, du))
    return None if J.empty() else J


def _sum(forms):
    forms = [f for f in forms if f is not None]
    return sum(forms[1:], forms[0]) if forms else None


class CoupledProblem:
    """The residual of ``pieces`` for ``fields``, with Dirichlet ``bcs``, as one SNES.

    ``options`` are PETSc options relative to this problem's prefix (from
    femli.solvers); they stay in PETSc's database while the problem lives, so the
    fieldsplit sub-solvers created at set-up find theirs.
    """

    def __init__(self, fields, pieces, bcs, options: dict, name: str, entity_maps=None):
        from petsc4py import PETSc

        self.fields, self.pieces, self.bcs = list(fields), list(pieces), list(bcs)
        self.entity_maps = entity_maps or None
        linear = {f: [] for f in self.fields}
        nonlinear = {f: [] for f in self.fields}
        for piece in self.pieces:
            for f, form in piece.residual().items():
                (linear if piece.linear else nonlinear)[f].append(form)
        self.residual_forms = [_sum(linear[f] + nonlinear[f]) for f in self.fields]
        u = [f.u for f in self.fields]
        du = [ufl.TrialFunction(f.space) for f in self.fields]

        def jacobian(residuals):
            return [[_derivative(Fi, uj, duj) for uj, duj in zip(u, du)] for Fi in residuals]

        J_lin = jacobian([_sum(linear[f]) for f in self.fields])
        J_nl = jacobian([_sum(nonlinear[f]) for f in self.fields])
        J = [[_sum([a, b]) for a, b in zip(ra, rb)] for ra, rb in zip(J_lin, J_nl)]
        blocked = len(self.fields) > 1

        def compile(forms):
            if not blocked:
                return None if forms[0][0] is None else fem.form(forms[0][0], entity_maps=self.entity_maps)
            return [[None if a is None else fem.form(a, entity_maps=self.entity_maps) for a in row] for row in forms]

        self.F = fem.form(self.residual_forms, entity_maps=self.entity_maps) if blocked else \
            fem.form(self.residual_forms[0], entity_maps=self.entity_maps)
        # the constant part pays off when Newton takes more than one step; every diagonal
        # block of the varying part must exist for blocked assembly with Dirichlet rows
        nl_diagonal = [J_nl[i][i] is not None for i in range(len(self.fields))]
        constant_part = any(a is not None for row in J_lin for a in row)
        self._split = constant_part and any(a is not None for row in J_nl for a in row) and all(nl_diagonal)
        # the whole Jacobian is compiled only when it is assembled whole
        self.J = None if self._split else compile(J)
        self.J_nl = compile(J_nl) if self._split else None
        J_lin = compile(J_lin) if self._split else None
        kind = "mpi" if blocked else None
        if self._split and blocked:
            # the pattern: bulk blocks where they exist (they hold the kinetic terms of their field
            # too), the kinetic (interface) blocks elsewhere
            pattern = [[a if a is not None else b for a, b in zip(ra, rb)] for ra, rb in zip(J_lin, self.J_nl)]
        else:
            pattern = J_lin if self._split else self.J
        self.A = fpetsc.create_matrix(pattern, kind=kind)
        # a piece's near-nullspace of its field (elasticity: the rigid-body modes) lets algebraic
        # multigrid build coarse spaces that represent them; one field only (no fieldsplit)
        provider = next((p for p in self.pieces if hasattr(p, "near_nullspace")), None)
        self.near_nullspace = provider.near_nullspace() if provider is not None and not blocked else None
        if self.near_nullspace is not None:
            self.A.setNearNullSpace(self.near_nullspace)
        if blocked:
            # DOLFINx's pattern for an interface (dS) form on sub-mesh spaces couples every interface
            # cell with a placeholder dof (the side a sub-mesh does not have): stored zeros that make
            # GAMG's coarse levels dense (23x slower, 9x the memory at 350k dofs). Let the first
            # assembly keep only entries it sets to non-zero values; a later value where the first
            # had an exact zero may still allocate.
            self.A.setOption(PETSc.Mat.Option.IGNORE_ZERO_ENTRIES, True)
            self.A.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, False)
        self._A_lin = None
        if self._split:
            # PETSc drops never-set entries at the final assembly, and the copy in _jacobian must
            # keep the whole pattern: one field's kinetic terms lie inside the cells' pattern of the
            # bulk terms; the blocks' interface coupling does not, so both set the pattern at once
            if blocked:
                fpetsc.assemble_matrix(self.A, self.J_nl, self.bcs, diag=1.0)
                self.A.assemble(PETSc.Mat.AssemblyType.FLUSH)  # between inserted and added values; keeps the space
            fpetsc.assemble_matrix(self.A, J_lin, self.bcs, diag=1.0)
            self.A.assemble()
            if blocked:
                self._A_lin = self.A.duplicate(copy=False)
                fpetsc.assemble_matrix(self._A_lin, J_lin, self.bcs, diag=1.0)
                self._A_lin.assemble()
            else:
                self._A_lin = self.A.copy()
        spaces = [f.space for f in self.fields]
        self.b = fpetsc.create_vector(spaces if blocked else spaces[0], kind=kind)
        self.x = fpetsc.create_vector(spaces if blocked else spaces[0], kind=kind)
        self._u = u if blocked else u[0]

        self.prefix = unique_prefix(name)
        self.snes = PETSc.SNES().create(self.A.comm)
        self.snes.setOptionsPrefix(self.prefix)
        self._blocks = self.b.getAttr("_blocks")
        self._bc_rows = bcs_by_block(extract_function_spaces(self.F), self.bcs) if blocked else self.bcs
        self.snes.setFunction(self._residual, self.b)
        self.snes.setConvergenceHistory(reset=True)  # residual norms of the last solve (newton(strict=True))
        self.snes.setJacobian(self._jacobian, self.A, None)
        self._options = dict(options)
        # the user's own keys (femli.solvers.PetscOptions.user): checked once PETSc has read its options
        self._user_keys = tuple(getattr(options, "user", ()))
        db = PETSc.Options()
        # a problem built but never solved (an error in between) leaves its options unread:
        # PETSc would list them at exit as if the user had misspelled them
        db.setValue("options_left", False)
        for k, v in self._options.items():
            db[f"{self.prefix}{k}"] = v
        self.snes.setFromOptions()
        pc = self.snes.getKSP().getPC()
        if blocked and pc.getType() == "fieldsplit":
            pc.setFieldSplitIS(*self._field_index_sets())

    def _field_index_sets(self):
        """Global rows of each field in the blocked system (owned part of every field, in order)."""
        from petsc4py import PETSc

        start = self.A.getOwnershipRange()[0]
        out = []
        for f in self.fields:
            n = f.space.dofmap.index_map.size_local * f.space.dofmap.index_map_bs
            out.append((f.name, PETSc.IS().createStride(n, start, 1, comm=self.A.comm)))
            start += n
        return out

    def _residual(self, snes, x, b):
        """F(x) with the Dirichlet rows x - g. Every Newton solve starts on its Dirichlet values
        (``solve``) and the Jacobian's Dirichlet rows are identity rows, so x = g there throughout
        and DOLFINx's lifting (a Jacobian-sized assembly per residual) would add exactly zero."""
        from petsc4py import PETSc

        x.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)
        fpetsc.assign(x, self._u)
        if self._blocks is not None:
            b.setAttr("_blocks", self._blocks)
            x.setAttr("_blocks", self._blocks)
        with b.localForm() as local:
            local.set(0.0)
        fpetsc.assemble_vector(b, self.F)
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        fpetsc.set_bc(b, self._bc_rows, x0=x, alpha=-1.0)
        b.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)

    def _jacobian(self, snes, x, J, P):
        from petsc4py import PETSc

        x.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)
        fpetsc.assign(x, self._u)
        if self._split:
            # the pattern can only have grown since A_lin was made from it (see __init__)
            total = PETSc.Mat.InfoType.GLOBAL_SUM  # every rank must take the same (collective) path
            same = J.getInfo(total)["nz_used"] == self._A_lin.getInfo(total)["nz_used"]
            Structure = PETSc.Mat.Structure
            self._A_lin.copy(J, structure=Structure.SAME_NONZERO_PATTERN if same else Structure.SUBSET_NONZERO_PATTERN)
            fpetsc.assemble_matrix(J, self.J_nl, self.bcs, diag=1.0)
        else:
            J.zeroEntries()
            fpetsc.assemble_matrix(J, self.J, self.bcs, diag=1.0)
        J.assemble()

    def newton(self, stats: SolveStats, load: float, strict: bool = False) -> int:
        """One SNES solve from the fields' present values; returns PETSc's converged reason.

        ``strict``: a stop on a small Newton step (snes_stol) counts as converged only if the
        residual met the tolerances too; otherwise the reason is STAGNATED (a time step is then
        retried shorter instead of accepting an unbalanced state).
        """
        from petsc4py import PETSc

        fpetsc.assign(self._u, self.x)
        try:
            self.snes.solve(None, self.x)
        except PETSc.Error as err:  # e.g. a bad petsc_options entry or a failed factorisation
            if signals.received():  # the interrupt arrived inside a PETSc callback
                raise signals.Interrupted(signals.received()) from None
            where = f"t = {load:.4g} s" if strict else f"load factor {load:.3g}"  # strict: a time step
            raise SolverError(f"PETSc failed during the Newton solve at {where}: {err}") from None
        self._check_options_used()
        self.x.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)
        fpetsc.assign(self.x, self._u)
        reason = self.snes.getConvergedReason()
        its, lits = self.snes.getIterationNumber(), self.snes.getLinearSolveIterations()
        stats.newton_iterations += its
        stats.krylov_iterations += lits
        if strict and reason == PETSc.SNES.ConvergedReason.CONVERGED_SNORM_RELATIVE:
            norms = self.snes.getConvergenceHistory()[0]
            rtol, atol = self.snes.getTolerances()[:2]
            if len(norms) and norms[-1] > 10 * max(atol, rtol * norms[0]):
                reason = STAGNATED
        stats.steps.append((load, its, lits, reason))
        return reason

    def solve(self, set_load, steps: int = 1, min_step: float = 1.0 / 64, what: str = "the applied current") -> SolveStats:
        """Ramp the load factor 0 -> 1 (``set_load(s)``), halving the step after a failed Newton solve.

        The solution of the last converged step is the initial guess of the next,
        which keeps Newton inside its basin for stiff exponential kinetics. Each
        Newton solve starts on its Dirichlet values, so the residual holds
        currents only and newton_rtol measures the charge balance.
        """
        try:
            return self._continuation(set_load, steps, min_step, what)
        finally:
            self.close()  # the sub-solvers have read their options by now

    def _continuation(self, set_load, steps, min_step, what) -> SolveStats:
        stats = SolveStats()
        done, step = 0.0, 1.0 / steps
        saved = self._save()
        while done < 1.0 - 1e-12:
            target = min(1.0, done + step)
            set_load(target)
            for bc in self.bcs:
                bc.set(self._field_of(bc).u.x.array)
            reason = self.newton(stats, target)
            if reason > 0:
                done, saved = target, self._save()
                continue
            self._restore(saved)
            step /= 2
            if step < min_step:
                raise SolverError(
                    f"Newton did not converge at load factor {target:.3g} of {what} "
                    f"(PETSc SNES reason {reason}: {_reason_name(reason)}) even with steps of {2 * step:.3g}; "
                    "try a smaller current density, solver.method = 'direct', or a finer mesh"
                )
        stats.converged = True
        return stats

    def _check_options_used(self):
        """After the first solve every PETSc object (fieldsplit sub-solvers included) has read its
        options: a user option PETSc never queried is misspelled or has no effect, and is refused."""
        from petsc4py import PETSc

        keys, self._user_keys = self._user_keys, ()  # once
        if not keys:
            return
        db = PETSc.Options()
        unused = [k for k in keys if not db.used(f"{self.prefix}{k}")]
        unused = self.A.comm.tompi4py().bcast(unused, root=0)  # every rank raises alike
        if unused:
            names = ", ".join(repr(k) for k in unused)
            raise ConfigError(
                f"solver.petsc_options: PETSc did not use {names} (a misspelled option name, or one that has "
                "no effect with this solver set-up); check the name in the PETSc manual"
            )

    def _field_of(self, bc):
        for f in self.fields:
            if f.space._cpp_object.contains(bc.function_space):
                return f
        raise ValueError("a Dirichlet condition on none of the problem's fields")

    def _save(self):
        return [f.u.x.array.copy() for f in self.fields]

    def _restore(self, saved):
        for f, values in zip(self.fields, saved):
            f.u.x.array[:] = values

    def close(self):
        """Drop this problem's options from PETSc's global database."""
        from petsc4py import PETSc

        db = PETSc.Options()
        for k in self._options:
            db.delValue(f"{self.prefix}{k}")
        self._options = {}

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


STAGNATED = -100  # femli's: stopped on a small step with the residual above its tolerances


def _reason_name(reason: int) -> str:
    from petsc4py import PETSc

    names = {v: k for k, v in vars(PETSc.SNES.ConvergedReason).items() if isinstance(v, int)} | {STAGNATED: "STAGNATED"}
    return names.get(reason, "unknown")
