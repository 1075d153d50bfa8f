"""Scalar measures of the fields that the time loop records: crack depth, damage, where damage sits.

All are fixed-shape reductions (jit- and vmap-compatible). Depths are along the grid's last axis (``y``,
or ``z`` in 3D: into the electrolyte from the anode, m); lateral positions along the others (``x``, and
``y`` in 3D) of the simulated domain.
"""

import equinox as eqx
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Bool, Float

from ecmjax.solver.connectivity import connected_to, neighbour_max
from ecmjax.solver.fields.potential import PotentialProblem, interfacial_current_A_per_m2
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


def bottleneck_damage(
    grid: Grid | Grid3D, pit_indicator: Float[Array, "*nodes"], damage: Float[Array, "*nodes"]
) -> Float[Array, "*nodes"]:
    """At each node, the largest ``min max(chi_pit, d)`` along a path of face neighbours from the pit to it.

    The widest-path (max-min) value of the solid, from the pit's nodes (``chi_pit >= 0.5``, which count as
    1, whatever their damage): a node is joined to the pit by nodes at or above a level exactly when its
    bottleneck is at or above it, so this is :func:`crack_tip_depth_m`'s connected set for every level at
    once. It is continuous in the damage (a maximum of minima), with the derivative
    of the node that limits the path; iterated like a flood fill, at most the path's length in passes.
    """
    solid = jnp.maximum(pit_indicator, damage)
    seed = jnp.where(pit_indicator >= 0.5, 1.0, 0.0)

    def widen(state):
        reach, _ = state
        wider = jnp.maximum(reach, jnp.minimum(solid, neighbour_max(grid, reach)))
        return wider, jnp.any(wider != reach)

    reach, _ = lax.while_loop(lambda state: state[1], widen, (seed, jnp.asarray(True)))
    return reach


def short_circuit_damage(
    grid: Grid | Grid3D, pit_indicator: Float[Array, "*nodes"], damage: Float[Array, "*nodes"], depth_m
) -> Float[Array, ""]:
    """The damage level at which the crack joined to the pit reaches ``depth_m``: a smooth short-circuit indicator.

    :func:`crack_tip_depth_m` reaches ``depth_m`` exactly when this reaches :data:`LOCALISED`: between
    the nodes above and below the depth (``y_j <= depth < y_j+1``) the tip interpolates the solid linearly,
    so a column's path gets there at ``min(B_j, (1 - w) s_j + w s_j+1)`` (``B``: :func:`bottleneck_damage`,
    ``s``: the solid, ``w`` the depth's fraction of the cell), and every deeper node at its own ``B``. The
    tip jumps when a node ahead of it joins the crack; this moves continuously (the largest of these
    values), so the short circuit's location in volume has a derivative.
    """
    reach = bottleneck_damage(grid, pit_indicator, damage)
    solid = jnp.maximum(pit_indicator, damage)
    y = grid.node_coordinates_m()[-1]
    above = (y[..., :-1] <= depth_m) & (y[..., 1:] > depth_m)
    w = (depth_m - y[..., :-1]) / grid.cell_size_m
    at_depth = jnp.minimum(reach[..., :-1], (1.0 - w) * solid[..., :-1] + w * solid[..., 1:])
    deeper = jnp.where(y > depth_m, reach, 0.0)
    return jnp.maximum(jnp.max(jnp.where(above, at_depth, 0.0)), jnp.max(deeper))


def wetted_walls(grid: Grid | Grid3D, problem: PotentialProblem) -> Bool[Array, "*nodes"]:
    """Nodes that carry the Li body's wall (:func:`~ecmjax.model.problems.li_body`): over a thousandth of a
    cell face, so that the tanh tails of the diffuse wall far from it do not count."""
    column = jnp.reshape(grid.revolution_factor(), (-1,) + (1,) * (len(grid.shape) - 1))
    face = grid.cell_size_m ** (len(grid.shape) - 1)  # a wall's measure per node: h, or h^2 in 3D
    return problem.interface_length_m[0] > 1e-3 * face * column


def wall_peak_current_density_A_per_m2(
    grid: Grid | Grid3D, phi: Float[Array, "*nodes"], problem: PotentialProblem
) -> Float[Array, ""]:
    """The largest plating current density of the Li body's walls: the walls' own Butler-Volmer density at
    their pressure, not mixed with the anode's where a node carries both (the anode row beside the mouth).

    A diffuse wall spreads its reaction over a band about three cells wide; where the band resolves the
    kinetic length (:func:`~ecmjax.physics.kinetics.kinetic_length_m` over 30 cells) this is the peak
    within 10% (validation case 10). With faster kinetics the current crowds onto the band's outer nodes
    and this reads several times the wall's true peak; the plated current still converges.
    """
    density = interfacial_current_A_per_m2(phi, problem)[0]
    return jnp.max(jnp.where(wetted_walls(grid, problem), density, -jnp.inf))


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
