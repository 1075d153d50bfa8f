"""The Cartesian grids: square (or cubic) cells, with fields on their nodes (vertices) or cells.

Nodal fields (displacement, potential, indicator) have shape ``node_shape``; cell fields (material
coefficients, stresses) have shape ``shape``. With ``periodic_x`` the last column of nodes wraps onto
the first, so there are ``nx`` node columns instead of ``nx + 1``.

Every grid gives each node two measures: ``node_measures`` (what it carries of the domain) and
``boundary_node_measures`` (what it carries of the anode-side boundary). Their units depend on the grid,
so they are named without units:

* a plane grid: area per unit depth (m^2) and length per unit depth (m); its integrals are per unit
  depth (J/m, A/m);
* an ``axisymmetric`` grid, the meridian half-plane ``(r, z) = (x, y)`` of a body of revolution about
  ``x = 0``: ring volumes (m^3) and ring areas (m^2), every integral weighted by ``2 pi r`` (J, A, m^3);
* a :class:`Grid3D`: volumes (m^3) and face areas (m^2).
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

    def boundary_node_measures(self) -> Float[Array, " nnx"]:
        """Measure of the ``y = const`` boundary that each node column carries: length (m) per unit
        depth, or ring area (m^2) if axisymmetric."""
        return self.cell_size_m * self.edge_node_weights(0) * self.revolution_factor()

    def node_measures(self) -> Float[Array, "nnx nny"]:
        """Measure that each node carries (lumped, trapezoid rule): area (m^2) per unit depth, or ring
        volume (m^3) if axisymmetric."""
        return self.cell_size_m * jnp.outer(self.boundary_node_measures(), self.edge_node_weights(1))


class Grid3D(eqx.Module):
    """A uniform grid of ``shape = (nx, ny, nz)`` cubic cells of side ``cell_size_m``.

    ``x`` and ``y`` run along the anode interface and ``z`` into the electrolyte; ``origin_m`` is the
    lower corner. Nodal fields have shape ``node_shape``, cell fields ``shape``. No side wraps: the 3D
    domain is a quarter (or octant) bounded by mirror planes.
    """

    shape: tuple[int, int, int] = eqx.field(static=True)
    cell_size_m: Float[Array, ""] | float
    origin_m: tuple[Float[Array, ""] | float, ...] = (0.0, 0.0, 0.0)
    periodic_x: bool = eqx.field(static=True, default=False, init=False)
    axisymmetric: bool = eqx.field(static=True, default=False, init=False)

    @property
    def node_shape(self) -> tuple[int, int, int]:
        return tuple(n + 1 for n in self.shape)

    def _axes_m(self, offset: float, counts: tuple[int, ...]) -> list[Float[Array, " n"]]:
        return [o + self.cell_size_m * (jnp.arange(n) + offset) for o, n in zip(self.origin_m, counts, strict=True)]

    def node_coordinates_m(self) -> tuple[Float[Array, "nnx nny nnz"], ...]:
        return tuple(jnp.meshgrid(*self._axes_m(0.0, self.node_shape), indexing="ij"))

    def cell_centres_m(self) -> tuple[Float[Array, "nx ny nz"], ...]:
        return tuple(jnp.meshgrid(*self._axes_m(0.5, self.shape), indexing="ij"))

    def edge_node_weights(self, axis: int) -> Float[Array, " n"]:
        """Trapezoid weights (in cells) of the nodes along ``axis``: 1/2 at the ends."""
        return jnp.ones(self.node_shape[axis]).at[0].set(0.5).at[-1].set(0.5)

    def revolution_factor(self) -> float:
        """1: a 3D grid's measures are already volumes and areas (see :meth:`Grid.revolution_factor`)."""
        return 1.0

    def boundary_node_measures(self) -> Float[Array, "nnx nny"]:
        """Area (m^2) of the ``z = const`` boundary that each node carries."""
        return self.cell_size_m**2 * jnp.outer(self.edge_node_weights(0), self.edge_node_weights(1))

    def node_measures(self) -> Float[Array, "nnx nny nnz"]:
        """Volume (m^3) that each node carries (lumped, trapezoid rule)."""
        return self.cell_size_m * self.boundary_node_measures()[:, :, None] * self.edge_node_weights(2)
