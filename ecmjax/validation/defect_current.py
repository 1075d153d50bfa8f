"""Validation case 10: the plating current around a Li-filled pit, in the two limits of its distribution.

For the electrolyte, a semicircular pit of radius ``a`` full of Li and joined to the anode is a boss on a
flat electrode. With the pit's Li at the anode's pressure, the current from the far counter electrode
spreads over the Li as the Wagner number ``Wa = kinetic length / a`` says
(:func:`~ecmjax.physics.kinetics.kinetic_length_m`):

- ``Wa >> 1`` (slow kinetics; the built-in Li6PS5Cl cell has ``Wa`` of about 10^3): every Li surface
  carries the same density, ``j`` times the footprint over the Li's area.
- ``Wa -> 0`` (the primary distribution): the potential is that of a grounded half-cylinder (in ``(r, z)``,
  a hemisphere) on a plane in a uniform field, ``E y (1 - a^2 / r^2)`` (``E z (1 - a^3 / r^3)``), so the
  boss carries ``2 j sin(theta)`` (``3 j cos(theta)``) and draws 2 (3) times its footprint's share.

The cases run the production problem, :func:`~ecmjax.model.problems.potential_problem` on the configured
grid and diffuse pit, in a cell 8 radii wide (to its mirror) and 8 radii thick. The diffuse wall spreads
the reaction over a band of about three cells, which draws the primary current outward: the pit's
current converges at first order, from 29% above the closed form at ``h = a/8``; it is checked
Richardson-extrapolated from ``h = a/8, a/16, a/32``. A band cannot resolve where on the wall the
current goes when the kinetic length is below about 30 cells (docs/model.md, "Current on the walls").
"""

import dataclasses
import math

import jax
import jax.numpy as jnp

from ecmjax.config import load_config
from ecmjax.config.precision import verification_rtol
from ecmjax.model.measures import wall_peak_current_density_A_per_m2
from ecmjax.model.problems import build_grid, discretise_defect, newton_settings, potential_problem
from ecmjax.physics.kinetics import kinetic_length_m, symmetric_overpotential_V
from ecmjax.solver.fields.potential import interface_currents_A_per_m, solve_potential
from ecmjax.validation.common import CaseResult, converged_or_nan, observed_order

RADIUS_M = 1e-6
CELL_RADII = 8
"""The cell's half-width (to its mirror) and thickness, in pit radii."""
CURRENT_A_PER_M2 = 10.0
CONDUCTIVITY_S_PER_M = 0.04
SLOW_EXCHANGE_A_PER_M2 = 5.0
"""``Wa`` = 206: uniform to order ``1/Wa``, 0.5%."""
FAST_EXCHANGE_A_PER_M2 = 1e6
"""``Wa`` = 1.0e-3: primary to order ``Wa``."""

UNIFORM = (
    "uniform limit of the current distribution (Wagner number >> 1; Newman and Thomas-Alyea, Electrochemical"
    " Systems, 3rd ed. 2004, ch. 18): every Li surface carries j x footprint / Li area"
)
PRIMARY = (
    "primary distribution (Wagner number -> 0): a grounded half-cylinder (hemisphere) on a plane in a uniform"
    " field E, potential E y (1 - a^2/r^2) (E z (1 - a^3/r^3): Jackson, Classical Electrodynamics, 3rd ed. 1999,"
    " sec. 2.5), harmonic and zero on the Li; surface field 2 E sin (3 E cos): the pit draws 2 (3) times its"
    " footprint's share"
)


def _config(dimension: str, exchange_A_per_m2: float, cells_per_radius: int):
    h = RADIUS_M / cells_per_radius
    cells = CELL_RADII * cells_per_radius
    return load_config(
        None,
        (
            f"domain.dimension={dimension}",
            f"domain.width_m={2 * CELL_RADII * RADIUS_M}",
            f"domain.thickness_m={CELL_RADII * RADIUS_M}",
            f"grid.nx={cells}",
            f"grid.ny={cells}",
            "geometry.shape=semi-ellipse",
            f"geometry.depth_m={RADIUS_M}",
            "geometry.aspect_ratio=1",
            f"material.phase_field_length_m={max(2e-7, 2 * h)}",  # unused here, but must be resolved
            f"material.ionic_conductivity_S_per_m={CONDUCTIVITY_S_PER_M}",
            f"kinetics.exchange_current_A_per_m2={exchange_A_per_m2}",
            f"operating.current_density_A_per_m2={CURRENT_A_PER_M2}",
            "operating.li_pressure_Pa=5e6",
            "operating.stack_pressure_Pa=5e6",
        ),
    )


