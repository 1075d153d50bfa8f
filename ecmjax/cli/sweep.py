"""``ecmjax sweep``: the Cartesian product of values of some keys, a case per device at a time."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
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
    error,
    join,
    load,
    prepare,
    sigterm_flag,
    versions,
)

__all__ = ["add_parser", "command"]


def add_parser(commands: Any) -> None:
    """Add ``sweep`` to the subcommands ``commands``."""
    sweep = commands.add_parser(
        "sweep",
        help="run the Cartesian product of values of some keys; failure time against the first key",
        description="Run every combination of the --vary values and write DIR/sweep.csv, DIR/sweep.json and"
        " DIR/sweep.png (failure time against the first varied key; survived cases are marked at the top,"
        " not plotted as numbers). Cases alike but for the operating condition (current density,"
        " temperature, kinetics, ionic conductivity) share one mechanical path. The others run a case per"
        " device at a time: on one device each is its own `ecmjax run`, bit for bit; over several devices,"
        " cases that differ only in floats the model traces run side by side, one compiled program. The"
        " figures of finished batches are checkpointed in DIR/checkpoints (--resume continues); SIGTERM"
        " stops after the current chunk of steps.",
    )
    add_config_arguments(sweep)
    sweep.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="SECTION.KEY=V1,V2,...",
        help="values of one key, e.g. --vary operating.current_density_A_per_m2=2,5,10,20 (repeatable)",
    )
    add_out_argument(sweep)
    sweep.add_argument(
        "--batch-size",
        type=int,
        default=0,
        metavar="B",
        help="cases per batch, rounded up to a multiple of the device count (default 0: one per device);"
        " several on a device run under vmap, each as long as its slowest neighbour (for GPUs)",
    )
    sweep.add_argument("--resume", action="store_true", help="skip the batches checkpointed in DIR/checkpoints")
    add_distributed_arguments(sweep)
    add_quiet_argument(sweep)
    sweep.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    """Run every case of ``args``' sweep and write the table; the exit status."""
    import itertools

    varied = _parse_vary(args.vary)
    if isinstance(varied, str):
        error(varied)
        return EXIT_USAGE
    if args.batch_size < 0:
        error(f"--batch-size = {args.batch_size} is out of range: must be >= 1 (0: one case per device)")
        return EXIT_USAGE
    if not join(args):
        return EXIT_USAGE
    keys = [key for key, _ in varied]
    combinations = list(itertools.product(*(values for _, values in varied)))
    configs = []
    for values in combinations:  # every case is validated before any compute
        config = load(args, [f"{k}={v}" for k, v in zip(keys, values, strict=True)])
        if config is None:
            return EXIT_USAGE
        configs.append(config)
    if any(config.solver.domain_devices != 1 for config in configs):
        error("solver.domain_devices must be 1 in a sweep: a sweep splits its cases over the devices, not the grid")
        return EXIT_USAGE
    request = {"varied": dict(varied), "base_config": configs[0].to_dict()}
    checkpoints = args.out / "checkpoints"
    if problem := _checkpoint_problem(args.out, args.resume, request):
        error(problem)
        return EXIT_USAGE
    prepare(configs[0])
    import jax

    from ecmjax.config import key_values
    from ecmjax.model.sweep import case_mesh, row, run_sweep
    from ecmjax.output.files import write_csv, write_json
    from ecmjax.output.plots import plot_sweep
    from ecmjax.solver.parallel.distributed import any_process, is_writer

    writer = is_writer()
    if writer and not args.resume:
        args.out.mkdir(parents=True, exist_ok=True)
        write_json(args.out / "sweep_request.json", request)
    mesh = case_mesh()
    shown = lambda i: ", ".join(f"{k}={v}" for k, v in zip(keys, combinations[i], strict=True))
    quiet = args.quiet or not writer
    if not quiet:
        print(f"{len(configs)} cases on {mesh.size} device(s) in {jax.process_count()} process(es)", flush=True)

    def batch_done(number: int, count: int, indices: list[int], progress: Any) -> None:
        if quiet:
            return
        for i in indices:
            case = row(progress.figures[i])
            failure = case["failure_time_s"]
            print(
                f"[{i + 1}/{len(configs)}] {shown(i)}: {case['status']}"
                + (f" at {failure:.4g} s" if failure is not None else "")
                + f" ({case['n_steps']} steps)",
                flush=True,
            )
        print(f"batch {number}/{count} done ({int(progress.done.sum())}/{len(configs)} cases)", flush=True)

    def chunk_done(running: int, steps: int) -> None:
        if not quiet:
            print(f"  {running} case(s) of the batch still running, up to step {steps}", file=sys.stderr, flush=True)

    with sigterm_flag() as stop:
        progress = run_sweep(
            configs,
            mesh=mesh,
            batch_size=args.batch_size or None,
            checkpoint_dir=checkpoints,
            resume=args.resume,
            on_batch=batch_done,
            on_chunk=chunk_done,
            should_stop=lambda: any_process(stop.is_set()),
        )
    if not progress.done.all():
        if writer:
            error(
                f"SIGTERM: the sweep stopped with {int(progress.done.sum())}/{len(configs)} cases done, checkpointed"
                f" in {str(checkpoints)!r}; to continue it, rerun the same command with --resume"
            )
        return EXIT_INTERRUPTED
    if not writer:
        return EXIT_OK
    rows = []
    for i, config in enumerate(configs):
        case = dict(zip(keys, key_values(config, keys), strict=True))
        case.update(row(progress.figures[i]))
        rows.append(case)
    try:
        header = [*keys, *(column for column in rows[0] if column not in keys)]
        write_csv(args.out / "sweep.csv", header, ([row_[c] for c in header] for row_ in rows))
        figure = plot_sweep(rows, keys[0], args.out / "sweep.png")
        write_json(
            args.out / "sweep.json",
            {**request, "cases": rows, "versions": versions(), "devices": mesh.size, "processes": jax.process_count()},
        )
    except OSError as err:
        return cannot_write(args.out, err)
    shutil.rmtree(checkpoints, ignore_errors=True)  # the sweep ended: nothing is left to resume
    if not args.quiet:
        print(f"outputs: {args.out}/ (sweep.csv, sweep.json, {figure.name})")
    return EXIT_SOLVE if any(row_["status"] in ("diverged", "incomplete") for row_ in rows) else EXIT_OK


def _parse_vary(items: Sequence[str]) -> list[tuple[str, list[str]]] | str:
    """``[(key, [values...]), ...]`` from ``key=v1,v2``; or the message saying what is wrong."""
    varied = []
    for item in items:
        key, sep, values = item.partition("=")
        values_list = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not key.strip() or not values_list:
            return f"--vary {item!r} is malformed: expected SECTION.KEY=V1,V2,..."
        varied.append((key.strip(), values_list))
    return varied


def _checkpoint_problem(out: Path, resume: bool, request: dict[str, Any]) -> str | None:
    """Why the sweep cannot start (or, with ``--resume``, go on) in ``out``, or ``None``; checked before compute."""
    import json

    if problem := checkpoint_problem(out, resume, "sweep", "sweep.csv"):
        return problem
    if resume and json.loads((out / "sweep_request.json").read_text()) != json.loads(json.dumps(request)):
        return f"--resume: the sweep in {str(out)!r} was started with other --vary values or another configuration"
    return None
