"""Validation case 3 of docs/model.md: Griffith's critical pressure of a growing, volume-controlled phase-field crack.

The Sneddon crack of case 2 (:mod:`ecmjax.validation.crack`: half-length ``a0`` on ``y = 0``, frozen AT2
damage with a broken core, BCY pressure work ``p (-int u . grad d)``, mirrored quarter plane with the
far field of a sharp crack on the outer sides) is now free to grow. A volume ``V`` of fluid (Li) is
injected in steps; at each step elasticity and damage are staggered to convergence by the coupled
model's own iteration (:func:`ecmjax.solver.nonlinear.stagger.staggered_solve`: over-relaxed and
Anderson-mixed as in :mod:`ecmjax.model.simulation`, to :data:`STAGGERED_TOLERANCE`):

* elasticity at fixed damage, degraded by ``g(d)``, with the pressure ``p`` that makes the crack's
  volume ``-int u . grad d`` equal to ``V``. The split energy is positively homogeneous of degree 2, so
  at fixed damage ``u`` is exactly proportional to ``p`` (the far field too): one solve at a reference
  pressure gives ``u`` and ``p`` for any ``V``;
* AT2 damage (:func:`ecmjax.solver.fields.damage.solve_damage`) under the history ``H = max psi+`` (undegraded
  moduli, the volumetric-deviatoric split of :mod:`ecmjax.physics.elasticity`), irreversible: its lower
  bound is the running maximum of the damage, starting from the frozen crack.

Griffith (Phil. Trans. R. Soc. A 221, 1921), with Sneddon's stress intensity ``K = p sqrt(pi a)`` of a
pressurised crack, gives the critical pressure ``p_c = sqrt(E' Gc / (pi a))``; with Sneddon's volume
``V = 2 pi p a^2 / E'`` the crack then grows stably at fixed volume along ``p = (2 E' Gc^2 / (pi V))^(1/3)``
(Bourdin, Chukwudozie & Yoshioka, SPE 159154, 2012; the OpenGeoSys "hydraulic fracturing, K-regime"
benchmark). The phase-field crack is compared with two AT2 corrections (both stated in case 2):

* the fracture energy it dissipates, ``Gc_eff = Gc (1 + h / (2 l))`` (Bourdin, Francfort & Marigo,
  J. Elasticity 91, 2008; :func:`ecmjax.physics.fracture.at2_effective_fracture_energy_J_per_m2`);
* its effective half-length ``a_eff = a0 + pi l / (4 (1 + h / (2 l)))``
  (:func:`ecmjax.validation.crack.effective_half_length_m`), for ``p_c`` only: the ``p(V)`` law has
  the length eliminated and needs ``Gc_eff`` alone.

Crack growth is read on the crack line: the tip is where the damage falls through ``TIP_DAMAGE`` (0.9);
the critical pressure is that of the first step whose tip has advanced more than ``GROWTH_CELLS`` cells.
The far sides carry the sharp crack of half-length ``a_eff`` plus the tip's advance so far (updated at
every step), at the current pressure.

Which damage energy. BCY minimise the total energy ``E(u, d) - p V(u, d)`` in turn over ``u`` and ``d``,
so the pressure's work ``p int d div u`` drives the damage as well (``pressure_work_in_damage=True``);
ecmjax's coupled model (:mod:`ecmjax.model.simulation`) drives it by ``H = max psi+`` alone. Near the tip the
missing term is ``O(sqrt(l / a))`` of ``psi+``, so without it the crack starts late. Measured
(``l = a0/10``, ``h = l/2``, box ``3 a0``): growth at ``1.05 p_c`` with the pressure work, ``1.22 p_c``
without; at ``l = a0/5``: ``1.05 p_c`` and above ``1.27 p_c``. The pressure work is linear in ``d``;
the bound ``d <= 1`` is a penalty (:func:`ecmjax.solver.fields.damage.pressurised_damage_energy_J_per_m`).

Measured box effect (``l = a0/10``, ``h = l/2``, with the pressure work): a quarter box of ``4.5 a0``
instead of ``3 a0`` moves the critical pressure from 1.046 to 1.019 ``p_c`` (-2.6 %) and the pressure at
``V = 2.0, 2.4 V_c`` by -0.8 %, -4.6 %. After growth the pressure stays 19 % (box 4.5 a0) to 24 %
(box 3 a0) above the volume law ``(2 E' Gc_eff^2 / (pi V))^(1/3)``, so that miss is not the box's.
"""

