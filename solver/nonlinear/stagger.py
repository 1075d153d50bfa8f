"""The staggered solution of a pressurised phase-field crack: elasticity and damage in turn, to a tolerance.

Each pass solves elasticity at the current damage and balances the cavity's pressure (the caller's
``elastic_step``: the Li body's volume balance in the coupled model, an injected volume in validation
case 3), then the damage under that displacement (``damage_step``). The damage image ``d_solved`` is
over-relaxed, ``d + w (d_solved - d)`` (Farrell and Maurini, IJNME 2017), Anderson-mixed over the last
``anderson_depth`` iterates (:mod:`ecmjax.solver.nonlinear.anderson`; while a crack runs the plain
iteration contracts by only a few percent per pass) and clipped to ``[0, max(d_solved, 1)]``. The passes
stop once the damage and the relative pressure change by at most the tolerance and the elastic residual
is below it, after ``max_iterations`` passes, or at the first failed solve. Staggered rather than
monolithic because each half is a convex minimisation with a robust solver, while the joint energy is not
convex; iterating to a tolerance removes the splitting error.

One ``lax.while_loop`` over fixed shapes: it jits, batches and differentiates as its steps do.
"""

from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Bool, Float, Int

from ecmjax.solver.nonlinear.anderson import anderson_start, anderson_step

DISPLACEMENT_FAILED, DAMAGE_FAILED, PRESSURE_FAILED = 2, 3, 4
"""Codes of :attr:`Staggered.failed` for the first solve that failed: a non-finite elastic residual, an
unconverged damage solve, a non-finite pressure (0: none). A caller's own nonzero code, passed in as
``failed`` (the coupled model's 1: its potential), stops the iteration before its first pass."""


class ElasticUpdate(eqx.Module):
    """What ``elastic_step(displacement, damage, pressure)`` returns."""

    displacement_m: Float[Array, "..."]
    """The displacement at the balanced pressure, or any state of the caller's that determines it (say,
    at a reference load): the iteration only hands it to ``damage_step`` and back to ``elastic_step``."""
    pressure_Pa: Float[Array, ""]
    """The balanced pressure."""
    relative_residual: Float[Array, ""]
    """The elastic residual relative to the load; the iteration converges only once it is at most the
    tolerance (an elastic step that solves to convergence may report 0)."""


class DamageUpdate(eqx.Module):
    """What ``damage_step(displacement, pressure, damage)`` returns."""

    damage: Float[Array, "*nodes"]
    """The damage solved from ``damage`` under the displacement and pressure."""
    history_J_per_m3: Float[Array, "*cells"]
    """The history ``H = max psi+`` that drove it."""
    converged: Bool[Array, ""]


class Staggered(eqx.Module):
    """The last pass of a staggered iteration."""

    displacement_m: Float[Array, "..."]
    damage: Float[Array, "*nodes"]
    pressure_Pa: Float[Array, ""]
    history_J_per_m3: Float[Array, "*cells"]
    iterations: Int[Array, ""]
    change: Float[Array, ""]
    """Largest nodal damage change of the last pass, or its relative pressure change if larger."""
    elastic_residual: Float[Array, ""]
    converged: Bool[Array, ""]
    failed: Int[Array, ""]
    """0, the caller's code passed in, or :data:`DISPLACEMENT_FAILED`, :data:`DAMAGE_FAILED`,
    :data:`PRESSURE_FAILED`."""


def staggered_solve(
    elastic_step: Callable[[Array, Array, Array], ElasticUpdate],
    damage_step: Callable[[Array, Array, Array], DamageUpdate],
    displacement_m: Float[Array, "..."],
    damage: Float[Array, "*nodes"],
    pressure_Pa: Float[Array, ""],
    history_J_per_m3: Float[Array, "*cells"],
    *,
    tolerance,
    max_iterations,
    pressure_scale_Pa,
    over_relaxation=1.0,
    anderson_depth: int = 0,
    failed: Int[Array, ""] | int = 0,
) -> Staggered:
    """Alternate ``elastic_step`` and ``damage_step`` from the given state until converged (module docstring).

    The pressure change of a pass is relative to ``max(p_new, pressure_scale_Pa)``; ``history_J_per_m3``
    is only carried (returned as the last pass's history; the start's if no pass runs).
    """

    def iterate(carry):
        k, u, d, p, history, _, _, failed, acceleration = carry
        elastic = elastic_step(u, d, p)
        u_new, p_new, residual = elastic.displacement_m, elastic.pressure_Pa, elastic.relative_residual
        solved = damage_step(u_new, p_new, d)
        d_solved, history = solved.damage, solved.history_J_per_m3
        change = jnp.maximum(jnp.max(jnp.abs(d_solved - d)), jnp.abs(p_new - p) / jnp.maximum(p_new, pressure_scale_Pa))
        d_new = d + over_relaxation * (d_solved - d)
        if acceleration is not None:
            d_new, acceleration = anderson_step(acceleration, d, d_new)
        d_new = jnp.clip(d_new, 0.0, jnp.maximum(d_solved, 1.0))
        failed = jnp.where(failed > 0, failed, jnp.where(jnp.isfinite(residual), 0, DISPLACEMENT_FAILED))
        failed = jnp.where(failed > 0, failed, jnp.where(solved.converged, 0, DAMAGE_FAILED))
        failed = jnp.where(failed > 0, failed, jnp.where(jnp.isfinite(p_new), 0, PRESSURE_FAILED))
        return k + 1, u_new, d_new, p_new, history, change, residual, failed, acceleration

    def converged(change, elastic_residual):
        return (change <= tolerance) & (elastic_residual <= tolerance)

    def keep_iterating(carry):
        k, _, _, _, _, change, elastic_residual, failed, _ = carry
        return ~converged(change, elastic_residual) & (k < max_iterations) & (failed == 0)

    inf = jnp.asarray(jnp.inf, pressure_Pa.dtype)
    acceleration = anderson_start(damage, anderson_depth) if anderson_depth else None
    start = (jnp.asarray(0), displacement_m, damage, pressure_Pa, history_J_per_m3, inf, inf)
    carry = start + (jnp.asarray(failed), acceleration)
    k, u, d, p, history, change, elastic_residual, failed, _ = lax.while_loop(keep_iterating, iterate, carry)
    return Staggered(
        displacement_m=u,
        damage=d,
        pressure_Pa=p,
        history_J_per_m3=history,
        iterations=k,
        change=change,
        elastic_residual=elastic_residual,
        converged=converged(change, elastic_residual),
        failed=failed,
    )
