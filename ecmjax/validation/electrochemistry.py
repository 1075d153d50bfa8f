"""Validation case 6: the electrochemistry of a defect-free Li/electrolyte/counter-electrode cell.

A flat interface carries the applied current uniformly; its voltage is Butler-Volmer's overpotential,
shifted by the Li pressure (Monroe and Newman 2005), plus the ohmic drop; far above ``i0`` it follows
Tafel's slope.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from ecmjax.config.precision import verification_rtol
from ecmjax.physics.constants import FARADAY_C_PER_MOL, LI_MOLAR_VOLUME_M3_PER_MOL
from ecmjax.physics.kinetics import inverse_thermal_voltage_per_V, symmetric_overpotential_V
from ecmjax.solver.fields.potential import (
    PotentialProblem,
    injected_current_A_per_m,
    interfacial_current_A_per_m2,
    plated_current_A_per_m,
    solve_potential,
)
from ecmjax.solver.grid import Grid
from ecmjax.solver.nonlinear.newton import NewtonKrylov
from ecmjax.validation.common import CaseResult, converged_or_nan

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
            "docs/model.md case 6: a flat interface carries j_app",
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
