"""The Cartesian grids: square (or cubic) cells, with fields on their nodes (vertices) or cells.

A plane or axisymmetric :class:`Grid` may grade its cell columns (``x_cell_scale``): square cells of side
``h`` about the defect, then columns that widen away from it, so that an isolated defect's far field
costs a few columns instead of a uniform grid's hundreds.

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
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float


class Grid(eqx.Module):
    """A grid of ``shape = (nx, ny)`` cells of side ``cell_size_m``, or graded along ``x``.

    ``x`` runs along the anode interface and ``y`` into the electrolyte; ``origin_m`` is the lower-left
    corner. The spacing and origin are leaves (they may be traced); the shape is static. ``x_cell_scale``
    gives each cell column's width in units of ``cell_size_m``: ``None`` for square cells everywhere (the
    uniform grid, computed exactly as before grading existed), or a graded grid's widths
    (:func:`graded_widths`, a leaf like the spacing); rows are always ``cell_size_m`` high.
    """

    shape: tuple[int, int] = eqx.field(static=True)
    cell_size_m: Float[Array, ""] | float
    origin_m: tuple[Float[Array, ""] | float, Float[Array, ""] | float] = (0.0, 0.0)
    periodic_x: bool = eqx.field(static=True, default=False)
    axisymmetric: bool = eqx.field(static=True, default=False)
    x_cell_scale: Float[Array, " nx"] | None = None

    def __check_init__(self):
        if self.axisymmetric and self.periodic_x:
            raise ValueError("an axisymmetric grid cannot be periodic in x: x = 0 is the axis of revolution")
        if self.x_cell_scale is not None:
            if self.periodic_x:
                raise ValueError("a periodic grid cannot be graded: grading is for an isolated defect")
            if jnp.shape(self.x_cell_scale) != self.shape[:1]:
                raise ValueError(f"x_cell_scale has shape {jnp.shape(self.x_cell_scale)} for {self.shape[0]} columns")

    @property
    def graded(self) -> bool:
        return self.x_cell_scale is not None

    def x_node_offsets(self) -> Float[Array, " nnx"]:
        """Node columns' distances from the origin, in units of ``cell_size_m``."""
        if self.x_cell_scale is None:
            return jnp.arange(self.node_shape[0])
        return jnp.concatenate([jnp.zeros(1, jnp.result_type(self.x_cell_scale)), jnp.cumsum(self.x_cell_scale)])

    def x_cell_widths(self) -> Float[Array, "nx 1"] | float:
        """Each cell column's width in units of ``cell_size_m``, as a column that broadcasts against cell
        fields (``1.0`` on a uniform grid)."""
        if self.x_cell_scale is None:
            return 1.0
        return self.x_cell_scale[:, None]

    @property
    def node_shape(self) -> tuple[int, int]:
        nx, ny = self.shape
        return (nx if self.periodic_x else nx + 1, ny + 1)

    def node_coordinates_m(self) -> tuple[Float[Array, "nnx nny"], Float[Array, "nnx nny"]]:
        x = self.origin_m[0] + self.cell_size_m * self.x_node_offsets()
        y = self.origin_m[1] + self.cell_size_m * jnp.arange(self.node_shape[1])
        return tuple(jnp.meshgrid(x, y, indexing="ij"))

    def cell_centres_m(self) -> tuple[Float[Array, "nx ny"], Float[Array, "nx ny"]]:
        nx, ny = self.shape
        if self.x_cell_scale is None:
            x_offsets = jnp.arange(nx) + 0.5
        else:
            x_offsets = self.x_node_offsets()[:-1] + 0.5 * self.x_cell_scale
        x = self.origin_m[0] + self.cell_size_m * x_offsets
        y = self.origin_m[1] + self.cell_size_m * (jnp.arange(ny) + 0.5)
        return tuple(jnp.meshgrid(x, y, indexing="ij"))

    def edge_node_weights(self, axis: int) -> Float[Array, " n"]:
        """Trapezoid weights (in cells of ``cell_size_m``) of the nodes along ``axis``: 1/2 at non-periodic
        ends; on a graded ``x``, half the widths of the two cells beside each node."""
        if axis == 0 and self.x_cell_scale is not None:
            inside, outside = _beside_nodes(self.x_cell_scale)
            return 0.5 * (inside + outside)
        n = self.node_shape[axis]
        weights = jnp.ones(n)
        if axis == 1 or not self.periodic_x:
            weights = weights.at[0].set(0.5).at[-1].set(0.5)
        return weights

    def revolution_factor(self) -> Float[Array, " nnx"] | float:
        """What a node column's measures are multiplied by: 1 on a plane grid; on an axisymmetric one
        ``2 pi r_eff``, with ``r_eff`` the hat function's ``r``-weighted mean, so that the ring areas are
        exact. Between cells of widths ``a`` (inside) and ``b`` (outside), ``int r N dr = (a + b) r / 2 +
        (b^2 - a^2) / 6``: ``r_i`` where ``a = b``, ``h/3`` on the axis, ``r - h/3`` on the outer side."""
        if not self.axisymmetric:
            return 1.0
        r = self.origin_m[0] + self.cell_size_m * self.x_node_offsets()
        if self.x_cell_scale is None:
            third = self.cell_size_m / 3.0
            r_eff = r.at[0].add(third).at[-1].add(-third)
        else:
            inside, outside = _beside_nodes(self.x_cell_scale)
            r_eff = r + self.cell_size_m * (outside**2 - inside**2) / (3.0 * (inside + outside))
        return 2.0 * jnp.pi * r_eff

    def boundary_node_measures(self) -> Float[Array, " nnx"]:
        """Measure of the ``y = const`` boundary that each node column carries: length (m) per unit
        depth, or ring area (m^2) if axisymmetric."""
        return self.cell_size_m * self.edge_node_weights(0) * self.revolution_factor()

    def node_measures(self) -> Float[Array, "nnx nny"]:
        """Measure that each node carries (lumped, trapezoid rule): area (m^2) per unit depth, or ring
        volume (m^3) if axisymmetric."""
        return self.cell_size_m * jnp.outer(self.boundary_node_measures(), self.edge_node_weights(1))


