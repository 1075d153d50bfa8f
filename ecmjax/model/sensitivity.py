"""The run and the derivatives of its whole path with respect to chosen configuration keys.

Forward mode (``jax.jvp``, one tangent per key, batched with ``vmap``) carries the derivatives of every
field and scalar through the same path as the run itself, chunk by chunk, so that progress can be shown and
nothing is stored per point. The primal is computed once for all tangents: the solves that only steer
control flow (Newton's own steps) do not go through ``lax.custom_linear_solve``, whose batching rule marks
every auxiliary output batched (its iteration count would otherwise batch the staggered ``while_loop``'s
predicate, and with it the whole primal). Three keys cost 3.2 forward runs (``scripts/bench_gradient.py``).
Forward rather than reverse mode, because:

- a fit has a handful of parameters (geometry, modulus) and needs the full Jacobian of every observed
  failure time, which forward mode gives in one pass with as many tangents as parameters;
- the path takes as many increments as the physics needs (``lax.while_loop`` with bisections), which JAX
  differentiates in forward mode only; reverse mode would need a fixed number of increments, each
  checkpointed, and memory that grows with them;
- every field solve inside is differentiated implicitly (``lax.custom_root``, one extra linear solve
  per tangent with the same multigrid-preconditioned CG), not through its iterations.

What the derivative is. The path's points are a fixed grid in the Li volume (docs/model.md section 3a),
smooth in the parameters, so on the smooth build-up and the stable growth of a crack the tangent, with
every discrete decision held as the run took it, is the derivative of the converged path. A crack jump
is different: the run locates it between two points ``a`` and ``b`` of the smallest increment, at a volume
``V*`` that moves with the parameters while the points do not (relative to the path's grid). A short
circuit within the jump comes at ``t_a + (V* - V_a) / q_a``, whose derivative gains ``(1/q_a) dV*/dtheta``:
the implicit derivative of where the smooth indicator :func:`ecmjax.model.measures.short_circuit_damage`
reaches its level, from the point before and a tangent along the path itself (``dx/dV``, carried like the
keys'; :func:`_short_circuit_shift`). The crack tip jumps there when a node ahead joins the crack, though
the damage moves continuously.

Not yet: a jump at a fold of the branch (the crack runs at fixed volume and arrests, the pressure drops:
the default case's initiation). The filling rate ``q`` jumps there, so every later time gains
``(1/q_a - 1/q_b) dV*/dtheta``, and the state after the jump moves with ``V*`` too. Two estimates of
``dV*/dtheta`` (the projection of the damage's tangent on the branch's slope, and that with the jump
restarted from the moved fold) gave derivatives of the default case's ``t_f`` 2.6-3.5 times the central
differences' in the modulus, and of the wrong sign in the aspect ratio; so a run that has taken such a jump
reports its derivatives as NaN (:attr:`Sensitivity.folds`) rather than a wrong number.

Checked against central differences of full runs (tests/model/test_sensitivity.py, on a thin cell whose
short circuit is the first jump).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from ecmjax.config import Config, check_parameter_keys, key_values, traced_floats, with_parameters
from ecmjax.model.figures import Status
from ecmjax.model.measures import short_circuit_damage
from ecmjax.model.simulation import (
    Model,
    State,
    advance,
    build_model,
    cast_like,
    filling_rate_m2_per_s,
    initial_state,
    volume_grid,
)

__all__ = ["Sensitivity", "carried", "run_with_sensitivities", "start_sensitivity"]


def _jvp(fn: Callable, primal, tangent):
    """``jax.jvp`` of ``fn`` at ``primal`` along the tangents of its inexact arrays (``None`` elsewhere).

    Returns the output and its tangent, again with ``None`` for every leaf that is not an inexact
    array (integers carry no derivative), so that tangents go back in as they came out.
    """
    dynamic, static = eqx.partition(primal, eqx.is_inexact_array)
    output, output_tangent = jax.jvp(lambda d: fn(eqx.combine(d, static)), (dynamic,), (tangent,))
    # Python floats pass through as they are but get (zero) array tangents: keep only those of arrays.
    return output, jax.tree.map(lambda o, t: t if eqx.is_inexact_array(o) else None, output, output_tangent)


@eqx.filter_jit
def _start(config: Config, keys: tuple[str, ...]):
    """Model, initial state and their tangents along each key (a leading axis of ``len(keys)``)."""
    theta = jnp.stack([jnp.asarray(v, jnp.result_type(float)) for v in key_values(config, keys)])

    def start(theta):
        model = build_model(with_parameters(config, keys, theta))
        return model, initial_state(model)

    along = lambda direction: _jvp(start, theta, direction)
    return jax.vmap(along, out_axes=(None, 0))(jnp.eye(len(keys), dtype=theta.dtype))


def _along_volume(state_tangent: State) -> State:
    """``state_tangent`` as a tangent along the path: every point's volume and target moved by one.

    Carried from point to point like the keys' tangents, it is the slope of the path's branch, ``dx/dV``,
    with the same (staggered) iterations converging it: a fresh direction at every point would start each
    point's tangent from zero, which the few iterations of a point near its predecessor do not converge.
    """
    one = jnp.ones_like(state_tangent.upper_volume_m2)
    return eqx.tree_at(lambda s: (s.figures.li_volume_m2, s.upper_volume_m2), state_tangent, (one, one))


@eqx.filter_jit
def _advance(model: Model, state: State, tangents, volume_tangent: State, along_path: bool):
    """One more point of the path (:func:`ecmjax.model.simulation.advance`), with the tangents of ``(model,
    state)`` carried along each key, and (if ``along_path``) the tangent along the path (:func:`_along_volume`)."""
    model_tangents, state_tangents = tangents
    along = lambda tangent: _jvp(lambda ms: advance(*ms, 1), (model, state), tangent)
    if not along_path:
        states, state_tangents = jax.vmap(along)(tangents)
        return jax.tree.map(lambda a: a[0], states), (model_tangents, state_tangents), volume_tangent
    still = jax.tree.map(lambda t: jnp.zeros_like(t[0]), model_tangents)
    directions = jax.tree.map(
        lambda t, v: jnp.concatenate([t, v[None]]), tangents, (still, _along_volume(volume_tangent))
    )
    states, state_tangents = jax.vmap(along)(directions)
    keys = jax.tree.map(lambda t: t[:-1], state_tangents)
    return jax.tree.map(lambda a: a[0], states), (model_tangents, keys), jax.tree.map(lambda t: t[-1], state_tangents)


class Sensitivity(eqx.Module):
    """A run and the derivatives of its state along each key (leading axis of ``tangents``), so far."""

    keys: tuple[str, ...] = eqx.field(static=True)
    model: Model
    state: State
    tangents: State
    """Derivatives of every inexact leaf of :attr:`state` along each key; other leaves are ``None``, and the
    jumps' locations are held (their share is :attr:`jump_time_gradient`)."""
    along_path: State
    """The state's derivative along the path (every point's volume moved by one): its branch's slope."""
    jump_time_gradient: Float[Array, " k"]
    """The Leibniz term of a short circuit within a crack jump: what moving the jump along the path adds to
    ``d t_f / d key`` (s per SI unit); zero until then."""
    folds: Int[Array, ""]
    """Jumps so far at a fold of the branch (the crack ran at fixed volume and arrested): their location's
    derivative is not known yet, so neither is any later time's."""

    @property
    def failure_time_s(self) -> float:
        """NaN unless the cell failed."""
        return float(self.state.failure_time_s)

    @property
    def failure_time_gradient(self) -> np.ndarray:
        """``d t_f / d key`` for each key (s per SI unit of the key), jumps included; NaN unless the cell failed,
        and NaN after a fold (:attr:`folds`)."""
        gradient = np.asarray(self.tangents.failure_time_s, float) + np.asarray(self.jump_time_gradient, float)
        return gradient if int(self.folds) == 0 else np.full_like(gradient, np.nan)


