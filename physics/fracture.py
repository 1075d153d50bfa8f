"""Closed-form linear-elastic fracture mechanics of pressurised cracks (2D, plane strain).

The references the phase-field model is validated against (docs/model.md section 5, cases 2 and 3) and the
criterion of ``ecmjax critical-pressure``: when a Li-filled flaw or crack starts to grow, how wide a
pressurised crack opens, and what pressure a crack of given volume holds while it propagates. Pure
arithmetic of scalars or arrays, differentiable in every argument.
"""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

EDGE_CRACK_FACTOR = 1.1215
"""Free-surface factor of an edge crack in a half-plane, ``K_I = 1.1215 p sqrt(pi c)`` under uniform
crack-face pressure ``p`` (Tada, Paris & Irwin, *The Stress Analysis of Cracks Handbook*, 3rd ed. 2000,
section 8.1; by superposition the same as for remote tension)."""


def plane_strain_modulus_Pa(
    youngs_modulus_Pa: Float[ArrayLike, "..."], poisson_ratio: Float[ArrayLike, "..."]
) -> Float[Array, "..."]:
    """``E' = E / (1 - nu^2)``, the modulus that plane-strain crack formulas use, in Pa."""
    return jnp.asarray(youngs_modulus_Pa) / (1.0 - jnp.asarray(poisson_ratio) ** 2)


def edge_crack_critical_pressure_Pa(
    fracture_toughness_Pa_sqrt_m: Float[ArrayLike, "..."], flaw_depth_m: Float[ArrayLike, "..."]
) -> Float[Array, "..."]:
    """Face pressure at which a surface flaw of depth ``c`` starts to grow: ``K_IC / (1.1215 sqrt(pi c))``.

    The Li-filled interfacial flaw of docs/model.md section 3b: 503 MPa for 1 um in LLZO (K_IC 1 MPa m^0.5).
    """
    return jnp.asarray(fracture_toughness_Pa_sqrt_m) / (EDGE_CRACK_FACTOR * jnp.sqrt(jnp.pi * flaw_depth_m))


def griffith_critical_pressure_Pa(
    plane_strain_modulus_Pa: Float[ArrayLike, "..."],
    fracture_energy_J_per_m2: Float[ArrayLike, "..."],
    half_length_m: Float[ArrayLike, "..."],
) -> Float[Array, "..."]:
    """Pressure at which an interior crack of half-length ``a0`` propagates: ``sqrt(E' Gc / (pi a0))``.

    Griffith's criterion ``G = K^2 / E' = Gc`` with ``K = p sqrt(pi a0)`` (Bourdin, Chukwudozie & Yoshioka,
    SPE 159154, 2012, the pressurised-crack benchmark).
    """
    return jnp.sqrt(jnp.asarray(plane_strain_modulus_Pa) * fracture_energy_J_per_m2 / (jnp.pi * half_length_m))


def volume_controlled_pressure_Pa(
    plane_strain_modulus_Pa: Float[ArrayLike, "..."],
    fracture_energy_J_per_m2: Float[ArrayLike, "..."],
    crack_volume_m2: Float[ArrayLike, "..."],
) -> Float[Array, "..."]:
    """Pressure in a crack that propagates stably at fixed fluid volume: ``(2 E' Gc^2 / (pi V))^(1/3)``.

    Griffith's pressure with the half-length eliminated through Sneddon's volume ``V = 2 pi p a0^2 / E'``
    (Bourdin, Chukwudozie & Yoshioka 2012): once ``p_c`` is reached, injecting more Li (more ``V``)
    lengthens the crack and lowers the pressure. ``V`` is an area in 2D (m^2 per m of thickness).
    """
    return jnp.cbrt(
        2.0 * jnp.asarray(plane_strain_modulus_Pa) * fracture_energy_J_per_m2**2 / (jnp.pi * crack_volume_m2)
    )


