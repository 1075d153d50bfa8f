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
from jaxtyping import Float, Int

__all__ = ["RADIUS", "LMState", "lm_start", "lm_trial_point", "lm_update"]

DAMPING_DOWN, DAMPING_UP = 3.0, 4.0
RADIUS = 0.25
"""Largest step, and the trust radius at the start: a quarter of each coordinate's ``scale``."""


class LMState(eqx.Module):
    """Where the fit stands: the accepted point with its residuals and Jacobian, the damping, counters."""

    z: Float[np.ndarray, " k"]
    residuals: Float[np.ndarray, " n"]
    jacobian: Float[np.ndarray, "n k"]
    damping: Float[np.ndarray, ""]
    radius: Float[np.ndarray, ""]
    """Trust radius: the largest move of a coordinate, in units of its ``scale``."""
    iteration: Int[np.ndarray, ""]
    converged: np.ndarray
    """True once the relative decrease of the loss or the step fell below the tolerance."""

    @property
    def loss(self) -> float:
        return 0.5 * float(np.sum(self.residuals**2))


def lm_start(z, residuals, jacobian, damping: float = 1e-3) -> LMState:
    """The state at the starting point, given its residuals and Jacobian (the trust radius at :data:`RADIUS`)."""
    return LMState(
        np.asarray(z, float),
        np.asarray(residuals, float),
        np.asarray(jacobian, float),
        np.asarray(damping, float),
        np.asarray(RADIUS, float),
        np.asarray(0),
        np.asarray(False),
    )


def lm_trial_point(state: LMState, scale: Float[np.ndarray, " k"] | float = np.inf) -> Float[np.ndarray, " k"]:
    """The next point to evaluate: ``(J^T J + lambda diag(J^T J)) dz = -J^T r``, shortened (in its
    direction) so that no ``|dz_j|`` exceeds ``radius * scale_j``."""
    normal = state.jacobian.T @ state.jacobian
    diagonal = np.where(np.diag(normal) > 0, np.diag(normal), 1.0)
    step = np.linalg.solve(normal + state.damping * np.diag(diagonal), -state.jacobian.T @ state.residuals)
    longest = float(np.max(np.abs(step) / (state.radius * np.asarray(scale, float)), initial=0.0))
    return state.z + step / max(longest, 1.0)


def lm_update(
    state: LMState, z_trial, residuals, jacobian, rtol: float, loss_atol: float = 0.0, step_tol=None
) -> LMState:
    """Accept the trial point if it lowers the loss, and adjust the damping and the radius; flag convergence.

    Converged when an accepted step lowers the loss by less than ``rtol`` of it plus ``loss_atol``, or
    when a step (accepted or not) moves no coordinate ``j`` by more than ``step_tol[j]`` (default ``rtol
    (1 + |z_j|)``): a rejected step that small means the damping and the radius have shrunk the step below
    the tolerance without finding a lower loss (the minimum, to the resolution of the model). Non-finite
    trial residuals (a forward run that diverged there) are rejected like a rise in the loss.
    """
    residuals = np.asarray(residuals, float)
    trial_loss = 0.5 * float(np.sum(residuals**2)) if np.all(np.isfinite(residuals)) else np.inf
    iteration = state.iteration + 1
    step_tol = rtol * (1.0 + np.abs(state.z)) if step_tol is None else step_tol
    small_step = bool(np.all(np.abs(z_trial - state.z) <= step_tol))
    if trial_loss < state.loss:
        small_decrease = state.loss - trial_loss <= rtol * state.loss + loss_atol
        return LMState(
            np.asarray(z_trial, float),
            residuals,
            np.asarray(jacobian, float),
            np.asarray(state.damping / DAMPING_DOWN),
            np.asarray(min(2.0 * float(state.radius), RADIUS)),
            np.asarray(iteration),
            np.asarray(bool(small_decrease or small_step)),
        )
    return eqx.tree_at(
        lambda s: (s.damping, s.radius, s.iteration, s.converged),
        state,
        (
            np.asarray(state.damping * DAMPING_UP),
            np.asarray(0.5 * float(state.radius)),
            np.asarray(iteration),
            np.asarray(small_step),
        ),
    )
