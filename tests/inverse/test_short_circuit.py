"""The short-circuit time the fit predicts (inverse/short_circuit.py), and a fit that cannot start.

The slopes are forward differences over 5% of each parameter: checked on a closed-form stand-in for
``t_f`` (a power law in depth and modulus) against its exact derivative, to the difference's own
first-order error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ecmjax.config import load_config
from ecmjax.inverse import short_circuit
from ecmjax.inverse.parameters import parameter_space

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KEYS = ("geometry.depth_m", "material.youngs_modulus_Pa")


def _stand_in(monkeypatch, law) -> list[int]:
    """Replace the sweep of runs by ``law(theta)`` (times of every row); the list of points per call."""
    calls = []

    def fake(configs, keys, thetas, on_times=None):
        calls.append(len(thetas))
        return np.asarray([law(theta) for theta in thetas])

    monkeypatch.setattr(short_circuit, "short_circuit_times", fake)
    return calls


def test_slopes_are_forward_differences_over_five_percent_of_each_parameter(monkeypatch):
    # t = c J^-1 depth^-2 E^0.5 for each row (current density J): d t / d theta exactly known. The depth,
    # 0.1 um above its lower bound (0.8 um on the default grid), sits where its logistic coordinate is
    # flat: a step of 0.05 in z would move it by 0.5%.
    densities = np.array([10.0, 20.0, 40.0])
    law = lambda theta: 1e-9 / densities * theta[0] ** -2 * theta[1] ** 0.5
    calls = _stand_in(monkeypatch, law)
    space = parameter_space(load_config(), KEYS)
    theta = np.array([0.9e-6, 20e9])
    z = space.to_unconstrained(theta)
    times, slopes, edge = short_circuit.times_and_slopes([None] * 3, KEYS, space, z)
    np.testing.assert_allclose(times, law(theta), rtol=1e-12)
    assert calls == [3] and not edge.any()  # the point and one step per key, in one sweep
    steps = space.relative_scale(z) * short_circuit.DIFFERENCE_STEP
    for j, (power, step) in enumerate(zip((-2.0, 0.5), steps, strict=True)):
        moved = space.to_physical(z + step * np.eye(2)[j])
        ratio = moved[j] / theta[j] - 1.0
        # 5% of the parameter to first order: exp(0.05) - 1 = 5.1% for the modulus (log E), 6.2% for the
        # depth (near its lower bound its logistic grows like exp(z)).
        assert ratio == pytest.approx(short_circuit.DIFFERENCE_STEP, rel=0.25), j
        np.testing.assert_allclose(slopes[:, j], (law(moved) - law(theta)) / (moved[j] - theta[j]), rtol=1e-12)
        # The forward difference of theta^p over a relative step delta errs by (p - 1) delta / 2 to first
        # order (Taylor); its second-order term (p - 1)(p - 2) delta^2 / 6 is below 0.5% here.
        exact = power * law(theta) / theta[j]
        np.testing.assert_allclose(slopes[:, j], exact, rtol=abs(power - 1) * ratio / 2 + 0.005)
    _, again, _ = short_circuit.times_and_slopes([None] * 3, KEYS, space, z, times)
    np.testing.assert_allclose(again, slopes, rtol=1e-12)
    assert calls == [3, 2]  # with the point's times known, the steps only


def test_a_fit_that_cannot_start_writes_its_reason_and_rows(tmp_path):
    # 0.3 s of plating: no row shorts. The fit stops at once, but fit.json says why and names the rows.
    out = tmp_path / "fit"
    command = [sys.executable, "-m", "ecmjax", "fit", str(EXAMPLES / "start.toml"), "--set", "time.t_end_s=0.3"]
    command += ["--observations", str(EXAMPLES / "observations.csv"), "--params", "material.youngs_modulus_Pa"]
    done = subprocess.run([*command, "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 3, done.stderr[-3000:]
    fit = json.loads((out / "fit.json").read_text())
    assert fit["converged"] is False and fit["unevaluated_rows"] == [1, 2, 3, 4, 5]
    assert "does not short by time.t_end_s" in fit["stop_reason"] and "[1, 2, 3, 4, 5]" in fit["stop_reason"]
    assert fit["iterations"] == 0 and fit["target"] == "short-circuit"
    assert (out / "config.toml").exists()


@pytest.mark.parametrize("bad", ["lbfgs", ""])
def test_an_unknown_target_is_refused(tmp_path, bad):
    command = [sys.executable, "-m", "ecmjax", "fit", "--observations", str(EXAMPLES / "observations.csv")]
    done = subprocess.run([*command, "--target", bad, "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert done.returncode == 2 and "--target" in done.stderr and not (tmp_path / "o").exists()


def test_a_step_across_a_cliff_takes_the_slope_on_the_other_side(monkeypatch):
    # t_f 20x longer above 20.5 GPa (a crack jump that stops reaching the counter electrode): the forward
    # step in the modulus (to 21.03 GPa) crosses it, so that key's slope comes from a backward step.
    densities = np.array([10.0, 20.0])
    smooth = lambda theta: 1e-9 / densities * theta[0] ** -2 * theta[1] ** 0.5
    law = lambda theta: smooth(theta) * (20.0 if theta[1] > 20.5e9 else 1.0)
    calls = _stand_in(monkeypatch, law)
    space = parameter_space(load_config(), KEYS)
    theta = np.array([1.0e-6, 20e9])
    _, slopes, edge = short_circuit.times_and_slopes([None] * 2, KEYS, space, space.to_unconstrained(theta))
    assert calls == [3, 1]  # the point and its forward steps, then the modulus's backward step
    assert not edge.any()  # the backward step stays on the point's side
    np.testing.assert_allclose(slopes[:, 1], 0.5 * smooth(theta) / theta[1], rtol=short_circuit.DIFFERENCE_STEP / 2)


def test_a_key_with_cliffs_on_both_sides_is_at_a_regime_edge(monkeypatch):
    # A pocket 4% wide in the modulus (as the example fit found one: 0.02% more depth or 5% less modulus
    # changed t_f by 2-4x): both steps cross a cliff, so the modulus has no slope there.
    densities = np.array([10.0, 20.0])
    smooth = lambda theta: 1e-9 / densities * theta[0] ** -2 * theta[1] ** 0.5
    law = lambda theta: smooth(theta) * (1.0 if 19.5e9 < theta[1] < 20.5e9 else 3.0)
    _stand_in(monkeypatch, law)
    space = parameter_space(load_config(), KEYS)
    z = space.to_unconstrained(np.array([1.0e-6, 20e9]))
    _, _, edge = short_circuit.times_and_slopes([None] * 2, KEYS, space, z)
    assert edge.tolist() == [False, True]
