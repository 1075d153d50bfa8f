"""The ``ecmjax`` command: ``run`` a configuration, ``validate`` against closed-form references.

The command only parses arguments, calls the library and writes what it returns; every number comes
from :mod:`ecmjax.model` or :mod:`ecmjax.validation`. Nothing is written unless the run succeeded, and
then every file is written atomically (:mod:`ecmjax.io`), ``result.json`` last.

Exit status: 0 success; 1 a validation case failed, or an output could not be written; 2 bad input
(configuration or arguments; nothing is created); 3 a solve did not converge or gave a non-finite
result (nothing is written).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import math
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SOLVE = 0, 1, 2, 3

_HEADLINES = (
    ("peak_hoop_stress_Pa", "peak hoop stress on the pit wall"),
    ("cell_voltage_V", "cell voltage"),
    ("plated_current_A_per_m", "plated current"),
    ("injected_current_A_per_m", "injected current"),
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    args = _parser().parse_args(argv)
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecmjax",
        description="Differentiable electro-chemo-mechanical solver of Li plating into solid-electrolyte defects.",
        epilog="exit status: 0 success, 1 validation failed or output not written, 2 bad input (nothing"
        " created), 3 solve failed or not finite (nothing written)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="solve the initial state of a configuration and write results, fields and figures",
        description="Solve the initial state (ionic potential and elasticity with the pit full of Li) and"
        " write DIR/result.json, DIR/fields.npz, DIR/config.toml and PNG figures. Every key carries its SI"
        " unit in its name, e.g. geometry.depth_m.",
    )
    run.add_argument("config", nargs="?", type=Path, help="TOML configuration (default: built-in defaults)")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one key after the file, e.g. --set geometry.depth_m=2e-6 (repeatable)",
    )
    run.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory (created)")
    run.add_argument("--quiet", action="store_true", help="print nothing on success")
    run.set_defaults(handler=_run)

    validate = commands.add_parser(
        "validate",
        help="run the validation cases against closed-form references",
        description="Run the validation cases in float64, print a table and write DIR/validation.json;"
        " exit status 1 if any case fails.",
    )
    validate.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory (created)")
    validate.add_argument("--quiet", action="store_true", help="print nothing but errors")
    validate.set_defaults(handler=_validate)
    return parser


def _error(message: str) -> None:
    print(f"ecmjax: error: {message}", file=sys.stderr)


def _check_out_dir(out: Path) -> str | None:
    """Why ``out`` cannot become the output directory, or ``None`` (checked without creating it)."""
    if out.exists() and not out.is_dir():
        return f"--out {str(out)!r} exists and is not a directory"
    return None


def _run(args: argparse.Namespace) -> int:
    from .config import ConfigError, load_config

    try:
        config = load_config(args.config, args.overrides)
    except ConfigError as err:
        _error(str(err))
        return EXIT_USAGE
    if problem := _check_out_dir(args.out):
        _error(problem)
        return EXIT_USAGE

    from . import precision

    if config.solver.dtype == "float64":
        precision.enable_float64()

    import equinox as eqx
    import jax

    from . import model

    start = time.perf_counter()
    state = jax.block_until_ready(eqx.filter_jit(model.solve_initial_state)(config))
    wall_time_s = time.perf_counter() - start

    headlines = {name: float(getattr(state, name)) for name, _ in _HEADLINES}
    infos = {"potential": state.potential_info, "elasticity": state.elasticity_info}
    fields = _fields(state)
    if failures := _failures(config, infos, headlines, fields):
        for failure in failures:
            _error(failure)
        _error("nothing was written")
        return EXIT_SOLVE

    from .io import write_json, write_npz, write_text
    from .plotting import plot_initial_state

    try:
        args.out.mkdir(parents=True, exist_ok=True)
        write_text(args.out / "config.toml", config.to_toml())
        write_npz(args.out / "fields.npz", **fields)
        figures = plot_initial_state(state, config, args.out)
        write_json(
            args.out / "result.json",
            {
                "status": "solved",
                "config": config.to_dict(),
                "versions": _versions(),
                "device": _device(),
                "wall_time_s": wall_time_s,
                **headlines,
                "solver": {name: _info_dict(info) for name, info in infos.items()},
                "outputs": ["result.json", "fields.npz", "config.toml", *(p.name for p in figures)],
            },
        )
    except OSError as err:
        _error(f"cannot write to {str(args.out)!r}: {err}")
        return EXIT_FAILED

    if not args.quiet:
        print(
            f"peak hoop stress on the pit wall: {headlines['peak_hoop_stress_Pa'] / 1e6:.4g} MPa\n"
            f"cell voltage:                     {headlines['cell_voltage_V'] * 1e3:.4g} mV\n"
            f"wall time:                        {wall_time_s:.1f} s (including JIT compilation)\n"
            f"outputs:                          {args.out}/ (result.json, fields.npz, config.toml,"
            f" {', '.join(p.name for p in figures)})"
        )
    return EXIT_OK


def _fields(state: Any) -> dict[str, Any]:
    """The arrays of ``fields.npz`` (NumPy), named with their units."""
    import numpy as np

    x, y = state.grid.node_coordinates_m()
    cell_x, cell_y = state.grid.cell_centres_m()
    stress = state.stress_Pa
    arrays = {
        "x_m": x,
        "y_m": y,
        "cell_x_m": cell_x,
        "cell_y_m": cell_y,
        "potential_V": state.potential_V,
        "displacement_m": state.displacement_m,
        "stress_xx_Pa": stress.xx,
        "stress_yy_Pa": stress.yy,
        "stress_xy_Pa": stress.xy,
        "stress_zz_Pa": stress.zz,
        "hoop_stress_Pa": state.hoop_stress_Pa,
        "von_mises_stress_Pa": stress.von_mises_Pa(),
        "interfacial_current_A_per_m2": state.interfacial_current_A_per_m2,
        "defect_indicator": state.defect.node_indicator,
    }
    return {name: np.asarray(value) for name, value in arrays.items()}


def _failures(config: Any, infos: dict[str, Any], headlines: dict[str, float], fields: dict[str, Any]) -> list[str]:
    """What makes a solved state unusable: an unconverged solve, a non-finite number or field."""
    import numpy as np

    failures = []
    for name, info in infos.items():
        if not bool(info.converged):
            failures.append(
                f"the {name} solve did not converge: relative residual {float(info.relative_residual):.3e}"
                f" (target solver.rtol = {float(config.solver.rtol):g}) after {int(info.iterations)} Newton"
                f" and {int(info.krylov_iterations)} Krylov iterations"
            )
    labels = dict(_HEADLINES)
    failures += [
        f"the {labels[name]} ({name}) is {value}" for name, value in headlines.items() if not math.isfinite(value)
    ]
    for name, array in fields.items():
        bad = ~np.isfinite(array)
        if bad.any():
            failures.append(f"the field {name} has {int(bad.sum())} non-finite value(s) of {array.size}")
    return failures


def _info_dict(info: Any) -> dict[str, Any]:
    return {
        "iterations": int(info.iterations),
        "krylov_iterations": int(info.krylov_iterations),
        "relative_residual": float(info.relative_residual),
        "converged": bool(info.converged),
    }


def _versions() -> dict[str, str]:
    versions = {"ecmjax": __version__}
    for package in ("jax", "jaxlib", "equinox", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    versions["python"] = platform.python_version()
    return versions


def _device() -> dict[str, str]:
    import jax

    device = jax.devices()[0]
    return {"name": str(device), "platform": device.platform, "kind": str(device.device_kind)}


_CASE_NUMBERS = ("value", "reference", "relative_error", "tolerance")


def _validate(args: argparse.Namespace) -> int:
    if problem := _check_out_dir(args.out):
        _error(problem)
        return EXIT_USAGE

    from . import precision

    precision.enable_float64()
    try:
        validation = importlib.import_module("ecmjax.validation")
    except ModuleNotFoundError as err:
        if err.name != "ecmjax.validation":
            raise
        _error("the validation cases (ecmjax.validation) are not installed")
        return EXIT_FAILED

    if not args.quiet:
        print("running the validation cases (a few minutes on a CPU)...", flush=True)
    start = time.perf_counter()
    cases = [_case_dict(result) for result in validation.run_cases()]
    wall_time_s = time.perf_counter() - start
    all_passed = bool(cases) and all(case["passed"] for case in cases)

    from .io import write_json

    try:
        args.out.mkdir(parents=True, exist_ok=True)
        path = write_json(
            args.out / "validation.json",
            {
                "all_passed": all_passed,
                "cases": cases,
                "versions": _versions(),
                "device": _device(),
                "wall_time_s": wall_time_s,
            },
        )
    except OSError as err:
        _error(f"cannot write to {str(args.out)!r}: {err}")
        return EXIT_FAILED

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
