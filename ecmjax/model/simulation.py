"""The coupled model along its load path: Li fills the defect, its pressure cracks the electrolyte, to a short.

The load is the Li volume ``V`` in the defect (docs/model.md section 3a): the mechanics are quasi-static and
rate-independent, so the cell's state depends on ``V`` alone, and time follows by quadrature of the rate at
which plating fills the body. One increment (:func:`_trial_step`), from the converged state at ``V`` to a
target volume ``V'``:

1. **Staggered mechanics at fixed volume.** Alternate, to ``damage.staggered_tolerance`` in damage, relative
   pressure and relative elastic residual: elasticity with the Li pressure on the body's walls (its tangent in
   ``p`` comes with it, one more linear solve); the pressure at which the Li plated, ``V'``, fills the cavity
   once compressed (:mod:`ecmjax.physics.li_body`); the history ``H = max psi+``; the damage (AT2 or AT1,
   irreversible; optionally nucleated at the electrolyte's strength). Staggered rather than monolithic because
   each half is a convex minimisation with a robust multigrid-Newton solver, while the joint energy is not
   convex; iterating to a tolerance removes the splitting error. While a crack runs the iteration contracts by
   only a few percent per pass, so the damage iterates are Anderson-accelerated (``damage.anderson_depth``);
   the iteration is :func:`ecmjax.solver.nonlinear.stagger.staggered_solve`, which the Griffith validation
   case runs too.
2. **Potential at the converged state.** The ionic potential with Butler-Volmer on the Li body's walls (at
   the body's pressure) and on the flat anode (at the stack pressure) gives the plating current ``I`` into
   the body and the filling rate ``q = (Omega_Li/F) I - Q_out``.
3. **Time by quadrature.** ``t' = t + integral dV / q`` over the increment, with ``q`` linear in ``V``
   (:func:`ecmjax.physics.li_body.filling_time_s`). Where ``q <= 0`` (the pressure has reached the
   Monroe-Newman cap) or ``t' >= time.t_end_s``, the cell survives.
4. **Path control.** The targets are a fixed grid in volume, ``V_k = V_0 + k dV`` (:func:`volume_grid`),
   so that a small change of a parameter moves every point of the path a little and changes none of the
   decisions. An increment over which the crack advances more than ``path.max_crack_advance_cells``
   cells, whose end plating cannot reach (``q <= 0``), or whose solves fail, is bisected, down to
   ``path.event_tolerance`` of ``dV``: an unstable crack jump is so located within that tolerance in
   volume, and taken there at fixed volume (it costs no time); if its staggered iteration needs more
   than ``damage.max_staggered_iterations`` passes it continues, still at that volume, up to
   :data:`MAX_CONTINUATIONS` times.
5. **Events located in the increment.** Initiation (the largest damage through ``INITIATED``) and the
   short circuit (the crack tip through ``domain.thickness_m - domain.short_circuit_margin_m``) are
   interpolated linearly in ``V`` on these continuous indicators, and timed by the same quadrature.

The loop is a ``lax.while_loop`` over a fixed-shape :class:`State` (fields, scalars and a preallocated
history table of :class:`~ecmjax.model.figures.StepFigures` rows, one per point of the path), so that it
can be jitted, batched and differentiated. :func:`run` drives it in chunks from Python (:data:`start_jit`,
:data:`advance_jit`) so that a progress bar can be shown between chunks; :func:`run_figures` gives a run's
headline figures.
"""

import dataclasses
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jaxtyping import Array, Bool, Float, Int, PyTree

