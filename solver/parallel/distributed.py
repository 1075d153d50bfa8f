"""Several processes, one computation: JAX's own multi-host runtime (``jax.distributed``).

``ecmjax sweep --distributed`` calls :func:`initialize` in every process before any compute. Under SLURM
(``srun``), Open MPI or a TPU pod, JAX finds the coordinator, the process count and this process's id
itself; elsewhere they are given explicitly. Afterwards ``jax.devices()`` lists the devices of every
process, a mesh over them splits each batch of a sweep across all processes
(:func:`ecmjax.model.sweep.case_mesh`), and :func:`gather` brings the figures to every process; only the
:func:`is_writer` process writes files.
"""

from __future__ import annotations

import jax
import numpy as np
from jax.experimental import multihost_utils

__all__ = ["any_process", "gather", "gathered", "initialize", "is_writer"]


def initialize(
    coordinator_address: str | None = None, num_processes: int | None = None, process_id: int | None = None
) -> None:
    """Join the job's processes (``jax.distributed.initialize``); ``None`` arguments are auto-detected."""
    jax.distributed.initialize(
        coordinator_address=coordinator_address, num_processes=num_processes, process_id=process_id
    )


def is_writer() -> bool:
    """Whether this process writes the outputs (process 0; the only one without ``jax.distributed``)."""
    return jax.process_index() == 0


def gather(array: jax.Array) -> np.ndarray:
    """The whole of a (possibly sharded across processes) array as NumPy, on every process."""
    if jax.process_count() == 1:
        return np.asarray(array)
    return np.asarray(multihost_utils.process_allgather(array, tiled=True))


def gathered(tree):
    """``tree`` with every JAX array replaced by the whole of it as NumPy (:func:`gather`); other leaves kept."""
    return jax.tree.map(lambda leaf: gather(leaf) if isinstance(leaf, jax.Array) else leaf, tree)


def any_process(flag: bool) -> bool:
    """Whether ``flag`` is true in any process (every process must call it at the same point).

    So that the processes of a job take the same branch, e.g. all stop when one of them got SIGTERM.
    """
    if jax.process_count() == 1:
        return flag
    return bool(np.any(multihost_utils.process_allgather(np.asarray(flag))))
