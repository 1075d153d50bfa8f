"""Fitted parameters in unconstrained coordinates, so that no optimiser step leaves the valid configurations.

Each key is mapped from its valid interval ``(lower, upper)`` onto the real line: logistically where both
bounds are finite, ``log(theta - lower)`` where only the lower one is (``log theta`` for the positive
quantities: moduli, energies, depths), the identity where neither is. The intervals are the
configuration's own ranges, tightened for the defect so that every point is a configuration that
:func:`ecmjax.config.load_config` accepts: its depth spans at least the cells the grid must resolve and
leaves the short-circuit margin, and its half-width ``depth / aspect_ratio`` fits the half-cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import equinox as eqx
import numpy as np
from jaxtyping import Float

from ecmjax.config import MIN_CELLS_PER_DEPTH, SPECS, Config
from ecmjax.inverse.uncertainty import Z_95, Uncertainty

__all__ = ["ParameterSpace", "parameter_space"]

_INSIDE = 1e-9
"""Relative margin that keeps the tightened bounds strictly inside the configuration's open ranges."""


class ParameterSpace(eqx.Module):
    """Where each fitted key may lie, and the map between it and unconstrained coordinates ``z``."""

    keys: tuple[str, ...] = eqx.field(static=True)
    lower: Float[np.ndarray, " k"]
    upper: Float[np.ndarray, " k"]

    def to_physical(self, z: Float[np.ndarray, " k"]) -> Float[np.ndarray, " k"]:
        """Parameter values (SI units) at unconstrained coordinates ``z``."""
        z = np.asarray(z, float)
        with np.errstate(over="ignore", invalid="ignore"):  # each branch is evaluated where it is not used too
            logistic = self.lower + (self.upper - self.lower) / (1.0 + np.exp(-z))
            shifted = self.lower + np.exp(z)
        return np.where(np.isfinite(self.upper), logistic, np.where(np.isfinite(self.lower), shifted, z))

    def to_unconstrained(self, theta: Float[np.ndarray, " k"]) -> Float[np.ndarray, " k"]:
        """Unconstrained coordinates of ``theta``; raises if a value lies outside its interval."""
        theta = np.asarray(theta, float)
        outside = (theta <= self.lower) | (theta >= self.upper)
        if np.any(outside):
            i = int(np.flatnonzero(outside)[0])
            raise ValueError(
                f"{self.keys[i]} = {theta[i]:g} is outside the range the fit allows: > {self.lower[i]:g} and"
                f" < {self.upper[i]:g}"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            logit = np.log((theta - self.lower) / (self.upper - theta))
            log = np.log(theta - self.lower)
        return np.where(np.isfinite(self.upper), logit, np.where(np.isfinite(self.lower), log, theta))

    def derivative(self, z: Float[np.ndarray, " k"]) -> Float[np.ndarray, " k"]:
        """``d theta / d z`` (the map is diagonal): chains a Jacobian in ``theta`` to one in ``z``."""
        theta = self.to_physical(z)
        span = self.upper - self.lower
        with np.errstate(invalid="ignore"):
            logistic = (theta - self.lower) * (self.upper - theta) / span
        return np.where(np.isfinite(self.upper), logistic, np.where(np.isfinite(self.lower), theta - self.lower, 1.0))

    def relative_scale(self, z: Float[np.ndarray, " k"]) -> Float[np.ndarray, " k"]:
        """``|theta| / (d theta / d z)``: the length in ``z`` of a unit relative change of each parameter
        (1 for a positive one in ``log theta``; large for one near a bound, where the logistic flattens).
        Difference steps and the fit's trust radius are measured in it, so that they move the physical
        parameter by a set fraction wherever it lies."""
        theta = np.abs(self.to_physical(z))
        return np.where(theta > 0, theta, 1.0) / self.derivative(z)

    def map_uncertainty(self, u: Uncertainty, z: Float[np.ndarray, " k"]) -> Uncertainty:
        """``u``, taken in the unconstrained coordinates at ``z``, in the parameters' units: each 95%
        interval mapped end to end (so it never crosses a bound, and keeps its coverage: the map is
        increasing), the standard errors and the covariance by the map's slope at ``z`` (delta method)."""
        slope = self.derivative(z)
        errors = u.standard_errors
        return eqx.tree_at(
            lambda v: (v.estimates, v.standard_errors, v.lower_95, v.upper_95, v.covariance),
            u,
            (
                self.to_physical(z),
                errors * slope,
                self.to_physical(z - Z_95 * errors),
                self.to_physical(z + Z_95 * errors),
                u.covariance * np.outer(slope, slope),
            ),
        )


def parameter_space(config: Config, keys: Sequence[str]) -> ParameterSpace:
    """The valid intervals of ``keys`` around ``config`` (the other keys fixed at ``config``'s values)."""
    keys = tuple(keys)
    lower, upper = [], []
    geometry, domain = config.geometry, config.domain
    half_cell = domain.width_m / 2
    # The half-width must fit: depth < aspect_ratio * half_cell. Fitting both, that triangle is cut to a
    # box through the base point: aspect_ratio > a and depth < a * half_cell, with a the geometric mean
    # of the base aspect ratio and the smallest one its depth allows.
    widest = geometry.depth_m / half_cell
    if "geometry.depth_m" in keys and "geometry.aspect_ratio" in keys:
        widest = float(np.sqrt(geometry.aspect_ratio * widest))
    for key in keys:
        section, name = key.split(".")
        spec = SPECS[section][name]
        low = -np.inf if spec.lower is None else spec.lower
        high = np.inf if spec.upper is None else spec.upper
        if key == "geometry.depth_m":
            low = max(low, MIN_CELLS_PER_DEPTH * config.cell_size_m)
            aspect = widest if "geometry.aspect_ratio" in keys else geometry.aspect_ratio
            high = min(high, domain.thickness_m - domain.short_circuit_margin_m, aspect * half_cell)
        elif key == "geometry.aspect_ratio":
            low = max(low, widest)
        lower.append(low * (1 + _INSIDE) if low > 0 else low)
        upper.append(high * (1 - _INSIDE) if np.isfinite(high) else high)
    return ParameterSpace(keys, np.asarray(lower, float), np.asarray(upper, float))
