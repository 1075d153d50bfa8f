"""The user's entry point: ``result = ecmjax.simulate(ecmjax.default_config())``.

:func:`simulate` runs the coupled model (:mod:`ecmjax.model.simulation`) and returns a :class:`Result`: the
headline scalars, the history table and the final fields, as plain NumPy/Python values, ready for the
writers of the CLI or for a notebook. A run that blows up is a result too (``status = "diverged"``, with
``message`` saying at which step, at what time and in which quantity); it never carries NaN as a number.

A long run can be checkpointed (:mod:`ecmjax.solver.checkpoint`) every so many steps and when asked to
stop (:class:`Interrupted`), and resumed from its latest checkpoint to the same result, bit for bit.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from ecmjax.config import Config, ConfigError, check_parameter_keys, key_values, load_config, with_parameters
from ecmjax.model.figures import Quantity, Status, finite_or_none
from ecmjax.model.problems import elasticity_problem, li_body, potential_problem
from ecmjax.model.quadrature import PathPoints, critical_current_density_A_per_m2, record_point, stacked
from ecmjax.model.sensitivity import Sensitivity, carried, run_with_sensitivities, start_sensitivity
from ecmjax.model.simulation import Model, State, run, run_figures, state_shape
from ecmjax.solver import checkpoint
from ecmjax.solver.fields.elasticity import cell_stress_Pa
from ecmjax.solver.fields.potential import node_current_density_A_per_m2
from ecmjax.solver.parallel.distributed import gather, gathered

__all__ = ["FailureTime", "Interrupted", "Result", "default_config", "failure_time", "simulate"]

CHUNK_STEPS = 1
"""Accepted points of the path per jitted chunk. Between chunks the point is recorded (:class:`PathPoints`,
for the critical current density), the progress bar moves, snapshots and checkpoints are taken, and a
request to stop is heeded."""

SNAPSHOT_KEYS = ("time_s", "step", "pressure_Pa", "damage", "li_body_indicator")
"""What a snapshot keeps (:attr:`Result.snapshots`)."""


def default_config() -> Config:
    """The built-in default case (documented in README.md): it fails within its ``t_end_s``."""
    return load_config()


class Result(eqx.Module):
    """Outcome of a run: status, headline figures (SI units), history per step, final fields.

    ``summary`` holds the scalars of ``result.json``: the :class:`~ecmjax.model.figures.RunFigures` (``None``
    where a quantity does not exist, e.g. the failure time of a cell that survived) and the wall time;
    ``history`` maps each of the :class:`~ecmjax.model.figures.StepFigures` to an array with one value per
    accepted step; ``fields`` the final fields by name; ``snapshots`` the fields every
    ``snapshot_every`` steps (time, damage, Li body indicator).
    """

    status: str = eqx.field(static=True)
    message: str = eqx.field(static=True)
    summary: dict[str, Any]
    history: dict[str, np.ndarray]
    fields: dict[str, np.ndarray]
    snapshots: list[dict[str, Any]]


def _final_fields(model: Model, state: State) -> dict[str, np.ndarray]:
    """Final fields with their units, for ``fields.npz`` and the pictures."""
    config, grid, defect, fields = model.config, model.grid, model.defect, state.fields
    pressure = state.figures.pressure_Pa
    elastic = elasticity_problem(config, grid, defect, pressure, fields.damage, fields.damage_floor)
    potential = potential_problem(config, grid, defect, pressure, fields.damage, fields.damage_floor)
    stress = cell_stress_Pa(elastic, fields.displacement_m)
    centres, nodes = grid.cell_centres_m(), grid.node_coordinates_m()
    axes = "xyz"[: len(nodes)]
    arrays = {
        **{f"{axis}_m": coordinate for axis, coordinate in zip(axes, nodes, strict=True)},
        **{f"cell_{axis}_m": coordinate for axis, coordinate in zip(axes, centres, strict=True)},
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
        **({"stress_xz_Pa": stress.xz, "stress_yz_Pa": stress.yz} if len(nodes) == 3 else {}),
        "hoop_stress_Pa": stress.hoop_Pa(*centres),
        "von_mises_stress_Pa": stress.von_mises_Pa(),
    }
    return {name: np.asarray(value) for name, value in arrays.items()}


def _locates_critical_current(state: State) -> bool:
    """Whether a run's path gives its critical current density: a float64 run that shorted (its path reaches
    the short circuit). A run that survived stopped its path before it, and in float32 the potential's
    residual stalls above ``solver.rtol`` at low current densities (measured: 1.6e-3 of its reference at a
    sixth of the default's), so re-solves there cannot be told converged."""
    return int(state.status) == Status.FAILED and state.fields.potential_V.dtype == np.float64


def _critical_current_density(model: Model, state: State, path: list[PathPoints]) -> float | None:
    """:func:`~ecmjax.model.quadrature.critical_current_density_A_per_m2` where
    :func:`_locates_critical_current`, else None."""
    if not _locates_critical_current(state):
        return None
    return critical_current_density_A_per_m2(model, stacked(path), float(state.failure_li_volume_m2))


def summarise(
    model: Model,
    state: State,
    wall_time_s: float,
    snapshots: list[dict[str, Any]] | None = None,
    path: list[PathPoints] | None = None,
) -> Result:
    """Turn a final state into a :class:`Result` (host-side; nothing here is traced). With the run's
    ``path`` (a point per accepted step), the summary gains its critical current density."""
    status = Status(int(state.status))
    steps, time_s = int(state.step), float(state.figures.time_s)
    started = time.perf_counter()
    critical = (
        {} if path is None else {"critical_current_density_A_per_m2": _critical_current_density(model, state, path)}
    )
    wall_time_s += time.perf_counter() - started
    return Result(
        status=status.label,
        message=status.message(steps, time_s, Quantity(int(state.diverged_quantity))),
        summary={**run_figures(model, state).as_json(), **critical, "wall_time_s": wall_time_s},
        history=state.recorded().as_dict(),
        fields=_final_fields(model, state),
        snapshots=snapshots or [],
    )


class Interrupted(Exception):
    """The run was stopped (``stop_when``) before it ended; with a checkpoint directory it was saved there."""

    def __init__(self, step: int, time_s: float) -> None:
        super().__init__(f"the run stopped at step {step}, t = {time_s:.6g} s")
        self.step, self.time_s = step, time_s


class RunProgress(eqx.Module):
    """What a run's checkpoint holds: its state, the wall time taken so far and the snapshots so far."""

    state: State
    wall_time_s: Float[np.ndarray, ""]
    snapshot_every: Int[np.ndarray, ""]
    """The run's ``snapshot_every``: a resume must keep it, or its snapshots would come at other steps."""
    snapshots: dict[str, np.ndarray] | None
    """Each of :data:`SNAPSHOT_KEYS` stacked over the snapshots; None before the first (orbax stores no
    empty array)."""
    path: PathPoints | None
    """The path's points so far, stacked (one per accepted step); None before the first."""
    tangents: tuple | None
    """With sensitivities, the rest of what the run carries (:func:`ecmjax.model.sensitivity.carried`)."""


def _snapshot(model: Model, state: State) -> dict[str, Any]:
    """The entry of :attr:`Result.snapshots` for ``state`` (NumPy values, as a checkpoint gives them back)."""
    fields = state.fields
    body = li_body(model.config, model.grid, model.defect, fields.damage, fields.damage_floor).node_indicator
    values = (
        np.float64(state.figures.time_s),
        np.int64(state.step),
        np.float64(state.figures.pressure_Pa),
        gather(fields.damage),
        gather(body).astype(fields.damage.dtype),
    )
    return dict(zip(SNAPSHOT_KEYS, values, strict=True))


def _stacked(snapshots: list[dict[str, Any]]) -> dict[str, np.ndarray] | None:
    return {key: np.stack([snap[key] for snap in snapshots]) for key in SNAPSHOT_KEYS} if snapshots else None


def _unstacked_path(points: PathPoints | None) -> list[PathPoints]:
    if points is None:
        return []
    return [jax.tree.map(lambda rows, i=i: rows[i], points) for i in range(len(points.li_volume_m2))]


def _unstacked(stacked: dict[str, np.ndarray] | None) -> list[dict[str, Any]]:
    if stacked is None:
        return []
    return [{key: stacked[key][i] for key in SNAPSHOT_KEYS} for i in range(len(stacked["step"]))]


def _progress_like(state: State, snapshot_every: int, step: int, tangents: tuple | None) -> RunProgress:
    """The template of a checkpoint taken at ``step``: by then a snapshot was kept every ``snapshot_every``."""
    count = step // snapshot_every if snapshot_every else 0
    scalars = lambda dtype: jax.ShapeDtypeStruct((count,), dtype)
    fields = jax.ShapeDtypeStruct((count, *state.fields.damage.shape), state.fields.damage.dtype)
    kinds = (scalars(np.float64), scalars(np.int64), scalars(np.float64), fields, fields)
    snapshots = dict(zip(SNAPSHOT_KEYS, kinds, strict=True)) if count else None
    rows = lambda a: jax.ShapeDtypeStruct((step, *a.shape), a.dtype)
    fields, figures = state.fields, state.figures
    leaves = (figures.li_volume_m2, figures.pressure_Pa, fields.potential_V, fields.damage, fields.damage_floor)
    path = PathPoints(*map(rows, leaves)) if step else None
    scalar = lambda dtype: jax.ShapeDtypeStruct((), dtype)
    return RunProgress(state, scalar(np.float64), scalar(np.int64), snapshots, path, tangents)


def _restore(config: Config, directory: Path, snapshot_every: int, keys: tuple[str, ...]) -> RunProgress | None:
    """The latest checkpoint of a run of ``config`` (with sensitivities along ``keys``) in ``directory``, or
    None if there is none."""
    like = state_shape(config)
    tangents = carried(eqx.filter_eval_shape(start_sensitivity, config, keys))[1:] if keys else None
    hint = (
        "resume with the configuration, the snapshot interval (--snapshots) and the sensitivities"
        " (--sensitivities) the run started with"
    )
    try:
        restored = checkpoint.latest(directory, lambda step: _progress_like(like, snapshot_every, step, tangents))
    except ValueError as err:
        raise ConfigError(f"{err}: {hint}") from err
    if restored is None:
        return None
    step, progress = restored
    if int(progress.snapshot_every) != snapshot_every:
        raise ConfigError(
            f"checkpoint {step} in {directory} keeps snapshots every {int(progress.snapshot_every)} steps (0: none),"
            f" not {snapshot_every}: {hint}"
        )
    return progress


def simulate(
    config: Config,
    *,
    progress: bool = False,
    snapshot_every: int = 0,
    on_chunk: Callable[[Model, State], None] | None = None,
    stop_when: Callable[[State], bool] | None = None,
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = 0,
    resume: bool = False,
    sensitivities: Sequence[str] = (),
) -> Result:
    """Run ``config`` to failure, survival to ``time.t_end_s``, or divergence.

    Args:
        config: from :func:`ecmjax.load_config` or :func:`default_config` (vary its float keys by name with
            :func:`ecmjax.config.with_parameters`).
        progress: show a progress bar in simulated time on stderr (after 2 s of wall time).
        snapshot_every: keep the damage and Li body every this many steps (0: none).
        on_chunk: called with the model and the state after every chunk of steps.
        stop_when: asked after every chunk of steps (:data:`CHUNK_STEPS`); once it says so, the run is
            checkpointed (with ``checkpoint_dir``) and :class:`Interrupted` raised.
        checkpoint_dir: where the run's progress is saved (orbax, the last :data:`checkpoint.KEEP` saves):
            every ``checkpoint_every`` accepted steps (0: only when stopped), at the end of the chunk that
            reaches them. It must hold no checkpoint unless ``resume``.
        resume: continue from the latest checkpoint in ``checkpoint_dir``, if any, which must be of the same
            ``config``, ``snapshot_every`` and ``sensitivities``; the result is that of an uninterrupted run,
            but for ``wall_time_s``, which adds the time the earlier parts took up to their checkpoint.
        sensitivities: float keys along which the run carries its derivatives (one tangent each,
            :mod:`ecmjax.model.sensitivity`): the summary gains ``failure_time_sensitivities``, ``d t_f / d
            key`` in s per SI unit of each key (``None`` unless the cell shorted).
    """
    keys = check_parameter_keys(sensitivities) if sensitivities else ()
    for name, value in (("snapshot_every", snapshot_every), ("checkpoint_every", checkpoint_every)):
        if value < 0:
            raise ValueError(f"{name} = {value} is out of range: must be >= 0")
    restored = None
    if checkpoint_dir is not None:
        checkpoint_dir = Path(checkpoint_dir)
        if resume:
            restored = _restore(config, checkpoint_dir, snapshot_every, keys)
        elif (step := checkpoint.latest_iteration(checkpoint_dir)) is not None:
            raise ValueError(
                f"{checkpoint_dir} holds a checkpoint (step {step}) of a run: resume it, or start elsewhere"
            )
    snapshots = _unstacked(restored.snapshots) if restored else []
    path = _unstacked_path(restored.path) if restored else []
    earlier_s = float(restored.wall_time_s) if restored else 0.0
    saved_step = int(restored.state.step) if restored else None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=float(config.time.t_end_s), unit="s", unit_scale=True, delay=2.0, desc="simulated time")

    start = time.perf_counter()
    latest: list[Sensitivity] = []  # with sensitivities, the run so far

    def save(state: State) -> None:
        nonlocal saved_step
        if checkpoint_dir is not None and (saved_step is None or int(state.step) > saved_step):
            wall_time_s = np.asarray(earlier_s + time.perf_counter() - start)
            every = np.asarray(snapshot_every, np.int64)
            tangents = carried(latest[-1])[1:] if keys else None
            saved = RunProgress(
                gathered(state), wall_time_s, every, _stacked(snapshots), stacked(path) if path else None, tangents
            )
            checkpoint.save(checkpoint_dir, int(state.step), saved)
            saved_step = int(state.step)

    def chunk_done(model: Model, state: State) -> None:
        step, running, figures = int(state.step), int(state.status) == Status.RUNNING, state.figures
        if bar is not None:
            bar.n = min(float(figures.time_s), float(config.time.t_end_s))
            bar.set_postfix(
                step=step,
                p_MPa=f"{float(figures.pressure_Pa) / 1e6:.4g}",
                crack_um=f"{float(figures.crack_tip_depth_m) * 1e6:.3g}",
                refresh=False,
            )
            bar.refresh()
        record_point(path, model, state, lambda leaf: np.asarray(gather(leaf)))
        last_snapshot = int(snapshots[-1]["step"]) if snapshots else 0
        if snapshot_every and step > last_snapshot and (step % snapshot_every == 0 or not running):
            snapshots.append(_snapshot(model, state))
        if checkpoint_every and running and step - (saved_step or 0) >= checkpoint_every:
            save(state)
        if on_chunk is not None:
            on_chunk(model, state)

    def point_done(run: Sensitivity) -> None:
        latest[:] = [run]
        chunk_done(run.model, run.state)

    try:
        if keys:
            resumed = (restored.state, *restored.tangents) if restored else None
            ran = run_with_sensitivities(config, keys, start=resumed, on_chunk=point_done, stop_when=stop_when)
            model, state = ran.model, ran.state
        else:
            model, state = run(
                config,
                start=restored.state if restored else None,
                chunk_steps=CHUNK_STEPS,
                on_chunk=chunk_done,
                stop_when=stop_when,
            )
        state = jax.block_until_ready(state)
    finally:
        if bar is not None:
            bar.close()
    if int(state.status) == Status.RUNNING:
        save(state)
        raise Interrupted(int(state.step), float(state.figures.time_s))
    model, state = gathered((model, state))  # from every process, if the grid is split over several
    if progress and _locates_critical_current(state):
        print("critical current density: potential solves on the path's points ...", file=sys.stderr, flush=True)
    result = summarise(model, state, earlier_s + time.perf_counter() - start, snapshots, path)
    if not keys:
        return result
    gradient = latest[-1].failure_time_gradient
    derivatives = {key: finite_or_none(value) for key, value in zip(keys, gradient, strict=True)}
    folds = int(latest[-1].folds)
    note = (
        f"not available: the path took {folds} crack jump(s) at a fold of its branch (the crack ran at fixed"
        " volume and arrested), whose location's derivative is not known yet"
        if folds and int(state.status) == Status.FAILED
        else None
    )
    extra = {"failure_time_sensitivities": derivatives, "failure_time_sensitivities_note": note}
    return dataclasses.replace(result, summary={**result.summary, **extra})


