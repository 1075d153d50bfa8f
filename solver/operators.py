"""Discrete differential operators of nodal fields on the grid.

A nodal field is interpolated bilinearly (trilinearly on a :class:`Grid3D`) in each cell and its
derivatives are sampled at the 2x2 (2x2x2) Gauss points of the cell. Energies integrated this way give
the compact 9-point (27-point) finite-difference stencils, identical to bilinear (trilinear) finite
elements on the Cartesian grid, whose operators are symmetric positive definite and free of the
checkerboard modes of one-point (cell-centre) differencing.
"""

import math

import jax.numpy as jnp
import numpy as np
from jax import lax
from jaxtyping import Array, Float

from ecmjax.solver.grid import Grid, Grid3D

_LOW, _HIGH = 0.5 - 0.5 / np.sqrt(3.0), 0.5 + 0.5 / np.sqrt(3.0)
GAUSS_POINTS = ((_LOW, _LOW), (_HIGH, _LOW), (_LOW, _HIGH), (_HIGH, _HIGH))
"""Local ``(xi, eta)`` coordinates (0..1 across a cell) of the four Gauss points."""

GAUSS_POINTS_3D = tuple((xi, eta, zeta) for zeta in (_LOW, _HIGH) for eta in (_LOW, _HIGH) for xi in (_LOW, _HIGH))
"""Local ``(xi, eta, zeta)`` coordinates of the eight Gauss points of a cubic cell."""

GaussSamples = tuple[Array, ...]
"""A field sampled at the Gauss points of every cell: four ``(..., nx, ny)`` arrays (eight
``(..., nx, ny, nz)`` arrays on a :class:`Grid3D`).

Kept as a tuple rather than one stacked array: XLA's CPU backend differentiates the stacked,
broadcast form some 40 times more slowly.
"""


def cell_corners(grid: Grid, f: Float[Array, "*c nnx nny"]) -> tuple[Array, Array, Array, Array]:
    """Values at the (lower-left, lower-right, upper-left, upper-right) corners of every cell."""
    if grid.periodic_x:
        f = jnp.concatenate([f, f[..., :1, :]], axis=-2)
    return f[..., :-1, :-1], f[..., 1:, :-1], f[..., :-1, 1:], f[..., 1:, 1:]


def _cell_corners_3d(f: Float[Array, "*c nnx nny nnz"]) -> dict[tuple[int, int, int], Array]:
    """Values at the eight corners of every cell, keyed by the corner's ``(i, j, k)`` offset."""
    ends = (slice(None, -1), slice(1, None))
    return {(i, j, k): f[..., ends[i], ends[j], ends[k]] for i in (0, 1) for j in (0, 1) for k in (0, 1)}


def _hat(offset: int, local: float) -> float:
    """The 1D linear shape function of the cell end ``offset`` (0 or 1) at ``local`` in [0, 1]."""
    return local if offset else 1.0 - local


def _trilinear_samples(grid: Grid3D, f: Float[Array, "*c nnx nny nnz"]) -> GaussSamples:
    corners = _cell_corners_3d(f)
    return tuple(
        sum(_hat(i, xi) * _hat(j, eta) * _hat(k, zeta) * value for (i, j, k), value in corners.items())
        for xi, eta, zeta in GAUSS_POINTS_3D
    )


def _trilinear_gradient(grid: Grid3D, f: Float[Array, "*c nnx nny nnz"]) -> tuple[GaussSamples, ...]:
    """``(df/dx, df/dy, df/dz)`` at the eight Gauss points: each a difference along its axis,
    interpolated bilinearly across the other two."""
    corners = _cell_corners_3d(f)
    h = grid.cell_size_m
    gradient = []
    for axis in range(3):
        # Differences along the axis at the four cell edges that run along it.
        edges = {}
        for (i, j, k), value in corners.items():
            offsets = (i, j, k)
            if offsets[axis] == 0:
                upper = list(offsets)
                upper[axis] = 1
                edges[offsets] = (corners[tuple(upper)] - value) / h
        gradient.append(
            tuple(
                sum(
                    math.prod(_hat(o, point[a]) for a, o in enumerate(offsets) if a != axis) * difference
                    for offsets, difference in edges.items()
                )
                for point in GAUSS_POINTS_3D
            )
        )
    return tuple(gradient)


def values_at_gauss_points(grid: Grid | Grid3D, f: Float[Array, "*c nnx nny"]) -> GaussSamples:
    """Bilinear (trilinear) interpolation of a nodal field to the Gauss points of each cell."""
    if isinstance(grid, Grid3D):
        return _trilinear_samples(grid, f)
    f00, f10, f01, f11 = cell_corners(grid, f)
    return tuple(
        (1 - xi) * (1 - eta) * f00 + xi * (1 - eta) * f10 + (1 - xi) * eta * f01 + xi * eta * f11
        for xi, eta in GAUSS_POINTS
    )


