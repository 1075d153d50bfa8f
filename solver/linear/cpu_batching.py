"""LAPACK calls that stay safe under ``vmap`` on several CPU devices: one case at a time.

jaxlib 0.10's CPU kernels of batched LAPACK calls (Cholesky, SVD, ...) split the batch over XLA's
intra-op thread pool and then wait for the pieces on a thread of that same pool (``ParallelBatchMap`` in
``jaxlib/cpu/lapack_kernels.cc``). In a sweep sharded over CPU devices every device runs such a kernel
at once; when they hold every thread of the pool, each waits for pieces that no thread is free to run,
and the sweep hangs (seen with 2 devices on 2 cores, 32 x 32 cells, 2 cases a device).

:func:`one_case_at_a_time_on_cpu` gives a function a batching rule that, on CPU, calls it once per case
in a loop (a batch of one is never split), and on other platforms batches it as ``vmap`` would.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_batching import custom_vmap


def one_case_at_a_time_on_cpu(fn: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """``fn`` of arrays, whose ``vmap`` loops over the cases on CPU (``lax.map``) and batches elsewhere."""
    wrapped = custom_vmap(fn)

    @wrapped.def_vmap
    def rule(axis_size: int, in_batched: list[bool], *args: jax.Array) -> tuple[jax.Array, bool]:
        pairs = zip(args, in_batched, strict=True)
        args = tuple(a if batched else jnp.broadcast_to(a, (axis_size, *a.shape)) for a, batched in pairs)
        one_at_a_time = lambda *xs: lax.map(lambda x: wrapped(*x), xs)
        return lax.platform_dependent(*args, cpu=one_at_a_time, default=jax.vmap(fn)), True

    return wrapped
