"""Interfacial defect geometry: signed distance functions and a smooth indicator.

The defect is a pit in the electrolyte surface ``y = 0`` of depth ``a`` (along ``y``) and half-width
``b = a / AR`` (along ``x``), centred at ``x = 0`` (docs/model.md section 2). In 3D the depth is along ``z``
and the section is swept over the surface by a lateral distance ``rho(x, y)`` (:func:`lateral_distance`):
the Euclidean one revolves it (semi-ellipse: a semi-spheroid; triangle: a cone; rectangle: a cylinder),
the Chebyshev one ``max(|x|, |y|)`` squares it (triangle: a square pyramid; rectangle: a square box).
Every shape is mirrored about the surface (it is a function of the depth's absolute value), so the
indicator is smooth across the anode interface and the pit's mouth carries no spurious interface.
Distances are negative inside the pit.

The diffuse indicator ``chi = (1 - tanh(sdf / w)) / 2`` is 1 in the pit and 0 in the electrolyte; its
width ``w`` is one to two cells, and it is differentiable in ``a``, ``b`` and any shape parameter.
"""

from collections.abc import Callable

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

SHAPES = ("semi-ellipse", "triangle", "rectangle")
BASES = ("round", "square")
"""How a 3D pit's section is swept over the surface: revolved (``round``) or squared (``square``)."""


def euclidean_norm(*components: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    """``sqrt(u^2 + v^2 + ...)`` with a zero (not NaN) derivative at the origin."""
    r2 = sum(c**2 for c in components)
    positive = r2 > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, r2, 1.0)), 0.0)


def lateral_distance(x: Float[ArrayLike, "..."], y: Float[ArrayLike, "..."], base: str) -> Float[Array, "..."]:
    """Distance from the pit's axis in the surface plane, in m: ``sqrt(x^2 + y^2)`` for a ``round`` base,
    ``max(|x|, |y|)`` for a ``square`` one.

    The section's distance at ``(rho, z)`` is then the pit's: exactly for a revolved section; for a
    squared one exactly inside and off the faces, and a lower bound beyond its edges (where the
    indicator has saturated).
    """
    if base == "round":
        return euclidean_norm(x, y)
    if base == "square":
        return jnp.maximum(jnp.abs(x), jnp.abs(y))
    raise ValueError(f"geometry.base = {base!r} is not a known base: choose one of {', '.join(BASES)}")


def semi_ellipse_sdf(
    x: Float[ArrayLike, "..."], y: Float[ArrayLike, "..."], depth_m, half_width_m
) -> Float[Array, "..."]:
    """Distance to the ellipse ``(x/b)^2 + (y/a)^2 = 1``, in m.

    Exact on the boundary with unit gradient there; away from it, the first-order approximation
    ``k0 (k0 - 1) / k1`` (Quilez), which is all the indicator needs since it saturates within a few
    widths. The closed-form exact distance needs a quartic root and is not smooth on the axes.
    """
    px = jnp.abs(x) / half_width_m
    py = jnp.abs(y) / depth_m
    k0 = euclidean_norm(px, py)
    k1 = euclidean_norm(px / half_width_m, py / depth_m)
    centre = k1 == 0
    approximate = k0 * (k0 - 1.0) / jnp.where(centre, 1.0, k1)
    return jnp.where(centre, -jnp.minimum(depth_m, half_width_m), approximate)


def triangle_sdf(x: Float[ArrayLike, "..."], y: Float[ArrayLike, "..."], depth_m, half_width_m) -> Float[Array, "..."]:
    """Exact distance to the triangle ``|x|/b + y/a <= 1`` (a rhombus once mirrored about y = 0), in m."""
    px, py = jnp.abs(x), jnp.abs(y)
    b, a = half_width_m, depth_m
    # Quilez's rhombus distance: project onto the edge from (b, 0) to (0, a).
    h = ((b - 2 * px) * b - (a - 2 * py) * a) / (b**2 + a**2)
    side = px * a + py * b - a * b
    # Closest point inside the edge: the signed distance to its line (smooth across the boundary);
    # beyond an end: the distance to that vertex.
    to_line = side / jnp.sqrt(a**2 + b**2)
    hc = jnp.clip(h, -1.0, 1.0)
    to_vertex = euclidean_norm(px - 0.5 * b * (1.0 - hc), py - 0.5 * a * (1.0 + hc)) * jnp.sign(side)
    return jnp.where(jnp.abs(h) < 1.0, to_line, to_vertex)