from ecmjax.config import Config, check_devices, traced_floats
from ecmjax.config.precision import resolve_dtype
from ecmjax.model.figures import Quantity, RunFigures, Status, StepFigures
from ecmjax.model.measures import (
    INITIATED,
    crack_tip_depth_m,
    damage_extents,
    max_damage,
    wall_peak_current_density_A_per_m2,
    wetted_walls,
)
from ecmjax.model.problems import (
    Defect,
    build_grid,
    cell_voltage_V,
    damage_problem,
    discretise_defect,
    elasticity_problem,
    li_body,
    newton_settings,
    potential_problem,
    tensile_energy_J_per_m3,
)
from ecmjax.physics.kinetics import li_pressure_cap_Pa, symmetric_overpotential_V
from ecmjax.physics.li_body import balanced_pressure_Pa, filled_fraction, filling_time_s
from ecmjax.physics.li_body import filling_rate_m2_per_s as li_filling_rate_m2_per_s
from ecmjax.solver.fields.damage import solve_damage
from ecmjax.solver.fields.elasticity import cavity_opening_m2, solve_elasticity
from ecmjax.solver.fields.potential import (
    flat_cell_potential_V,
    interface_currents_A_per_m,
    solve_potential,
)
from ecmjax.solver.grid import Grid, Grid3D
from ecmjax.solver.nonlinear.newton import NewtonKrylov
from ecmjax.solver.nonlinear.stagger import DamageUpdate, ElasticUpdate, staggered_solve
from ecmjax.solver.parallel.decomposition import Tree, domain_mesh, split_along_x

MAX_CONTINUATIONS = 10
"""Times the staggered iteration of a smallest increment continues (``damage.max_staggered_iterations``
passes each) before the run stops as diverged: an unstable jump converges within them."""


class Model(eqx.Module):
    """What stays fixed during a run: the configuration, the grid, the pit and the solver settings."""

    config: Config
    grid: Grid | Grid3D
    defect: Defect
    solver: NewtonKrylov
    pit_area_m2: Float[Array, ""]
    outside_pit: Bool[Array, "*nodes"]


def build_model(config: Config) -> Model:
    """Discretise the configuration (jit-compatible; every float of ``config`` stays differentiable)."""
    dtype = resolve_dtype(config.solver.dtype)
    grid = build_grid(config)
    grid = eqx.tree_at(lambda g: g.cell_size_m, grid, jnp.asarray(grid.cell_size_m, dtype))
    defect = discretise_defect(config, grid)
    return Model(
        config=config,
        grid=grid,
        defect=defect,
        solver=newton_settings(config, grid),
        pit_area_m2=jnp.sum(grid.node_measures() * defect.node_indicator),
        outside_pit=defect.node_indicator < 0.5,
    )


class Fields(eqx.Module):
    """The fields of the cell: ionic potential, displacement, damage (nodal) and history (cells).

    ``damage_floor`` is the running maximum of the damage: the irreversibility bound of the next step.
    Bounding by the last damage instead would let the penalty's small slack accumulate, step after step,
    into healing.
    """

    potential_V: Float[Array, "*nodes"]
    displacement_m: Float[Array, " d *nodes"]
    damage: Float[Array, "*nodes"]
    damage_floor: Float[Array, "*nodes"]
    history_J_per_m3: Float[Array, "*cells"]


class State(eqx.Module):
    """Everything the path carries: fields, the Li body's balance, headline figures, the history."""

    figures: StepFigures
    """Those of the last point of the path; before the first, those of the initial cell (NaN where only a
    solve gives them)."""
    grid_index: Int[Array, ""]
    """``k`` of the next grid volume ``V_0 + k dV``."""
    upper_volume_m2: Float[Array, ""]
    """The next target: the next grid volume or, while bisecting, the smallest volume known to be too far."""
    bisecting: Bool[Array, ""]
    step: Int[Array, ""]
    trials: Int[Array, ""]
    continuations: Int[Array, ""]
    """Continuations of the present increment's staggered iteration so far."""
    fields: Fields
    max_pressure_Pa: Float[Array, ""]
    failure_time_s: Float[Array, ""]
    failure_li_volume_m2: Float[Array, ""]
    initiation_time_s: Float[Array, ""]
    initiation_pressure_Pa: Float[Array, ""]
    initiation_li_volume_m2: Float[Array, ""]
    continued_increments: Int[Array, ""]
    staggered_iterations: Int[Array, ""]
    status: Int[Array, ""]
    """A :class:`~ecmjax.model.figures.Status` value."""
    diverged_quantity: Int[Array, ""]
    """A :class:`~ecmjax.model.figures.Quantity` value: what blew up in a diverged run."""
    history: Float[Array, "rows columns"]
    """One row of :class:`~ecmjax.model.figures.StepFigures` per point of the path (NaN after the last)."""

    def recorded(self) -> StepFigures:
        """The history of the path so far, as NumPy columns (host-side)."""
        return StepFigures.of_rows(np.asarray(self.history)[: int(self.step)])