import dataclasses
import time

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ecmjax.config import DEFAULTS
from ecmjax.config.precision import verification_rtol
from ecmjax.physics.elasticity import lame_parameters_Pa
from ecmjax.physics.fracture import (
    at2_effective_fracture_energy_J_per_m2,
    griffith_critical_pressure_Pa,
    penny_crack_critical_pressure_Pa,
    penny_crack_volume_m3,
    sneddon_volume_m2,
    volume_controlled_pressure_Pa,
)
from ecmjax.physics.materials import llzo
from ecmjax.physics.references import EllipticHoleSolution
from ecmjax.solver.fields.damage import CrackPressure, DamageProblem, solve_damage
from ecmjax.solver.fields.elasticity import (
    ElasticityProblem,
    cavity_opening_m2,
    cell_tensile_energy_J_per_m3,
    solve_elasticity,
)
from ecmjax.solver.grid import Grid
from ecmjax.solver.nonlinear.newton import NewtonKrylov
from ecmjax.solver.nonlinear.stagger import DamageUpdate, ElasticUpdate, Staggered, staggered_solve
from ecmjax.validation.common import (
    POISSON_RATIO,
    YOUNGS_MODULUS_PA,
    CaseResult,
    plane_strain_modulus,
    quarter_plane_problem,
)
from ecmjax.validation.crack import (
    HALF_LENGTH_M,
    ClampedFarField,
    cell_degradation,
    crack_damage,
    effective_half_length_m,
)

FRACTURE_ENERGY_J_PER_M2 = llzo.fracture_energy_J_per_m2
"""LLZO's ``Gc = K_IC^2 (1 - nu^2) / E`` (6.2 J/m^2), with case 2's ``E`` and ``nu``."""
TIP_DAMAGE = 0.9
"""Damage level that marks the crack tip on the crack line."""
GROWTH_CELLS = 2.0
"""Tip advance, in cells, that counts as growth."""
STAGGERED_TOLERANCE = 1e-4
"""Largest nodal damage change, and relative pressure change, of a staggered iteration at convergence."""
MAX_STAGGERED_ITERATIONS = 400

GRIFFITH = "Griffith (1921) with K = p sqrt(pi a) (Sneddon 1946): p_c = sqrt(E' Gc / (pi a)), plane strain"
PENNY_GRIFFITH = (
    "Griffith (1921) with K = 2 p sqrt(a / pi) (Sneddon 1946; Tada, Paris & Irwin 2000): penny crack,"
    " p_c = sqrt(pi E' Gc / (4 a))"
)
VOLUME_LAW = "Bourdin, Chukwudozie & Yoshioka (SPE 159154, 2012): p = (2 E' Gc^2 / (pi V))^(1/3) at fixed V"
CORRECTIONS = "AT2: Gc_eff = Gc (1 + h/(2l)) (Bourdin, Francfort & Marigo 2008), a_eff of case 2"


