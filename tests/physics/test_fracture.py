"""Closed-form fracture mechanics (physics/fracture.py) against hand-computed numbers and each other.

The LLZO set (E 150 GPa, nu 0.26, K_IC 1 MPa m^0.5, docs/model.md section 4) gives the hand values; the
formulas are those of docs/model.md section 5, cases 2 and 3, with their sources in physics/fracture.py.
"""

import math

import jax
import numpy as np
import pytest
from scipy.integrate import quad

from ecmjax.physics.constants import FARADAY_C_PER_MOL, LI_MOLAR_VOLUME_M3_PER_MOL
from ecmjax.physics.fracture import (
    at2_effective_fracture_energy_J_per_m2,
    edge_crack_critical_pressure_Pa,
    griffith_critical_pressure_Pa,
    plane_strain_modulus_Pa,
    sneddon_half_opening_m,
    sneddon_volume_m2,
    volume_controlled_pressure_Pa,
)
from ecmjax.physics.kinetics import li_pressure_cap_Pa, li_pressure_overpotential_V
from ecmjax.physics.materials import llzo, lpscl

E_PRIME_LLZO_PA = 150e9 / (1 - 0.26**2)  # 160.875 GPa
GC_LLZO = 1e12 * (1 - 0.26**2) / 150e9  # K^2 (1 - nu^2) / E = 6.216 J/m^2


def test_plane_strain_modulus():
    # 150 GPa / (1 - 0.0676) = 160.875... GPa.
    assert float(plane_strain_modulus_Pa(150e9, 0.26)) == pytest.approx(160.8752e9, rel=1e-6)


def test_edge_crack_critical_pressure_of_a_1um_flaw_in_llzo():
    # Tada, Paris & Irwin: p_c = K_IC / (1.1215 sqrt(pi c)); by hand 1e6 / (1.1215 * 1.7725e-3) = 503.07 MPa
    # (docs/model.md section 3b: "~0.5 GPa that a 1 um flaw in LLZO needs").
    p_c = float(edge_crack_critical_pressure_Pa(llzo.fracture_toughness_Pa_sqrt_m, 1e-6))
    assert p_c == pytest.approx(1e6 / (1.1215 * math.sqrt(math.pi * 1e-6)), rel=1e-12)
    assert p_c == pytest.approx(503.07e6, rel=1e-5)
    # LPSCL (K_IC 0.25 MPa m^0.5) a quarter of that; a 4x deeper flaw halves it.
    assert float(edge_crack_critical_pressure_Pa(lpscl.fracture_toughness_Pa_sqrt_m, 1e-6)) == pytest.approx(p_c / 4)
    assert float(edge_crack_critical_pressure_Pa(1e6, 4e-6)) == pytest.approx(p_c / 2, rel=1e-12)


def test_monroe_newman_overpotential_of_the_critical_pressure():
    # eta = Omega_Li p / F = 1.30e-5 * 503.07e6 / 96485.33 = 67.78 mV; 7.42 MPa per mV (docs/model.md section 3).
    eta = float(li_pressure_overpotential_V(503.07e6))
    assert eta == pytest.approx(67.78e-3, rel=1e-4)
    assert float(li_pressure_overpotential_V(7.42e6)) == pytest.approx(1e-3, rel=1e-3)
    assert LI_MOLAR_VOLUME_M3_PER_MOL * 7.42e6 / FARADAY_C_PER_MOL == pytest.approx(1e-3, rel=1e-3)
    assert float(li_pressure_cap_Pa(li_pressure_overpotential_V(503.07e6))) == pytest.approx(503.07e6, rel=1e-14)
    assert float(li_pressure_cap_Pa(-eta)) == pytest.approx(503.07e6, rel=1e-14)  # the cap uses |eta|


def test_griffith_critical_pressure():
    # E' Gc = K_IC^2, so p_c = K_IC / sqrt(pi a0) = 1e6 / 1.7725e-3 = 564.19 MPa for a0 = 1 um in LLZO.
    p_c = float(griffith_critical_pressure_Pa(E_PRIME_LLZO_PA, GC_LLZO, 1e-6))
    assert p_c == pytest.approx(564.19e6, rel=1e-5)
    # The edge crack is the interior one with the free-surface factor 1.1215.
    assert p_c == pytest.approx(1.1215 * float(edge_crack_critical_pressure_Pa(1e6, 1e-6)), rel=1e-12)


