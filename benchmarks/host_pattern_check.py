#!/usr/bin/env python3
"""Diagnostic: explicit zeros in the host-conduction Jacobian's sparsity pattern, and what they cost GAMG.

    .venv/bin/python benchmarks/host_pattern_check.py               # pattern statistics, size_min 1.2 um
    .venv/bin/python benchmarks/host_pattern_check.py --timing      # + solve time with the zeros dropped

For each diagonal block of the blocked Jacobian (potential, host_potential) it
reports the stored entries, how many are explicit zeros, and the "hub": the
column holding the most explicit zeros and the farthest distance such an entry
spans. Every entry of the pattern, zero or not, enters GAMG's smoothed
prolongator and its Galerkin products, so one row coupled to thousands of
far-away dofs makes the coarse levels dense.

--timing runs the perfect-conductor study and the host study (BV, iterative)
as femli does, then the host study again with the zeros dropped from the
pattern (femli's CoupledProblem patched *in this process only*: its matrices are
rebuilt from the nonzero CSR entries and ignore insertions outside the pattern).
Same Newton/Krylov counts and separator potential are expected; only the time
changes. A diagnostic, not a fix: femli itself is unchanged. One rank.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from run_benchmarks import HOST_CONDUCTIVITY, studies  # noqa: E402


def pattern_stats(problem) -> list[dict]:
    import numpy as np

    out = []
    for (name, iset), field in zip(problem._field_index_sets(), problem.fields):
        block = problem.A.createSubMatrix(iset, iset)
        ai, aj, av = block.getValuesCSR()
        rows = np.repeat(np.arange(len(ai) - 1), np.diff(ai))
        zero = av == 0.0
        x = field.space.tabulate_dof_coordinates()
        span = np.linalg.norm(x[rows] - x[aj], axis=1)
        cols, counts = np.unique(aj[zero], return_counts=True)
        out.append({
            "field": name,
            "rows": int(block.getSize()[0]),
            "stored": int(len(av)),
            "explicit_zeros": int(zero.sum()),
            "hub_column": int(cols[np.argmax(counts)]) if len(cols) else None,
            "hub_zeros": int(counts.max()) if len(cols) else 0,
            "max_span_um_zeros": float(span[zero].max() * 1e6) if zero.any() else 0.0,
            "max_span_um_nonzeros": float(span[~zero].max() * 1e6),
        })
        block.destroy()
    return out


def drop_zeros_from_pattern():
    """Patch CoupledProblem (this process): rebuild A and its constant part from the nonzero CSR entries."""
    import numpy as np
    from petsc4py import PETSc

    import femli.core.problem as cp

    def nonzero_copy(A):
        ai, aj, av = A.getValuesCSR()
        keep = av != 0.0
        rows = np.repeat(np.arange(len(ai) - 1), np.diff(ai))[keep]
        ai2 = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(ai) - 1))]).astype(PETSc.IntType)
        B = PETSc.Mat().createAIJ(A.getSizes(), csr=(ai2, aj[keep].astype(PETSc.IntType), av[keep]), comm=A.comm)
        B.setLGMap(*A.getLGMap())  # blocked assembly goes through MatGetLocalSubMatrix
        B.setOption(PETSc.Mat.Option.NEW_NONZERO_LOCATIONS, False)  # the assembler's zeros are ignored
        B.assemble()
        return B

    init = cp.CoupledProblem.__init__

    def patched(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if len(self.fields) > 1 and self._split:
            A = nonzero_copy(self.A)
            A_lin = A.duplicate(copy=False)
            A_lin.setOption(PETSc.Mat.Option.NEW_NONZERO_LOCATIONS, False)
            ai, aj, av = self._A_lin.getValuesCSR()
            A_lin.setValuesCSR(ai, aj, av)
            A_lin.assemble()
            self.A, self._A_lin = A, A_lin
            self.snes.setJacobian(self._jacobian, self.A, None)  # the fieldsplit's index sets are unchanged

    cp.CoupledProblem.__init__ = patched


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=float, default=1.2, help="mesh.size_min in um (default 1.2)")
    p.add_argument("--host-conductivity", default=HOST_CONDUCTIVITY)
    p.add_argument("--timing", action="store_true", help="also time the solve with the zeros dropped")
    p.add_argument("--cache", type=Path, default=HERE / ".cache" / "meshes", help="mesh cache (FEMLI_CACHE)")
    args = p.parse_args(argv)
    os.environ["FEMLI_CACHE"] = str(args.cache.resolve())

    import femli
    from mpi4py import MPI

    from femli.mesh import build_mesh
    from femli.models import create_model

    comm = MPI.COMM_WORLD
    if comm.size > 1:
        sys.exit("host_pattern_check.py runs on one rank")
    variants = studies(args.size, args.host_conductivity)
    host = variants["host_iterative"]
    bundle = build_mesh(host.geometry, host.mesh, comm, key=host.mesh_hash())
    model = create_model(host, bundle)
    print(f"host conduction, size_min {args.size:g} um, {model.dofs():,} dofs: diagonal blocks of the Jacobian")
    for s in pattern_stats(model.problem):
        print(f"  {s['field']:15s} rows {s['rows']:>8,}  stored {s['stored']:>9,}  explicit zeros {s['explicit_zeros']:>8,}"
              f"  hub: column {s['hub_column']} holds {s['hub_zeros']:,} of them;  farthest coupling "
              f"{s['max_span_um_zeros']:.1f} um (zeros) vs {s['max_span_um_nonzeros']:.1f} um (nonzeros)")
    del model, bundle
    if not args.timing:
        return 0
    runs = [("perfect conductor", variants["butler_volmer"]), ("host, femli pattern", host)]
    results = {}
    for name, study in runs + [("host, zeros dropped", host)]:
        if name == "host, zeros dropped":
            drop_zeros_from_pattern()
        for r in range(2):  # the second run of each is the one reported (JIT and first touch in the first)
            m = femli.run(study, out=HERE / ".cache" / "runs" / "pattern_check", comm=comm).metrics
        results[name] = m
    print("\nsolve times (second run of each; noisy machine: compare within this run)")
    for name, m in results.items():
        s = m["solver"]
        print(f"  {name:22s} dofs {m['mesh']['dofs']:>8,}  Newton {s['newton_iterations']}  Krylov {s['krylov_iterations']:3d}  "
              f"solve {m['timing']['solve']:.2f} s  separator potential {m['cell']['separator_potential']:.12e} V")
    t = {k: v["timing"]["solve"] for k, v in results.items()}
    print(f"  host / perfect: femli pattern {t['host, femli pattern'] / t['perfect conductor']:.2f}, "
          f"zeros dropped {t['host, zeros dropped'] / t['perfect conductor']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
