"""The 3D elastic solve against the axisymmetric one: what a 3D defect costs (issue 8, partial).

The pressurised spherical cavity of ``ecmjax/validation/axisymmetric.py`` (a hemispherical pit under a mirror
plane, 100 MPa, Lame's exact far field on a box of 1.5 radii), float64, relative residual 1e-8, solved

- ``3d``: on the octant, ``n^3`` cells, CG on the stored 27-point stencil with one multigrid V-cycle;
- ``axisymmetric``: on the meridian quarter, ``n^2`` cells, the same cells per radius (the peer: the
  same problem, which a body of revolution lets one solve in 2D).

Times are the median of ``--repeats`` warm solves (problem set-up included), the first (compiling) solve
reported apart. The answers are compared: openings and wall stresses must agree within a few per cent.
Results go to ``scripts/bench_results/bench_3d.json``. The coupled 3D model's per-step time is
``scripts/bench_3d_coupled.py``'s.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import time
from pathlib import Path

import jax
import numpy as np

from ecmjax.config.precision import enable_float64

RESULTS = Path(__file__).parent / "bench_results" / "bench_3d.json"


def time_solves(cells_per_radius: int, dimension: str, repeats: int) -> dict:
    from ecmjax.validation.axisymmetric import solve_sphere

    start = time.perf_counter()
    first = solve_sphere(cells_per_radius, dimension)
    compile_and_solve = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        solution = solve_sphere(cells_per_radius, dimension)
        times.append(time.perf_counter() - start)
    assert solution == first
    return {
        "cells": list(solution.cells),
        "unknowns": int(np.prod([n + 1 for n in solution.cells])) * len(solution.cells),
        "first_solve_s": compile_and_solve,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "krylov_iterations": solution.krylov_iterations,
        "opening_m3": solution.opening_m3,
        "wall_tangential_stress_Pa": solution.wall_tangential_stress_Pa,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells-per-radius", type=int, nargs="+", default=[16, 24, 32])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    enable_float64()
    rows = []
    for cells_per_radius in args.cells_per_radius:
        row = {"cells_per_radius": cells_per_radius}
        for dimension in ("3d", "axisymmetric"):
            row[dimension] = time_solves(cells_per_radius, dimension, args.repeats)
        solid, revolved = row["3d"], row["axisymmetric"]
        row["time_ratio_3d_over_axisymmetric"] = solid["median_s"] / revolved["median_s"]
        row["opening_difference"] = solid["opening_m3"] / revolved["opening_m3"] - 1.0
        row["wall_stress_difference"] = solid["wall_tangential_stress_Pa"] / revolved["wall_tangential_stress_Pa"] - 1.0
        rows.append(row)
        print(
            f"{cells_per_radius:3d} cells/radius: 3D {solid['cells']} {solid['median_s']:.2f} s"
            f" ({solid['krylov_iterations']} CG), axisymmetric {revolved['cells']} {revolved['median_s']:.3f} s,"
            f" ratio {row['time_ratio_3d_over_axisymmetric']:.0f}; opening {row['opening_difference']:+.2e},"
            f" wall stress {row['wall_stress_difference']:+.2e}",
            flush=True,
        )
    cells = np.array([np.prod(r["3d"]["cells"]) for r in rows], float)
    times = np.array([r["3d"]["median_s"] for r in rows])
    exponent = float(np.polyfit(np.log(cells), np.log(times), 1)[0]) if len(rows) >= 2 else None
    print(f"3D solve time grows as cells^{exponent:.2f}" if exponent is not None else "")
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "3D vs axisymmetric elastic solve of a pressurised sphere (scripts/bench_3d.py)",
                "dtype": "float64",
                "rtol": 1e-8,
                "rows": rows,
                "growth_exponent_3d_time_vs_cells": exponent,
                "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count()},
                "device": str(jax.devices()[0]),
                "versions": {"jax": jax.__version__, "python": platform.python_version()},
                "date": time.strftime("%Y-%m-%d"),
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
