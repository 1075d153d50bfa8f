"""The log-normal misfit with censoring (inverse/loss.py) against the closed-form likelihood."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm

from ecmjax.inverse.loss import negative_log_likelihood, residuals


def test_failed_cells_are_log_normal():
    # -log of the log-normal density of t_obs about t_pred, without its constant: z^2 / 2.
    predicted, observed, sigma = np.log([10.0, 30.0]), np.log([12.0, 20.0]), np.array([0.1, 0.5])
    nll = negative_log_likelihood(predicted, observed, sigma, np.array([False, False]))
    expected = -np.sum(norm.logpdf(observed, loc=predicted, scale=sigma) + np.log(sigma * np.sqrt(2 * np.pi)))
    assert float(nll) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("z", [-5.0, -0.3, 0.0, 2.0, 9.0])
def test_survived_cells_enter_as_the_survival_probability(z):
    # P(T > t_obs) for log T ~ N(log t_pred, sigma) is norm.sf(log t_obs; log t_pred, sigma).
    sigma, observed = 0.2, np.log(100.0)
    predicted = observed + z * sigma
    nll = negative_log_likelihood(jnp.array([predicted]), jnp.array([observed]), jnp.array([sigma]), jnp.array([True]))
    assert float(nll) == pytest.approx(-norm.logsf(observed, loc=predicted, scale=sigma), rel=1e-10, abs=1e-300)


def test_censored_gradient_is_finite_and_matches_central_differences():
    sigma, observed = 0.2, jnp.log(100.0)
    f = lambda p: negative_log_likelihood(jnp.array([p]), jnp.array([observed]), jnp.array([sigma]), jnp.array([True]))
    for z in (-3.0, 0.5, 40.0):
        p = observed + z * sigma
        g = float(jax.grad(f)(p))
        h = 1e-6
        assert np.isfinite(g)
        assert g == pytest.approx((float(f(p + h)) - float(f(p - h))) / (2 * h), rel=1e-5, abs=1e-12)


def test_residual_signs():
    # Failed: positive when the prediction is late. Survived: zero far beyond t_obs, -z far before it.
    predicted = jnp.array([np.log(20.0), np.log(1e6), -30.0])
    r = residuals(predicted, jnp.zeros(3) + np.log(10.0), jnp.ones(3), jnp.array([False, True, True]))
    assert float(r[0]) == pytest.approx(np.log(2.0))
    assert abs(float(r[1])) < 1e-10
    z = -30.0 - np.log(10.0)
    assert float(r[2]) == pytest.approx(z, rel=0.01)
