"""Parameter sweeps in batches: one ``vmap``-ed time loop per batch, its cases split over the devices.

A sweep is a list of configurations. Those that differ only in floats the model can trace (geometry,
material, operating conditions: :func:`batched_keys` finds which) share one compiled program: each batch
stacks their values along a leading axis and runs :func:`ecmjax.model.simulation.advance` under ``jax.vmap``.
The batch is split across the devices of a 1-D mesh (``jax.shard_map``), so each device runs the time loop
of its own cases with no communication, and stops when they are done. The mesh spans every device of
every process under ``jax.distributed``: each process computes its devices' share of every batch, and
the figures are gathered to all of them (:func:`ecmjax.solver.parallel.distributed.gather`).

Configurations that differ in anything else (grid size, defect shape, solver settings) form separate
groups, each compiled once. Within a ``vmap``-ed loop every case runs its own steps: a case that has
finished is held while the others go on, so each case's figures equal its one-at-a-time run's
(``tests/test_sweep.py`` checks 1e-12).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import Array, Bool, Float

from ecmjax.config import DIFFERENTIABLE_KEYS, Config, key_values, parameter_values, with_parameters
from ecmjax.model.figures import RunFigures, Status
from ecmjax.model.simulation import Model, State, advance, model_and_state, run_figures
from ecmjax.solver import checkpoint
from ecmjax.solver.parallel.distributed import gather

__all__ = [
    "COLUMNS",
    "Batch",
    "Progress",
    "batched_keys",
    "batches",
    "case_mesh",
    "groups",
    "row",
    "run_batch",
    "run_sweep",
]

CASES = "cases"
"""Name of the mesh axis along which the cases of a batch are split."""

COLUMNS = RunFigures.names()
"""Figures of each case, those of :class:`~ecmjax.model.figures.RunFigures` (``status`` by name; the rest in
SI units, ``None`` where it does not exist)."""


def case_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
    """A 1-D mesh over ``devices`` (default: every device of every process) along :data:`CASES`."""
    return Mesh(np.asarray(jax.devices() if devices is None else devices), (CASES,))


def _trace_start_and_step(config: Config, keys: tuple[str, ...]) -> None:
    """Trace a model with ``keys`` as arrays through one step (no compute); raises if one must be static."""
    theta = jnp.asarray(parameter_values(config, keys))

    def one_step(theta):
        return advance(*model_and_state(with_parameters(config, keys, theta)), 1)

    jax.eval_shape(one_step, theta)


def batched_keys(configs: Sequence[Config]) -> tuple[str, ...]:
    """The float keys whose values differ among ``configs`` and that the model traces as arrays.

    A float used in Python control flow when the model is built (a grid size, a solver tolerance checked
    on construction) cannot be batched: tracing it raises, and such keys split the sweep into groups.
    """
    varying = tuple(key for key in DIFFERENTIABLE_KEYS if len({key_values(c, [key])[0] for c in configs}) > 1)
    if not varying:
        return ()
    tracing_errors = (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError)
    try:
        _trace_start_and_step(configs[0], varying)
        return varying
    except tracing_errors:
        pass
    traceable = []
    for key in varying:
        try:
            _trace_start_and_step(configs[0], (key,))
            traceable.append(key)
        except tracing_errors:
            continue
    return tuple(traceable)


def groups(configs: Sequence[Config], keys: Sequence[str]) -> list[list[int]]:
    """Indices of ``configs`` that differ only in ``keys``, group by group, in order of first appearance."""
    by_rest: dict[str, list[int]] = {}
    for index, config in enumerate(configs):
        rest = with_parameters(config, keys, [0.0] * len(keys)) if keys else config
        by_rest.setdefault(rest.to_toml(), []).append(index)
    return list(by_rest.values())


def _on_cases(fn: Callable, mesh: Mesh) -> Callable:
    """``fn`` of pytrees batched along axis 0, run with each device taking its slice of the batch.

    Only arrays cross ``shard_map``; the other leaves (the configuration's Python floats, grid shapes) are
    closed over on the way in and put back on the way out.
    """

    def sharded(*args):
        arrays, rest = eqx.partition(args, eqx.is_array)
        out_rest = []

        def local(arrays):
            out_arrays, out_static = eqx.partition(fn(*eqx.combine(arrays, rest)), eqx.is_array)
            out_rest.append(out_static)
            return out_arrays

        spec = PartitionSpec(CASES)
        out_arrays = jax.shard_map(local, mesh=mesh, in_specs=(spec,), out_specs=spec, check_vma=False)(arrays)
        return eqx.combine(out_arrays, out_rest[0])

    return sharded


@eqx.filter_jit
def _start(config: Config, keys: tuple[str, ...], theta: Float[Array, "b k"], mesh: Mesh) -> tuple[Model, State]:
    return _on_cases(eqx.filter_vmap(lambda theta: model_and_state(with_parameters(config, keys, theta))), mesh)(theta)


@eqx.filter_jit
def _advance(model: Model, state: State, steps: int, mesh: Mesh) -> State:
    """``steps`` more steps of every case (no communication between devices: each runs its own cases)."""
    return _on_cases(eqx.filter_vmap(lambda m, s: advance(m, s, steps)), mesh)(model, state)


def _figures(model: Model, state: State) -> Float[Array, " columns"]:
    """The numbers of :data:`COLUMNS` for one case (NaN where undefined; ``status`` as its code)."""
    return run_figures(model, state).row(state.figures.time_s.dtype)


_batch_figures = eqx.filter_jit(lambda model, state, mesh: _on_cases(eqx.filter_vmap(_figures), mesh)(model, state))


def row(figures: Float[np.ndarray, " columns"]) -> dict[str, Any]:
    """One case's figures as JSON/CSV values: the status by name, ``None`` for NaN, integer counts."""
    return RunFigures.of_rows(figures).as_json()


class Batch(eqx.Module):
    """One batch of a sweep: the cases of one group, their varied values, padded to the device count."""

    config: Config
    keys: tuple[str, ...] = eqx.field(static=True)
    theta: Float[np.ndarray, "b k"]
    cases: int
    """How many leading rows of :attr:`theta` are real cases (the rest repeat the last, to fill devices)."""


def batches(configs: Sequence[Config], batch_size: int | None, devices: int) -> list[tuple[list[int], Batch]]:
    """Split ``configs`` into batches of at most ``batch_size`` cases (default: whole groups) of one group.

    Each batch is padded to a multiple of ``devices`` by repeating its last case.
    """
    keys = batched_keys(configs)
    out = []
    for members in groups(configs, keys):
        size = batch_size or len(members)
        for start in range(0, len(members), size):
            indices = members[start : start + size]
            theta = np.asarray([parameter_values(configs[i], keys) for i in indices]).reshape(len(indices), len(keys))
            padded = -(-len(indices) // devices) * devices
            theta = np.concatenate([theta, np.repeat(theta[-1:], padded - len(indices), axis=0)])
            out.append((indices, Batch(config=configs[indices[0]], keys=keys, theta=theta, cases=len(indices))))
    return out


def run_batch(
    batch: Batch,
    mesh: Mesh,
    *,
    chunk_steps: int = 10,
    on_chunk: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Float[np.ndarray, "cases columns"] | None:
    """Run every case of ``batch`` to its end; the figures of :data:`COLUMNS`, one row per real case.

    ``on_chunk(running, steps)`` is called after every chunk with the number of cases still running and
    the most steps any case has taken. Returns ``None`` if ``should_stop()`` turned true between chunks.
    """
    sharding = NamedSharding(mesh, PartitionSpec(CASES))
    theta = jax.make_array_from_callback(batch.theta.shape, sharding, lambda index: batch.theta[index])
    model, state = _start(batch.config, batch.keys, theta, mesh)
    running = len(batch.theta)
    while running:
        if should_stop is not None and should_stop():
            return None
        state = _advance(model, state, chunk_steps, mesh)
        running = int(np.sum(gather(state.status) == Status.RUNNING))
        if on_chunk is not None:
            on_chunk(running, int(np.max(gather(state.step))))
    return gather(_batch_figures(model, state, mesh))[: batch.cases]


class Progress(eqx.Module):
    """Figures of the cases done so far (a checkpoint): one row of :data:`COLUMNS` per case, NaN if not done."""

    figures: Float[np.ndarray, "cases columns"]
    done: Bool[np.ndarray, " cases"]


def run_sweep(
    configs: Sequence[Config],
    *,
    mesh: Mesh | None = None,
    batch_size: int | None = None,
    chunk_steps: int = 10,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    on_batch: Callable[[int, int, list[int], Progress], None] | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Progress:
    """Run every configuration, batch by batch; the figures of each (see :func:`row`).

    With ``checkpoint_dir``, the figures of the finished cases are saved after every batch (orbax,
    atomic, the last few kept); ``resume`` starts from the latest save and skips the batches it holds.
    ``on_batch(number, count, indices, progress)`` follows each batch. If ``should_stop()`` turns true
    (e.g. on SIGTERM), the batch under way is abandoned and the progress so far returned (not all done).
    """
    mesh = case_mesh() if mesh is None else mesh
    plan = batches(configs, batch_size, mesh.size)
    progress = Progress(figures=np.full((len(configs), len(COLUMNS)), np.nan), done=np.zeros(len(configs), bool))
    saved = False
    if resume and checkpoint_dir is not None and (latest := checkpoint.latest(checkpoint_dir, progress)):
        progress, saved = latest[1], True
    for number, (indices, batch) in enumerate(plan, start=1):
        if progress.done[indices].all():
            continue
        figures = run_batch(batch, mesh, chunk_steps=chunk_steps, on_chunk=on_chunk, should_stop=should_stop)
        if figures is None:
            if checkpoint_dir is not None and not saved:  # so that --resume finds the sweep
                checkpoint.save(checkpoint_dir, 0, progress)
            break
        progress = Progress(figures=progress.figures.copy(), done=progress.done.copy())
        progress.figures[indices] = figures
        progress.done[indices] = True
        if checkpoint_dir is not None:
            checkpoint.save(checkpoint_dir, int(progress.done.sum()), progress)
            saved = True
        if on_batch is not None:
            on_batch(number, len(plan), indices, progress)
    return progress
