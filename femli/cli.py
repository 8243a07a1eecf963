"""Command line: ``femli run | mesh | check | info``; each works under ``mpiexec -n N``.

Errors a user can fix print one message (no traceback) and exit with status 2.
"""

import argparse
import json
import sys

from femli.errors import FemliError


def _rank() -> int:
    try:
        from mpi4py import MPI

        return MPI.COMM_WORLD.rank
    except ImportError:
        return 0


def _say(*args, **kw):
    if _rank() == 0:
        print(*args, **kw, flush=True)


def _overrides(pairs: list[str]) -> dict:
    out = {}
    for item in pairs or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise FemliError(f"--set expects key=value (e.g. operating.current_density='4 mA/cm^2'), got {item!r}")
        value = value.strip()
        if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]  # quotes that a shell would have removed
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def _study(args):
    from femli.config import load_study

    study = load_study(args.study)
    return study.updated(_overrides(args.set), origin=f"{args.study} with --set") if args.set else study


def cmd_check(args) -> int:
    study = _study(args)
    _say(json.dumps(study.resolved(), indent=2))
    _say(f"# study '{study.name}' is valid (values in SI units); mesh hash {study.mesh_hash()}", file=sys.stderr)
    return 0


def cmd_run(args) -> int:
    from femli.runner import run_study

    result = run_study(_study(args), out=args.out, log=_say, resume=args.resume)
    return 0 if result.status == "ok" else 1  # e.g. "check_failed": the result is written but not trusted


def cmd_mesh(args) -> int:
    from femli.mesh import build_mesh
    from femli.parallel import world

    study = _study(args)
    comm = world()
    bundle = build_mesh(study.geometry, study.mesh, comm, key=study.mesh_hash(), use_cache=not args.no_cache)
    q = bundle.quality
    _say(f"mesh {bundle.hash}{' (from cache)' if bundle.cached else ''}: {q['cells']} tetrahedra, {q['vertices']} vertices")
    _say(f"  quality (gmsh minSICN): min {q['min_quality']:.3f}, mean {q['mean_quality']:.3f}")
    _say(f"  edge length: min {q['min_edge'] * 1e6:.3g} um, max {q['max_edge'] * 1e6:.3g} um")
    _say(f"  surfaces: {', '.join(sorted(n for n, (d, _) in bundle.names.items() if d == 2))}")
    for key, value in bundle.info.measures.items():
        _say(f"  {key}: {value:.6g}")
    _say(f"  timing: " + ", ".join(f"{k} {v:.2f} s" for k, v in bundle.timing.items()))
    return 0


def cmd_sweep(args) -> int:
    from femli.sweeps import load_sweep, run_sweep

    sweep = load_sweep(args.sweep)
    out = args.out or f"results/{sweep.base.name}_sweep"
    rows = run_sweep(sweep, out, log=_say, fresh=args.fresh)
    width = max(len(c) for c in sweep.columns)
    for row in rows:
        values = ", ".join(f"{k}={row[k]}" for k in sweep.parameters)
        _say(f"case {row['case']:3d} [{row['status']}] {values}")
        for c in sweep.columns:
            _say(f"    {c:{width}s} {row[c]}")
    _say(f"table: {out}/sweep.csv")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


def cmd_info(args) -> int:
    from femli.output import versions
    from femli.parallel import world

    comm = world()
    from petsc4py import PETSc

    info = versions()
    info["mpi_size"] = comm.size
    info["petsc"] = ".".join(map(str, PETSc.Sys.getVersion()))
    info["petsc_scalar"] = str(PETSc.ScalarType.__name__)
    info["petsc_packages"] = {
        p: bool(PETSc.Sys.hasExternalPackage(p)) for p in ("mumps", "superlu_dist", "hypre", "scalapack", "ptscotch", "hdf5")
    }
    _say(json.dumps(info, indent=2))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="femli", description="Finite-element multiphysics for lithium-metal anodes.")
    sub = p.add_subparsers(dest="command", required=True)

    def with_study(name, help_text):
        sp = sub.add_parser(name, help=help_text)
        sp.add_argument("study", help="study file (TOML)")
        sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="override a study value, e.g. --set operating.current_density='4 mA/cm^2'")
        return sp

    run = with_study("run", "mesh, solve, analyse and write all outputs")
    run.add_argument("--out", help="output folder (default results/<study name>)")
    run.add_argument("--resume", action="store_true",
                     help="continue a transient run from its last checkpoint (<out>.femli-checkpoint)")
    run.set_defaults(func=cmd_run)
    mesh = with_study("mesh", "build geometry and mesh only; print a quality report")
    mesh.add_argument("--no-cache", action="store_true", help="rebuild even if a cached mesh exists")
    mesh.set_defaults(func=cmd_mesh)
    with_study("check", "validate a study and print it resolved in SI units").set_defaults(func=cmd_check)
    sweep = sub.add_parser("sweep", help="run a parameter sweep (sweep file) and write one table")
    sweep.add_argument("sweep", help="sweep file (TOML)")
    sweep.add_argument("--out", help="output folder (default results/<study>_sweep)")
    sweep.add_argument("--fresh", action="store_true",
                       help="recompute every case (by default finished 'ok' cases of the same study are reused)")
    sweep.set_defaults(func=cmd_sweep)
    sub.add_parser("info", help="versions, MPI size, PETSc features").set_defaults(func=cmd_info)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except FemliError as err:
        if _rank() == 0:
            print(f"femli: error: {err}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt as err:
        if _rank() == 0:
            print(f"femli: {err or 'interrupted'}; the status is recorded", file=sys.stderr, flush=True)
            _abort_others(130)
        return 130


def _abort_others(code: int):
    """After an interrupt only rank 0 has stopped; the others may wait in a collective call forever."""
    try:
        from mpi4py import MPI

        if MPI.COMM_WORLD.size > 1:
            MPI.COMM_WORLD.Abort(code)
    except ImportError:
        pass


if __name__ == "__main__":
    sys.exit(main())