def rectangle_sdf(
    x: Float[ArrayLike, "..."],
    y: Float[ArrayLike, "..."],
    depth_m,
    half_width_m,
    tip_radius_m=0.0,
) -> Float[Array, "..."]:
    """Exact distance to the slot ``|x| <= b, y <= a`` with corners rounded to ``tip_radius_m``, in m."""
    qx = jnp.abs(x) - (half_width_m - tip_radius_m)
    qy = jnp.abs(y) - (depth_m - tip_radius_m)
    # Beyond a corner: the distance to it; elsewhere the nearer side, whose distance is linear (and so
    # differentiable even exactly on the boundary).
    beyond_corner = (qx > 0) & (qy > 0)
    corner = euclidean_norm(jnp.where(beyond_corner, qx, 1.0), jnp.where(beyond_corner, qy, 1.0))
    return jnp.where(beyond_corner, corner, jnp.maximum(qx, qy)) - tip_radius_m


def defect_sdf(
    shape: str,
) -> Callable[..., Float[Array, "..."]]:
    """The signed distance function of a shape name, ``f(x, y, depth_m, half_width_m, tip_radius_m)``."""
    if shape == "semi-ellipse":
        return lambda x, y, a, b, r=0.0: semi_ellipse_sdf(x, y, a, b)
    if shape == "triangle":
        return lambda x, y, a, b, r=0.0: triangle_sdf(x, y, a, b)
    if shape == "rectangle":
        return rectangle_sdf
    raise ValueError(f"geometry.shape = {shape!r} is not a known shape: choose one of {', '.join(SHAPES)}")


def smooth_indicator(sdf_m: Float[ArrayLike, "..."], width_m) -> Float[Array, "..."]:
    """Diffuse indicator of the region ``sdf < 0``: 1 inside, 0 outside, a tanh of width ``width_m``."""
    return 0.5 * (1.0 - jnp.tanh(sdf_m / width_m))


def pit_area_m2(shape: str, depth_m, half_width_m, tip_radius_m=0.0):
    """Closed-form area of the pit below ``y = 0`` (per unit length out of plane), in m^2."""
    if shape == "semi-ellipse":
        return jnp.pi * depth_m * half_width_m / 2.0
    if shape == "triangle":
        return depth_m * half_width_m
    if shape == "rectangle":
        return 2.0 * depth_m * half_width_m - (2.0 - jnp.pi / 2.0) * tip_radius_m**2
    raise ValueError(f"geometry.shape = {shape!r} is not a known shape: choose one of {', '.join(SHAPES)}")


def pit_volume_m3(shape: str, base: str, depth_m, half_width_m) -> Float[Array, ""]:
    """Closed-form volume of a 3D pit (sharp corners) below ``z = 0``, in m^3."""
    if base not in BASES:
        raise ValueError(f"geometry.base = {base!r} is not a known base: choose one of {', '.join(BASES)}")
    # Base area times the fraction of the circumscribing prism that the section fills.
    footprint = jnp.pi * half_width_m**2 if base == "round" else 4.0 * half_width_m**2
    if shape == "semi-ellipse" and base == "round":
        return 2.0 / 3.0 * footprint * depth_m
    if shape == "triangle":
        return footprint * depth_m / 3.0
    if shape == "rectangle":
        return footprint * depth_m
    raise ValueError(f"no closed-form volume for geometry.shape = {shape!r} with geometry.base = {base!r}")
