"""Parameter sweeps: each case as its own run, or several side by side over the devices.

A sweep is a list of configurations. Cases run one per device by default. On one device each case is
its own ``ecmjax run`` (:func:`ecmjax.model.simulation.run` of its configuration, the same compiled
program), so its figures are that run's bit for bit and the sweep costs what its runs cost one by one.
Over several devices, cases that differ only in floats the model can trace (geometry, material, operating
conditions: :func:`batched_keys` finds which) share one compiled program: a batch stacks their values
along a leading axis and is split across the devices of a 1-D mesh (``jax.shard_map``), each device
running the time loop of its own case with no communication, and stopping when it is done. The mesh
spans every device of every process under ``jax.distributed``: each process computes its devices' share
of every batch, and the figures are gathered to all of them
(:func:`ecmjax.solver.parallel.distributed.gather`). ``batch_size`` above the device count stacks several
cases on a device under ``jax.vmap`` (throughput on a GPU): there every case takes as many steps as its
slowest neighbour's inner solves take iterations, and both branches of every ``lax.cond`` run.

Configurations that differ only in their operating condition (the current density, the temperature, the
kinetics, the ionic conductivity: :data:`~ecmjax.model.quadrature.POTENTIAL_KEYS`) share one path
(docs/model.md section 3a): the mechanics depend on the plated volume alone, so the case of the largest
current density is run, its path recorded, and every other case's figures follow from potential solves
and quadrature on that path (:func:`ecmjax.model.quadrature.figures_at_condition`; to the potential
solver's tolerance, measured: 4e-9 relative on the default case, of their own runs). A case the path
cannot serve (it survives, or plating stops at the Monroe-Newman cap before the short circuit) is run in
full. ``float64`` only: in ``float32`` the potential's re-solves stall above their tolerance at low
current densities.

Configurations that differ in anything else (grid size, defect shape, solver settings) form separate
groups, each compiled apart. Cases batched over devices carry their floats as arrays rather than
compiled-in constants: the same arithmetic, compiled apart, which a running crack amplifies
(``tests/model/test_sweep.py`` measures and bounds the spread).
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
from ecmjax.model.quadrature import POTENTIAL_KEYS, figures_at_condition, record_point, stacked
from ecmjax.model.simulation import Model, State, advance, model_and_state, run, run_figures
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
    "run_shared_path",
    "run_sweep",
    "shared_paths",
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
    """``fn`` of one case, run on pytrees batched along axis 0, each device taking its slice of the batch.

    A device's slice is ``vmap``-ed when it holds several cases, and run as one case when it holds one:
    under ``vmap`` every ``lax.cond`` of the time loop runs both its branches (measured: a batch of one
    default case took 193 s against 128 s alone). Only arrays cross ``shard_map``; the other leaves (the
    configuration's Python floats, grid shapes) are closed over on the way in and put back on the way out.
    """

    def one_or_many(*args):
        if jax.tree.leaves(eqx.filter(args, eqx.is_array))[0].shape[0] > 1:
            return eqx.filter_vmap(fn)(*args)
        at = lambda index: lambda leaf: leaf[index] if eqx.is_array(leaf) else leaf
        return jax.tree.map(at(None), fn(*jax.tree.map(at(0), args)))

    def sharded(*args):
        arrays, rest = eqx.partition(args, eqx.is_array)
        out_rest = []

        def local(arrays):
            out_arrays, out_static = eqx.partition(one_or_many(*eqx.combine(arrays, rest)), eqx.is_array)
            out_rest.append(out_static)
            return out_arrays

        spec = PartitionSpec(CASES)
        out_arrays = jax.shard_map(local, mesh=mesh, in_specs=(spec,), out_specs=spec, check_vma=False)(arrays)
        return eqx.combine(out_arrays, out_rest[0])

    return sharded


@eqx.filter_jit
def _start(config: Config, keys: tuple[str, ...], theta: Float[Array, "b k"], mesh: Mesh) -> tuple[Model, State]:
    return _on_cases(lambda theta: model_and_state(with_parameters(config, keys, theta)), mesh)(theta)


@eqx.filter_jit
def _advance(model: Model, state: State, steps: int, mesh: Mesh) -> State:
    """``steps`` more steps of every case (no communication between devices: each runs its own cases)."""
    return _on_cases(lambda m, s: advance(m, s, steps), mesh)(model, state)


def _figures(model: Model, state: State) -> Float[Array, " columns"]:
    """The numbers of :data:`COLUMNS` for one case (NaN where undefined; ``status`` as its code)."""
    return run_figures(model, state).row(state.figures.time_s.dtype)


_batch_figures = eqx.filter_jit(lambda model, state, mesh: _on_cases(_figures, mesh)(model, state))


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
    """Split ``configs`` into batches of at most ``batch_size`` cases (default: one case per device) of one
    group.

    Each batch is padded to a multiple of ``devices`` by repeating its last case.
    """
    keys = batched_keys(configs)
    out = []
    for members in groups(configs, keys):
        size = batch_size or devices
        for start in range(0, len(members), size):
            indices = members[start : start + size]
            values = [parameter_values(configs[i], keys) if keys else () for i in indices]  # no keys: one case
            theta = np.asarray(values, float).reshape(len(indices), len(keys))
            padded = -(-len(indices) // devices) * devices
            theta = np.concatenate([theta, np.repeat(theta[-1:], padded - len(indices), axis=0)])
            out.append((indices, Batch(config=configs[indices[0]], keys=keys, theta=theta, cases=len(indices))))
    return out


def _run_alone(
    config: Config,
    *,
    chunk_steps: int,
    on_chunk: Callable[[int, int], None] | None,
    should_stop: Callable[[], bool] | None,
    record: Callable[[Model, State], None] | None = None,
) -> tuple[Model, State] | None:
    """``config`` run as ``ecmjax run`` runs it (:func:`~ecmjax.model.simulation.run`, the same compiled
    program); ``record(model, state)`` after every chunk. ``None`` if ``should_stop()`` turned true during
    the run."""

    def report(model: Model, state: State) -> None:
        if record is not None:
            record(model, state)
        if on_chunk is not None:
            on_chunk(1, int(state.step))

    stop_when = None if should_stop is None else (lambda state: should_stop())
    model, state = run(config, chunk_steps=chunk_steps, on_chunk=report, stop_when=stop_when)
    return None if int(state.status) == Status.RUNNING else (model, state)


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


def shared_paths(configs: Sequence[Config]) -> list[list[int]]:
    """Indices of the ``float64`` configurations that differ only in their operating condition, in groups
    of two or more (in order of first appearance): one path serves each group."""
    in_float64 = [index for index, config in enumerate(configs) if config.solver.dtype == "float64"]
    alike = groups([configs[i] for i in in_float64], POTENTIAL_KEYS)
    return [[in_float64[i] for i in members] for members in alike if len(members) > 1]


def run_shared_path(
    configs: Sequence[Config],
    *,
    on_chunk: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[dict[int, Float[np.ndarray, " columns"]], list[int]] | None:
    """Run the case of ``configs`` (alike but for the operating condition) with the largest current density,
    recording its path; the figures of every case the path serves, by index, and the indices of those it
    does not (to be run in full). ``None`` if ``should_stop()`` turned true during the run.

    The run is the one :func:`ecmjax.simulate` makes of its configuration (one point per chunk), so its row
    is that run's, bit for bit.
    """
    densities = [float(config.operating.current_density_A_per_m2) for config in configs]
    driver = int(np.argmax(densities))
    points = []
    record = lambda model, state: record_point(points, model, state)
    ran = _run_alone(configs[driver], chunk_steps=1, on_chunk=on_chunk, should_stop=should_stop, record=record)
    if ran is None:
        return None
    model, state = ran
    dtype = state.figures.time_s.dtype
    rows = {driver: np.asarray(_figures(model, state))}
    unserved = []
    path = stacked(points) if int(state.status) == Status.FAILED else None
    for index, config in enumerate(configs):
        if index == driver:
            continue
        condition = jnp.asarray(parameter_values(config, POTENTIAL_KEYS), dtype)
        served = None if path is None else figures_at_condition(model, state, path, condition)
        if served is not None and bool(served.exact):
            rows[index] = np.asarray(served.figures.row(dtype))
        else:
            unserved.append(index)
    return rows, unserved


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
    share_paths: bool = True,
) -> Progress:
    """Run every configuration, batch by batch; the figures of each (see :func:`row`).

    ``batch_size``: cases per batch, default one per device (on one device, each case is its own run:
    the module docstring says why). With ``checkpoint_dir``, the figures of the finished cases are saved
    after every batch (orbax, atomic, the last few kept); ``resume`` starts from the latest save and skips
    the batches it holds.
    ``on_batch(number, count, indices, progress)`` follows each entry of the plan (``count``: those so far
    and those to come; ``indices``: the cases it did). If ``should_stop()`` turns true
    (e.g. on SIGTERM), the batch under way is abandoned and the progress so far returned (not all done).
    Cases alike but for the operating condition share one path (:func:`shared_paths`, :func:`run_shared_path`;
    one entry of the plan each) unless ``share_paths`` is false: then every case runs in full.
    """
    mesh = case_mesh() if mesh is None else mesh
    shared = shared_paths(configs) if share_paths else []
    alone = sorted(set(range(len(configs))) - {index for members in shared for index in members})
    in_batches = lambda indices: [
        ([indices[i] for i in members], batch)
        for members, batch in batches([configs[i] for i in indices], batch_size, mesh.size)
    ]
    # A shared path is an entry of the plan (its batch None); the cases it does not serve join the plan
    # after it, as batches. Its figures are saved together, so after a resume its members not done are those.
    plan: list[tuple[list[int], Batch | None]] = [(members, None) for members in shared] + in_batches(alone)
    progress = Progress(figures=np.full((len(configs), len(COLUMNS)), np.nan), done=np.zeros(len(configs), bool))
    saved = False
    if resume and checkpoint_dir is not None and (latest := checkpoint.latest(checkpoint_dir, progress)):
        progress, saved = latest[1], True
    number = 0
    while plan:
        indices, batch = plan.pop(0)
        number += 1
        if progress.done[indices].all():
            continue
        if batch is None and progress.done[indices].any():
            plan[:0] = in_batches([i for i in indices if not progress.done[i]])
            continue
        if batch is None:
            shared_path = run_shared_path([configs[i] for i in indices], on_chunk=on_chunk, should_stop=should_stop)
            done = None if shared_path is None else {indices[i]: figures for i, figures in shared_path[0].items()}
            if shared_path is not None:
                plan[:0] = in_batches([indices[i] for i in shared_path[1]])
        elif batch.cases == 1 and mesh.size == 1:  # alone: the program of its own run, and its figures
            ran = _run_alone(configs[indices[0]], chunk_steps=chunk_steps, on_chunk=on_chunk, should_stop=should_stop)
            done = None if ran is None else {indices[0]: np.asarray(_figures(*ran))}
        else:
            figures = run_batch(batch, mesh, chunk_steps=chunk_steps, on_chunk=on_chunk, should_stop=should_stop)
            done = None if figures is None else dict(zip(indices, figures, strict=True))
        if done is None:
            if checkpoint_dir is not None and not saved:  # so that --resume finds the sweep
                checkpoint.save(checkpoint_dir, 0, progress)
            break
        progress = Progress(figures=progress.figures.copy(), done=progress.done.copy())
        for index, figures in done.items():
            progress.figures[index] = figures
            progress.done[index] = True
        if checkpoint_dir is not None:
            checkpoint.save(checkpoint_dir, int(progress.done.sum()), progress)
            saved = True
        if on_batch is not None:
            on_batch(number, number + len(plan), list(done), progress)
    return progress
