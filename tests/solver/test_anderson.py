"""Anderson acceleration (solver/nonlinear/anderson.py) on linear fixed points, where its iterates are known: the
plain iteration ``x <- A x + b`` contracts by the spectral radius of ``A`` per pass, Anderson mixing of
depth m by a Krylov (GMRES-like) polynomial (Walker and Ni, SIAM J. Numer. Anal. 49, 2011, section 4)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ecmjax.solver.nonlinear.anderson import AndersonState, anderson_start, anderson_step, least_squares

SIZE = 40


def contraction(radius, seed=0):
    """A symmetric ``A`` with eigenvalues spread over ``[0, radius]`` and a right-hand side."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((SIZE, SIZE)))
    a = q @ np.diag(np.linspace(0.0, radius, SIZE)) @ q.T
    return jnp.asarray(a), jnp.asarray(rng.standard_normal(SIZE))


@jax.jit
def _step(state: AndersonState, x, a, b):
    return anderson_step(state, x, a @ x + b)


def run(a, b, depth, tolerance=1e-10, limit=2000):
    """Passes until ``||G(x) - x|| <= tolerance ||G(0)||``, plain (depth 0) or mixed; and the last iterate."""
    x = jnp.zeros(SIZE)
    state = anderson_start(x, max(depth, 1))
    reference = float(jnp.linalg.norm(b))
    for k in range(limit):
        image = a @ x + b
        if float(jnp.linalg.norm(image - x)) <= tolerance * reference:
            return k, x
        x, state = _step(state, x, a, b) if depth else (image, state)
    return limit, x


def test_first_step_is_the_plain_image():
    a, b = contraction(0.9)
    x = jnp.ones(SIZE)
    mixed, state = anderson_step(anderson_start(x, 5), x, a @ x + b)
    np.testing.assert_allclose(mixed, a @ x + b, rtol=1e-15)
    assert int(state.count) == 0


@pytest.mark.parametrize("depth", [3, 5])
def test_reaches_the_fixed_point_far_faster_than_the_plain_iteration(depth):
    # Spectral radius 0.97: the slowest mode alone needs log(1e-10) / log(0.97) ~ 756 plain passes.
    a, b = contraction(0.97)
    exact = np.linalg.solve(np.eye(SIZE) - np.asarray(a), np.asarray(b))
    plain, _ = run(a, b, depth=0)
    mixed, x = run(a, b, depth=depth)
    assert plain > 500
    assert mixed < plain / 4  # measured: 661 plain, 153 (depth 3), 111 (depth 5)
    np.testing.assert_allclose(x, exact, rtol=0, atol=1e-8 * np.abs(exact).max())


def test_growing_residual_restarts_with_the_plain_image():
    a, b = contraction(0.5)
    x0 = jnp.zeros(SIZE)
    state = anderson_start(x0, 5)
    x1, state = anderson_step(state, x0, a @ x0 + b)
    x2, state = anderson_step(state, x1, a @ x1 + b)
    assert int(state.count) == 1
    # An image far off (residual 100 times larger) is taken plain, and the history is cleared.
    far = x2 + 100.0 * (a @ x2 + b - x2) + 100.0
    mixed, state = anderson_step(state, x2, far)
    np.testing.assert_array_equal(mixed, far)
    assert int(state.count) == 0
    assert float(jnp.abs(state.residual_differences).max()) == 0.0


def test_least_squares_equals_lapack_and_drops_dependent_and_unused_columns():
    # Reference: numpy's SVD least squares (LAPACK gelsd) on the independent columns.
    rng = np.random.default_rng(3)
    columns = rng.standard_normal((5, 200))
    columns[1] = 0.0  # an unused slot of the ring buffer
    columns[3] = 2.0 * columns[0] - columns[2]  # dependent on earlier columns
    rhs = rng.standard_normal(200)
    weights = np.asarray(least_squares(jnp.asarray(columns), jnp.asarray(rhs)))
    kept = [0, 2, 4]
    expected = np.linalg.lstsq(columns[kept].T, rhs, rcond=None)[0]
    np.testing.assert_allclose(weights[kept], expected, rtol=1e-12)
    assert weights[1] == 0.0 and abs(weights[3]) < 1e-12 * np.abs(expected).max()
