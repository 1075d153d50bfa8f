"""Make ``examples/observations.csv``: short-circuit times measured through the public CLI, plus noise.

The true parameters are those of ``examples/truth.toml``. Each row is ``ecmjax run examples/truth.toml``
at one current density (a subprocess, as a user runs it): its ``failure_time_s`` from ``result.json``
multiplied by log-normal noise of ``sigma_log`` (seeded). ``--refine 2`` runs the cell on a grid twice as
fine in each direction (the model error a fit on the coarser grid then meets). ``examples/start.toml``
is the same cell with the fitted keys moved away from the truth: the starting point of ``ecmjax fit``.
Nothing here calls the fit's own functions. Rerun: ``python scripts/make_example_observations.py``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CURRENT_DENSITIES_A_PER_M2 = (10.0, 15.0, 20.0, 30.0, 40.0)


def observed_short_circuits(
    config: Path, densities: Sequence[float], *, refine: int = 1, sigma_log: float = 0.0, seed: int = 0
) -> list[float]:
    """``t_f`` (s) of ``ecmjax run CONFIG`` at each current density, times log-normal noise."""
    grid = []
    if refine != 1:
        nx, ny = _grid(config)
        grid = ["--set", f"grid.nx={refine * nx}", "--set", f"grid.ny={refine * ny}"]
    noise = np.exp(sigma_log * np.random.default_rng(seed).standard_normal(len(densities)))
    times = []
    with tempfile.TemporaryDirectory() as scratch:
        for j, factor in zip(densities, noise, strict=True):
            out = Path(scratch) / f"{j}"
            command = [sys.executable, "-m", "ecmjax", "run", str(config), "--quiet", "--out", str(out)]
            command += ["--set", f"operating.current_density_A_per_m2={j!r}", *grid]
            subprocess.run(command, check=False, capture_output=True, text=True)
            result = json.loads((out / "result.json").read_text())
            if result["status"] != "failed":
                raise RuntimeError(f"{config} at {j} A/m^2 did not short: {result['status']}, {result['message']}")
            times.append(result["failure_time_s"] * factor)
    return times


def _grid(config: Path) -> tuple[int, int]:
    from ecmjax.config import load_config

    loaded = load_config(config)
    return loaded.grid.nx, loaded.grid.ny


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sigma-log", type=float, default=0.03, help="log-normal scatter (default: 0.03)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--refine", type=int, default=1, help="grid refinement factor of the truth (default: 1)")
    parser.add_argument("--out", type=Path, default=EXAMPLES / "observations.csv")
    args = parser.parse_args()
    from ecmjax.output.files import write_text

    truth = EXAMPLES / "truth.toml"
    times = observed_short_circuits(
        truth, CURRENT_DENSITIES_A_PER_M2, refine=args.refine, sigma_log=args.sigma_log, seed=args.seed
    )
    lines = [
        "# Made by scripts/make_example_observations.py: `ecmjax run examples/truth.toml` at each current density",
        f"# (grid refined {args.refine}x), its short-circuit time times log-normal noise (sigma_log"
        f" {args.sigma_log}, seed {args.seed}).",
        "# True parameters: geometry.depth_m = 1.03e-6, material.youngs_modulus_Pa = 24e9 (examples/truth.toml).",
    ]
    # Without noise there is no scatter to state: the fit then estimates it from its residuals.
    sigma = f",{args.sigma_log}" if args.sigma_log > 0 else ""
    lines.append("current_density_A_per_m2,failure_time_s" + (",sigma_log" if sigma else ""))
    lines += [f"{j},{t:.6f}{sigma}" for j, t in zip(CURRENT_DENSITIES_A_PER_M2, times, strict=True)]
    write_text(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