def potential_at(model: Model, pressure_Pa, damage, damage_floor, start_V):
    """Potential for the Li body of ``damage`` (joined on ``damage_floor``) at ``pressure_Pa``, from
    ``start_V``; the solver's report, the plating current into the body (A/m, or A in 3D), the cell voltage,
    the peak plating current density on the wetted walls and the pressure cap there."""
    problem = potential_problem(model.config, model.grid, model.defect, pressure_Pa, damage, damage_floor)
    phi, info = solve_potential(problem, start_V, model.solver)
    current = interface_currents_A_per_m(phi, problem)[0]
    peak = wall_peak_current_density_A_per_m2(model.grid, phi, problem)
    wetted = wetted_walls(model.grid, problem)
    cap = li_pressure_cap_Pa(jnp.maximum(jnp.max(jnp.where(wetted, phi, -jnp.inf)), 0.0))
    return phi, info, current, cell_voltage_V(model.grid, phi), peak, cap


def _elasticity(model: Model, pressure_Pa, damage, fields: Fields, start):
    """One Newton step of elasticity at ``pressure_Pa`` from ``start``: the displacement, its tangent in the
    pressure, the cavity's volume and compliance, and whether the displacement is converged.

    The Li body and the fragments held in place are those of the last step's ``fields``.

    The split energy is piecewise quadratic, so a solve from scratch takes 3-4 Newton steps; within the
    staggered iteration, which re-solves after every damage update anyway, one step per iteration is
    enough, and the iteration runs on until the elastic residual too is below
    ``damage.staggered_tolerance`` (relative to the load).
    """
    one_step = dataclasses.replace(model.solver, max_iterations=1)

    def solve(p):
        problem = elasticity_problem(
            model.config, model.grid, model.defect, p, damage, fields.damage_floor, fields.displacement_m
        )
        u, info = solve_elasticity(problem, one_step, start)
        return u, (info, problem.cavity_indicator)

    u, du_dp, (info, body) = jax.jvp(solve, (pressure_Pa,), (jnp.ones_like(pressure_Pa),), has_aux=True)
    volume = model.pit_area_m2 + cavity_opening_m2(model.grid, u, body)
    compliance = cavity_opening_m2(model.grid, du_dp, body)
    return u, du_dp, volume, compliance, info


class _Trial(eqx.Module):
    """Outcome of one attempted step."""

    fields: Fields
    figures: StepFigures
    staggered_converged: Bool[Array, ""]
    staggered_iterations: Int[Array, ""]
    solved: Int[Array, ""]
    """The :class:`~ecmjax.model.figures.Quantity` of the first solve that failed (``NONE``: none did)."""


