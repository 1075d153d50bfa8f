"""The ``ecmjax`` command: ``run`` a configuration, ``sweep`` parameters, ``validate``, ``critical-pressure``.

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
import contextlib
import importlib
import importlib.metadata
import math
import platform
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ecmjax import __version__

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SOLVE, EXIT_INTERRUPTED = 0, 1, 2, 3, 128 + signal.SIGTERM


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

    run = commands.add_parser(
        "run",
        help="run the coupled model to failure (short circuit), survival to t_end, or divergence",
        description="Plate Li into the defect until the Li-filled crack crosses the electrolyte, or until"
        " time.t_end_s. Writes DIR/config.toml at the start, checkpoints in DIR/checkpoints as it goes, and"
        " DIR/result.json, DIR/history.csv, DIR/fields.npz and PNG figures at the end. On SIGTERM it stops"
        " within 10 steps, checkpoints and exits with status 143; --resume continues it to the same result."
        " Every key carries its SI unit in its name, e.g. geometry.depth_m.",
    )
    _add_config_arguments(run)
    run.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory (created)")
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
    _add_distributed_arguments(run)
    run.add_argument("--quiet", action="store_true", help="no progress bar; print nothing on success")
    run.set_defaults(handler=_run)

    sweep = commands.add_parser(
        "sweep",
        help="run the Cartesian product of values of some keys in batches; failure time against the first key",
        description="Run every combination of the --vary values and write DIR/sweep.csv, DIR/sweep.json and"
        " DIR/sweep.png (failure time against the first varied key; survived cases are marked at the top,"
        " not plotted as numbers). Cases that differ only in floats the model traces (geometry, material,"
        " operating conditions) run together as one vmap-ed batch, split across all devices; others (grid"
        " size, defect shape, solver settings) form groups compiled apart. The figures of finished batches"
        " are checkpointed in DIR/checkpoints (--resume continues); SIGTERM stops after the current chunk"
        " of steps.",
    )
    _add_config_arguments(sweep)
    sweep.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="SECTION.KEY=V1,V2,...",
        help="values of one key, e.g. --vary operating.current_density_A_per_m2=2,5,10,20 (repeatable)",
    )
    sweep.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory (created)")
    sweep.add_argument(
        "--batch-size",
        type=int,
        default=0,
        metavar="B",
        help="cases per batch (rounded up to a multiple of the device count; default 0: each group at once)",
    )
    sweep.add_argument("--resume", action="store_true", help="skip the batches checkpointed in DIR/checkpoints")
    _add_distributed_arguments(sweep)
    sweep.add_argument("--quiet", action="store_true", help="print nothing but errors")
    sweep.set_defaults(handler=_sweep)

    validate = commands.add_parser(
        "validate",
        help="run the validation cases against closed-form references",
        description="Run the validation cases in float64 (or float32), print a table and write"
        " DIR/validation.json; exit status 1 if any case fails.",
    )
    validate.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory (created)")
    validate.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="precision of the cases (default float64, the verification; float32 solves to a 1e-3 residual"
        " and keeps the same tolerances against the references)",
    )
    validate.add_argument("--quiet", action="store_true", help="print nothing but errors")
    validate.set_defaults(handler=_validate)

    fit = commands.add_parser(
        "fit",
        help="fit defect geometry and electrolyte properties to observed failure times, with uncertainty",
        description="Levenberg-Marquardt fit of the --params to the failure times in OBS.csv (columns"
        " current_density_A_per_m2, failure_time_s; optional stack_pressure_Pa, temperature_K, sigma_log,"
        " survived). The predicted failure time is when the Li pressure in the defect reaches the flaw's"
        " critical pressure (see ecmjax.inverse.failure_time), with exact forward-mode derivatives. Starts"
        " from the parameters' values in the configuration. Writes DIR/fit.json (estimates, standard errors,"
        " 95%% intervals, correlation, loss, counts), DIR/config.toml (the fitted configuration) and PNGs;"
        " checkpoints every iteration in DIR/checkpoints (--resume continues from there).",
    )
    fit.add_argument("observations", type=Path, metavar="OBS.csv", help="observed failure times (CSV)")
    fit.add_argument("--config", type=Path, help="base TOML configuration (default: built-in defaults)")
    fit.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one key of the base configuration, e.g. the starting point (repeatable)",
    )
    fit.add_argument(
        "--params",
        default="geometry.aspect_ratio,geometry.depth_m,material.youngs_modulus_Pa",
        metavar="KEY,KEY,...",
        help="configuration keys to fit (default: %(default)s)",
    )
    fit.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory (created)")
    fit.add_argument("--max-iter", type=int, default=20, metavar="N", help="iterations at most (default: 20)")
    fit.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance of loss and step (default: 1e-6)")
    fit.add_argument(
        "--loss-atol",
        type=float,
        default=1e-3,
        help="stop once a step lowers the negative log-likelihood by less than this (default: 1e-3)",
    )
    fit.add_argument(
        "--starts",
        type=int,
        default=1,
        metavar="K",
        help="screen the loss at K starting points (the configuration's and K-1 around it) and fit from the"
        " best (default: 1)",
    )
    fit.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in DIR")
    fit.add_argument("--quiet", action="store_true", help="print nothing but errors")
    fit.set_defaults(handler=_fit)

    critical = commands.add_parser(
        "critical-pressure",
        help="critical Li pressure of a surface flaw, and the overpotential and current density that reach it",
        description="Print the edge-crack critical pressure K_IC / (1.1215 sqrt(pi c)) of a Li-filled surface flaw"
        " of depth c, the overpotential Omega_Li p_c / F that plating needs to reach it, and the current density"
        " j_c at which a flat cell supplies it (|eta_BV(j_c)| + j_c c / kappa = eta_c), against the configured"
        " current density. Computed in float64.",
    )
    critical.add_argument("config", nargs="?", type=Path, help="TOML configuration (default: built-in defaults)")
    critical.add_argument(
        "--material", metavar="NAME", help="named material set, e.g. llzo or lpscl (sets material.name before --set)"
    )
    critical.add_argument(
        "--flaw-depth-m", required=True, type=float, metavar="C", help="depth c of the flaw in m, e.g. 1e-6"
    )
    critical.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one key, e.g. --set material.fracture_toughness_Pa_sqrt_m=1.3e6 (repeatable)",
    )
    critical.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers to PATH (JSON)")
    critical.set_defaults(handler=_critical_pressure)
    return parser


def _error(message: str) -> None:
    print(f"ecmjax: error: {message}", file=sys.stderr)


def _check_out_dir(out: Path) -> str | None:
    """Why ``out`` cannot become the output directory, or ``None`` (checked without creating it)."""
    if out.exists() and not out.is_dir():
        return f"--out {str(out)!r} exists and is not a directory"
    return None


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", type=Path, help="TOML configuration (default: built-in defaults)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one key after the file, e.g. --set geometry.depth_m=2e-6 (repeatable)",
    )


def _add_distributed_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="join a multi-process job (jax.distributed) and use the devices of every process:"
        " auto-detected under SLURM or Open MPI, else give --coordinator, --num-processes and --process-id;"
        " process 0 writes the outputs",
    )
    parser.add_argument("--coordinator", metavar="HOST:PORT", help="address of process 0 (with --distributed)")
    parser.add_argument("--num-processes", type=int, metavar="N", help="processes in the job (with --distributed)")
    parser.add_argument("--process-id", type=int, metavar="I", help="this process's index (with --distributed)")


def _join(args: argparse.Namespace) -> bool:
    """Check the ``--distributed`` arguments and, if asked, join the job (before JAX starts); False if bad."""
    explicit = [args.coordinator, args.num_processes, args.process_id]
    problem = None
    if not args.distributed and any(value is not None for value in explicit):
        problem = "--coordinator, --num-processes and --process-id need --distributed"
    elif any(value is not None for value in explicit) and any(value is None for value in explicit):
        problem = "give all of --coordinator, --num-processes and --process-id, or none (auto-detected)"
    elif args.num_processes is not None and args.num_processes < 1:
        problem = f"--num-processes = {args.num_processes} is out of range: must be >= 1"
    elif args.process_id is not None and not 0 <= args.process_id < args.num_processes:
        problem = f"--process-id = {args.process_id} is out of range: must be in [0, {args.num_processes - 1}]"
    if problem:
        _error(problem)
        return False
    if args.distributed:
        from ecmjax.solver.parallel.distributed import initialize

        initialize(args.coordinator, args.num_processes, args.process_id)
    return True


def _load(args: argparse.Namespace, extra: Sequence[str] = ()) -> Any:
    """The validated configuration, or ``None`` after printing why (bad input)."""
    from ecmjax.config import ConfigError, check_devices, load_config

    try:
        config = load_config(args.config, [*args.overrides, *extra])
        check_devices(config)
    except ConfigError as err:
        _error(str(err))
        return None
    if problem := _check_out_dir(args.out):
        _error(problem)
        return None
    return config


def _prepare(config: Any) -> None:
    """Precision of the run, and JAX's persistent compilation cache (a second run skips compiling)."""
    from ecmjax.config import precision

    if config.solver.dtype == "float64":
        precision.enable_float64()
    precision.enable_compilation_cache()


