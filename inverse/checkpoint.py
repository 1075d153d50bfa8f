"""Resumable fit state on disk: the last few iterations, saved with orbax-checkpoint.

Every forward run of a fit costs minutes, so its state (an ``equinox.Module`` of NumPy arrays, such as
:class:`ecmjax.inverse.levenberg_marquardt.LMState`) is saved after each iteration, and a restarted fit
goes on from the latest one. Orbax writes each iteration into a temporary directory
(``<iteration>.orbax-checkpoint-tmp-<id>``) and renames it to ``<iteration>`` only when complete, and
lists only the renamed ones, so a save cut short by a crash or a SIGKILL is never restored. Saves here
are synchronous: once :func:`save` returns, the iteration is on disk.

The arrays are stored as a flat list of leaves, each with its own dtype and shape, and put back into the
structure of a template of the same type; float64, integer and boolean arrays come back bit for bit
whether or not JAX runs in 64-bit mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import jax
import numpy as np
import orbax.checkpoint as ocp

__all__ = ["KEEP", "latest", "save"]

KEEP = 3
"""How many of the latest iterations stay on disk; older ones are deleted as new ones are saved."""

State = TypeVar("State")


def _manager(directory: Path) -> ocp.CheckpointManager:
    """A manager of an existing ``directory`` that saves synchronously and keeps the last :data:`KEEP`."""
    options = ocp.CheckpointManagerOptions(max_to_keep=KEEP, enable_async_checkpointing=False, create=False)
    return ocp.CheckpointManager(directory.absolute(), options=options)


def save(directory: str | Path, iteration: int, state) -> None:
    """Write ``state`` as ``iteration`` under ``directory`` (created if missing), keeping the last :data:`KEEP`.

    Raises if ``iteration`` is not past the latest saved one: orbax would skip it silently.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    leaves = [np.asarray(leaf) for leaf in jax.tree.leaves(state)]
    with _manager(directory) as manager:
        if not manager.save(iteration, args=ocp.args.StandardSave(leaves)):
            raise ValueError(
                f"iteration {iteration} is not after the latest checkpoint {manager.latest_step()} in {directory}:"
                " resume from that one, or start the fit in an empty directory"
            )
        manager.wait_until_finished()


def latest(directory: str | Path, like: State) -> tuple[int, State] | None:
    """The latest complete iteration under ``directory`` and its state, shaped like ``like``; None if none.

    ``like`` supplies the type and structure (its values are ignored); a checkpoint whose arrays differ
    from it in number, shape or dtype raises rather than being cast.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return None
    with _manager(directory) as manager:
        iteration = manager.latest_step()
        if iteration is None:
            return None
        stored = manager.restore(iteration, args=ocp.args.StandardRestore())
    template, treedef = jax.tree.flatten(like)
    expected = [(np.shape(leaf), np.asarray(leaf).dtype) for leaf in template]
    found = [(leaf.shape, leaf.dtype) for leaf in stored]
    if found != expected:
        raise ValueError(
            f"checkpoint {iteration} in {directory} holds arrays {found}, not {expected} as in the template"
        )
    return iteration, jax.tree.unflatten(treedef, stored)
