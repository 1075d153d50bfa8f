"""Derivatives of solved fields against central finite differences (implicit differentiation).

Both solves are differentiated through ``jax.lax.custom_root`` (one adjoint CG solve per cotangent), not
through their iterations; the figures must agree with central differences to 1e-4 relative in float64.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

from ecmjax.model.problems import build_grid, discretise_defect, elasticity_problem, newton_settings, potential_problem
from ecmjax.physics.kinetics import symmetric_overpotential_V
from ecmjax.solver.fields.elasticity import cavity_opening_m2, solve_elasticity
from ecmjax.solver.fields.potential import flat_cell_potential_V, solve_potential

TIGHT = ("solver.rtol=1e-12",)


def opening_m2(config):
    """Li-pressure-driven opening of the pit: the volume the coupled model's Li balance needs."""
    grid = build_grid(config)
    defect = discretise_defect(config, grid)
    problem = elasticity_problem(config, grid, defect, config.operating.li_pressure_Pa)
    u, _ = solve_elasticity(problem, newton_settings(config, grid))
    return cavity_opening_m2(grid, u, defect.node_indicator)


def cell_voltage_V(config):
    grid = build_grid(config)
    defect = discretise_defect(config, grid)
    problem = potential_problem(config, grid, defect, config.operating.li_pressure_Pa)
    eta = symmetric_overpotential_V(10.0, 50.0, 298.15)
    phi, _ = solve_potential(problem, flat_cell_potential_V(problem, eta), newton_settings(config, grid))
    return jnp.mean(phi[:, -1])


opening_and_gradient = eqx.filter_jit(jax.value_and_grad(opening_m2))
voltage_and_gradient = eqx.filter_jit(jax.value_and_grad(cell_voltage_V))
opening_m2_jit = eqx.filter_jit(opening_m2)
cell_voltage_V_jit = eqx.filter_jit(cell_voltage_V)


def central_difference(fn, config, where, relative_step=1e-4):
    # The varied float as an array: both sides run one compiled program (a Python float compiles in).
    value = where(config)
    step = relative_step * value
    plus = eqx.tree_at(where, config, jnp.asarray(value + step))
    minus = eqx.tree_at(where, config, jnp.asarray(value - step))
    return (float(fn(plus)) - float(fn(minus))) / (2 * step)


@pytest.fixture(scope="module")
def config(small_case):
    from ecmjax.config import load_config

    # A 40 MPa Li pressure so that the opening is well above round-off.
    return load_config(None, small_case + TIGHT + ("operating.li_pressure_Pa=40e6", "geometry.aspect_ratio=1.5"))


@pytest.mark.parametrize(
    "where",
    [lambda c: c.geometry.aspect_ratio, lambda c: c.material.youngs_modulus_Pa, lambda c: c.geometry.depth_m],
    ids=["aspect_ratio", "youngs_modulus", "depth"],
)
def test_opening_gradient_matches_central_differences(config, where):
    _, grads = opening_and_gradient(config)
    exact = central_difference(opening_m2_jit, config, where)
    assert float(where(grads)) == pytest.approx(exact, rel=1e-4)


def test_opening_scales_as_one_over_modulus(config):
    # Every load is a pressure, so u ~ 1/E and d(opening)/dE = -opening / E exactly.
    value, grads = opening_and_gradient(config)
    E = config.material.youngs_modulus_Pa
    assert float(grads.material.youngs_modulus_Pa) == pytest.approx(-float(value) / E, rel=1e-6)


@pytest.mark.parametrize(
    "where",
    [lambda c: c.kinetics.exchange_current_A_per_m2, lambda c: c.geometry.aspect_ratio],
    ids=["exchange_current", "aspect_ratio"],
)
def test_cell_voltage_gradient_matches_central_differences(config, where):
    # Through the nonlinear Butler-Volmer solve.
    _, grads = voltage_and_gradient(config)
    exact = central_difference(cell_voltage_V_jit, config, where)
    assert float(where(grads)) == pytest.approx(exact, rel=1e-4)
