"""Forward-mode derivatives along the path (ecmjax/model/sensitivity.py), against central differences.

The short-circuit time of a thin cell, whose crack joins the far side within one smallest increment:
there the jump's Leibniz term is most of the derivative. The tangents carried through the undamaged
build-up are checked, fast, through the fit's ``t_c`` (tests/inverse/test_failure_time.py: the same
grid, keys and carried tangents). The default case's derivatives are a study (scripts/study_failure_time.py
derivatives), whose record tests/model/test_failure_time_study.py checks.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ecmjax
from ecmjax.config import ConfigError, load_config, parameter_values, with_parameters
from ecmjax.model.simulation import run


def test_unknown_or_integer_keys_are_refused():
    config = load_config()
    with pytest.raises(ConfigError, match="'grid.nx' is not a float"):
        parameter_values(config, ["grid.nx"])
    with pytest.raises(ConfigError, match="'geometry.colour' is not a configuration key"):
        parameter_values(config, ["geometry.colour"])


THIN = ("domain.width_m=3.2e-6", "domain.thickness_m=1.6e-6", "grid.nx=16", "grid.ny=16")
"""1.6 um of the default sulfide over a 1 um pit, 16 x 16 cells: the damage below the pit reaches the far
side's at 23.5 s, and the crack tip jumps 0.7 um within one smallest increment."""
JUMP_KEYS = ("material.youngs_modulus_Pa", "material.fracture_energy_J_per_m2", "kinetics.exchange_current_A_per_m2")


@pytest.fixture(scope="module")
def thin_gradient():
    """``d t_f / d key`` of the thin cell through the public entry point, under ``jax.jacfwd`` (one run
    carrying a tangent per key); the parameters and the configuration with them traced."""
    config = load_config(None, THIN)
    theta = np.asarray(parameter_values(config, JUMP_KEYS), float)
    traced = lambda values: with_parameters(config, JUMP_KEYS, [jnp.asarray(v) for v in values])
    time_s = lambda values: ecmjax.failure_time(traced(values), JUMP_KEYS).time_s
    return np.asarray(jax.jacfwd(time_s)(jnp.asarray(theta))), theta, traced


@pytest.mark.slow  # about 2 minutes on 2 cores
def test_short_circuit_time_derivatives_with_the_jump_match_central_differences(thin_gradient):
    gradient, theta, traced = thin_gradient
    for i, key in enumerate(JUMP_KEYS[:2]):
        # A relative step of 3%: t_f moves 1-4%, well above the scatter of the path's decisions (about
        # 0.03 s, so that differences at 1% scatter: -3.41e-10 s/Pa and 6.45 s m^2/J, against -2.98e-10 and
        # 6.90 at 3%). Measured against 3%: modulus 3.8% (-3.09e-10 s/Pa), fracture energy 1.9% (6.77 s
        # m^2/J). Without the jump's Leibniz term they would be -7.0e-10 s/Pa and 2.8 s m^2/J. The
        # exchange current only sets the filling rate and has no jump term: its tangent agreed to 2e-6 at
        # both steps, and is left out here (two runs: CI's time).
        h = 0.03 * theta[i]
        up, down = (float(run(traced(theta + s * h * np.eye(3)[i]))[1].failure_time_s) for s in (1, -1))
        central = (up - down) / (2 * h)
        assert gradient[i] == pytest.approx(central, rel=0.05), key


@pytest.mark.slow  # about 1 minute
def test_a_run_with_sensitivities_resumes_to_the_same_derivatives(thin_gradient, tmp_path):
    # Stopped after 10 points and checkpointed (tangents too), then resumed: the derivatives of
    # result.json are those of the uninterrupted run.
    gradient, theta, traced = thin_gradient
    stop = lambda state: int(state.step) >= 10
    with pytest.raises(ecmjax.Interrupted):
        ecmjax.simulate(traced(theta), stop_when=stop, checkpoint_dir=tmp_path, sensitivities=JUMP_KEYS)
    resumed = ecmjax.simulate(traced(theta), checkpoint_dir=tmp_path, resume=True, sensitivities=JUMP_KEYS)
    derivatives = resumed.summary["failure_time_sensitivities"]
    np.testing.assert_allclose([derivatives[key] for key in JUMP_KEYS], gradient, rtol=1e-12)
