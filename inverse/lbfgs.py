"""L-BFGS (optax's quasi-Newton direction) on a least-squares loss, one step at a time, with a saveable state.

The same contract as :mod:`.levenberg_marquardt`: the fit evaluates the residuals ``r`` and their
Jacobian ``J`` at the points this module proposes, and a step is a pure function of the state and one
new evaluation, so orbax can checkpoint the state (plain arrays, optax's memory included) and a killed
fit resumes bit for bit. The loss is ``|r|^2 / 2`` and its gradient ``J^T r``.

The direction is :func:`optax.scale_by_lbfgs`'s (Nocedal 1980; Liu & Nocedal 1989), fed the gradient at
each accepted point. The step length is found here by backtracking, not by optax's zoom line search:
each loss is a sweep of coupled runs (a minute or more), not a JAX function that the line search could
call inside its own loop, and only a point that lowers the loss earns its Jacobian (``k`` more paths).
A trial starts at the full quasi-Newton step, shortened (as Levenberg-Marquardt's) so that no
coordinate moves by more than :data:`~.stepping.RADIUS` times its scale, and halves after
each rejection. A direction that does not descend (a curvature pair of the wrong sign, which slopes by
differences can give) restarts the memory from the gradient alone.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Float

from ecmjax.inverse.stepping import RADIUS, StepState, shortened, trial_outcome

__all__ = ["MEMORY", "LBFGSState", "lbfgs_start", "lbfgs_trial_point", "lbfgs_update"]

MEMORY = 10
"""Curvature pairs kept (optax's default): more than a fit of a few parameters ever collects."""

_LBFGS = optax.scale_by_lbfgs(memory_size=MEMORY)


class LBFGSState(StepState):
    """Where the fit stands (:class:`.stepping.StepState`), with optax's memory, the search direction from
    the accepted point and the fraction of it being tried."""

    memory: optax.ScaleByLBFGSState
    direction: Float[np.ndarray, " k"]
    """The quasi-Newton step from ``z``: ``-P J^T r``."""
    step: Float[np.ndarray, ""]
    """Fraction of ``direction`` tried next: 1 after an accepted step, halved after each rejection."""


@jax.jit
def _quasi_newton(memory: optax.ScaleByLBFGSState, z, gradient):
    """optax's preconditioned gradient ``P g`` at ``z`` and its memory updated there; from an empty memory
    (the scaled gradient) where ``P g`` is not a descent direction."""
    preconditioned, updated = _LBFGS.update(gradient, memory, z)
    restarted = _LBFGS.update(gradient, _LBFGS.init(z), z)
    descends = jnp.dot(gradient, preconditioned) > 0.0
    return jax.tree.map(lambda kept, fresh: jnp.where(descends, kept, fresh), (preconditioned, updated), restarted)


def _direction(memory, z, residuals, jacobian):
    """The L-BFGS step from ``z``, ``-P J^T r``, and the memory updated with the gradient there."""
    gradient = np.asarray(jacobian, float).T @ np.asarray(residuals, float)
    preconditioned, updated = _quasi_newton(jax.tree.map(jnp.asarray, memory), jnp.asarray(z), jnp.asarray(gradient))
    return -np.asarray(preconditioned, float), jax.tree.map(np.asarray, updated)


def lbfgs_start(z, residuals, jacobian) -> LBFGSState:
    """The state at the starting point, given its residuals and Jacobian."""
    return _accepted(_LBFGS.init(np.asarray(z, float)), z, residuals, jacobian, 0, False)


def _accepted(memory, z, residuals, jacobian, iteration, converged) -> LBFGSState:
    """The state at a newly accepted point: a new direction from its gradient, the full step to try."""
    direction, memory = _direction(memory, np.asarray(z, float), residuals, jacobian)
    return LBFGSState(
        z=np.asarray(z, float),
        residuals=np.asarray(residuals, float),
        jacobian=np.asarray(jacobian, float),
        iteration=np.asarray(iteration),
        converged=np.asarray(converged),
        memory=memory,
        direction=direction,
        step=np.asarray(1.0),
    )


def lbfgs_trial_point(state: LBFGSState, scale: Float[np.ndarray, " k"] | float = np.inf) -> Float[np.ndarray, " k"]:
    """``z + step * direction``, shortened (in its direction) so that no ``|dz_j|`` exceeds ``RADIUS * scale_j``."""
    return state.z + shortened(float(state.step) * state.direction, RADIUS, scale)


def lbfgs_update(
    state: LBFGSState, z_trial, residuals, jacobian, rtol: float, loss_atol: float = 0.0, step_tol=None
) -> LBFGSState:
    """Accept the trial point if it lowers the loss (then a new direction from its gradient), else halve
    the step; converged as :func:`.stepping.trial_outcome` says."""
    accepted, converged = trial_outcome(state, z_trial, residuals, rtol, loss_atol, step_tol)
    iteration = state.iteration + 1
    if accepted:
        return _accepted(state.memory, z_trial, residuals, jacobian, iteration, converged)
    return eqx.tree_at(
        lambda s: (s.step, s.iteration, s.converged),
        state,
        (np.asarray(0.5 * float(state.step)), np.asarray(iteration), np.asarray(converged)),
    )
