"""``ecmjax run``: one configuration to failure, survival or divergence, checkpointed and resumable.

Writes ``DIR/config.toml`` first (``--resume`` checks against it) and checkpoints as it goes; the
results once the run ends, every file atomically, ``result.json`` last.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from ecmjax.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOLVE,
    EXIT_USAGE,
    add_config_arguments,
    add_distributed_arguments,
    add_out_argument,
    add_quiet_argument,
    cannot_write,
    checkpoint_problem,
    device,
    error,
    join,
    load,
    parameter_keys,
    prepare,
    sigterm_flag,
    versions,
)

__all__ = ["add_parser", "command"]

_RUN_FILES = ("result.json", "history.csv", "fields.npz", "config.toml")


def add_parser(commands: Any) -> None:
    """Add ``run`` to the subcommands ``commands``."""
    run = commands.add_parser(
        "run",
        help="run the coupled model to failure (short circuit), survival to t_end, or divergence",
        description="Plate Li into the defect until the Li-filled crack crosses the electrolyte, or until"
        " time.t_end_s. Writes DIR/config.toml at the start, checkpoints in DIR/checkpoints as it goes, and"
        " DIR/result.json, DIR/history.csv, DIR/fields.npz and PNG figures at the end. On SIGTERM it stops"
        " within 10 steps, checkpoints and exits with status 143; --resume continues it to the same result."
        " Every key carries its SI unit in its name, e.g. geometry.depth_m.",
    )
    add_config_arguments(run)
    add_out_argument(run)
    run.add_argument(
        "--snapshots",
        type=int,
        default=0,
        metavar="K",
        help="also keep the damage every K steps: DIR/snapshots.npz and an animation DIR/damage.gif",
    )
    run.add_argument(
        "--checkpoint-every",
        type=int,
        default=50,
        metavar="N",
        help="save the run's state in DIR/checkpoints every N accepted steps (the last 3 are kept; removed"
        " when the run ends); 0: only on SIGTERM (default: %(default)s)",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue from the latest checkpoint in DIR/checkpoints; give the configuration the run started"
        " with (DIR/config.toml) and the same --snapshots",
    )
    run.add_argument(
        "--sensitivities",
        default="",
        metavar="KEY,KEY,...",
        help="also carry d t_f / d KEY for these float keys (one tangent each, about one more run's time per"
        " key): failure_time_sensitivities in DIR/result.json, in s per SI unit of each key",
    )
    add_distributed_arguments(run)
    add_quiet_argument(run, "no progress bar; print nothing on success")
    run.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    """Run ``args``' configuration and write its results; the exit status."""
    if not join(args):
        return EXIT_USAGE
    config = load(args)
    if config is None:
        return EXIT_USAGE
    if args.snapshots < 0:
        error(f"--snapshots = {args.snapshots} is out of range: must be >= 0 (0: no snapshots)")
        return EXIT_USAGE
    from ecmjax.config import ConfigError

    try:
        keys = parameter_keys(args.sensitivities) if args.sensitivities.strip() else ()
    except ConfigError as err:
        error(f"--sensitivities: {err}")
        return EXIT_USAGE
    if problem := _checkpoint_problem(args, config):
        error(problem)
        return EXIT_USAGE
    prepare(config)
    from ecmjax.api import Interrupted, simulate
    from ecmjax.output.files import write_csv, write_json, write_npz, write_text
    from ecmjax.output.plots import plot_run
    from ecmjax.solver.parallel.distributed import any_process, is_writer

    checkpoints = args.out / "checkpoints"
    writer = is_writer()
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        if writer:
            write_text(args.out / "config.toml", config.to_toml())
    except OSError as err:
        return cannot_write(args.out, err)
    with sigterm_flag() as sigterm:
        try:
            result = simulate(
                config,
                progress=not args.quiet and writer,
                snapshot_every=args.snapshots,
                stop_when=lambda state: any_process(sigterm.is_set()),
                checkpoint_dir=checkpoints,
                checkpoint_every=args.checkpoint_every,
                resume=args.resume,
                sensitivities=keys,
            )
        except Interrupted as stopped:
            if not writer:
                return EXIT_INTERRUPTED
            error(
                f"SIGTERM: {stopped} and is checkpointed in {str(checkpoints)!r}; to continue it, rerun the same"
                " command with --resume"
            )
            return EXIT_INTERRUPTED
        except ConfigError as err:  # a checkpoint of another --snapshots
            error(str(err))
            return EXIT_USAGE
    if not writer:  # process 0 of a --distributed run writes and reports
        return EXIT_SOLVE if result.status in ("diverged", "incomplete") else EXIT_OK

    try:
        write_csv(args.out / "history.csv", list(result.history), zip(*result.history.values(), strict=True))
        write_npz(args.out / "fields.npz", **result.fields)
        outputs = list(_RUN_FILES)
        if result.snapshots:
            write_npz(
                args.out / "snapshots.npz",
                **{k: [snap[k] for snap in result.snapshots] for k in result.snapshots[0]},
            )
            outputs.append("snapshots.npz")
        outputs += [p.name for p in plot_run(result, config, args.out)]
        write_json(
            args.out / "result.json",
            {
                **result.summary,
                "message": result.message,
                "config": config.to_dict(),
                "versions": versions(),
                "device": device(),
                "outputs": outputs,
            },
        )
    except OSError as err:
        return cannot_write(args.out, err)
    shutil.rmtree(checkpoints, ignore_errors=True)  # the run ended: nothing is left to resume

    if result.status in ("diverged", "incomplete"):
        error(f"run {result.status}: {result.message}; result.json and history.csv hold what was computed")
        return EXIT_SOLVE
    if not args.quiet:
        print(_summary_text(result.summary) + f"\noutputs: {args.out}/ ({', '.join(outputs)})")
    return EXIT_OK