@dataclasses.dataclass(frozen=True)
class GriffithSetup:
    """Grid and crack of a run: ``l = length_ratio a0``, ``h = l / cells_per_length``, quarter box ``box_ratio a0``."""

    length_ratio: float = 0.1
    cells_per_length: float = 2.0
    box_ratio: float = 3.0
    half_length_m: float = HALF_LENGTH_M
    axisymmetric: bool = False
    """Revolve the crack about ``x = 0``: a penny-shaped crack of radius ``a0``, volumes in m^3, outer
    sides clamped (:class:`ecmjax.validation.crack.ClampedFarField`)."""

    @property
    def length_m(self) -> float:
        return self.length_ratio * self.half_length_m

    @property
    def cell_size_m(self) -> float:
        return self.length_m / self.cells_per_length

    def grid(self) -> Grid:
        n = round(self.box_ratio * self.half_length_m / self.cell_size_m)
        return Grid((n, n), jnp.asarray(self.cell_size_m), axisymmetric=self.axisymmetric)

    @property
    def effective_half_length_m(self) -> float:
        return effective_half_length_m(self.half_length_m, self.length_m, self.cell_size_m)

    @property
    def effective_fracture_energy_J_per_m2(self) -> float:
        return float(at2_effective_fracture_energy_J_per_m2(FRACTURE_ENERGY_J_PER_M2, self.cell_size_m, self.length_m))

    def griffith_pressure_Pa(self) -> float:
        """``p_c = sqrt(E' Gc_eff / (pi a_eff))``; of a penny crack ``sqrt(pi E' Gc_eff / (4 a_eff))``."""
        critical = penny_crack_critical_pressure_Pa if self.axisymmetric else griffith_critical_pressure_Pa
        return float(
            critical(plane_strain_modulus(), self.effective_fracture_energy_J_per_m2, self.effective_half_length_m)
        )

    def critical_volume_m2(self) -> float:
        """Sneddon's volume at the Griffith pressure: ``2 pi p_c a_eff^2 / E'``, or ``16 p_c a_eff^3 / (3 E')``
        (m^3) for a penny crack."""
        volume = penny_crack_volume_m3 if self.axisymmetric else sneddon_volume_m2
        return float(volume(self.griffith_pressure_Pa(), self.effective_half_length_m, plane_strain_modulus()))

    def volume_law_pressure_Pa(self, volume_m2: float) -> float:
        """``(2 E' Gc_eff^2 / (pi V))^(1/3)``; for a penny crack ``(pi^3 E'^2 Gc_eff^3 / (12 V))^(1/5)``
        (Griffith's pressure with the radius eliminated through Sneddon's volume)."""
        if self.axisymmetric:
            gc = self.effective_fracture_energy_J_per_m2
            return float((np.pi**3 * plane_strain_modulus() ** 2 * gc**3 / (12.0 * volume_m2)) ** 0.2)
        return float(
            volume_controlled_pressure_Pa(plane_strain_modulus(), self.effective_fracture_energy_J_per_m2, volume_m2)
        )


def tip_position_m(grid: Grid, damage: Float[Array, "nnx nny"], level: float = TIP_DAMAGE) -> float:
    """Where the damage on the crack line ``y = 0`` last falls through ``level`` (linear between nodes)."""
    line = np.asarray(damage[:, 0])
    h = float(grid.cell_size_m)
    i = int(np.nonzero(line >= level)[0].max())
    if i == line.size - 1:
        return i * h
    return h * (i + (line[i] - level) / (line[i] - line[i + 1]))


def tensile_energy_J_per_m3(grid: Grid, u: Float[Array, "2 nnx nny"]) -> Float[Array, "nx ny"]:
    """``psi+`` of the undegraded electrolyte per cell (mean of its Gauss points): what drives damage."""
    mu, lam = lame_parameters_Pa(YOUNGS_MODULUS_PA, POISSON_RATIO)
    return cell_tensile_energy_J_per_m3(grid, u, mu, lam)


@eqx.filter_jit
def staggered_equilibrium(
    elastic: ElasticityProblem,
    damage_problem: DamageProblem,
    damage: Float[Array, "nnx nny"],
    unit_displacement_m: Float[Array, "2 nnx nny"],
    pressure_Pa: Float[Array, ""],
    volume_m2: Float[Array, ""],
    pressure_work_in_damage: bool = False,
) -> Staggered:
    """Elasticity at volume ``V`` and damage, staggered by the coupled model's iteration
    (:func:`ecmjax.solver.nonlinear.stagger.staggered_solve`, with its Anderson depth and over-relaxation).

    ``elastic`` is loaded by its ``cavity_pressure_Pa`` (and a far field at that pressure); the iteration
    carries, and returns, the displacement at that reference pressure, and starts from ``damage`` and the
    last step's ``pressure_Pa``. ``damage_problem`` carries the bound and the history of the previous step.
    """
    grid = elastic.grid
    reference = elastic.cavity_pressure_Pa
    copies = 2.0 if grid.axisymmetric else 4.0  # mirror images of the solved quarter (half, if revolved)
    # Jacobi-preconditioned CG: on these small grids the multigrid set-up of every Newton step costs more.
    solver = NewtonKrylov(rtol=verification_rtol(volume_m2.dtype), preconditioner="jacobi")

    def elastic_step(u1, d, _):
        """Solved at the reference pressure (exactly proportional to it), then scaled to the volume ``V``."""
        problem = eqx.tree_at(lambda q: (q.degradation, q.cavity_indicator), elastic, (cell_degradation(grid, d), d))
        u1, info = solve_elasticity(problem, solver, u1)
        pressure = reference * volume_m2 / (copies * cavity_opening_m2(grid, u1, d))
        return ElasticUpdate(u1, pressure, jnp.where(info.converged, 0.0, info.relative_residual))

    def damage_step(u1, pressure, d):
        u = u1 * pressure / reference
        history = jnp.maximum(damage_problem.history_J_per_m3, tensile_energy_J_per_m3(grid, u))
        problem = eqx.tree_at(lambda q: q.history_J_per_m3, damage_problem, history)
        work = pressure if pressure_work_in_damage else jnp.zeros_like(pressure)
        solved, info = solve_damage(problem, d, solver, CrackPressure(u, work))
        # The pressure work, linear in d, holds the damage up to the penalty's slack below its bound (some
        # -1e-4 at the far corner); the iterate is clipped to d >= 0, so the image is compared clipped too.
        return DamageUpdate(jnp.maximum(solved, 0.0), history, info.converged)

    return staggered_solve(
        elastic_step,
        damage_step,
        unit_displacement_m,
        damage,
        pressure_Pa,
        damage_problem.history_J_per_m3,
        tolerance=STAGGERED_TOLERANCE,
        max_iterations=MAX_STAGGERED_ITERATIONS,
        pressure_scale_Pa=reference,
        over_relaxation=DEFAULTS["damage"]["over_relaxation"],
        anderson_depth=DEFAULTS["damage"]["anderson_depth"],
    )


