"""The Li body's volume balance and the time by quadrature along the path (physics/li_body.py)."""

import numpy as np
import pytest

from ecmjax.physics.li_body import balanced_pressure_Pa, filled_fraction, filling_time_s


def test_a_linearly_falling_rate_is_integrated_exactly():
    # integral_0^dV dV' / (q0 + (q1 - q0) V'/dV) = dV ln(q1/q0) / (q1 - q0) (elementary).
    for q0, q1 in ((2.0, 1.0), (1.0, 3.0), (1.0, 1.0 + 1e-9)):
        exact = 3.0 / (q1 - q0) * np.log(q1 / q0)
        assert float(filling_time_s(3.0, q0, q1)) == pytest.approx(exact, rel=1e-12)


def test_the_quadrature_converges_at_second_order():
    # A rate that is not linear in V, q(V) = 1 / (1 + V^2) on [0, 1]: the exact time is
    # integral (1 + V^2) dV = 4/3; the composite rule (q linear on each increment) errs as dV^2.
    errors = []
    for n in (8, 16, 32, 64):
        v = np.linspace(0.0, 1.0, n + 1)
        q = 1.0 / (1.0 + v**2)
        errors.append(abs(float(np.sum(filling_time_s(np.diff(v), q[:-1], q[1:]))) - 4.0 / 3.0))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    np.testing.assert_allclose(orders, 2.0, atol=0.05)


def test_an_increment_past_the_cap_is_never_filled_and_an_empty_one_takes_no_time():
    assert float(filling_time_s(1.0, 1.0, -1.0)) == np.inf  # q reaches 0 halfway: the body stops growing
    assert float(filling_time_s(1.0, 1.0, -1.0, fraction=0.4)) == pytest.approx(-np.log(0.2) / 2, rel=1e-12)
    assert float(filling_time_s(0.0, np.nan, 1.0)) == 0.0  # the first point of a path, before any rate


def test_filled_fraction_inverts_the_filling_time():
    for q1 in (0.5, 2.0, -1.0):
        for f in (0.1, 0.45):
            t = filling_time_s(2.0, 1.0, q1, fraction=f)
            assert float(filled_fraction(2.0, 1.0, q1, t)) == pytest.approx(f, rel=1e-10)


def test_the_cavity_is_full_above_the_stack_pressure_only():
    # V_cav(p) = 1 + 0.01 p: filling V = 1.5 needs p = 50; V = 0.9 does not fill it even at p = 0.
    kwargs = dict(cavity_compliance_m2_per_Pa=0.01, stack_pressure_Pa=5.0)
    assert float(balanced_pressure_Pa(5.0, li_volume_m2=1.5, cavity_volume_m2=1.05, **kwargs)) == pytest.approx(50.0)
    assert float(balanced_pressure_Pa(5.0, li_volume_m2=0.9, cavity_volume_m2=1.05, **kwargs)) == 5.0
