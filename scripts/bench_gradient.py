"""Benchmark set 3 of docs/performance.md: the gradient of the failure time against one forward run.

The fit's failure time ``t_c`` (:mod:`ecmjax.inverse.failure_time`) of ``examples/truth.toml`` at
20 A/m^2, and its gradient with respect to aspect ratio, depth and Young's modulus, three ways, each in
its own subprocess (so that its peak memory is its own):

- ``forward``: one run without derivatives;
- ``forward-mode``: one run carrying the three tangents (what the fit uses);
- ``central-differences``: the peer, the gradient from six more forward runs (``2 k``) at relative steps
  of 1e-4.

Each is timed once to compile and then three times warm (the median is reported), with the peak
resident memory of its process. Reverse mode is not a contender: JAX differentiates the time loop's
``lax.while_loop`` in forward mode only, and forward mode stores nothing per step, so there is no
rematerialisation to compare with. Results go to ``scripts/bench_results/gradient.json``.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_record import write_record

RESULTS = Path(__file__).parent / "bench_results" / "gradient.json"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "truth.toml"
KEYS = ("geometry.aspect_ratio", "geometry.depth_m", "material.youngs_modulus_Pa")
METHODS = ("forward", "forward-mode", "central-differences")
RELATIVE_STEP = 1e-4


def one_method(method: str, repeats: int) -> dict:
    import jax
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    from ecmjax.config import load_config, parameter_values, with_parameters
    from ecmjax.inverse.failure_time import failure_time

    config = load_config(EXAMPLE, ["operating.current_density_A_per_m2=20"])
    theta = parameter_values(config, KEYS)

    def evaluate():
        if method == "forward":
            return failure_time(config).time_s, None
        if method == "forward-mode":
            result = failure_time(config, KEYS)
            return result.time_s, result.gradient
        gradient = []
        for i in range(len(KEYS)):
            h = RELATIVE_STEP * theta[i]
            up, down = (
                failure_time(with_parameters(config, KEYS, theta + s * h * np.eye(len(KEYS))[i])) for s in (1, -1)
            )
            gradient.append((up.time_s - down.time_s) / (2 * h))
        return failure_time(config).time_s, np.asarray(gradient)

    start = time.perf_counter()
    value, gradient = evaluate()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        evaluate()
        times.append(time.perf_counter() - start)
    return {
        "method": method,
        "failure_time_s": value,
        "gradient": None if gradient is None else list(map(float, gradient)),
        "first_call_s_including_compilation": first,
        "median_warm_s": statistics.median(times),
        "warm_s": times,
        "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="warm timings per method (default: 3)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_method(args.child, args.repeats)))
        return
    runs = {}
    for method in METHODS:
        command = [sys.executable, __file__, "--child", method, "--repeats", str(args.repeats)]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        runs[method] = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(runs[method]), flush=True)
    forward = runs["forward"]
    ratios = {
        method: {
            "time_vs_forward": runs[method]["median_warm_s"] / forward["median_warm_s"],
            "peak_memory_vs_forward": runs[method]["peak_rss_MiB"] / forward["peak_rss_MiB"],
        }
        for method in METHODS[1:]
    }
    write_record(
        RESULTS,
        "gradient of t_c w.r.t. " + ", ".join(KEYS) + ", float64, docs/performance.md set 3",
        case=f"{EXAMPLE.name} at 20 A/m^2",
        runs=runs,
        ratios=ratios,
    )
    print(json.dumps(ratios, indent=2))
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
