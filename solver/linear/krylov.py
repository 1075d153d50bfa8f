"""Preconditioned conjugate gradients for the symmetric positive definite systems of ecmjax.

Written here rather than taken from lineax because ecmjax needs the textbook stopping rule
``||b - A x||_2 <= rtol ||b||_2`` (lineax's CG tests every component against ``atol + rtol |b_i|``,
which never holds where the load vector is zero, i.e. almost everywhere) together with the iteration
count and the reached residual, which ``jax.scipy.sparse.linalg.cg`` does not report. Solves are wrapped
in ``jax.lax.custom_linear_solve`` so that derivatives are themselves linear solves (the adjoint), not
back-propagation through the iterations.
"""

from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Float, Int

from ecmjax.solver.linear.multigrid import build_hierarchy, stencil_of, v_cycle

LinearMap = Callable[[Array], Array]


class KrylovInfo(eqx.Module):
    """Outcome of a Krylov solve: iterations taken and the relative residual reached."""

    iterations: Int[Array, ""]
    relative_residual: Float[Array, ""]


def preconditioned_cg(
    matvec: LinearMap,
    b: Array,
    precondition: LinearMap,
    rtol: float,
    max_iterations: int,
) -> tuple[Array, KrylovInfo]:
    """Solve ``A x = b`` from ``x = 0`` by preconditioned CG until ``||r|| <= rtol ||b||``."""
    dot = lambda u, v: jnp.sum(u * v)
    b_norm = jnp.sqrt(dot(b, b))
    target = rtol * b_norm
    x = jnp.zeros_like(b)
    z = precondition(b)
    state = (x, b, z, z, dot(b, z), b_norm, jnp.asarray(0), jnp.asarray(False))

    def keep_going(state):
        *_, r_norm, k, broke_down = state
        return (r_norm > target) & (k < max_iterations) & ~broke_down

    def iterate(state):
        x, r, p, z, rz, r_norm, k, _ = state
        ap = matvec(p)
        alpha = rz / dot(p, ap)
        x_new = x + alpha * p
        r_new = r - alpha * ap
        z_new = precondition(r_new)
        rz_new = dot(r_new, z_new)
        p_new = z_new + (rz_new / rz) * p
        r_norm_new = jnp.sqrt(dot(r_new, r_new))
        # Below the precision's residual floor (float32) p.Ap or r.z can vanish: keep the last finite iterate.
        broke_down = ~(jnp.isfinite(r_norm_new) & jnp.isfinite(rz_new) & (rz_new != 0))
        keep = lambda new, old: jnp.where(broke_down, old, new)
        finite_x = jnp.where(jnp.isfinite(r_norm_new), x_new, x)
        state = (finite_x, keep(r_new, r), keep(p_new, p), keep(z_new, z), keep(rz_new, rz))
        return *state, jnp.where(jnp.isfinite(r_norm_new), r_norm_new, r_norm), k + 1, broke_down

    x, r, *_, r_norm, k, _ = lax.while_loop(keep_going, iterate, state)
    relative = jnp.where(b_norm > 0, r_norm / jnp.where(b_norm > 0, b_norm, 1.0), 0.0)
    return x, KrylovInfo(iterations=k, relative_residual=relative)


PRECONDITIONERS = ("multigrid", "multigrid-lines", "jacobi")
"""One V-cycle with Jacobi smoothing or with block Jacobi over node columns (for grids graded along x), or
Jacobi alone."""


def solve_spd(
    matvec: LinearMap,
    b: Array,
    *,
    rtol: float,
    max_iterations: int,
    periodic_x: bool = False,
    preconditioner: str = "multigrid",
    differentiable: bool = True,
    spatial_dims: int = 2,
) -> tuple[Array, KrylovInfo]:
    """Solve an SPD nodal-field system, differentiable through the adjoint (same solver).

    ``differentiable=False`` runs the same CG without ``lax.custom_linear_solve``, for solves that are
    never differentiated (Newton's own steps, inside ``lax.custom_root``). Under ``vmap`` JAX's batching
    rule of ``custom_linear_solve`` marks every auxiliary output (here the iteration count and residual)
    batched, even when no input is, and a batched count inside a ``while_loop`` would batch its primal.

    ``b`` is a nodal field ``(nnx, nny)`` or ``(components, nnx, nny)``, or on 3D grids
    (``spatial_dims = 3``) ``(nnx, nny, nnz)`` or ``(components, nnx, nny, nnz)``. The operator is read
    off ``matvec`` as its 9-point (27-point) stencil (:func:`~ecmjax.solver.linear.multigrid.stencil_of`), which
    CG then applies: the same operator to round-off, several times cheaper than a Hessian-vector product
    of an energy. The preconditioner is one geometric multigrid V-cycle or Jacobi.
    """
    if preconditioner not in PRECONDITIONERS:
        raise ValueError(f"preconditioner = {preconditioner!r}: choose one of {', '.join(PRECONDITIONERS)}")
    scalar = b.ndim == spatial_dims

    def solve(operator: LinearMap, rhs: Array):
        if scalar:  # give scalar fields a component axis
            rhs, operator = rhs[None], (lambda v, op=operator: op(v[0])[None])
        stencil = stencil_of(operator, rhs, periodic_x)
        if preconditioner.startswith("multigrid"):
            hierarchy = build_hierarchy(stencil, lines=preconditioner == "multigrid-lines")
            precondition = lambda r: v_cycle(hierarchy, r)
        else:
            inverse_diagonal = stencil.inverse_diagonal()
            precondition = lambda r: inverse_diagonal * r
        x, info = preconditioned_cg(stencil, rhs, precondition, rtol, max_iterations)
        return (x[0] if scalar else x), info

    if not differentiable:
        return solve(matvec, b)
    return lax.custom_linear_solve(matvec, b, solve, symmetric=True, has_aux=True)
