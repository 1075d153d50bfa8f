"""The coupled model on 3D grids (``domain.dimension = "3d"``): configuration, pit shapes, the dimension-
generic pieces (nodal gradient, connectivity, meridional hoop stress, mirror planes) and the initial state.

References: closed-form volumes of the semi-spheroid, cone, square pyramid and square box; exact
gradients of linear fields; the 2D hoop stress on the mirror plane and its invariance under rotation
about the depth axis; charge conservation; the force balance of the free platen.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ecmjax.config import ConfigError, load_config
from ecmjax.model.problems import build_grid, discretise_defect, elasticity_problem, solve_initial_state
from ecmjax.physics.elasticity import Stress
from ecmjax.physics.geometry import defect_sdf, lateral_distance, pit_volume_m3, smooth_indicator
from ecmjax.solver.connectivity import connected_to
from ecmjax.solver.fields.elasticity import cavity_opening_m2
from ecmjax.solver.grid import Grid, Grid3D
from ecmjax.solver.operators import nodal_gradient

SMALL_3D = (
    "domain.dimension=3d",
    "domain.width_m=3.2e-6",
    "domain.thickness_m=3.2e-6",
    "grid.nx=16",
    "grid.ny=32",
    "geometry.depth_m=0.8e-6",
    "material.name=llzo",
    "kinetics.exchange_current_A_per_m2=50",
    "solver.preconditioner=jacobi",
)
"""h = 0.1 um: a 16 x 16 x 32 quarter of a 3.2 um cube, an 8-cell-deep pit."""


def test_config_selects_a_quarter_domain_3d_grid():
    grid = build_grid(load_config(overrides=SMALL_3D))
    assert isinstance(grid, Grid3D) and grid.shape == (16, 16, 32)
    np.testing.assert_allclose(grid.cell_size_m, 0.1e-6)
    assert grid.origin_m == (0.0, 0.0, 0.0)


def test_config_refuses_periodic_3d_and_square_bases_outside_3d():
    with pytest.raises(ConfigError, match="domain.lateral_bc = 'periodic' is not allowed with domain.dimension = '3d'"):
        load_config(overrides=[*SMALL_3D, "domain.lateral_bc=periodic"])
    with pytest.raises(ConfigError, match="geometry.base = 'square' is not allowed with domain.dimension = 'axisym"):
        load_config(overrides=["domain.dimension=axisymmetric", "geometry.base=square"])
    with pytest.raises(ConfigError, match="geometry.base"):
        load_config(overrides=["geometry.base=hexagon"])


@pytest.mark.parametrize(
    ("shape", "base"),
    [("semi-ellipse", "round"), ("triangle", "round"), ("triangle", "square"), ("rectangle", "square")],
)
def test_pit_volumes_match_the_closed_forms(shape, base):
    # Semi-spheroid 2/3 pi b^2 a, cone pi b^2 a / 3, square pyramid (2b)^2 a / 3, square box (2b)^2 a.
    # The diffuse indicator (width h) integrated over the quarter domain (x4) converges to them at second
    # order: measured errors 0.62%, 1.24%, 1.30%, 0.63% at h = a/20 and a quarter of that at a/40
    # (observed orders 2.00 +/- 0.01).
    depth, aspect_ratio = 1.0, 1.0
    exact = pit_volume_m3(shape, base, depth, depth / aspect_ratio)
    errors = []
    for cells in (32, 64):
        h = 1.6 / cells
        grid = Grid3D((cells, cells, cells), h)
        x, y, z = grid.node_coordinates_m()
        sdf = defect_sdf(shape)(lateral_distance(x, y, base), z, depth, depth / aspect_ratio, 0.0)
        errors.append(abs(float(4.0 * jnp.sum(grid.node_measures() * smooth_indicator(sdf, h))) / exact - 1.0))
    assert errors[1] < 0.4e-2
    assert np.log2(errors[0] / errors[1]) == pytest.approx(2.0, abs=0.1)


def test_square_pyramid_distance_is_exact_on_and_inside_its_faces():
    # The face |x| / b + z / a = 1 (|y| <= |x|): the distance to its plane is the pyramid's distance.
    a, b = 1.0, 0.5
    sdf = lambda x, y, z: defect_sdf("triangle")(lateral_distance(x, y, "square"), z, a, b)
    normal = np.array([a, 0.0, b]) / np.hypot(a, b)
    for x, y, z in [(0.25, 0.1, 0.5), (0.3, -0.2, 0.4), (0.1, 0.05, 0.3)]:
        to_plane = (np.array([x, y, z]) @ normal) - a * b / np.hypot(a, b)
        np.testing.assert_allclose(sdf(x, y, z), to_plane, atol=1e-15)
        np.testing.assert_allclose(sdf(y, x, z), to_plane, atol=1e-15)  # the face |y| / b + z / a = 1
    assert sdf(0.25, 0.0, 0.5) == pytest.approx(0.0, abs=1e-15)


def test_nodal_gradient_of_a_linear_field_in_3d():
    grid = Grid3D((4, 5, 6), 0.5)
    x, y, z = grid.node_coordinates_m()
    gx, gy, gz = (np.asarray(g) for g in nodal_gradient(grid, 2.0 * x - 3.0 * y + 0.5 * z))
    # Central differences are exact inside; the mirrored sides have zero slope across them.
    np.testing.assert_allclose(gx[1:-1], 2.0, rtol=1e-12)
    np.testing.assert_allclose(gx[[0, -1]], 0.0, atol=1e-12)
    np.testing.assert_allclose(gy[:, 1:-1], -3.0, rtol=1e-12)
    np.testing.assert_allclose(gy[:, [0, -1]], 0.0, atol=1e-12)
    np.testing.assert_allclose(gz, 0.5, rtol=1e-12)  # one-sided at the anode and far side: still exact


def test_nodal_gradient_in_2d_is_the_same_function():
    grid = Grid((5, 4), 0.25)
    x, y = grid.node_coordinates_m()
    gx, gy = nodal_gradient(grid, x**2 + y)
    np.testing.assert_allclose(gx[1:-1], 2.0 * x[1:-1], rtol=1e-12)
    np.testing.assert_allclose(gy, 1.0, rtol=1e-12)


def test_connectivity_follows_face_neighbours_in_3d():
    grid = Grid3D((4, 4, 4), 1.0)
    seed = jnp.zeros(grid.node_shape, bool).at[0, 0, 0].set(True)
    region = jnp.zeros(grid.node_shape, bool)
    region = region.at[1:4, 0, 0].set(True).at[3, 1:4, 0].set(True).at[3, 3, 1:5].set(True)  # an L path up in z
    region = region.at[4, 4, 4].set(True)  # touching the path's end only diagonally: not connected
    joined = connected_to(grid, seed, region)
    assert bool(joined[3, 3, 4]) and int(jnp.sum(joined)) == 1 + 3 + 3 + 4
    assert not bool(joined[4, 4, 4])


def test_meridional_hoop_stress_in_3d():
    rng = np.random.default_rng(0)
    xx, yy, zz, xy, xz, yz = rng.normal(size=6)
    stress = Stress(xx=xx, yy=yy, zz=zz, xy=xy, xz=xz, yz=yz)
    # On the mirror plane y = 0 it is the 2D hoop stress of the (x, z) section.
    section = Stress(xx=xx, yy=zz, xy=xz, zz=yy)
    np.testing.assert_allclose(stress.hoop_Pa(0.3, 0.0, 0.7), section.hoop_Pa(0.3, 0.7), rtol=1e-13)
    # Rotating the stress and the point by 90 degrees about z (x -> y, y -> -x) leaves it unchanged.
    rotated = Stress(xx=yy, yy=xx, zz=zz, xy=-xy, xz=-yz, yz=xz)
    np.testing.assert_allclose(rotated.hoop_Pa(0.0, 0.3, 0.7), stress.hoop_Pa(0.3, 0.0, 0.7), rtol=1e-13)
    # On the axis the radial direction is x.
    np.testing.assert_allclose(stress.hoop_Pa(0.0, 0.0, 0.7), xx, rtol=1e-13)


def test_mirror_planes_and_free_platen_of_the_3d_elastic_problem():
    config = load_config(overrides=SMALL_3D)
    grid = build_grid(config)
    defect = discretise_defect(config, grid)
    problem = elasticity_problem(config, grid, defect, 100e6)
    fixed = np.asarray(problem.fixed)
    assert fixed[0][[0, -1]].all() and fixed[1][:, [0, -1]].all()  # u_x on the x sides, u_y on the y sides
    assert not fixed[2, 1:, 1:, :].any() and fixed[:, 0, 0, -1].all()  # u_z free but for the pinned node
    # The platen's uniform pressure balances the stack pressure and the Li pressure on the pit's walls.
    areas = grid.boundary_node_measures()
    lift = jnp.zeros((3,) + grid.node_shape).at[2].set(1.0)
    on_walls = 100e6 * cavity_opening_m2(grid, lift, defect.node_indicator)
    upward = jnp.sum(areas * problem.bottom_traction_Pa[2]) + on_walls
    np.testing.assert_allclose(jnp.sum(areas * problem.top_traction_Pa[2]), -upward, rtol=1e-12)


def test_initial_state_conserves_charge_in_3d():
    # Charge conservation: the plating current on every Li/electrolyte interface equals the current
    # injected at the counter electrode (the potential's residual is solved to rtol 1e-8).
    state = jax.jit(solve_initial_state)(load_config(overrides=[*SMALL_3D, "operating.li_pressure_Pa=100e6"]))
    assert int(state.potential_info.iterations) <= 5 and bool(state.elasticity_info.converged)
    np.testing.assert_allclose(state.plated_current_A_per_m, state.injected_current_A_per_m, rtol=1e-8)
    np.testing.assert_allclose(state.injected_current_A_per_m, 20.0 * (1.6e-6) ** 2, rtol=1e-12)
    assert state.hoop_stress_Pa.shape == (16, 16, 32)
    assert 0.0 < float(state.peak_hoop_stress_Pa) < 100e6
