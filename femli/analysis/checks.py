"""Built-in checks a result must pass to be reported "ok".

A Newton solve can stop on a small step (snes_stol) while the equations are
not balanced, e.g. at absurd drives (1000 V, 1e6 A/cm^2): the run then solved
*something*, but not the problem asked. Such a result gets the status
"check_failed" and the failed checks are named in metrics.json.
"""

import math

BALANCE_TOLERANCE = 1e-6  # relative; a converged solve closes the charge balance to ~1e-10


def _finite(node) -> bool:
    if isinstance(node, dict):
        return all(_finite(v) for v in node.values())
    if isinstance(node, list):
        return all(_finite(v) for v in node)
    return not isinstance(node, float) or math.isfinite(node)


def run_checks(metrics: dict) -> dict:
    """{check name: {value, tolerance, passed}} for the checks that apply to these metrics."""
    error = metrics["balance"]["relative_error"]
    checks = {
        "charge_balance": {"value": error, "tolerance": BALANCE_TOLERANCE,
                           "passed": math.isfinite(error) and error <= BALANCE_TOLERANCE},
        "finite_values": {"value": None, "tolerance": None,
                          "passed": all(_finite(metrics.get(k)) for k in ("cell", "surfaces", "deposition", "phases"))},
    }
    return checks


def status_from_checks(checks: dict) -> tuple[str, str | None]:
    failed = [name for name, c in checks.items() if not c["passed"]]
    if not failed:
        return "ok", None
    parts = [f"{n} {checks[n]['value']:.2e} > {checks[n]['tolerance']:.0e}" if checks[n]["tolerance"] else n for n in failed]
    return "check_failed", "built-in check failed: " + ", ".join(parts) + " (the result does not solve the problem asked)"
