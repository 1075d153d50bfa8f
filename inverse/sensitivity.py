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

What the derivative is: that of the path with every discrete decision (bisections, iterations taken)
held as the run took them. The path's points are a fixed grid in the Li volume (docs/model.md section
3a), smooth in the parameters, so on the smooth build-up and the stable growth of a crack this is the
derivative of the converged path (tests/inverse/test_sensitivity.py checks it against central
differences). At an unstable jump the location ``V*`` is held at its bisected value: the jump's Leibniz
term ``(1/q- - 1/q+) dV*/dtheta`` of ``dt_f/dtheta`` is not in the tangent yet, so the fit still uses the
critical-pressure time of :mod:`.failure_time`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ecmjax.config import Config, check_parameter_keys, key_values, with_parameters
from ecmjax.model.figures import Status
from ecmjax.model.simulation import Model, State, advance, build_model, initial_state

__all__ = ["Sensitivity", "run_with_sensitivities"]


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


@eqx.filter_jit
def _advance(model: Model, state: State, tangents, steps):
    """:func:`ecmjax.model.simulation.advance` with the tangents of ``(model, state)`` carried along."""
    model_tangents, state_tangents = tangents
    along = lambda tangent: _jvp(lambda ms: advance(*ms, steps), (model, state), tangent)
    states, state_tangents = jax.vmap(along)((model_tangents, state_tangents))
    return jax.tree.map(lambda a: a[0], states), (model_tangents, state_tangents)


class Sensitivity(eqx.Module):
    """A finished run and the derivatives of its state along each key (leading axis of ``tangents``)."""

    keys: tuple[str, ...] = eqx.field(static=True)
    model: Model
    state: State
    tangents: State
    """Derivatives of every inexact leaf of :attr:`state` along each key; other leaves are ``None``."""

    @property
    def failure_time_s(self) -> float:
        """NaN unless the cell failed."""
        return float(self.state.failure_time_s)

    @property
    def failure_time_gradient(self) -> np.ndarray:
        """``d t_f / d key`` for each key (s per SI unit of the key); NaN unless the cell failed."""
        return np.asarray(self.tangents.failure_time_s, float)


def run_with_sensitivities(
    config: Config,
    keys: Sequence[str],
    *,
    chunk_steps: int = 10,
    on_chunk: Callable[[Model, State], None] | None = None,
    max_steps: int | None = None,
    stop_when: Callable[[State], bool] | None = None,
) -> Sensitivity:
    """Run ``config`` like :func:`ecmjax.model.simulation.run`, carrying the derivatives along ``keys``.

    ``max_steps`` stops after that many accepted steps (still running), e.g. to check an early stage.

    The tangents are batched together over one primal run: three keys cost about 3.2 forward runs.
    """
    keys = check_parameter_keys(keys)
    (model, state), tangents = _start(config, keys)
    if on_chunk is not None:
        on_chunk(model, state)
    steps = jnp.asarray(chunk_steps)
    while (
        int(state.status) == Status.RUNNING
        and (max_steps is None or int(state.step) < max_steps)
        and (stop_when is None or not stop_when(state))
    ):
        if max_steps is not None:
            steps = jnp.asarray(min(chunk_steps, max_steps - int(state.step)))
        state, tangents = _advance(model, state, tangents, steps)
        if on_chunk is not None:
            on_chunk(model, state)
    return Sensitivity(keys, model, state, tangents[1])