def _beside_nodes(widths: Float[Array, " n"]) -> tuple[Float[Array, " n+1"], Float[Array, " n+1"]]:
    """The widths of the cells inside (towards ``x = 0``) and outside each node column: 0 beyond the ends."""
    zero = jnp.zeros(1, widths.dtype)
    return jnp.concatenate([zero, widths]), jnp.concatenate([widths, zero])


def graded_widths(
    uniform_cells: int, graded_cells: int, span_cells: Float[ArrayLike, ""]
) -> Float[Array, " uniform_cells+graded_cells"]:
    """Column widths (in cells of the core) of a grid that is uniform for ``uniform_cells`` columns and
    then grows geometrically, ``r, r^2, ..., r^graded_cells``, so that all columns span ``span_cells``.

    ``r >= 1`` solves ``sum_k r^k = span_cells - uniform_cells`` by bisection, then one Newton step from
    the bisected root (held constant) carries its derivative in ``span_cells`` (implicit function
    theorem). The caller checks that the span is at least ``uniform_cells + graded_cells``.
    """
    span = jnp.asarray(span_cells)
    powers = jnp.arange(1, graded_cells + 1, dtype=span.dtype)
    excess = lambda r: jnp.sum(r**powers) - (span - uniform_cells)

    def halve(_, bracket):
        low, high = bracket
        middle = 0.5 * (low + high)
        return jnp.where(excess(middle) < 0, middle, low), jnp.where(excess(middle) < 0, high, middle)

    ceiling = jnp.maximum(2.0, (span - uniform_cells) ** (1.0 / graded_cells))  # excess(ceiling) >= 0
    low, high = jax.lax.fori_loop(0, 200, halve, (jnp.ones_like(span), ceiling))
    root = jax.lax.stop_gradient(0.5 * (low + high))
    ratio = root - excess(root) / jnp.sum(powers * root ** (powers - 1))
    return jnp.concatenate([jnp.ones(uniform_cells, span.dtype), ratio**powers])


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
    def graded(self) -> bool:
        return False

    def x_cell_widths(self) -> float:
        """1: a 3D grid is not graded (see :meth:`Grid.x_cell_widths`)."""
        return 1.0

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
