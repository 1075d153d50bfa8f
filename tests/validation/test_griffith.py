"""docs/model.md case 3: Griffith's critical pressure of a growing phase-field crack (ecmjax/validation/griffith.py).

References: Griffith (Phil. Trans. R. Soc. A 221, 1921) with Sneddon's (1946) K = p sqrt(pi a):
p_c = sqrt(E' Gc / (pi a)), plane strain; at fixed injected volume the crack then grows along
p = (2 E' Gc^2 / (pi V))^(1/3) (Bourdin, Chukwudozie & Yoshioka, SPE 159154, 2012; OpenGeoSys K-regime
benchmark). Phase-field corrections as in case 2: AT2 Gc_eff = Gc (1 + h/(2l)) for Q1 elements
(Bourdin, Francfort & Marigo, J. Elasticity 91, 2008) and a_eff = a0 + pi l / (4 (1 + h/(2l)))
(OpenGeoSys Sneddon benchmark, Mollaali & Yoshioka 2022). Tolerance 10 % (docs/model.md case 3).
"""

import math

import numpy as np
import pytest

from ecmjax.validation import griffith as vg
from ecmjax.validation.crack import crack_damage


def _message(row):
    return f"{row.quantity}: {row.value:.4g} vs {row.reference:.4g} ({row.relative_error:.1%})"


def test_corrections_and_griffith_pressure_of_the_coarse_case():
    # l = a0/5, h = l/2: Gc_eff = 1.25 Gc, a_eff = a0 (1 + 0.2 pi / 5); p_c = sqrt(E' Gc_eff / (pi a_eff)).
    s = vg.COARSE
    assert s.grid().shape == (30, 30)
    assert s.effective_fracture_energy_J_per_m2 == pytest.approx(1.25 * vg.FRACTURE_ENERGY_J_PER_M2, rel=1e-12)
    assert s.effective_half_length_m / s.half_length_m == pytest.approx(1.0 + 0.2 * math.pi / 5.0, rel=1e-12)
    e_prime = vg.YOUNGS_MODULUS_PA / (1.0 - vg.POISSON_RATIO**2)
    expected = math.sqrt(e_prime * 1.25 * vg.FRACTURE_ENERGY_J_PER_M2 / (math.pi * s.effective_half_length_m))
    assert s.griffith_pressure_Pa() == pytest.approx(expected, rel=1e-12)


def test_volume_law_passes_through_the_griffith_point():
    # Eliminating a between Griffith and Sneddon's V = 2 pi p a^2 / E': at V_c the law gives p_c.
    s = vg.FINE
    assert s.volume_law_pressure_Pa(s.critical_volume_m2()) == pytest.approx(s.griffith_pressure_Pa(), rel=1e-12)


def test_tip_of_the_frozen_crack():
    # Broken core to a0, then exp(-(x - a0)/l): d = 0.9 at a0 + l ln(1/0.9) = a0 + 0.21 h; read linearly
    # between the nodes a0 and a0 + h (d = 1, 0.61) it is a0 + 0.25 h.
    s = vg.FINE
    grid = s.grid()
    tip = vg.tip_position_m(grid, crack_damage(grid, s.half_length_m, s.length_m))
    exact = s.half_length_m + s.length_m * math.log(1.0 / 0.9)
    assert tip == pytest.approx(exact, abs=0.05 * s.cell_size_m)


@pytest.fixture(scope="module")
def coarse_run():
    return vg.evolve_volume_controlled(vg.COARSE, np.asarray(vg.ONSET_VOLUME_RATIOS), pressure_work_in_damage=True)


def test_crack_holds_then_grows(coarse_run):
    # Volume control: no growth at V_c's first steps, growth before the last; the pressure falls after the peak.
    k = coarse_run.growth_step
    assert 2 <= k < len(vg.ONSET_VOLUME_RATIOS)
    assert coarse_run.pressure_Pa[-1] < coarse_run.pressure_Pa.max()


def test_critical_pressure_matches_griffith_coarse(coarse_run):
    # l = a0/5, h = l/2, box 3 a0 (30 x 30), BCY total energy. Measured: growth > 2 cells at V = 1.5 V_c,
    # p = 1.048 p_c (peak 1.056 p_c); p_c = sqrt(E' Gc_eff / (pi a_eff)) = 595 MPa.
    row = vg.critical_pressure_row(coarse_run, True)
    assert row.passed, _message(row)


@pytest.fixture(scope="module")
def fine_bcy_run():
    return vg.evolve_volume_controlled(vg.FINE, np.asarray(vg.LAW_VOLUME_RATIOS), pressure_work_in_damage=True)


@pytest.mark.slow
def test_critical_pressure_matches_griffith_fine(fine_bcy_run):
    # l = a0/10, h = l/2, box 3 a0 (60 x 60). Measured: growth > 2 cells at V = 1.3 V_c, p = 1.046 p_c
    # (also the peak); p_c = 612 MPa.
    row = vg.critical_pressure_row(fine_bcy_run, True)
    assert row.passed, _message(row)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="measured p = 1.19, 1.19, 1.24 x (2 E' Gc_eff^2 / (pi V))^(1/3) at V = 1.8, 2.0, 2.4 V_c "
    "(l = a0/10, h = l/2, box 3 a0; tip advanced 0.41-0.73 a0): the growing crack holds more pressure "
    "than Griffith-Sneddon predicts; see the report of validation case 3",
)
def test_volume_controlled_pressure_follows_the_law(fine_bcy_run):
    for row in vg.volume_law_rows(fine_bcy_run, True):
        assert row.passed, _message(row)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="ecmjax's damage is driven by H = max psi+ alone, without the pressure work's share "
    "(p div u) of BCY's total energy; measured growth > 2 cells at p = 1.22 p_c (l = a0/10, h = l/2), "
    "against 1.05 p_c with it",
)
def test_critical_pressure_of_the_history_driven_model():
    run = vg.evolve_volume_controlled(vg.FINE, np.asarray(vg.ONSET_VOLUME_RATIOS), pressure_work_in_damage=False)
    row = vg.critical_pressure_row(run, False)
    assert row.passed, _message(row)
