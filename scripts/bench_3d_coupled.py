"""Per-step time of the coupled 3D model against the axisymmetric one (issue 8, benchmark 5).

The case: a semi-spherical pit 0.8 um deep (LLZO, 1 mA/cm^2, i0 = 50 A/m^2) in a slab of ``n`` cells of
h = 0.1 um on each side, float64, ``solver.rtol`` 1e-8, run

- ``3d``: on the quarter ``x, y >= 0`` between mirror planes, ``n x n x n`` cells;
- ``axisymmetric``: on the meridian half-plane, ``n x n`` cells (the peer: the same revolved cell, which
  a body of revolution lets one solve in 2D; its footprint is the disc inscribed in the 3D square).

Each case runs in its own process (its peak memory is its own). The model, its initial state and the
program of a chunk of steps are compiled first (``compile_s``); then the first ``--warm-steps`` steps
(the Li fills the pit and its pressure starts to rise) are timed apart; then one step from the state
after them is repeated ``--repeats`` times, and the median (and spread) of those warm steps is the
per-step time. The pressures after the step are compared (the footprints differ, so they agree to a
few per cent, not to round-off). The growth exponent is fitted over the 3D sizes. Peak memory: host RSS,
and on a GPU the device allocator's peak.

``--parallel-compile`` (for a GPU host, whose many cores would otherwise idle while one case compiles):
all cases compile at once, each in its own process, into a shared compilation cache; then the cases
run one at a time, loading their programs from it, so the timed steps never share the device.
Results go to ``scripts/bench_results/bench_3d_coupled.json`` (``--out`` elsewhere).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_record import write_record

RESULTS = Path(__file__).parent / "bench_results" / "bench_3d_coupled.json"
CELL_M = 0.1e-6


def overrides(cells: int, dimension: str, preconditioner: str) -> list[str]:
    return [
        f"domain.dimension={dimension}",
        f"domain.width_m={2 * cells * CELL_M}",
        f"domain.thickness_m={cells * CELL_M}",
        f"grid.nx={cells}",
        f"grid.ny={cells}",
        "geometry.depth_m=0.8e-6",
        "material.name=llzo",
        "kinetics.exchange_current_A_per_m2=50",
        "operating.current_density_A_per_m2=10",
        f"solver.preconditioner={preconditioner}",
    ]


def one_case(
    cells: int, dimension: str, preconditioner: str, repeats: int, warm_steps: int, compile_only: bool
) -> dict:
    import jax
    import jax.numpy as jnp

    from ecmjax.config import load_config
    from ecmjax.config.precision import enable_compilation_cache, enable_float64
    from ecmjax.model.simulation import advance_jit, start_jit  # what simulation.run calls

    enable_float64()
    enable_compilation_cache()  # off unless --parallel-compile gave the children a shared directory
    config = load_config(None, overrides(cells, dimension, preconditioner))
    start = time.perf_counter()
    model, state = jax.block_until_ready(start_jit(config))
    # No step taken: this compiles the chunk of steps, whose count is traced (an array), so that the warm
    # steps and the timed ones share one program.
    jax.block_until_ready(advance_jit(model, state, jnp.asarray(0)))
    record = {
        "dimension": dimension,
        "cells": [cells] * (3 if dimension == "3d" else 2),
        "preconditioner": preconditioner,
        "compile_s": time.perf_counter() - start,
    }
    if compile_only:
        return record
    start = time.perf_counter()
    first = jax.block_until_ready(advance_jit(model, state, jnp.asarray(warm_steps)))
    warm_s = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        after = jax.block_until_ready(advance_jit(model, first, jnp.asarray(1)))
        times.append(time.perf_counter() - start)
    device = jax.devices()[0]
    stats = device.memory_stats() if device.platform == "gpu" else None
    return record | {
        "warm_steps": warm_steps,
        "warm_steps_s": warm_s,
        "step_s_median": statistics.median(times),
        "step_s_min": min(times),
        "step_s_max": max(times),
        "trials_per_step": int(after.trials) - int(first.trials),
        "staggered_iterations_per_step": int(after.staggered_iterations) - int(first.staggered_iterations),
        "pressure_after_step_Pa": float(after.pressure_Pa),
        "time_after_step_s": float(after.time_s),
        "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_device_MiB": stats["peak_bytes_in_use"] / 2**20 if stats else None,
    }


def child_command(cells: int, dimension: str, args: argparse.Namespace, compile_only: bool = False) -> list[str]:
    command = [sys.executable, __file__, "--child", str(cells), dimension]
    command += ["--preconditioner", args.preconditioner, "--repeats", str(args.repeats)]
    command += ["--warm-steps", str(args.warm_steps)] + (["--compile-only"] if compile_only else [])
    return command


def last_json_line(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def precompile(cases: list[tuple[int, str]], args: argparse.Namespace, env: dict) -> dict:
    """Compile every case at once, each in its own process, into the shared cache of ``env``: on a GPU host
    the compilers use the host's cores side by side while the device idles. Compile seconds per case."""
    children = {
        case: subprocess.Popen(child_command(*case, args, True), stdout=subprocess.PIPE, text=True, env=env)
        for case in cases
    }
    compile_s = {}
    for case, child in children.items():
        out, _ = child.communicate(timeout=args.timeout)
        if child.returncode != 0:
            raise RuntimeError(f"compiling {case} failed with status {child.returncode}")
        compile_s[case] = last_json_line(out)["compile_s"]
    return compile_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", type=int, default=[16, 32, 64], help="cells per side")
    parser.add_argument("--preconditioner", default="multigrid", choices=["multigrid", "jacobi"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warm-steps", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed to each case's process")
    parser.add_argument(
        "--parallel-compile",
        action="store_true",
        help="compile all cases at once into a shared cache first, then time them one by one (on a GPU host)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--compile-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        cells, dimension = int(args.child[0]), args.child[1]
        record = one_case(cells, dimension, args.preconditioner, args.repeats, args.warm_steps, args.compile_only)
        print(json.dumps(record))
        return
    cases = [(cells, dimension) for cells in args.cells for dimension in ("axisymmetric", "3d")]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ECMJAX_CACHE_DIR": cache if args.parallel_compile else ""}
        compile_s = precompile(cases, args, env) if args.parallel_compile else {}
        runs = []
        for case in cases:
            out = subprocess.run(
                child_command(*case, args), capture_output=True, text=True, check=True, env=env, timeout=args.timeout
            )
            runs.append(last_json_line(out.stdout))
            if case in compile_s:  # the child loaded the programs from the cache
                runs[-1] |= {"compile_s": compile_s[case], "load_from_cache_s": runs[-1]["compile_s"]}
            print(json.dumps(runs[-1]), flush=True)
            if case[1] == "3d":
                peer, solid = runs[-2], runs[-1]
                solid["ratio_to_axisymmetric"] = solid["step_s_median"] / peer["step_s_median"]
                pressures = solid["pressure_after_step_Pa"], peer["pressure_after_step_Pa"]
                solid["pressure_relative_to_axisymmetric"] = pressures[0] / pressures[1] - 1
                print(f"{case[0]}^3: 3D / axisymmetric per step {solid['ratio_to_axisymmetric']:.1f}", flush=True)
            write_runs(args, runs)
    print(f"written {args.out}")


def write_runs(args: argparse.Namespace, runs: list[dict]) -> None:
    """Write the runs so far (a later case that runs out of time leaves the earlier ones on disk)."""
    solids = [run for run in runs if run["dimension"] == "3d"]
    exponent = None
    if len(solids) >= 2:
        unknowns = [np.prod(run["cells"]) for run in solids]
        exponent = float(np.polyfit(np.log(unknowns), np.log([run["step_s_median"] for run in solids]), 1)[0])
        print(f"3D per-step time grows as cells^{exponent:.2f}")
    compiled = "side by side, in one process per case" if args.parallel_compile else "one case at a time"
    write_record(
        args.out,
        f"coupled 3D step against the axisymmetric one, float64, rtol 1e-8 (issue 8); compiled {compiled}",
        runs=runs,
        growth_exponent_3d=exponent,
    )


if __name__ == "__main__":
    main()
