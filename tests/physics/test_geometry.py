"""Defect geometry: signed distances and the differentiable indicator (physics/geometry.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ecmjax.physics.geometry import SHAPES, defect_sdf, pit_area_m2, smooth_indicator
from ecmjax.solver.grid import Grid

DEPTH_M = 1e-6
CELL_M = 50e-9  # the default grid's cell size
GRID = Grid((80, 60), CELL_M)  # 4 um x 3 um half-domain, x >= 0, y >= 0


def indicator_area_m2(shape: str, depth_m, aspect_ratio):
    """Area of the pit below y = 0 from the diffuse indicator, by the midpoint rule on the grid."""
    x, y = GRID.cell_centres_m()
    sdf = defect_sdf(shape)(x, y, depth_m, depth_m / aspect_ratio, 0.0)
    return 2.0 * jnp.sum(smooth_indicator(sdf, CELL_M)) * CELL_M**2  # x2: the grid holds x >= 0


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("aspect_ratio", [0.5, 1.0, 2.0])
def test_area_gradient_matches_closed_form(shape, aspect_ratio):
    # Closed forms: semi-ellipse pi a b / 2, triangle a b, rectangle 2 a b, with b = a / AR
    # (docs/model.md section 2). The indicator's integral and its jax.grad must match within 1%.
    area = lambda a, ar: pit_area_m2(shape, a, a / ar)
    numeric = jax.grad(indicator_area_m2, argnums=(1, 2))(shape, DEPTH_M, aspect_ratio)
    exact = jax.grad(area, argnums=(0, 1))(DEPTH_M, aspect_ratio)
    assert indicator_area_m2(shape, DEPTH_M, aspect_ratio) == pytest.approx(area(DEPTH_M, aspect_ratio), rel=0.01)
    for got, want in zip(numeric, exact, strict=True):
        assert float(got) == pytest.approx(float(want), rel=0.01)


@pytest.mark.parametrize("shape", SHAPES)
def test_distance_is_zero_on_the_boundary_and_signed(shape):
    a, b = DEPTH_M, 0.5 * DEPTH_M
    sdf = defect_sdf(shape)
    # Points on each boundary (y >= 0 half): the deepest point and the mouth corner.
    for x, y in [(0.0, a), (b, 0.0)]:
        assert abs(float(sdf(x, y, a, b))) < 1e-12 * a
    assert float(sdf(0.0, 0.0, a, b)) < 0  # inside
    assert float(sdf(2 * b, 2 * a, a, b)) > 0  # outside


@pytest.mark.parametrize("shape", ["triangle", "rectangle"])
def test_exact_distances_have_unit_gradient(shape):
    # The triangle (rhombus) and rectangle distances are exact (Quilez): |grad sdf| = 1 away from the
    # medial axis.
    a, b = DEPTH_M, 0.5 * DEPTH_M
    grad = jax.grad(lambda p: defect_sdf(shape)(p[0], p[1], a, b))
    for point in [(0.3 * b, 1.2 * a), (1.4 * b, 0.2 * a), (0.1 * b, 0.5 * a)]:
        assert float(jnp.linalg.norm(grad(jnp.array(point)))) == pytest.approx(1.0, abs=1e-9)


def test_indicator_is_a_smooth_step():
    s = jnp.linspace(-10, 10, 201) * CELL_M
    chi = np.asarray(smooth_indicator(s, CELL_M))
    assert chi[0] == pytest.approx(1.0, abs=1e-8) and chi[-1] == pytest.approx(0.0, abs=1e-8)
    assert chi[100] == pytest.approx(0.5)
    assert np.all(np.diff(chi) < 0)