def sneddon_half_opening_m(
    pressure_Pa: Float[ArrayLike, "..."],
    half_length_m: Float[ArrayLike, "..."],
    plane_strain_modulus_Pa: Float[ArrayLike, "..."],
    x_m: Float[ArrayLike, "..."],
) -> Float[Array, "..."]:
    """Half the opening of a pressurised crack ``|x| < a0``: ``(2 p a0 / E') sqrt(1 - x^2 / a0^2)``, in m.

    Sneddon (Proc. R. Soc. A 187, 1946), 2D plane strain; zero outside the crack.
    """
    ellipse = jnp.sqrt(jnp.maximum(1.0 - (jnp.asarray(x_m) / half_length_m) ** 2, 0.0))
    return 2.0 * jnp.asarray(pressure_Pa) * half_length_m / plane_strain_modulus_Pa * ellipse


def sneddon_volume_m2(
    pressure_Pa: Float[ArrayLike, "..."],
    half_length_m: Float[ArrayLike, "..."],
    plane_strain_modulus_Pa: Float[ArrayLike, "..."],
) -> Float[Array, "..."]:
    """Volume (area, in 2D) of a pressurised crack, ``2 pi p a0^2 / E'``: the integral of twice the half opening."""
    return 2.0 * jnp.pi * jnp.asarray(pressure_Pa) * jnp.asarray(half_length_m) ** 2 / plane_strain_modulus_Pa


def penny_crack_volume_m3(
    pressure_Pa: Float[ArrayLike, "..."],
    radius_m: Float[ArrayLike, "..."],
    plane_strain_modulus_Pa: Float[ArrayLike, "..."],
) -> Float[Array, "..."]:
    """Volume of a pressurised penny-shaped crack of radius ``a`` in an infinite solid, ``16 p a^3 / (3 E')``.

    Sneddon (Proc. R. Soc. A 187, 1946): the opening is ``(8 p a / (pi E')) sqrt(1 - r^2 / a^2)``.
    """
    return 16.0 * jnp.asarray(pressure_Pa) * jnp.asarray(radius_m) ** 3 / (3.0 * plane_strain_modulus_Pa)


def penny_crack_critical_pressure_Pa(
    plane_strain_modulus_Pa: Float[ArrayLike, "..."],
    fracture_energy_J_per_m2: Float[ArrayLike, "..."],
    radius_m: Float[ArrayLike, "..."],
) -> Float[Array, "..."]:
    """Pressure at which a penny-shaped crack of radius ``a`` propagates: ``sqrt(pi E' Gc / (4 a))``.

    Griffith's ``G = K^2 / E' = Gc`` with ``K = 2 p sqrt(a / pi)`` (Sneddon 1946; Tada, Paris & Irwin,
    *The stress analysis of cracks handbook*, 3rd ed., 2000, p. 24.2). The same follows from the energy
    release ``dU/dA`` of Sneddon's volume at fixed ``p``. Sneddon's own ``sqrt(pi E' T / (2 a))`` is this
    with the surface tension ``T = Gc / 2`` of each face.
    """
    return jnp.sqrt(jnp.pi * jnp.asarray(plane_strain_modulus_Pa) * fracture_energy_J_per_m2 / (4.0 * radius_m))


def at2_effective_fracture_energy_J_per_m2(
    fracture_energy_J_per_m2: Float[ArrayLike, "..."],
    cell_size_m: Float[ArrayLike, "..."],
    length_m: Float[ArrayLike, "..."],
) -> Float[Array, "..."]:
    """Fracture energy an AT2 phase-field crack dissipates on a grid of cell size ``h``: ``Gc (1 + h / (2 l))``.

    The discretisation over-estimates the crack's surface energy by ``h / (2 l)`` (Bourdin, Francfort &
    Marigo, J. Elasticity 91, 2008: ``h / (4 eps)`` with their ``eps = l / 2`` for the damage equation
    ``Gc / l (d - l^2 lap d) = 2 (1 - d) H`` of docs/model.md); validation against Griffith or Sneddon uses it.
    """
    return jnp.asarray(fracture_energy_J_per_m2) * (1.0 + jnp.asarray(cell_size_m) / (2.0 * jnp.asarray(length_m)))
