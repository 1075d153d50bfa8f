"""Jacobi-preconditioned conjugate gradients for the symmetric positive definite systems of ecmjax.

Written here rather than taken from lineax because ecmjax needs the textbook stopping rule
``||b - A x||_2 <= rtol ||b||_2`` (lineax's CG tests every component against ``atol + rtol |b_i|``,
which never holds where the load vector is zero, i.e. almost everywhere) together with the iteration
count and the reached residual, which ``jax.scipy.sparse.linalg.cg`` does not report. Solves are wrapped
in ``jax.lax.custom_linear_solve`` so that derivatives are themselves linear solves (the adjoint), not
back-propagation through the iterations.
"""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Float, Int

LinearMap = Callable[[Array], Array]


class KrylovInfo(eqx.Module):
    """Outcome of a Krylov solve: iterations taken and the relative residual reached."""

    iterations: Int[Array, ""]
    relative_residual: Float[Array, ""]


def _colours(n: int, periodic: bool) -> tuple[Int[Array, " n"], int]:
    """Colour index of each of ``n`` nodes so that neighbours (3-point stencil) never share a colour."""
    colour = jnp.arange(n) % 3
    if periodic and n % 3:
        # The wrap-around pairs the last nodes with the first: give the remainder colours of their own.
        full = n - n % 3
        colour = jnp.where(jnp.arange(n) < full, colour, 3 + jnp.arange(n) - full)
        return colour, 3 + n % 3
    return colour, 3


def probe_diagonal(matvec: LinearMap, like: Array, periodic_x: bool = False) -> Array:
    """Exact diagonal of a 9-point-stencil operator on nodal fields ``(*components, nnx, nny)``.

    Nodes are coloured so that no two nodes of one colour are neighbours; applying the operator to
    the indicator of one colour and one component gives the diagonal entries of those nodes. This
    costs 9 to 25 products per component, once per solve.
    """
    nnx, nny = like.shape[-2:]
    colour_x, nx_colours = _colours(nnx, periodic_x)
    colour_y, ny_colours = _colours(nny, False)
    n_components = like.size // (nnx * nny)
    component = jnp.arange(n_components).reshape(like.shape[:-2] + (1, 1))
    probes = [
        (component == c) & (colour_x[:, None] == cx) & (colour_y[None, :] == cy)
        for cx in range(nx_colours)
        for cy in range(ny_colours)
        for c in range(n_components)
    ]
    probes = jnp.stack(probes).astype(like.dtype)
    responses = jax.vmap(matvec)(probes)
    return jnp.sum(probes * responses, axis=0)


def preconditioned_cg(
    matvec: LinearMap,
    b: Array,
    inverse_diagonal: Array,
    rtol: float,
    max_iterations: int,
) -> tuple[Array, KrylovInfo]:
    """Solve ``A x = b`` from ``x = 0`` by Jacobi-preconditioned CG until ``||r|| <= rtol ||b||``."""
    dot = lambda u, v: jnp.sum(u * v)
    b_norm = jnp.sqrt(dot(b, b))
    target = rtol * b_norm
    x = jnp.zeros_like(b)
    z = inverse_diagonal * b
    state = (x, b, z, z, dot(b, z), b_norm, jnp.asarray(0))

    def keep_going(state):
        *_, r_norm, k = state
        return (r_norm > target) & (k < max_iterations) & jnp.isfinite(r_norm)

    def iterate(state):
        x, r, p, _, rz, _, k = state
        ap = matvec(p)
        alpha = rz / dot(p, ap)
        x = x + alpha * p
        r = r - alpha * ap
        z = inverse_diagonal * r
        rz_new = dot(r, z)
        p = z + (rz_new / rz) * p
        return x, r, p, z, rz_new, jnp.sqrt(dot(r, r)), k + 1

    x, r, *_, r_norm, k = lax.while_loop(keep_going, iterate, state)
    relative = jnp.where(b_norm > 0, r_norm / jnp.where(b_norm > 0, b_norm, 1.0), 0.0)
    return x, KrylovInfo(iterations=k, relative_residual=relative)


def solve_spd(
    matvec: LinearMap,
    b: Array,
    *,
    rtol: float,
    max_iterations: int,
    periodic_x: bool = False,
) -> tuple[Array, KrylovInfo]:
    """Solve an SPD nodal-field system, differentiable through the adjoint (same solver)."""

    def solve(operator: LinearMap, rhs: Array):
        diagonal = probe_diagonal(operator, rhs, periodic_x)
        inverse_diagonal = jnp.where(diagonal > 0, 1.0 / jnp.where(diagonal > 0, diagonal, 1.0), 1.0)
        return preconditioned_cg(operator, rhs, inverse_diagonal, rtol, max_iterations)

    return lax.custom_linear_solve(matvec, b, solve, symmetric=True, has_aux=True)
