"""Phase-field damage: the minimiser of the regularised Griffith energy, kept irreversible by a penalty.

The damage ``d`` (nodal, 0 intact to 1 broken) minimises the energy per unit depth

    Pi(d) = int (1 - d)^2 H dA + Gc / (c_w l) int (w(d) + l^2 |grad d|^2) dA
            + gamma / 2 sum_n A_n <d_prev,n - d_n>_+^2  [+ int G(d) c_e dA]

for a history field ``H`` (the largest tensile energy density so far, per cell) held fixed: the damage
half of the staggered scheme. AT2 (``w = d^2``, ``c_w = 2``; Euler-Lagrange
``Gc / l (d - l^2 lap d) = 2 (1 - d) H``) or AT1 (``w = d``, ``c_w = 8/3``: an elastic threshold and a
damage band of finite width ``2 l``). Without the penalty the energy is a quadratic (AT2) or a
quadratic plus a linear term (AT1), and the optional strength term of :mod:`ecmjax.physics.strength`
(``G(d) c_e`` with ``c_e <= 0``) is convex too; the penalty is convex and piecewise quadratic, so
semismooth Newton (:func:`ecmjax.solver.nonlinear.newton.minimise`) finds the minimiser in a few steps
and differentiates it implicitly.

Irreversibility ``d >= d_prev`` (and, for AT1, ``d >= 0``, which the AT1 energy alone would violate)
is imposed by the penalty of Gerasimov and De Lorenzis, "On penalization in variational phase-field
models of brittle fracture", CMAME 351 (2019) 990-1026 (arXiv:1811.05334), with their optimal constant
for a tolerance ``TOL_ir`` (and so is ``d <= 1`` where a pressure works on the crack,
:func:`pressurised_damage_energy_J_per_m`):

    AT2: gamma = Gc / l (1 / TOL_ir^2 - 1),        AT1: gamma = Gc / l * 27 / (64 TOL_ir^2).

The penalty is lumped on the nodes (``A_n``: trapezoid areas) because the constraint is nodal: it then
holds node by node, and its Hessian is diagonal. A node on its bound counts as active, which keeps the
AT1 Hessian (no mass term where ``H = 0``) positive definite at the usual start ``d = d_prev``. What the
penalty allows: a uniform AT2 field held by a uniform bound ``c`` relaxes to exactly ``c (1 - TOL_ir^2)``;
AT1 sits at ``-8/9 TOL_ir^2`` where nothing drives it; a crack held by one line of nodes (zero measure in
the continuum) relaxes there by about ``2 TOL_ir^2 l / h`` (AT2) or ``3.6 TOL_ir^2 l / h`` (AT1), which
grows as the grid is refined.

Newton's tolerance is relative to ``||grad Pi(0)||``, which a crack dominates by its penalty force
``~ gamma A lb``, ``1 / TOL_ir^2`` times the physical forces: with ``TOL_ir`` below 0.01 tighten ``rtol``
accordingly. AT1's free boundary (the edge of the damage band) advances about one node per Newton
iteration, so a cold start needs some ``2 l / h`` iterations; warm starts from the previous step do not.
"""

import dataclasses

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from ecmjax.physics.strength import strength_weight
from ecmjax.solver.fields.elasticity import cavity_opening_m2
from ecmjax.solver.grid import Grid, Grid3D
from ecmjax.solver.nonlinear.newton import NewtonInfo, NewtonKrylov, minimise
from ecmjax.solver.operators import gradient_at_gauss_points, integrate_gauss, squared_norm, values_at_gauss_points

DISSIPATION_NORMALISATION = {"AT2": 2.0, "AT1": 8.0 / 3.0}
"""``c_w = 4 int_0^1 sqrt(w(s)) ds``: makes the energy of a fully developed crack ``Gc`` per unit length."""


class DamageProblem(eqx.Module):
    """History, toughness, length scale and previous damage of one damage solve (SI units).

    ``history_J_per_m3`` is ``H`` per cell; ``lower_bound`` is the damage of the previous step (nodal,
    at least 0). ``irreversibility_tolerance`` is Gerasimov and De Lorenzis' ``TOL_ir``.

    A time loop should pass the running maximum ``max(lower_bound, d)``, not the last ``d``: where a
    healing force acts, each solve sits one penalty slack below its bound, and feeding ``d`` back as
    the next bound lets the slacks add up (a line crack held against ``H = 0`` at ``h = l/8`` heals
    from 0.998 to 0.971 in 20 steps; with the running maximum it stays at 0.998).
    """

    grid: Grid | Grid3D
    history_J_per_m3: Float[Array, "*cells"]
    fracture_energy_J_per_m2: Float[Array, ""]
    length_m: Float[Array, ""]
    lower_bound: Float[Array, "*nodes"]
    nucleation_drive_J_per_m3: Float[Array, "*cells"] | None = None
    """The strength term's ``c_e <= 0`` per cell (:mod:`ecmjax.physics.strength`; AT1 only), entering
    as ``int G(d) c_e dA``; ``fracture_energy_J_per_m2`` is then ``delta Gc``. None: no strength term."""
    model: str = eqx.field(static=True, default="AT2")
    irreversibility_tolerance: float = eqx.field(static=True, default=0.01)

    def __check_init__(self):
        if self.model not in DISSIPATION_NORMALISATION:
            raise ValueError(f"damage model {self.model!r}: choose one of {', '.join(DISSIPATION_NORMALISATION)}")
        if not 0.0 < self.irreversibility_tolerance < 1.0:
            raise ValueError(f"irreversibility_tolerance = {self.irreversibility_tolerance}: must lie in (0, 1)")
        if self.nucleation_drive_J_per_m3 is not None and self.model != "AT1":
            raise ValueError(f"a nucleation drive (the strength term) needs the AT1 model, not {self.model!r}")


