"""Which nodes of a region are connected to a seed: the Li body's reach along a crack.

Damaged electrolyte joins a Li body only where it is connected to it (MODEL.md section 3): an isolated
damaged patch holds no Li. Connectivity is a discrete (integer-valued) property, so it is computed here
as a mask with zero derivative; the fields that it multiplies carry the derivatives.
"""

import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Bool

from .grid import Grid


def _dilate(grid: Grid, mask: Bool[Array, "nnx nny"]) -> Bool[Array, "nnx nny"]:
    """The mask grown by one node along x and y (4-neighbourhood); wraps in x if periodic."""
    grown = mask | jnp.pad(mask[:, 1:], ((0, 0), (0, 1))) | jnp.pad(mask[:, :-1], ((0, 0), (1, 0)))
    if grid.periodic_x:
        return grown | jnp.roll(mask, 1, axis=0) | jnp.roll(mask, -1, axis=0)
    return grown | jnp.pad(mask[1:], ((0, 1), (0, 0))) | jnp.pad(mask[:-1], ((1, 0), (0, 0)))


def connected_to(grid: Grid, seed: Bool[Array, "nnx nny"], region: Bool[Array, "nnx nny"]) -> Bool[Array, "nnx nny"]:
    """Nodes of ``seed | region`` joined to ``seed`` by a path of 4-neighbours inside ``seed | region``.

    A flood fill: dilate and intersect until nothing changes (at most the path length in iterations).
    """
    allowed = seed | region

    def grow(state):
        mask, _ = state
        grown = _dilate(grid, mask) & allowed
        return grown, jnp.any(grown != mask)

    mask, _ = lax.while_loop(lambda state: state[1], grow, (seed & allowed, jnp.asarray(True)))
    return mask
