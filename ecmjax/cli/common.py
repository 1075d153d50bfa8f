"""What more than one subcommand uses: shared arguments, exit statuses, input checks, run metadata.

Nothing here imports JAX at module level: a command checks its input, and joins a ``--distributed`` job,
before JAX starts.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import platform
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ecmjax import __version__

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SOLVE",
    "EXIT_USAGE",
    "add_config_arguments",
    "add_distributed_arguments",
    "add_out_argument",
    "add_quiet_argument",
    "cannot_write",
    "check_out_dir",
    "checkpoint_problem",
    "device",
    "error",
    "join",
    "load",
    "prepare",
    "sigterm_flag",
    "versions",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SOLVE, EXIT_INTERRUPTED = 0, 1, 2, 3, 128 + signal.SIGTERM


def add_config_arguments(
    parser: argparse.ArgumentParser,
    set_help: str = "override one key after the file, e.g. --set geometry.depth_m=2e-6 (repeatable)",
) -> None:
    """The optional positional ``CONFIG.toml`` and the repeatable ``--set SECTION.KEY=VALUE``."""
    parser.add_argument("config", nargs="?", type=Path, help="TOML configuration (default: built-in defaults)")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE", help=set_help
    )


def add_out_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory (created)")


def add_quiet_argument(parser: argparse.ArgumentParser, help_text: str = "print nothing but errors") -> None:
    parser.add_argument("--quiet", action="store_true", help=help_text)


def add_distributed_arguments(parser: argparse.ArgumentParser) -> None:
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


def parameter_keys(text: str) -> tuple[str, ...]:
    """The float keys of a comma-separated list (``--params``, ``--sensitivities``); ``ConfigError`` naming the
    first that is not one (checked before any compute)."""
    from ecmjax.config import check_parameter_keys

    return check_parameter_keys([key.strip() for key in text.split(",") if key.strip()])


def error(message: str) -> None:
    print(f"ecmjax: error: {message}", file=sys.stderr)


def cannot_write(out: Path, err: OSError) -> int:
    """Say that ``out`` could not be written; the exit status of that."""
    error(f"cannot write to {str(out)!r}: {err}")
    return EXIT_FAILED


def check_out_dir(out: Path) -> str | None:
    """Why ``out`` cannot become the output directory, or ``None`` (checked without creating it)."""
    if out.exists() and not out.is_dir():
        return f"--out {str(out)!r} exists and is not a directory"
    return None


def join(args: argparse.Namespace) -> bool:
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
        error(problem)
        return False
    if args.distributed:
        from ecmjax.solver.parallel.distributed import initialize

        initialize(args.coordinator, args.num_processes, args.process_id)
    return True


def load(args: argparse.Namespace, extra: Sequence[str] = ()) -> Any:
    """The validated configuration of ``args`` (file, ``--set``, then ``extra``), with ``--out`` checked;
    or ``None`` after printing why (bad input)."""
    from ecmjax.config import ConfigError, check_devices, load_config

    try:
        config = load_config(args.config, [*args.overrides, *extra])
        check_devices(config)
    except ConfigError as err:
        error(str(err))
        return None
    if problem := check_out_dir(args.out):
        error(problem)
        return None
    return config


def prepare(config: Any) -> None:
    """Precision of the run, and JAX's persistent compilation cache (a second run skips compiling)."""
    from ecmjax.config import precision

    if config.solver.dtype == "float64":
        precision.enable_float64()
    precision.enable_compilation_cache()


@contextlib.contextmanager
def sigterm_flag() -> Iterator[threading.Event]:
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


def checkpoint_problem(out: Path, resume: bool, what: str, final_output: str) -> str | None:
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


def versions() -> dict[str, str]:
    """The versions of ecmjax, its main dependencies and Python, for the outputs' metadata."""
    found = {"ecmjax": __version__}
    for package in ("jax", "jaxlib", "equinox", "numpy"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = "not installed"
    found["python"] = platform.python_version()
    return found


def device() -> dict[str, str]:
    """The first JAX device, for the outputs' metadata."""
    import jax

    first = jax.devices()[0]
    return {"name": str(first), "platform": first.platform, "kind": str(first.device_kind)}
