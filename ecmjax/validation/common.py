"""Validation cases: the solvers against closed-form solutions (MODEL.md section 5, cases 1 and 6).

Each case returns :class:`CaseResult` rows (value, reference, relative error, tolerance, source). The
same functions back ``ecmjax validate`` and the test suite, so the figures a user reproduces are the
ones CI asserts. The arrays are built in JAX's default dtype: float64 once
:func:`ecmjax.config.precision.enable_float64` is called (the verification), float32 otherwise; the solves stop
at that dtype's :func:`ecmjax.config.precision.verification_rtol`, and the tolerances against the references
are the same in both.
"""

import dataclasses
import math
import warnings
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ecmjax.config.precision import verification_rtol
from ecmjax.physics.constants import FARADAY_C_PER_MOL, LI_MOLAR_VOLUME_M3_PER_MOL
from ecmjax.physics.elasticity import lame_parameters_Pa
from ecmjax.physics.geometry import semi_ellipse_sdf, smooth_indicator
from ecmjax.physics.kinetics import inverse_thermal_voltage_per_V, symmetric_overpotential_V
from ecmjax.physics.references import (
    EllipticHoleSolution,
    inglis_pressurised_tip_stress_Pa,
    inglis_tension_concentration,
)
from ecmjax.solver.fields.elasticity import ElasticityProblem, cavity_opening_m2, cell_stress_Pa, solve_elasticity
from ecmjax.solver.fields.potential import (
    PotentialProblem,
    injected_current_A_per_m,
    interfacial_current_A_per_m2,
    plated_current_A_per_m,
    solve_potential,
)
from ecmjax.solver.grid import Grid, Grid3D
from ecmjax.solver.nonlinear.newton import NewtonInfo, NewtonKrylov
from ecmjax.solver.operators import max_on_contour


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """One validated figure: the computed value against its reference."""

    case: str
    quantity: str
    value: float
    reference: float
    tolerance: float
    source: str

    @property
    def relative_error(self) -> float:
        return abs(self.value - self.reference) / abs(self.reference)

    @property
    def passed(self) -> bool:
        return self.relative_error <= self.tolerance


# ---------------------------------------------------------------------------------------------------
# Elasticity: an elliptic hole (semi-axes a along x, b along y) centred at the origin, on the quarter
# x, y >= 0 with mirror planes on the axes and the exact infinite-plate displacement on the outer
# sides, so that a small box carries no finite-domain error.

YOUNGS_MODULUS_PA = 150e9
POISSON_RATIO = 0.26
PRESSURE_PA = 100e6


@dataclasses.dataclass(frozen=True)
class HoleSolution:
    wall_hoop_stress_Pa: float
    opening_m2: float
    krylov_iterations: int
    cells: tuple[int, int]


def quarter_plane_problem(
    grid: Grid | Grid3D,
    far_field,
    shear_modulus_Pa,
    lame_lambda_Pa,
    degradation,
    cavity_indicator,
    pressure_Pa: float,
) -> ElasticityProblem:
    """Elastic problem on the quarter plane ``x, y >= 0`` (the octant ``x, y, z >= 0`` of a
    :class:`Grid3D`): mirror planes on the axes (``u_x = 0`` on ``x = 0``, and so on),
    ``far_field.displacement_m(x, y[, z])`` on the outer sides, ``pressure_Pa`` on the cavity."""
    coordinates = [np.asarray(c) for c in grid.node_coordinates_m()]
    dims = len(coordinates)
    fixed = np.zeros((dims,) + grid.node_shape, bool)
    for axis in range(dims):
        fixed[(slice(None),) * (axis + 1) + (-1,)] = True
    boundary = fixed[0].copy()
    prescribed = np.zeros((dims,) + grid.node_shape)
    prescribed[:, boundary] = far_field.displacement_m(*(c[boundary] for c in coordinates))
    for axis in range(dims):  # mirror planes: no displacement across them
        mirror = (axis,) + (slice(None),) * axis + (0,)
        fixed[mirror] = True
        prescribed[mirror] = 0.0
    side = (dims,) + grid.node_shape[:-1]
    return ElasticityProblem(
        grid=grid,
        shear_modulus_Pa=shear_modulus_Pa,
        lame_lambda_Pa=lame_lambda_Pa,
        degradation=degradation,
        cavity_indicator=cavity_indicator,
        cavity_pressure_Pa=jnp.asarray(pressure_Pa),
        bottom_traction_Pa=jnp.zeros(side),
        top_traction_Pa=jnp.zeros(side),
        fixed=jnp.asarray(fixed),
        prescribed_displacement_m=jnp.asarray(prescribed),
    )


