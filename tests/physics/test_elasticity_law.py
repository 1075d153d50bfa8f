"""The split strain energy of physics/elasticity.py is plain linear elasticity where undamaged."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ecmjax.physics.elasticity import Strain, lame_parameters_Pa, strain_energy_density_J_per_m3

jax.config.update("jax_enable_x64", True)


def stiffness_Pa(strain_xx_yy_xy, g):
    mu, lam = lame_parameters_Pa(24e9, 0.3)
    energy = lambda e: strain_energy_density_J_per_m3(Strain(*e), mu, lam, g)
    return np.asarray(jax.hessian(energy)(jnp.asarray(strain_xx_yy_xy, jnp.float64))), float(mu), float(lam)


@pytest.mark.parametrize("strain", [(0.0, 0.0, 0.0), (1e-3, 1e-3, 0.0), (-1e-3, -2e-3, 5e-4)])
def test_undamaged_tangent_is_hookes_law(strain):
    # Plane-strain Hooke's law: d2psi/deps2 = [[lam + 2 mu, lam, 0], [lam, lam + 2 mu, 0], [0, 0, 4 mu]]
    # (tensor shear). At tr eps = 0 a max/min split would halve the bulk modulus in the Hessian.
    tangent, mu, lam = stiffness_Pa(strain, 1.0)
    hooke = np.array([[lam + 2 * mu, lam, 0.0], [lam, lam + 2 * mu, 0.0], [0.0, 0.0, 4 * mu]])
    np.testing.assert_allclose(tangent, hooke, rtol=1e-12, atol=1e-3)


def test_degraded_tangent_softens_tension_only():
    # Amor, Marigo and Maurini 2009: g scales K in tension and mu always; in compression K is whole.
    g = 0.25
    tension, mu, lam = stiffness_Pa((1e-3, 1e-3, 0.0), g)
    compression, *_ = stiffness_Pa((-1e-3, -1e-3, 0.0), g)
    bulk = lam + 2 * mu / 3
    assert tension[0, 1] == pytest.approx(g * (bulk - 2 * mu / 3), rel=1e-12)
    assert compression[0, 1] == pytest.approx(bulk - 2 * g * mu / 3, rel=1e-12)
