"""Other operating conditions on a recorded path: potential solves and quadrature, no mechanics.

The mechanics depend on the plated Li volume ``V`` alone (docs/model.md section 3a): the current density,
the temperature, the kinetics and the ionic conductivity enter only the potential, and through it the
filling rate ``q``. So the path of one run, its converged states at volumes ``V_0 < V_1 < ... < V_n``,
serves every such operating condition at the same stack pressure: at each point the potential is solved
for the condition (point after point, ``lax.map``: on CPU 1.6 times faster than ``vmap``, whose
batched solves all take the slowest point's iterations), and ``t(V) = integral dV / q`` follows by the run's
own quadrature (:func:`ecmjax.physics.li_body.filling_time_s`, ``q`` linear in ``V`` across an increment).

:func:`critical_current_density_A_per_m2` uses it for the smallest applied current density at which the
cell shorts within ``time.t_end_s``.
"""

import math
from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jaxtyping import Array, Bool, Float

from ecmjax.config import with_parameters
from ecmjax.model.figures import RunFigures, Status
from ecmjax.model.simulation import (
    Model,
    State,
    filling_rate_m2_per_s,
    flat_potential_V,
    potential_at,
    run_figures,
)
from ecmjax.physics.li_body import filling_time_s

__all__ = [
    "POTENTIAL_KEYS",
    "FailureTime",
    "FiguresAt",
    "PathPoints",
    "PointSolves",
    "critical_current_density_A_per_m2",
    "failure_time_at",
    "failure_time_s",
    "figures_at_condition",
    "path_point",
    "plating_currents",
    "record_point",
    "stacked",
    "time_to_volume_s",
    "with_condition",
    "with_current_density",
]

CURRENT_DENSITY = "operating.current_density_A_per_m2"
POTENTIAL_KEYS = (
    CURRENT_DENSITY,
    "operating.temperature_K",
    "kinetics.exchange_current_A_per_m2",
    "kinetics.alpha_a",
    "kinetics.alpha_c",
    "material.ionic_conductivity_S_per_m",
)
"""The operating condition: the keys that enter the potential (and through it the filling rate) but not
the mechanics, so that one path serves every value of them."""


class PathPoints(eqx.Module):
    """The converged states of a path, one per accepted point (host-side record of a run, up to its end)."""

    li_volume_m2: Float[Array, " points"]
    pressure_Pa: Float[Array, " points"]
    potential_deviation_V: Float[Array, " points *nodes"]
    """The run's potential less the defect-free cell's (:func:`~ecmjax.model.simulation.flat_potential_V`):
    added to the defect-free cell's at another operating condition, the start of that condition's solve."""
    damage: Float[Array, " points *nodes"]
    damage_floor: Float[Array, " points *nodes"]


_flat_potential_jit = eqx.filter_jit(flat_potential_V)


def path_point(model: Model, state: State, convert: Callable = np.asarray) -> PathPoints:
    """The converged point of the path that ``state`` is at, each leaf through ``convert`` (to the host by
    default)."""
    fields, figures = state.fields, state.figures
    deviation = fields.potential_V - _flat_potential_jit(model)
    leaves = (figures.li_volume_m2, figures.pressure_Pa, deviation, fields.damage, fields.damage_floor)
    return PathPoints(*map(convert, leaves))


def record_point(points: list[PathPoints], model: Model, state: State, convert: Callable = np.asarray) -> None:
    """Append the point ``state`` is at to ``points`` (a run's :func:`path_point`, one per accepted step, the
    first at step 1) if it is a new converged one: a run's chunk callback. A survived end, interpolated at
    ``time.t_end_s``, is no converged point."""
    if int(state.step) > len(points) and int(state.status) != Status.SURVIVED:
        points.append(path_point(model, state, convert))


def stacked(points: Sequence[PathPoints]) -> PathPoints:
    """Points of a path, one after the other, as one :class:`PathPoints` (host-side)."""
    return jax.tree.map(lambda *rows: np.stack(rows), *points)


