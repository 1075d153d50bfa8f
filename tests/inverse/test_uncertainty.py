"""Laplace / Gauss-Newton uncertainty at the optimum (inverse/uncertainty.py), on linear least squares.

For whitened residuals ``r = (X theta - y) / sigma`` with known ``sigma``, the covariance of the
least-squares estimate is ``inv(J^T J)`` with ``J = X / sigma`` exactly, and the Wald interval
``theta_hat -/+ z_0.975 se`` has exact 95 % coverage (Bates & Watts, Nonlinear Regression Analysis, 1988,
sec. 2.3 with the variance known, ``s^2 = 1``; linear models are their own linearisation).
"""

import json

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

from ecmjax.inverse.uncertainty import Z_95, laplace_uncertainty

KEYS = ("geometry.depth_m", "geometry.aspect_ratio", "material.youngs_modulus_Pa")
SCALES = np.array([1e6, 1.0, 1e-10])
"""Sensitivities per SI unit of the three keys: a depth in metres, a pure number, a modulus in pascals."""


def orthonormal_columns(n: int, k: int, seed: int = 0) -> np.ndarray:
    return np.linalg.qr(np.random.default_rng(seed).normal(size=(n, k)))[0]


def test_covariance_is_the_inverse_normal_matrix():
    x = np.random.default_rng(1).normal(size=(40, 3))
    estimates = np.array([0.5, -2.0, 3.0])
    u = laplace_uncertainty(KEYS, estimates, x)
    direct = np.linalg.inv(x.T @ x)
    by_cholesky = scipy.linalg.cho_solve(scipy.linalg.cho_factor(x.T @ x), np.eye(3))
    np.testing.assert_allclose(u.covariance, direct, rtol=1e-10, atol=1e-10 * np.abs(direct).max())
    np.testing.assert_allclose(u.covariance, by_cholesky, rtol=1e-10, atol=1e-10 * np.abs(direct).max())
    se = np.sqrt(np.diag(direct))
    np.testing.assert_allclose(u.standard_errors, se, rtol=1e-10)
    np.testing.assert_allclose(u.correlation, direct / np.outer(se, se), atol=1e-10)
    assert Z_95 == pytest.approx(scipy.stats.norm.ppf(0.975), rel=1e-15)
    np.testing.assert_allclose(u.lower_95, estimates - 1.959963984540054 * se, rtol=1e-10)
    np.testing.assert_allclose(u.upper_95, estimates + 1.959963984540054 * se, rtol=1e-10)


def test_si_units_of_very_different_size_keep_the_covariance_exact():
    # theta_j in units 1e-6 m and 1e10 Pa: J = X diag(s), so inv(J^T J) = diag(1/s) inv(X^T X) diag(1/s).
    x = np.random.default_rng(2).normal(size=(40, 3))
    jacobian = x * SCALES
    u = laplace_uncertainty(KEYS, np.array([1e-6, 2.0, 1.5e11]), jacobian)
    analytic = np.linalg.inv(x.T @ x) / np.outer(SCALES, SCALES)
    np.testing.assert_allclose(u.covariance, analytic, rtol=1e-10)
    np.testing.assert_allclose(u.standard_errors, np.sqrt(np.diag(analytic)), rtol=1e-10)
    # The units alone make J^T J look singular; the column-scaled Fisher matrix is well conditioned.
    assert np.linalg.cond(jacobian.T @ jacobian) > 1e30
    normalised = x / np.linalg.norm(x, axis=0)
    assert float(u.fisher_condition_number) == pytest.approx(np.linalg.cond(normalised) ** 2, rel=1e-10)
    assert float(u.fisher_condition_number) < 10 and u.warnings == () and bool(u.identifiable)


def test_wald_intervals_cover_the_truth_95_percent_of_the_time():
    rng = np.random.default_rng(3)
    n, draws = 12, 2000
    x = rng.normal(size=(n, 3)) * SCALES
    sigma = rng.uniform(0.5, 2.0, n)  # known and unequal: whitening, not rescaling, must handle them
    truth = np.array([2e-6, 3.0, 5e10])
    jacobian = x / sigma[:, None]
    norms = np.linalg.norm(jacobian, axis=0)  # lstsq on the raw columns would drop the 1e-10 one as rank deficient
    covered = np.zeros(3)
    for _ in range(draws):
        y = x @ truth + sigma * rng.normal(size=n)
        estimates = np.linalg.lstsq(jacobian / norms, y / sigma)[0] / norms
        u = laplace_uncertainty(KEYS, estimates, jacobian)
        covered += (u.lower_95 <= truth) & (truth <= u.upper_95)
    # Each fraction is binomial with standard error sqrt(0.95 * 0.05 / 2000) = 0.0049; 1.5 % is 3 of them.
    np.testing.assert_allclose(covered / draws, 0.95, atol=0.015)


