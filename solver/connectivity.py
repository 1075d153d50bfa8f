"""Which nodes of a region are connected to a seed: the Li body's reach along a crack, and the pieces of
electrolyte that cracks have cut off from the bulk.

Damaged electrolyte joins a Li body only where it is connected to it (docs/model.md section 3): an isolated
damaged patch holds no Li. Connectivity is a discrete (integer-valued) property, so it is computed here
as a mask with zero derivative; the fields that it multiplies carry the derivatives.
"""

import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Bool, Float

from ecmjax.solver.grid import Grid, Grid3D
from ecmjax.solver.operators import cell_mean, values_at_gauss_points


def _shift(mask: Array, axis: int, step: int) -> Array:
    """``mask`` (or a field) moved by ``step`` (+1 or -1) nodes along ``axis``, False (0) where it leaves the grid."""
    kept = lax.slice_in_dim(mask, 0, -1, axis=axis) if step > 0 else lax.slice_in_dim(mask, 1, None, axis=axis)
    padding = [((1, 0) if step > 0 else (0, 1)) if a == axis else (0, 0) for a in range(mask.ndim)]
    return jnp.pad(kept, padding)


def neighbour_max(grid: Grid | Grid3D, field: Float[Array, "*nodes"]) -> Float[Array, "*nodes"]:
    """The largest of ``field`` over each node's face neighbours (4- or 6-neighbourhood; 0, or False, beyond the
    grid; wraps in x if periodic). Of a mask: the nodes with a neighbour in it."""
    largest = jnp.zeros_like(field)
    for axis in range(field.ndim):
        if axis == 0 and grid.periodic_x:
            shifted = (jnp.roll(field, 1, axis=0), jnp.roll(field, -1, axis=0))
        else:
            shifted = (_shift(field, axis, 1), _shift(field, axis, -1))
        largest = jnp.maximum(largest, jnp.maximum(*shifted))
    return largest


def connected_to(
    grid: Grid | Grid3D, seed: Bool[Array, "*nodes"], region: Bool[Array, "*nodes"]
) -> Bool[Array, "*nodes"]:
    """Nodes of ``seed | region`` joined to ``seed`` by a path of face neighbours inside ``seed | region``.

    A flood fill: dilate and intersect until nothing changes (at most the path length in iterations).
    """
    allowed = seed | region

    def grow(state):
        mask, _ = state
        grown = (mask | neighbour_max(grid, mask)) & allowed
        return grown, jnp.any(grown != mask)

    mask, _ = lax.while_loop(lambda state: state[1], grow, (seed & allowed, jnp.asarray(True)))
    return mask


def nodes_of_cells(grid: Grid | Grid3D, cells: Bool[Array, "*cells"]) -> Bool[Array, "*nodes"]:
    """The nodes that are corners of at least one of ``cells``: the transpose of the cell average."""
    average = lambda nodal: cell_mean(values_at_gauss_points(grid, nodal))
    nodal = jnp.zeros(grid.node_shape)
    _, transpose = jax.vjp(average, nodal)
    return transpose(cells.astype(nodal.dtype))[0] > 0.0


def detached_nodes(grid: Grid | Grid3D, solid: Bool[Array, "*cells"]) -> Bool[Array, "*nodes"]:
    """Nodes of the ``solid`` cells that no face-connected path of solid cells joins to the far side.

    The far side is the last layer of cells along the last axis (``y``, or ``z`` in 3D), where the
    electrolyte is held. A piece that cracks have cut off is held only by softened cells, so its
    rigid-body motions make the elastic Hessian near-singular. Nodes shared with a held piece are not
    counted: they are held through it.
    """
    far_side = jnp.zeros(solid.shape, bool).at[..., -1].set(True)
    held = connected_to(grid, far_side & solid, solid)
    return nodes_of_cells(grid, solid & ~held) & ~nodes_of_cells(grid, held)
