"""The 3D grid (solver/grid.py: Grid3D), its trilinear operators, 3D strain and the matrix-free solve.

References: exact measures of a box; trilinear interpolation and its gradient reproduce linear fields
exactly; the 2x2x2 Gauss rule integrates the trilinear weight x y z exactly; uniform dilatation and
simple shear give their textbook strains; Lame's pressurised sphere and the axisymmetric model
(ecmjax/validation/axisymmetric.py).
"""

import jax.numpy as jnp
import numpy as np
import pytest

from ecmjax.physics.elasticity import Strain, strain_energy_density_J_per_m3
from ecmjax.solver.fields.elasticity import strain_at_gauss_points
from ecmjax.solver.grid import Grid3D
from ecmjax.solver.operators import gradient_at_gauss_points, integrate_gauss, values_at_gauss_points
from ecmjax.validation import axisymmetric as validation_3d

GRID = Grid3D((4, 3, 5), 0.5, (0.25, -0.5, 0.0))
SIZE = (2.0, 1.5, 2.5)


def test_measures_sum_to_the_box():
    np.testing.assert_allclose(jnp.sum(GRID.node_measures()), np.prod(SIZE), rtol=1e-14)
    np.testing.assert_allclose(jnp.sum(GRID.boundary_node_measures()), SIZE[0] * SIZE[1], rtol=1e-14)
    ones = (jnp.ones(GRID.shape),) * 8
    np.testing.assert_allclose(integrate_gauss(GRID, ones), np.prod(SIZE), rtol=1e-14)


def test_trilinear_interpolation_and_gradient_reproduce_a_linear_field():
    x, y, z = GRID.node_coordinates_m()
    f = 2.0 * x - 3.0 * y + 0.5 * z + 1.0
    values = values_at_gauss_points(GRID, f)
    xc, yc, zc = GRID.cell_centres_m()
    offsets = (0.5 - 0.5 / np.sqrt(3.0), 0.5 + 0.5 / np.sqrt(3.0))
    points = [(a, b, c) for c in offsets for b in offsets for a in offsets]
    for sample, (a, b, c) in zip(values, points, strict=True):
        h = GRID.cell_size_m
        exact = 2.0 * (xc + (a - 0.5) * h) - 3.0 * (yc + (b - 0.5) * h) + 0.5 * (zc + (c - 0.5) * h) + 1.0
        np.testing.assert_allclose(sample, exact, rtol=1e-13, atol=1e-13)
    for component, slope in zip(gradient_at_gauss_points(GRID, f), (2.0, -3.0, 0.5), strict=True):
        for sample in component:
            np.testing.assert_allclose(sample, slope, rtol=1e-13)


def test_gauss_rule_integrates_xyz_exactly():
    # int x y z dV over [0.25, 2.25] x [-0.5, 1] x [0, 2.5] = (x^2/2)(y^2/2)(z^2/2) at the bounds.
    x, y, z = GRID.node_coordinates_m()
    product = values_at_gauss_points(GRID, x * y * z)  # trilinear: x y z is interpolated exactly
    exact = (2.25**2 - 0.25**2) / 2 * (1.0**2 - 0.5**2) / 2 * 2.5**2 / 2
    np.testing.assert_allclose(integrate_gauss(GRID, product), exact, rtol=1e-13)


def test_uniform_dilatation_and_simple_shear_strains():
    x, y, z = GRID.node_coordinates_m()
    eps, gamma = 1e-3, 2e-3
    for strain in strain_at_gauss_points(GRID, jnp.stack([eps * x, eps * y, eps * z])):
        for component in (strain.xx, strain.yy, strain.zz):
            np.testing.assert_allclose(component, eps, rtol=1e-12)
        for component in (strain.xy, strain.xz, strain.yz):
            np.testing.assert_allclose(component, 0.0, atol=1e-15)
    for strain in strain_at_gauss_points(GRID, jnp.stack([gamma * z, jnp.zeros_like(x), jnp.zeros_like(x)])):
        np.testing.assert_allclose(strain.xz, gamma / 2, rtol=1e-12)
        np.testing.assert_allclose(strain.xx + strain.yy + strain.zz + strain.xy + strain.yz, 0.0, atol=1e-15)


def test_isotropic_energy_of_a_3d_strain():
    # psi = lambda/2 (tr eps)^2 + mu eps:eps for an undamaged solid (Amor split with g = 1).
    mu, lam = 3.0, 2.0
    strain = Strain(xx=0.1, yy=-0.2, zz=0.05, xy=0.03, xz=-0.04, yz=0.02)
    trace = 0.1 - 0.2 + 0.05
    contraction = 0.1**2 + 0.2**2 + 0.05**2 + 2 * (0.03**2 + 0.04**2 + 0.02**2)
    np.testing.assert_allclose(strain_energy_density_J_per_m3(strain, mu, lam), lam / 2 * trace**2 + mu * contraction)


@pytest.mark.slow
def test_3d_sphere_agrees_with_axisymmetric_and_lame():
    # Issue 8: a hemispherical pit (a sphere under a mirror plane) in 3D and in the axisymmetric model
    # agree within 5%; 16 cells per radius. Measured: opening 0.12%, wall stress 0.04% apart; the 3D
    # opening is 1.8% below Lame's 4 pi a^2 p a / (4 mu) (axisymmetric at this resolution: 1.7%).
    for row in validation_3d.sphere_3d_cases():
        assert row.passed, f"{row.quantity} vs {row.source}: {row.value:.4g} vs {row.reference:.4g}"