def test_sneddon_opening_integrates_to_the_volume():
    # Sneddon 1946: V = integral of 2 u(x) over (-a0, a0) = 2 pi p a0^2 / E'; quadrature is the independent truth.
    p, a0 = 100e6, 1e-6
    opening = lambda x: 2.0 * float(sneddon_half_opening_m(p, a0, E_PRIME_LLZO_PA, x))
    volume, _ = quad(opening, -a0, a0, epsabs=0.0, epsrel=1e-12)
    assert float(sneddon_volume_m2(p, a0, E_PRIME_LLZO_PA)) == pytest.approx(volume, rel=1e-9)
    # Centre opening 2 p a0 / E' = 1.2432 nm; closed at the tips and zero beyond.
    u = np.asarray(sneddon_half_opening_m(p, a0, E_PRIME_LLZO_PA, np.array([0.0, 0.6e-6, a0, 2 * a0])))
    assert u[0] == pytest.approx(1.2432e-9, rel=1e-4)
    assert u[1] == pytest.approx(0.8 * u[0], rel=1e-12)  # sqrt(1 - 0.36)
    assert u[2] == 0.0 and u[3] == 0.0


@pytest.mark.parametrize("material", [llzo, lpscl], ids=lambda m: m.name)
@pytest.mark.parametrize("half_length_m", [0.5e-6, 3e-6])
def test_volume_controlled_pressure_gives_back_griffith(material, half_length_m):
    # At V = Sneddon volume at p_c: 2 E' Gc^2 / (pi V) = E'^2 Gc^2 / (pi^2 p_c a0^2) = p_c^4 / p_c, using
    # p_c^2 = E' Gc / (pi a0); so (2 E' Gc^2 / (pi V))^(1/3) = p_c (Bourdin, Chukwudozie & Yoshioka 2012).
    modulus = plane_strain_modulus_Pa(material.youngs_modulus_Pa, material.poisson_ratio)
    energy = material.fracture_energy_J_per_m2
    p_c = griffith_critical_pressure_Pa(modulus, energy, half_length_m)
    volume = sneddon_volume_m2(p_c, half_length_m, modulus)
    assert float(volume_controlled_pressure_Pa(modulus, energy, volume)) == pytest.approx(float(p_c), rel=1e-13)
    # More Li than that: the crack grows and the pressure falls as V^(-1/3).
    assert float(volume_controlled_pressure_Pa(modulus, energy, 8 * volume)) == pytest.approx(float(p_c) / 2)


def test_at2_effective_fracture_energy():
    # Bourdin, Francfort & Marigo 2008: Gc (1 + h / (2 l)); h = 50 nm, l = 100 nm: 1.25 Gc.
    assert float(at2_effective_fracture_energy_J_per_m2(GC_LLZO, 50e-9, 100e-9)) == pytest.approx(1.25 * GC_LLZO)


def central_difference(fn, x, relative_step=1e-5):
    h = relative_step * x
    return (float(fn(x + h)) - float(fn(x - h))) / (2 * h)


def test_gradients_match_central_differences():
    # d p_c / d c = -p_c / (2 c) for the edge crack, and jax.grad against central differences in every
    # argument of the volume-controlled law and the Sneddon opening.
    p_c = float(edge_crack_critical_pressure_Pa(1e6, 1e-6))
    grad = float(jax.grad(edge_crack_critical_pressure_Pa, argnums=1)(1e6, 1e-6))
    assert grad == pytest.approx(-p_c / 2e-6, rel=1e-12)
    assert grad == pytest.approx(central_difference(lambda c: edge_crack_critical_pressure_Pa(1e6, c), 1e-6), rel=1e-8)

    args = (E_PRIME_LLZO_PA, GC_LLZO, 2e-15)
    grads = jax.grad(volume_controlled_pressure_Pa, argnums=(0, 1, 2))(*args)
    for i, value in enumerate(grads):
        partial = lambda x, i=i: volume_controlled_pressure_Pa(*args[:i], x, *args[i + 1 :])
        assert float(value) == pytest.approx(central_difference(partial, args[i]), rel=1e-8), i

    args = (100e6, 1e-6, E_PRIME_LLZO_PA, 0.3e-6)
    grads = jax.grad(sneddon_half_opening_m, argnums=(0, 1, 2, 3))(*args)
    for i, value in enumerate(grads):
        partial = lambda x, i=i: sneddon_half_opening_m(*args[:i], x, *args[i + 1 :])
        assert float(value) == pytest.approx(central_difference(partial, args[i]), rel=1e-8), i
