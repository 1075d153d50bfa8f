"""Critical pressure, overpotential and current density of a Li-filled flaw (ecmjax/critical.py, the CLI).

Independent truths: hand-computed numbers for the LLZO and LPSCL sets (docs/model.md sections 3b and 4), the
closed-form inverse of symmetric Butler-Volmer (``symmetric_overpotential_V``) with a SciPy root find,
the forward Butler-Volmer current, the ohmic and kinetic limits, and central differences. The CLI is run
in-process (float64 is already on in the tests, as the command switches it on).
"""

from __future__ import annotations

import json
import math

import jax
import pytest
from cases import CLEAN_LLZO
from scipy.optimize import brentq

from ecmjax.cli import main
from ecmjax.config import ConfigError, load_config
from ecmjax.model.critical_pressure import critical_pressure_report
from ecmjax.physics.critical import (
    critical_current_density_A_per_m2,
    flaw_overpotential_V,
    interface_overpotential_V,
)
from ecmjax.physics.kinetics import butler_volmer_current_A_per_m2, symmetric_overpotential_V

T_K = 298.15
THERMAL_VOLTAGE_V = 8.314462618 * T_K / 96485.33212  # R T / F = 25.69 mV
PA_PER_V = 96485.33212 / 1.30e-5  # F / Omega_Li: 7.42 MPa per mV
P_C_LLZO_1UM_PA = 1e6 / (1.1215 * math.sqrt(math.pi * 1e-6))  # 503.07 MPa


# --- Butler-Volmer inversion ---------------------------------------------------------------------------


@pytest.mark.parametrize("current", [0.0, 1e-3, 1.0, 10.0, 1e3, 1e6, -25.0])
@pytest.mark.parametrize("exchange_current", [1.0, 50.0])
def test_symmetric_inversion_matches_the_closed_form(current, exchange_current):
    # alpha_a = alpha_c = 1/2: eta = -(2 R T / F) asinh(j / (2 i0)).
    numeric = float(interface_overpotential_V(current, exchange_current, 0.5, 0.5, T_K))
    exact = float(symmetric_overpotential_V(current, exchange_current, T_K))
    assert numeric == pytest.approx(exact, rel=1e-9, abs=1e-13)


@pytest.mark.parametrize("alphas", [(0.3, 0.7), (0.8, 0.2), (1.0, 1.0)])
@pytest.mark.parametrize("current", [-50.0, -1.0, 0.0, 1e-3, 10.0, 1e4])
def test_general_inversion_gives_back_the_current(alphas, current):
    alpha_a, alpha_c = alphas
    eta = interface_overpotential_V(current, 3.0, alpha_a, alpha_c, T_K)
    assert float(eta) * current <= 0.0  # plating (j > 0) needs eta < 0
    back = float(butler_volmer_current_A_per_m2(eta, 3.0, alpha_a, alpha_c, T_K))
    # Bisection to 1e-11 in F eta / (R T), relative or absolute: near j = 0, i0 (alpha_a + alpha_c) 1e-11.
    assert back == pytest.approx(current, rel=1e-9, abs=1e-10)


# --- critical current density ----------------------------------------------------------------------------


def test_critical_current_symmetric_against_scipy():
    # Solve (2 R T / F) asinh(j / (2 i0)) + j c / kappa = eta_c with the closed form and brentq.
    eta_c, depth, kappa, i0 = 67.78e-3, 1e-6, 0.04, 50.0
    residual = lambda j: -float(symmetric_overpotential_V(j, i0, T_K)) + j * depth / kappa - eta_c
    expected = brentq(residual, 0.0, eta_c * kappa / depth, xtol=1e-14, rtol=1e-15)
    j_c = float(critical_current_density_A_per_m2(eta_c, depth, kappa, i0, 0.5, 0.5, T_K))
    assert j_c == pytest.approx(expected, rel=1e-9)
    assert 150.0 < j_c < 170.0  # 2 RT/F asinh(j/100) ~ 64 mV and j c / kappa ~ 4 mV near 159 A/m^2


@pytest.mark.parametrize("alphas", [(0.5, 0.5), (0.3, 0.7), (0.9, 0.1)])
@pytest.mark.parametrize("depth", [1e-7, 1e-6, 1e-5])
def test_critical_current_is_the_inverse_of_the_flaw_overpotential(alphas, depth):
    bv = (2.0, *alphas, T_K)
    j_c = critical_current_density_A_per_m2(0.1, depth, 0.1, *bv)
    assert float(flaw_overpotential_V(j_c, depth, 0.1, *bv)) == pytest.approx(0.1, rel=1e-9)


