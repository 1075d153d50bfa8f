"""How trustworthy the default case's failure time is: its convergence in the path's settings, and its continuity.

Two studies of the volume-driven path (docs/model.md section 3a), each merged into
``scripts/bench_results/failure_time.json`` (``--out``) with the machine and the versions;
``tests/model/test_failure_time_study.py`` checks the record.

- ``convergence``: the default case, then with the volume increment halved, the staggered tolerance divided
  by 10 and the event tolerance divided by 10, one at a time: how far ``t_f`` moves with each (with the
  defaults of those settings, ``settings``).
- ``scan``: ``t_f`` at 21 values of one float key over +-5 % of its default (``--key``), and at the default
  and a relative 1e-12 above it: a smooth ``t_f`` has no jump between neighbours beyond its trend.
- ``derivatives``: ``d t_f / d key`` of the default case in forward mode along the path
  (:func:`ecmjax.model.sensitivity.run_with_sensitivities`: null while the path takes a jump at a fold,
  with ``held``, the derivative with every jump's location held), against central differences of full runs
  at relative steps of 5% and 10%: steps that sit above the path's noise (``t_f`` scatters by about 0.3%
  about its trend, see ``scan``), so that each difference is good to a few percent.
- ``critical``: the critical current density of ``result.json`` (from the default run's path, potential
  solves only), checked by full runs 1% above it (must short within ``time.t_end_s``) and 1% below (must
  not).

Each run is about 40 s on 2 CPU cores once compiled (a run holds the physical keys as arrays, so one compilation
serves a study).

    python scripts/study_failure_time.py convergence
    python scripts/study_failure_time.py scan --key geometry.aspect_ratio
    python scripts/study_failure_time.py critical
    python scripts/study_failure_time.py derivatives
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "bench_results" / "failure_time.json"
CONVERGENCE = {
    "default": {},
    "half volume increment": {"path.pressure_increment_Pa": 0.5},
    "staggered tolerance / 10": {"damage.staggered_tolerance": 0.1},
    "event tolerance / 10": {"path.event_tolerance": 0.1},
}
"""Each convergence case: the keys scaled from their defaults, and by how much."""
MODEL_KEYS = ("lithium.bulk_modulus_Pa",)
"""Defaults of the model recorded with the study (``settings``), beside the path's: the test of the record
checks that they are still the defaults, so that a record of another model fails rather than passes."""
SCAN_POINTS = np.linspace(0.95, 1.05, 21)
"""The scan's values, relative to the default."""
DERIVATIVE_KEYS = (
    "geometry.aspect_ratio",
    "geometry.depth_m",
    "material.youngs_modulus_Pa",
    "material.fracture_energy_J_per_m2",
    "kinetics.exchange_current_A_per_m2",
)
DERIVATIVE_STEPS = (0.05, 0.1)
"""Relative steps of the central differences."""


def _run(overrides: dict[str, float]) -> dict:
    """The default case with ``overrides`` set (a run holds the physical keys as arrays: one compilation)."""
    from ecmjax.config import load_config
    from ecmjax.model.simulation import run, run_figures

    config = load_config(None, [f"{key}={value!r}" for key, value in overrides.items()])
    start = time.perf_counter()
    model, state = run(config)
    figures = run_figures(model, state).as_json()
    return {**figures, "wall_time_s": time.perf_counter() - start}


def convergence() -> dict:
    from ecmjax.config import DEFAULTS

    cases = {}
    keys = sorted({key for scaled in CONVERGENCE.values() for key in scaled} | set(MODEL_KEYS))
    cases["settings"] = {key: DEFAULTS[key.split(".")[0]][key.split(".")[1]] for key in keys}
    for name, scaled in CONVERGENCE.items():
        overrides = {key: DEFAULTS[key.split(".")[0]][key.split(".")[1]] * factor for key, factor in scaled.items()}
        cases[name] = {"overrides": overrides, **_run(overrides)}
        print(f"{name}: t_f = {cases[name]['failure_time_s']} s", flush=True)
    return cases