@dataclasses.dataclass(frozen=True)
class GriffithRun:
    """The load path of a volume-controlled run (whole crack, SI units), one entry per step."""

    setup: GriffithSetup
    volume_m2: np.ndarray
    pressure_Pa: np.ndarray
    tip_advance_m: np.ndarray
    staggered_iterations: np.ndarray
    wall_time_s: float

    @property
    def growth_step(self) -> int:
        """First step whose tip has advanced by more than ``GROWTH_CELLS`` cells (-1 if none)."""
        grown = np.nonzero(self.tip_advance_m > GROWTH_CELLS * self.setup.cell_size_m)[0]
        return int(grown[0]) if grown.size else -1


def evolve_volume_controlled(
    setup: GriffithSetup, volume_ratios: np.ndarray, pressure_work_in_damage: bool = False
) -> GriffithRun:
    """Inject the volumes ``volume_ratios * V_c`` (``V_c``: :meth:`GriffithSetup.critical_volume_m2`) in turn."""
    start_time = time.perf_counter()
    grid = setup.grid()
    mu, lam = lame_parameters_Pa(YOUNGS_MODULUS_PA, POISSON_RATIO)
    damage = crack_damage(grid, setup.half_length_m, setup.length_m)
    floor, history = damage, jnp.zeros(grid.shape)
    u1 = jnp.zeros((2,) + grid.node_shape)
    pressure = jnp.zeros(())
    reference = setup.griffith_pressure_Pa()
    tip0 = tip_position_m(grid, damage)
    advance = 0.0
    records = []
    for ratio in volume_ratios:
        if setup.axisymmetric:
            far = ClampedFarField()
        else:
            far = EllipticHoleSolution(
                setup.effective_half_length_m + advance, 0.0, YOUNGS_MODULUS_PA, POISSON_RATIO, reference
            )
        elastic = quarter_plane_problem(
            grid,
            far,
            jnp.full(grid.shape, mu),
            jnp.full(grid.shape, lam),
            cell_degradation(grid, damage),
            damage,
            reference,
        )
        damage_problem = DamageProblem(
            grid=grid,
            history_J_per_m3=history,
            fracture_energy_J_per_m2=jnp.asarray(FRACTURE_ENERGY_J_PER_M2),
            length_m=jnp.asarray(setup.length_m),
            lower_bound=floor,
        )
        volume = jnp.asarray(ratio * setup.critical_volume_m2())
        state = staggered_equilibrium(elastic, damage_problem, damage, u1, pressure, volume, pressure_work_in_damage)
        damage, history, u1, pressure = state.damage, state.history_J_per_m3, state.displacement_m, state.pressure_Pa
        floor = jnp.maximum(floor, damage)
        advance = max(tip_position_m(grid, floor) - tip0, 0.0)
        records.append((ratio * setup.critical_volume_m2(), float(state.pressure_Pa), advance, int(state.iterations)))
    volume, pressure, tip, iterations = (np.asarray(column) for column in zip(*records, strict=True))
    return GriffithRun(setup, volume, pressure, tip, iterations, time.perf_counter() - start_time)


