"""Fragments that cracks cut off from the bulk: found, and held at their last displacement.

A shallow triangle's cracks cut off a wedge of electrolyte that only the residual stiffness holds
(docs/model.md, "Detached fragments"); its rigid-body motions stalled the elastic solve. These pin down
which cells count as cut off (a discrete, topological mask) and that the elastic problem holds exactly
those nodes.
"""

import jax.numpy as jnp
import numpy as np

from ecmjax.config import load_config
from ecmjax.model.problems import build_grid, discretise_defect, elasticity_problem
from ecmjax.solver.connectivity import detached_nodes, nodes_of_cells
from ecmjax.solver.grid import Grid, Grid3D


def ringed_block(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Solid cells, except a one-cell-thick soft shell around a block of cells 2..3 (each axis but the
    last) by 0..1 (the last: the anode side, y = 0), open only at y = 0; and the block's cells."""
    solid = np.ones(shape, bool)
    shell = tuple(slice(1, 5) for _ in shape[:-1]) + (slice(0, 3),)
    block = tuple(slice(2, 4) for _ in shape[:-1]) + (slice(0, 2),)
    solid[shell] = False
    solid[block] = True
    inside = np.zeros(shape, bool)
    inside[block] = True
    return solid, inside


def test_a_block_ringed_by_soft_cells_is_detached_and_its_nodes_are_exactly_its_own():
    for grid in (Grid((8, 8), 1.0), Grid3D((8, 8, 8), 1.0)):
        solid, block = ringed_block(grid.shape)
        detached = np.asarray(detached_nodes(grid, jnp.asarray(solid)))
        # The block's corners, which no held cell shares (the shell is one cell thick).
        expected = np.zeros(grid.node_shape, bool)
        expected[tuple(slice(2, 5) for _ in grid.shape[:-1]) + (slice(0, 3),)] = True
        np.testing.assert_array_equal(detached, expected)
        np.testing.assert_array_equal(np.asarray(nodes_of_cells(grid, jnp.asarray(block))), expected)


def test_a_bridge_of_one_solid_cell_holds_the_block():
    for grid in (Grid((8, 8), 1.0), Grid3D((8, 8, 8), 1.0)):
        solid, _ = ringed_block(grid.shape)
        solid[(4,) + (2,) * (len(grid.shape) - 2) + (1,)] = True  # one shell cell beside the block, made solid
        assert not np.any(np.asarray(detached_nodes(grid, jnp.asarray(solid))))


def test_a_block_touching_only_at_an_edge_is_still_detached():
    # Cells that share a node or an edge but no face hold each other only at a hinge: still loose.
    grid = Grid((8, 8), 1.0)
    solid, _ = ringed_block(grid.shape)
    solid[4, 2] = True  # diagonal to the block's corner cell (3, 1), face-joined to the bulk at (5, 2)
    detached = np.asarray(detached_nodes(grid, jnp.asarray(solid)))
    assert detached[2, 0] and not detached[4, 2]  # the shared corner node is held through the bulk


SMALL = (
    "domain.width_m=3.2e-6",
    "grid.nx=16",
    "domain.thickness_m=3.2e-6",
    "grid.ny=32",
    "geometry.depth_m=0.8e-6",
    "geometry.shape=triangle",
)
"""h = 0.1 um; a triangle pit 0.8 um deep whose mouth reaches node x = 8."""


def test_the_elastic_problem_holds_a_cut_off_wedge_at_the_last_displacement():
    # Broken bands two nodes wide (x = 7, 8 and 14, 15 down to y = 6; y = 5, 6 between them) cut off
    # the electrolyte beside the pit's mouth: the cells x 8..13, y 0..4, held by none of their faces.
    config = load_config(overrides=SMALL)
    grid = build_grid(config)
    defect = discretise_defect(config, grid)
    damage = np.zeros(grid.node_shape)
    damage[7:9, 0:7] = damage[14:16, 0:7] = damage[7:16, 5:7] = 1.0
    damage = jnp.asarray(damage)
    last = jnp.asarray(np.random.default_rng(0).normal(size=(2, *grid.node_shape)) * 1e-9)
    free = elasticity_problem(config, grid, defect, 1e8, damage, damage)
    held = elasticity_problem(config, grid, defect, 1e8, damage, damage, last)
    newly_fixed = np.asarray(held.fixed & ~free.fixed)
    # Both components of the wedge's nodes (the corners of its cells), nothing else.
    wedge = np.zeros(grid.node_shape, bool)
    wedge[8:15, 0:6] = True
    np.testing.assert_array_equal(newly_fixed, np.stack([wedge & ~np.asarray(free.fixed[0]), wedge]))
    held_at = np.asarray(held.prescribed_displacement_m)[newly_fixed]
    np.testing.assert_array_equal(held_at, np.asarray(last)[newly_fixed])
    # Switched off by a zero threshold: every cell holds.
    off = load_config(overrides=(*SMALL, "damage.fragment_stiffness_ratio=0"))
    assert not np.any(np.asarray(elasticity_problem(off, grid, defect, 1e8, damage, damage, last).fixed & ~free.fixed))
