"""The failure time that the fit predicts and differentiates: the Li in the defect reaches the flaw's critical pressure.

``t_c`` is the first time the Li pressure of the coupled run (plating with Butler-Volmer, elasticity,
phase-field damage; :mod:`ecmjax.model.simulation`) reaches the critical pressure of an edge flaw as deep as
the defect, ``p_c = K_IC / (1.1215 sqrt(pi c))`` with ``K_IC = sqrt(E' G_c)`` (the Griffith criterion of
the Li-filled flaw, docs/model.md section 3b; :mod:`ecmjax.physics.critical` gives the same ``p_c``): past it, the
flaw's crack runs under the pressure it holds. The time is interpolated linearly in the pressure between
the two steps that bracket it, and its derivative along each fitted key is the implicit one of that
crossing, ``dt_c = (dp_c - dp(t)) / (dp/dt)``, with ``dp(t)`` carried through the time loop in forward
mode (:mod:`ecmjax.model.sensitivity`).

**Why not the phase-field short circuit.** The run's own failure time (the crack through to the far
side) is not a differentiable function of the parameters on the grids a fit can afford: on a 32 x 24 case
(h = 0.1 um) the crack first runs along the surface and arrests, then runs through during a pressure
plateau, in steps of 2-16 s, so ``t_f`` moves by 3% (63.6 s against 65.3 s) for a relative change of
1e-12 in the aspect ratio; with a fixed 0.5 s step and converged staggering it runs straight through
at 13.1 s instead. Its tangent through the unstable jump is meaningless (forward mode -43,047 s per
unit aspect ratio against central differences of +332 s and -11,057 s). ``t_c`` lies on the smooth,
stable build-up of the pressure before any crack, where the step sequence does not change under small
perturbations, so its derivative is exact for the discrete scheme.

What it approximates: the phase-field crack nucleates from the blunt pit at a higher pressure than
``p_c`` (2-3x on the case above: the phase-field length is a tenth of the depth, so the pit's strength,
not only its toughness, limits it), so ``t_c`` is earlier than the run's ``t_f``. It is the failure
time of the flaw-criterion model (Porz et al., Adv. Energy Mater. 2017), with the pressure history of
the coupled model.

Where the gradient is not smooth: where the crossing moves from one step to the next (a kink of the
linear interpolation, ~1e-3 relative); where a step is retried under a perturbation (the step sequence
changes); and where the pit's wall crosses a grid node (the discrete pit is piecewise smooth in its
depth: at a depth of exactly 10 cells the one-sided slopes differ by 2x).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ecmjax.config import Config, check_parameter_keys, parameter_values, with_parameters
from ecmjax.model.figures import Status, StepFigures
from ecmjax.model.sensitivity import run_with_sensitivities
from ecmjax.model.simulation import Model, State, crossing_fraction, run
from ecmjax.physics.fracture import edge_crack_critical_pressure_Pa, plane_strain_modulus_Pa

__all__ = ["FailureTime", "critical_pressure_Pa", "failure_time"]


def critical_pressure_Pa(config: Config) -> Float[Array, ""]:
    """``p_c`` of an edge flaw as deep as the defect, with ``K_IC = sqrt(E' G_c)`` (traceable in every float).

    From the fracture energy that the phase field uses, so that a fitted modulus changes ``K_IC`` as it
    changes the phase-field crack (:func:`ecmjax.config.with_parameters` keeps ``G_c``).
    """
    material = config.material
    modulus = plane_strain_modulus_Pa(material.youngs_modulus_Pa, material.poisson_ratio)
    toughness = jnp.sqrt(modulus * material.fracture_energy_J_per_m2)
    return edge_crack_critical_pressure_Pa(toughness, config.geometry.depth_m)


def _crossing_time_s(times_s, pressures_Pa, level_Pa, row: int):
    """The time at which the pressure passes ``level`` between history rows ``row - 1`` and ``row``."""
    t0, t1, p0, p1 = times_s[row - 1], times_s[row], pressures_Pa[row - 1], pressures_Pa[row]
    return t0 + crossing_fraction(p0, p1, level_Pa) * (t1 - t0)


class FailureTime(eqx.Module):
    """``t_c`` of one configuration and its derivatives along :attr:`keys` (empty when none were asked)."""

    keys: tuple[str, ...] = eqx.field(static=True)
    time_s: float
    """``inf`` when the pressure never reached ``p_c`` (the cell survives to ``t_end`` or the run stopped)."""
    gradient: Float[np.ndarray, " k"]
    """``d t_c / d key`` (s per SI unit of the key); NaN where ``time_s`` is not finite."""
    critical_pressure_Pa: float
    steps: int
    status: str
    """The run's status when it stopped: ``running`` once ``p_c`` was passed, else why it ended."""


def failure_time(
    config: Config,
    keys: Sequence[str] = (),
    *,
    chunk_steps: int = 5,
    on_chunk: Callable[[Model, State], None] | None = None,
) -> FailureTime:
    """Run ``config`` until its Li pressure passes ``p_c``; ``t_c`` and (for ``keys``) its derivatives.

    Without keys this is one forward run; with ``k`` keys, one run carrying ``k`` tangents (about ``k``
    forward runs' time, see :mod:`ecmjax.model.sensitivity`). The run stops within ``chunk_steps`` steps of the
    crossing (with keys, at the crossing's point).
    """
    keys = check_parameter_keys(keys) if keys else ()
    level = float(critical_pressure_Pa(config))
    passed = lambda state: float(state.max_pressure_Pa) >= level
    if keys:
        report = None if on_chunk is None else lambda run: on_chunk(run.model, run.state)
        sensitivity = run_with_sensitivities(config, keys, on_chunk=report, stop_when=passed, along_path_too=False)
        state, tangents = sensitivity.state, sensitivity.tangents.history
    else:
        _, state = run(config, chunk_steps=chunk_steps, on_chunk=on_chunk, stop_when=passed)
        tangents = None
    steps, status = int(state.step), Status(int(state.status)).label
    if not passed(state):
        return FailureTime(keys, np.inf, np.full(len(keys), np.nan), level, steps, status)
    # Rows of the history, after the initial state (t = 0 at the initial pressure, which no key moves).
    history = StepFigures.of_rows(state.history[:steps])
    times = jnp.concatenate([jnp.zeros(1), history.time_s])
    pressures = jnp.concatenate([jnp.asarray(config.operating.li_pressure_Pa)[None], history.pressure_Pa])
    row = int(np.argmax(np.asarray(pressures) >= level))
    if row == 0:
        raise ValueError(
            f"operating.li_pressure_Pa = {float(pressures[0]):.4g} Pa is already at or above the critical"
            f" pressure {level:.4g} Pa: the flaw fails at t = 0"
        )
    time = _crossing_time_s(times, pressures, level, row)
    gradient = np.zeros(0)
    if keys:
        theta = jnp.asarray(parameter_values(config, keys))
        level_of = lambda th: critical_pressure_Pa(with_parameters(config, keys, th))
        pad = lambda t: jnp.concatenate([jnp.zeros((len(keys), 1)), t[:, :steps]], axis=1)
        level_tangents = jax.vmap(lambda v: jax.jvp(level_of, (theta,), (v,))[1])(jnp.eye(len(keys)))
        at_row = lambda *a: _crossing_time_s(*a, row)
        crossing = lambda t, p, c: jax.jvp(at_row, (times, pressures, level), (t, p, c))[1]
        along = StepFigures.of_rows(tangents)
        gradient = np.asarray(jax.vmap(crossing)(pad(along.time_s), pad(along.pressure_Pa), level_tangents), float)
    return FailureTime(keys, float(time), gradient, level, steps, status)