def converged_or_nan(solution: jax.Array, info: NewtonInfo, name: str) -> jax.Array:
    """``solution`` if its solve converged; else NaN, with a warning, so that its cases fail (non-finite)
    while the other cases still run."""
    if bool(info.converged):
        return solution
    warnings.warn(
        f"{name} solve did not converge (relative residual {float(info.relative_residual):.2e}): its cases fail",
        RuntimeWarning,
        stacklevel=3,
    )
    return jnp.full_like(solution, jnp.nan)


def solve_quarter_plane(problem: ElasticityProblem) -> tuple[jax.Array, NewtonInfo]:
    """Elastic solve of a :func:`quarter_plane_problem`: the displacement (NaN if Newton does not
    converge) and the solver's report."""
    solver = NewtonKrylov(
        rtol=verification_rtol(problem.prescribed_displacement_m.dtype), spatial_dims=len(problem.grid.shape)
    )
    u, info = jax.jit(solve_elasticity)(problem, solver)
    return converged_or_nan(u, info, "elastic"), info


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
    stiffness = (1.0 - chi_cells) + 1e-6 * chi_cells

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


def observed_order(errors: list[float], resolutions: tuple[int, ...]) -> float:
    """Convergence order of the last two errors, at resolutions (cells per length) in that ratio."""
    return math.log(errors[-2] / errors[-1]) / math.log(resolutions[-1] / resolutions[-2])


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


# ---------------------------------------------------------------------------------------------------
# Electrochemistry: a defect-free cell (MODEL.md case 6).

CONDUCTIVITY_S_PER_M = 0.04
THICKNESS_M = 10e-6
EXCHANGE_CURRENT_A_PER_M2 = 50.0
TEMPERATURE_K = 298.15


def solve_flat_cell(current_A_per_m2: float, li_pressure_Pa: float = 0.0, cells: tuple[int, int] = (4, 32)):
    """Potential of a flat Li/electrolyte/counter-electrode cell, Newton started from ``phi = 0`` (NaN if
    it does not converge)."""
    grid = Grid(cells, jnp.asarray(THICKNESS_M / cells[1]))
    nnx, nny = grid.node_shape
    interface = jnp.zeros((nnx, nny)).at[:, 0].set(grid.boundary_node_measures())
    problem = PotentialProblem(
        grid=grid,
        conductivity_S_per_m=jnp.full(cells, CONDUCTIVITY_S_PER_M),
        interface_length_m=interface,
        li_pressure_Pa=jnp.full((nnx, nny), li_pressure_Pa),
        applied_current_A_per_m2=jnp.asarray(current_A_per_m2),
        exchange_current_A_per_m2=jnp.asarray(EXCHANGE_CURRENT_A_PER_M2),
        alpha_a=jnp.asarray(0.5),
        alpha_c=jnp.asarray(0.5),
        temperature_K=jnp.asarray(TEMPERATURE_K),
    )
    phi0 = jnp.zeros((nnx, nny))
    phi, info = jax.jit(solve_potential)(problem, phi0, NewtonKrylov(rtol=verification_rtol(phi0.dtype)))
    return problem, converged_or_nan(phi, info, "potential")


def flat_cell_voltage_V(current_A_per_m2: float, li_pressure_Pa: float = 0.0) -> float:
    """``-eta_BV(j) + Omega_Li p / F + j L / kappa``: anode overpotential, Li pressure shift, ohmic drop."""
    eta = symmetric_overpotential_V(current_A_per_m2, EXCHANGE_CURRENT_A_PER_M2, TEMPERATURE_K)
    return float(
        -eta
        + LI_MOLAR_VOLUME_M3_PER_MOL * li_pressure_Pa / FARADAY_C_PER_MOL
        + current_A_per_m2 * THICKNESS_M / CONDUCTIVITY_S_PER_M
    )