def _trial_step(model: Model, state: State, volume_m2) -> _Trial:
    """The converged mechanics at Li volume ``volume_m2`` from ``state``, then the potential there."""
    config, grid = model.config, model.grid
    fields, p_old = state.fields, state.figures.pressure_Pa
    stack = jnp.asarray(config.operating.stack_pressure_Pa, p_old.dtype)

    def elastic_step(u, d, p):
        u_p, du_dp, cavity, compliance, elastic_info = _elasticity(model, p, d, fields, u)
        p_new = balanced_pressure_Pa(
            p,
            li_volume_m2=volume_m2,
            cavity_volume_m2=cavity,
            cavity_compliance_m2_per_Pa=compliance,
            stack_pressure_Pa=stack,
            bulk_modulus_Pa=config.lithium.bulk_modulus_Pa,
        )
        return ElasticUpdate(u_p + (p_new - p) * du_dp, p_new, elastic_info.relative_residual)

    def damage_step(u, p, d):
        history = jnp.maximum(fields.history_J_per_m3, tensile_energy_J_per_m3(config, grid, model.defect, u))
        problem = damage_problem(config, grid, model.defect, u, history, fields.damage_floor)
        d_solved, damage_info = solve_damage(problem, d, model.solver)
        return DamageUpdate(d_solved, history, damage_info.converged)

    staggered = staggered_solve(
        elastic_step,
        damage_step,
        fields.displacement_m,
        fields.damage,
        p_old,
        fields.history_J_per_m3,
        tolerance=config.damage.staggered_tolerance,
        max_iterations=config.damage.max_staggered_iterations,
        pressure_scale_Pa=stack,
        over_relaxation=config.damage.over_relaxation,
        anderson_depth=config.damage.anderson_depth,
    )
    u, d, p = staggered.displacement_m, staggered.damage, staggered.pressure_Pa
    body = li_body(config, grid, model.defect, d, fields.damage_floor).node_indicator
    damage_floor = jnp.maximum(fields.damage_floor, d)
    mechanics = Fields(fields.potential_V, u, d, damage_floor, staggered.history_J_per_m3)
    phi, potential_info, current, voltage, peak, cap = potential_at(model, p, d, damage_floor, fields.potential_V)
    failed = staggered.failed
    failed = jnp.where(failed > 0, failed, jnp.where(jnp.all(jnp.isfinite(u)), 0, Quantity.DISPLACEMENT))
    failed = jnp.where(failed > 0, failed, jnp.where(jnp.all(jnp.isfinite(d)), 0, Quantity.DAMAGE))
    potential_solved = potential_info.converged & jnp.all(jnp.isfinite(phi))
    failed = jnp.where(failed > 0, failed, jnp.where(potential_solved, 0, Quantity.POTENTIAL))
    return _Trial(
        fields=eqx.tree_at(lambda f: f.potential_V, mechanics, phi),
        figures=StepFigures(
            time_s=jnp.full_like(p, jnp.nan),
            dt_s=jnp.full_like(p, jnp.nan),
            pressure_Pa=p,
            li_volume_m2=jnp.asarray(volume_m2, p.dtype),
            cavity_volume_m2=model.pit_area_m2 + cavity_opening_m2(grid, u, body),
            crack_tip_depth_m=crack_tip_depth_m(grid, model.defect.node_indicator, damage_floor),
            max_damage=max_damage(d, model.outside_pit),
            cell_voltage_V=voltage,
            peak_current_density_A_per_m2=peak,
            current_into_defect_A_per_m=current,
            pressure_cap_Pa=cap,
        ),
        staggered_converged=staggered.converged,
        staggered_iterations=staggered.iterations,
        solved=failed,
    )


def crossing_fraction(before, after, level):
    """Where in an increment a quantity going from ``before`` to ``after`` reaches ``level`` (0 to 1)."""
    return jnp.clip((level - before) / jnp.where(after > before, after - before, 1.0), 0.0, 1.0)


def _between(before, after, fraction):
    """The value ``fraction`` of the way from ``before`` to ``after`` (linear in the increment)."""
    return before + fraction * (after - before)


def filling_rate_m2_per_s(config: Config, current_A_per_m, pressure_Pa) -> Float[Array, "*points"]:
    """``q = dV/dt`` at points of the path under ``config``'s operating condition, from the plating current
    into the body and its pressure (:func:`ecmjax.physics.li_body.filling_rate_m2_per_s`)."""
    return li_filling_rate_m2_per_s(
        current_A_per_m,
        pressure_Pa,
        config.operating.stack_pressure_Pa,
        config.operating.creep_outflow_m2_per_Pa_s,
    )


class VolumeGrid(eqx.Module):
    """The fixed grid of target volumes ``V_0 + k dV`` and the smallest bisected increment (m^2, or m^3 in 3D)."""

    start_m2: Float[Array, ""]
    increment_m2: Float[Array, ""]
    tolerance_m2: Float[Array, ""]

    def at(self, index) -> Float[Array, ""]:
        return self.start_m2 + index * self.increment_m2


