"""Phase-field damage (solver/damage.py) against closed forms, the penalty's own predictions and central
differences. Strips of a few cells in y carry 1D solutions; the crack sits on the left edge, which is
its mirror plane (zero flux), so a strip of length ``L`` is half of a ``2 L`` domain."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ecmjax.solver.fields.damage import DamageProblem, penalty_J_per_m3, solve_damage
from ecmjax.solver.grid import Grid
from ecmjax.solver.nonlinear.newton import NewtonKrylov

LENGTH_M = 1e-7
GC_J_PER_M2 = 6.2  # LLZO, docs/model.md section 4
TIGHT = NewtonKrylov(rtol=1e-12)
AT1_SOLVER = NewtonKrylov(rtol=1e-12, max_iterations=60)  # AT1's band edge moves ~1 node per iteration
solve = eqx.filter_jit(solve_damage)  # the solver's settings are static: share TIGHT to share compilations


def strip(cells_per_length, lengths=10, model="AT2", tolerance=0.01, history_J_per_m3=0.0, crack=True):
    """A ``lengths * l`` long strip of 2-cell height, fully broken (``d_prev = 1``) on its left edge."""
    h = LENGTH_M / cells_per_length
    grid = Grid((lengths * cells_per_length, 2), h)
    lower_bound = jnp.zeros(grid.node_shape).at[0, :].set(1.0 if crack else 0.0)
    return DamageProblem(
        grid,
        jnp.full(grid.shape, history_J_per_m3),
        jnp.asarray(GC_J_PER_M2),
        jnp.asarray(LENGTH_M),
        lower_bound,
        model=model,
        irreversibility_tolerance=tolerance,
    )


def with_lower_bound(problem, lower_bound):
    """``problem`` with another ``d_prev`` (strongly typed like the others, so compilations are shared)."""
    strong = jnp.zeros(problem.grid.node_shape) + lower_bound
    return eqx.tree_at(lambda p: p.lower_bound, problem, strong)


def profile(problem, solver=TIGHT):
    d, info = solve(problem, jnp.zeros(problem.grid.node_shape), solver)
    assert bool(info.converged)
    assert float(jnp.ptp(d, axis=1).max()) < 1e-12  # uniform across the strip
    x, _ = problem.grid.node_coordinates_m()
    return np.asarray(x[:, 0]), np.asarray(d[:, 0])


def at2_exact(x, length_m):
    """AT2 crack profile ``Gc/l (d - l^2 d'') = 0``, ``d(0) = 1``, ``d'(L) = 0``: ``cosh((L - x)/l) / cosh(L/l)``.

    The finite-domain form of ``exp(-|x|/l)`` (Miehe, Hofacker and Welschinger, CMAME 2010, eq. 7;
    Bourdin, Francfort and Marigo, J. Elasticity 2008); the two differ by up to ``exp(-L/l)``.
    """
    return np.cosh((length_m - x) / LENGTH_M) / np.cosh(length_m / LENGTH_M)


def test_at2_profile_converges_at_second_order():
    # docs/model.md case 4. A tolerance of 1e-4 makes the penalty's slack at the crack (2 TOL^2 l/h <= 3.2e-7)
    # negligible; the error left is the discretisation's. Measured: 9.64e-4, 2.40e-4, 6.00e-5 (order 2.00).
    errors = []
    for cells_per_length in (4, 8, 16):
        x, d = profile(strip(cells_per_length, tolerance=1e-4))
        errors.append(np.max(np.abs(d - at2_exact(x, x[-1]))))
        assert np.max(np.abs(d - np.exp(-x / LENGTH_M))) < 5e-5 + errors[-1]  # the infinite-domain profile
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    np.testing.assert_allclose(orders, 2.0, atol=0.05)
    assert errors[-1] < 7e-5


def test_line_crack_relaxes_by_the_predicted_penalty_slack():
    # A crack held by one line of nodes: the penalty force gamma (h/2) (1 - d0) balances the crack's
    # energy release d/dd0 (Gc d0^2 / 2) = Gc d0, so 1 - d0 = 2 TOL^2 l / h (Gerasimov-De Lorenzis gamma).
    # At the default TOL 0.01 and h = l/8: 1.6e-3, which is then the whole profile error.
    tolerance, cells_per_length = 0.01, 8
    x, d = profile(strip(cells_per_length, tolerance=tolerance))
    assert 1.0 - d[0] == pytest.approx(2 * tolerance**2 * cells_per_length, rel=2e-3)
    assert np.max(np.abs(d - at2_exact(x, x[-1]))) < 1.05 * (1.0 - d[0])


def test_at1_profile():
    # AT1 (w = d, c_w = 8/3): 2 l^2 d'' = 1 on the band, so d = (1 - |x|/(2l))^2 for |x| <= 2l and 0
    # beyond (Pham, Amor, Marigo and Maurini, IJDM 2011; Tanne et al., JMPS 2018). Q1 reproduces the
    # parabola at the nodes; what is left is the penalty. At the crack gamma (h/2) (1 - d0) balances the
    # energy release d/dd0 (Gc d0^(3/2) / 2) = (3/4) Gc, so 1 - d0 = 3.56 TOL^2 l/h (2.8e-3 here); where
    # d >= 0 binds, d = -Gc / (c_w l gamma) = -(8/9) TOL^2.
    tolerance, cells_per_length = 0.01, 8
    problem = strip(cells_per_length, model="AT1", tolerance=tolerance)
    x, d = profile(problem, AT1_SOLVER)
    exact = np.where(x <= 2 * LENGTH_M, (1 - x / (2 * LENGTH_M)) ** 2, 0.0)
    crack_slack = 1.5 * GC_J_PER_M2 / (float(penalty_J_per_m3(problem)) * problem.grid.cell_size_m)
    assert 1.0 - d[0] == pytest.approx(crack_slack, rel=1e-2)
    np.testing.assert_allclose(d[x > 2.5 * LENGTH_M], -8 / 9 * tolerance**2, rtol=1e-6)
    assert np.max(np.abs(d - exact)) < 1.05 * crack_slack


def test_uniform_history_gives_the_local_solution():
    # No gradients: AT2 minimises (1 - d)^2 H + Gc/(2l) d^2, so d = 2H / (2H + Gc/l) (docs/model.md section 3).
    for history_J_per_m3 in (0.1 * GC_J_PER_M2 / LENGTH_M, 3.0 * GC_J_PER_M2 / LENGTH_M):
        _, d = profile(strip(8, history_J_per_m3=history_J_per_m3, crack=False))
        expected = 2 * history_J_per_m3 / (2 * history_J_per_m3 + GC_J_PER_M2 / LENGTH_M)
        np.testing.assert_allclose(d, expected, rtol=1e-10)


def test_at1_has_an_elastic_threshold():
    # AT1 minimises (1 - d)^2 H + 3 Gc/(8 l) d subject to d >= 0: no damage until H = 3 Gc/(16 l)
    # (Pham et al. 2011), d = 1 - 3 Gc / (16 l H) beyond; below it the penalty holds d within TOL^2 of 0.
    threshold = 3 * GC_J_PER_M2 / (16 * LENGTH_M)
    _, below = profile(strip(8, model="AT1", history_J_per_m3=0.9 * threshold, crack=False), AT1_SOLVER)
    assert np.all(np.abs(below) < 1e-4)
    _, above = profile(strip(8, model="AT1", history_J_per_m3=2.0 * threshold, crack=False), AT1_SOLVER)
    np.testing.assert_allclose(above, 0.5, rtol=1e-10)


def test_uniform_lower_bound_relaxes_by_tolerance_squared():
    # H = 0 and d_prev = c: Gc/(2l) d^2 + gamma/2 (c - d)^2 is least at d = c gamma / (gamma + Gc/l),
    # which Gerasimov and De Lorenzis' AT2 constant makes exactly c (1 - TOL^2).
    _, d = profile(with_lower_bound(strip(8, crack=False), 0.6))
    np.testing.assert_allclose(d, 0.6 * (1 - 0.01**2), rtol=1e-10)


def test_damage_stays_above_a_varying_lower_bound():
    # H = 0 drives healing; the penalty must hold d >= d_prev up to its slack. Where the bound is active
    # Gc/l (d - l^2 d'') = gamma (d_prev - d), so the slack is TOL^2 (d_prev - l^2 d_prev'') / (1 - TOL^2),
    # at most 0.8 (1 + l^2 / s^2) TOL^2 = 1e-4 for this Gaussian of width s = 2 l.
    tolerance = 0.01
    problem = strip(8, crack=False, tolerance=tolerance)
    x, _ = problem.grid.node_coordinates_m()
    bump = 0.8 * jnp.exp(-((x - 5 * LENGTH_M) ** 2) / (2 * (2 * LENGTH_M) ** 2))
    _, d = profile(with_lower_bound(problem, bump))
    gap = d - np.asarray(bump[:, 0])
    assert gap.min() >= -1.25 * 0.8 * tolerance**2 / (1 - tolerance**2) * 1.01
    assert gap.min() < -0.5 * 0.8 * tolerance**2  # the penalty does act
    assert d.max() <= 0.8


def test_periodic_grid_needs_a_periodic_solver():
    grid = Grid((16, 4), LENGTH_M / 4, periodic_x=True)
    history = 0.5 * GC_J_PER_M2 / LENGTH_M
    problem = DamageProblem(
        grid, jnp.full(grid.shape, history), jnp.asarray(GC_J_PER_M2), jnp.asarray(LENGTH_M), jnp.zeros(grid.node_shape)
    )
    with pytest.raises(ValueError, match="periodic_x"):
        solve_damage(problem, jnp.zeros(grid.node_shape))
    d, _ = solve(problem, jnp.zeros(grid.node_shape), NewtonKrylov(rtol=1e-12, periodic_x=True))
    np.testing.assert_allclose(d, 0.5, rtol=1e-10)


def test_unknown_model_is_rejected():
    with pytest.raises(ValueError, match="AT2"):
        strip(4, model="AT3")


def damaged_area_m2(parameters):
    """``int d dA`` of a strip with a line crack and a Gaussian band of history, scaled by ``parameters``."""
    fracture_energy, length, history_scale = parameters
    grid = Grid((64, 4), LENGTH_M / 4)
    xc, _ = grid.cell_centres_m()
    history = history_scale * GC_J_PER_M2 / LENGTH_M * jnp.exp(-(((xc - 8 * LENGTH_M) / (2 * LENGTH_M)) ** 2))
    lower_bound = jnp.zeros(grid.node_shape).at[0, :].set(1.0)
    problem = DamageProblem(grid, history, fracture_energy, length, lower_bound)
    d, _ = solve_damage(problem, jnp.zeros(grid.node_shape), TIGHT)
    return jnp.sum(grid.node_measures() * d)


@pytest.mark.parametrize("index", [0, 1, 2], ids=["fracture_energy", "length", "history_scale"])
def test_gradient_matches_central_differences(index):
    # Implicit differentiation through the penalised minimiser (jax.lax.custom_root) with the crack's
    # penalty active, against central differences of relative step 1e-4.
    parameters = (jnp.asarray(GC_J_PER_M2), jnp.asarray(LENGTH_M), jnp.asarray(1.0))
    _, grads = value_and_grad(parameters)
    step = 1e-4 * float(parameters[index])
    shifted = lambda s: tuple(p + s if i == index else p for i, p in enumerate(parameters))
    central = (float(value_and_grad(shifted(step))[0]) - float(value_and_grad(shifted(-step))[0])) / (2 * step)
    assert float(grads[index]) == pytest.approx(central, rel=1e-4)


value_and_grad = jax.jit(jax.value_and_grad(damaged_area_m2))  # one compilation for values and gradients
