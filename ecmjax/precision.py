"""Floating-point precision of a run: float64 (default, CPU verification) or float32 (GPU speed).

JAX computes in float32 unless ``jax_enable_x64`` is on. ecmjax never switches it on at import; the CLI
does so for ``solver.dtype = "float64"`` and library users call :func:`enable_float64` (or set
``JAX_ENABLE_X64=1``) before building arrays.
"""

import jax
import jax.numpy as jnp


def enable_float64() -> None:
    """Let JAX create float64 arrays (a process-wide JAX setting; call it before any compute)."""
    jax.config.update("jax_enable_x64", True)


def resolve_dtype(name: str) -> jnp.dtype:
    """The dtype of ``solver.dtype``; refuses float64 when JAX would silently give float32."""
    if name == "float64" and not jax.config.jax_enable_x64:
        raise RuntimeError(
            'solver.dtype = "float64" needs 64-bit JAX: call ecmjax.precision.enable_float64() before any '
            'compute, set JAX_ENABLE_X64=1, or choose solver.dtype = "float32"'
        )
    return jnp.dtype(name)