class PointSolves(eqx.Module):
    """The potential solved at every point of a path under one operating condition."""

    current_A_per_m: Float[Array, " points"]
    """The plating current into the Li body (A/m, or A in 3D)."""
    pressure_cap_Pa: Float[Array, " points"]
    """The Monroe-Newman bound on the body's walls (:class:`~ecmjax.model.figures.StepFigures`)."""
    converged: Bool[Array, " points"]


def plating_currents(model: Model, points: PathPoints) -> PointSolves:
    """The potential at every point under ``model.config``'s operating condition: the plating current into
    the Li body, the pressure cap and whether each point's solve converged."""

    flat = flat_potential_V(model)

    def at(pressure, deviation, damage, floor):
        phi, info, current, _, _, cap = potential_at(model, pressure, damage, floor, flat + deviation)
        return PointSolves(current, cap, info.converged & jnp.all(jnp.isfinite(phi)))

    return lax.map(
        lambda leaves: at(*leaves),
        (points.pressure_Pa, points.potential_deviation_V, points.damage, points.damage_floor),
    )


def time_to_volume_s(
    volumes_m2: Float[Array, " points"], rates_m2_per_s: Float[Array, " points"], target_m2
) -> Float[Array, ""]:
    """The time from the path's first point to the volume ``target_m2`` within it: the run's own quadrature
    (:func:`~ecmjax.physics.li_body.filling_time_s`), the full increments before the one that holds the
    target, then the filled fraction of that one. ``inf`` where plating stops before the target."""
    increments = volumes_m2[1:] - volumes_m2[:-1]
    holding = jnp.clip(jnp.searchsorted(volumes_m2, target_m2, side="left") - 1, 0, increments.size - 1)
    fraction = (target_m2 - volumes_m2[holding]) / increments[holding]
    full = jax.vmap(filling_time_s)(increments, rates_m2_per_s[:-1], rates_m2_per_s[1:])
    before = jnp.sum(jnp.where(jnp.arange(increments.size) < holding, full, 0.0))
    return before + filling_time_s(increments[holding], rates_m2_per_s[holding], rates_m2_per_s[holding + 1], fraction)


class FailureTime(eqx.Module):
    """When a path's short circuit comes under one operating condition."""

    time_s: Float[Array, ""]
    """``inf`` where plating stops before the short circuit (at the Monroe-Newman cap)."""
    converged: Bool[Array, ""]
    """Whether every potential solve converged."""


def failure_time_s(model: Model, points: PathPoints, failure_li_volume_m2) -> FailureTime:
    """When the path's short circuit (at ``failure_li_volume_m2``, within its last increment) comes under
    ``model.config``'s operating condition.

    The same quadrature as the run's, increment by increment: at the run's own condition it gives the
    run's failure time.
    """
    solves = plating_currents(model, points)
    rates = filling_rate_m2_per_s(model.config, solves.current_A_per_m, points.pressure_Pa)
    time_s = time_to_volume_s(points.li_volume_m2, rates, failure_li_volume_m2)
    return FailureTime(time_s, jnp.all(solves.converged))


def with_condition(model: Model, keys: Sequence[str], values) -> Model:
    """``model`` with the operating condition ``keys`` (of :data:`POTENTIAL_KEYS`) set to ``values``
    (traceable): the same path serves it."""
    return eqx.tree_at(lambda m: m.config, model, with_parameters(model.config, keys, values))


def with_current_density(model: Model, density_A_per_m2) -> Model:
    """``model`` at another applied current density (traceable): the same path serves it."""
    return with_condition(model, (CURRENT_DENSITY,), jnp.reshape(density_A_per_m2, (1,)))


failure_time_at = eqx.filter_jit(
    lambda model, points, failure_li_volume_m2, density_A_per_m2: failure_time_s(
        with_current_density(model, density_A_per_m2), points, failure_li_volume_m2
    )
)
""":func:`failure_time_s` at the applied current density ``density_A_per_m2`` (an array: one compilation
serves every value)."""