def _at_start(keys: tuple[str, ...], model: Model, state: State, tangents: State) -> Sensitivity:
    along_path = jax.tree.map(lambda t: jnp.zeros_like(t[0]), tangents)
    gradient = jnp.zeros(len(keys), state.figures.time_s.dtype)
    return Sensitivity(keys, model, state, tangents, along_path, gradient, jnp.asarray(0))


def start_sensitivity(config: Config, keys: Sequence[str]) -> Sensitivity:
    """The run of ``config`` at ``t = 0`` with its tangents along ``keys``: where :func:`run_with_sensitivities`
    starts (traceable: its shapes are the template of a checkpoint)."""
    keys = check_parameter_keys(keys)
    (model, state), (_, tangents) = _start(config, keys)
    return _at_start(keys, model, state, tangents)


def carried(run: Sensitivity) -> tuple[State, State, State, Float[Array, " k"], Int[Array, ""]]:
    """What a run with sensitivities carries from point to point (and a checkpoint keeps): the state, the
    tangents along the keys and along the path, the jumps' share of the gradient and the folds."""
    return run.state, run.tangents, run.along_path, run.jump_time_gradient, run.folds


@eqx.filter_jit
def _short_circuit_shift(model: Model, damage_floor, floor_tangents, floor_slope):
    """``dV*/d key`` of the short circuit relative to the path's points, from the point before it: the
    implicit derivative ``-dB/dtheta / (dB/dV)`` of where the indicator ``B``
    (:func:`ecmjax.model.measures.short_circuit_damage`) reaches :data:`~ecmjax.model.measures.LOCALISED`."""
    domain = model.config.domain
    depth = domain.thickness_m - domain.short_circuit_margin_m
    indicator = lambda d: short_circuit_damage(model.grid, model.defect.node_indicator, d, depth)
    along = lambda t: jax.jvp(indicator, (damage_floor,), (t,))[1]
    slope = along(floor_slope)
    return jnp.where(slope > 0, -jax.vmap(along)(floor_tangents) / jnp.where(slope > 0, slope, 1.0), 0.0)


