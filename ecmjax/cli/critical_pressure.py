"""``ecmjax critical-pressure``: the critical Li pressure of a surface flaw, and what plating needs to reach it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ecmjax.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_config_arguments, error

__all__ = ["add_parser", "command"]


def add_parser(commands: Any) -> None:
    """Add ``critical-pressure`` to the subcommands ``commands``."""
    critical = commands.add_parser(
        "critical-pressure",
        help="critical Li pressure of a surface flaw, and the overpotential and current density that reach it",
        description="Print the edge-crack critical pressure K_IC / (1.1215 sqrt(pi c)) of a Li-filled surface flaw"
        " of depth c, the overpotential Omega_Li p_c / F that plating needs to reach it, and the current density"
        " j_c at which a flat cell supplies it (|eta_BV(j_c)| + j_c c / kappa = eta_c), against the configured"
        " current density. Computed in float64.",
    )
    add_config_arguments(
        critical, "override one key, e.g. --set material.fracture_toughness_Pa_sqrt_m=1.3e6 (repeatable)"
    )
    critical.add_argument(
        "--material", metavar="NAME", help="named material set, e.g. llzo or lpscl (sets material.name before --set)"
    )
    critical.add_argument(
        "--flaw-depth-m", required=True, type=float, metavar="C", help="depth c of the flaw in m, e.g. 1e-6"
    )
    critical.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers to PATH (JSON)")
    critical.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    """Print the critical-pressure report of ``args``' configuration (and write it with ``--json``)."""
    from ecmjax.config import ConfigError, load_config
    from ecmjax.model.critical_pressure import check_flaw_depth, critical_pressure_report, format_report

    material = [] if args.material is None else [f'material.name="{args.material}"']
    try:
        config = load_config(args.config, [*material, *args.overrides])
        check_flaw_depth(args.flaw_depth_m, config.domain.thickness_m, name="--flaw-depth-m")
    except ConfigError as err:
        error(str(err))
        return EXIT_USAGE
    if args.json is not None and args.json.is_dir():
        error(f"--json {str(args.json)!r} is a directory")
        return EXIT_USAGE

    from ecmjax.config import precision

    precision.enable_float64()
    report = critical_pressure_report(config, args.flaw_depth_m)
    if args.json is not None:
        from ecmjax.output.files import write_json

        try:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            write_json(args.json, {"material": config.material.name, **report, "config": config.to_dict()})
        except OSError as err:
            error(f"cannot write {str(args.json)!r}: {err}")
            return EXIT_FAILED
    print(format_report(report, config))
    return EXIT_OK
