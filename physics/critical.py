"""Critical pressure of a Li-filled surface flaw, and the current density that reaches it.

A flaw of depth ``c`` in the electrolyte surface, filled with Li from the anode, grows once the Li
pressure reaches the edge-crack critical pressure ``p_c = K_IC / (1.1215 sqrt(pi c))``. Plating can
pressurise the Li at most to ``F eta / Omega_Li`` (Monroe-Newman; docs/model.md section 3b), ``eta`` being the
driving overpotential that the Li in the flaw sees. In a flat cell at plating current density ``j`` that
is the anode's interfacial Butler-Volmer overpotential ``|eta_BV(j)|`` plus the ohmic drop ``j c / kappa``
over the flaw depth (the flaw tip reaches ``c`` into the electrolyte's potential gradient). The critical
current density ``j_c`` solves ``|eta_BV(j_c)| + j_c c / kappa = Omega_Li p_c / F``: above it plating can
crack the electrolyte at that flaw, below it the flaw survives.

Butler-Volmer with general transfer coefficients has no closed-form inverse, so both equations are
solved for the interfacial overpotential by bisection on a bracket known in closed form
(:class:`optimistix.Bisection`): jittable, and differentiable in every input through the implicit
function theorem.
"""

from __future__ import annotations

import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, ArrayLike, Float

from ecmjax.physics.kinetics import inverse_thermal_voltage_per_V

__all__ = ["critical_current_density_A_per_m2", "flaw_overpotential_V", "interface_overpotential_V"]


def interface_overpotential_V(
    current_density_A_per_m2: Float[ArrayLike, ""],
    exchange_current_A_per_m2: Float[ArrayLike, ""],
    alpha_a: Float[ArrayLike, ""],
    alpha_c: Float[ArrayLike, ""],
    temperature_K: Float[ArrayLike, ""],
) -> Float[Array, ""]:
    """Overpotential at which Butler-Volmer carries the current density ``j`` (plating ``j > 0``: ``eta < 0``), in V.

    The numerical inverse of :func:`~ecmjax.physics.kinetics.butler_volmer_current_A_per_m2` for any
    ``alpha_a``, ``alpha_c``; for ``1/2, 1/2`` it is ``symmetric_overpotential_V``. Stripping (``j < 0``)
    is plating with the two coefficients swapped.
    """
    current = jnp.asarray(current_density_A_per_m2)
    plating = current >= 0
    alpha_driving = jnp.where(plating, alpha_c, alpha_a)
    alpha_other = jnp.where(plating, alpha_a, alpha_c)
    ratio = jnp.where(plating, current, -current) / exchange_current_A_per_m2
    # u = F |eta| / (R T) lies in [0, U], U = log(1 + J) / alpha_driving since BV >= i0 (exp(alpha_d u) - 1);
    # solved as w = u / U in [-1, 1] (a strict sign change, also at J = 0 where U is set to 1), which keeps
    # the tolerance relative to u however small the current.
    scale = jnp.where(ratio > 0, jnp.log1p(ratio) / alpha_driving, 1.0)
    w = _bisect(_interface_residual, (ratio, alpha_driving, alpha_other, scale), -1.0, 1.0)
    u = w * scale
    return jnp.where(plating, -u, u) / inverse_thermal_voltage_per_V(temperature_K)


def flaw_overpotential_V(
    current_density_A_per_m2: Float[ArrayLike, ""],
    flaw_depth_m: Float[ArrayLike, ""],
    ionic_conductivity_S_per_m: Float[ArrayLike, ""],
    exchange_current_A_per_m2: Float[ArrayLike, ""],
    alpha_a: Float[ArrayLike, ""],
    alpha_c: Float[ArrayLike, ""],
    temperature_K: Float[ArrayLike, ""],
) -> Float[Array, ""]:
    """Driving overpotential of Li at the tip of a flaw of depth ``c``: ``|eta_BV(j)| + j c / kappa``, in V."""
    interface = jnp.abs(
        interface_overpotential_V(current_density_A_per_m2, exchange_current_A_per_m2, alpha_a, alpha_c, temperature_K)
    )
    return interface + jnp.asarray(current_density_A_per_m2) * flaw_depth_m / ionic_conductivity_S_per_m