def scan(key: str) -> dict:
    from ecmjax.config import DEFAULTS

    default = DEFAULTS[key.split(".")[0]][key.split(".")[1]]
    values = [float(default * r) for r in SCAN_POINTS] + [float(default * (1 + 1e-12))]
    runs = []
    for value in values:
        runs.append({"value": value, **_run({key: value})})
        print(f"{key} = {value!r}: t_f = {runs[-1]['failure_time_s']} s", flush=True)
    return {"key": key, "default": default, "runs": runs}


def derivatives() -> dict:
    from ecmjax.config import DEFAULTS, load_config
    from ecmjax.model.figures import finite_or_none
    from ecmjax.model.sensitivity import run_with_sensitivities

    start = time.perf_counter()
    sensitivity = run_with_sensitivities(load_config(), DERIVATIVE_KEYS)
    wall = time.perf_counter() - start
    print(f"t_f = {sensitivity.failure_time_s} s, forward mode in {wall:.0f} s", flush=True)
    keys = {}
    held = np.asarray(sensitivity.tangents.failure_time_s, float)
    for key, gradient, jump in zip(DERIVATIVE_KEYS, sensitivity.failure_time_gradient, held, strict=True):
        default = DEFAULTS[key.split(".")[0]][key.split(".")[1]]
        differences = []
        for step in DERIVATIVE_STEPS:
            up, down = (_run({key: default * (1 + sign * step)})["failure_time_s"] for sign in (1, -1))
            central = (up - down) / (2 * step * default)
            differences.append({"relative_step": step, "t_f_up_s": up, "t_f_down_s": down, "central": central})
            print(f"{key}: forward {gradient:.6g} (held {jump:.6g}), central ({step}) {central:.6g}", flush=True)
        forward = {"forward": finite_or_none(gradient), "held": float(jump)}
        keys[key] = {"default": default, **forward, "central": differences}
    folds = int(sensitivity.folds)
    return {"failure_time_s": sensitivity.failure_time_s, "folds": folds, "forward_wall_time_s": wall, "keys": keys}


def critical() -> dict:
    import jax.numpy as jnp

    from ecmjax.api import simulate
    from ecmjax.config import load_config, with_parameters
    from ecmjax.model.quadrature import CURRENT_DENSITY

    def full_run(density: float) -> dict:
        start = time.perf_counter()
        config = with_parameters(load_config(), (CURRENT_DENSITY,), [jnp.asarray(density)])
        return {
            "current_density_A_per_m2": density,
            **simulate(config).summary,
            "wall_time_s": time.perf_counter() - start,
        }

    default = full_run(float(load_config().operating.current_density_A_per_m2))
    density = default["critical_current_density_A_per_m2"]
    print(f"critical current density {density} A/m^2 (run: {default['wall_time_s']:.1f} s)", flush=True)
    checks = {name: full_run(density * factor) for name, factor in (("above", 1.01), ("below", 0.99))}
    for name, check in checks.items():
        print(f"{name}: {check['status']}, t_f = {check['failure_time_s']} s", flush=True)
    return {"default": default, **checks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", choices=("convergence", "scan", "critical", "derivatives"))
    parser.add_argument("--key", default="geometry.aspect_ratio", help="the scanned float key")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON (merged into)")
    args = parser.parse_args()

    from bench_record import write_record

    from ecmjax.config.precision import enable_compilation_cache, enable_float64

    enable_float64()
    enable_compilation_cache()
    record = json.loads(args.out.read_text()) if args.out.exists() else {}
    studies = {k: record[k] for k in ("convergence", "scans", "critical", "derivatives") if k in record}
    if args.study == "convergence":
        studies["convergence"] = convergence()
    elif args.study == "critical":
        studies["critical"] = critical()
    elif args.study == "derivatives":
        studies["derivatives"] = derivatives()
    else:
        studies["scans"] = {**studies.get("scans", {}), args.key: scan(args.key)}
    write_record(args.out, "the default case's failure time: convergence and continuity", **studies)


if __name__ == "__main__":
    main()
