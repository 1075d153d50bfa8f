"""Volume balance of a confined Li body: the cavity's volume sets the pressure, plating sets the time.

docs/model.md sections 3 and 3a. The mechanics are quasi-static and rate-independent, so the state of the
cell depends only on the Li volume ``V`` in the body: the pressure is the one at which the Li fills the
cavity, ``V exp(-(p - p_stack) / K_Li) = V_cav(p)`` (the stack pressure while the cavity is not full):
``V`` is measured as plated, at the anode's stack pressure, and Li is compressible, with bulk modulus
``K_Li``. Time enters only through the rate at which the body fills, ``dV/dt = q = (Omega_Li / F) I -
Q_out(p)``, with ``I`` the plating current (per unit depth) on the body's walls and ``Q_out`` an optional
creep back-flow to the anode; so ``t(V) = integral dV / q(V)``. These are pure functions of scalars; the
solver supplies ``I`` and ``V_cav``.
"""

import jax.numpy as jnp
from jaxtyping import Array, Float

from ecmjax.physics.constants import FARADAY_C_PER_MOL, LI_MOLAR_VOLUME_M3_PER_MOL

LI_VOLUME_PER_CHARGE_M3_PER_C = LI_MOLAR_VOLUME_M3_PER_MOL / FARADAY_C_PER_MOL
"""``Omega_Li / F``: the Li volume that one coulomb plates."""


def creep_outflow_m2_per_s(pressure_Pa, stack_pressure_Pa, coefficient_m2_per_Pa_s) -> Float[Array, ""]:
    """Linear creep back-flow ``Q_out = k <p - p_stack>+`` of Li to the anode (0 when ``k = 0``)."""
    return coefficient_m2_per_Pa_s * jnp.maximum(pressure_Pa - stack_pressure_Pa, 0.0)


def filling_rate_m2_per_s(
    current_A_per_m, pressure_Pa, stack_pressure_Pa, creep_coefficient_m2_per_Pa_s
) -> Float[Array, ""]:
    """``q = dV/dt``: the Li volume plated into the body per second, less what creeps back out.

    At or below 0 the body cannot grow past its present volume (plating has stopped at the Monroe-Newman
    cap, or creep carries off all it gets): the cell survives.
    """
    outflow = creep_outflow_m2_per_s(pressure_Pa, stack_pressure_Pa, creep_coefficient_m2_per_Pa_s)
    return LI_VOLUME_PER_CHARGE_M3_PER_C * current_A_per_m - outflow


def _log1p_ratio(x):
    """``log(1 + x) / x``, 1 at ``x = 0`` (and smooth through it, derivatives included)."""
    small = jnp.abs(x) < 1e-6
    safe = jnp.where(small, 1.0, x)
    return jnp.where(small, 1.0 - x / 2 + x**2 / 3, jnp.log1p(safe) / safe)


def filling_time_s(volume_increment_m2, start_rate_m2_per_s, end_rate_m2_per_s, fraction=1.0) -> Float[Array, ""]:
    """Time to fill the first ``fraction`` of an increment, with the rate ``q`` linear in ``V`` across it.

    ``integral_0^f dV ds / (q0 + s (q1 - q0)) = (dV f / q0) log(1 + x) / x``, ``x = f (q1 - q0) / q0``:
    second order in the increment, and exact where the rate falls linearly to 0 at the Monroe-Newman cap
    (there the time diverges, as it should). Infinite where the rate reaches 0 within the fraction; 0 for
    an empty increment (whatever the rates).
    """
    x = fraction * (end_rate_m2_per_s - start_rate_m2_per_s) / start_rate_m2_per_s
    reachable = (start_rate_m2_per_s > 0) & (x > -1)
    time = volume_increment_m2 * fraction / start_rate_m2_per_s * _log1p_ratio(jnp.where(reachable, x, 0.0))
    return jnp.where(volume_increment_m2 == 0, 0.0, jnp.where(reachable, time, jnp.inf))


def filled_fraction(volume_increment_m2, start_rate_m2_per_s, end_rate_m2_per_s, time_s) -> Float[Array, ""]:
    """The fraction of an increment filled after ``time_s``: the inverse of :func:`filling_time_s` (0 to 1).

    ``f = (t q0 / dV) expm1(y) / y`` with ``y = t (q1 - q0) / dV``.
    """
    y = time_s * (end_rate_m2_per_s - start_rate_m2_per_s) / volume_increment_m2
    small = jnp.abs(y) < 1e-6
    safe = jnp.where(small, 1.0, y)
    expm1_ratio = jnp.where(small, 1.0 + y / 2 + y**2 / 6, jnp.expm1(safe) / safe)
    return jnp.clip(time_s * start_rate_m2_per_s / volume_increment_m2 * expm1_ratio, 0.0, 1.0)


def compressed_volume_m2(li_volume_m2, pressure_Pa, stack_pressure_Pa, bulk_modulus_Pa) -> Float[Array, ""]:
    """The volume Li plated at the stack pressure takes up at ``p``: ``V exp(-(p - p_stack) / K_Li)``.

    The exponential is the volume of a solid of constant bulk modulus, ``dV_Li / V_Li = -dp / K_Li``.
    """
    return li_volume_m2 * jnp.exp(-(pressure_Pa - stack_pressure_Pa) / bulk_modulus_Pa)


def balanced_pressure_Pa(
    pressure_Pa,
    *,
    li_volume_m2,
    cavity_volume_m2,
    cavity_compliance_m2_per_Pa,
    stack_pressure_Pa,
    bulk_modulus_Pa,
) -> Float[Array, ""]:
    """One Newton update of the pressure at which the Li fills its cavity, ``V_Li(p) = V_cav(p)``.

    ``V_Li`` (:func:`compressed_volume_m2`) falls and ``V_cav`` grows with ``p`` (compliance > 0), so the
    balance has one root, and Newton's step is ``(V_Li - V_cav) / (C + V_Li / K_Li)``: Li's compressibility
    adds to the cavity's compliance. The cavity is linear in ``p`` for a fixed crack, so one update is
    exact up to the tension-compression split and the curvature of the exponential. Below the stack
    pressure the cavity is not full: ``p_stack``.
    """
    li = compressed_volume_m2(li_volume_m2, pressure_Pa, stack_pressure_Pa, bulk_modulus_Pa)
    step = (li - cavity_volume_m2) / (cavity_compliance_m2_per_Pa + li / bulk_modulus_Pa)
    return jnp.maximum(stack_pressure_Pa, pressure_Pa + step)
