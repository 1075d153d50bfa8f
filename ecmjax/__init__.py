"""ecmjax: a differentiable electro-chemo-mechanical solver of lithium plating into solid-electrolyte defects.

The package is laid out as the model is thought about:

- :mod:`ecmjax.physics` says *what* is computed: materials, defect geometry, constitutive laws, kinetics.
- :mod:`ecmjax.solver` says *how*: the grid, discrete operators, Newton-Krylov solves.
- :mod:`ecmjax.inverse` says *why*: fitting the model to measured failure times.

Importing ecmjax never changes JAX's global configuration; float64 is switched on by the CLI or by
:func:`ecmjax.config.precision.enable_float64` when the user asks for it.
"""

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "FailureTime",
    "Interrupted",
    "Result",
    "default_config",
    "failure_time",
    "load_config",
    "simulate",
    "with_parameters",
]
"""The user's API, imported on first use: ``import ecmjax`` stays cheap, and so does importing a subpackage
such as :mod:`ecmjax.physics` (Python runs this file first)."""

_CONFIG = ("Config", "ConfigError", "load_config", "with_parameters")


def __getattr__(name: str):
    if name in _CONFIG:
        import ecmjax.config as module
    elif name in __all__:
        import ecmjax.api as module
    else:
        raise AttributeError(f"module 'ecmjax' has no attribute {name!r}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