def dissipation_density(d: Float[Array, "*s"], model: str) -> Float[Array, "*s"]:
    """The local crack density ``w(d)``: ``d^2`` (AT2) or ``d`` (AT1)."""
    return d**2 if model == "AT2" else d


def penalty_J_per_m3(problem: DamageProblem) -> Float[Array, ""]:
    """Gerasimov-De Lorenzis optimal penalty constant ``gamma`` for ``TOL_ir`` (CMAME 2019)."""
    tolerance = problem.irreversibility_tolerance
    factor = 1.0 / tolerance**2 - 1.0 if problem.model == "AT2" else 27.0 / (64.0 * tolerance**2)
    return factor * problem.fracture_energy_J_per_m2 / problem.length_m


def damage_energy_J_per_m(d: Float[Array, "*nodes"], problem: DamageProblem) -> Float[Array, ""]:
    """``Pi(d)``: degraded history energy, crack surface energy and the irreversibility penalty."""
    grid, model = problem.grid, problem.model
    length = problem.length_m
    values = values_at_gauss_points(grid, d)
    gradient = gradient_at_gauss_points(grid, d)
    driving = integrate_gauss(grid, tuple((1.0 - v) ** 2 * problem.history_J_per_m3 for v in values))
    if problem.nucleation_drive_J_per_m3 is not None:
        drive = problem.nucleation_drive_J_per_m3
        driving = driving + integrate_gauss(grid, tuple(strength_weight(v) * drive for v in values))
    surface = integrate_gauss(
        grid,
        tuple(
            dissipation_density(v, model) + length**2 * squared_norm(*g)
            for v, g in zip(values, zip(*gradient, strict=True), strict=True)
        ),
    )
    surface = problem.fracture_energy_J_per_m2 / (DISSIPATION_NORMALISATION[model] * length) * surface
    violation = jnp.where(d <= problem.lower_bound, problem.lower_bound - d, 0.0)
    return driving + surface + _penalty_J_per_m(problem, violation)


def _penalty_J_per_m(problem: DamageProblem, violation: Float[Array, "*nodes"]) -> Float[Array, ""]:
    return 0.5 * penalty_J_per_m3(problem) * jnp.sum(problem.grid.node_measures() * violation**2)


class CrackPressure(eqx.Module):
    """A pressure working on the opening of the damage's crack at a fixed displacement (SI units)."""

    displacement_m: Float[Array, " d *nodes"]
    pressure_Pa: Float[Array, ""]


def pressurised_damage_energy_J_per_m(d: Float[Array, "*nodes"], args: tuple[DamageProblem, CrackPressure]):
    """``Pi(d) - p V(d)``: the damage energy less the pressure's work on the crack's volume
    ``V = -int u . grad d`` at fixed ``u``, the damage half of the total energy of Bourdin, Chukwudozie and
    Yoshioka (2012). Its derivative in the damage is ``-p div u`` (volumetric expansion ahead of the tip
    drives the crack); being linear in ``d``, it needs the bound ``d <= 1``, held by a penalty like the
    irreversibility's.
    """
    problem, crack = args
    opening = cavity_opening_m2(problem.grid, crack.displacement_m, d)
    above_one = _penalty_J_per_m(problem, jnp.maximum(d - 1.0, 0.0))
    return damage_energy_J_per_m(d, problem) - crack.pressure_Pa * opening + above_one


MAX_RTOL = 1e-5
"""Loosest relative residual a float64 damage solve stops at, whatever ``solver.rtol`` says. Newton's
residual is relative to the whole load, and the damage of a step starts from the last one: at 1e-3 the
first residual already passes and the damage never grows (the Griffith validation case)."""

FLOAT32_STEP_TOL = 1e-6
"""A float32 damage solve stops when a Newton update changes every node's damage by less than this. Its
residual cannot serve: the reference ``||grad Pi(0)||`` is the irreversibility penalty's force, about
``1 / TOL_ir^2 = 1e4`` times the physical forces, and the float32 residual floor lies near 1e-7 of it,
so a residual test there either passes with errors of several percent of the physical forces or never
passes. The damage itself is resolved to round-off (the Hessian is as stiff as the reference)."""


def solve_damage(
    problem: DamageProblem,
    initial_damage: Float[Array, "*nodes"],
    solver: NewtonKrylov = NewtonKrylov(),
    crack_pressure: CrackPressure | None = None,
) -> tuple[Float[Array, "*nodes"], NewtonInfo]:
    """Damage and the solver's report; differentiable in every problem leaf (implicitly).

    With ``crack_pressure``, the minimiser of :func:`pressurised_damage_energy_J_per_m` instead.

    Newton starts from ``max(initial_damage, lower_bound)``, the side of the bound the minimiser is on.
    """
    if solver.periodic_x != problem.grid.periodic_x:
        raise ValueError(
            f"NewtonKrylov(periodic_x={solver.periodic_x}) on a grid with periodic_x={problem.grid.periodic_x}: "
            "the multigrid preconditioner must wrap exactly when the grid does"
        )
    if problem.lower_bound.dtype == jnp.float32:
        solver = dataclasses.replace(solver, rtol=0.0, step_tol=FLOAT32_STEP_TOL)
    else:
        solver = dataclasses.replace(solver, rtol=min(solver.rtol, MAX_RTOL))
    start = jnp.maximum(initial_damage, problem.lower_bound)
    if crack_pressure is None:
        return minimise(damage_energy_J_per_m, start, problem, solver)
    return minimise(pressurised_damage_energy_J_per_m, start, (problem, crack_pressure), solver)