ONSET_VOLUME_RATIOS = (0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8)
"""Injected volumes over ``V_c`` that bracket the onset of growth."""
LAW_VOLUME_RATIOS = (0.8, 0.9, 1.0, 1.05, 1.1, 1.15, 1.2, 1.3, 1.4, 1.6, 1.8, 2.0, 2.4)
"""A longer load path, through onset to about 1.7 a0 of crack; the law is read at its last three steps."""
COARSE = GriffithSetup(length_ratio=0.2, cells_per_length=2.0, box_ratio=3.0)
"""``l = a0/5``, ``h = l/2``, quarter box ``3 a0``: 30 x 30 cells, the quick case of ``ecmjax validate``."""
FINE = GriffithSetup(length_ratio=0.1, cells_per_length=2.0, box_ratio=3.0)
"""``l = a0/10``, ``h = l/2``, quarter box ``3 a0``: 60 x 60 cells (docs/model.md's ``l <= a/10``)."""

PENNY = GriffithSetup(length_ratio=0.2, cells_per_length=2.0, box_ratio=6.0, axisymmetric=True)
"""The penny crack of radius ``a0``: ``l = a0/5``, ``h = l/2``, clamped cylinder of radius and half-height
``6 a0`` (60 x 60 cells), far enough that clamping stiffens the crack by well under 1 %."""

DAMAGE_DRIVES = {
    True: "BCY total energy (pressure work in the damage energy)",
    False: "ecmjax model (damage driven by H = max psi+ only)",
}


def _label(run: GriffithRun, pressure_work_in_damage: bool) -> str:
    s = run.setup
    crack = "penny crack (axisymmetric)" if s.axisymmetric else "crack"
    return (
        f"Griffith {crack} l/a0={s.length_ratio:g}, h=l/{s.cells_per_length:g}, box {s.box_ratio:g} a0, "
        f"{DAMAGE_DRIVES[pressure_work_in_damage]}"
    )


def critical_pressure_row(run: GriffithRun, pressure_work_in_damage: bool) -> CaseResult:
    """Pressure of the first step whose tip advanced more than ``GROWTH_CELLS`` cells, against Griffith."""
    s, k = run.setup, run.growth_step
    value = float(run.pressure_Pa[k]) if k >= 0 else float("nan")
    at = run.volume_m2[k] / s.critical_volume_m2() if k >= 0 else float("nan")
    return CaseResult(
        _label(run, pressure_work_in_damage),
        f"critical pressure (Pa), growth > {GROWTH_CELLS:g} cells at V/V_c = {at:.2f}"
        f" (peak {run.pressure_Pa.max():.4g} Pa; a_eff/a0 = {s.effective_half_length_m / s.half_length_m:.4f},"
        f" Gc_eff/Gc = {s.effective_fracture_energy_J_per_m2 / FRACTURE_ENERGY_J_PER_M2:.3f})",
        value,
        s.griffith_pressure_Pa(),
        0.10,
        f"{PENNY_GRIFFITH if s.axisymmetric else GRIFFITH}; {CORRECTIONS}",
    )


def volume_law_rows(run: GriffithRun, pressure_work_in_damage: bool, points: int = 3) -> list[CaseResult]:
    """Pressure against ``(2 E' Gc_eff^2 / (pi V))^(1/3)`` at the last ``points`` steps (after growth)."""
    s = run.setup
    return [
        CaseResult(
            _label(run, pressure_work_in_damage),
            f"pressure (Pa) at V/V_c = {v / s.critical_volume_m2():.2f}, tip advanced {a / s.half_length_m:.2f} a0",
            float(p),
            s.volume_law_pressure_Pa(v),
            0.10,
            f"{VOLUME_LAW}; {CORRECTIONS}",
        )
        for v, p, a in zip(run.volume_m2[-points:], run.pressure_Pa[-points:], run.tip_advance_m[-points:], strict=True)
    ]


def griffith_cases() -> list[CaseResult]:
    """docs/model.md case 3 as ``ecmjax validate`` runs it: the critical pressure of :data:`COARSE` (BCY)."""
    run = evolve_volume_controlled(COARSE, np.asarray(ONSET_VOLUME_RATIOS), pressure_work_in_damage=True)
    return [critical_pressure_row(run, True)]