def gradient_at_gauss_points(grid: Grid | Grid3D, f: Float[Array, "*c nnx nny"]) -> tuple[GaussSamples, ...]:
    """``(df/dx, df/dy)`` of the bilinear interpolant at the four Gauss points of each cell
    (``(df/dx, df/dy, df/dz)`` of the trilinear one at eight, on a :class:`Grid3D`)."""
    if isinstance(grid, Grid3D):
        return _trilinear_gradient(grid, f)
    f00, f10, f01, f11 = cell_corners(grid, f)
    h = grid.cell_size_m
    hx = h * grid.x_cell_widths()
    dx_low, dx_high = (f10 - f00) / hx, (f11 - f01) / hx
    dy_left, dy_right = (f01 - f00) / h, (f11 - f10) / h
    dfdx = tuple((1 - eta) * dx_low + eta * dx_high for _, eta in GAUSS_POINTS)
    dfdy = tuple((1 - xi) * dy_left + xi * dy_right for xi, _ in GAUSS_POINTS)
    return dfdx, dfdy


def radii_at_gauss_points(grid: Grid) -> GaussSamples:
    """``x`` (the radius ``r`` on an axisymmetric grid) at the four Gauss points of each cell, as
    ``(nx, 1)`` columns that broadcast against cell fields."""
    i = grid.x_node_offsets()[:-1, None]
    widths = grid.x_cell_widths()
    return tuple(grid.origin_m[0] + grid.cell_size_m * (i + widths * xi) for xi, _ in GAUSS_POINTS)


def integrate_gauss(grid: Grid | Grid3D, density: GaussSamples) -> Float[Array, ""]:
    """Integral over the grid of a density sampled at the Gauss points: per unit depth, over the
    revolved body (weight ``2 pi r``) if the grid is axisymmetric, or over the volume of a 3D grid."""
    if grid.axisymmetric:
        density = tuple(
            2.0 * jnp.pi * r * sample for r, sample in zip(radii_at_gauss_points(grid), density, strict=True)
        )
    widths = grid.x_cell_widths()
    return grid.cell_size_m ** len(grid.shape) * sum(jnp.sum(widths * sample) for sample in density) / len(density)


def squared_norm(*components: Array) -> Array:
    """``a^2 + b^2 (+ c^2)``: the squared length of a gradient sampled component by component."""
    return sum(c**2 for c in components)


def cell_mean(samples: GaussSamples) -> Float[Array, "*c nx ny"]:
    """Average of the Gauss-point samples: the cell value used for output."""
    return sum(samples) / len(samples)


def values_on_contour(
    field: Float[Array, "*cells"], level_set: Float[Array, "*cells"], level: float = 0.5
) -> tuple[Float[Array, " m"], Array]:
    """A cell field linearly interpolated to where ``level_set`` crosses ``level`` between neighbours.

    Returns the values at every crossing between neighbouring cell centres (along every axis) and a mask
    of the pairs that do cross. Used to read wall stresses on the diffuse pit boundary (``chi = 1/2``).
    """
    values, masks = [], []
    for axis in range(field.ndim):
        f0, f1 = jnp.moveaxis(field, axis, 0)[:-1], jnp.moveaxis(field, axis, 0)[1:]
        c0, c1 = jnp.moveaxis(level_set, axis, 0)[:-1], jnp.moveaxis(level_set, axis, 0)[1:]
        crosses = ((c0 - level) * (c1 - level) <= 0) & (c0 != c1)
        weight = (c0 - level) / jnp.where(crosses, c0 - c1, 1.0)
        values.append((f0 + weight * (f1 - f0)).ravel())
        masks.append(crosses.ravel())
    return jnp.concatenate(values), jnp.concatenate(masks)


def max_on_contour(
    field: Float[Array, "*cells"], level_set: Float[Array, "*cells"], level: float = 0.5
) -> Float[Array, ""]:
    """Largest value of a cell field on the ``level_set = level`` contour (``-inf`` if there is none)."""
    values, crosses = values_on_contour(field, level_set, level)
    return jnp.max(jnp.where(crosses, values, -jnp.inf))


def nodal_gradient(grid: Grid | Grid3D, f: Float[Array, "*nodes"]) -> tuple[Float[Array, "*nodes"], ...]:
    """The gradient of a nodal field at the nodes by central differences, one array per axis.

    Along the lateral axes (all but the last) the field is mirrored at the sides (zero slope, as on a
    mirror plane) or wrapped if periodic in x; along the depth axis (the last) the anode and far-side
    rows use one-sided differences. A graded ``x`` divides by the distance between the two neighbours.
    """
    h = grid.cell_size_m
    gradient = []
    for axis in range(f.ndim - 1):
        if grid.periodic_x:  # only a plane grid's x wraps
            before, after = jnp.roll(f, 1, axis=axis), jnp.roll(f, -1, axis=axis)
        else:
            padding = [(1, 1) if a == axis else (0, 0) for a in range(f.ndim)]
            padded = jnp.pad(f, padding, mode="reflect")
            before = lax.slice_in_dim(padded, 0, -2, axis=axis)
            after = lax.slice_in_dim(padded, 2, None, axis=axis)
        if axis == 0 and grid.graded:
            widths = grid.x_cell_scale
            span = jnp.concatenate([widths[:1], widths]) + jnp.concatenate([widths, widths[-1:]])  # mirrored ends
            gradient.append((after - before) / (h * span.reshape((-1,) + (1,) * (f.ndim - 1))))
            continue
        gradient.append((after - before) / (2.0 * h))
    interior = (f[..., 2:] - f[..., :-2]) / (2.0 * h)
    first, last = (f[..., 1:2] - f[..., :1]) / h, (f[..., -1:] - f[..., -2:-1]) / h
    gradient.append(jnp.concatenate([first, interior, last], axis=-1))
    return tuple(gradient)
