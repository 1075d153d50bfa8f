"""The short-circuit time that the fit predicts: ``t_f`` of the coupled runs, with slopes by differences.

Each observation row is a cell run at its own conditions on one configuration. The rows at one point of
the parameters run as one sweep (:func:`ecmjax.model.sweep.run_sweep`): rows alike but for their operating
condition (current density, temperature) share one mechanical path, so a point costs one path per
distinct stack pressure plus a potential solve per row and point of the path.

**Why differences, not the carried tangents.** ``t_f`` is piecewise smooth in the parameters: the Li body
grows by whole nodes and each crack jump is located to ``path.event_tolerance``, so ``t_f`` scatters
about its smooth trend by about 0.3% (docs/validation.md, the scan), and where the path crosses a fold
(the default case's initiation) the carried tangent misses the fold's own motion (measured: -1.62e-9
against central differences of -3.3e-10 s/Pa in the modulus). A fit needs the slope of the trend. Forward
differences over :data:`DIFFERENCE_STEP` (5% of each parameter) move ``t_f`` by several percent, well
above that scatter: ``k`` more paths per Jacobian, all in the same sweep as the point's own. The steps are
relative changes of the parameters, not fixed lengths in ``z``: near a bound a fixed length in ``z`` is a
smaller move (the logistic flattens), and at the example's starting depth (0.9 um, 0.1 um above its bound)
0.05 in ``z`` moved the depth by 0.5%, into that scatter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from jaxtyping import Bool, Float

from ecmjax.config import Config, with_parameters
from ecmjax.inverse.parameters import ParameterSpace
from ecmjax.model.figures import Status
from ecmjax.model.sweep import row, run_sweep

__all__ = ["CLIFF_LOG_TIME", "DIFFERENCE_STEP", "OnTimes", "short_circuit_times", "times_and_slopes"]

DIFFERENCE_STEP = 0.05
"""Step of the forward differences: 5% of the parameter, taken in the unconstrained coordinates
(:meth:`~ecmjax.inverse.parameters.ParameterSpace.relative_scale`; a factor ``e^0.05`` for a positive
parameter)."""
CLIFF_LOG_TIME = 0.5
"""A step of :data:`DIFFERENCE_STEP` that moves some row's ``log t_f`` by more than this (a factor 1.65),
or to no short circuit, has crossed a change of regime, not followed a slope: on the example's 2.4 um
cell at 40 A/m^2, 5% more modulus takes ``t_f`` from 5.65 s to 28.1 s, where the first crack jump stops
reaching the counter electrode and arrests. The slope is then taken on the other side."""


OnTimes = Callable[[Sequence[Float[np.ndarray, " k"]], Float[np.ndarray, "points n"]], None]
"""``on_times(thetas, times)``: called after each sweep with its points and their rows' ``t_f`` (progress)."""


def short_circuit_times(
    configs: Sequence[Config],
    keys: tuple[str, ...],
    thetas: Sequence[Float[np.ndarray, " k"]],
    on_times: OnTimes | None = None,
) -> Float[np.ndarray, "points n"]:
    """``t_f`` (s) of every row at each point ``thetas``, in one sweep: ``inf`` where the cell survives,
    NaN where the run could not be evaluated (it diverged)."""
    cases = [with_parameters(config, keys, [float(v) for v in theta]) for theta in thetas for config in configs]
    times = [_time_s(row(figures)) for figures in run_sweep(cases).figures]
    times = np.asarray(times, float).reshape(len(thetas), len(configs))
    if on_times is not None:
        on_times(thetas, times)
    return times


def _time_s(figures: dict) -> float:
    if figures["status"] == Status.FAILED.label:
        return figures["failure_time_s"]
    return np.inf if figures["status"] == Status.SURVIVED.label else np.nan


def times_and_slopes(
    configs: Sequence[Config],
    keys: tuple[str, ...],
    space: ParameterSpace,
    z: Float[np.ndarray, " k"],
    times: Float[np.ndarray, " n"] | None = None,
    on_times: OnTimes | None = None,
) -> tuple[Float[np.ndarray, " n"], Float[np.ndarray, "n k"], Bool[np.ndarray, " k"]]:
    """``t_f`` of every row at ``z`` (unless given as ``times``), its slopes ``d t_f / d theta`` by
    differences in ``z``, and which keys sit at a regime edge.

    The differences are forward, all in one sweep; backward, in a second sweep, for a key whose forward
    step crosses a cliff (:data:`CLIFF_LOG_TIME`). A key whose steps cross a cliff on both sides is at
    a regime edge: ``t_f`` has no slope there (its entry is the backward difference, flagged true)."""
    z = np.asarray(z, float)
    h = DIFFERENCE_STEP * np.diag(space.relative_scale(z))
    thetas = [space.to_physical(p) for p in ([] if times is not None else [z]) + list(z + h)]
    found = short_circuit_times(configs, keys, thetas, on_times)
    times, forward = (times, found) if times is not None else (found[0], found[1:])
    slopes = _slopes(space, z, z + h, times, forward)
    jumped = _crossed(times, forward)
    edge = np.zeros(len(z), bool)
    if np.any(jumped):
        back = z - h[jumped]
        backward = short_circuit_times(configs, keys, [space.to_physical(p) for p in back], on_times)
        slopes[:, jumped] = _slopes(space, z, back, times, backward)[:, np.flatnonzero(jumped)]
        edge[jumped] = _crossed(times, backward)
    return np.asarray(times, float), slopes, edge


def _crossed(times: Float[np.ndarray, " n"], stepped: Float[np.ndarray, "s n"]) -> Bool[np.ndarray, " s"]:
    """Which steps moved some row's ``log t_f`` by more than :data:`CLIFF_LOG_TIME` (or to no short)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return ~np.all(np.abs(np.log(stepped / times)) <= CLIFF_LOG_TIME, axis=1)


def _slopes(space: ParameterSpace, z, steps, times, stepped) -> Float[np.ndarray, "n k"]:
    """``(t(step_j) - t(z)) / (theta_j(step_j) - theta_j(z))`` for each step (each moves one key ``j``)."""
    theta = space.to_physical(z)
    moved = [int(np.argmax(np.abs(step - z))) for step in steps]
    slopes = np.zeros((len(times), len(z)))
    with np.errstate(invalid="ignore"):
        for step, t, j in zip(steps, stepped, moved, strict=True):
            slopes[:, j] = (t - times) / (space.to_physical(step)[j] - theta[j])
    return slopes
