"""A sweep over the applied current density on one shared path, against one run (issue 24, item 9).

The mechanics depend on the plated volume alone, so ``ecmjax sweep --vary operating.current_density_A_per_m2=...``
runs the case of the largest current density and serves the others by potential solves and quadrature on
its path (:func:`ecmjax.model.sweep.run_shared_path`). Contenders, each in its own process (compilation
counted, no compilation cache):

- ``one-run``: ``ecmjax.simulate`` of the default case at its 20 A/m^2, what ``ecmjax run`` does (its
  critical current density included);
- ``shared``: the sweep of the default case over ``--densities`` (default 8, 10, 15, 20 A/m^2: all above
  the default's critical 7.06 A/m^2, so that every case shorts and the path serves all of them);
- ``batched`` (only if named in ``--contenders``): the same sweep with every case run in full as one
  ``vmap``-ed batch, as before the path was shared.

Reported: wall times, the ratio of each sweep to the one run, and the largest relative difference of the
sweep's 20 A/m^2 row from the one run's figures (the answer check: the shared path is that run). Results go
to ``scripts/bench_results/shared_path.json``; ``python scripts/bench_shared_path.py --help``.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_record import write_record

RESULTS = Path(__file__).parent / "bench_results" / "shared_path.json"
KEY = "operating.current_density_A_per_m2"


def one_contender(name: str, densities: list[float]) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    from ecmjax.api import simulate
    from ecmjax.config import load_config
    from ecmjax.model.sweep import COLUMNS, case_mesh, row, run_sweep

    start = time.perf_counter()
    if name == "one-run":
        summary = simulate(load_config(None, [f"{KEY}=20"])).summary
        rows = {20.0: {column: summary[column] for column in COLUMNS}}
    else:
        configs = [load_config(None, [f"{KEY}={density!r}"]) for density in densities]
        progress = run_sweep(configs, mesh=case_mesh(jax.devices()[:1]), share_paths=name == "shared")
        rows = {density: row(figures) for density, figures in zip(densities, progress.figures, strict=True)}
    return {"contender": name, "wall_time_s_including_compilation": time.perf_counter() - start, "rows": rows}


def numbers(row: dict) -> np.ndarray:
    return np.asarray([np.nan if value is None or isinstance(value, str) else value for value in row.values()], float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--densities", type=float, nargs="+", default=[8.0, 10.0, 15.0, 20.0], help="A/m^2")
    parser.add_argument("--contenders", nargs="+", default=["one-run", "shared"], help="one-run, shared, batched")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if 20.0 not in args.densities:
        parser.error("--densities must hold the default case's 20 A/m^2 (the answer check)")
    if args.child:
        print(json.dumps(one_contender(args.child, args.densities)))
        return
    runs = {}
    for name in args.contenders:
        command = [sys.executable, __file__, "--child", name, "--densities", *map(str, args.densities)]
        out = subprocess.run(
            command, capture_output=True, text=True, env=dict(os.environ, ECMJAX_CACHE_DIR=""), check=True
        )
        runs[name] = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps({k: v for k, v in runs[name].items() if k != "rows"}), flush=True)
    one = runs["one-run"]
    reference = numbers(one["rows"]["20.0"])
    for run in runs.values():
        a = numbers(run["rows"]["20.0"])
        both = np.isfinite(a) & np.isfinite(reference)
        run["largest_relative_difference_from_one_run"] = float(
            np.max(np.abs(a - reference)[both] / np.abs(reference[both]), initial=0.0)
        )
        run["ratio_to_one_run"] = run["wall_time_s_including_compilation"] / one["wall_time_s_including_compilation"]
    write_record(
        RESULTS,
        "a sweep over the current density on one shared path against one run, default case, float64, 1 device",
        case={"densities_A_per_m2": args.densities},
        runs=runs,
    )
    print(json.dumps({name: run["ratio_to_one_run"] for name, run in runs.items()}, indent=2))
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
