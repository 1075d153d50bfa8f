"""Error bars from refinement: a case rerun with each numerical choice refined in turn.

A headline figure (the failure time, the initiation pressure) is trustworthy to the extent that refining
what only the numerics chose leaves it where it was. :data:`REFINEMENTS` names the five choices
``ecmjax converge`` refines, one at a time: the cell size ``h``, the phase-field length ``l`` (with ``h``,
so that ``h <= l/2`` still holds), the path's volume increment, the staggered tolerance, and the lateral
period (with the cells across it, so that ``h`` stays). Each variant's change of a figure relative to the
case's own bounds that figure's error from that choice; the largest, ``relative_spread``, is the figure's
error bar.
"""

from collections.abc import Callable, Mapping, Sequence

from ecmjax.config import Config

FIGURES = ("failure_time_s", "initiation_pressure_Pa")
"""The headline figures whose spread is reported (keys of a run's summary)."""


def _scaled(config: Config, factors: Mapping[str, float]) -> dict[str, float | int]:
    """``key -> value * factor`` for each key of ``factors`` (ints stay ints)."""
    values = {}
    for key, factor in factors.items():
        section, name = key.split(".")
        value = getattr(getattr(config, section), name)
        values[key] = int(round(value * factor)) if isinstance(value, int) else float(value) * factor
    return values


def _halved_cells(config: Config) -> dict[str, float | int]:
    """Twice the cells along each axis (a graded grid also doubles its graded columns)."""
    cells = {"grid.nx": 2, "grid.ny": 2} | ({"grid.graded_cells": 2} if config.grid.graded_cells else {})
    return _scaled(config, cells)


def _doubled_period(config: Config) -> dict[str, float | int]:
    """Twice the lateral period at the same ``h``: twice the columns, or on a graded grid the same columns
    graded further."""
    return _scaled(config, {"domain.width_m": 2} | ({} if config.grid.graded_cells else {"grid.nx": 2}))


REFINEMENTS: dict[str, Callable[[Config], dict[str, float | int]]] = {
    "h/2": _halved_cells,
    "l/2 (and h/2)": lambda c: _halved_cells(c) | _scaled(c, {"material.phase_field_length_m": 0.5}),
    "volume increment / 2": lambda c: _scaled(c, {"path.pressure_increment_Pa": 0.5}),
    "staggered tolerance / 10": lambda c: _scaled(c, {"damage.staggered_tolerance": 0.1}),
    "lateral period x 2": _doubled_period,
}
"""Each refinement's name and the overrides it makes of a configuration."""


def overrides_of(config: Config) -> dict[str, dict[str, float | int]]:
    """Every refinement's overrides of ``config``, by name."""
    return {name: refine(config) for name, refine in REFINEMENTS.items()}


def as_settings(overrides: Mapping[str, float | int]) -> tuple[str, ...]:
    """``--set`` strings (``key=value``) of ``overrides``, each value exactly as Python writes it."""
    return tuple(f"{key}={value!r}" for key, value in overrides.items())


def relative_spread(case: float | None, variants: Sequence[float | None]) -> float | None:
    """The largest ``|variant / case - 1|``: the figure's error bar; None where any value is missing (a run
    that did not fail has no failure time, and then no error bar can be given)."""
    if case is None or any(value is None for value in variants):
        return None
    return max(abs(value / case - 1.0) for value in variants)


def spreads(case: Mapping[str, float | None], variants: Mapping[str, Mapping[str, float | None]]) -> dict:
    """``relative_spread`` of each of :data:`FIGURES` over ``variants`` (name -> summary)."""
    return {figure: relative_spread(case[figure], [v[figure] for v in variants.values()]) for figure in FIGURES}