def _checkpoint_problem(args: argparse.Namespace, config: Any) -> str | None:
    """Why the run cannot start (or, with ``--resume``, go on) in ``--out``, or ``None``; checked before compute."""
    if args.checkpoint_every < 0:
        return f"--checkpoint-every = {args.checkpoint_every} is out of range: must be >= 0 (0: only on SIGTERM)"
    if problem := checkpoint_problem(args.out, args.resume, "run", "result.json"):
        return problem
    return _resume_config_problem(args.out / "config.toml", config) if args.resume else None


def _resume_config_problem(path: Path, config: Any) -> str | None:
    """Why ``config`` is not the configuration the run started with, saved in ``path``, or ``None``."""
    from ecmjax.config.loading import tomllib

    def flat(text: str) -> dict[str, Any]:
        return {
            f"{section}.{key}": value for section, table in tomllib.loads(text).items() for key, value in table.items()
        }

    try:
        saved = flat(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        return f"--resume: cannot read {str(path)!r}, the configuration the run started with: {err}"
    given = flat(config.to_toml())
    differing = sorted(key for key in saved.keys() | given.keys() if saved.get(key) != given.get(key))
    if not differing:
        return None
    shown = "; ".join(f"{key} = {given.get(key)!r} (started with {saved.get(key)!r})" for key in differing)
    return (
        f"--resume: the configuration differs from the one the run started with ({str(path)!r}) in {shown};"
        f" resume with: ecmjax run {path} --out {path.parent} --resume"
    )


def _summary_text(summary: dict[str, Any]) -> str:
    def show(value: float | None, scale: float, unit: str) -> str:
        return "-" if value is None else f"{value / scale:.4g} {unit}"

    return "\n".join(
        [
            f"status:               {summary['status']}",
            f"failure time:         {show(summary['failure_time_s'], 1.0, 's')}",
            f"damage initiation:    {show(summary['initiation_time_s'], 1.0, 's')}"
            f" at {show(summary['initiation_pressure_Pa'], 1e6, 'MPa')}",
            f"max Li pressure:      {show(summary['max_pressure_Pa'], 1e6, 'MPa')}"
            f" (Monroe-Newman cap at the end {show(summary['pressure_cap_Pa'], 1e6, 'MPa')})",
            f"crack tip depth:      {show(summary['crack_tip_depth_m'], 1e-6, 'um')}",
            f"critical current:     {show(summary['critical_current_density_A_per_m2'], 1.0, 'A/m^2')}"
            " (the least that shorts within time.t_end_s)",
            *(
                f"d t_f / d {key}: {show(value, 1.0, 's per SI unit')}"
                for key, value in summary.get("failure_time_sensitivities", {}).items()
            ),
            *([f"sensitivities:        {note}"] if (note := summary.get("failure_time_sensitivities_note")) else []),
            f"steps:                {summary['n_steps']} ({summary['n_trials']} tried)",
            f"wall time:            {summary['wall_time_s']:.1f} s (including JIT compilation)",
        ]
    )
