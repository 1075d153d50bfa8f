"""The user's entry point: ``result = ecmjax.simulate(ecmjax.default_config())``.

:func:`simulate` runs the coupled model (:mod:`ecmjax.simulation`) and returns a :class:`Result`: the
headline scalars, the history table and the final fields, as plain NumPy/Python values, ready for the
writers of the CLI or for a notebook. A run that blows up is a result too (``status = "diverged"``, with
``message`` saying at which step, at what time and in which quantity); it never carries NaN as a number.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import numpy as np

from .config import Config, load_config
from .measures import damage_extents
from .model import elasticity_problem, li_body, potential_problem
from .simulation import (
    DIVERGED,
    HISTORY_COLUMNS,
    INCOMPLETE,
    QUANTITIES,
    STATUS_NAMES,
    Model,
    State,
    run,
)
from .solver.elasticity import cell_stress_Pa
from .solver.potential import node_current_density_A_per_m2

__all__ = ["Result", "default_config", "simulate"]


def default_config() -> Config:
    """The built-in default case (documented in README.md): it fails within its ``t_end_s``."""
    return load_config()


class Result(eqx.Module):
    """Outcome of a run: status, headline figures (SI units), history per step, final fields.

    ``summary`` holds the scalars of ``result.json`` (``None`` where a quantity does not exist, e.g. the
    failure time of a cell that survived); ``history`` maps each of :data:`HISTORY_COLUMNS` to an array
    with one value per accepted step; ``fields`` the final fields by name; ``snapshots`` the fields every
    ``snapshot_every`` steps (time, damage, Li body indicator).
    """

    status: str = eqx.field(static=True)
    message: str = eqx.field(static=True)
    summary: dict[str, Any]
    history: dict[str, np.ndarray]
    fields: dict[str, np.ndarray]
    snapshots: list[dict[str, Any]]


def _number(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _final_fields(model: Model, state: State) -> dict[str, np.ndarray]:
    """Final fields with their units, for ``fields.npz`` and the pictures."""
    config, grid, defect, fields = model.config, model.grid, model.defect, state.fields
    elastic = elasticity_problem(config, grid, defect, state.pressure_Pa, fields.damage, fields.damage_floor)
    potential = potential_problem(config, grid, defect, state.pressure_Pa, fields.damage, fields.damage_floor)
    stress = cell_stress_Pa(elastic, fields.displacement_m)
    xc, yc = grid.cell_centres_m()
    x, y = grid.node_coordinates_m()
    arrays = {
        "x_m": x,
        "y_m": y,
        "cell_x_m": xc,
        "cell_y_m": yc,
        "potential_V": fields.potential_V,
        "displacement_m": fields.displacement_m,
        "damage": fields.damage,
        "history_J_per_m3": fields.history_J_per_m3,
        "li_body_indicator": elastic.cavity_indicator,
        "defect_indicator": defect.node_indicator,
        "defect_cell_indicator": defect.cell_indicator,
        "interfacial_current_A_per_m2": node_current_density_A_per_m2(fields.potential_V, potential),
        "stress_xx_Pa": stress.xx,
        "stress_yy_Pa": stress.yy,
        "stress_xy_Pa": stress.xy,
        "stress_zz_Pa": stress.zz,
        "hoop_stress_Pa": stress.hoop_Pa(xc, yc),
        "von_mises_stress_Pa": stress.von_mises_Pa(),
    }
    return {name: np.asarray(value) for name, value in arrays.items()}


def _message(state: State) -> str:
    status = int(state.status)
    step, time_s = int(state.step), float(state.time_s)
    if status == DIVERGED:
        quantity = QUANTITIES[int(state.diverged_quantity)]
        return (
            f"the {quantity} solve failed (did not converge or was not finite) at step {step + 1},"
            f" t = {time_s:.6g} s, even at the smallest step time.dt_min_s; the history up to then is kept"
        )
    if status == INCOMPLETE:
        return (
            f"time.max_steps = {step} steps were taken by t = {time_s:.6g} s, before time.t_end_s: raise time.max_steps"
        )
    return ""


def summarise(model: Model, state: State, wall_time_s: float, snapshots: list[dict[str, Any]] | None = None) -> Result:
    """Turn a final state into a :class:`Result` (host-side; nothing here is traced)."""
    status = STATUS_NAMES[int(state.status)]
    extents = damage_extents(model.grid, state.fields.damage, model.outside_pit)
    rows = state.history_rows()
    failed = status == "failed"
    summary = {
        "status": status,
        "failure_time_s": _number(state.failure_time_s) if failed else None,
        "initiation_time_s": _number(state.initiation_time_s),
        "initiation_pressure_Pa": _number(state.initiation_pressure_Pa),
        "max_pressure_Pa": _number(state.max_pressure_Pa),
        "pressure_cap_Pa": _number(rows[-1, HISTORY_COLUMNS.index("pressure_cap_Pa")]) if len(rows) else None,
        "final_time_s": float(state.time_s),
        "crack_tip_depth_m": float(state.crack_tip_depth_m),
        "damage_depth_extent_m": float(extents.depth_extent_m),
        "damage_lateral_extent_m": float(extents.lateral_extent_m),
        "damage_mean_depth_m": _number(extents.mean_depth_m) if float(extents.depth_extent_m) > 0 else None,
        "n_steps": int(state.step),
        "n_trials": int(state.trials),
        "unconverged_staggered_steps": int(state.unconverged_steps),
        "staggered_iterations": int(state.staggered_iterations),
        "wall_time_s": wall_time_s,
    }
    return Result(
        status=status,
        message=_message(state),
        summary=summary,
        history={name: rows[:, k] for k, name in enumerate(HISTORY_COLUMNS)},
        fields=_final_fields(model, state),
        snapshots=snapshots or [],
    )


def simulate(
    config: Config,
    *,
    progress: bool = False,
    snapshot_every: int = 0,
    on_chunk: Callable[[Model, State], None] | None = None,
) -> Result:
    """Run ``config`` to failure, survival to ``time.t_end_s``, or divergence.

    Args:
        config: from :func:`ecmjax.load_config` or :func:`default_config` (``Config.replace`` to vary it).
        progress: show a progress bar in simulated time on stderr (after 2 s of wall time).
        snapshot_every: keep the damage and Li body every this many steps (0: none).
        on_chunk: called with the model and the state after every chunk of steps.
    """
    snapshots: list[dict[str, Any]] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=float(config.time.t_end_s), unit="s", unit_scale=True, delay=2.0, desc="simulated time")

    def chunk_done(model: Model, state: State) -> None:
        if bar is not None:
            bar.n = min(float(state.time_s), float(config.time.t_end_s))
            bar.set_postfix(
                step=int(state.step),
                p_MPa=f"{float(state.pressure_Pa) / 1e6:.4g}",
                crack_um=f"{float(state.crack_tip_depth_m) * 1e6:.3g}",
                refresh=False,
            )
            bar.refresh()
        if snapshot_every and int(state.step) > 0:
            snapshots.append(
                {
                    "time_s": float(state.time_s),
                    "step": int(state.step),
                    "pressure_Pa": float(state.pressure_Pa),
                    "damage": np.asarray(state.fields.damage),
                    "li_body_indicator": np.asarray(
                        li_body(
                            model.config, model.grid, model.defect, state.fields.damage, state.fields.damage_floor
                        ).node_indicator
                    ),
                }
            )
        if on_chunk is not None:
            on_chunk(model, state)

    start = time.perf_counter()
    try:
        model, state = run(config, chunk_steps=snapshot_every or 10, on_chunk=chunk_done)
        state = jax.block_until_ready(state)
    finally:
        if bar is not None:
            bar.close()
    return summarise(model, state, time.perf_counter() - start, snapshots)