def test_critical_current_kinetic_and_ohmic_limits():
    eta_c, depth = 67.78e-3, 1e-6
    # A perfect conductor: the interface alone, j_c = BV current at -eta_c.
    kinetic = float(critical_current_density_A_per_m2(eta_c, depth, 1e12, 50.0, 0.3, 0.7, T_K))
    assert kinetic == pytest.approx(float(butler_volmer_current_A_per_m2(-eta_c, 50.0, 0.3, 0.7, T_K)), rel=1e-9)
    # Fast kinetics: the ohmic drop alone, j_c = eta_c kappa / c (interface share ~1e-6).
    ohmic = float(critical_current_density_A_per_m2(eta_c, depth, 0.04, 1e9, 0.5, 0.5, T_K))
    assert ohmic == pytest.approx(eta_c * 0.04 / depth, rel=1e-5)


def test_critical_current_gradient():
    # Implicit differentiation: s(j) + j c / kappa = eta_c gives dj/dc = -(j / kappa) / (s'(j) + c / kappa),
    # with s'(j) = (2 RT/F) / (2 i0 sqrt(1 + (j / 2 i0)^2)) for symmetric BV; and central differences.
    eta_c, depth, kappa, i0 = 67.78e-3, 1e-6, 0.04, 50.0
    j_of = lambda c, i0=i0: critical_current_density_A_per_m2(eta_c, c, kappa, i0, 0.5, 0.5, T_K)
    j = float(j_of(depth))
    slope = 2 * THERMAL_VOLTAGE_V / (2 * i0 * math.sqrt(1 + (j / (2 * i0)) ** 2))
    exact = -(j / kappa) / (slope + depth / kappa)
    grads = jax.grad(j_of, argnums=(0, 1))(depth, i0)
    assert float(grads[0]) == pytest.approx(exact, rel=1e-8)
    for value, fn, x in ((grads[0], j_of, depth), (grads[1], lambda i: j_of(depth, i), i0)):
        h = 1e-4 * x
        assert float(value) == pytest.approx((float(fn(x + h)) - float(fn(x - h))) / (2 * h), rel=1e-5)


# --- the report ------------------------------------------------------------------------------------------


def test_report_llzo_1um_default_cell_survives():
    report = critical_pressure_report(load_config(None, CLEAN_LLZO), 1e-6)
    assert report["critical_pressure_Pa"] == pytest.approx(P_C_LLZO_1UM_PA, rel=1e-12)
    assert report["critical_pressure_Pa"] == pytest.approx(503.07e6, rel=1e-5)
    assert report["critical_overpotential_V"] == pytest.approx(67.78e-3, rel=1e-4)  # 7.42 MPa per mV
    parts = report["critical_interface_overpotential_V"] + report["critical_flaw_ohmic_drop_V"]
    assert parts == pytest.approx(report["critical_overpotential_V"], rel=1e-12)
    assert report["critical_flaw_ohmic_drop_V"] == pytest.approx(report["critical_current_density_A_per_m2"] * 25e-6)
    # Default cell (i0 50, j 10 A/m^2): eta = 2 RT/F asinh(0.1) = 5.130 mV, cap 38.07 MPa (docs/model.md 3b: ~40).
    eta = 2 * THERMAL_VOLTAGE_V * math.asinh(0.1)
    assert report["applied_interface_overpotential_V"] == pytest.approx(eta, rel=1e-9)
    assert report["pressure_cap_Pa"] == pytest.approx(eta * PA_PER_V, rel=1e-9)
    assert report["pressure_cap_Pa"] == pytest.approx(38.07e6, rel=1e-3)
    assert report["applied_flaw_ohmic_drop_V"] == pytest.approx(10 * 1e-6 / 0.04)  # 0.25 mV
    assert report["flaw_pressure_cap_Pa"] == pytest.approx((eta + 0.25e-3) * PA_PER_V, rel=1e-9)
    assert report["applied_cell_ohmic_drop_V"] == pytest.approx(10 * 6.4e-6 / 0.04)  # 1.6 mV
    assert report["reaches_critical_pressure"] is False


