"""Scalar measures of the fields that the time loop records: crack depth, damage, where damage sits.

All are fixed-shape reductions (jit- and vmap-compatible). Depths are along the grid's last axis (``y``,
or ``z`` in 3D: into the electrolyte from the anode, m); lateral positions along the others (``x``, and
``y`` in 3D) of the simulated domain.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from ecmjax.solver.connectivity import connected_to
from ecmjax.solver.grid import Grid, Grid3D

DAMAGED = 0.5
"""Damage above which a node counts as cracked for the extents and the mean depth."""
INITIATED = 0.95
"""Damage at which a crack has initiated (docs/model.md section 3)."""
LOCALISED = 0.9
"""Damage of a crack's core, for its tip. The optimal AT2 profile ``exp(-|x|/l)`` is above it within
``0.1 l`` of the crack line, while unlocalised damage stays near 0.5 (a shallow pit's diffuse band); it sits
below :data:`INITIATED` because where two cracks merge the discrete profile dips (to 0.94 in the default
case) and the penalty's irreversibility tolerance lets ``d`` fall 0.01 below its past maximum."""


def deepest_crossing_m(grid: Grid | Grid3D, indicator: Float[Array, "*nodes"], level: float = 0.5) -> Float[Array, ""]:
    """Deepest depth where ``indicator`` falls through ``level`` going into the electrolyte.

    Linear interpolation between nodes of a column, so it moves continuously as the body grows; the far
    side's depth where a column is at or above ``level`` on its last node (it has crossed); the origin's
    depth if the indicator is below ``level`` everywhere.
    """
    y = grid.node_coordinates_m()[-1]
    upper, lower = indicator[..., :-1], indicator[..., 1:]
    falls = (upper >= level) & (lower < level)
    fraction = (upper - level) / jnp.where(falls, upper - lower, 1.0)
    depth = jnp.where(falls, y[..., :-1] + fraction * grid.cell_size_m, grid.origin_m[-1])
    crossed = jnp.where(indicator[..., -1] >= level, y[..., -1], grid.origin_m[-1])
    return jnp.maximum(jnp.max(depth), jnp.max(crossed))


def crack_tip_depth_m(
    grid: Grid | Grid3D, pit_indicator: Float[Array, "*nodes"], damage: Float[Array, "*nodes"]
) -> Float[Array, ""]:
    """Deepest depth reached by the localised crack: ``d >= LOCALISED`` connected to the pit.

    Diffuse damage (a broad band at ``d ~ 0.5`` that has not localised) is no crack and holds no
    filament, so it must not count towards a short circuit. The crack is the pit together with the
    nodes of ``max(chi_pit, d) >= LOCALISED`` joined to it; its tip is where that field falls through
    ``LOCALISED`` below the connected set, interpolated between nodes so that it moves continuously.
    Pass the running maximum of the damage, so that the tip of an irreversible crack never recedes.
    """
    solid = jnp.maximum(pit_indicator, damage)
    connected = connected_to(grid, pit_indicator >= 0.5, solid >= LOCALISED)
    return deepest_crossing_m(grid, jnp.where(connected | (solid < LOCALISED), solid, 0.0), LOCALISED)


def max_damage(damage: Float[Array, "*nodes"], outside: Bool[Array, "*nodes"]) -> Float[Array, ""]:
    """Largest damage in the electrolyte (``outside`` the pit)."""
    return jnp.max(jnp.where(outside, damage, 0.0))


class DamageExtents(eqx.Module):
    """Bounding box of the cracked electrolyte (``d >= 0.5`` outside the pit), and its damage-weighted depth.

    In 3D the lateral extent is the larger of the extents along ``x`` and ``y``."""

    depth_extent_m: Float[Array, ""]
    lateral_extent_m: Float[Array, ""]
    mean_depth_m: Float[Array, ""]


def damage_extents(
    grid: Grid | Grid3D, damage: Float[Array, "*nodes"], outside: Bool[Array, "*nodes"]
) -> DamageExtents:
    """Where damage sits: near the interface (wide, shallow) or in the bulk (deep, narrow). Zeros if none."""
    *lateral, y = grid.node_coordinates_m()
    cracked = outside & (damage >= DAMAGED)
    any_cracked = jnp.any(cracked)

    def extent(coordinate):
        high = jnp.max(jnp.where(cracked, coordinate, -jnp.inf))
        low = jnp.min(jnp.where(cracked, coordinate, jnp.inf))
        return jnp.where(any_cracked, high - low, 0.0)

    weight = jnp.where(cracked, damage, 0.0)
    mean_depth = jnp.sum(weight * y) / jnp.where(any_cracked, jnp.sum(weight), 1.0)
    lateral_extent = jnp.max(jnp.stack([extent(x) for x in lateral]))
    return DamageExtents(depth_extent_m=extent(y), lateral_extent_m=lateral_extent, mean_depth_m=mean_depth)
