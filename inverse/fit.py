"""Fit defect geometry and electrolyte properties to observed failure times (Levenberg-Marquardt, resumable).

Each observation is a cell run at its own conditions (current density, stack pressure, temperature) on
the base configuration. Its predicted failure time is, by ``target``:

- ``"short-circuit"`` (the default): the run's own short circuit ``t_f``, what experiments measure
  (:mod:`.short_circuit`: the rows at a point run as one sweep, a mechanical path per distinct stack
  pressure; slopes by forward differences over 5% of each parameter);
- ``"critical-pressure"``: ``t_c``, when the Li pressure reaches the flaw's LEFM critical pressure
  (:func:`.failure_time.failure_time`, with forward-mode derivatives), an earlier proxy kept as an option.

The misfit is in log time (failure times span decades) with right-censored rows as survival terms
(:mod:`.loss`); the parameters move in unconstrained coordinates that keep every point a valid
configuration (:mod:`.parameters`), and the intervals are taken there and mapped back, so they never
cross a parameter's bounds.

Why Levenberg-Marquardt rather than an optax first-order method: the misfit is a sum of squares of a
handful of residuals in a handful of parameters, so Gauss-Newton steps from the Jacobian converge in a
few iterations, and each iteration is a set of coupled runs (seconds to minutes). Measured on the
noise-free twin of ``examples/truth.toml`` for ``t_c`` (depth and modulus, from 0.9 um and 30 GPa): LM
reaches a loss of 2e-18 (relative errors 7e-10) with 6 Jacobians; ``optax.adam(0.1)`` in the same
coordinates, after 10 gradients, oscillates along the narrow valley of the correlated pair (loss 0.1 to
4, errors of 13% and 18%). optax's L-BFGS is offered beside it (``optimizer="lbfgs"``, :mod:`.lbfgs`):
on the example's short-circuit fit it had reached a loss of 14.3 (from 104) in 30 minutes, where
Levenberg-Marquardt converges to 1.4 in 5 (docs/fitting.md), so it is not the default. The state
between iterations is plain arrays (:class:`.levenberg_marquardt.LMState`, :class:`.lbfgs.LBFGSState`),
saved with orbax after every iteration (:mod:`ecmjax.solver.checkpoint`), so a killed fit resumes where
it stopped and ends at the same answer.

A fit always ends with a result: where the model cannot evaluate a row at the starting point, or the
iterations run out, :attr:`FitResult.stop_reason` says so and :attr:`FitResult.unevaluated_rows` names
the rows.

When ``sigma_log`` is not given the rows are weighted equally and the scatter is estimated from the
residuals at the optimum, ``s^2 = sum r^2 / (n - k)`` (Bates & Watts, *Nonlinear Regression Analysis*,
1988, section 2.3), which scales the covariance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Bool, Float, Int

from ecmjax.config import Config, ConfigError, check_parameter_keys, parameter_values, with_parameters
from ecmjax.inverse.failure_time import failure_time
from ecmjax.inverse.lbfgs import lbfgs_start, lbfgs_trial_point, lbfgs_update
from ecmjax.inverse.levenberg_marquardt import lm_start, lm_trial_point, lm_update
from ecmjax.inverse.loss import residuals as misfit_residuals
from ecmjax.inverse.observations import CONDITIONS, Observations
from ecmjax.inverse.parameters import ParameterSpace, parameter_space
from ecmjax.inverse.short_circuit import (
    CLIFF_LOG_TIME,
    DIFFERENCE_STEP,
    OnTimes,
    short_circuit_times,
    times_and_slopes,
)
from ecmjax.inverse.stepping import StepState, half_squared_norm
from ecmjax.inverse.uncertainty import Uncertainty, laplace_uncertainty, without_intervals
from ecmjax.solver import checkpoint

__all__ = ["OPTIMIZERS", "TARGETS", "FitResult", "fit", "predict"]

TARGETS = ("short-circuit", "critical-pressure")
"""What a fit's predicted failure time is (module docstring)."""


