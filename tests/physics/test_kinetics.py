"""Butler-Volmer's kinetic length (physics/kinetics.py): the electrolyte length of the interface's resistance."""

import jax
import jax.numpy as jnp
import pytest

from ecmjax.physics.kinetics import butler_volmer_current_A_per_m2, kinetic_length_m


@pytest.mark.parametrize("alphas", [(0.5, 0.5), (0.3, 0.7)])
def test_kinetic_length_is_the_conductivity_times_the_linear_charge_transfer_resistance(alphas):
    # R_ct = -d eta / d i at eta = 0 (Butler-Volmer linearised about equilibrium; Newman and Thomas-Alyea
    # 2004, ch. 8): kappa R_ct is the kinetic length. Checked by differentiating the current itself.
    kappa, i0, temperature = 0.2, 5.0, 298.15
    slope = jax.grad(lambda eta: butler_volmer_current_A_per_m2(eta, i0, *alphas, temperature))(jnp.asarray(0.0))
    expected = kappa / abs(float(slope))
    assert float(kinetic_length_m(kappa, i0, *alphas, temperature)) == pytest.approx(expected, rel=1e-12)
    # The built-in Li6PS5Cl cell: about 1.03 mm, ten thousand of its 0.1 um cells.
    assert float(kinetic_length_m(kappa, i0, 0.5, 0.5, temperature)) == pytest.approx(1.0277e-3, rel=1e-4)