def volume_grid(model: Model) -> VolumeGrid:
    """``V_0``, the initial fill, and ``dV = (2 (1 + nu) / E + 1 / K_Li) V_defect dp`` (``path.pressure_increment_Pa``):
    the Li that a circular hole of the defect's size takes up as its pressure rises by ``dp``."""
    config = model.config
    material = config.material
    hole = 2.0 * (1.0 + material.poisson_ratio) / material.youngs_modulus_Pa
    compliance = (hole + 1.0 / config.lithium.bulk_modulus_Pa) * model.pit_area_m2
    increment = config.path.pressure_increment_Pa * compliance
    start = config.geometry.fill_fraction * model.pit_area_m2
    return VolumeGrid(start, increment, config.path.event_tolerance * increment)


def _advance_one(model: Model, state: State) -> State:
    """Attempt one increment; commit it, bisect it, continue its staggered iteration, or stop the run."""
    config, h = model.config, model.grid.cell_size_m
    volumes = volume_grid(model)
    last = state.figures
    upper = state.upper_volume_m2
    smallest = volumes.tolerance_m2 * (1.0 + 1e-9)
    halfway = 0.5 * (last.li_volume_m2 + upper)
    target = jnp.where(state.bisecting & (upper - last.li_volume_m2 > smallest), halfway, upper)
    trial = _trial_step(model, state, target)
    new = trial.figures

    finest = target - last.li_volume_m2 <= smallest
    advance_cells = (new.crack_tip_depth_m - last.crack_tip_depth_m) / h
    rate = lambda f: filling_rate_m2_per_s(config, f.current_into_defect_A_per_m, f.pressure_Pa)
    rate_old, rate_new = rate(last), rate(new)
    # Too far: the crack ran, or plating cannot reach the target (the Monroe-Newman cap lies within the
    # increment, which is bisected so that the survival is located like a jump).
    too_far = (advance_cells > config.path.max_crack_advance_cells) | ~(rate_new > 0)
    solved = trial.solved == 0
    converged = trial.staggered_converged
    failure_depth = config.domain.thickness_m - config.domain.short_circuit_margin_m
    reaches_far_side = new.crack_tip_depth_m >= failure_depth
    # An unstable jump runs as far whatever the increment: at the finest it is taken, at fixed volume,
    # once its staggered iteration has converged (continuing it as often as that takes), or as soon as its
    # crack reaches the far side: alternate minimisation from a state below the new load raises the damage
    # monotonically (Bourdin, Francfort & Marigo, J. Elasticity 2008; Anderson mixing keeps this only
    # approximately), so the converged jump is a short circuit too, at this volume, and costs no time.
    accept = solved & ((converged & (~too_far | finest)) | (finest & reaches_far_side))
    continues = solved & ~converged & finest & (state.continuations < MAX_CONTINUATIONS)
    diverged = finest & ~accept & ~continues
    bisect = ~accept & ~continues & ~diverged

    increment = target - last.li_volume_m2
    time_at = lambda fraction: last.time_s + filling_time_s(increment, rate_old, rate_new, fraction)
    new = eqx.tree_at(lambda f: (f.time_s, f.dt_s), new, (time_at(1.0), time_at(1.0) - last.time_s))
    t_end = config.time.t_end_s

    failure_fraction = crossing_fraction(last.crack_tip_depth_m, new.crack_tip_depth_m, failure_depth)
    # Across a jump the crack runs at one volume, somewhere in the increment: the derivative of where is the
    # jump's own (ecmjax.model.sensitivity), not that of the crack tip's interpolation between its ends.
    failure_fraction = jnp.where(too_far, lax.stop_gradient(failure_fraction), failure_fraction)
    failure_time = time_at(failure_fraction)
    fails = reaches_far_side & (failure_time < t_end)
    survives = ~fails & (new.time_s >= t_end)
    initiates = jnp.isnan(state.initiation_time_s) & (new.max_damage >= INITIATED) & ~survives
    initiation_fraction = crossing_fraction(last.max_damage, new.max_damage, INITIATED)
    # Across a jump (an increment of the finest size whose crack ran), the crack started at the pressure before it.
    initiation_pressure = jnp.where(
        too_far, last.pressure_Pa, _between(last.pressure_Pa, new.pressure_Pa, initiation_fraction)
    )
    step = state.step + 1
    status = jnp.where(
        fails,
        Status.FAILED,
        jnp.where(
            survives,
            Status.SURVIVED,
            jnp.where(step >= config.path.max_increments, Status.INCOMPLETE, Status.RUNNING),
        ),
    )
    at_upper = target >= upper
    grid_index = state.grid_index + jnp.where(at_upper & (upper >= volumes.at(state.grid_index)), 1, 0)
    committed = State(
        figures=new,
        grid_index=grid_index,
        upper_volume_m2=jnp.where(at_upper, volumes.at(grid_index), upper),
        bisecting=state.bisecting & ~at_upper,
        step=step,
        trials=state.trials + 1,
        continuations=jnp.asarray(0),
        fields=trial.fields,
        max_pressure_Pa=jnp.maximum(state.max_pressure_Pa, new.pressure_Pa),
        failure_time_s=jnp.where(fails, failure_time, state.failure_time_s),
        failure_li_volume_m2=jnp.where(
            fails, _between(last.li_volume_m2, target, failure_fraction), state.failure_li_volume_m2
        ),
        initiation_time_s=jnp.where(initiates, time_at(initiation_fraction), state.initiation_time_s),
        initiation_pressure_Pa=jnp.where(initiates, initiation_pressure, state.initiation_pressure_Pa),
        initiation_li_volume_m2=jnp.where(
            initiates, _between(last.li_volume_m2, target, initiation_fraction), state.initiation_li_volume_m2
        ),
        continued_increments=state.continued_increments + jnp.where(state.continuations > 0, 1, 0),
        staggered_iterations=state.staggered_iterations + trial.staggered_iterations,
        status=status,
        diverged_quantity=state.diverged_quantity,
        history=lax.dynamic_update_index_in_dim(state.history, new.row(state.history.dtype), state.step, axis=0),
    )
    # A surviving cell ends within the increment, at t_end: its last row is interpolated there (the fields
    # are those of the point before), the point past it is never reached.
    end_fraction = filled_fraction(increment, rate_old, rate_new, t_end - last.time_s)
    end = jax.tree.map(lambda a, b: _between(a, b, end_fraction), last, new)
    end = eqx.tree_at(lambda f: (f.time_s, f.dt_s), end, (jnp.asarray(t_end, last.time_s.dtype), t_end - last.time_s))
    survived = eqx.tree_at(
        lambda s: (s.figures, s.status, s.step, s.trials, s.max_pressure_Pa, s.history),
        state,
        (
            end,
            jnp.asarray(Status.SURVIVED),
            step,
            state.trials + 1,
            jnp.maximum(state.max_pressure_Pa, end.pressure_Pa),
            lax.dynamic_update_index_in_dim(state.history, end.row(state.history.dtype), state.step, axis=0),
        ),
    )
    # The staggered iterate of a jump goes on from where it stopped (the irreversibility floor stays that
    # of the last point: an unconverged iterate does not raise it).
    carried = eqx.tree_at(lambda f: f.damage_floor, trial.fields, state.fields.damage_floor)
    not_taken = eqx.tree_at(
        lambda s: (
            s.upper_volume_m2,
            s.bisecting,
            s.trials,
            s.continuations,
            s.fields,
            s.staggered_iterations,
            s.status,
            s.diverged_quantity,
        ),
        state,
        (
            jnp.where(bisect, target, upper),
            state.bisecting | bisect,
            state.trials + 1,
            state.continuations + jnp.where(continues, 1, 0),
            jax.tree.map(lambda a, b: jnp.where(continues, a, b), carried, state.fields),
            state.staggered_iterations + trial.staggered_iterations,
            jnp.where(diverged, Status.DIVERGED, Status.RUNNING),
            jnp.where(diverged, jnp.where(solved, Quantity.STAGGERED, trial.solved), Quantity.NONE),
        ),
    )
    taken = jax.tree.map(lambda a, b: jnp.where(survives, a, b), survived, committed)
    return jax.tree.map(lambda a, b: jnp.where(accept, a, b), taken, not_taken)


