"""Other operating conditions on a recorded path (ecmjax/model/quadrature.py), against full runs.

The mechanics depend on the plated volume alone (docs/model.md section 3a), so a full run at another
current density follows the same path: its failure time must be the recorded path's quadrature at that
current density, and the critical current density must divide the full runs that short within
``time.t_end_s`` from those that do not. About 2 minutes on 2 cores: slow.
"""

import functools

import jax.numpy as jnp
import pytest

from ecmjax.api import simulate
from ecmjax.config import load_config, parameter_values, with_parameters
from ecmjax.model.quadrature import (
    CURRENT_DENSITY,
    POTENTIAL_KEYS,
    failure_time_at,
    figures_at_condition,
    record_point,
    stacked,
)
from ecmjax.model.simulation import run

pytestmark = pytest.mark.slow

THIN = ("domain.width_m=3.2e-6", "domain.thickness_m=1.6e-6", "grid.nx=16", "grid.ny=16")
"""1.6 um of the default sulfide over a 1 um pit, 16 x 16 cells: a short circuit within a few seconds."""


def _at_current_density(density: float):
    # The current density as an array: one compiled program serves every value.
    return with_parameters(load_config(None, THIN), (CURRENT_DENSITY,), jnp.asarray([density]))


@pytest.fixture(scope="module")
def recorded():
    points = []
    model, state = run(_at_current_density(20.0), on_chunk=functools.partial(record_point, points), chunk_steps=1)
    return model, state, stacked(points)


def test_the_quadrature_at_the_runs_own_current_density_is_its_failure_time(recorded):
    model, state, points = recorded
    failure = failure_time_at(model, points, state.failure_li_volume_m2, jnp.asarray(20.0))
    assert bool(failure.converged) and float(failure.time_s) == pytest.approx(float(state.failure_time_s), rel=1e-9)


def test_the_quadrature_at_another_current_density_is_a_full_runs_failure_time(recorded):
    model, state, points = recorded
    density = 0.5 * float(model.config.operating.current_density_A_per_m2)
    full = simulate(_at_current_density(density)).summary
    failure = failure_time_at(model, points, full["failure_li_volume_m2"], jnp.asarray(density))
    # The full run at half the current takes the same points of the path (no decision depends on the
    # current but the Monroe-Newman cap's, which this case does not reach), so only round-off differs.
    assert bool(failure.converged) and float(failure.time_s) == pytest.approx(full["failure_time_s"], rel=1e-9)
    # Every figure of the full run, from the path (what a sweep over the current density reports): the
    # times to 1e-9 as above, the pressure cap (the potential's maximum) to the potential solver's
    # tolerance from another starting guess (measured 3e-9), the rest the path's own.
    served = figures_at_condition(
        model, state, points, jnp.asarray(parameter_values(_at_current_density(density), POTENTIAL_KEYS))
    )
    assert bool(served.exact)
    for column, value in served.figures.as_json().items():
        expected = full[column]
        if isinstance(value, float):
            assert value == pytest.approx(expected, rel=1e-8), column
        else:
            assert value == expected, column


def test_the_critical_current_density_divides_shorting_from_surviving_full_runs():
    critical = simulate(_at_current_density(20.0)).summary["critical_current_density_A_per_m2"]
    t_end = load_config(None, THIN).time.t_end_s
    above, below = (simulate(_at_current_density(critical * f)).summary for f in (1.01, 0.99))
    assert above["status"] == "failed" and above["failure_time_s"] < t_end
    assert below["status"] == "survived" and below["failure_time_s"] is None
    # The path does not depend on the current density: the critical one is the same from either run, to the
    # bisection's tolerance (each lies within half of its relative 1e-3 of the root).
    assert above["critical_current_density_A_per_m2"] == pytest.approx(critical, rel=1e-3)