def solve_pit_current(dimension: str, exchange_A_per_m2: float, cells_per_radius: int) -> tuple[float, float]:
    """The pit's current over its footprint's share (``j a`` per unit depth, or ``j pi a^2``), and the
    walls' peak current density over ``j``."""
    config = _config(dimension, exchange_A_per_m2, cells_per_radius)
    grid = build_grid(config)
    defect = discretise_defect(config, grid)
    problem = potential_problem(config, grid, defect, config.operating.li_pressure_Pa)
    anode = symmetric_overpotential_V(CURRENT_A_PER_M2, exchange_A_per_m2, config.operating.temperature_K)
    solver = dataclasses.replace(newton_settings(config, grid), rtol=verification_rtol(defect.node_indicator.dtype))
    phi, info = jax.jit(solve_potential)(problem, jnp.full(grid.node_shape, -anode), solver)
    phi = converged_or_nan(phi, info, "potential")
    footprint = math.pi * RADIUS_M**2 if dimension == "axisymmetric" else RADIUS_M
    ratio = float(interface_currents_A_per_m(phi, problem)[0]) / (CURRENT_A_PER_M2 * footprint)
    return ratio, float(wall_peak_current_density_A_per_m2(grid, phi, problem)) / CURRENT_A_PER_M2


def wall_over_footprint(dimension: str) -> float:
    """The pit's wall over its footprint: ``(pi a / 2) / a``, or ``2 pi a^2 / (pi a^2)``."""
    return 2.0 if dimension == "axisymmetric" else 0.5 * math.pi


def uniform_density_ratio(dimension: str) -> float:
    """``j_uniform / j``: the footprint over the Li's area (the anode beside the pit and the pit's wall)."""
    a, half_width = RADIUS_M, CELL_RADII * RADIUS_M
    if dimension == "axisymmetric":
        return half_width**2 / (half_width**2 - a**2 + 2.0 * a**2)
    return half_width / (half_width - a + 0.5 * math.pi * a)


def uniform_limit_cases() -> list[CaseResult]:
    rows = []
    config = _config("plane-strain", SLOW_EXCHANGE_A_PER_M2, 16)
    kinetics = config.kinetics
    length = kinetic_length_m(
        config.material.ionic_conductivity_S_per_m,
        kinetics.exchange_current_A_per_m2,
        kinetics.alpha_a,
        kinetics.alpha_c,
        config.operating.temperature_K,
    )
    wagner = float(length) / RADIUS_M
    for dimension in ("plane-strain", "axisymmetric"):
        ratio, peak = solve_pit_current(dimension, SLOW_EXCHANGE_A_PER_M2, 16)
        uniform = uniform_density_ratio(dimension)
        case = f"defect-current, {dimension}, Wa = {wagner:.0f}, h = a/16"
        share = uniform * wall_over_footprint(dimension)
        rows.append(CaseResult(case, "pit's current / its footprint's share", ratio, share, 0.01, UNIFORM))
        rows.append(CaseResult(case, "walls' peak current density / j", peak, uniform, 0.01, UNIFORM))
    return rows


def primary_limit_cases(resolutions: tuple[int, ...] = (8, 16, 32)) -> list[CaseResult]:
    rows = []
    for dimension, exact in (("plane-strain", 2.0), ("axisymmetric", 3.0)):
        ratios = [solve_pit_current(dimension, FAST_EXCHANGE_A_PER_M2, n)[0] for n in resolutions]
        changes = [abs(ratios[i + 1] - ratios[i]) for i in range(len(ratios) - 1)]
        order = observed_order(changes, resolutions[1:])
        extrapolated = ratios[-1] - (ratios[-2] - ratios[-1]) / (2.0**order - 1.0)
        rows.append(
            CaseResult(
                f"defect-current, {dimension}, Wa = 1e-3, h = a/{'/'.join(map(str, resolutions))}",
                f"pit's current / its footprint's share, extrapolated (order {order:.2f};"
                f" {', '.join(f'{r:.4f}' for r in ratios)})",
                extrapolated,
                exact,
                0.03,
                PRIMARY,
            )
        )
    return rows


def defect_current_cases() -> list[CaseResult]:
    return uniform_limit_cases() + primary_limit_cases()
