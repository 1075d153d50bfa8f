"""Forward-mode derivatives through the coupled time loop (inverse/sensitivity.py).

Checked here on the early, undamaged stage of a run, where the step sequence does not change under
small perturbations: the Li pressure after a few steps against central differences. The run's
short-circuit time has no derivative (see the module's docstring); the fit's failure time ``t_c`` is
checked in test_inverse_failure_time.py.
"""

import equinox as eqx
import numpy as np
import pytest

from ecmjax.config import ConfigError, load_config, parameter_values, with_parameters
from ecmjax.inverse.sensitivity import run_with_sensitivities
from ecmjax.model.simulation import advance, build_model, initial_state

CASE = (
    "domain.thickness_m=2.4e-6",
    "grid.ny=24",
    "geometry.aspect_ratio=1.1",
    "solver.preconditioner=jacobi",
)
"""A 32 x 24 grid (h = 0.1 um) around a 1 um semi-elliptic pit of aspect ratio 1.1 (not 1: a circular
pit puts nodes exactly on its wall, where the discrete indicator has a kink)."""
KEYS = ("geometry.aspect_ratio", "geometry.depth_m", "material.youngs_modulus_Pa")
STEPS = 4


@eqx.filter_jit
def pressure_after_steps(config):
    model = build_model(config)
    return advance(model, initial_state(model), STEPS).figures.pressure_Pa


def test_unknown_or_integer_keys_are_refused():
    config = load_config()
    with pytest.raises(ConfigError, match="'grid.nx' is not a float"):
        parameter_values(config, ["grid.nx"])
    with pytest.raises(ConfigError, match="'geometry.colour' is not a configuration key"):
        parameter_values(config, ["geometry.colour"])


def test_early_pressure_derivatives_match_central_differences():
    config = load_config(None, CASE)
    sensitivity = run_with_sensitivities(config, KEYS, max_steps=STEPS)
    assert int(sensitivity.state.step) == STEPS
    theta = parameter_values(config, KEYS)
    for i, key in enumerate(KEYS):
        # A relative step of 3e-3: the depth's differences at 1e-4 see the discrete pit wall's noise (5%
        # off), at 3e-3 they agree with the tangent to 4e-4 at a 15 MPa increment and 1.3e-3 at the default
        # 30 MPa (aspect ratio and modulus to 1e-5 from 1e-4 up): the bound is that noise, 2e-3.
        h = 3e-3 * theta[i]
        up, down = (
            float(pressure_after_steps(with_parameters(config, KEYS, theta + s * h * np.eye(3)[i]))) for s in (1, -1)
        )
        central = (up - down) / (2 * h)
        assert float(sensitivity.tangents.figures.pressure_Pa[i]) == pytest.approx(central, rel=2e-3), key
