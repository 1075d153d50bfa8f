"""The ``ecmjax`` command: ``run`` a configuration, ``sweep`` parameters, ``converge`` (error bars from refinement),
``fit`` observations, ``validate``,
``critical-pressure``; one module per subcommand, on the arguments and checks of :mod:`ecmjax.cli.common`.

The command only parses arguments, calls the library and writes what it returns; every number comes
from :mod:`ecmjax.model.problems` or :mod:`ecmjax.validation`. Nothing is written before the input is checked;
``run`` then writes ``DIR/config.toml`` (which ``--resume`` checks against) and its checkpoints, and the
results once the run ends, every file atomically (:mod:`ecmjax.output.files`), ``result.json`` last.

Exit status: 0 success (the cell failed or survived); 1 a validation case failed, or an output could not
be written; 2 bad input (configuration or arguments; nothing is created); 3 the run diverged or ran out
of steps (``result.json`` says where, ``history.csv`` holds the steps before); 143 (128 + SIGTERM) the run
was stopped by SIGTERM, e.g. a batch scheduler's preemption, and checkpointed: ``--resume`` continues it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ecmjax import __version__
from ecmjax.cli import converge, critical_pressure, fit, run, sweep, validate

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    args = _parser().parse_args(argv)
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecmjax",
        description="Differentiable electro-chemo-mechanical solver of Li plating into solid-electrolyte defects.",
        epilog="exit status: 0 success, 1 validation failed or output not written, 2 bad input (nothing"
        " created), 3 the run diverged or ran out of steps (what was computed is written), 143 stopped by"
        " SIGTERM and checkpointed (rerun with --resume)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for subcommand in (run, sweep, converge, validate, fit, critical_pressure):
        subcommand.add_parser(commands)
    return parser
