"""Anderson acceleration of a fixed-point iteration ``x <- G(x)``, in a fixed-shape state for ``lax`` loops.

The staggered solution of phase-field fracture is such an iteration (``G``: elasticity, then damage), and
while a crack runs it contracts slowly, by a few percent per iteration. Anderson's mixing takes, instead
of ``G(x_k)``, the combination of the last ``depth + 1`` images whose residuals ``f = G(x) - x`` combine
to the least norm (Walker and Ni, SIAM J. Numer. Anal. 49 (2011) 1715, type II with mixing 1); Storvik,
Both, Sargado, Nordbotten and Radu (CMAME 383 (2021) 113822) apply it to the damage increments of the
staggered scheme. A step whose residual grows by more than :data:`RESTART_GROWTH` forgets the history
and falls back to the plain image, which keeps the scheme as robust as the plain iteration where the
crack jumps.
"""

import equinox as eqx
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Float, Int

RESTART_GROWTH = 1.0
"""A residual larger than this times the previous one restarts the history (plain step ``G(x)``)."""


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
    # Least-squares weights of the stored residual differences; unused (zero) rows get weight 0, the
    # minimum-norm solution. The weights are held fixed under differentiation: the SVD's derivative is
    # NaN at the repeated zero singular values of unused rows, and a tangent mixed with fixed weights
    # converges to the fixed point's tangent all the same (the differences vanish there).
    weights = jnp.linalg.lstsq(lax.stop_gradient(residual_differences.T), lax.stop_gradient(flat_f))[0]
    mixed = image.ravel() - (iterate_differences + residual_differences).T @ weights
    count = jnp.where(has_previous, state.count + 1, 0)
    return mixed.reshape(x.shape), AndersonState(iterate_differences, residual_differences, flat_x, flat_f, count)