_RUN_FILES = ("result.json", "history.csv", "fields.npz", "config.toml")


@contextlib.contextmanager
def _sigterm_flag() -> Iterator[threading.Event]:
    """A flag that SIGTERM sets, instead of ending the process, while inside; the previous handler after.

    A batch scheduler (SLURM) sends SIGTERM some time before it kills a job: the run then stops after its
    chunk of steps and checkpoints, rather than losing the steps since its last checkpoint.
    """
    flag = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: flag.set())
    try:
        yield flag
    finally:
        signal.signal(signal.SIGTERM, previous)


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


def _checkpoint_problem(out: Path, resume: bool, what: str, final_output: str) -> str | None:
    """Why a new ``what`` (run, sweep) cannot start in ``out``, which holds checkpoints, or why ``--resume``
    cannot go on, with none; ``None`` if neither. Checked before any compute."""
    from ecmjax.solver.checkpoint import latest_iteration

    checkpoints = out / "checkpoints"
    step = latest_iteration(checkpoints)
    if not resume:
        if step is None:
            return None
        return (
            f"--out {str(out)!r} holds the checkpoints of an unfinished {what} (checkpoint {step} in"
            f" {str(checkpoints)!r}): continue it with --resume, or choose another --out"
        )
    if step is None:
        ended = f" (the {what} there ended)" if (out / final_output).is_file() else ""
        return f"--resume: no checkpoint to resume in {str(checkpoints)!r}{ended}"
    return None


