"""The staggered iteration of elasticity and damage (solver/nonlinear/stagger.py), on a scalar stand-in.

The stand-in's "elasticity" gives the displacement ``1 + d`` at the pressure ``2 - d``; its "damage" is
the contraction ``d <- u / 2 - 1/4``, whose fixed point is ``d = 1/2``.
"""

import jax.numpy as jnp
import pytest

from ecmjax.solver.nonlinear.stagger import (
    DAMAGE_FAILED,
    DISPLACEMENT_FAILED,
    DamageUpdate,
    ElasticUpdate,
    staggered_solve,
)


def elastic_step(u, d, p, residual=0.0):
    return ElasticUpdate(1.0 + d, 2.0 - jnp.mean(d), jnp.asarray(residual))


def damage_step(u, p, d, converged=True):
    return DamageUpdate(0.5 * u - 0.25, jnp.zeros(1), jnp.asarray(converged))


def solve(elastic=elastic_step, damage=damage_step, **settings):
    settings = {"tolerance": 1e-8, "max_iterations": 100, "pressure_scale_Pa": 1.0} | settings
    return staggered_solve(elastic, damage, jnp.zeros(3), jnp.zeros(3), jnp.asarray(2.0), jnp.zeros(1), **settings)


@pytest.mark.parametrize("anderson_depth", [0, 2])
def test_converges_to_the_fixed_point(anderson_depth):
    result = solve(anderson_depth=anderson_depth)
    assert bool(result.converged) and int(result.failed) == 0
    assert jnp.allclose(result.damage, 0.5, atol=1e-7)
    assert float(result.pressure_Pa) == pytest.approx(1.5, abs=1e-7)


def test_anderson_and_over_relaxation_take_fewer_passes():
    plain = int(solve().iterations)
    assert int(solve(anderson_depth=2).iterations) < plain
    assert int(solve(over_relaxation=1.5).iterations) < plain


def test_stops_at_the_limit_unconverged():
    result = solve(max_iterations=3)
    assert int(result.iterations) == 3 and not bool(result.converged) and int(result.failed) == 0


def test_elastic_residual_above_the_tolerance_keeps_it_iterating():
    result = solve(elastic=lambda u, d, p: elastic_step(u, d, p, residual=1e-3), max_iterations=7)
    assert int(result.iterations) == 7 and not bool(result.converged)


def test_a_failed_solve_stops_it():
    nan_residual = solve(elastic=lambda u, d, p: elastic_step(u, d, p, residual=jnp.nan))
    assert int(nan_residual.iterations) == 1 and int(nan_residual.failed) == DISPLACEMENT_FAILED
    unconverged = solve(damage=lambda u, p, d: damage_step(u, p, d, converged=False))
    assert int(unconverged.iterations) == 1 and int(unconverged.failed) == DAMAGE_FAILED
    upstream = solve(failed=jnp.asarray(1))
    assert int(upstream.iterations) == 0 and int(upstream.failed) == 1
