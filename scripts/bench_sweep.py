"""Benchmark set 4 of docs/performance.md: a sweep of defect geometries against a loop of single runs.

Two cases:

- the geometry grid: depths and aspect ratios of the semi-elliptic pit (64 geometries by default) on
  N x N cells (128 by default) of the default sulfide cell (3.2 um square half-cell), every case running
  ``--steps`` increments (``path.max_increments``; 0 runs each case to its end);
- ``--aspect-ratios 1,2,3``: the built-in default case at those aspect ratios, each to its end (unlike
  cases: their paths diverge, and a shorted case must stop costing).

Contenders, each in its own process so that its compilation is counted:

- ``loop-simulate``: a Python loop of ``ecmjax.simulate(config)``, what a user writes first (a run holds
  the physical floats as arrays, so the loop compiles once);
- ``sweep-D``: ``run_sweep`` as ``ecmjax sweep`` runs it, a case per device over D devices (D = 1: each
  case is its own run; D > 1 on CPU uses ``--xla_force_host_platform_device_count``, which splits the same
  cores);
- ``stacked-B``: ``run_sweep(batch_size=B)`` on one device: B cases under ``vmap`` (``--batch-size``).

Reported: wall time including compilation, simulations per hour, the ratio to the loop, and the largest
relative difference of every case's figures from the loop's (the answer check). Results go to
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


def configs(cells: int, cases: int, steps: int, aspect_ratios: list[float]) -> list:
    from ecmjax.config import load_config

    if aspect_ratios:
        return [load_config(None, [f"geometry.aspect_ratio={ratio!r}"]) for ratio in aspect_ratios]
    base = [f"grid.nx={cells}", f"grid.ny={cells}", "domain.thickness_m=3.2e-6"]
    if steps:
        base.append(f"path.max_increments={steps}")
    return [
        load_config(None, [*base, f"geometry.depth_m={depth!r}", f"geometry.aspect_ratio={ratio!r}"])
        for depth, ratio in geometries(cases)
    ]


def one_contender(name: str, sweep: list) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    from ecmjax.api import simulate
    from ecmjax.model.sweep import COLUMNS, case_mesh, run_sweep

    start = time.perf_counter()
    if name == "loop-simulate":
        summaries = [simulate(config).summary for config in sweep]
        figures = [[np.nan if s[c] is None else s[c] for c in COLUMNS[1:]] for s in summaries]
    else:
        kind, number = name.split("-")
        batch_size = int(number) if kind == "stacked" else None
        progress = run_sweep(sweep, mesh=case_mesh(), batch_size=batch_size)
        figures = progress.figures[:, 1:].tolist()
    wall = time.perf_counter() - start
    return {
        "contender": name,
        "devices": jax.device_count(),
        "wall_time_s_including_compilation": wall,
        "simulations_per_hour": len(sweep) / wall * 3600,
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
        "--aspect-ratios",
        type=lambda text: [float(v) for v in text.split(",")],
        default=[],
        metavar="A,B,...",
        help="the built-in default case at these aspect ratios, to its end, instead of the geometry grid",
    )
    parser.add_argument(
        "--contenders",
        nargs="+",
        default=["loop-simulate", "sweep-1", "sweep-2", "stacked-4"],
        help="which to run (default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="the record (default: %(default)s)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sweep = configs(args.cells, args.cases, args.steps, args.aspect_ratios)
        print(json.dumps(one_contender(args.child, sweep)))
        return
    runs = {}
    for name in args.contenders:
        env = dict(os.environ, ECMJAX_CACHE_DIR="")
        if name.startswith("sweep-") and name != "sweep-1":
            env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={name.split('-')[1]}"
        command = [sys.executable, __file__, "--child", name, "--cells", str(args.cells)]
        command += ["--cases", str(args.cases), "--steps", str(args.steps)]
        if args.aspect_ratios:
            command += ["--aspect-ratios", ",".join(map(repr, args.aspect_ratios))]
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        runs[name] = json.loads(out.stdout.strip().splitlines()[-1])
        shown = {k: v for k, v in runs[name].items() if k != "figures"}
        print(json.dumps(shown), flush=True)
    reference = runs.get("loop-simulate", next(iter(runs.values())))["figures"]
    for run in runs.values():
        run["largest_relative_difference_from_loop"] = largest_difference(run.pop("figures"), reference)
    ratios = {
        name: {
            "throughput_vs_loop-simulate": run["simulations_per_hour"] / runs["loop-simulate"]["simulations_per_hour"]
        }
        for name, run in runs.items()
        if name != "loop-simulate" and "loop-simulate" in runs
    }
    if args.aspect_ratios:
        case = {"config": "built-in default", "aspect_ratios": args.aspect_ratios, "steps_per_case": "to the end"}
    else:
        case = {"cells": [args.cells, args.cells], "cases": args.cases, "steps_per_case": args.steps or "to the end"}
    write_record(
        args.out,
        "sweep of defect geometries against a loop of single runs, float64, docs/performance.md set 4",
        case=case,
        runs=runs,
        ratios=ratios,
    )
    print(json.dumps(ratios, indent=2))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