def _run_checkpoint_problem(args: argparse.Namespace, config: Any) -> str | None:
    """Why the run cannot start (or, with ``--resume``, go on) in ``--out``, or ``None``; checked before compute."""
    if args.checkpoint_every < 0:
        return f"--checkpoint-every = {args.checkpoint_every} is out of range: must be >= 0 (0: only on SIGTERM)"
    if problem := _checkpoint_problem(args.out, args.resume, "run", "result.json"):
        return problem
    return _resume_config_problem(args.out / "config.toml", config) if args.resume else None


def _run(args: argparse.Namespace) -> int:
    if not _join(args):
        return EXIT_USAGE
    config = _load(args)
    if config is None:
        return EXIT_USAGE
    if args.snapshots < 0:
        _error(f"--snapshots = {args.snapshots} is out of range: must be >= 0 (0: no snapshots)")
        return EXIT_USAGE
    if problem := _run_checkpoint_problem(args, config):
        _error(problem)
        return EXIT_USAGE
    _prepare(config)
    from ecmjax.api import Interrupted, simulate
    from ecmjax.config import ConfigError
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
        _error(f"cannot write to {str(args.out)!r}: {err}")
        return EXIT_FAILED
    with _sigterm_flag() as sigterm:
        try:
            result = simulate(
                config,
                progress=not args.quiet and writer,
                snapshot_every=args.snapshots,
                stop_when=lambda state: any_process(sigterm.is_set()),
                checkpoint_dir=checkpoints,
                checkpoint_every=args.checkpoint_every,
                resume=args.resume,
            )
        except Interrupted as stopped:
            if not writer:
                return EXIT_INTERRUPTED
            _error(
                f"SIGTERM: {stopped} and is checkpointed in {str(checkpoints)!r}; to continue it, rerun the same"
                " command with --resume"
            )
            return EXIT_INTERRUPTED
        except ConfigError as err:  # a checkpoint of another --snapshots
            _error(str(err))
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
                "versions": _versions(),
                "device": _device(),
                "outputs": outputs,
            },
        )
    except OSError as err:
        _error(f"cannot write to {str(args.out)!r}: {err}")
        return EXIT_FAILED
    shutil.rmtree(checkpoints, ignore_errors=True)  # the run ended: nothing is left to resume

    if result.status in ("diverged", "incomplete"):
        _error(f"run {result.status}: {result.message}; result.json and history.csv hold what was computed")
        return EXIT_SOLVE
    if not args.quiet:
        print(_summary_text(result.summary) + f"\noutputs: {args.out}/ ({', '.join(outputs)})")
    return EXIT_OK


