"""Standard errors and identifiability of fitted parameters, from the Jacobian at the optimum.

The residuals of :mod:`ecmjax.inverse.loss` are already divided by their standard deviations, so the
negative log-likelihood is ``sum r^2 / 2`` and its Gauss-Newton Hessian is the Fisher matrix ``J^T J``.
The Laplace (linearised) approximation of the posterior, equivalently the asymptotic covariance of the
maximum-likelihood estimate, is then ``inv(J^T J)``: no rescaling by a residual variance, because the
scale of the residuals is known (Bates & Watts, *Nonlinear Regression Analysis*, 1988, sec. 2.3 with
``s^2 = 1``). It drops the ``r_i d^2 r_i`` terms of the Hessian, which is accurate when the fit is good.

Parameters in SI units differ by many orders of magnitude (a depth of ``1e-6`` m against a modulus of
``1e10`` Pa), which would wreck the conditioning of ``J^T J`` by units alone. The columns of ``J`` are
therefore scaled to unit norm first (within ``sqrt(k)`` of the best diagonal scaling: van der Sluis,
Numer. Math. 14, 1969), and the covariance comes from the SVD of the scaled Jacobian, never by forming
and inverting ``J^T J``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import equinox as eqx
import numpy as np
from jaxtyping import Bool, Float

from ecmjax.model.figures import finite_or_none

__all__ = ["Z_95", "Uncertainty", "laplace_uncertainty", "without_intervals"]

Z_95 = 1.959963984540054
"""The 97.5 % quantile of the standard normal distribution: half-width of a 95 % Wald interval in standard errors."""

_ADVICE = {
    "geometry.": (
        "failure times at more current densities, or a measured defect depth/width (e.g. from SEM/FIB cross-sections)"
    ),
    "material.youngs_modulus_Pa": (
        "an independent modulus measurement (e.g. nanoindentation) or observations at several stack pressures"
    ),
}
"""Which extra measurement separates a parameter from the others, by key prefix."""
_GENERIC_ADVICE = "observations at other current densities/stack pressures, or fix one of the parameters"


class Uncertainty(eqx.Module):
    """Standard errors, 95 % Wald intervals and correlations of fitted parameters (SI units, as the keys say).

    The intervals are ``estimate -/+ 1.96 standard error``: symmetric, from the linearised model, so only
    as good as the linearisation over that width. ``identifiable`` is False, and ``warnings`` say why
    and what to measure, when the data do not pin down every parameter separately.
    """

    keys: tuple[str, ...] = eqx.field(static=True)
    estimates: Float[np.ndarray, " k"]
    standard_errors: Float[np.ndarray, " k"]
    """``inf`` for a parameter with a component along an exactly undetermined direction."""
    lower_95: Float[np.ndarray, " k"]
    upper_95: Float[np.ndarray, " k"]
    covariance: Float[np.ndarray, "k k"]
    """``inv(J^T J)``; when that is singular, the pseudo-inverse taken in the norm-scaled coordinates."""
    correlation: Float[np.ndarray, "k k"]
    """NaN off the diagonal for the parameters whose standard error is infinite."""
    fisher_condition_number: Float[np.ndarray, ""]
    """Condition number of ``J^T J`` with the columns of ``J`` scaled to unit norm (free of units)."""
    identifiable: Bool[np.ndarray, ""]
    warnings: tuple[str, ...] = eqx.field(static=True)

    def as_dict(self) -> dict:
        """Plain lists, floats and strings for JSON; non-finite numbers become ``None`` (JSON ``null``)."""
        return {
            "keys": list(self.keys),
            "estimates": finite_or_none(self.estimates),
            "standard_errors": finite_or_none(self.standard_errors),
            "lower_95": finite_or_none(self.lower_95),
            "upper_95": finite_or_none(self.upper_95),
            "covariance": finite_or_none(self.covariance),
            "correlation": finite_or_none(self.correlation),
            "fisher_condition_number": finite_or_none(self.fisher_condition_number),
            "identifiable": bool(self.identifiable),
            "warnings": list(self.warnings),
        }


def _advice(keys: Sequence[str]) -> str:
    """The extra measurements that would separate ``keys``: the table's entries for them, the generic one last."""
    specific = [text for prefix, text in _ADVICE.items() if any(key.startswith(prefix) for key in keys)]
    generic = [_GENERIC_ADVICE] if any(not key.startswith(tuple(_ADVICE)) for key in keys) else []
    return "; or ".join(specific + generic)


