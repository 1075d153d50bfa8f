"""The fit's resumable optimizers (inverse/levenberg_marquardt.py, inverse/lbfgs.py) on a closed-form model."""

import numpy as np
import pytest
from scipy.optimize import least_squares

from ecmjax.inverse.fit import OPTIMIZERS
from ecmjax.inverse.lbfgs import lbfgs_start, lbfgs_trial_point, lbfgs_update
from ecmjax.inverse.levenberg_marquardt import lm_start, lm_trial_point, lm_update
from ecmjax.inverse.stepping import RADIUS
from ecmjax.solver import checkpoint

X = np.linspace(0.0, 2.0, 8)
OBSERVED = np.log(3.0 * np.exp(-1.3 * X) + 0.5) + 0.01 * np.sin(7 * X)  # not exactly representable


def model(z):
    """Residuals and Jacobian of log(a exp(b x) + c) against OBSERVED, with z = (log a, b, log c)."""
    a, b, c = np.exp(z[0]), z[1], np.exp(z[2])
    value = a * np.exp(b * X) + c
    residuals = np.log(value) - OBSERVED
    jacobian = np.stack([a * np.exp(b * X), a * X * np.exp(b * X), c * np.ones_like(X)], axis=1) / value[:, None]
    return residuals, jacobian


def iterate(state, optimizer="lm", rtol=1e-12, max_iterations=400, stop_at=None, scale=np.inf):
    step = OPTIMIZERS[optimizer]
    while not state.converged and state.iteration < max_iterations and state.iteration != stop_at:
        trial = step.trial_point(state, scale)
        state = step.update(state, trial, *model(trial), rtol)
    return state


def fit(z0, optimizer="lm", **kwargs):
    return iterate(OPTIMIZERS[optimizer].start(z0, *model(z0)), optimizer, **kwargs)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_converges_to_scipy_least_squares(optimizer):
    z0 = np.array([0.0, 0.0, -3.0])
    reference = least_squares(lambda z: model(z)[0], z0, jac=lambda z: model(z)[1], xtol=1e-15, ftol=1e-15, gtol=1e-15)
    state = fit(z0, optimizer)
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


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_resuming_from_a_saved_state_gives_the_same_answer(optimizer, tmp_path):
    # The state is all the solver carries: saved with orbax after 3 iterations (L-BFGS: optax's memory
    # too), restored into a fresh start's structure and continued, it gives the uninterrupted fit bit for bit.
    z0 = np.array([0.0, 0.0, -3.0])
    whole = fit(z0, optimizer, scale=np.ones(3))
    checkpoint.save(tmp_path, 3, fit(z0, optimizer, stop_at=3, scale=np.ones(3)))
    like = OPTIMIZERS[optimizer].start(np.zeros(3), np.zeros(len(X)), np.zeros((len(X), 3)))
    iteration, part = checkpoint.latest(tmp_path, like)
    assert iteration == 3 and int(part.iteration) == 3
    state = iterate(part, optimizer, scale=np.ones(3))
    np.testing.assert_array_equal(state.z, whole.z)
    assert int(state.iteration) == int(whole.iteration)


def test_lbfgs_backtracks_along_its_direction_and_renews_it_where_it_accepts():
    # The first direction is optax's scaled gradient step, -gamma_0 J^T r: a descent direction.
    z0 = np.array([0.0, 0.0, -3.0])
    state = lbfgs_start(z0, *model(z0))
    gradient = state.jacobian.T @ state.residuals
    assert float(gradient @ state.direction) < 0.0
    np.testing.assert_allclose(np.cross(state.direction, -gradient), 0.0, atol=1e-12 * np.linalg.norm(gradient) ** 2)
    # Within the trust radius (unit scales) the trial moves no coordinate by more than RADIUS.
    trial = lbfgs_trial_point(state, np.ones(3))
    assert np.max(np.abs(trial - state.z)) <= RADIUS * (1 + 1e-12)
    # A rejected trial keeps the point and halves the step; an accepted one moves there, with a new
    # direction from its gradient and the full step again.
    rejected = lbfgs_update(state, trial, np.full(len(X), 10.0), state.jacobian, rtol=1e-9)
    np.testing.assert_array_equal(rejected.z, state.z)
    assert float(rejected.step) == 0.5 and int(rejected.iteration) == 1
    shorter = lbfgs_trial_point(rejected)
    accepted = lbfgs_update(rejected, shorter, *model(shorter), rtol=1e-9)
    assert accepted.loss < state.loss and float(accepted.step) == 1.0
    np.testing.assert_array_equal(accepted.z, shorter)
    assert float((accepted.jacobian.T @ accepted.residuals) @ accepted.direction) < 0.0