def test_report_resistive_interface_cracks():
    # i0 = 1 A/m^2: 2 RT/F asinh(5) = 118.8 mV, a 0.88 GPa cap (docs/model.md 3b: ~120 mV, ~0.9 GPa).
    report = critical_pressure_report(load_config(None, [*CLEAN_LLZO, "kinetics.exchange_current_A_per_m2=1"]), 1e-6)
    assert report["applied_interface_overpotential_V"] == pytest.approx(2 * THERMAL_VOLTAGE_V * math.asinh(5))
    assert report["pressure_cap_Pa"] == pytest.approx(0.8817e9, rel=1e-3)
    assert report["critical_current_density_A_per_m2"] < 10.0
    assert report["reaches_critical_pressure"] is True


@pytest.mark.parametrize("depth", [0.0, -1e-6, math.nan, math.inf, 6.4e-6])
def test_report_refuses_bad_flaw_depth(depth):
    with pytest.raises(ConfigError, match=r"flaw_depth_m = .* must be > 0 and < domain.thickness_m = 6.4e-06"):
        critical_pressure_report(load_config(None, CLEAN_LLZO), depth)


# --- the command -----------------------------------------------------------------------------------------


def test_cli_llzo_prints_and_writes_json(tmp_path, capsys):
    path = tmp_path / "nested" / "critical.json"
    clean = [arg for override in CLEAN_LLZO[1:] for arg in ("--set", override)]
    assert main(["critical-pressure", "--material", "llzo", *clean, "--flaw-depth-m", "1e-6", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    for fragment in ("503.1 MPa", "67.78 mV", "38.07 MPa", "1.6 mV", "cannot reach p_c", "flaw survives"):
        assert fragment in out, (fragment, out)
    written = json.loads(path.read_text())
    assert written["material"] == "llzo" and written["config"]["material"]["name"] == "llzo"
    assert written["critical_pressure_Pa"] == pytest.approx(503.07e6, rel=1e-5)
    assert written["reaches_critical_pressure"] is False
    assert not list(path.parent.glob(".*.tmp"))


def test_cli_lpscl_and_overrides(tmp_path, capsys):
    assert main(["critical-pressure", "--material", "lpscl", "--flaw-depth-m", "1e-6"]) == 0
    assert "125.8 MPa" in capsys.readouterr().out  # K_IC 0.25 MPa m^0.5: a quarter of LLZO's 503 MPa
    path = tmp_path / "tough.json"
    args = ["--set", "material.fracture_toughness_Pa_sqrt_m=1.3e6", "--json", str(path)]
    assert main(["critical-pressure", "--material", "llzo", "--flaw-depth-m", "1e-6", *args]) == 0
    assert json.loads(path.read_text())["critical_pressure_Pa"] == pytest.approx(1.3 * P_C_LLZO_1UM_PA, rel=1e-12)
    config = tmp_path / "resistive.toml"
    config.write_text("[kinetics]\nexchange_current_A_per_m2 = 1.0\n")
    assert main(["critical-pressure", str(config), "--flaw-depth-m", "1e-6"]) == 0
    assert "can reach p_c" in capsys.readouterr().out


BAD_INPUTS = {
    "negative flaw depth": (["--flaw-depth-m=-1e-6"], ["--flaw-depth-m = -1e-06", "> 0", "domain.thickness_m"]),
    "flaw through the cell": (["--flaw-depth-m", "2e-5"], ["--flaw-depth-m = 2e-05", "< domain.thickness_m"]),
    "nan flaw depth": (["--flaw-depth-m", "nan"], ["--flaw-depth-m = nan is not finite"]),
    "unknown material": (
        ["--material", "steel", "--flaw-depth-m", "1e-6"],
        ["material.name", '"steel"', '"llzo"', '"lpscl"'],
    ),
    "bad override": (
        ["--flaw-depth-m", "1e-6", "--set", "material.fracture_toughness_Pa_sqrt_m=-1"],
        ["material.fracture_toughness_Pa_sqrt_m", "-1", "> 0"],
    ),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, name):
    args, fragments = BAD_INPUTS[name]
    path = tmp_path / "critical.json"
    assert main(["critical-pressure", *args, "--json", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("ecmjax: error: ")
    for fragment in fragments:
        assert fragment in captured.err, (fragment, captured.err)
    assert not path.exists()