class FiguresAt(eqx.Module):
    """A run's figures under another operating condition, from its path (:func:`figures_at_condition`)."""

    figures: RunFigures
    exact: Bool[Array, ""]
    """Whether they are those of the full run at that current density: it shorts, on the same path."""


@eqx.filter_jit
def figures_at_condition(model: Model, state: State, points: PathPoints, values: Float[Array, " keys"]) -> FiguresAt:
    """The figures a full run with :data:`POTENTIAL_KEYS` at ``values`` records, from a run (``model``, its
    final ``state``, its ``points``) that shorted: its times by quadrature, the rest that run's own.

    They are exact (:attr:`FiguresAt.exact`; to the potential solver's tolerance, from another starting
    guess: measured 7e-10 to 7e-9 relative) where the full run takes the same path, which is where it shorts within
    ``time.t_end_s`` with plating reaching every point (no decision of the driver depends on the operating
    condition but whether plating reaches the next point), and every potential solve converged. Elsewhere
    (the cell survives, or plating stops at the Monroe-Newman cap first) the full run must be run.
    """
    at = with_condition(model, POTENTIAL_KEYS, values)
    solves = plating_currents(at, points)
    rates = filling_rate_m2_per_s(at.config, solves.current_A_per_m, points.pressure_Pa)
    volumes = points.li_volume_m2
    time_to = lambda volume_m2: time_to_volume_s(volumes, rates, volume_m2)
    initiated = ~jnp.isnan(state.initiation_li_volume_m2)
    failure_s = time_to(state.failure_li_volume_m2)
    initiation_s = jnp.where(
        initiated, time_to(jnp.where(initiated, state.initiation_li_volume_m2, volumes[0])), jnp.nan
    )
    figures = eqx.tree_at(
        lambda f: (f.failure_time_s, f.initiation_time_s, f.pressure_cap_Pa, f.final_time_s),
        run_figures(model, state),
        (failure_s, initiation_s, solves.pressure_cap_Pa[-1], time_to(volumes[-1])),
    )
    exact = (
        (state.status == Status.FAILED)
        & jnp.all(solves.converged)
        & jnp.all(rates > 0)
        & (failure_s < at.config.time.t_end_s)
    )
    return FiguresAt(figures, exact)


def critical_current_density_A_per_m2(
    model: Model, points: PathPoints, failure_li_volume_m2: float, *, rtol: float = 1e-3
) -> float:
    """The smallest applied current density (A/m^2) at which the path's short circuit comes within
    ``time.t_end_s``, to a relative ``rtol``, from :func:`failure_time_s` (potential solves only).

    The path must end in a short circuit within ``t_end`` at the configured current density, which is then
    an upper bound; the lower bound is halved until the short circuit comes after ``t_end`` (or never).
    Then bisection in ``log J``: ``t_f`` rises steeply to infinity where plating stops at the Monroe-Newman
    cap before the short circuit, so that interpolating methods gain little on it (regula falsi of Illinois
    kind took 16 evaluations on the default case where bisection takes 13). The default ``rtol`` is below
    the path's own discretisation error (docs/model.md section 12). Raises ``RuntimeError`` where a
    potential solve fails.
    """
    t_end = float(model.config.time.t_end_s)
    dtype = points.pressure_Pa.dtype

    def shorts(density: float) -> bool:
        failure = failure_time_at(model, points, failure_li_volume_m2, jnp.asarray(density, dtype))
        if not bool(failure.converged):
            raise RuntimeError(f"a potential solve on the recorded path failed at {CURRENT_DENSITY} = {density:.6g}")
        return float(failure.time_s) <= t_end

    upper = float(model.config.operating.current_density_A_per_m2)
    if not shorts(upper):
        raise ValueError(f"the path does not short within time.t_end_s = {t_end:.6g} s at {CURRENT_DENSITY}")
    lower = 0.5 * upper
    while shorts(lower):
        upper, lower = lower, 0.5 * lower
    while upper / lower > 1.0 + rtol:
        middle = math.sqrt(lower * upper)
        upper, lower = (middle, lower) if shorts(middle) else (upper, middle)
    return math.sqrt(lower * upper)