class FailureTime(eqx.Module):
    """The short-circuit time of a configuration and its derivatives along chosen keys (:func:`failure_time`)."""

    keys: tuple[str, ...] = eqx.field(static=True)
    time_s: Float[Array, ""]
    """``t_f`` (s); NaN where the cell did not short (it survived to ``time.t_end_s``, or the run diverged)."""
    gradient: Float[Array, " k"]
    """``d t_f / d key`` for each of :attr:`keys` (s per SI unit of the key); NaN where ``time_s`` is."""

    def as_dict(self) -> dict[str, float]:
        """The derivatives by key (plain floats)."""
        return {key: float(value) for key, value in zip(self.keys, self.gradient, strict=True)}


def _host_failure_time(config: Config, keys: tuple[str, ...], theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    traced = with_parameters(config, keys, [jnp.asarray(v) for v in np.asarray(theta)])
    run = run_with_sensitivities(traced, keys)
    failed = int(run.state.status) == Status.FAILED
    time_s = run.failure_time_s if failed else np.nan
    gradient = run.failure_time_gradient if failed else np.full(len(keys), np.nan)
    return np.asarray(time_s, theta.dtype), np.asarray(gradient, theta.dtype)


def failure_time(config: Config, keys: Sequence[str]) -> FailureTime:
    """The short-circuit time of ``config`` and its derivatives along ``keys`` (float keys, e.g.
    ``"material.youngs_modulus_Pa"``): one run carrying a tangent per key (:mod:`ecmjax.model.sensitivity`).

    Differentiable in the values of ``keys`` that ``config`` holds: under ``jax.jvp``, ``jax.jacfwd`` or
    ``jax.grad``, ``time_s``'s derivative is :attr:`FailureTime.gradient` (the run happens on the host, once
    per call, through ``jax.pure_callback``). Second derivatives are not available: the gradient's own
    derivative is NaN. Every other float of ``config`` must be concrete.

        >>> t = ecmjax.failure_time(config, ["material.youngs_modulus_Pa"])
        >>> t.time_s, t.as_dict()
        >>> jax.jvp(lambda E: ecmjax.failure_time(with_parameters(config, keys, [E]), keys).time_s, (E0,), (1.0,))
    """
    keys = check_parameter_keys(keys)
    theta = jnp.stack([jnp.asarray(v, jnp.result_type(float)) for v in key_values(config, keys)])
    base = with_parameters(config, keys, [0.0] * len(keys))
    if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(base)):
        raise ConfigError(f"failure_time: only the values of {list(keys)} may be traced (differentiated or batched)")
    shapes = (jax.ShapeDtypeStruct((), theta.dtype), jax.ShapeDtypeStruct(theta.shape, theta.dtype))
    host = lambda values: _host_failure_time(base, keys, values)

    @jax.custom_jvp
    def time_and_gradient(theta):
        return jax.pure_callback(host, shapes, theta, vmap_method="sequential")

    @time_and_gradient.defjvp
    def _(primals, tangents):
        time_s, gradient = time_and_gradient(*primals)
        return (time_s, gradient), (gradient @ tangents[0], jnp.full_like(gradient, jnp.nan))

    return FailureTime(keys, *time_and_gradient(theta))
