"""Minimisation of strictly convex discrete energies by Newton-Krylov, differentiated implicitly.

Every field solve of ecmjax (elasticity, ionic potential with Butler-Volmer, later damage) is the
minimiser of a convex energy ``Pi(x; theta)``. Newton steps solve ``H dx = -grad Pi`` with
multigrid-preconditioned CG on Hessian-vector products, and are shortened by backtracking on the energy
where they would overshoot; ``jax.lax.custom_root`` then defines derivatives of
the minimiser with respect to ``theta`` by the implicit function theorem, one adjoint CG solve per
cotangent, instead of back-propagating through the iterations.
"""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Bool, Float, Int

from ecmjax.solver.linear.krylov import solve_spd

KRYLOV_FORCING_FLOOR = {"float64": 1e-14, "float32": 1e-6}
"""Tightest relative residual a Newton step's CG solve is asked for, per dtype: CG cannot go below
float32's round-off and would spend its whole iteration budget trying."""


class NewtonKrylov(eqx.Module):
    """Settings of the Newton-Krylov minimiser.

    Converged when ``||grad Pi(x)||_2 <= rtol * ||grad Pi(0)||_2``: the residual relative to the load
    that the unstrained, unpolarised state feels. Each Newton step solves its linear system to a relative
    residual of ``0.1 * rtol * ||grad Pi(0)|| / ||grad Pi(x)||`` (inexact Newton, capped at 0.5), so
    quadratic problems converge in one step and nonlinear ones do not over-solve early steps.
    """

    rtol: float = 1e-8
    max_iterations: int = eqx.field(static=True, default=30)
    max_krylov_iterations: int = eqx.field(static=True, default=20000)
    adjoint_rtol: float = 1e-10
    periodic_x: bool = eqx.field(static=True, default=False)
    preconditioner: str = eqx.field(static=True, default="multigrid")
    spatial_dims: int = eqx.field(static=True, default=2)
    """3 for fields on a :class:`~ecmjax.solver.grid.Grid3D` (see :func:`~ecmjax.solver.linear.krylov.solve_spd`)."""
    step_tol: float = 0.0
    """Also converged once a Newton update changes every unknown by less than this (in its units;
    0: the residual test alone). For problems whose residual reference dwarfs the forces that matter, in
    float32, where the residual cannot fall far enough below it (damage under its penalty)."""


class NewtonInfo(eqx.Module):
    """Outcome of a minimisation; ``converged`` is False if neither the residual target nor (with
    ``NewtonKrylov.step_tol``) the update target was reached."""

    iterations: Int[Array, ""]
    krylov_iterations: Int[Array, ""]
    relative_residual: Float[Array, ""]
    converged: Bool[Array, ""]


def _line_search(
    energy_of: Callable[[Array], Float[Array, ""]],
    residual_norm_of: Callable[[Array], Float[Array, ""]],
    x: Array,
    dx: Array,
    slope: Float[Array, ""],
    residual_norm: Float[Array, ""],
) -> Float[Array, ""]:
    """Largest step ``2^-k`` (k < 40) that decreases the energy (Armijo) or the residual norm.

    Keeps Newton from overshooting where Butler-Volmer's exponentials make the energy far from
    quadratic; the residual test accepts the full step near convergence, where energy differences
    drown in round-off. Non-finite trial energies are rejected.
    """
    e0 = energy_of(x)

    def acceptable(alpha):
        trial = x + alpha * dx
        decreases_energy = energy_of(trial) <= e0 + 1e-4 * alpha * slope
        return decreases_energy | (residual_norm_of(trial) < (1.0 - 1e-4 * alpha) * residual_norm)

    def too_long(state):
        alpha, k = state
        return ~acceptable(alpha) & (k < 40)

    alpha, _ = lax.while_loop(too_long, lambda s: (0.5 * s[0], s[1] + 1), (jnp.asarray(1.0, dx.dtype), 0))
    return alpha


def minimise(
    energy: Callable[[Array, Any], Float[Array, ""]],
    x0: Array,
    args: Any,
    solver: NewtonKrylov = NewtonKrylov(),
) -> tuple[Array, NewtonInfo]:
    """Minimiser of ``energy(x, args)`` over ``x``, differentiable in ``args`` (implicitly)."""
    residual = lambda x: jax.grad(energy)(x, args)
    reference = jnp.sqrt(jnp.sum(residual(jnp.zeros_like(x0)) ** 2))
    reference = jnp.where(reference > 0, reference, 1.0)

    forcing_floor = KRYLOV_FORCING_FLOOR[jnp.dtype(x0.dtype).name]

    def newton(residual_fn, x_start):
        def converged(g_norm, update):
            return (g_norm <= solver.rtol * reference) | (update < solver.step_tol)

        def keep_going(state):
            _, g_norm, k, _, update = state
            return ~converged(g_norm, update) & (k < solver.max_iterations) & jnp.isfinite(g_norm)

        def step(state):
            x, g_norm, k, krylov, _ = state
            g, hessian = jax.linearize(residual_fn, x)
            forcing = jnp.clip(0.1 * solver.rtol * reference / g_norm, forcing_floor, 0.5)
            dx, info = _solve(hessian, -g, forcing, differentiable=False)
            norm_of = lambda x: jnp.sqrt(jnp.sum(residual_fn(x) ** 2))
            x = x + _line_search(lambda x: energy(x, args), norm_of, x, dx, jnp.sum(g * dx), g_norm) * dx
            return x, norm_of(x), k + 1, krylov + info.iterations, jnp.max(jnp.abs(dx))

        g0 = jnp.sqrt(jnp.sum(residual_fn(x_start) ** 2))
        start = (x_start, g0, jnp.asarray(0), jnp.asarray(0), jnp.asarray(jnp.inf, g0.dtype))
        x, g_norm, k, krylov, update = lax.while_loop(keep_going, step, start)
        # custom_root gives integer auxiliary outputs tangents of the wrong type, so report floats; one
        # leaf each, so that a batched count (vmap) cannot batch the convergence flags with it.
        values = (k, krylov, g_norm / reference, converged(g_norm, update))
        report = tuple(jnp.asarray(value).astype(x.dtype) for value in values)
        return x, report

    def _solve(operator, rhs, rtol, differentiable=True):
        return solve_spd(
            operator,
            rhs,
            rtol=rtol,
            max_iterations=solver.max_krylov_iterations,
            periodic_x=solver.periodic_x,
            preconditioner=solver.preconditioner,
            differentiable=differentiable,
            spatial_dims=solver.spatial_dims,
        )

    def tangent_solve(operator, rhs):
        return _solve(operator, rhs, solver.adjoint_rtol)[0]

    x, report = lax.custom_root(residual, x0, newton, tangent_solve, has_aux=True)
    report = lax.stop_gradient(report)
    return x, NewtonInfo(
        iterations=report[0].astype(jnp.int32),
        krylov_iterations=report[1].astype(jnp.int32),
        relative_residual=report[2],
        converged=report[3] > 0,
    )
