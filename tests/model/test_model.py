"""The initial state of a cell with a Li-filled pit (ecmjax/model.py)."""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import pytest

from ecmjax.config import load_config
from ecmjax.model.problems import solve_initial_state
from ecmjax.physics.constants import FARADAY_C_PER_MOL, LI_MOLAR_VOLUME_M3_PER_MOL

solve = eqx.filter_jit(solve_initial_state)


@pytest.fixture(scope="module")
def state(small_config):
    return solve(small_config)


def test_solves_converge(state):
    assert bool(state.potential_info.converged) and bool(state.elasticity_info.converged)


def test_charge_injected_is_plated_with_a_pit(state):
    # Charge conservation (docs/model.md case 6) with the diffuse pit walls: the current injected at the
    # counter electrode equals the total Butler-Volmer plating current, to the Newton tolerance.
    injected, plated = float(state.injected_current_A_per_m), float(state.plated_current_A_per_m)
    assert plated == pytest.approx(injected, rel=1e-7)


def test_current_focuses_into_the_pit(state):
    # The pit bottom is nearer the counter electrode (a shorter ionic path) than the flat anode, so it
    # plates faster. (Both are below j_app: charge transfer dominates at i0 = 50 A/m^2, so the current
    # spreads over the whole interface, which the pit lengthens.)
    current = np.asarray(state.interfacial_current_A_per_m2)
    assert current[0, 20] > current[-1, 0]  # (x, y) = (0, 1 um) and (1.6 um, 0)


def test_pit_pressure_shifts_the_wall_overpotential(small_case, state):
    # Stress-coupled Butler-Volmer: Li in the pit at p + 7.42 MPa per mV plates as if 1 mV less
    # polarised; raising the pit pressure by 20 mV worth must cut plating into the pit.
    base = load_config(None, small_case)
    mv20 = 20e-3 * FARADAY_C_PER_MOL / LI_MOLAR_VOLUME_M3_PER_MOL
    pressed = load_config(None, small_case + (f"operating.li_pressure_Pa={base.operating.li_pressure_Pa + mv20}",))
    low, high = state, solve(pressed)
    pit = lambda s: float(jnp.sum(s.interfacial_current_A_per_m2 * s.defect.node_indicator))
    assert pit(high) < 0.5 * pit(low)


def test_pressurised_pit_is_in_tension_at_its_wall(state):
    # Li at 5 MPa in a semicircular pit against a 5 MPa stack: the wall hoop stress is tensile and of
    # the order of the pressure (Lame gives p for a full hole in an infinite plate).
    assert 0.2 * 5e6 < float(state.peak_hoop_stress_Pa) < 3 * 5e6


def test_fixed_far_side_changes_little_far_from_the_pit(small_case, state):
    # The far side is 3.2 um from a 1 um pit: clamping it must not change the wall stress much.
    clamped = solve(load_config(None, small_case + ("domain.far_side_bc=fixed",)))
    free = state
    assert float(clamped.peak_hoop_stress_Pa) == pytest.approx(float(free.peak_hoop_stress_Pa), rel=0.1)


def test_periodic_cell_equals_its_mirrored_half(small_case, state):
    # A periodic row of symmetric pits is mirror-symmetric about each pit's axis and half-way between
    # pits, so the periodic full-width grid (nodes at the same x) must reproduce the mirrored half.
    periodic = solve(load_config(None, small_case + ("domain.lateral_bc=periodic", "grid.nx=64")))
    assert float(periodic.cell_voltage_V) == pytest.approx(float(state.cell_voltage_V), rel=1e-6)
    assert float(periodic.peak_hoop_stress_Pa) == pytest.approx(float(state.peak_hoop_stress_Pa), rel=1e-5)
    half = np.asarray(periodic.potential_V)[32:, :]  # x = 0 .. W/2 - h
    np.testing.assert_allclose(half, np.asarray(state.potential_V)[:-1, :], rtol=1e-6)
