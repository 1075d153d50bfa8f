"""Per-step time of the coupled 3D model against the axisymmetric one (issue 8, benchmark 5).

The case: a semi-spherical pit 0.8 um deep (LLZO, 1 mA/cm^2, i0 = 50 A/m^2) in a slab of ``n`` cells of
h = 0.1 um on each side, float64, ``solver.rtol`` 1e-8, run

- ``3d``: on the quarter ``x, y >= 0`` between mirror planes, ``n x n x n`` cells;
- ``axisymmetric``: on the meridian half-plane, ``n x n`` cells (the peer: the same revolved cell, which
  a body of revolution lets one solve in 2D; its footprint is the disc inscribed in the 3D square).

Each case runs in its own process (its peak memory is its own): the initial state and the first
``--warm-steps`` steps (which compile; the Li fills the pit and its pressure starts to rise) are timed
apart; then one step from the state after them is repeated ``--repeats`` times, and the median (and
spread) of those warm steps is the per-step time. The pressures after the step are compared (the
footprints differ, so they agree to a few per cent, not to round-off). The
growth exponent is fitted over the 3D sizes. Results go to ``scripts/bench_results/bench_3d_coupled.json``.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
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


def one_case(cells: int, dimension: str, preconditioner: str, repeats: int, warm_steps: int) -> dict:
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    from ecmjax.config import load_config
    from ecmjax.simulation import advance, build_model, initial_state

    config = load_config(None, overrides(cells, dimension, preconditioner))
    step = eqx.filter_jit(advance)
    start = time.perf_counter()
    model = build_model(config)
    # The step count is traced (an array), so that the warm steps and the timed ones share one program.
    first = jax.block_until_ready(step(model, initial_state(model), jnp.asarray(warm_steps)))
    compile_s = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        after = jax.block_until_ready(step(model, first, jnp.asarray(1)))
        times.append(time.perf_counter() - start)
    return {
        "dimension": dimension,
        "cells": [cells] * (3 if dimension == "3d" else 2),
        "preconditioner": preconditioner,
        "warm_steps": warm_steps,
        "warm_steps_s_including_compilation": compile_s,
        "step_s_median": statistics.median(times),
        "step_s_min": min(times),
        "step_s_max": max(times),
        "trials_per_step": int(after.trials) - int(first.trials),
        "staggered_iterations_per_step": int(after.staggered_iterations) - int(first.staggered_iterations),
        "pressure_after_step_Pa": float(after.pressure_Pa),
        "time_after_step_s": float(after.time_s),
        "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", type=int, default=[16, 32, 64], help="cells per side")
    parser.add_argument("--preconditioner", default="multigrid", choices=["multigrid", "jacobi"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warm-steps", type=int, default=10)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        cells, dimension = int(args.child[0]), args.child[1]
        print(json.dumps(one_case(cells, dimension, args.preconditioner, args.repeats, args.warm_steps)))
        return
    runs = []
    for cells in args.cells:
        for dimension in ("axisymmetric", "3d"):
            command = [sys.executable, __file__, "--child", str(cells), dimension]
            command += ["--preconditioner", args.preconditioner, "--repeats", str(args.repeats)]
            command += ["--warm-steps", str(args.warm_steps)]
            env = {**os.environ, "ECMJAX_CACHE_DIR": ""}  # compilation is part of the first step
            out = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(runs[-1]), flush=True)
        peer, solid = runs[-2], runs[-1]
        solid["ratio_to_axisymmetric"] = solid["step_s_median"] / peer["step_s_median"]
        pressures = solid["pressure_after_step_Pa"], peer["pressure_after_step_Pa"]
        solid["pressure_relative_to_axisymmetric"] = pressures[0] / pressures[1] - 1
        print(f"{cells}^3: 3D / axisymmetric per step {solid['ratio_to_axisymmetric']:.1f}", flush=True)
    solids = [run for run in runs if run["dimension"] == "3d"]
    exponent = None
    if len(solids) >= 2:
        unknowns = [np.prod(run["cells"]) for run in solids]
        exponent = float(np.polyfit(np.log(unknowns), np.log([run["step_s_median"] for run in solids]), 1)[0])
        print(f"3D per-step time grows as cells^{exponent:.2f}")
    write_record(
        RESULTS,
        "coupled 3D step against the axisymmetric one, float64, rtol 1e-8 (issue 8)",
        runs=runs,
        growth_exponent_3d=exponent,
    )
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
