"""Configuration keys as parameters: read and set float keys by name (traceable), for sweeps and fits."""

from __future__ import annotations

from collections.abc import Sequence

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ecmjax.config.precision import resolve_dtype
from ecmjax.config.schema import SPECS, VALID_KEYS, Config, ConfigError

__all__ = [
    "DIFFERENTIABLE_KEYS",
    "RUN_KEYS",
    "check_parameter_keys",
    "key_values",
    "parameter_values",
    "traced_floats",
    "with_parameters",
]

DIFFERENTIABLE_KEYS: tuple[str, ...] = tuple(
    key for key in VALID_KEYS if SPECS[key.split(".")[0]][key.split(".")[1]].kind is float
)
"""Configuration keys that are floats, and so can be differentiated (integers and choices cannot)."""
RUN_KEYS: tuple[str, ...] = tuple(
    key
    for key in DIFFERENTIABLE_KEYS
    if key.split(".")[0] in ("domain", "geometry", "material", "lithium", "kinetics", "operating", "time")
)
"""The physical floats (domain, defect, electrolyte, lithium, kinetics, operating conditions, end time). A run holds
them as arrays (:func:`traced_floats`), so that one compiled program serves every value of them: a sweep's
cases and ``ecmjax run`` share it, bit for bit. Numerical settings stay compiled in (some are checked in
Python when the solvers are built)."""
KEY_EXAMPLES = ("geometry.aspect_ratio", "geometry.depth_m", "material.youngs_modulus_Pa")


def check_parameter_keys(keys: Sequence[str]) -> tuple[str, ...]:
    """``keys`` as a tuple, if each names a float key once; else :class:`ConfigError`."""
    keys = tuple(keys)
    if not keys:
        raise ConfigError("no parameters to differentiate: name at least one configuration key")
    for key in keys:
        if key not in DIFFERENTIABLE_KEYS:
            kind = "not a float (integers and choices are fixed)" if key in VALID_KEYS else "not a configuration key"
            raise ConfigError(f"parameter {key!r} is {kind}; e.g. {', '.join(KEY_EXAMPLES)}")
    if len(set(keys)) != len(keys):
        raise ConfigError(f"parameters {list(keys)} name a key twice")
    return keys


def key_values(config: Config, keys: Sequence[str]) -> tuple:
    """The leaves of ``config`` named by ``keys``, as they are (floats, arrays or tracers)."""
    return tuple(getattr(getattr(config, key.split(".")[0]), key.split(".")[1]) for key in keys)


def parameter_values(config: Config, keys: Sequence[str]) -> np.ndarray:
    """The values of ``keys`` in ``config`` (SI units), as a float64 vector."""
    return np.asarray([float(value) for value in key_values(config, check_parameter_keys(keys))], float)


def with_parameters(config: Config, keys: Sequence[str], values) -> Config:
    """``config`` with ``keys`` set to ``values`` (traceable: the values may be JAX arrays or tracers).

    Only the named leaves change; derived keys stay as resolved in ``config`` (e.g. a new modulus
    keeps the fracture energy, not the toughness).
    """
    return eqx.tree_at(lambda c: key_values(c, keys), config, tuple(values[i] for i in range(len(keys))))


def traced_floats(config: Config, keys: Sequence[str] = RUN_KEYS) -> Config:
    """``config`` with the floats of ``keys`` as 0-d arrays of its ``solver.dtype`` (tracers stay tracers).

    ``eqx.filter_jit`` treats Python floats as static: each new value would compile the whole time loop
    again, and compiled-in constants round differently from the same values held as arrays.
    """
    dtype = resolve_dtype(config.solver.dtype)
    return with_parameters(config, keys, [jnp.asarray(value, dtype) for value in key_values(config, keys)])
