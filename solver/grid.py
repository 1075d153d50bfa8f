"""The Cartesian grid: square cells, with fields on its nodes (vertices) or cells.

Nodal fields (displacement, potential, indicator) have shape ``node_shape``; cell fields (material
coefficients, stresses) have shape ``shape``. With ``periodic_x`` the last column of nodes wraps onto
the first, so there are ``nx`` node columns instead of ``nx + 1``.

An ``axisymmetric`` grid is the meridian half-plane ``(r, z) = (x, y)`` of a body of revolution about
``x = 0``: every measure is of the revolved body, weighted by ``2 pi r``. Integrals that a plane grid
gives per unit depth (J/m, A/m, m^2) are then totals (J, A, m^3); node "lengths" along an edge are ring
areas (m^2) and node "areas" ring volumes (m^3).
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
    axisymmetric: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        if self.axisymmetric and self.periodic_x:
            raise ValueError("an axisymmetric grid cannot be periodic in x: x = 0 is the axis of revolution")

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

    def revolution_factor(self) -> Float[Array, " nnx"] | float:
        """What a node column's measures are multiplied by: 1 on a plane grid; on an axisymmetric one
        ``2 pi r_eff``, with ``r_eff`` the hat function's ``r``-weighted mean (``r_i`` inside, ``h/3`` on
        the axis, ``r - h/3`` on the outer side), so that the ring areas are exact."""
        if not self.axisymmetric:
            return 1.0
        nnx = self.node_shape[0]
        r = self.origin_m[0] + self.cell_size_m * jnp.arange(nnx)
        third = self.cell_size_m / 3.0
        r_eff = r.at[0].add(third).at[-1].add(-third)
        return 2.0 * jnp.pi * r_eff

    def node_lengths_m(self) -> Float[Array, " nnx"]:
        """Measure of the ``y = const`` boundary that each node column carries: length (m) per unit
        depth, or ring area (m^2) if axisymmetric."""
        return self.cell_size_m * self.edge_node_weights(0) * self.revolution_factor()

    def node_areas_m2(self) -> Float[Array, "nnx nny"]:
        """Measure that each node carries (lumped, trapezoid rule): area (m^2) per unit depth, or ring
        volume (m^3) if axisymmetric."""
        return self.cell_size_m * jnp.outer(self.node_lengths_m(), self.edge_node_weights(1))
