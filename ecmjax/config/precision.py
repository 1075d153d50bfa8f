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
            'solver.dtype = "float64" needs 64-bit JAX: call ecmjax.config.precision.enable_float64() before any '
            'compute, set JAX_ENABLE_X64=1, or choose solver.dtype = "float32"'
        )
    return jnp.dtype(name)


def use_default_dtype(name: str) -> jnp.dtype:
    """Make ``name`` (float64 or float32) the dtype JAX creates arrays in, by 64-bit mode on or off.

    For code that builds its arrays in JAX's default dtype (the validation cases); a process-wide JAX
    setting, so only the CLI calls it.
    """
    jax.config.update("jax_enable_x64", name == "float64")
    return jnp.dtype(name)


VERIFICATION_RTOL = {"float64": 1e-10, "float32": 1e-3}
"""Newton-Krylov ``rtol`` of the validation solves per dtype (see :func:`verification_rtol`)."""


def verification_rtol(dtype) -> float:
    """The relative residual the validation solves stop at in ``dtype``.

    float64: 1e-10, far below any discretisation error. float32: 1e-3, as the coupled model needs
    (``solver.rtol >= 1e-3``): its residual floor is near 2e-4 of the load.
    """
    return VERIFICATION_RTOL[jnp.dtype(dtype).name]


ADJOINT_RTOL = {"float64": 1e-10, "float32": 1e-5}
"""Relative residual of the linear solves behind derivatives (``NewtonKrylov.adjoint_rtol``) per dtype:
float32 cannot reach float64's 1e-10, and CG would spend its whole iteration budget trying."""


def enable_compilation_cache(directory: str | None = None) -> None:
    """Keep compiled XLA programs on disk so that a later run of the same grid skips compiling.

    The directory is ``directory``, else ``$ECMJAX_CACHE_DIR``, else ``~/.cache/ecmjax/jax``; setting
    ``ECMJAX_CACHE_DIR=""`` turns the cache off. A process-wide JAX setting, so only the CLI calls it.

    Every program is kept, however quickly it compiled (JAX keeps only those over 1 s by default): a run
    or a test module compiles hundreds of small ones besides its few large ones, and reading them back
    took a warm test module from 67 s to 43 s (the elliptic-hole validation, 2 cores).
    """
    import os
    from pathlib import Path

    if directory is None:
        directory = os.environ.get("ECMJAX_CACHE_DIR", str(Path.home() / ".cache" / "ecmjax" / "jax"))
    if not directory:
        return
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