def _fit(args: argparse.Namespace) -> int:
    from ecmjax.config import check_parameter_keys
    from ecmjax.inverse.observations import ObservationError, read_observations

    try:
        observations = read_observations(args.observations)
        keys = check_parameter_keys([k.strip() for k in args.params.split(",") if k.strip()])
    except (ObservationError, OSError, ValueError) as err:
        _error(str(err))
        return EXIT_USAGE
    if args.max_iter < 0:
        _error(f"--max-iter = {args.max_iter} is out of range: must be >= 0")
        return EXIT_USAGE
    if args.starts < 1:
        _error(f"--starts = {args.starts} is out of range: must be >= 1")
        return EXIT_USAGE
    if not 0.0 < args.rtol < 1.0:
        _error(f"--rtol = {args.rtol} is out of range: must be in (0, 1)")
        return EXIT_USAGE
    if not args.loss_atol >= 0.0:
        _error(f"--loss-atol = {args.loss_atol} is out of range: must be >= 0")
        return EXIT_USAGE
    config = _load(args)
    if config is None:
        return EXIT_USAGE
    _prepare(config)
    from ecmjax.config import ConfigError, with_parameters
    from ecmjax.inverse.fit import fit
    from ecmjax.output.files import finite_or_none, write_json, write_text
    from ecmjax.output.plots import plot_fit

    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        _error(f"cannot create {str(args.out)!r}: {err}")
        return EXIT_FAILED

    def shown(theta: Any) -> str:
        return ", ".join(f"{k.split('.')[1]}={v:.6g}" for k, v in zip(keys, theta, strict=True))

    def report(iteration: int, loss: float, theta: Any) -> None:
        if not args.quiet:
            print(f"iteration {iteration}: loss {loss:.6g} at {shown(theta)}", flush=True)

    screened: dict[str, Any] = {}

    def screen(points: Any, losses: Any) -> None:
        screened.update(points=points, losses=finite_or_none(losses))
        if not args.quiet:
            for point, loss in zip(points, losses, strict=True):
                print(f"start {shown(point)}: loss {loss:.6g}", flush=True)

    try:
        result = fit(
            observations,
            config,
            keys,
            max_iter=args.max_iter,
            rtol=args.rtol,
            loss_atol=args.loss_atol,
            checkpoint_dir=args.out / "checkpoints",
            resume=args.resume,
            starts=args.starts,
            on_start=screen,
            on_iteration=report,
        )
    except (ConfigError, ValueError) as err:
        _error(str(err))
        return EXIT_USAGE
    fitted = with_parameters(config, keys, [float(v) for v in result.estimates])
    try:
        outputs = ["fit.json", "config.toml"]
        write_text(args.out / "config.toml", fitted.to_toml())
        outputs += [p.name for p in plot_fit(result, observations, args.out)]
        write_json(
            args.out / "fit.json",
            {
                **result.uncertainty.as_dict(),
                "final_loss": result.loss,
                "iterations": result.iterations,
                "converged": result.converged,
                "forward_runs": result.forward_runs,
                "gradient_runs": result.gradient_runs,
                "loss_history": result.loss_history,
                "predicted_failure_time_s": finite_or_none(result.predicted_failure_time_s),
                "observed_failure_time_s": observations.failure_time_s,
                "sigma_log": result.sigma_log,
                "sigma_log_estimated": result.sigma_log_estimated,
                "screened_starts": screened or None,
                "failure_criterion": "Li pressure reaches the flaw's critical pressure K_IC / (1.1215 sqrt(pi depth))",
                "base_config": config.to_dict(),
                "versions": _versions(),
                "outputs": outputs,
            },
        )
    except OSError as err:
        _error(f"cannot write to {str(args.out)!r}: {err}")
        return EXIT_FAILED
    if not args.quiet:
        u = result.uncertainty
        for key, value, low, high in zip(keys, u.estimates, u.lower_95, u.upper_95, strict=True):
            print(f"{key:40s} {value:.6g}  (95%: {low:.6g} .. {high:.6g})")
        for warning in u.warnings:
            print(f"warning: {warning}")
        print(f"outputs: {args.out}/ ({', '.join(outputs)})")
    return EXIT_OK if result.converged else EXIT_SOLVE


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
            f"steps:                {summary['n_steps']} ({summary['n_trials']} tried)",
            f"wall time:            {summary['wall_time_s']:.1f} s (including JIT compilation)",
        ]
    )


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