def _split(config: Config, fields: Tree) -> Tree:
    """Grid fields split along x over ``solver.domain_devices`` devices (:mod:`ecmjax.solver.parallel.decomposition`).

    XLA then partitions every solve over the devices. On one device the fields are returned as they
    are, so that the single-device program is unchanged.
    """
    devices = config.solver.domain_devices
    if devices == 1:
        return fields
    check_devices(config)
    return split_along_x(fields, domain_mesh(devices), spatial_dims=3 if config.domain.dimension == "3d" else 2)


def advance(model: Model, state: State, steps) -> State:
    """Take up to ``steps`` more accepted steps, stopping early when the run ends (traceable)."""
    config = model.config
    model = eqx.tree_at(lambda m: (m.defect, m.outside_pit), model, _split(config, (model.defect, model.outside_pit)))
    split_state = lambda s: eqx.tree_at(lambda s: s.fields, s, _split(config, s.fields))
    target = state.step + steps
    keep_going = lambda s: (s.status == Status.RUNNING) & (s.step < target)
    return lax.while_loop(keep_going, lambda s: split_state(_advance_one(model, s)), split_state(state))


def flat_potential_V(model: Model) -> Float[Array, "*nodes"]:
    """The potential of the defect-free cell at the model's operating condition: the start of a solve."""
    config = model.config
    dtype = model.defect.node_indicator.dtype
    problem = potential_problem(config, model.grid, model.defect, jnp.asarray(config.operating.li_pressure_Pa, dtype))
    eta = symmetric_overpotential_V(
        config.operating.current_density_A_per_m2,
        config.kinetics.exchange_current_A_per_m2,
        config.operating.temperature_K,
    )
    return flat_cell_potential_V(problem, eta).astype(dtype)


