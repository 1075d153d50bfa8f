"""Validation case 1: pressurised and remotely loaded elliptic holes against Lame and Inglis.

An elliptic hole (semi-axes ``a`` along x, ``b`` along y) centred at the origin, on the quarter
``x, y >= 0`` (:func:`ecmjax.validation.common.quarter_plane_problem`) with the exact infinite-plate
displacement on the outer sides: wall hoop stresses against Lame and Inglis, and the grid convergence of
the pressurised circle's opening.
"""

import dataclasses
import math

import jax.numpy as jnp

from ecmjax.physics.elasticity import lame_parameters_Pa, void_stiffness
from ecmjax.physics.geometry import semi_ellipse_sdf, smooth_indicator
from ecmjax.physics.references import (
    EllipticHoleSolution,
    inglis_pressurised_tip_stress_Pa,
    inglis_tension_concentration,
)
from ecmjax.solver.fields.elasticity import cavity_opening_m2, cell_stress_Pa
from ecmjax.solver.grid import Grid
from ecmjax.solver.operators import max_on_contour
from ecmjax.validation.common import (
    POISSON_RATIO,
    PRESSURE_PA,
    YOUNGS_MODULUS_PA,
    CaseResult,
    observed_order,
    quarter_plane_problem,
    solve_quarter_plane,
)


@dataclasses.dataclass(frozen=True)
class HoleSolution:
    """Figures of one elliptic-hole solve: the peak wall hoop stress and the quarter's opening (SI units)."""

    wall_hoop_stress_Pa: float
    opening_m2: float
    krylov_iterations: int
    cells: tuple[int, int]


def solve_elliptic_hole(
    a_m: float, b_m: float, cells_per_tip_radius: float, pressure_Pa: float = 0.0, remote_stress_Pa: float = 0.0
) -> HoleSolution:
    """Peak wall hoop stress and opening of an elliptic hole, on cells of ``rho / cells_per_tip_radius``.

    ``rho = b^2 / a`` is the tip radius of curvature; the box extends ``a/2`` beyond the hole.
    """
    h = (b_m**2 / a_m) / cells_per_tip_radius
    shape = (round((a_m + 0.5 * a_m) / h), round((b_m + 0.5 * a_m) / h))
    grid = Grid(shape, jnp.asarray(h))
    x, y = grid.node_coordinates_m()
    xc, yc = grid.cell_centres_m()
    chi = smooth_indicator(semi_ellipse_sdf(x, y, b_m, a_m), h)
    chi_cells = smooth_indicator(semi_ellipse_sdf(xc, yc, b_m, a_m), h)
    mu, lam = lame_parameters_Pa(YOUNGS_MODULUS_PA, POISSON_RATIO)
    stiffness = void_stiffness(chi_cells, 1e-6)

    exact = EllipticHoleSolution(a_m, b_m, YOUNGS_MODULUS_PA, POISSON_RATIO, pressure_Pa, remote_stress_Pa)
    problem = quarter_plane_problem(grid, exact, mu * stiffness, lam * stiffness, jnp.ones(shape), chi, pressure_Pa)
    u, info = solve_quarter_plane(problem)
    hoop = cell_stress_Pa(problem, u, solid=True).hoop_Pa(xc, yc)
    return HoleSolution(
        wall_hoop_stress_Pa=float(max_on_contour(hoop, chi_cells)),
        opening_m2=float(cavity_opening_m2(grid, u, chi)),
        krylov_iterations=int(info.krylov_iterations),
        cells=shape,
    )


LAME = "Lame (1852): pressurised circular hole in an infinite plate, hoop stress p at the wall"
INGLIS = "Inglis (1913): pressurised elliptic hole, hoop stress p (2a/b - 1) at the major-axis tip"
KIRSCH_INGLIS = "Inglis (1913): elliptic hole under remote tension, Kt = 1 + 2a/b"
LAME_OPENING = "Lame (1852), plane strain: wall displacement p r / (2 mu), quarter opening (pi/2) r u"

ELASTICITY_RESOLUTION = 16
"""Cells per tip radius of curvature at which the stress cases are checked."""


def elasticity_cases() -> list[CaseResult]:
    a = 1e-6
    rows = []
    for aspect in (1.0, 2.0, 4.0):
        b = a / aspect
        value = solve_elliptic_hole(a, b, ELASTICITY_RESOLUTION, pressure_Pa=PRESSURE_PA).wall_hoop_stress_Pa
        rows.append(
            CaseResult(
                f"pressurised hole a/b={aspect:g}",
                "wall hoop stress (Pa)",
                value,
                float(inglis_pressurised_tip_stress_Pa(a, b, PRESSURE_PA)),
                0.05,
                LAME if aspect == 1.0 else INGLIS,
            )
        )
    for aspect in (1.0, 2.0):
        b = a / aspect
        value = solve_elliptic_hole(a, b, ELASTICITY_RESOLUTION, remote_stress_Pa=PRESSURE_PA).wall_hoop_stress_Pa
        rows.append(
            CaseResult(
                f"remote tension a/b={aspect:g}",
                "stress concentration Kt",
                value / PRESSURE_PA,
                float(inglis_tension_concentration(a, b)),
                0.05,
                KIRSCH_INGLIS,
            )
        )
    return rows


def opening_convergence(resolutions=(8, 16, 32)) -> tuple[list[float], float]:
    """Relative errors of the pressurised circle's opening on refining grids, and the observed order."""
    r = 1e-6
    mu, _ = lame_parameters_Pa(YOUNGS_MODULUS_PA, POISSON_RATIO)
    exact = 0.5 * math.pi * r * PRESSURE_PA * r / (2.0 * float(mu))
    errors = [
        abs(solve_elliptic_hole(r, r, n, pressure_Pa=PRESSURE_PA).opening_m2 - exact) / exact for n in resolutions
    ]
    return errors, observed_order(errors, resolutions)


def convergence_cases() -> list[CaseResult]:
    errors, order = opening_convergence()
    return [
        CaseResult(
            "pressurised circle, h = r/8, r/16, r/32",
            f"observed order of the opening error (errors {', '.join(f'{e:.2e}' for e in errors)})",
            order,
            2.0,
            0.1,
            LAME_OPENING + "; bilinear elements with an O(h) interface converge at order 2",
        )
    ]
