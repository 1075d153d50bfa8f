"""Benchmark set 4 of docs/performance.md: a sweep of defect geometries, batched against a loop.

The sweep is a grid of depths and aspect ratios of the semi-elliptic pit (64 geometries by default) on
N x N cells (128 by default) of the default sulfide cell (3.2 um square half-cell). Every case runs
``--steps`` increments of the coupled model (``path.max_increments``; 0 runs each case to its end).
Contenders, each in its own process so that its compilation is counted:

- ``loop-simulate``: a Python loop of ``ecmjax.simulate(config)``, what a user writes first (each new
  geometry compiles the time loop again: Python floats are compile-time constants);
- ``loop``: a Python loop of single runs that share one compilation (``run_sweep`` with batches of 1);
- ``batched-D``: the whole sweep as one ``vmap``-ed batch split over D devices (``jax.shard_map``); D > 1
  on CPU uses ``--xla_force_host_platform_device_count``, which splits the same cores.

Reported: wall time including compilation, simulations per hour, the ratio to each loop, and the largest
relative difference of every case's figures from the ``loop`` run (the answer check). Results go to
``scripts/bench_results/sweep.json``; ``python scripts/bench_sweep.py --help``.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_record import write_record

RESULTS = Path(__file__).parent / "bench_results" / "sweep.json"
DEPTHS_M = np.linspace(0.8e-6, 1.2e-6, 8)
ASPECT_RATIOS = np.linspace(0.75, 2.0, 8)


def geometries(cases: int) -> list[tuple[float, float]]:
    """``cases`` (depth, aspect ratio) pairs spread evenly over the 8 x 8 grid of the full benchmark."""
    grid = [(float(d), float(a)) for d in DEPTHS_M for a in ASPECT_RATIOS]
    return [grid[i] for i in np.linspace(0, len(grid) - 1, cases).round().astype(int)]


def configs(cells: int, cases: int, steps: int) -> list:
    from ecmjax.config import load_config

    base = [f"grid.nx={cells}", f"grid.ny={cells}", "domain.thickness_m=3.2e-6"]
    if steps:
        base.append(f"path.max_increments={steps}")
    return [
        load_config(None, [*base, f"geometry.depth_m={depth!r}", f"geometry.aspect_ratio={ratio!r}"])
        for depth, ratio in geometries(cases)
    ]


def one_contender(name: str, cells: int, cases: int, steps: int) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    from ecmjax.api import simulate
    from ecmjax.model.sweep import COLUMNS, case_mesh, run_sweep

    sweep = configs(cells, cases, steps)
    start = time.perf_counter()
    if name == "loop-simulate":
        summaries = [simulate(config).summary for config in sweep]
        figures = [[np.nan if s[c] is None else s[c] for c in COLUMNS[1:]] for s in summaries]
    else:
        devices = 1 if name == "loop" else int(name.split("-")[1])
        progress = run_sweep(sweep, mesh=case_mesh(jax.devices()[:devices]), batch_size=1 if name == "loop" else None)
        figures = progress.figures[:, 1:].tolist()
    wall = time.perf_counter() - start
    return {
        "contender": name,
        "devices": jax.device_count() if name.startswith("batched") else 1,
        "wall_time_s_including_compilation": wall,
        "simulations_per_hour": cases / wall * 3600,
        "figures": figures,
        "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def largest_difference(figures, reference) -> float:
    a, b = np.asarray(figures, float), np.asarray(reference, float)
    both = np.isfinite(a) & np.isfinite(b)
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return float("inf")
    return float(np.max(np.abs(a - b)[both] / np.maximum(np.abs(b[both]), 1e-300), initial=0.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=128, help="N of the N x N grid (default: 128)")
    parser.add_argument("--cases", type=int, default=64, help="geometries, at most 64 (default: 64)")
    parser.add_argument("--steps", type=int, default=0, help="accepted steps per case; 0: to the end (default)")
    parser.add_argument(
        "--contenders",
        nargs="+",
        default=["loop-simulate", "loop", "batched-1", "batched-2", "batched-4"],
        help="which to run (default: all)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_contender(args.child, args.cells, args.cases, args.steps)))
        return
    runs = {}
    for name in args.contenders:
        env = dict(os.environ, ECMJAX_CACHE_DIR="")
        if name.startswith("batched-") and name != "batched-1":
            env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={name.split('-')[1]}"
        command = [sys.executable, __file__, "--child", name, "--cells", str(args.cells)]
        command += ["--cases", str(args.cases), "--steps", str(args.steps)]
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        runs[name] = json.loads(out.stdout.strip().splitlines()[-1])
        shown = {k: v for k, v in runs[name].items() if k != "figures"}
        print(json.dumps(shown), flush=True)
    reference = runs.get("loop", next(iter(runs.values())))["figures"]
    for run in runs.values():
        run["largest_relative_difference_from_loop"] = largest_difference(run.pop("figures"), reference)
    ratios = {
        name: {
            f"throughput_vs_{loop}": run["simulations_per_hour"] / runs[loop]["simulations_per_hour"]
            for loop in ("loop", "loop-simulate")
            if loop in runs
        }
        for name, run in runs.items()
        if name.startswith("batched")
    }
    write_record(
        RESULTS,
        "sweep of defect geometries, batched vs a loop, float64, docs/performance.md set 4",
        case={"cells": [args.cells, args.cells], "cases": args.cases, "steps_per_case": args.steps or "to the end"},
        runs=runs,
        ratios=ratios,
    )
    print(json.dumps(ratios, indent=2))
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