def test_nearly_collinear_geometry_is_flagged_with_advice():
    a, b, c = orthonormal_columns(30, 3).T
    phi = 0.01
    x = np.stack([a, np.cos(phi) * a + np.sin(phi) * b, c], axis=1)
    u = laplace_uncertainty(KEYS, np.array([1e-6, 2.0, 1.5e11]), x * SCALES)
    # Unit-norm columns with Gram matrix [[1, cos, 0], [cos, 1, 0], [0, 0, 1]]: the inverse's correlation
    # is -cos(phi), its condition number (1 + cos) / (1 - cos) = 4.0e4, below the 1e8 limit.
    assert u.correlation[0, 1] == pytest.approx(-np.cos(phi), rel=1e-10)
    assert float(u.fisher_condition_number) == pytest.approx((1 + np.cos(phi)) / (1 - np.cos(phi)), rel=1e-8)
    assert not bool(u.identifiable) and len(u.warnings) == 1
    (warning,) = u.warnings
    assert "geometry.depth_m and geometry.aspect_ratio" in warning
    assert "measured defect depth/width (e.g. from SEM/FIB cross-sections)" in warning
    assert "nanoindentation" not in warning
    assert np.all(np.isfinite(u.standard_errors))


def test_an_ill_conditioned_modulus_trade_off_names_both_keys():
    a, b = orthonormal_columns(30, 2).T
    phi = 1e-5
    keys = ("geometry.depth_m", "material.youngs_modulus_Pa")
    jacobian = np.stack([a, np.cos(phi) * a + np.sin(phi) * b], axis=1) * SCALES[[0, 2]]
    u = laplace_uncertainty(keys, np.array([1e-6, 1.5e11]), jacobian)
    assert float(u.fisher_condition_number) == pytest.approx((1 + np.cos(phi)) / (1 - np.cos(phi)), rel=1e-4)
    assert float(u.fisher_condition_number) > 1e8 and not bool(u.identifiable)
    conditioning, correlated = u.warnings
    assert "condition number 4e+10 > 1e+08" in conditioning
    assert "0.71 geometry.depth_m" in conditioning and "0.71 material.youngs_modulus_Pa" in conditioning
    assert "independent modulus measurement (e.g. nanoindentation)" in conditioning
    assert "geometry.depth_m and material.youngs_modulus_Pa are correlated (-1.0000" in correlated
    assert "SEM/FIB" in correlated and "nanoindentation" in correlated


def test_exactly_collinear_columns_give_infinite_errors_for_those_only():
    a, c = orthonormal_columns(30, 2).T
    x = np.stack([a, 2 * a, 3 * c], axis=1)
    u = laplace_uncertainty(KEYS, np.zeros(3), x)
    np.testing.assert_array_equal(u.standard_errors[:2], np.inf)
    assert u.standard_errors[2] == pytest.approx(1 / 3, rel=1e-12)
    # The pseudo-inverse is taken in norm-scaled coordinates (the Moore-Penrose one in SI units would
    # depend on the units): diag(1/|x_j|) pinv(N^T N) diag(1/|x_j|) with N the normalised columns.
    norms = np.linalg.norm(x, axis=0)
    expected = np.linalg.pinv((x / norms).T @ (x / norms)) / np.outer(norms, norms)
    np.testing.assert_allclose(u.covariance, expected, atol=1e-12)
    assert np.isnan(u.correlation[0, 1]) and np.isnan(u.correlation[0, 2]) and u.correlation[2, 2] == 1.0
    assert np.isinf(u.fisher_condition_number) and not bool(u.identifiable)
    record = json.loads(json.dumps(u.as_dict(), allow_nan=False))
    assert record["standard_errors"] == [None, None, pytest.approx(1 / 3, rel=1e-12)]
    assert record["lower_95"][:2] == [None, None] and record["identifiable"] is False


def test_fewer_residuals_than_parameters_is_not_identifiable():
    jacobian = np.random.default_rng(4).normal(size=(2, 3))
    keys = ("kinetics.alpha_a", "kinetics.alpha_c", "kinetics.exchange_current_A_per_m2")
    u = laplace_uncertainty(keys, np.ones(3), jacobian)
    assert not bool(u.identifiable)
    assert u.warnings[0].startswith("2 residuals for 3 parameters: at most 2 combinations")
    assert u.warnings[0].endswith(
        "add observations at other current densities/stack pressures, or fix one of the parameters"
    )
    assert np.isinf(u.fisher_condition_number) and np.all(np.isinf(u.standard_errors))


def test_a_well_conditioned_fit_has_no_warning():
    u = laplace_uncertainty(KEYS, np.array([1e-6, 2.0, 1.5e11]), orthonormal_columns(20, 3, seed=5) * SCALES)
    assert u.warnings == () and bool(u.identifiable)
    assert float(u.fisher_condition_number) == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(u.standard_errors, 1 / SCALES, rtol=1e-12)
    np.testing.assert_allclose(u.correlation, np.eye(3), atol=1e-12)
    record = u.as_dict()
    assert record["keys"] == list(KEYS) and record["warnings"] == [] and record["identifiable"] is True
    json.dumps(record, allow_nan=False)
