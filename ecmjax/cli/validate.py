"""``ecmjax validate``: the validation cases against closed-form references, as a table and a JSON file."""

from __future__ import annotations

import argparse
import importlib
import math
import time
from collections.abc import Sequence
from typing import Any

from ecmjax.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_out_argument,
    add_quiet_argument,
    cannot_write,
    check_out_dir,
    device,
    error,
    versions,
)

__all__ = ["add_parser", "command"]

_CASE_NUMBERS = ("value", "reference", "relative_error", "tolerance")


def add_parser(commands: Any) -> None:
    """Add ``validate`` to the subcommands ``commands``."""
    validate = commands.add_parser(
        "validate",
        help="run the validation cases against closed-form references",
        description="Run the validation cases in float64 (or float32), print a table and write"
        " DIR/validation.json; exit status 1 if any case fails.",
    )
    add_out_argument(validate)
    validate.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="precision of the cases (default float64, the verification; float32 solves to a 1e-3 residual"
        " and keeps the same tolerances against the references)",
    )
    add_quiet_argument(validate)
    validate.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    """Run the validation cases and write ``DIR/validation.json``; the exit status (1 if a case fails)."""
    if problem := check_out_dir(args.out):
        error(problem)
        return EXIT_USAGE

    from ecmjax.config import precision

    dtype = precision.use_default_dtype(args.dtype)
    try:
        validation = importlib.import_module("ecmjax.validation")
    except ModuleNotFoundError as err:
        if err.name != "ecmjax.validation":
            raise
        error("the validation cases (ecmjax.validation) are not installed")
        return EXIT_FAILED

    if not args.quiet:
        print(f"running the validation cases in {dtype} (a few minutes on a CPU)...", flush=True)
    start = time.perf_counter()
    cases = [_case_dict(result) for result in validation.run_cases()]
    wall_time_s = time.perf_counter() - start
    all_passed = bool(cases) and all(case["passed"] for case in cases)

    from ecmjax.output.files import write_json

    try:
        args.out.mkdir(parents=True, exist_ok=True)
        path = write_json(
            args.out / "validation.json",
            {
                "all_passed": all_passed,
                "dtype": str(dtype),
                "cases": cases,
                "versions": versions(),
                "device": device(),
                "wall_time_s": wall_time_s,
            },
        )
    except OSError as err:
        return cannot_write(args.out, err)

    if not args.quiet:
        print(_table(cases))
        passed = sum(case["passed"] for case in cases)
        print(f"\n{passed}/{len(cases)} cases passed in {wall_time_s:.1f} s; wrote {path}")
    return EXIT_OK if all_passed else EXIT_FAILED


def _case_dict(result: Any) -> dict[str, Any]:
    """A ``CaseResult`` as plain data; a non-finite number is written as null, listed, and fails the case."""
    case = {"case": str(result.case), "quantity": str(result.quantity)}
    non_finite = {}
    for name in _CASE_NUMBERS:
        value = float(getattr(result, name))
        if math.isfinite(value):
            case[name] = value
        else:
            case[name] = None
            non_finite[name] = repr(value)
    case["passed"] = bool(result.passed) and not non_finite
    case["source"] = str(result.source)
    if non_finite:
        case["non_finite"] = non_finite
    return case


def _table(cases: list[dict[str, Any]]) -> str:
    """An aligned text table of the cases."""

    def number(value: float | None, spec: str) -> str:
        return "non-finite" if value is None else format(value, spec)

    header = ("case", "quantity", "value", "reference", "rel. error", "tol", "result")
    rows = [
        (
            case["case"],
            case["quantity"],
            number(case["value"], ".6g"),
            number(case["reference"], ".6g"),
            number(case["relative_error"], ".2e"),
            number(case["tolerance"], ".1e"),
            "PASS" if case["passed"] else "FAIL",
        )
        for case in cases
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    left = (True, True, False, False, False, False, True)

    def line(row: Sequence[str]) -> str:
        cells = zip(row, widths, left, strict=True)
        return "  ".join(cell.ljust(w) if flush_left else cell.rjust(w) for cell, w, flush_left in cells).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])