def run_with_sensitivities(
    config: Config,
    keys: Sequence[str],
    *,
    start: tuple[State, State, State, Float[Array, " k"], Int[Array, ""]] | None = None,
    on_chunk: Callable[[Sensitivity], None] | None = None,
    max_steps: int | None = None,
    stop_when: Callable[[State], bool] | None = None,
    along_path_too: bool = True,
) -> Sensitivity:
    """Run ``config`` like :func:`ecmjax.model.simulation.run`, carrying the derivatives along ``keys``.

    ``start``: resume from the :func:`carried` part of a run (say from a checkpoint) rather than from
    ``t = 0``. ``on_chunk`` is called with the run so far after the start and after every point.
    ``max_steps`` stops after that many accepted steps (still running), e.g. to check an early stage.
    ``along_path_too=False`` leaves out the tangent along the path (one direction fewer, for a run that stops
    before any jump, as :mod:`ecmjax.inverse.failure_time`'s): a short circuit within a jump then has no
    derivative (NaN).

    One point of the path per jitted call, so that each crack jump's location can be differentiated from
    the point before it: a short circuit within a jump (an increment of the smallest size over which the
    crack runs more than ``path.max_crack_advance_cells``) at ``V*`` between points ``a`` and ``b`` adds
    ``(1/q_a) dV*/dtheta``, with ``q`` the filling rate (see the module's docstring for ``dV*/dtheta``); a
    jump that arrests (a fold) is counted in :attr:`Sensitivity.folds`, and the gradient is NaN after it.

    The tangents are batched together over one primal run: three keys cost about 3.2 forward runs.
    """
    keys = check_parameter_keys(keys)
    config = traced_floats(config)
    (model, state), (model_tangents, tangents) = _start(config, keys)
    run = _at_start(keys, model, state, tangents)
    if start is not None:
        run = Sensitivity(keys, model, *cast_like(carried(run), start))
    if on_chunk is not None:
        on_chunk(run)
    smallest = float(volume_grid(model).tolerance_m2) * (1.0 + 1e-9)
    rate = lambda f: float(filling_rate_m2_per_s(config, f.current_into_defect_A_per_m, f.pressure_Pa))
    while (
        int(run.state.status) == Status.RUNNING
        and (max_steps is None or int(run.state.step) < max_steps)
        and (stop_when is None or not stop_when(run.state))
    ):
        before = run
        carried_tangents = (model_tangents, run.tangents)
        state, (_, tangents), along_path = _advance(model, run.state, carried_tangents, run.along_path, along_path_too)
        a, b = before.state.figures, state.figures
        advance_cells = float(b.crack_tip_depth_m - a.crack_tip_depth_m) / float(model.grid.cell_size_m)
        finest = float(b.li_volume_m2 - a.li_volume_m2) <= smallest
        jumped = finest and advance_cells > config.path.max_crack_advance_cells
        jump, folds = 0.0, int(run.folds)
        if jumped and int(state.status) == Status.FAILED:
            floor, floor_tangents = before.state.fields.damage_floor, before.tangents.fields.damage_floor
            shift = _short_circuit_shift(model, floor, floor_tangents, before.along_path.fields.damage_floor)
            jump = np.asarray(shift) / rate(a) if along_path_too else np.nan
        elif jumped:
            folds += 1
        gradient = run.jump_time_gradient + jump
        run = Sensitivity(run.keys, model, state, tangents, along_path, gradient, jnp.asarray(folds))
        if on_chunk is not None:
            on_chunk(run)
    return run
