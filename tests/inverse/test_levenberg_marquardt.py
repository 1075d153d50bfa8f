"""The resumable Levenberg-Marquardt steps (inverse/levenberg_marquardt.py) on a closed-form model."""

import numpy as np
import pytest
from scipy.optimize import least_squares

from ecmjax.inverse.levenberg_marquardt import RADIUS, lm_start, lm_trial_point, lm_update

X = np.linspace(0.0, 2.0, 8)
OBSERVED = np.log(3.0 * np.exp(-1.3 * X) + 0.5) + 0.01 * np.sin(7 * X)  # not exactly representable


def model(z):
    """Residuals and Jacobian of log(a exp(b x) + c) against OBSERVED, with z = (log a, b, log c)."""
    a, b, c = np.exp(z[0]), z[1], np.exp(z[2])
    value = a * np.exp(b * X) + c
    residuals = np.log(value) - OBSERVED
    jacobian = np.stack([a * np.exp(b * X), a * X * np.exp(b * X), c * np.ones_like(X)], axis=1) / value[:, None]
    return residuals, jacobian


def fit(z0, rtol=1e-12, max_iterations=200, stop_at=None):
    state = lm_start(z0, *model(z0))
    while not state.converged and state.iteration < max_iterations and state.iteration != stop_at:
        trial = lm_trial_point(state)
        state = lm_update(state, trial, *model(trial), rtol=rtol)
    return state


def test_converges_to_scipy_least_squares():
    z0 = np.array([0.0, 0.0, -3.0])
    reference = least_squares(lambda z: model(z)[0], z0, jac=lambda z: model(z)[1], xtol=1e-15, ftol=1e-15, gtol=1e-15)
    state = fit(z0)
    assert state.converged
    np.testing.assert_allclose(state.z, reference.x, rtol=1e-6)
    assert state.loss == pytest.approx(reference.cost, rel=1e-9)


def test_rejected_steps_raise_the_damping_and_keep_the_point():
    state = lm_start(np.zeros(3), *model(np.zeros(3)), damping=1e-3)
    worse = np.full_like(state.residuals, 10.0)
    after = lm_update(state, np.ones(3), worse, state.jacobian, rtol=1e-9)
    np.testing.assert_array_equal(after.z, state.z)
    assert float(after.damping) == pytest.approx(4e-3) and int(after.iteration) == 1
    diverged = lm_update(state, np.ones(3), np.full_like(worse, np.nan), state.jacobian, rtol=1e-9)
    np.testing.assert_array_equal(diverged.z, state.z)


def test_the_trust_radius_bounds_the_step_and_follows_acceptance():
    # From z0 the Gauss-Newton step moves log c by about 2.5: with unit scales and the radius at its start
    # (0.25) it is shortened along its own direction until its longest coordinate moves by 0.25.
    state = lm_start(np.array([0.0, 0.0, -3.0]), *model(np.array([0.0, 0.0, -3.0])))
    free = lm_trial_point(state) - state.z
    capped = lm_trial_point(state, np.ones(3)) - state.z
    assert np.max(np.abs(free)) > 1.0
    assert np.max(np.abs(capped)) == pytest.approx(RADIUS, rel=1e-12)
    np.testing.assert_allclose(capped, free * RADIUS / np.max(np.abs(free)), rtol=1e-12)
    assert np.array_equal(lm_trial_point(state, np.full(3, 1e3)), lm_trial_point(state))  # within: unchanged
    # A rejected step halves the radius; an accepted one doubles it, never beyond its start.
    rejected = lm_update(state, state.z + capped, np.full_like(state.residuals, 10.0), state.jacobian, rtol=1e-9)
    assert float(rejected.radius) == pytest.approx(RADIUS / 2)
    trial = state.z + lm_trial_point(rejected, np.ones(3)) - rejected.z
    accepted = lm_update(rejected, trial, *model(trial), rtol=1e-9)
    assert accepted.loss < state.loss and float(accepted.radius) == pytest.approx(RADIUS)
    again = lm_update(accepted, accepted.z, accepted.residuals * 0.5, accepted.jacobian, rtol=1e-9)
    assert float(again.radius) == pytest.approx(RADIUS)


def test_resuming_from_a_saved_state_gives_the_same_answer():
    # The state is all the solver carries: stopping after 3 iterations and going on from that state is
    # the uninterrupted fit, bit for bit.
    z0 = np.array([0.0, 0.0, -3.0])
    whole = fit(z0)
    part = fit(z0, stop_at=3)
    state = part
    while not state.converged and state.iteration < 200:
        trial = lm_trial_point(state)
        state = lm_update(state, trial, *model(trial), rtol=1e-12)
    np.testing.assert_array_equal(state.z, whole.z)
    assert int(state.iteration) == int(whole.iteration)
