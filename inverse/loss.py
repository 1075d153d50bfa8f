"""Misfit of predicted failure times: a log-normal likelihood with right-censored (survived) cells.

Failure times of nominally equal cells scatter over decades, roughly log-normally, so the misfit is in
``log t``. A cell that failed at ``t_obs`` contributes the density of ``log t_obs`` about the prediction
``log t_pred``; a cell that had *not* failed by ``t_obs`` (``survived``) contributes the probability of
surviving that long, ``P(T > t_obs) = Phi((log t_pred - log t_obs) / sigma)``. Both are written as
residuals ``r`` with ``-log L = sum r^2 / 2`` (plus constants), so that Gauss-Newton and
Levenberg-Marquardt apply unchanged:

- failed: ``r = (log t_pred - log t_obs) / sigma``;
- survived: ``r = -sqrt(-2 log Phi(z))`` with ``z = (log t_pred - log t_obs) / sigma``, which is ``0``
  for a prediction far beyond ``t_obs`` and grows like ``-z`` far before it (it then acts like a failed
  cell at ``t_obs``).
"""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy.special import log_ndtr
from jaxtyping import Array, Bool, Float

__all__ = ["negative_log_likelihood", "residuals"]


def residuals(
    predicted_log_time: Float[Array, " n"],
    observed_log_time: Float[Array, " n"],
    sigma_log: Float[Array, " n"],
    survived: Bool[Array, " n"],
) -> Float[Array, " n"]:
    """Residuals whose half sum of squares is the negative log-likelihood (up to constants)."""
    z = (predicted_log_time - observed_log_time) / sigma_log
    # -2 log Phi(z) >= 0; its square root is smooth where it vanishes (z -> inf) only through the clamp.
    censored = -jnp.sqrt(jnp.maximum(-2.0 * log_ndtr(z), jnp.finfo(z.dtype).tiny))
    return jnp.where(survived, censored, z)


def negative_log_likelihood(
    predicted_log_time: Float[Array, " n"],
    observed_log_time: Float[Array, " n"],
    sigma_log: Float[Array, " n"],
    survived: Bool[Array, " n"],
) -> Float[Array, ""]:
    """``-log L`` of the observations given the predictions, without the constant ``sum log(sigma sqrt(2 pi) t)``."""
    r = residuals(predicted_log_time, observed_log_time, sigma_log, survived)
    return 0.5 * jnp.sum(r**2)
