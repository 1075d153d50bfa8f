"""Volume balance of a confined Li body: plating adds Li, the cavity's volume sets the pressure.

docs/model.md section 3: ``dV_Li/dt = (Omega_Li / F) I - Q_out(p)``, with ``I`` the plating current (per
unit depth) on the body's walls and ``Q_out`` an optional creep back-flow to the anode; the pressure is
the one at which the Li fills the cavity, ``V_Li = V_cav(p)``, and the stack pressure while the cavity
is not full. These are pure functions of scalars; the solver supplies ``I`` and ``V_cav``.
"""

import jax.numpy as jnp
from jaxtyping import Array, Float

from ecmjax.physics.constants import FARADAY_C_PER_MOL, LI_MOLAR_VOLUME_M3_PER_MOL

LI_VOLUME_PER_CHARGE_M3_PER_C = LI_MOLAR_VOLUME_M3_PER_MOL / FARADAY_C_PER_MOL
"""``Omega_Li / F``: the Li volume that one coulomb plates."""


def creep_outflow_m2_per_s(pressure_Pa, stack_pressure_Pa, coefficient_m2_per_Pa_s) -> Float[Array, ""]:
    """Linear creep back-flow ``Q_out = k <p - p_stack>+`` of Li to the anode (0 when ``k = 0``)."""
    return coefficient_m2_per_Pa_s * jnp.maximum(pressure_Pa - stack_pressure_Pa, 0.0)


def li_volume_m2(
    pressure_Pa,
    *,
    previous_volume_m2,
    previous_pressure_Pa,
    dt_s,
    current_A_per_m,
    current_pressure_slope_A_per_m_Pa,
    stack_pressure_Pa,
    creep_coefficient_m2_per_Pa_s,
) -> Float[Array, ""]:
    """Li volume at the end of a step of ``dt_s`` if the body ends it at ``pressure_Pa``.

    Backward Euler with the plating current linearised in the pressure,
    ``I(p) = I(p_old) + dI/dp (p - p_old)``: plating slows as the pressure rises (stress-coupled
    Butler-Volmer), and treating that implicitly keeps the pressure below the Monroe-Newman cap for any
    step size, where an explicit update would overshoot it.
    """
    current = current_A_per_m + current_pressure_slope_A_per_m_Pa * (pressure_Pa - previous_pressure_Pa)
    outflow = creep_outflow_m2_per_s(pressure_Pa, stack_pressure_Pa, creep_coefficient_m2_per_Pa_s)
    return previous_volume_m2 + dt_s * (LI_VOLUME_PER_CHARGE_M3_PER_C * current - outflow)


def balanced_pressure_Pa(
    pressure_Pa,
    *,
    li_volume_m2,
    li_volume_slope_m2_per_Pa,
    cavity_volume_m2,
    cavity_compliance_m2_per_Pa,
    stack_pressure_Pa,
) -> Float[Array, ""]:
    """One Newton update of the pressure that makes the Li fill its cavity, ``V_Li(p) = V_cav(p)``.

    ``V_cav`` grows with ``p`` (compliance > 0) and ``V_Li`` does not (plating slows, creep grows), so
    the balance has one root; the cavity is linear in ``p`` for a fixed crack, so one update is exact
    up to the tension-compression split. Below the stack pressure the cavity is not full: ``p_stack``.
    """
    slope = cavity_compliance_m2_per_Pa - li_volume_slope_m2_per_Pa
    return jnp.maximum(stack_pressure_Pa, pressure_Pa + (li_volume_m2 - cavity_volume_m2) / slope)