class Optimizer(NamedTuple):
    """One step at a time (:mod:`.stepping`): ``start(z, r, J)``, ``trial_point(state, scale)``,
    ``update(state, z_trial, r, J, rtol, loss_atol, step_tol)``, on a :class:`.stepping.StepState`."""

    start: Callable
    trial_point: Callable
    update: Callable


OPTIMIZERS = {
    "lm": Optimizer(lm_start, lm_trial_point, lm_update),
    "lbfgs": Optimizer(lbfgs_start, lbfgs_trial_point, lbfgs_update),
}
"""Levenberg-Marquardt (:mod:`.levenberg_marquardt`) or optax's L-BFGS (:mod:`.lbfgs`)."""


class FitProgress(eqx.Module):
    """What :func:`fit` checkpoints after every iteration: the optimizer's state, the loss history, run counts."""

    state: StepState
    loss_history: Float[np.ndarray, " iterations"]
    """Loss at the accepted point after each iteration (index 0: the start); NaN beyond the last."""
    runs: Int[np.ndarray, ""]
    """Runs with tangents (one per observation per evaluated point) so far."""
    regime_edge: Bool[np.ndarray, " k"]
    """Keys at a regime edge of ``t_f`` at the accepted point (:func:`.short_circuit.times_and_slopes`)."""


class FitResult(eqx.Module):
    """Estimates, their uncertainty and how the fit went."""

    keys: tuple[str, ...] = eqx.field(static=True)
    estimates: Float[np.ndarray, " k"]
    uncertainty: Uncertainty
    loss: float
    iterations: int
    converged: bool
    forward_runs: int
    """Runs without tangents (the predictions at the estimates), one per observation."""
    gradient_runs: int
    """Row evaluations for Jacobians over all iterations: runs carrying the tangents of every key (each
    about ``k`` forward runs) for ``t_c``; ``k + 1`` points' rows each (their paths shared) for ``t_f``."""
    loss_history: Float[np.ndarray, " iterations"]
    predicted_failure_time_s: Float[np.ndarray, " n"]
    sigma_log: Float[np.ndarray, " n"]
    sigma_log_estimated: bool
    target: str
    optimizer: str
    """Which of :data:`OPTIMIZERS` took the steps."""
    stop_reason: str
    """Why the fit stopped: converged, out of iterations, or which rows the model could not evaluate."""
    unevaluated_rows: tuple[int, ...]
    """Rows (from 1) whose failure time the model could not give at the estimates where they failed."""


def _row_configs(config: Config, observations: Observations) -> list[Config]:
    for column in CONDITIONS:
        given = ~np.isnan(getattr(observations, column))
        if np.any(given) and not np.all(given):
            raise ConfigError(f"observations: column {column!r} is given on some rows only; give it on every row")
    rows = [observations.conditions(i) for i in range(len(observations))]
    return [with_parameters(config, list(row), list(row.values())) for row in rows]


