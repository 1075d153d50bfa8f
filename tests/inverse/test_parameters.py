"""Unconstrained coordinates of fitted keys (inverse/parameters.py): every point is a valid configuration."""

import numpy as np
import pytest

from ecmjax.config import load_config
from ecmjax.inverse.parameters import parameter_space

KEYS = ("geometry.aspect_ratio", "geometry.depth_m", "material.youngs_modulus_Pa", "material.poisson_ratio")


@pytest.fixture(scope="module")
def space():
    return parameter_space(load_config(), KEYS)


def test_round_trip_and_derivative(space):
    theta = np.array([1.0, 1.0e-6, 20e9, 0.3])
    z = space.to_unconstrained(theta)
    np.testing.assert_allclose(space.to_physical(z), theta, rtol=1e-12)
    h = 1e-6
    central = (space.to_physical(z + h) - space.to_physical(z - h)) / (2 * h)
    np.testing.assert_allclose(space.derivative(z), central, rtol=1e-7)


@pytest.mark.parametrize("z", [-30.0, 30.0])
def test_extreme_coordinates_are_accepted_configurations(space, z):
    # However far an optimiser steps, load_config accepts the configuration (no ConfigError).
    theta = space.to_physical(np.full(len(KEYS), z))
    assert np.all(np.isfinite(theta))
    load_config(None, tuple(f"{k}={float(v)!r}" for k, v in zip(KEYS, theta, strict=True)))


def test_bounds_follow_the_grid_and_domain(space):
    config = load_config()
    lower, upper = dict(zip(KEYS, space.lower, strict=True)), dict(zip(KEYS, space.upper, strict=True))
    assert lower["geometry.depth_m"] == pytest.approx(8 * config.cell_size_m)
    # Fitting depth and aspect ratio together: the box through the base point (1 um, AR 1) in a 3.2 um
    # half-cell has a = sqrt(1 * 1/3.2) = 0.559 and depth < 0.559 * 3.2 um = 1.79 um.
    assert lower["geometry.aspect_ratio"] == pytest.approx(np.sqrt(1.0e-6 / 3.2e-6), rel=1e-6)
    assert upper["geometry.depth_m"] == pytest.approx(np.sqrt(1.0e-6 * 3.2e-6), rel=1e-6)
    assert lower["material.youngs_modulus_Pa"] == 0 and np.isinf(upper["material.youngs_modulus_Pa"])
    assert (lower["material.poisson_ratio"], upper["material.poisson_ratio"]) == pytest.approx((-1.0, 0.5))


def test_value_outside_its_range_is_named(space):
    with pytest.raises(ValueError, match="geometry.depth_m = 1e-05 is outside the range"):
        space.to_unconstrained(np.array([1.0, 1e-5, 20e9, 0.3]))
