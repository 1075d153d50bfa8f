"""Crack nucleation at the electrolyte's strength: the strength term of Larsen, Dolbow and Lopez-Pamies (2024).

A phase-field model alone nucleates cracks at a strength set by its regularisation length ``l``: AT1's
homogeneous solution starts to damage at ``sigma = sqrt(3 E Gc / (8 l))`` (Tanne, Li, Bourdin, Marigo and
Maurini, JMPS 110, 2018), 0.33 GPa for Li6PS5Cl at ``l = 0.2 um``, whatever the material's own strength.
Kumar, Francfort and Lopez-Pamies (JMPS 112, 2018) and Kumar, Bourdin, Francfort and Lopez-Pamies (JMPS
142, 2020) add an external driving force ``c_e`` built from the stress so that damage nucleates on the
material's strength surface, and rescale the toughness term by ``delta`` so that large cracks still grow
at ``Gc``; ``l`` is then a numerical length. Larsen, Dolbow and Lopez-Pamies ("A variational formulation of
Griffith phase-field fracture with material strength", Int. J. Fract. 2024) recast it as an energy, AT1:

    int (1 - d)^2 psi + G(d) c_e + delta Gc / c_w (d / l + l |grad d|^2) dA,   G(d) = int_0^d (1 - s)^2 ds,

with a Drucker-Prager surface through the uniaxial tensile strength ``sigma_ts`` and the hydrostatic
strength ``sigma_hs = 2 sigma_ts sigma_cs / (3 (sigma_cs - sigma_ts))`` (``sigma_cs``: compressive
strength), ``c_e = alpha_2 sqrt(J2) + alpha_1 I1`` in the invariants of the stress, and an explicit
``delta``. At ``d = 0`` damage starts where ``2 psi - c_e = 3 delta Gc / (8 l)``, which their ``alpha``
make exactly ``sigma_ts`` in uniaxial tension and ``sigma_hs`` in hydrostatic tension, for any ``l``.

Two choices of ecmjax: ``c_e`` is kept at or below 0, so the energy stays convex in ``d`` and only drives
damage (in compression the volumetric-deviatoric split already keeps the electrolyte from cracking, so
the surface's compressive side is replaced by that split's); and ``psi`` is the split's tensile energy
``psi+`` (equal to ``psi`` wherever ``tr eps >= 0``, where the strength surface is met).
"""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ecmjax.physics.elasticity import Strain

SQRT3 = 3.0**0.5


def hydrostatic_strength_Pa(tensile_strength_Pa: ArrayLike, compressive_strength_Pa: ArrayLike) -> ArrayLike:
    """``sigma_hs = 2 sigma_ts sigma_cs / (3 (sigma_cs - sigma_ts))``: the Drucker-Prager surface through the
    uniaxial strengths in tension and compression, met in hydrostatic tension."""
    return 2.0 * tensile_strength_Pa * compressive_strength_Pa / (3.0 * (compressive_strength_Pa - tensile_strength_Pa))


def toughness_factor(
    fracture_energy_J_per_m2: ArrayLike,
    length_m: ArrayLike,
    cell_size_m: ArrayLike,
    youngs_modulus_Pa: ArrayLike,
    tensile_strength_Pa: ArrayLike,
    hydrostatic_strength_Pa: ArrayLike,
) -> ArrayLike:
    """``delta``, the factor on the toughness term that keeps a large crack growing at ``Gc`` (Larsen et
    al. 2024, with their correction for the cell size ``h`` of a bilinear discretisation):

        delta = (1 + 3h/(8l))^-2 (sigma_ts + (1 + 2 sqrt 3) sigma_hs) / ((8 + 3 sqrt 3) sigma_hs)
                * 3 Gc / (16 W_ts l) + (1 + 3h/(8l))^-1 2/5,     W_ts = sigma_ts^2 / (2 E).
    """
    grid_factor = 1.0 / (1.0 + 3.0 * cell_size_m / (8.0 * length_m))
    tensile_energy = tensile_strength_Pa**2 / (2.0 * youngs_modulus_Pa)
    shape = (tensile_strength_Pa + (1.0 + 2.0 * SQRT3) * hydrostatic_strength_Pa) / (
        (8.0 + 3.0 * SQRT3) * hydrostatic_strength_Pa
    )
    return (
        grid_factor**2 * shape * 3.0 * fracture_energy_J_per_m2 / (16.0 * tensile_energy * length_m) + grid_factor * 0.4
    )


def nucleation_drive_J_per_m3(
    strain: Strain,
    shear_modulus_Pa,
    lame_lambda_Pa,
    *,
    fracture_energy_J_per_m2,
    length_m,
    toughness_factor,
    tensile_strength_Pa,
    hydrostatic_strength_Pa,
) -> Float[Array, "..."]:
    """``c_e = min(alpha_2 sqrt(J2) + alpha_1 I1, 0)`` of the undamaged stress of ``strain`` (J/m^3):

        alpha_1 = -delta Gc / (8 l sigma_hs) + 2 W_hs / (3 sigma_hs),
        alpha_2 = -sqrt(3) delta Gc (3 sigma_hs - sigma_ts) / (8 l sigma_hs sigma_ts)
                  - 2 W_hs / (sqrt(3) sigma_hs) + 2 sqrt(3) W_ts / sigma_ts,

    with ``W_ts = sigma_ts^2 / (2 E)`` and ``W_hs = sigma_hs^2 / (2 K)`` (Larsen et al. 2024).
    """
    mu, lam = shear_modulus_Pa, lame_lambda_Pa
    bulk = lam + 2.0 * mu / 3.0
    youngs = 9.0 * bulk * mu / (3.0 * bulk + mu)
    first_invariant = 3.0 * bulk * strain.trace
    shear_strain = 2.0 * strain.deviator_squared()
    positive = shear_strain > 0  # sqrt's derivative at 0 is infinite: an unsheared state has none
    root_j2 = mu * jnp.where(positive, jnp.sqrt(jnp.where(positive, shear_strain, 1.0)), 0.0)
    ts, hs = tensile_strength_Pa, hydrostatic_strength_Pa
    tensile_energy, hydrostatic_energy = ts**2 / (2.0 * youngs), hs**2 / (2.0 * bulk)
    crack = toughness_factor * fracture_energy_J_per_m2 / (8.0 * length_m)
    alpha_1 = -crack / hs + 2.0 * hydrostatic_energy / (3.0 * hs)
    alpha_2 = (
        -SQRT3 * crack * (3.0 * hs - ts) / (hs * ts)
        - 2.0 * hydrostatic_energy / (SQRT3 * hs)
        + 2.0 * SQRT3 * tensile_energy / ts
    )
    return jnp.minimum(alpha_2 * root_j2 + alpha_1 * first_invariant, 0.0)


def strength_weight(d: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    """``G(d) = int_0^d (1 - s)^2 ds = (1 - (1 - d)^3) / 3``: how the nucleation drive enters the energy.

    Held at ``G(1) = 1/3`` above ``d = 1`` (the cubic would turn there and, with ``c_e < 0``, make the
    energy fall without bound as ``d`` grows): ``G(d) c_e`` is then convex for every ``d``.
    """
    return (1.0 - (1.0 - jnp.minimum(jnp.asarray(d), 1.0)) ** 3) / 3.0
