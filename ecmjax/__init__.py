"""ecmjax: a differentiable electro-chemo-mechanical solver of lithium plating into solid-electrolyte defects.

The package is laid out as the model is thought about:

- :mod:`ecmjax.physics` says *what* is computed: materials, defect geometry, constitutive laws, kinetics.
- :mod:`ecmjax.solver` says *how*: the grid, discrete operators, Newton-Krylov solves.
- :mod:`ecmjax.inverse` says *why*: fitting the model to measured failure times.

Importing ecmjax never changes JAX's global configuration; float64 is switched on by the CLI or by
:func:`ecmjax.config.precision.enable_float64` when the user asks for it.
"""

__version__ = "0.1.0"

__all__ = ["default_config", "load_config", "simulate"]


def __getattr__(name: str):
    """``ecmjax.load_config``, ``ecmjax.default_config`` and ``ecmjax.simulate``, imported on first use."""
    if name == "load_config":
        from ecmjax.config import load_config

        return load_config
    if name in ("default_config", "simulate"):
        from ecmjax import api

        return getattr(api, name)
    raise AttributeError(f"module 'ecmjax' has no attribute {name!r}")
