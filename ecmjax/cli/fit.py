"""``ecmjax fit``: configuration keys fitted to observed failure times, with their uncertainty."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from ecmjax.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SOLVE,
    EXIT_USAGE,
    add_config_arguments,
    add_out_argument,
    add_quiet_argument,
    cannot_write,
    error,
    load,
    parameter_keys,
    prepare,
    versions,
)

__all__ = ["add_parser", "command"]

CRITERIA = {
    "short-circuit": "the Li-filled crack reaches the counter electrode (the run's short circuit, t_f)",
    "critical-pressure": "Li pressure reaches the flaw's critical pressure K_IC / (1.1215 sqrt(pi depth))",
}


def add_parser(commands: Any) -> None:
    """Add ``fit`` to the subcommands ``commands``."""
    fit = commands.add_parser(
        "fit",
        help="fit defect geometry and electrolyte properties to observed failure times, with uncertainty",
        description="Fit (Levenberg-Marquardt, or optax's L-BFGS with --optimizer lbfgs) of the --params to the"
        " failure times in OBS.csv (columns"
        " current_density_A_per_m2, failure_time_s; optional stack_pressure_Pa, temperature_K, sigma_log,"
        " survived). The predicted failure time is the run's short circuit (--target short-circuit: one"
        " mechanical path per stack pressure, slopes by differences) or, as an earlier proxy, when the Li"
        " pressure in the defect reaches the flaw's critical pressure (--target critical-pressure). Starts"
        " from the parameters' values in the configuration. Writes DIR/fit.json (estimates, standard errors,"
        " 95% intervals, correlation, loss, counts, why it stopped) however the fit ends, DIR/config.toml"
        " (the fitted configuration) and PNGs; checkpoints every iteration in DIR/checkpoints (--resume"
        " continues from there).",
    )
    add_config_arguments(fit, "override one key of the configuration, e.g. the starting point (repeatable)")
    fit.add_argument("--observations", required=True, type=Path, metavar="OBS.csv", help="observed failure times (CSV)")
    fit.add_argument(
        "--params",
        default="geometry.aspect_ratio,geometry.depth_m,material.youngs_modulus_Pa",
        metavar="KEY,KEY,...",
        help="configuration keys to fit (default: %(default)s)",
    )
    fit.add_argument(
        "--target",
        choices=tuple(CRITERIA),
        default="short-circuit",
        help="the predicted failure time: the run's short circuit (default) or the critical-pressure proxy",
    )
    fit.add_argument(
        "--optimizer",
        choices=("lm", "lbfgs"),
        default="lm",
        help="Levenberg-Marquardt (default: Gauss-Newton steps from the rows' slopes) or optax's L-BFGS (quasi-Newton"
        " steps from the loss's gradient, with backtracking)",
    )
    add_out_argument(fit)
    fit.add_argument("--max-iter", type=int, default=20, metavar="N", help="iterations at most (default: 20)")
    fit.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance of the loss (default: 1e-6)")
    fit.add_argument(
        "--xtol",
        type=float,
        default=1e-3,
        help="stop once a step moves no parameter by more than this fraction of itself (default: 1e-3)",
    )
    fit.add_argument(
        "--loss-atol",
        type=float,
        default=1e-3,
        help="stop once a step lowers the negative log-likelihood by less than this (default: 1e-3)",
    )
    fit.add_argument(
        "--starts",
        type=int,
        default=1,
        metavar="K",
        help="screen the loss at K starting points (the configuration's and K-1 around it) and fit from the"
        " best (default: 1)",
    )
    fit.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in DIR")
    add_quiet_argument(fit)
    fit.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    """Fit ``args``' parameters to the observations and write the estimates; the exit status."""
    from ecmjax.inverse.observations import ObservationError, read_observations

    try:
        observations = read_observations(args.observations)
        keys = parameter_keys(args.params)
    except (ObservationError, OSError, ValueError) as err:
        error(str(err))
        return EXIT_USAGE
    if args.max_iter < 0:
        error(f"--max-iter = {args.max_iter} is out of range: must be >= 0")
        return EXIT_USAGE
    if args.starts < 1:
        error(f"--starts = {args.starts} is out of range: must be >= 1")
        return EXIT_USAGE
    if not 0.0 < args.rtol < 1.0:
        error(f"--rtol = {args.rtol} is out of range: must be in (0, 1)")
        return EXIT_USAGE
    if not 0.0 < args.xtol < 1.0:
        error(f"--xtol = {args.xtol} is out of range: must be in (0, 1)")
        return EXIT_USAGE
    if not args.loss_atol >= 0.0:
        error(f"--loss-atol = {args.loss_atol} is out of range: must be >= 0")
        return EXIT_USAGE
    config = load(args)
    if config is None:
        return EXIT_USAGE
    prepare(config)
    from ecmjax.config import ConfigError, with_parameters
    from ecmjax.inverse.fit import fit
    from ecmjax.output.files import finite_or_none, write_json, write_text
    from ecmjax.output.plots import plot_fit

    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        error(f"cannot create {str(args.out)!r}: {err}")
        return EXIT_FAILED

    def shown(theta: Any) -> str:
        return ", ".join(f"{k.split('.')[1]}={v:.6g}" for k, v in zip(keys, theta, strict=True))

    def report(iteration: int, loss: float, theta: Any) -> None:
        if not args.quiet:
            print(f"iteration {iteration}: loss {loss:.6g} at {shown(theta)}", flush=True)

    def evaluated(thetas: Any, times: Any) -> None:
        if not args.quiet:
            for theta, row_times in zip(thetas, times, strict=True):
                shorts = ", ".join(f"{t:.4g}" for t in row_times)
                print(f"  evaluated {shown(theta)}: t_f = {shorts} s", file=sys.stderr, flush=True)

    screened: dict[str, Any] = {}

    def screen(points: Any, losses: Any) -> None:
        screened.update(points=points, losses=finite_or_none(losses))
        if not args.quiet:
            for point, loss in zip(points, losses, strict=True):
                print(f"start {shown(point)}: loss {loss:.6g}", flush=True)

    try:
        result = fit(
            observations,
            config,
            keys,
            target=args.target,
            optimizer=args.optimizer,
            max_iter=args.max_iter,
            rtol=args.rtol,
            loss_atol=args.loss_atol,
            xtol=args.xtol,
            checkpoint_dir=args.out / "checkpoints",
            resume=args.resume,
            starts=args.starts,
            on_start=screen,
            on_iteration=report,
            on_times=evaluated,
        )
    except (ConfigError, ValueError) as err:
        error(str(err))
        return EXIT_USAGE
    fitted = with_parameters(config, keys, [float(v) for v in result.estimates])
    try:
        outputs = ["fit.json", "config.toml"]
        write_text(args.out / "config.toml", fitted.to_toml())
        outputs += [p.name for p in plot_fit(result, observations, args.out)]
        write_json(
            args.out / "fit.json",
            {
                **result.uncertainty.as_dict(),
                "final_loss": finite_or_none(result.loss),
                "iterations": result.iterations,
                "converged": result.converged,
                "forward_runs": result.forward_runs,
                "gradient_runs": result.gradient_runs,
                "target": result.target,
                "optimizer": result.optimizer,
                "stop_reason": result.stop_reason,
                "unevaluated_rows": list(result.unevaluated_rows),
                "loss_history": finite_or_none(result.loss_history),
                "predicted_failure_time_s": finite_or_none(result.predicted_failure_time_s),
                "observed_failure_time_s": observations.failure_time_s,
                "sigma_log": result.sigma_log,
                "sigma_log_estimated": result.sigma_log_estimated,
                "screened_starts": screened or None,
                "failure_criterion": CRITERIA[result.target],
                "base_config": config.to_dict(),
                "versions": versions(),
                "outputs": outputs,
            },
        )
    except OSError as err:
        return cannot_write(args.out, err)
    if not args.quiet:
        u = result.uncertainty
        for key, value, low, high in zip(keys, u.estimates, u.lower_95, u.upper_95, strict=True):
            interval = "no interval: see the warning" if math.isnan(low) else f"95%: {low:.6g} .. {high:.6g}"
            print(f"{key:40s} {value:.6g}  ({interval})")
        for warning in u.warnings:
            print(f"warning: {warning}")
        if not result.converged:
            print(f"stopped: {result.stop_reason}")
        print(f"outputs: {args.out}/ ({', '.join(outputs)})")
    return EXIT_OK if result.converged else EXIT_SOLVE
