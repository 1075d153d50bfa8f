"""Levenberg-Marquardt on a few parameters, one step at a time, with a state that can be saved and resumed.

The residuals come from forward runs of the coupled model with their Jacobian (forward mode,
:mod:`ecmjax.model.sensitivity`); each evaluation costs minutes, so the solver keeps everything it
needs between evaluations in :class:`LMState` (plain arrays: orbax checkpoints it), and a step is a pure
function of that state and one new evaluation. Marquardt's scaling ``lambda diag(J^T J)`` makes the
step independent of the parameters' units; the damping falls by 3 after an accepted step and rises by
4 after a rejected one (Nielsen's simpler variant of Moré's rule), which needs no line search and so
no extra forward runs.

A trust radius bounds the step besides: no coordinate moves by more than ``radius`` times its ``scale``
(the fit's scale is a unit relative change of each parameter). It halves after a rejected step and
doubles, up to its start, after an accepted one. Marquardt's scaling alone does not bound a step along
a parameter the misfit barely sees (its column of ``J`` near zero, so is its damping): on the example fit
the Gauss-Newton step took the depth from 0.90 to 0.805 um, near its lower bound, and four rejected steps
later it was still there, where no row shorts as observed.
"""

from __future__ import annotations

import equinox as eqx
import numpy as np
from jaxtyping import Float

from ecmjax.inverse.stepping import RADIUS, StepState, shortened, trial_outcome

__all__ = ["LMState", "lm_start", "lm_trial_point", "lm_update"]

DAMPING_DOWN, DAMPING_UP = 3.0, 4.0


class LMState(StepState):
    """Where the fit stands (:class:`.stepping.StepState`), with the damping and the trust radius."""

    damping: Float[np.ndarray, ""]
    radius: Float[np.ndarray, ""]
    """Trust radius: the largest move of a coordinate, in units of its ``scale``."""


def lm_start(z, residuals, jacobian, damping: float = 1e-3) -> LMState:
    """The state at the starting point, given its residuals and Jacobian (the trust radius at :data:`RADIUS`)."""
    return LMState(
        z=np.asarray(z, float),
        residuals=np.asarray(residuals, float),
        jacobian=np.asarray(jacobian, float),
        iteration=np.asarray(0),
        converged=np.asarray(False),
        damping=np.asarray(damping, float),
        radius=np.asarray(RADIUS, float),
    )


def lm_trial_point(state: LMState, scale: Float[np.ndarray, " k"] | float = np.inf) -> Float[np.ndarray, " k"]:
    """The next point to evaluate: ``(J^T J + lambda diag(J^T J)) dz = -J^T r``, shortened (in its
    direction) so that no ``|dz_j|`` exceeds ``radius * scale_j``."""
    normal = state.jacobian.T @ state.jacobian
    diagonal = np.where(np.diag(normal) > 0, np.diag(normal), 1.0)
    step = np.linalg.solve(normal + state.damping * np.diag(diagonal), -state.jacobian.T @ state.residuals)
    return state.z + shortened(step, state.radius, scale)


def lm_update(
    state: LMState, z_trial, residuals, jacobian, rtol: float, loss_atol: float = 0.0, step_tol=None
) -> LMState:
    """Accept the trial point if it lowers the loss, and adjust the damping and the radius; flag convergence
    (:func:`.stepping.trial_outcome`). A rejected step below the step tolerance means the damping and the
    radius have shrunk the step without finding a lower loss (the minimum, to the resolution of the model)."""
    accepted, converged = trial_outcome(state, z_trial, residuals, rtol, loss_atol, step_tol)
    iteration, converged = np.asarray(state.iteration + 1), np.asarray(converged)
    if accepted:
        return LMState(
            z=np.asarray(z_trial, float),
            residuals=np.asarray(residuals, float),
            jacobian=np.asarray(jacobian, float),
            iteration=iteration,
            converged=converged,
            damping=np.asarray(state.damping / DAMPING_DOWN),
            radius=np.asarray(min(2.0 * float(state.radius), RADIUS)),
        )
    return eqx.tree_at(
        lambda s: (s.damping, s.radius, s.iteration, s.converged),
        state,
        (np.asarray(state.damping * DAMPING_UP), np.asarray(0.5 * float(state.radius)), iteration, converged),
    )
