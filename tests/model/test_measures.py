"""The crack tip that decides failure (ecmjax/measures.py): only a localised crack joined to the pit counts.

Synthetic fields on a small grid with the answers worked out by hand (linear interpolation between
nodes), so each case pins one rule of the measure.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ecmjax.model.measures import LOCALISED, crack_tip_depth_m, damage_extents, short_circuit_damage
from ecmjax.solver.grid import Grid

H_M = 0.1e-6
GRID = Grid((8, 40), H_M)
X, Y = GRID.node_coordinates_m()
PIT_DEPTH_M = 1.0e-6
PIT = jnp.where((X <= 0.3e-6 + 1e-12) & (Y <= PIT_DEPTH_M + 1e-12), 1.0, 0.0)
"""A sharp rectangular pit, 1 um deep: its indicator falls from 1 to 0 between y = 1.0 and 1.1 um."""


def column_crack(tip_m, below=0.5):
    """``d = 1`` on the mirror column down to ``tip_m`` (a node), ``below`` at the next node, 0 deeper."""
    on_axis = X < 1e-12
    return jnp.where(on_axis & (Y <= tip_m + 1e-12), 1.0, jnp.where(on_axis & (Y <= tip_m + H_M + 1e-12), below, 0.0))


def test_pit_alone_is_its_own_tip():
    # chi falls 1 -> 0 over one cell below 1.0 um: it crosses 0.9 a tenth of a cell down.
    tip = crack_tip_depth_m(GRID, PIT, jnp.zeros_like(PIT))
    assert float(tip) == pytest.approx(PIT_DEPTH_M + 0.1 * H_M, rel=1e-12)


def test_localised_crack_tip_is_interpolated_at_09():
    # d falls 1 -> 0.5 between 3.0 and 3.1 um: it crosses 0.9 at a fifth of the cell.
    tip = crack_tip_depth_m(GRID, PIT, column_crack(3.0e-6))
    assert float(tip) == pytest.approx(3.0e-6 + 0.2 * H_M, rel=1e-12)


def test_diffuse_damage_is_no_crack():
    # A band of d = 0.8 reaching the far side has not localised: the pit stays the tip (max(chi, d)
    # falls 1 -> 0.8 below it, through 0.9 half a cell down).
    diffuse = jnp.where(Y > PIT_DEPTH_M, 0.8, 0.0)
    tip = crack_tip_depth_m(GRID, PIT, diffuse)
    assert float(tip) == pytest.approx(PIT_DEPTH_M + 0.5 * H_M, rel=1e-12)
    # ... though it counts as damage for the extents (d >= 0.5).
    assert float(damage_extents(GRID, diffuse, PIT < 0.5).depth_extent_m) > 2e-6


def test_crack_not_joined_to_the_pit_does_not_count():
    # A broken patch deep in the electrolyte, separated from the pit by intact material.
    patch = jnp.where((X < 1e-12) & (Y >= 2.5e-6) & (Y <= 3.5e-6 + 1e-12), 1.0, 0.0)
    tip = crack_tip_depth_m(GRID, PIT, patch)
    assert float(tip) == pytest.approx(PIT_DEPTH_M + 0.1 * H_M, rel=1e-12)
    # Joined by a localised ligament, the same patch is the tip.
    joined = jnp.maximum(patch, column_crack(3.5e-6, below=0.0))
    assert float(crack_tip_depth_m(GRID, PIT, joined)) == pytest.approx(3.5e-6 + 0.1 * H_M, rel=1e-12)


def test_tip_moves_continuously_with_the_damage_below_it():
    # As the next node's damage rises towards 0.9 the tip slides to it (no jump of a cell).
    tips = [float(crack_tip_depth_m(GRID, PIT, column_crack(3.0e-6, below=b))) for b in (0.5, 0.8, 0.89)]
    assert tips[0] < tips[1] < tips[2] < 3.0e-6 + H_M
    assert tips[2] == pytest.approx(3.0e-6 + (0.1 / 0.11) * H_M, rel=1e-12)


def test_crack_through_to_the_far_side_is_at_the_far_side():
    # Connected d = 1 from the pit to the last node: no node below it to fall through 0.9.
    through = jnp.where(X < 1e-12, 1.0, 0.0)
    assert float(crack_tip_depth_m(GRID, PIT, through)) == pytest.approx(float(Y[0, -1]), rel=1e-12)


def test_the_short_circuit_indicator_reaches_its_level_exactly_when_the_tip_reaches_the_depth():
    # Random damage near the percolation of d >= 0.9 (cracks of every shape and gap occur), at depths on and between
    # nodes: the indicator is at or above LOCALISED exactly when the tip is at or below the depth.
    noise = jax.random.uniform(jax.random.PRNGKey(0), (200, *GRID.node_shape))
    damage = 0.82 + 0.1 * (noise + jnp.roll(noise, 1, axis=2))  # about 0.6 of the nodes at or above 0.9
    depth = PIT_DEPTH_M + jnp.linspace(0.35e-6, 2.5e-6, 200)
    # The sharp pit, and a smooth one whose indicator falls from 1 to 0 over two cells (the pit's nodes at
    # chi 0.5 and its damage below 0.9 are the pit's all the same).
    smooth = jnp.where(X <= 0.3e-6 + 1e-12, jnp.clip((PIT_DEPTH_M + 0.1e-6 - Y) / 0.2e-6, 0.0, 1.0), 0.0)
    for pit in (PIT, smooth):
        tip = jax.jit(jax.vmap(lambda d, pit=pit: crack_tip_depth_m(GRID, pit, d)))(damage)
        level = jax.jit(jax.vmap(lambda d, y, pit=pit: short_circuit_damage(GRID, pit, d, y)))(damage, depth)
        np.testing.assert_array_equal(np.asarray(tip >= depth), np.asarray(level >= LOCALISED))
        assert 20 < int(jnp.sum(tip >= depth)) < 180  # both answers occur


def test_the_short_circuit_indicator_is_the_weakest_node_on_the_way():
    # A crack down the mirror column to 3.0 um, then a gap node at 0.7 (3.1 um), then d = 1 to the far side:
    # the path to 3.5 um is limited by the gap, and its derivative is the gap's (the tip itself jumps from
    # 3.0 um to the far side as the gap passes LOCALISED).
    on_axis = X < 1e-12
    damage = jnp.where(on_axis, jnp.where(jnp.abs(Y - 3.1e-6) < 1e-12, 0.7, 1.0), 0.0)
    indicator = lambda d: short_circuit_damage(GRID, PIT, d, 3.5e-6)
    gap = on_axis & (jnp.abs(Y - 3.1e-6) < 1e-12)
    value, slope = jax.jvp(indicator, (damage,), (gap.astype(damage.dtype),))
    assert float(value) == pytest.approx(0.7, rel=1e-12) and float(slope) == pytest.approx(1.0, rel=1e-12)
    # The tip stops at the gap: 1 -> 0.7 crosses 0.9 a third of the cell below 3.0 um.
    assert float(crack_tip_depth_m(GRID, PIT, damage)) == pytest.approx(3.0e-6 + H_M / 3, rel=1e-12)


def test_the_walls_peak_current_is_the_walls_own_not_the_anodes(small_case):
    # A pit's Li at 5 MPa over an anode at 1 kPa, fast kinetics (i0 = 1000 A/m^2): beside the mouth the
    # pit's walls strip and the anode plates; the crest still plates. The anode-row nodes beside the mouth
    # carry a sliver of wall; averaged over both interfaces (the measure before this one) they read the
    # anode's 1.66 j there as the walls' peak. The walls' own peak is at the crest: measured 0.51 j.
    from ecmjax.config import load_config
    from ecmjax.model.measures import wall_peak_current_density_A_per_m2, wetted_walls
    from ecmjax.model.problems import build_grid, discretise_defect, newton_settings, potential_problem
    from ecmjax.solver.fields.potential import interfacial_current_A_per_m2, solve_potential

    overrides = (
        "geometry.aspect_ratio=2",
        "kinetics.exchange_current_A_per_m2=1000",
        "operating.stack_pressure_Pa=1e3",
    )
    config = load_config(None, (*small_case, *overrides))
    grid = build_grid(config)
    problem = potential_problem(config, grid, discretise_defect(config, grid), 5e6)
    phi, info = solve_potential(problem, jnp.zeros(grid.node_shape), newton_settings(config, grid))
    assert bool(info.converged)
    wall, anode = interfacial_current_A_per_m2(phi, problem)
    wetted = wetted_walls(grid, problem)
    anode_row = wetted & (problem.interface_length_m[1] > 0)
    assert float(jnp.min(jnp.where(wetted, wall, jnp.inf))) < 0.0  # walls strip beside the mouth
    least_anode = float(jnp.min(jnp.where(anode_row, anode, jnp.inf)))
    peak = float(wall_peak_current_density_A_per_m2(grid, phi, problem))
    where = np.unravel_index(int(jnp.argmax(jnp.where(wetted, wall, -jnp.inf))), wall.shape)
    assert where[1] > 0  # off the anode row: at the crest
    assert 0.0 < peak < least_anode
