"""Resumable state on disk: the last few iterations of a fit, run or sweep, saved with orbax-checkpoint.

Long computations are cut short by crashes and by batch schedulers, so their state (a pytree of
arrays: a fit's :class:`ecmjax.inverse.levenberg_marquardt.LMState` after each iteration, a run's
:class:`ecmjax.model.simulation.State` every few steps, a sweep's progress through its cases) is saved as they go, and a
restarted computation goes on from the latest save. Orbax writes each iteration into a temporary directory
(``<iteration>.orbax-checkpoint-tmp-<id>``) and renames it to ``<iteration>`` only when complete, and
lists only the renamed ones, so a save cut short by a crash or a SIGKILL is never restored. Saves here
are synchronous: once :func:`save` returns, the iteration is on disk.

The arrays are stored as a flat list of leaves, each with its own dtype and shape, and put back into the
structure of a template of the same type; float64, integer and boolean arrays come back bit for bit
whether or not JAX runs in 64-bit mode.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import jax
import numpy as np
import orbax.checkpoint as ocp

__all__ = ["KEEP", "latest", "latest_iteration", "save"]

KEEP = 3
"""How many of the latest iterations stay on disk by default; older ones are deleted as new ones are saved."""

State = TypeVar("State")


def _manager(directory: Path, keep: int = KEEP) -> ocp.CheckpointManager:
    """A manager of an existing ``directory`` that saves synchronously and keeps the last ``keep``."""
    options = ocp.CheckpointManagerOptions(max_to_keep=keep, enable_async_checkpointing=False, create=False)
    return ocp.CheckpointManager(directory.absolute(), options=options)


def save(directory: str | Path, iteration: int, state, *, keep: int = KEEP) -> None:
    """Write ``state`` as ``iteration`` under ``directory`` (created if missing), keeping the last ``keep``.

    Raises if ``iteration`` is not past the latest saved one: orbax would skip it silently.
    """
    if keep < 1:
        raise ValueError(f"keep = {keep} is out of range: must be >= 1")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    leaves = [np.asarray(leaf) for leaf in jax.tree.leaves(state)]
    with _manager(directory, keep) as manager:
        if not manager.save(iteration, args=ocp.args.StandardSave(leaves)):
            raise ValueError(
                f"iteration {iteration} is not after the latest checkpoint {manager.latest_step()} in {directory}:"
                " resume from that one, or start in an empty directory"
            )
        manager.wait_until_finished()


def latest_iteration(directory: str | Path) -> int | None:
    """The latest complete iteration saved under ``directory``; None if there is none (or no directory)."""
    directory = Path(directory)
    if not directory.is_dir():
        return None
    with _manager(directory) as manager:
        return manager.latest_step()


def _signature(leaf) -> str:
    """Dtype and shape of an array, a ``jax.ShapeDtypeStruct`` or a scalar, as in ``float64[2, 3]``."""
    dtype = np.dtype(leaf.dtype if hasattr(leaf, "dtype") else np.asarray(leaf).dtype)
    return f"{dtype}{list(np.shape(leaf))}"


def latest(directory: str | Path, like: State | Callable[[int], State]) -> tuple[int, State] | None:
    """The latest complete iteration under ``directory`` and its state, shaped like ``like``; None if none.

    ``like`` supplies the type and structure (its values are ignored; arrays or ``jax.ShapeDtypeStruct``),
    or is a function of the iteration that returns it, for a state that grows as it goes. A checkpoint
    whose arrays differ from it in number, shape or dtype raises, naming them, rather than being cast.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return None
    with _manager(directory) as manager:
        iteration = manager.latest_step()
        if iteration is None:
            return None
        stored = manager.restore(iteration, args=ocp.args.StandardRestore())
    template = like(iteration) if callable(like) else like
    leaves, treedef = jax.tree_util.tree_flatten_with_path(template)
    where = f"checkpoint {iteration} in {directory}"
    if len(stored) != len(leaves):
        raise ValueError(f"{where} holds {len(stored)} arrays, not {len(leaves)} as in the template")
    differing = [
        f"{jax.tree_util.keystr(path)} is {_signature(found)}, not {_signature(leaf)}"
        for (path, leaf), found in zip(leaves, stored, strict=True)
        if _signature(found) != _signature(leaf)
    ]
    if differing:
        raise ValueError(f"{where} does not match the template: {'; '.join(differing)}")
    return iteration, jax.tree.unflatten(treedef, stored)