def predict(
    configs: Sequence[Config], keys: tuple[str, ...], theta, *, gradient: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Failure times ``t_c`` (s) of each configuration at ``theta``, and ``d t_c / d theta`` (n, k) if asked."""
    times, gradients = [], []
    for config in configs:
        result = failure_time(with_parameters(config, keys, list(theta)), keys if gradient else ())
        times.append(result.time_s)
        gradients.append(result.gradient if gradient else np.full(len(keys), np.nan))
    return np.asarray(times, float), np.asarray(gradients, float).reshape(len(configs), len(keys))


START_SPREAD = 1.0
"""Half-width of the box of starting points in unconstrained coordinates: a factor e for a positive
parameter, about a quarter of the range (around its middle) for a bounded one."""


def _starting_points(z_base: Float[np.ndarray, " k"], starts: int) -> Float[np.ndarray, "s k"]:
    """``z_base`` and ``starts - 1`` seeded uniform points within :data:`START_SPREAD` of it in each coordinate."""
    spread = np.random.default_rng(0).uniform(-START_SPREAD, START_SPREAD, (starts - 1, len(z_base)))
    return np.vstack([z_base, z_base + spread])


def _residual_slope(log_time, observed, sigma, survived):
    one = lambda lt, lo, s, c: misfit_residuals(lt[None], lo[None], s[None], c[None])[0]
    return jax.vmap(jax.value_and_grad(one))(log_time, observed, sigma, survived)


def _residuals_and_jacobian(times, gradients, observations, sigma, space: ParameterSpace, z):
    """Residuals of the log-time misfit and their Jacobian in ``z`` (rows of uncomputable times: 0 slope)."""
    survived = jnp.asarray(observations.survived)
    log_time = jnp.log(jnp.asarray(times))
    observed = jnp.log(jnp.asarray(observations.failure_time_s))
    r, slope = _residual_slope(log_time, observed, jnp.asarray(sigma), survived)
    r, slope = np.asarray(r, float), np.asarray(slope, float)
    with np.errstate(invalid="ignore"):
        jacobian = (slope / times)[:, None] * gradients * space.derivative(z)[None, :]
    return r, np.where(np.isfinite(jacobian), jacobian, 0.0)


def fit(
    observations: Observations,
    config: Config,
    keys: Sequence[str],
    *,
    target: str = "short-circuit",
    optimizer: str = "lm",
    max_iter: int = 20,
    rtol: float = 1e-6,
    loss_atol: float = 1e-3,
    xtol: float = 1e-3,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    starts: int = 1,
    on_start: Callable[[np.ndarray, np.ndarray], None] | None = None,
    on_iteration: Callable[[int, float, np.ndarray], None] | None = None,
    on_times: OnTimes | None = None,
) -> FitResult:
    """Fit ``keys`` (starting at their values in ``config``) to ``observations``.

    ``target``: the predicted failure time, one of :data:`TARGETS` (module docstring); ``optimizer``: one
    of :data:`OPTIMIZERS` (Levenberg-Marquardt by default: module docstring). Stops when an
    accepted step lowers the loss (a negative log-likelihood) by less than ``loss_atol`` plus ``rtol`` of
    it, or a step moves no parameter by more than ``xtol`` of itself, or after ``max_iter`` iterations. The
    default ``xtol`` of 1e-3 is below what ``t_f`` resolves (it scatters by about 0.3% about its trend,
    and moves as a power 2 to 3 of the depth or the modulus); the trust radius, halved by each rejected
    step (L-BFGS: the fraction of its step, halved likewise), reaches it from its start (a quarter) in
    eight rejections. The default
    ``loss_atol`` of 1e-3 is statistically nothing (a change of 0.5 moves an estimate by about one
    standard error), and it saves the many small steps that Levenberg-Marquardt takes along the narrow
    valley of correlated parameters. ``checkpoint_dir``: saves after every iteration; with ``resume``,
    continues from its latest checkpoint (which must be of the same fit). ``on_iteration(iteration,
    loss, theta)`` reports progress, and for ``t_f`` ``on_times(thetas, times)`` each sweep's points (a
    sweep takes a minute or more).

    ``starts > 1``: before the first iteration, the loss is screened at ``config``'s point and ``starts -
    1`` others spread around it (:func:`_starting_points`; for ``t_f`` all in one sweep), and the fit
    starts from the lowest; ``on_start(points, losses)`` receives them (``inf``: a failed observation that
    the point does not fail). A guard against a local minimum or a start from which the flaw never fails.
    """
    keys = check_parameter_keys(keys)
    if target not in TARGETS:
        raise ConfigError(f"target = {target!r} is not one of {', '.join(TARGETS)}")
    if optimizer not in OPTIMIZERS:
        raise ConfigError(f"optimizer = {optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
    step = OPTIMIZERS[optimizer]
    if max_iter < 0:
        raise ConfigError(f"max_iter = {max_iter} must be >= 0")
    if not 0.0 < xtol < 1.0:
        raise ConfigError(f"xtol = {xtol} must be in (0, 1)")
    if starts < 1:
        raise ConfigError(f"starts = {starts} must be >= 1")
    configs = _row_configs(config, observations)
    estimated = bool(np.all(np.isnan(observations.sigma_log)))
    if not estimated and np.any(np.isnan(observations.sigma_log)):
        raise ConfigError("observations: column 'sigma_log' is given on some rows only; give it on every row")
    sigma = np.ones(len(observations)) if estimated else np.asarray(observations.sigma_log, float)
    space = parameter_space(config, keys)
    n, k = len(observations), len(keys)
    seen: dict[bytes, np.ndarray] = {}  # t_f at the points evaluated, by z (the estimates' are reused)

    def times_at(zs) -> np.ndarray:
        """Failure times of every row at each point ``zs`` (no derivatives)."""
        if target == "critical-pressure":
            return np.asarray([predict(configs, keys, space.to_physical(z), gradient=False)[0] for z in zs])
        times = short_circuit_times(configs, keys, [space.to_physical(z) for z in zs], on_times)
        seen.update({np.asarray(z, float).tobytes(): t for z, t in zip(zs, times, strict=True)})
        return times

    def evaluate(z):
        """Times, residuals, their Jacobian in ``z`` and the keys at a regime edge (for ``t_f``, the times
        at ``z`` reused if known)."""
        if target == "critical-pressure":
            times, gradients = predict(configs, keys, space.to_physical(z))
            edge = np.zeros(k, bool)
        else:
            known = seen.get(np.asarray(z, float).tobytes())
            times, gradients, edge = times_and_slopes(configs, keys, space, z, known, on_times)
            seen[np.asarray(z, float).tobytes()] = times
        return times, *_residuals_and_jacobian(times, gradients, observations, sigma, space, z), edge

    def residuals_at(times, z) -> np.ndarray:
        return _residuals_and_jacobian(times, np.zeros((n, k)), observations, sigma, space, z)[0]

    restored = None
    if resume and checkpoint_dir is not None:
        start = step.start(np.zeros(k), np.zeros(n), np.zeros((n, k)))
        like = FitProgress(start, np.zeros(max_iter + 1), np.zeros((), int), np.zeros(k, bool))
        try:
            restored = checkpoint.latest(checkpoint_dir, like)
        except ValueError as err:
            raise ConfigError(
                f"cannot resume: the checkpoint is of another fit (its --optimizer, --params, observations or"
                f" --max-iter differ from this one's: optimizer {optimizer!r}, {k} keys, {n} rows,"
                f" max_iter {max_iter}): {err}"
            ) from None
    if restored is not None:
        progress = restored[1]
    else:
        z_base = space.to_unconstrained(parameter_values(config, keys))
        z0 = z_base
        if starts > 1:
            candidates = _starting_points(z_base, starts)
            times = times_at(candidates)
            screened = np.asarray(
                [half_squared_norm(residuals_at(t, z)) for t, z in zip(times, candidates, strict=True)]
            )
            z0 = candidates[int(np.argmin(screened))]  # the base point when every loss is infinite
            if on_start is not None:
                on_start(np.asarray([space.to_physical(z) for z in candidates]), screened)
        times, r, jacobian, edge = evaluate(z0)
        unfailed = ~np.isfinite(times) & ~observations.survived
        if np.any(unfailed):
            tried = f" (the best of {starts} starting points)" if starts > 1 else ""
            event = "short" if target == "short-circuit" else "reach its critical pressure"
            point = ", ".join(f"{key} = {value:.6g}" for key, value in zip(keys, space.to_physical(z0), strict=True))
            rows = [int(i) + 1 for i in np.flatnonzero(unfailed)]
            reason = (
                f"at the starting point ({point}){tried} the cell does not {event} by time.t_end_s (or its run"
                f" diverged) for observation row(s) {rows}, which failed: start from a deeper or sharper defect,"
                " or a lower modulus"
            )
            state = step.start(z0, r, jacobian)
            progress = FitProgress(state, np.asarray([np.inf]), np.asarray(n), edge)
            return _result(progress, keys, space, observations, sigma, estimated, times, target, optimizer, reason)
        state = step.start(z0, r, jacobian)
        history = np.full(max_iter + 1, np.nan)
        history[0] = state.loss
        progress = FitProgress(state, history, np.asarray(n), edge)
        if checkpoint_dir is not None:
            checkpoint.save(checkpoint_dir, 0, progress)
    if on_iteration is not None:
        on_iteration(int(progress.state.iteration), progress.state.loss, space.to_physical(progress.state.z))
    while not bool(progress.state.converged) and int(progress.state.iteration) < max_iter:
        scale = space.relative_scale(progress.state.z)
        z_trial = step.trial_point(progress.state, scale)
        if target == "critical-pressure":  # the run carrying the tangents gives the residuals too
            _, r, jacobian, edge = evaluate(z_trial)
            runs = progress.runs + n
        else:  # slopes only where the trial point is accepted (a lower loss): a rejected step costs one path
            r = residuals_at(times_at([z_trial])[0], z_trial)
            jacobian, runs, edge = progress.state.jacobian, progress.runs, progress.regime_edge
            if half_squared_norm(r) < progress.state.loss:
                _, r, jacobian, edge = evaluate(z_trial)  # the trial point's times reused: its k steps only
                runs = runs + n
        state = step.update(progress.state, z_trial, r, jacobian, rtol, loss_atol, xtol * scale)
        history = progress.loss_history.copy()
        history[int(state.iteration)] = state.loss
        progress = FitProgress(state, history, np.asarray(runs), edge)  # the accepted point's: kept if rejected
        if checkpoint_dir is not None:
            checkpoint.save(checkpoint_dir, int(state.iteration), progress)
        if on_iteration is not None:
            on_iteration(int(state.iteration), state.loss, space.to_physical(state.z))
    state = progress.state
    times = seen.get(state.z.tobytes())
    if times is None:
        times = times_at([state.z])[0]
    reason = "converged" if bool(state.converged) else f"max_iter = {max_iter} iterations reached before convergence"
    return _result(progress, keys, space, observations, sigma, estimated, times, target, optimizer, reason)


def _result(
    progress: FitProgress, keys, space, observations, sigma, estimated, times, target, optimizer, reason
) -> FitResult:
    state = progress.state
    n, k = len(state.residuals), len(keys)
    jacobian = state.jacobian  # finite: _residuals_and_jacobian zeroes the slopes of uncomputable rows
    residuals = np.where(np.isfinite(state.residuals), state.residuals, 0.0)
    if estimated:
        scale = np.sqrt(np.sum(residuals**2) / (n - k)) if n > k else np.inf
        sigma = np.full(n, scale)
        jacobian = jacobian / scale
    failed = ~observations.survived
    unevaluated = tuple(int(i) + 1 for i in np.flatnonzero(failed & ~np.isfinite(times)))
    uncertainty = space.map_uncertainty(laplace_uncertainty(keys, state.z, jacobian), state.z)
    if np.any(progress.regime_edge):
        edge = ", ".join(key for key, at in zip(keys, progress.regime_edge, strict=True) if at)
        uncertainty = without_intervals(
            uncertainty,
            f"the estimates sit at a regime edge of t_f in {edge}: a {DIFFERENCE_STEP:.0%} step either way changes"
            f" some row's short-circuit time by more than a factor {np.exp(CLIFF_LOG_TIME):.3g} (e.g. a first crack"
            " jump that reaches the counter electrode on one side and arrests on the other), so t_f has no slope"
            " there and no interval from one is given; the estimates fit the observations, but other regimes may"
            " fit them too (try --starts)",
        )
    return FitResult(
        keys=keys,
        estimates=space.to_physical(state.z),
        uncertainty=uncertainty,
        loss=state.loss,
        iterations=int(state.iteration),
        converged=bool(state.converged),
        forward_runs=n,
        gradient_runs=int(progress.runs),
        loss_history=progress.loss_history[: int(state.iteration) + 1],
        predicted_failure_time_s=np.asarray(times, float),
        sigma_log=sigma,
        sigma_log_estimated=estimated,
        target=target,
        optimizer=optimizer,
        stop_reason=reason,
        unevaluated_rows=unevaluated,
    )
