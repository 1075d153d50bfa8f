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


def test_intervals_taken_in_the_unconstrained_coordinates_stay_within_bounds_and_cover():
    # A model linear in z with known scatter: the Wald interval in z has exact 95% coverage (Bates &
    # Watts 1988, sec. 2.3), and mapped end to end by an increasing map it keeps it, in the parameters'
    # units. A depth poorly determined near its lower bound keeps a positive interval (a symmetric
    # interval in metres would cross zero).
    from ecmjax.inverse.uncertainty import laplace_uncertainty

    space = parameter_space(load_config(), ("geometry.depth_m",))
    truth = np.array([1.2e-6])
    x = np.linspace(-1.0, 1.0, 6)[:, None] * 0.2  # d r / d z: a weakly determined coordinate
    rng = np.random.default_rng(0)
    covered, draws = 0, 2000
    for _ in range(draws):
        noise = rng.standard_normal(len(x))
        z_hat = space.to_unconstrained(truth) + np.linalg.lstsq(x, noise, rcond=None)[0]
        u = space.map_uncertainty(laplace_uncertainty(space.keys, z_hat, x), z_hat)
        assert space.lower[0] <= u.lower_95[0] < u.estimates[0] < u.upper_95[0] <= space.upper[0]
        covered += bool(u.lower_95[0] <= truth[0] <= u.upper_95[0])
    # Binomial(2000, 0.95): 3 standard deviations are 1.5%.
    assert covered / draws == pytest.approx(0.95, abs=0.015)
