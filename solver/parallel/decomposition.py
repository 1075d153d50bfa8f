"""Domain decomposition: a grid's fields split along x over several devices, with XLA's own halo exchange.

A run too big for one device puts a slab of node columns on each device of a 1-D
:class:`jax.sharding.Mesh`. The fields are only *constrained* to that layout inside the jitted solver
(:func:`jax.lax.with_sharding_constraint`); XLA's SPMD partitioner (GSPMD) then partitions every stencil,
pad and slice, exchanging one-column halos between neighbouring devices (collective-permute) and
combining sums and maxima across them (all-reduce). Nothing else of the solver changes, so the answer is
the single-device one up to the order of those reductions.

Inside jit a size that the device count does not divide (a mirror grid's ``nx + 1`` node columns) is
padded on the last device. Such an array cannot leave a jitted function split (a :class:`jax.Array`'s
shards must divide it): it comes back replicated, and is split again at the next call.
"""

from typing import TypeVar

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

AXIS = "x"
"""Name of the mesh axis along which the grid's x is split."""

Tree = TypeVar("Tree")


def domain_mesh(devices: int) -> Mesh:
    """A 1-D mesh over the first ``devices`` of :func:`jax.devices` (every host's, under jax.distributed)."""
    available = jax.devices()
    if not 1 <= devices <= len(available):
        raise ValueError(f"a mesh of {devices} devices is out of range: must be >= 1 and <= {len(available)}")
    return Mesh(np.asarray(available[:devices]), (AXIS,))


def x_sharding(mesh: Mesh, ndim: int, spatial_dims: int = 2) -> NamedSharding:
    """Layout of a grid field of ``ndim`` axes, the grid's ``spatial_dims`` axes (x first) last: split along
    x, whole along the others."""
    return NamedSharding(mesh, PartitionSpec(*(None,) * (ndim - spatial_dims), AXIS, *(None,) * (spatial_dims - 1)))


def split_along_x(tree: Tree, mesh: Mesh, spatial_dims: int = 2) -> Tree:
    """``tree`` with every array constrained to :func:`x_sharding` (inside jit: a layout, not a copy).

    Every leaf must be a grid field, its last ``spatial_dims`` axes the grid's nodes or cells, e.g. the
    ``(2, nnx, nny)`` displacement.
    """
    sharding = lambda a: x_sharding(mesh, a.ndim, spatial_dims)
    return jax.tree.map(lambda a: jax.lax.with_sharding_constraint(a, sharding(a)), tree)
