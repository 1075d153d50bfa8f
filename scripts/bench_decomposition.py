"""Cost of splitting one run over several devices (``solver.domain_devices``): per-step time against 1 device.

The built-in default case on a finer grid (128 x 256 cells by default), float64, the default multigrid
preconditioner, split over 1, 2 and 4 devices. Each device count runs in its own process, which is given
exactly that many devices (``XLA_FLAGS=--xla_force_host_platform_device_count=N``, set before JAX
starts). On a CPU host those are fake devices sharing the same cores, so no speed-up is possible: the
figures are the overhead of the decomposition (halo exchanges and reductions across devices, and the
parts XLA gathers whole), not its scaling. On GPUs, where the flag does nothing, the first N GPUs are used.

Each process compiles and takes the first step, then times ``--steps`` more steps from the same state
``--repeats`` times (the median and, robust to other jobs on the cores, the minimum are reported), and
counts the collectives in the compiled loop, with the shapes of the arrays it gathers whole onto every
device. Its final fields are compared with the one-device run's. Results go to
``scripts/bench_results/decomposition.json``; ``python scripts/bench_decomposition.py --help``.
"""

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench_record import write_record

RESULTS = Path(__file__).parent / "bench_results" / "decomposition.json"
FIELDS = ("potential_V", "displacement_m", "damage")


def one_run(devices: int, grid: tuple[int, int], steps: int, repeats: int, fields_path: str) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    from ecmjax.config import load_config
    from ecmjax.model.simulation import advance_jit, start_jit  # what simulation.run calls

    config = load_config(None, (f"grid.nx={grid[0]}", f"grid.ny={grid[1]}", f"solver.domain_devices={devices}"))
    chunk = jnp.asarray(steps)
    begin = time.perf_counter()
    model, state = start_jit(config)
    state = jax.block_until_ready(advance_jit(model, state, jnp.asarray(1)))
    first = time.perf_counter() - begin
    jax.block_until_ready(advance_jit(model, state, chunk))  # warm-up, not timed
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        final = jax.block_until_ready(advance_jit(model, state, chunk))
        times.append((time.perf_counter() - begin) / steps)
    program = advance_jit.lower(model, state, chunk).lowered.compile().as_text()  # from the in-memory cache
    np.savez(fields_path, **{name: np.asarray(getattr(final.fields, name)) for name in FIELDS})
    return {
        "devices": devices,
        "grid": list(grid),
        "step_after": int(state.step),
        "steps_timed": int(final.step) - int(state.step),
        "first_step_s_including_compilation": first,
        "median_per_step_s": statistics.median(times),
        "min_per_step_s": min(times),
        "per_step_s": times,
        "collectives_in_loop": dict(
            Counter(re.findall(r"= \S+ (all-gather|all-reduce|collective-permute|all-to-all)\(", program))
        ),
        "all_gathered_shapes": dict(Counter(re.findall(r"= (\S+) all-gather\(", program))),
        "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", nargs="+", type=int, default=[1, 2, 4], help="device counts (first: reference)")
    parser.add_argument("--grid", nargs=2, type=int, default=[128, 256], metavar=("NX", "NY"))
    parser.add_argument("--steps", type=int, default=2, help="steps per timed call (default: 2)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per device count (default: 5)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        devices, fields_path = int(args.child[0]), args.child[1]
        print(json.dumps(one_run(devices, tuple(args.grid), args.steps, args.repeats, fields_path)))
        return
    import numpy as np

    runs, fields = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        for devices in args.devices:
            path = f"{scratch}/fields_{devices}.npz"
            command = [sys.executable, __file__, "--child", str(devices), path, "--grid", *map(str, args.grid)]
            command += ["--steps", str(args.steps), "--repeats", str(args.repeats)]
            env = {
                **os.environ,
                "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}",
                "ECMJAX_CACHE_DIR": "",  # compilation is part of the first step's time
            }
            out = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            with np.load(path) as data:
                fields[devices] = dict(data)
            print(json.dumps(runs[-1]), flush=True)
    reference = runs[0]
    for run in runs:
        run["per_step_vs_reference"] = run["median_per_step_s"] / reference["median_per_step_s"]
        run["max_relative_difference_vs_reference"] = max(
            float(np.max(np.abs(fields[run["devices"]][name] - ref)) / max(np.max(np.abs(ref)), 1e-300))
            for name, ref in fields[reference["devices"]].items()
        )
    write_record(
        RESULTS, "default case, one run split along x over fake CPU devices (solver.domain_devices), float64", runs=runs
    )
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
