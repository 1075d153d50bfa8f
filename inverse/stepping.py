"""What the fit's optimizers share: one step at a time on a state of plain arrays that orbax saves.

The fit evaluates the residuals ``r`` and their Jacobian ``J`` at the point an optimizer proposes, and
the optimizer's update is a pure function of its state and that evaluation (:mod:`.levenberg_marquardt`,
:mod:`.lbfgs`). Both keep a step within a trust radius (:func:`shortened`), accept a trial point that
lowers the loss ``|r|^2 / 2``, and stop on a small decrease or a small step (:func:`trial_outcome`).
"""

from __future__ import annotations

import equinox as eqx
import numpy as np
from jaxtyping import Float, Int

__all__ = ["RADIUS", "StepState", "half_squared_norm", "shortened", "trial_outcome"]

RADIUS = 0.25
"""Largest step, and the trust radius at the start: a quarter of each coordinate's ``scale``."""


class StepState(eqx.Module):
    """The accepted point with its residuals and Jacobian, and counters (each optimizer adds its own)."""

    z: Float[np.ndarray, " k"]
    residuals: Float[np.ndarray, " n"]
    jacobian: Float[np.ndarray, "n k"]
    iteration: Int[np.ndarray, ""]
    converged: np.ndarray
    """True once the decrease of the loss or the step fell below the tolerance."""

    @property
    def loss(self) -> float:
        return 0.5 * float(np.sum(self.residuals**2))


def half_squared_norm(residuals) -> float:
    """The loss ``|r|^2 / 2`` of a trial's residuals; ``inf`` where one is not finite (a run that diverged)."""
    residuals = np.asarray(residuals, float)
    return 0.5 * float(np.sum(residuals**2)) if np.all(np.isfinite(residuals)) else np.inf


def shortened(step: Float[np.ndarray, " k"], radius, scale) -> Float[np.ndarray, " k"]:
    """``step`` shortened along its own direction so that no ``|step_j|`` exceeds ``radius * scale_j``."""
    longest = float(np.max(np.abs(step) / (radius * np.asarray(scale, float)), initial=0.0))
    return step / max(longest, 1.0)


def trial_outcome(state: StepState, z_trial, residuals, rtol: float, loss_atol: float, step_tol) -> tuple[bool, bool]:
    """Whether the trial point lowers the loss (non-finite residuals, a run that diverged there, do not),
    and whether the fit has converged with it: accepted with a decrease of less than ``rtol`` of the loss
    plus ``loss_atol``, or a step (accepted or not) that moves no coordinate ``j`` by more than
    ``step_tol[j]`` (default ``rtol (1 + |z_j|)``)."""
    trial_loss = half_squared_norm(residuals)
    step_tol = rtol * (1.0 + np.abs(state.z)) if step_tol is None else step_tol
    small_step = bool(np.all(np.abs(np.asarray(z_trial) - state.z) <= step_tol))
    accepted = trial_loss < state.loss
    small_decrease = accepted and state.loss - trial_loss <= rtol * state.loss + loss_atol
    return accepted, small_step or small_decrease
