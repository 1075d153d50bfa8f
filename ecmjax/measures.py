"""Scalar measures of the fields that the time loop records: crack depth, damage, where damage sits.

All are fixed-shape reductions (jit- and vmap-compatible). Depths are ``y`` (into the electrolyte from
the anode, m); lateral positions are ``x`` of the simulated domain.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from .solver.grid import Grid

DAMAGED = 0.5
"""Damage above which a node counts as cracked for the extents and the mean depth."""
INITIATED = 0.95
"""Damage at which a crack has initiated (MODEL.md section 3)."""


def deepest_crossing_m(grid: Grid, indicator: Float[Array, "nnx nny"], level: float = 0.5) -> Float[Array, ""]:
    """Deepest ``y`` where ``indicator`` falls through ``level`` going into the electrolyte.

    Linear interpolation between nodes of a column, so it moves continuously as the body grows; the
    origin's ``y`` if the indicator is below ``level`` everywhere.
    """
    _, y = grid.node_coordinates_m()
    upper, lower = indicator[:, :-1], indicator[:, 1:]
    falls = (upper >= level) & (lower < level)
    fraction = (upper - level) / jnp.where(falls, upper - lower, 1.0)
    depth = y[:, :-1] + fraction * grid.cell_size_m
    return jnp.max(jnp.where(falls, depth, grid.origin_m[1]))


def max_damage(damage: Float[Array, "nnx nny"], outside: Bool[Array, "nnx nny"]) -> Float[Array, ""]:
    """Largest damage in the electrolyte (``outside`` the pit)."""
    return jnp.max(jnp.where(outside, damage, 0.0))


class DamageExtents(eqx.Module):
    """Bounding box of the cracked electrolyte (``d >= 0.5`` outside the pit), and its damage-weighted depth."""

    depth_extent_m: Float[Array, ""]
    lateral_extent_m: Float[Array, ""]
    mean_depth_m: Float[Array, ""]


def damage_extents(grid: Grid, damage: Float[Array, "nnx nny"], outside: Bool[Array, "nnx nny"]) -> DamageExtents:
    """Where damage sits: near the interface (wide, shallow) or in the bulk (deep, narrow). Zeros if none."""
    x, y = grid.node_coordinates_m()
    cracked = outside & (damage >= DAMAGED)
    any_cracked = jnp.any(cracked)

    def extent(coordinate):
        high = jnp.max(jnp.where(cracked, coordinate, -jnp.inf))
        low = jnp.min(jnp.where(cracked, coordinate, jnp.inf))
        return jnp.where(any_cracked, high - low, 0.0)

    weight = jnp.where(cracked, damage, 0.0)
    mean_depth = jnp.sum(weight * y) / jnp.where(any_cracked, jnp.sum(weight), 1.0)
    return DamageExtents(depth_extent_m=extent(y), lateral_extent_m=extent(x), mean_depth_m=mean_depth)
