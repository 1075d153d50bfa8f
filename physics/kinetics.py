"""Butler-Volmer kinetics of the Li/electrolyte interface, with the stress-coupled overpotential.

Sign convention (docs/model.md section 3): ``i > 0`` is plating, ``eta = phi_s - phi + Omega_Li p / F``
with the Li metal at ``phi_s = 0``. A Li pressure ``p`` raises ``eta`` and so opposes plating; plating
into a confined Li body stops when ``Omega_Li p / F`` cancels the driving overpotential.
"""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ecmjax.physics.constants import FARADAY_C_PER_MOL, GAS_CONSTANT_J_PER_MOL_K, LI_MOLAR_VOLUME_M3_PER_MOL


def inverse_thermal_voltage_per_V(temperature_K) -> Float[Array, ""]:
    """``F / (R T)``, in 1/V."""
    return FARADAY_C_PER_MOL / (GAS_CONSTANT_J_PER_MOL_K * jnp.asarray(temperature_K))


def overpotential_V(
    electrolyte_potential_V: Float[ArrayLike, "..."],
    li_pressure_Pa: Float[ArrayLike, "..."],
    metal_potential_V: Float[ArrayLike, "..."] = 0.0,
) -> Float[Array, "..."]:
    """Stress-coupled overpotential ``eta = phi_s - phi + Omega_Li p / F``, in V."""
    return metal_potential_V - electrolyte_potential_V + LI_MOLAR_VOLUME_M3_PER_MOL * li_pressure_Pa / FARADAY_C_PER_MOL


def butler_volmer_current_A_per_m2(
    overpotential_V: Float[ArrayLike, "..."],
    exchange_current_A_per_m2,
    alpha_a,
    alpha_c,
    temperature_K,
) -> Float[Array, "..."]:
    """Butler-Volmer plating current ``i0 [exp(-alpha_c f eta) - exp(alpha_a f eta)]``, in A/m^2."""
    f = inverse_thermal_voltage_per_V(temperature_K)
    return exchange_current_A_per_m2 * (
        jnp.exp(-alpha_c * f * overpotential_V) - jnp.exp(alpha_a * f * overpotential_V)
    )


def butler_volmer_dissipation_potential_W_per_m2(
    overpotential_V: Float[ArrayLike, "..."],
    exchange_current_A_per_m2,
    alpha_a,
    alpha_c,
    temperature_K,
) -> Float[Array, "..."]:
    """Convex potential ``G(phi)`` whose derivative in the electrolyte potential is the plating current.

    ``dG/dphi = -dG/deta = i(eta)`` and ``d2G/dphi2 > 0``, so charge conservation with Butler-Volmer
    sources is the minimum of a strictly convex energy; that makes the Newton Jacobian symmetric
    positive definite.
    """
    f = inverse_thermal_voltage_per_V(temperature_K)
    return (exchange_current_A_per_m2 / f) * (
        jnp.exp(-alpha_c * f * overpotential_V) / alpha_c + jnp.exp(alpha_a * f * overpotential_V) / alpha_a
    )


def symmetric_overpotential_V(current_A_per_m2, exchange_current_A_per_m2, temperature_K):
    """Overpotential that carries ``current_A_per_m2`` when ``alpha_a = alpha_c = 1/2``.

    ``eta = -(2 R T / F) asinh(i / (2 i0))``: the closed-form inverse of symmetric Butler-Volmer.
    """
    f = inverse_thermal_voltage_per_V(temperature_K)
    return -(2.0 / f) * jnp.arcsinh(current_A_per_m2 / (2.0 * exchange_current_A_per_m2))


def li_pressure_cap_Pa(overpotential_V) -> Float[Array, "..."]:
    """Monroe-Newman bound ``F |eta| / Omega_Li``: the largest Li pressure plating can build, in Pa."""
    return FARADAY_C_PER_MOL * jnp.abs(overpotential_V) / LI_MOLAR_VOLUME_M3_PER_MOL


def li_pressure_overpotential_V(li_pressure_Pa) -> Float[Array, "..."]:
    """Overpotential ``Omega_Li p / F`` that plating must supply to build a Li pressure ``p``, in V.

    The inverse of :func:`li_pressure_cap_Pa`: 67.8 mV for the 503 MPa that cracks LLZO at a 1 um flaw.
    """
    return LI_MOLAR_VOLUME_M3_PER_MOL * jnp.asarray(li_pressure_Pa) / FARADAY_C_PER_MOL


def kinetic_length_m(conductivity_S_per_m, exchange_current_A_per_m2, alpha_a, alpha_c, temperature_K):
    """``kappa R_ct``: the electrolyte length whose ohmic resistance equals the interface's linear
    charge-transfer resistance ``R_ct = 1 / (f (alpha_a + alpha_c) i0)`` (Ohm m^2).

    Over an electrode of size ``a``, the Wagner number ``kinetic_length / a`` sets the current's spread: far
    above 1 it is uniform, far below it follows the geometry (the primary distribution; Newman and
    Thomas-Alyea, Electrochemical Systems, 3rd ed. 2004, ch. 18).
    """
    f = inverse_thermal_voltage_per_V(temperature_K)
    return conductivity_S_per_m / (f * (alpha_a + alpha_c) * exchange_current_A_per_m2)
