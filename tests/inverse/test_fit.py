"""The fit (inverse/fit.py) and ``ecmjax fit``: twin experiments and resuming a killed fit.

Twin experiments (synthetic observations from the forward model with known parameters, fitted from
another start) are the standard check that an inverse problem is solved and that its intervals mean
what they say (e.g. Tarantola, *Inverse Problem Theory*, 2005, section 3.4). The cell is that of
``examples/truth.toml`` (32 x 24 cells), at five current densities. The observations are made through
the public CLI (``ecmjax run``, by ``scripts/make_example_observations.py``), never with the fit's own
functions, on the fit's grid and on one twice as fine; the fit runs through ``ecmjax fit``.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ecmjax.config import ConfigError, load_config, parameter_values
from ecmjax.inverse import short_circuit
from ecmjax.inverse.observations import read_observations

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KEYS = ("geometry.depth_m", "material.youngs_modulus_Pa")


def _observe(out: Path, *extra: str) -> Path:
    """Observations of examples/truth.toml's short circuits, made through ``ecmjax run``."""
    command = [sys.executable, str(ROOT / "scripts" / "make_example_observations.py"), "--out", str(out), *extra]
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=1800)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("refine", "noise"),
    [
        pytest.param(
            1,
            0.03,
            marks=pytest.mark.xfail(
                strict=True,
                reason="measured 2026-12-07 (11 min): converged in 12 iterations, loss 1.75, times matched to"
                " 2.3%, at depth 0.969 um (95%: 0.936-1.008, truth 1.03 outside) and E 23.3 GPa (95%: 21.3-25.4,"
                " truth 24 inside): the Laplace intervals linearise t_f, whose regimes on this thin cell change"
                " within a few percent of the estimates (see docs/fitting.md, known limits)",
            ),
        ),
        pytest.param(
            2,
            0.0,
            marks=pytest.mark.xfail(
                strict=True,
                reason="measured 2026-12-07 (13.5 min): the finer grid's times are 12-17% shorter than the fit"
                " grid's; converged in 13 iterations at depth 1.001 um (truth 1.03) and E 20.1 GPa (truth 24),"
                " every time still 9-13% long, at a regime edge of t_f in the modulus: no intervals (null)",
            ),
        ),
    ],
    ids=["noisy", "finer grid"],
)
def test_twin_experiment(tmp_path, refine, noise):
    observations = _observe(tmp_path / "obs.csv", "--refine", str(refine), "--sigma-log", str(noise), "--seed", "1")
    out = tmp_path / "fit"
    command = [sys.executable, "-m", "ecmjax", "fit", str(EXAMPLES / "start.toml"), "--observations", str(observations)]
    command += ["--params", ",".join(KEYS), "--starts", "3", "--out", str(out), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    fit = json.loads((out / "fit.json").read_text())
    truth = parameter_values(load_config(EXAMPLES / "truth.toml"), KEYS)
    assert fit["target"] == "short-circuit" and fit["stop_reason"] == "converged"
    lower, upper = np.asarray(fit["lower_95"]), np.asarray(fit["upper_95"])
    assert np.all((lower <= truth) & (truth <= upper)), (lower, truth, upper)


def _ecmjax_fit(out: Path, observations: Path, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "ecmjax", "fit", str(EXAMPLES / "start.toml")]
    args += ["--observations", str(observations), "--params", "material.youngs_modulus_Pa"]
    args += ["--max-iter", "2", "--target", "critical-pressure"]  # what is checked is the resume: the cheaper target
    pipe = subprocess.PIPE
    return subprocess.Popen([*args, "--out", str(out), *extra], stdout=pipe, stderr=pipe, text=True)


@pytest.mark.slow
def test_a_fit_killed_and_resumed_ends_where_an_uninterrupted_one_does(tmp_path):
    # The example's two fastest rows: the resume does not depend on how many there are.
    lines = (EXAMPLES / "observations.csv").read_text().splitlines()
    observations = tmp_path / "obs.csv"
    observations.write_text("\n".join([line for line in lines if not line[0].isdigit()] + lines[-2:]) + "\n")
    fit = lambda out, *extra: _ecmjax_fit(out, observations, *extra)
    whole = fit(tmp_path / "whole")
    assert whole.wait(timeout=600) in (0, 3), whole.stderr.read()
    killed = fit(tmp_path / "killed")
    checkpoints = tmp_path / "killed" / "checkpoints"
    deadline = time.monotonic() + 600
    while not (checkpoints / "1").is_dir() and time.monotonic() < deadline and killed.poll() is None:
        time.sleep(0.2)
    assert killed.poll() is None, "the fit ended before it could be killed"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert not (tmp_path / "killed" / "fit.json").exists()
    resumed = fit(tmp_path / "killed", "--resume")
    assert resumed.wait(timeout=600) in (0, 3), resumed.stderr.read()
    expected = json.loads((tmp_path / "whole" / "fit.json").read_text())
    got = json.loads((tmp_path / "killed" / "fit.json").read_text())
    np.testing.assert_allclose(got["estimates"], expected["estimates"], rtol=1e-10)
    assert got["iterations"] == expected["iterations"] and got["loss_history"] == expected["loss_history"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params", "geometry.colour"], "'geometry.colour' is not a configuration key"),
        (["--params", "grid.nx"], "'grid.nx' is not a float"),
        (["--max-iter", "-1"], "--max-iter = -1 is out of range"),
        (["--xtol", "0"], "--xtol = 0.0 is out of range: must be in (0, 1)"),
        (["--optimizer", "adam"], "argument --optimizer: invalid choice: 'adam'"),
    ],
)
def test_bad_fit_input_is_refused_before_any_compute(tmp_path, args, message):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "ecmjax", "fit", "--observations", str(EXAMPLES / "observations.csv")]
    command += ["--out", str(out), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and message in done.stderr and not out.exists()


def test_a_bad_observations_file_is_named_with_its_line(tmp_path):
    bad = tmp_path / "obs.csv"
    bad.write_text("current_density_A_per_m2,failure_time_s\n10,5\n20,-1\n")
    command = [sys.executable, "-m", "ecmjax", "fit", "--observations", str(bad), "--out", str(tmp_path / "out")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and f"{bad}:3" in done.stderr and "failure_time_s" in done.stderr


def _stand_in(monkeypatch, law):
    """Replace the runs of a short-circuit fit by ``law(config, theta)`` (a closed form, no sweep)."""

    def times(configs, keys, thetas, on_times=None):
        return np.asarray([[law(config, theta) for config in configs] for theta in thetas])

    monkeypatch.setattr(short_circuit, "short_circuit_times", times)
    monkeypatch.setattr(importlib.import_module("ecmjax.inverse.fit"), "short_circuit_times", times)


def _observe_law(path: Path, law, truth) -> Path:
    rows = [f"{j},{law(load_config(None, (f'operating.current_density_A_per_m2={j}',)), truth)}" for j in (10, 20, 40)]
    path.write_text("current_density_A_per_m2,failure_time_s\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("optimizer", ["lm", "lbfgs"])
def test_each_optimizer_recovers_a_smooth_stand_in(tmp_path, monkeypatch, optimizer):
    # A stand-in for the runs: t = 1e-9 depth^-2 (E / 20 GPa)^2 J^-(E / 20 GPa) s (SI units), smooth, and
    # the two keys separable (the modulus sets the slope in J). Noise-free: both optimizers reach the
    # truth, to the resolution of the 5% difference slopes, and its 95% intervals hold it.
    fit_module = importlib.import_module("ecmjax.inverse.fit")

    def law(config, theta):
        e = theta[1] / 20e9
        return 1e-9 * theta[0] ** -2 * e**2 * config.operating.current_density_A_per_m2**-e

    _stand_in(monkeypatch, law)
    truth = np.array([1.0e-6, 20e9])
    observations = read_observations(_observe_law(tmp_path / "obs.csv", law, truth))
    config = load_config(None, ("geometry.depth_m=1.2e-6", "material.youngs_modulus_Pa=25e9"))
    result = fit_module.fit(observations, config, KEYS, optimizer=optimizer, rtol=1e-10, loss_atol=0.0, xtol=1e-6)
    assert result.optimizer == optimizer and result.converged
    np.testing.assert_allclose(result.estimates, truth, rtol=1e-3)
    u = result.uncertainty
    assert np.all((u.lower_95 <= truth) & (truth <= u.upper_95)), (u.lower_95, u.upper_95)


def test_resuming_with_another_optimizer_is_refused_with_what_differs(tmp_path, monkeypatch):
    # A checkpoint of a Levenberg-Marquardt fit holds other arrays than an L-BFGS one: resuming it with
    # --optimizer lbfgs must say so, not fail on the arrays' count alone.
    fit_module = importlib.import_module("ecmjax.inverse.fit")
    law = lambda config, theta: 1e-9 * theta[0] ** -2 * config.operating.current_density_A_per_m2 ** -(theta[1] / 20e9)
    _stand_in(monkeypatch, law)
    observations = read_observations(_observe_law(tmp_path / "obs.csv", law, np.array([1.0e-6, 20e9])))
    config = load_config(None, ("geometry.depth_m=1.2e-6", "material.youngs_modulus_Pa=25e9"))
    fit_module.fit(observations, config, KEYS, max_iter=2, checkpoint_dir=tmp_path / "checkpoints")
    with pytest.raises(ConfigError, match="the checkpoint is of another fit .*optimizer 'lbfgs'"):
        fit_module.fit(
            observations,
            config,
            KEYS,
            optimizer="lbfgs",
            max_iter=2,
            checkpoint_dir=tmp_path / "checkpoints",
            resume=True,
        )


def test_a_fit_ending_at_a_regime_edge_gives_no_intervals(tmp_path, monkeypatch):
    # A stand-in for the runs: t = c depth^-2 E^0.5 / J inside a pocket 1 GPa wide in the modulus, three
    # times that outside it (the example fit ended in such a pocket of the thin cell). The fit matches the
    # observations, but every 5% step of the modulus leaves the pocket: no slope, so no interval, and a
    # warning that says why.
    fit_module = importlib.import_module("ecmjax.inverse.fit")

    def law(config, theta):
        pocket = 19.5e9 < theta[1] < 20.5e9
        smooth = 1e-9 / config.operating.current_density_A_per_m2 * theta[0] ** -2 * theta[1] ** 0.5
        return smooth * (1 if pocket else 3)

    _stand_in(monkeypatch, law)
    observations = read_observations(_observe_law(tmp_path / "obs.csv", law, np.array([1.0e-6, 20e9])))
    config = load_config(None, ("geometry.depth_m=1.1e-6", "material.youngs_modulus_Pa=20.2e9"))
    result = fit_module.fit(observations, config, KEYS)
    # Converged (a step lowered the loss by less than loss_atol = 1e-3, in squared log-time): matched to 2%.
    assert result.converged
    np.testing.assert_allclose(result.predicted_failure_time_s, observations.failure_time_s, rtol=0.02)
    u = result.uncertainty
    assert np.all(np.isnan(u.lower_95)) and np.all(np.isnan(u.standard_errors)) and not u.identifiable
    assert "regime edge of t_f in material.youngs_modulus_Pa" in u.warnings[-1]
