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
import jax
import jax.numpy as jnp
import numpy as np
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


def colour_probes(like: Float[Array, "c nnx nny"], periodic_x: bool) -> tuple[Array, np.ndarray]:
    """Indicator vectors of one colour and one component each; neighbours never share a colour.

    Applying a 9-point operator to a probe of component ``b`` gives, at every node, its coupling to the
    one neighbour (or itself) of that colour: 9 to 25 probes per component read off the whole stencil.
    """
    n_components, nnx, nny = like.shape
    colour_x, nx_colours = _colours(nnx, periodic_x)
    colour_y, ny_colours = _colours(nny, False)
    component = jnp.arange(n_components)[:, None, None]
    probes, components = [], []
    for cx in range(nx_colours):
        for cy in range(ny_colours):
            for c in range(n_components):
                probes.append((component == c) & (colour_x[:, None] == cx) & (colour_y[None, :] == cy))
                components.append(c)
    return jnp.stack(probes).astype(like.dtype), np.asarray(components)


def probe_diagonal(matvec: LinearMap, like: Float[Array, "c nnx nny"], periodic_x: bool = False) -> Array:
    """Exact diagonal of a 9-point-stencil operator, from its products with the colour probes."""
    probes, _ = colour_probes(like, periodic_x)
    return jnp.sum(probes * jax.vmap(matvec)(probes), axis=0)


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
        z = precondition(r)
        rz_new = dot(r, z)
        p = z + (rz_new / rz) * p
        return x, r, p, z, rz_new, jnp.sqrt(dot(r, r)), k + 1

    x, r, *_, r_norm, k = lax.while_loop(keep_going, iterate, state)
    relative = jnp.where(b_norm > 0, r_norm / jnp.where(b_norm > 0, b_norm, 1.0), 0.0)
    return x, KrylovInfo(iterations=k, relative_residual=relative)


PRECONDITIONERS = ("multigrid", "jacobi")


def solve_spd(
    matvec: LinearMap,
    b: Array,
    *,
    rtol: float,
    max_iterations: int,
    periodic_x: bool = False,
    preconditioner: str = "multigrid",
) -> tuple[Array, KrylovInfo]:
    """Solve an SPD nodal-field system, differentiable through the adjoint (same solver).

    ``b`` is a nodal field ``(nnx, nny)`` or ``(components, nnx, nny)``. The preconditioner is one
    geometric multigrid V-cycle (:mod:`ecmjax.solver.multigrid`) or Jacobi.
    """
    from .multigrid import build_hierarchy, v_cycle

    if preconditioner not in PRECONDITIONERS:
        raise ValueError(f"preconditioner = {preconditioner!r}: choose one of {', '.join(PRECONDITIONERS)}")
    scalar = b.ndim == 2

    def solve(operator: LinearMap, rhs: Array):
        if scalar:  # give scalar fields a component axis
            rhs, operator = rhs[None], (lambda v, op=operator: op(v[0])[None])
        if preconditioner == "multigrid":
            hierarchy = build_hierarchy(operator, rhs, periodic_x)
            precondition = lambda r: v_cycle(hierarchy, r)
        else:
            diagonal = probe_diagonal(operator, rhs, periodic_x)
            inverse_diagonal = jnp.where(diagonal > 0, 1.0 / jnp.where(diagonal > 0, diagonal, 1.0), 1.0)
            precondition = lambda r: inverse_diagonal * r
        x, info = preconditioned_cg(operator, rhs, precondition, rtol, max_iterations)
        return (x[0] if scalar else x), info

    return lax.custom_linear_solve(matvec, b, solve, symmetric=True, has_aux=True)
