"""Anderson acceleration of a fixed-point iteration ``x <- G(x)``, in a fixed-shape state for ``lax`` loops.

The staggered solution of phase-field fracture is such an iteration (``G``: elasticity, then damage), and
while a crack runs it contracts slowly, by a few percent per iteration. Anderson's mixing takes, instead
of ``G(x_k)``, the combination of the last ``depth + 1`` images whose residuals ``f = G(x) - x`` combine
to the least norm (Walker and Ni, SIAM J. Numer. Anal. 49 (2011) 1715, type II with mixing 1); Storvik,
Both, Sargado, Nordbotten and Radu (CMAME 383 (2021) 113822) apply it to the damage increments of the
staggered scheme. A step whose residual grows by more than :data:`RESTART_GROWTH` forgets the history
and falls back to the plain image, which keeps the scheme as robust as the plain iteration where the
crack jumps.

The least-squares weights come from a modified Gram-Schmidt QR of the ``depth`` residual differences
(:func:`least_squares`) written in ``jnp`` rather than ``jnp.linalg.lstsq``: under ``vmap`` the latter is
jaxlib's batched LAPACK SVD on CPU, which splits the batch over XLA's intra-op thread pool and waits for
it from a thread of that same pool. With several CPU devices each running a batch (a sharded sweep), the
pool's threads all wait and nothing runs: the sweep hangs (jaxlib 0.10, ``ParallelBatchMap``).
"""

import equinox as eqx
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Float, Int

RESTART_GROWTH = 1.0
"""A residual larger than this times the previous one restarts the history (plain step ``G(x)``)."""

ORTHOGONALISATION_PASSES = 2
"""Gram-Schmidt passes per column ("twice is enough": orthogonal to round-off, Giraud et al., Numer. Math.
101 (2005) 87)."""


class AndersonState(eqx.Module):
    """The last ``depth`` differences of iterates and of residuals (flattened; a ring buffer), and the
    previous iterate and residual."""

    iterate_differences: Float[Array, "depth n"]
    residual_differences: Float[Array, "depth n"]
    previous_iterate: Float[Array, " n"]
    previous_residual: Float[Array, " n"]
    count: Int[Array, ""]
    """Differences stored since the last (re)start (only the last ``depth`` are kept); -1 before the first
    iterate."""


def least_squares(columns: Float[Array, "k n"], rhs: Float[Array, " n"]) -> Float[Array, " k"]:
    """Weights ``w`` minimising ``||columns.T @ w - rhs||_2``; a column that is zero, or a combination of
    the columns before it to round-off, gets weight 0 (the basic solution of a rank-deficient problem).

    QR by modified Gram-Schmidt with re-orthogonalisation, then back substitution, over
    the ``k`` columns unrolled (``k`` is Anderson's small depth): plain XLA operations, no LAPACK call.
    """
    k = columns.shape[0]
    tolerance = jnp.finfo(columns.dtype).eps * columns.shape[1]
    basis, r = [], jnp.zeros((k, k), columns.dtype)
    for j in range(k):
        v = columns[j]
        for _ in range(ORTHOGONALISATION_PASSES):
            for i, q in enumerate(basis):
                projection = q @ v
                v = v - projection * q
                r = r.at[i, j].add(projection)
        norm = jnp.linalg.norm(v)
        independent = norm > tolerance * jnp.linalg.norm(columns[j])
        basis.append(jnp.where(independent, v / jnp.where(independent, norm, 1.0), 0.0))
        r = r.at[j, j].set(jnp.where(independent, norm, 1.0))  # a dropped column: q = 0, so its weight is 0
    projected = jnp.stack([q @ rhs for q in basis])
    weights = jnp.zeros(k, columns.dtype)
    for j in reversed(range(k)):
        weights = weights.at[j].set((projected[j] - r[j, j + 1 :] @ weights[j + 1 :]) / r[j, j])
    return weights


def anderson_start(x: Array, depth: int) -> AndersonState:
    """An empty history for iterates shaped like ``x``, keeping ``depth`` differences."""
    n = x.size
    zeros = jnp.zeros((depth, n), x.dtype)
    return AndersonState(zeros, zeros, jnp.zeros(n, x.dtype), jnp.zeros(n, x.dtype), jnp.asarray(-1))


def anderson_step(state: AndersonState, x: Array, image: Array) -> tuple[Array, AndersonState]:
    """The next iterate from the current one ``x`` and its image ``G(x)``, and the updated history."""
    depth = state.iterate_differences.shape[0]
    flat_x, flat_f = x.ravel(), (image - x).ravel()
    residual_norm = jnp.linalg.norm(flat_f)
    restart = residual_norm > RESTART_GROWTH * jnp.linalg.norm(state.previous_residual)
    has_previous = (state.count >= 0) & ~restart
    slot = jnp.maximum(state.count, 0) % depth
    iterate_differences = jnp.where(
        has_previous, state.iterate_differences.at[slot].set(flat_x - state.previous_iterate), 0.0
    )
    residual_differences = jnp.where(
        has_previous, state.residual_differences.at[slot].set(flat_f - state.previous_residual), 0.0
    )
    # Least-squares weights of the stored residual differences; unused (zero) rows get weight 0. The
    # weights are held fixed under differentiation: their derivative is undefined where a row is unused
    # or dependent, and a tangent mixed with fixed weights converges to the fixed point's tangent all the
    # same (the differences vanish there).
    weights = least_squares(lax.stop_gradient(residual_differences), lax.stop_gradient(flat_f))
    mixed = image.ravel() - (iterate_differences + residual_differences).T @ weights
    count = jnp.where(has_previous, state.count + 1, 0)
    return mixed.reshape(x.shape), AndersonState(iterate_differences, residual_differences, flat_x, flat_f, count)