def electrochemistry_cases() -> list[CaseResult]:
    j = 10.0
    problem, phi = solve_flat_cell(j, li_pressure_Pa=5e6)
    local = np.asarray(interfacial_current_A_per_m2(phi, problem)[:, 0])
    worst = local[np.argmax(np.abs(local - j))]
    rows = [
        CaseResult(
            "flat cell",
            "least uniform anode current density (A/m^2)",
            float(worst),
            j,
            0.005,
            "MODEL.md case 6: a flat interface carries j_app",
        ),
        CaseResult(
            "flat cell",
            "plated current (A/m)",
            float(plated_current_A_per_m(phi, problem)),
            float(injected_current_A_per_m(problem)),
            1e-8,
            "charge conservation: current injected at y = L is plated",
        ),
        CaseResult(
            "flat cell",
            "cell voltage (V)",
            float(jnp.mean(phi[:, -1])),
            flat_cell_voltage_V(j, 5e6),
            0.005,
            "symmetric Butler-Volmer -(2RT/F) asinh(j/2i0) + Omega_Li p / F + j L / kappa",
        ),
    ]
    # Monroe-Newman coupling: 74.2 MPa of Li pressure shifts the overpotential by 10 mV.
    pressure = 10e-3 * FARADAY_C_PER_MOL / LI_MOLAR_VOLUME_M3_PER_MOL
    _, phi_pressed = solve_flat_cell(j, li_pressure_Pa=pressure)
    _, phi_free = solve_flat_cell(j)
    rows.append(
        CaseResult(
            "flat cell, Li at 74.2 MPa",
            "voltage shift (V)",
            float(jnp.mean(phi_pressed[:, -1]) - jnp.mean(phi_free[:, -1])),
            10e-3,
            0.005,
            "stress-coupled overpotential Omega_Li p / F (Monroe and Newman 2005)",
        )
    )
    # Tafel limit: far above i0, one decade of current costs ln(10) R T / (alpha_c F).
    currents = (100 * EXCHANGE_CURRENT_A_PER_M2, 1000 * EXCHANGE_CURRENT_A_PER_M2)
    anode = [float(jnp.mean(solve_flat_cell(c)[1][:, 0])) for c in currents]
    rows.append(
        CaseResult(
            "flat cell, j = 100 and 1000 i0",
            "Tafel slope (V/decade)",
            anode[1] - anode[0],
            float(math.log(10.0) / (0.5 * inverse_thermal_voltage_per_V(TEMPERATURE_K))),
            0.01,
            "Tafel limit of Butler-Volmer: ln(10) R T / (alpha_c F)",
        )
    )
    return rows


def _crack_cases() -> list[CaseResult]:
    from ecmjax.validation.crack import crack_cases  # imports this module: load it late

    return crack_cases()


def _griffith_cases() -> list[CaseResult]:
    from ecmjax.validation.griffith import griffith_cases  # imports this module: load it late

    return griffith_cases()


def _axisymmetric_cases() -> list[CaseResult]:
    from ecmjax.validation.axisymmetric import axisymmetric_cases  # imports this module: load it late

    return axisymmetric_cases()


def run_cases(progress: Callable[[str], None] | None = None) -> list[CaseResult]:
    """Every validation case, in order; ``progress`` is told the name of each group as it starts."""
    rows = []
    for name, group in (
        ("electrochemistry", electrochemistry_cases),
        ("elasticity", elasticity_cases),
        ("grid convergence", convergence_cases),
        ("pressurised phase-field crack", _crack_cases),
        ("Griffith critical pressure", _griffith_cases),
        ("axisymmetric: sphere, penny crack", _axisymmetric_cases),
    ):
        if progress is not None:
            progress(name)
        rows.extend(group())
    return rows