def _sweep(args: argparse.Namespace) -> int:
    import itertools

    varied = _parse_vary(args.vary)
    if isinstance(varied, str):
        _error(varied)
        return EXIT_USAGE
    if args.batch_size < 0:
        _error(f"--batch-size = {args.batch_size} is out of range: must be >= 1 (0: each group at once)")
        return EXIT_USAGE
    if not _join(args):
        return EXIT_USAGE
    keys = [key for key, _ in varied]
    combinations = list(itertools.product(*(values for _, values in varied)))
    configs = []
    for values in combinations:  # every case is validated before any compute
        config = _load(args, [f"{k}={v}" for k, v in zip(keys, values, strict=True)])
        if config is None:
            return EXIT_USAGE
        configs.append(config)
    if any(config.solver.domain_devices != 1 for config in configs):
        _error("solver.domain_devices must be 1 in a sweep: a sweep splits its cases over the devices, not the grid")
        return EXIT_USAGE
    request = {"varied": dict(varied), "base_config": configs[0].to_dict()}
    checkpoints = args.out / "checkpoints"
    if problem := _sweep_checkpoint_problem(args.out, args.resume, request):
        _error(problem)
        return EXIT_USAGE
    _prepare(configs[0])
    import jax

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

    with _sigterm_flag() as stop:
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
            _error(
                f"SIGTERM: the sweep stopped with {int(progress.done.sum())}/{len(configs)} cases done, checkpointed"
                f" in {str(checkpoints)!r}; to continue it, rerun the same command with --resume"
            )
        return EXIT_INTERRUPTED
    if not writer:
        return EXIT_OK
    rows = []
    for i, config in enumerate(configs):
        case = dict(zip(keys, (_value_of(config, k) for k in keys), strict=True))
        case.update(row(progress.figures[i]))
        rows.append(case)
    try:
        header = [*keys, *(column for column in rows[0] if column not in keys)]
        write_csv(args.out / "sweep.csv", header, ([row_[c] for c in header] for row_ in rows))
        figure = plot_sweep(rows, keys[0], args.out / "sweep.png")
        write_json(
            args.out / "sweep.json",
            {**request, "cases": rows, "versions": _versions(), "devices": mesh.size, "processes": jax.process_count()},
        )
    except OSError as err:
        _error(f"cannot write to {str(args.out)!r}: {err}")
        return EXIT_FAILED
    shutil.rmtree(checkpoints, ignore_errors=True)  # the sweep ended: nothing is left to resume
    if not args.quiet:
        print(f"outputs: {args.out}/ (sweep.csv, sweep.json, {figure.name})")
    return EXIT_SOLVE if any(row_["status"] in ("diverged", "incomplete") for row_ in rows) else EXIT_OK


def _sweep_checkpoint_problem(out: Path, resume: bool, request: dict[str, Any]) -> str | None:
    """Why the sweep cannot start (or, with ``--resume``, go on) in ``out``, or ``None``; checked before compute."""
    import json

    if problem := _checkpoint_problem(out, resume, "sweep", "sweep.csv"):
        return problem
    if resume and json.loads((out / "sweep_request.json").read_text()) != json.loads(json.dumps(request)):
        return f"--resume: the sweep in {str(out)!r} was started with other --vary values or another configuration"
    return None


def _value_of(config: Any, key: str) -> Any:
    section, _, name = key.partition(".")
    return config.to_dict()[section][name]


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

    from ecmjax.config import precision

    dtype = precision.use_default_dtype(args.dtype)
    try:
        validation = importlib.import_module("ecmjax.validation")
    except ModuleNotFoundError as err:
        if err.name != "ecmjax.validation":
            raise
        _error("the validation cases (ecmjax.validation) are not installed")
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


def _critical_pressure(args: argparse.Namespace) -> int:
    from ecmjax.config import ConfigError, load_config
    from ecmjax.model.critical_pressure import check_flaw_depth, critical_pressure_report, format_report

    material = [] if args.material is None else [f'material.name="{args.material}"']
    try:
        config = load_config(args.config, [*material, *args.overrides])
        check_flaw_depth(args.flaw_depth_m, config.domain.thickness_m, name="--flaw-depth-m")
    except ConfigError as err:
        _error(str(err))
        return EXIT_USAGE
    if args.json is not None and args.json.is_dir():
        _error(f"--json {str(args.json)!r} is a directory")
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
            _error(f"cannot write {str(args.json)!r}: {err}")
            return EXIT_FAILED
    print(format_report(report, config))
    return EXIT_OK
