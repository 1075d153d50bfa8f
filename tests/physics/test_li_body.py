"""The Li body's volume balance and the time by quadrature along the path (physics/li_body.py)."""

import numpy as np
import pytest
from scipy.special import lambertw

from ecmjax.physics.li_body import balanced_pressure_Pa, compressed_volume_m2, filled_fraction, filling_time_s


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
    kwargs = dict(cavity_compliance_m2_per_Pa=0.01, stack_pressure_Pa=5.0, bulk_modulus_Pa=1e300)
    assert float(balanced_pressure_Pa(5.0, li_volume_m2=1.5, cavity_volume_m2=1.05, **kwargs)) == pytest.approx(50.0)
    assert float(balanced_pressure_Pa(5.0, li_volume_m2=0.9, cavity_volume_m2=1.05, **kwargs)) == 5.0


def test_compressible_li_fills_a_linear_cavity_at_the_closed_form_pressure():
    # A cavity V_cav = V0 + C (p - p_stack) (an elastic pit: the circular hole's C = 2 (1 + nu) V0 / E, plane
    # strain) is filled at a known rate q: the Li plated by time t, V = V0 + q t at the stack pressure, is
    # compressed to V exp(-x / K) at x = p - p_stack. With y = V0 + C x the balance is y exp(y / (C K)) =
    # V exp(V0 / (C K)), so x = K W(V exp(V0 / (C K)) / (C K)) - V0 / C, W Lambert's function (Corless et
    # al., Adv. Comput. Math. 5, 1996). Li6PS5Cl (E 24 GPa, nu 0.3) around Li of K = 11 GPa.
    v0, stack, bulk = 1e-12, 5e6, 11e9
    compliance = 2 * 1.3 * v0 / 24e9
    for t in (0.5, 1.0, 2.0, 4.0):
        plated = v0 + 0.01 * v0 * t  # q = 1% of the pit per second
        ck = compliance * bulk
        exact = stack + bulk * lambertw(plated * np.exp(v0 / ck) / ck).real - v0 / compliance
        p = stack
        for _ in range(6):  # Newton converges quadratically from the stack pressure
            p = balanced_pressure_Pa(
                p,
                li_volume_m2=plated,
                cavity_volume_m2=v0 + compliance * (p - stack),
                cavity_compliance_m2_per_Pa=compliance,
                stack_pressure_Pa=stack,
                bulk_modulus_Pa=bulk,
            )
        assert float(p) == pytest.approx(exact, rel=1e-12)
        assert float(compressed_volume_m2(plated, p, stack, bulk)) == pytest.approx(v0 + compliance * (p - stack))
        # Incompressible Li would build the pressure 1 + V0 / (C K) times faster to first order: 1.84x here.
        rigid = stack + (plated - v0) / compliance
        assert (rigid - stack) / (float(p) - stack) > 1.8
