"""The Cartesian grid: square cells, with fields on its nodes (vertices) or cells.

Nodal fields (displacement, potential, indicator) have shape ``node_shape``; cell fields (material
coefficients, stresses) have shape ``shape``. With ``periodic_x`` the last column of nodes wraps onto
the first, so there are ``nx`` node columns instead of ``nx + 1``.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float


class Grid(eqx.Module):
    """A uniform grid of ``shape = (nx, ny)`` square cells of side ``cell_size_m``.

    ``x`` runs along the anode interface and ``y`` into the electrolyte; ``origin_m`` is the lower-left
    corner. The spacing and origin are leaves (they may be traced); the shape is static.
    """

    shape: tuple[int, int] = eqx.field(static=True)
    cell_size_m: Float[Array, ""] | float
    origin_m: tuple[Float[Array, ""] | float, Float[Array, ""] | float] = (0.0, 0.0)
    periodic_x: bool = eqx.field(static=True, default=False)

    @property
    def node_shape(self) -> tuple[int, int]:
        nx, ny = self.shape
        return (nx if self.periodic_x else nx + 1, ny + 1)

    @property
    def size_m(self) -> tuple[Float[Array, ""], Float[Array, ""]]:
        return (self.shape[0] * self.cell_size_m, self.shape[1] * self.cell_size_m)

    def node_coordinates_m(self) -> tuple[Float[Array, "nnx nny"], Float[Array, "nnx nny"]]:
        nnx, nny = self.node_shape
        x = self.origin_m[0] + self.cell_size_m * jnp.arange(nnx)
        y = self.origin_m[1] + self.cell_size_m * jnp.arange(nny)
        return tuple(jnp.meshgrid(x, y, indexing="ij"))

    def cell_centres_m(self) -> tuple[Float[Array, "nx ny"], Float[Array, "nx ny"]]:
        nx, ny = self.shape
        x = self.origin_m[0] + self.cell_size_m * (jnp.arange(nx) + 0.5)
        y = self.origin_m[1] + self.cell_size_m * (jnp.arange(ny) + 0.5)
        return tuple(jnp.meshgrid(x, y, indexing="ij"))

    def edge_node_weights(self, axis: int) -> Float[Array, " n"]:
        """Trapezoid weights (in cells) of the nodes along ``axis``: 1/2 at non-periodic ends."""
        n = self.node_shape[axis]
        weights = jnp.ones(n)
        if axis == 1 or not self.periodic_x:
            weights = weights.at[0].set(0.5).at[-1].set(0.5)
        return weights

    def node_lengths_m(self) -> Float[Array, " nnx"]:
        """Length of the ``y = const`` boundary that each node column carries, in m."""
        return self.cell_size_m * self.edge_node_weights(0)

    def node_areas_m2(self) -> Float[Array, "nnx nny"]:
        """Area that each node carries (lumped, trapezoid rule), in m^2."""
        return self.cell_size_m**2 * jnp.outer(self.edge_node_weights(0), self.edge_node_weights(1))