def initial_state(model: Model) -> State:
    """The cell at ``t = 0``: intact and unstrained, its pit ``fill_fraction`` full of Li (by undeformed area).

    No field is solved here: the first point of the path, at this volume, solves them all, so the whole
    run compiles once.
    """
    config, grid = model.config, model.grid
    dtype = model.defect.node_indicator.dtype
    pressure = jnp.asarray(config.operating.li_pressure_Pa, dtype)
    damage = jnp.zeros(grid.node_shape, dtype)
    nan, zero = jnp.asarray(jnp.nan, dtype), jnp.asarray(0.0, dtype)
    figures = StepFigures(
        time_s=zero,
        dt_s=nan,
        pressure_Pa=pressure,
        li_volume_m2=volume_grid(model).start_m2,
        cavity_volume_m2=model.pit_area_m2,
        crack_tip_depth_m=crack_tip_depth_m(grid, model.defect.node_indicator, damage),
        max_damage=zero,
        cell_voltage_V=nan,
        peak_current_density_A_per_m2=nan,
        current_into_defect_A_per_m=nan,
        pressure_cap_Pa=nan,
    )
    return State(
        figures=figures,
        grid_index=jnp.asarray(0),
        upper_volume_m2=figures.li_volume_m2,
        bisecting=jnp.asarray(False),
        step=jnp.asarray(0),
        trials=jnp.asarray(0),
        continuations=jnp.asarray(0),
        fields=_split(
            config,
            Fields(
                potential_V=flat_potential_V(model),
                displacement_m=jnp.zeros((len(grid.shape),) + grid.node_shape, dtype),
                damage=damage,
                damage_floor=damage,
                history_J_per_m3=jnp.zeros(grid.shape, dtype),
            ),
        ),
        max_pressure_Pa=pressure,
        failure_time_s=nan,
        failure_li_volume_m2=nan,
        initiation_time_s=nan,
        initiation_pressure_Pa=nan,
        initiation_li_volume_m2=nan,
        continued_increments=jnp.asarray(0),
        staggered_iterations=jnp.asarray(0),
        status=jnp.asarray(Status.RUNNING),
        diverged_quantity=jnp.asarray(Quantity.NONE),
        history=jnp.full((config.path.max_increments, len(StepFigures.names())), jnp.nan, dtype),
    )


