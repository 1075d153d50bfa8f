"""``ecmjax converge``: the error bar of a case's failure time and initiation pressure, from refinement.

Runs the case, then each refinement of :data:`ecmjax.model.convergence.REFINEMENTS` (``h/2``, ``l/2``, half
the volume increment, a tenth of the staggered tolerance, twice the lateral period), and writes
``DIR/convergence.json`` after every run (atomically), so that ``--resume`` continues an interrupted study
without rerunning what it has; at the end the table, also ``DIR/convergence.md``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ecmjax.cli.common import (
    EXIT_OK,
    EXIT_SOLVE,
    EXIT_USAGE,
    add_config_arguments,
    add_out_argument,
    add_quiet_argument,
    cannot_write,
    device,
    error,
    load,
    prepare,
    versions,
)

__all__ = ["add_parser", "command"]

_KEPT = ("failure_time_s", "initiation_pressure_Pa", "initiation_time_s", "n_steps", "wall_time_s")
"""What the study keeps of each run's summary."""


def add_parser(commands: Any) -> None:
    """Add ``converge`` to the subcommands ``commands``."""
    converge = commands.add_parser(
        "converge",
        help="error bars of the failure time and initiation pressure: the case rerun with each numerical"
        " choice refined",
        description="Run the case, then with h/2, with l/2 (and h/2, to keep h <= l/2), with half the volume"
        " increment, with a tenth of the staggered tolerance and with twice the lateral period (and its cells),"
        " one at a time. Writes DIR/convergence.json after each run (--resume continues from it) and, at the"
        " end, the table DIR/convergence.md: each figure's value per run, its change, and relative_spread, the"
        " largest change (its error bar). A refined grid costs about 8 times the case's run.",
    )
    add_config_arguments(converge)
    add_out_argument(converge)
    converge.add_argument(
        "--resume", action="store_true", help="keep the runs DIR/convergence.json already holds for this case"
    )
    add_quiet_argument(converge, "print nothing but errors and the final table")
    converge.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    """Run the refinement study of ``args``' case; the exit status (3 if a run diverged)."""
    from ecmjax.config import ConfigError, load_config
    from ecmjax.model.convergence import as_settings, overrides_of

    if (config := load(args)) is None:
        return EXIT_USAGE
    runs = {"case": {}, **overrides_of(config)}
    try:  # every variant is checked before any compute
        configs = {name: load_config(args.config, [*args.overrides, *as_settings(o)]) for name, o in runs.items()}
    except ConfigError as err:
        error(f"a refinement of this case is not a valid configuration: {err}")
        return EXIT_USAGE
    path = args.out / "convergence.json"
    done: dict[str, Any] = {}
    if args.resume and path.exists():
        saved = json.loads(path.read_text())
        if saved.get("config") != config.to_dict():
            error(f"{path} is of another case: give the configuration it was made with, or another --out")
            return EXIT_USAGE
        done = {name: run for name, run in saved["runs"].items() if run["overrides"] == runs[name]}
    elif path.exists():
        error(f"{path} exists: --resume to continue that study, or choose another --out")
        return EXIT_USAGE

    from ecmjax.api import simulate
    from ecmjax.model.convergence import spreads
    from ecmjax.output.files import write_json, write_text

    prepare(config)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, overrides in runs.items():
            if name not in done:
                if not args.quiet:
                    print(f"{name}: {', '.join(as_settings(overrides)) or 'as configured'}", flush=True)
                result = simulate(configs[name], progress=not args.quiet)
                done[name] = {"overrides": overrides, "status": result.status}
                done[name].update({key: result.summary[key] for key in _KEPT})
            record = _record(config, runs, done, spreads)
            write_json(path, record)
        write_text(args.out / "convergence.md", _table(record))
    except OSError as err:
        return cannot_write(args.out, err)
    print(_table(record))
    return EXIT_SOLVE if any(run["status"] == "diverged" for run in done.values()) else EXIT_OK


def _record(config: Any, runs: dict, done: dict, spreads: Any) -> dict[str, Any]:
    """``convergence.json``: the runs so far in order, and, once all are done, each figure's spread."""
    ordered = {name: done[name] for name in runs if name in done}
    complete = len(ordered) == len(runs)
    variants = {name: run for name, run in ordered.items() if name != "case"}
    return {
        "failure_time_s": ordered.get("case", {}).get("failure_time_s"),
        "initiation_pressure_Pa": ordered.get("case", {}).get("initiation_pressure_Pa"),
        "relative_spread": spreads(ordered["case"], variants) if complete else None,
        "runs": ordered,
        "config": config.to_dict(),
        "versions": versions(),
        "device": device(),
    }


def _table(record: dict[str, Any]) -> str:
    """The study as a Markdown table: each run's figures and their change from the case's."""

    def cell(value: float | None, case: float | None, scale: float, unit: str) -> str:
        if value is None:
            return "-"
        change = "" if case in (None, value) else f" ({value / case - 1:+.2%})"
        return f"{value / scale:.6g} {unit}{change}"

    case = record["runs"]["case"]
    lines = ["| run | status | failure time | initiation pressure | steps |", "|---|---|---|---|---|"]
    for name, run in record["runs"].items():
        failure = cell(run["failure_time_s"], case["failure_time_s"], 1.0, "s")
        initiation = cell(run["initiation_pressure_Pa"], case["initiation_pressure_Pa"], 1e6, "MPa")
        lines.append(f"| {name} | {run['status']} | {failure} | {initiation} | {run['n_steps']} |")
    spread = record["relative_spread"] or {}
    bar = lambda key: "-" if spread.get(key) is None else f"{spread[key]:.2%}"
    figures = f"failure time {bar('failure_time_s')}, initiation pressure {bar('initiation_pressure_Pa')}"
    lines.append(f"\nrelative spread (the error bar): {figures}")
    return "\n".join(lines) + "\n"
