"""Make ``examples/observations.csv``: failure times of the forward model with known parameters, plus noise.

The true parameters are those of ``examples/truth.toml``; each row is that configuration at one current
density, its failure time ``t_c`` (:mod:`ecmjax.inverse.failure_time`) multiplied by log-normal noise of
``sigma_log`` (seeded). ``examples/start.toml`` is the same cell with the fitted keys moved away from the
truth: the starting point of ``ecmjax fit``. Rerun: ``python scripts/make_example_observations.py``.
"""

import argparse
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CURRENT_DENSITIES_A_PER_M2 = (10.0, 15.0, 20.0, 30.0, 40.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sigma-log", type=float, default=0.03, help="log-normal scatter (default: 0.03)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from ecmjax.config import precision

    precision.enable_float64()
    from ecmjax.config import load_config
    from ecmjax.inverse.failure_time import failure_time
    from ecmjax.output.files import write_text

    truth = load_config(EXAMPLES / "truth.toml")
    noise = np.exp(args.sigma_log * np.random.default_rng(args.seed).standard_normal(len(CURRENT_DENSITIES_A_PER_M2)))
    lines = [
        "# Made by scripts/make_example_observations.py from examples/truth.toml",
        f"# (t_c of the forward model times log-normal noise, sigma_log {args.sigma_log}, seed {args.seed}).",
        "current_density_A_per_m2,failure_time_s,sigma_log",
    ]
    for j, factor in zip(CURRENT_DENSITIES_A_PER_M2, noise, strict=True):
        t = failure_time(load_config(EXAMPLES / "truth.toml", [f"operating.current_density_A_per_m2={j}"])).time_s
        lines.append(f"{j},{t * factor:.6f},{args.sigma_log}")
        print(f"{j} A/m^2: t_c {t:.6f} s, observed {t * factor:.6f} s", flush=True)
    write_text(EXAMPLES / "observations.csv", "\n".join(lines) + "\n")
    print(f"true parameters: depth_m {truth.geometry.depth_m}, youngs_modulus_Pa {truth.material.youngs_modulus_Pa}")


if __name__ == "__main__":
    main()
