"""Ionic potential in the electrolyte with Butler-Volmer reactions on every Li/electrolyte interface.

The potential ``phi`` (nodal, in V) minimises the strictly convex energy per unit depth

    Pi(phi) = int kappa/2 |grad phi|^2 dA + sum_nodes A_n G(phi_n) - int_(y=L) j_app phi dx

whose stationarity is charge conservation ``div(kappa grad phi) = i(eta) delta_Gamma`` with the
galvanostatic flux ``kappa dphi/dy = j_app`` at the counter electrode and no flux on the other sides
(mirror or periodic). ``A_n`` is the Li/electrolyte interface length (per unit depth) that node ``n``
carries, and ``G' = i`` is the Butler-Volmer plating current (see :mod:`ecmjax.physics.kinetics`).
A node may carry several interfaces, each backed by Li at its own pressure (the walls of a confined Li
body, the flat anode at the stack pressure): they are stacked along a leading axis ``k``.
"""

import equinox as eqx
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, ArrayLike, Float

from ecmjax.physics.kinetics import (
    butler_volmer_current_A_per_m2,
    butler_volmer_dissipation_potential_W_per_m2,
    overpotential_V,
)
from ecmjax.solver.grid import Grid, Grid3D
from ecmjax.solver.nonlinear.newton import NewtonInfo, NewtonKrylov, minimise
from ecmjax.solver.operators import gradient_at_gauss_points, integrate_gauss, squared_norm


class PotentialProblem(eqx.Module):
    """Coefficients and sources of one potential solve (SI units)."""

    grid: Grid | Grid3D
    conductivity_S_per_m: Float[Array, "*cells"]
    interface_length_m: Float[Array, " k *nodes"]
    li_pressure_Pa: Float[Array, " k *nodes"]
    applied_current_A_per_m2: Float[Array, ""]
    exchange_current_A_per_m2: Float[Array, ""]
    alpha_a: Float[Array, ""]
    alpha_c: Float[Array, ""]
    temperature_K: Float[Array, ""]


def _interface_overpotential_V(
    problem: PotentialProblem, deviation_V: Float[Array, "*nodes"], level_V: Float[ArrayLike, ""] = 0.0
) -> Float[Array, " k *nodes"]:
    """Overpotential of every interface at every node, at the potential ``level + deviation``; 0 where a
    node carries no such interface (its exponentials, times a zero length, would overflow float32 a few
    volts away: 0 x inf is NaN)."""
    eta = overpotential_V(level_V, problem.li_pressure_Pa) - deviation_V
    return jnp.where(problem.interface_length_m > 0, eta, 0.0)


def interfacial_current_A_per_m2(phi: Float[Array, "*nodes"], problem: PotentialProblem) -> Float[Array, " k *nodes"]:
    """Butler-Volmer plating current density of every interface at every node (0 where not carried)."""
    eta = _interface_overpotential_V(problem, phi)
    return butler_volmer_current_A_per_m2(
        eta, problem.exchange_current_A_per_m2, problem.alpha_a, problem.alpha_c, problem.temperature_K
    )


def interface_currents_A_per_m(phi: Float[Array, "*nodes"], problem: PotentialProblem) -> Float[Array, " k"]:
    """Plating current per unit depth into each interface: ``sum_n A_kn i_kn``."""
    currents = problem.interface_length_m * interfacial_current_A_per_m2(phi, problem)
    return jnp.sum(currents, axis=tuple(range(1, currents.ndim)))


def plated_current_A_per_m(phi: Float[Array, "*nodes"], problem: PotentialProblem) -> Float[Array, ""]:
    """Total plating current per unit depth over every interface."""
    return jnp.sum(interface_currents_A_per_m(phi, problem))


def node_current_density_A_per_m2(phi: Float[Array, "*nodes"], problem: PotentialProblem) -> Float[Array, "*nodes"]:
    """Plating current density at each node, averaged over the interfaces it carries (0 where none)."""
    length = jnp.sum(problem.interface_length_m, axis=0)
    current = jnp.sum(problem.interface_length_m * interfacial_current_A_per_m2(phi, problem), axis=0)
    return jnp.where(length > 0, current / jnp.where(length > 0, length, 1.0), 0.0)


def injected_current_A_per_m(problem: PotentialProblem) -> Float[Array, ""]:
    """Current per unit depth injected at the counter electrode."""
    return problem.applied_current_A_per_m2 * jnp.sum(problem.grid.boundary_node_measures())


def energy_W_per_m(
    deviation_V: Float[Array, "*nodes"], problem: PotentialProblem, level_V: Float[ArrayLike, ""] = 0.0
) -> Float[Array, ""]:
    """``Pi(level + deviation)`` less the constant ``-j_app level sum(l)``: its gradient in ``deviation`` is
    the nodal charge-conservation residual (A/m).

    The potential is held as a uniform level plus a deviation, so that its gradients are differences of
    the deviation only. A cell's potential is its anode overpotential (tens of mV) plus an ohmic drop of
    a fraction of a mV; in float32 the differences of the whole potential between neighbouring nodes
    keep about 3 digits, and the residual could not fall below about 5e-3 of its load.
    """
    grid = problem.grid
    gradient = gradient_at_gauss_points(grid, deviation_V)
    kappa = problem.conductivity_S_per_m
    ohmic = integrate_gauss(grid, tuple(0.5 * kappa * squared_norm(*g) for g in zip(*gradient, strict=True)))
    eta = _interface_overpotential_V(problem, deviation_V, level_V)
    reaction = jnp.sum(
        problem.interface_length_m
        * butler_volmer_dissipation_potential_W_per_m2(
            eta, problem.exchange_current_A_per_m2, problem.alpha_a, problem.alpha_c, problem.temperature_K
        )
    )
    injection = problem.applied_current_A_per_m2 * jnp.sum(grid.boundary_node_measures() * deviation_V[..., -1])
    return ohmic + reaction - injection


def flat_cell_potential_V(problem: PotentialProblem, anode_overpotential_V) -> Float[Array, "*nodes"]:
    """``-eta + j_app y / kappa``: the exact potential of a defect-free cell, used as the Newton start."""
    depth = problem.grid.node_coordinates_m()[-1]
    kappa = jnp.max(problem.conductivity_S_per_m)
    return -anode_overpotential_V + problem.applied_current_A_per_m2 * (depth - problem.grid.origin_m[-1]) / kappa


def solve_potential(
    problem: PotentialProblem,
    initial_potential_V: Float[Array, "*nodes"],
    solver: NewtonKrylov = NewtonKrylov(),
) -> tuple[Float[Array, "*nodes"], NewtonInfo]:
    """Electrolyte potential (V) and the solver's report; differentiable in every problem leaf.

    Newton solves for the deviation from the initial potential's mean (see :func:`energy_W_per_m`).
    """
    level = lax.stop_gradient(jnp.mean(initial_potential_V))
    energy = lambda deviation, args: energy_W_per_m(deviation, *args)
    deviation, info = minimise(energy, initial_potential_V - level, (problem, level), solver)
    return level + deviation, info
