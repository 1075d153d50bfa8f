"""Benchmark set 2 of docs/performance.md: the coupled model's time loop, end to end.

Runs the built-in default case at two resolutions (the default grid, and twice as fine in each
direction with the same physics) with each preconditioner, with and without Anderson acceleration of the
staggered iteration, every run in its own subprocess so that its compilation is counted and its peak
memory is its own. Reports the whole run's wall time, the compilation (the first chunk of steps) apart
from the per-step time of the rest, the steps, tried steps and staggered iterations, and the outcome.
Results go to ``scripts/bench_results/coupled.json``; ``python scripts/bench_coupled.py --help``.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench_record import write_record

RESULTS = Path(__file__).parent / "bench_results" / "coupled.json"
RESOLUTIONS = {"default": (), "fine": ("grid.nx=64", "grid.ny=128")}
ACCELERATIONS = {"anderson": (), "plain": ("damage.anderson_depth=0",)}


def one_run(resolution: str, preconditioner: str, acceleration: str, t_end_s: float) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    from ecmjax.api import simulate
    from ecmjax.config import load_config

    overrides = (
        *RESOLUTIONS[resolution],
        *ACCELERATIONS[acceleration],
        f"solver.preconditioner={preconditioner}",
        f"time.t_end_s={t_end_s}",
    )
    config = load_config(None, overrides)
    chunks = []
    start = time.perf_counter()
    result = simulate(
        config, on_chunk=lambda model, state: chunks.append((time.perf_counter() - start, int(state.step)))
    )
    wall = time.perf_counter() - start
    (t_first, steps_first), (t_last, steps_last) = chunks[1], chunks[-1]
    per_step = (t_last - t_first) / max(steps_last - steps_first, 1)
    return {
        "resolution": resolution,
        "grid": [config.grid.nx, config.grid.ny],
        "preconditioner": preconditioner,
        "staggered_acceleration": acceleration,
        "status": result.status,
        "failure_time_s": result.summary["failure_time_s"],
        "n_steps": result.summary["n_steps"],
        "n_trials": result.summary["n_trials"],
        "staggered_iterations": result.summary["staggered_iterations"],
        "wall_time_s": wall,
        "first_chunk_s_including_compilation": t_first,
        "per_step_s_after_compilation": per_step,
        "max_pressure_Pa": result.summary["max_pressure_Pa"],
        "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolutions", nargs="+", default=list(RESOLUTIONS), choices=list(RESOLUTIONS))
    parser.add_argument("--preconditioners", nargs="+", default=["multigrid", "jacobi"])
    parser.add_argument("--accelerations", nargs="+", default=list(ACCELERATIONS), choices=list(ACCELERATIONS))
    parser.add_argument("--t-end-s", type=float, default=3600.0, help="simulated time of each run")
    parser.add_argument(
        "--merge", action="store_true", help="keep the runs already in the results file that this call does not redo"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(*args.child, args.t_end_s)))
        return
    runs = []
    if args.merge and RESULTS.exists():
        runs = json.loads(RESULTS.read_text())["runs"]
    cases = [
        (resolution, preconditioner, acceleration)
        for resolution in args.resolutions
        for preconditioner in args.preconditioners
        for acceleration in args.accelerations
    ]
    key = lambda run: (run["resolution"], run["preconditioner"], run["staggered_acceleration"])
    runs = [run for run in runs if key(run) not in cases]
    for case in cases:
        command = [sys.executable, __file__, "--child", *case, "--t-end-s", str(args.t_end_s)]
        out = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "ECMJAX_CACHE_DIR": ""},  # compilation is part of the measured time
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1]), flush=True)
    write_record(RESULTS, "coupled default case, float64, docs/performance.md set 2", runs=runs)
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