def critical_current_density_A_per_m2(
    critical_overpotential_V: Float[ArrayLike, ""],
    flaw_depth_m: Float[ArrayLike, ""],
    ionic_conductivity_S_per_m: Float[ArrayLike, ""],
    exchange_current_A_per_m2: Float[ArrayLike, ""],
    alpha_a: Float[ArrayLike, ""],
    alpha_c: Float[ArrayLike, ""],
    temperature_K: Float[ArrayLike, ""],
) -> Float[Array, ""]:
    """Plating current density at which the flaw tip sees ``eta_c``: the inverse of :func:`flaw_overpotential_V`.

    Solved for the interfacial part ``s = |eta_BV(j_c)|`` of ``eta_c``, which gives ``j_c`` explicitly by
    Butler-Volmer. ``s`` is bracketed by ``0`` and ``min(eta_c, log(1 + eta_c kappa / (c i0)) / (alpha_c f))``
    (``f = F / (R T)``), the second because ``i0 (exp(alpha_c f s) - 1) <= j_c <= eta_c kappa / c``;
    so nothing overflows.
    """
    f = inverse_thermal_voltage_per_V(temperature_K)
    target = f * jnp.asarray(critical_overpotential_V)  # eta_c in thermal voltages
    ohmic = f * exchange_current_A_per_m2 * flaw_depth_m / ionic_conductivity_S_per_m  # f i0 c / kappa
    upper = jnp.minimum(1.0, jnp.log1p(target / ohmic) / (alpha_c * target))  # of s / eta_c
    w = _bisect(_critical_residual, (target, ohmic, alpha_a, alpha_c, upper), 0.0, 1.0)
    u = w * upper * target
    return exchange_current_A_per_m2 * (jnp.expm1(alpha_c * u) - jnp.expm1(-alpha_a * u))


def _tolerance() -> float:
    """Relative tolerance of the bisections: well above round-off of JAX's current precision."""
    return 1e-11 if jnp.result_type(float) == jnp.float64 else 1e-5


def _bisect(residual, args, lower, upper) -> Float[Array, ""]:
    """Root of an increasing scalar ``residual(y, args)`` in ``[lower, upper]`` (signs must differ)."""
    tolerance = _tolerance()
    solver = optx.Bisection(rtol=tolerance, atol=tolerance)
    lower, upper = jnp.asarray(lower, float), jnp.asarray(upper, float)
    y0 = 0.5 * (lower + upper)
    return optx.root_find(residual, solver, y0, args, options={"lower": lower, "upper": upper}).value


def _interface_residual(w, args):
    """Butler-Volmer ``exp(alpha_d u) - exp(-alpha_o u) = J`` as ``u = log(J + exp(-alpha_o u)) / alpha_d``, over ``U``.

    ``u = w U = F |eta| / (R T)``; ``J = |j| / i0``. Increasing in ``w``, of order one, free of overflow, and
    (``log1p``, ``expm1``) accurate to round-off relative to ``u`` also for small currents.
    """
    ratio, alpha_driving, alpha_other, scale = args
    u = w * scale
    return w - jnp.log1p(ratio + jnp.expm1(-alpha_other * u)) / (alpha_driving * scale)


def _critical_residual(w, args):
    """``|eta_BV| + j c / kappa - eta_c``, over ``eta_c``, at the interfacial overpotential ``w`` times its bound.

    ``expm1`` keeps the small currents of the ohmic limit (fast kinetics) free of cancellation.
    """
    target, ohmic, alpha_a, alpha_c, upper = args
    v = w * upper  # s / eta_c
    u = v * target
    return v + ohmic * (jnp.expm1(alpha_c * u) - jnp.expm1(-alpha_a * u)) / target - 1.0
