"""The run configuration: its schema (keys, units, ranges, defaults), loading and checking, keys as parameters.

Build one with :func:`load_config`; vary float keys by name with :func:`with_parameters`. The working
precision (float64 or float32) and the compilation cache are set up in :mod:`ecmjax.config.precision`.
"""

from ecmjax.config.keys import (
    DIFFERENTIABLE_KEYS,
    RUN_KEYS,
    check_parameter_keys,
    key_values,
    parameter_values,
    traced_floats,
    with_parameters,
)
from ecmjax.config.loading import check_devices, load_config
from ecmjax.config.schema import (
    DEFAULTS,
    FRACTURE_KEYS,
    MIN_CELLS_PER_DEPTH,
    SECTIONS,
    SPECS,
    VALID_KEYS,
    Config,
    ConfigError,
    DamageConfig,
    DomainConfig,
    GeometryConfig,
    GridConfig,
    KeySpec,
    KineticsConfig,
    LithiumConfig,
    MaterialConfig,
    OperatingConfig,
    PathConfig,
    SolverConfig,
    TimeConfig,
)

__all__ = [
    "DEFAULTS",
    "DIFFERENTIABLE_KEYS",
    "FRACTURE_KEYS",
    "RUN_KEYS",
    "MIN_CELLS_PER_DEPTH",
    "SECTIONS",
    "SPECS",
    "VALID_KEYS",
    "Config",
    "ConfigError",
    "DamageConfig",
    "DomainConfig",
    "GeometryConfig",
    "GridConfig",
    "KeySpec",
    "KineticsConfig",
    "LithiumConfig",
    "MaterialConfig",
    "OperatingConfig",
    "SolverConfig",
    "PathConfig",
    "TimeConfig",
    "check_devices",
    "check_parameter_keys",
    "key_values",
    "load_config",
    "parameter_values",
    "traced_floats",
    "with_parameters",
]