def model_and_state(config: Config) -> tuple[Model, State]:
    """The model of ``config`` and its state at ``t = 0`` (traceable)."""
    model = build_model(config)
    return model, initial_state(model)


start_jit = eqx.filter_jit(model_and_state)
""":func:`model_and_state`, compiled: what :func:`run` starts from."""
advance_jit = eqx.filter_jit(advance)
""":func:`advance`, compiled: what :func:`run` calls for each chunk of steps (one compilation serves every
chunk of a run, and of every run of the same shapes)."""


def run_figures(model: Model, state: State) -> RunFigures:
    """The headline figures of a run that got to ``state`` (traceable): NaN where a figure does not exist
    (the failure time of a cell that did not fail, the mean depth of damage where there is none)."""
    extents = damage_extents(model.grid, state.fields.damage, model.outside_pit)
    return RunFigures(
        status=state.status,
        failure_time_s=jnp.where(state.status == Status.FAILED, state.failure_time_s, jnp.nan),
        failure_li_volume_m2=jnp.where(state.status == Status.FAILED, state.failure_li_volume_m2, jnp.nan),
        initiation_time_s=state.initiation_time_s,
        initiation_pressure_Pa=state.initiation_pressure_Pa,
        initiation_li_volume_m2=state.initiation_li_volume_m2,
        max_pressure_Pa=state.max_pressure_Pa,
        pressure_cap_Pa=state.figures.pressure_cap_Pa,
        final_time_s=state.figures.time_s,
        crack_tip_depth_m=state.figures.crack_tip_depth_m,
        damage_depth_extent_m=extents.depth_extent_m,
        damage_lateral_extent_m=extents.lateral_extent_m,
        damage_mean_depth_m=jnp.where(extents.depth_extent_m > 0, extents.mean_depth_m, jnp.nan),
        n_steps=state.step,
        n_trials=state.trials,
        continued_increments=state.continued_increments,
        staggered_iterations=state.staggered_iterations,
    )


def state_shape(config: Config) -> State:
    """The shapes and dtypes of a run's :class:`State` (nothing is computed): the template of a checkpoint."""
    return eqx.filter_eval_shape(model_and_state, config)[1]


def cast_like(template: PyTree, state: PyTree) -> PyTree:
    """``state`` (e.g. NumPy arrays from a checkpoint) typed and placed as ``template`` (a State, or any tree
    of arrays).

    The chunk compiled for a fresh run then serves it: a state differing in weak type, sharding or
    commitment to a device would compile the loop again.
    """
    put = lambda t, x: lax.full_like(t, x) if t.ndim == 0 else jax.device_put(x, t.sharding if t.committed else None)
    return jax.tree.map(put, template, state)


def run(
    config: Config,
    *,
    start: State | None = None,
    chunk_steps: int = 10,
    on_chunk: Callable[[Model, State], None] | None = None,
    stop_when: Callable[[State], bool] | None = None,
) -> tuple[Model, State]:
    """Run the configuration to failure, ``t_end`` or divergence; returns the model and the final state.

    ``start``: resume from this state (of a run of the same configuration, say from a checkpoint) rather
    than from ``t = 0``; the steps taken from it are those an uninterrupted run takes, bit for bit. The
    loop runs jitted, ``chunk_steps`` accepted steps at a time; ``on_chunk(model, state)`` is called after
    the starting state and after every chunk (progress bars, snapshots, checkpoints). ``stop_when(state)``,
    checked after every chunk, ends the run early (still ``running``), e.g. once an event of interest is
    passed.
    """
    model, state = start_jit(traced_floats(config))
    if start is not None:
        state = cast_like(state, start)
    if on_chunk is not None:
        on_chunk(model, state)
    steps = jnp.asarray(chunk_steps)
    while int(state.status) == Status.RUNNING and (stop_when is None or not stop_when(state)):
        state = advance_jit(model, state, steps)
        if on_chunk is not None:
            on_chunk(model, state)
    return model, state