def laplace_uncertainty(
    keys: Sequence[str],
    estimates: Float[np.ndarray, " k"],
    jacobian: Float[np.ndarray, "n k"],
    *,
    condition_limit: float = 1e8,
    correlation_limit: float = 0.98,
) -> Uncertainty:
    """Covariance ``inv(J^T J)`` of the estimates, with identifiability warnings.

    ``jacobian[i, j]`` is ``d r_i / d theta_j`` at the optimum, in the physical units of ``theta_j``,
    for residuals ``r_i`` already divided by their standard deviations (so no residual-variance
    rescaling). Warns, and sets ``identifiable`` False, when there are fewer residuals than parameters,
    when the condition number of the column-scaled ``J^T J`` exceeds ``condition_limit``, or when two
    parameters' correlation exceeds ``correlation_limit`` in magnitude.
    """
    keys = tuple(keys)
    estimates = np.asarray(estimates, float)
    jacobian = np.asarray(jacobian, float)
    n, k = jacobian.shape
    if len(keys) != k or estimates.shape != (k,):
        raise ValueError(f"{len(keys)} keys and {estimates.shape} estimates for a Jacobian of {jacobian.shape}")
    if not np.all(np.isfinite(jacobian)):
        raise ValueError("the Jacobian has non-finite entries: no uncertainty at a point where the model failed")

    norms = np.linalg.norm(jacobian, axis=0)
    norms = np.where(norms > 0, norms, 1.0)
    # Zero rows leave J^T J unchanged and make the SVD return all k singular values and right vectors.
    scaled = np.vstack([jacobian / norms, np.zeros((max(k - n, 0), k))])
    _, singular, vt = np.linalg.svd(scaled, full_matrices=False)
    tolerance = singular[0] * max(n, k) * np.finfo(float).eps  # numpy's matrix_rank default
    determined = singular > tolerance
    inverse_squares = np.where(determined, 1.0 / np.where(determined, singular, 1.0) ** 2, 0.0)
    scaled_covariance = (vt.T * inverse_squares) @ vt
    undetermined = np.linalg.norm(vt[~determined], axis=0) > np.sqrt(np.finfo(float).eps)

    covariance = scaled_covariance / np.outer(norms, norms)
    standard_errors = np.where(undetermined, np.inf, np.sqrt(np.diag(covariance)))
    scaled_errors = np.sqrt(np.diag(scaled_covariance))
    with np.errstate(divide="ignore", invalid="ignore"):
        correlation = scaled_covariance / np.outer(scaled_errors, scaled_errors)
    correlation = np.where(undetermined[:, None] | undetermined[None, :], np.nan, correlation)
    np.fill_diagonal(correlation, 1.0)
    condition = (singular[0] / singular[-1]) ** 2 if determined[-1] else np.inf

    warnings = []
    if n < k:
        warnings.append(
            f"{n} residuals for {k} parameters: at most {n} combinations of {', '.join(keys)} can be determined;"
            f" add {_advice(keys)}"
        )
    if condition > condition_limit:
        weakest = vt[-1]
        named = [j for j in np.argsort(-np.abs(weakest)) if abs(weakest[j]) >= 0.5 * np.max(np.abs(weakest))]
        combination = " ".join(f"{weakest[j]:+.2f} {keys[j]}" for j in named)
        warnings.append(
            f"the Fisher matrix is ill-conditioned (condition number {condition:.3g} > {condition_limit:.3g}): the"
            f" data barely determine the combination {combination} (of the norm-scaled parameters); to pin it"
            f" down, add {_advice([keys[j] for j in named])}"
        )
    # The upper triangle only, so that a pair is named in the keys' order whatever the round-off between
    # correlation[i, j] and correlation[j, i].
    off_diagonal = np.where(np.triu(np.ones((k, k), dtype=bool), 1), np.abs(correlation), np.nan)
    if not np.all(np.isnan(off_diagonal)) and np.nanmax(off_diagonal) > correlation_limit:
        i, j = np.unravel_index(np.nanargmax(off_diagonal), off_diagonal.shape)
        warnings.append(
            f"{keys[i]} and {keys[j]} are correlated ({correlation[i, j]:+.4f}, beyond +/-{correlation_limit:g}):"
            f" the data fix only a combination of them; to separate them, add {_advice([keys[i], keys[j]])}"
        )

    return Uncertainty(
        keys,
        estimates,
        standard_errors,
        estimates - Z_95 * standard_errors,
        estimates + Z_95 * standard_errors,
        covariance,
        correlation,
        np.asarray(condition, float),
        np.asarray(not warnings),
        tuple(warnings),
    )


def without_intervals(u: Uncertainty, warning: str) -> Uncertainty:
    """``u`` with its standard errors, intervals, covariance and correlations undefined (NaN), and
    ``warning`` added: where the linearisation they come from does not hold at the estimates."""
    nan = lambda a: np.full_like(a, np.nan)
    return dataclasses.replace(
        u,
        standard_errors=nan(u.standard_errors),
        lower_95=nan(u.lower_95),
        upper_95=nan(u.upper_95),
        covariance=nan(u.covariance),
        correlation=nan(u.correlation),
        identifiable=np.asarray(False),
        warnings=(*u.warnings, warning),
    )
