"""The fit (inverse/fit.py) and ``ecmjax fit``: twin experiments and resuming a killed fit.

Twin experiments (synthetic observations from the forward model with known parameters, fitted from
another start) are the standard check that an inverse problem is solved and that its intervals mean
what they say (e.g. Tarantola, *Inverse Problem Theory*, 2005, section 3.4). The cell is that of
``examples/truth.toml`` (32 x 24 cells), at five current densities.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ecmjax.config import load_config, parameter_values
from ecmjax.inverse.fit import _row_configs, fit, predict
from ecmjax.inverse.observations import Observations

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KEYS = ("geometry.depth_m", "material.youngs_modulus_Pa")
CURRENT_DENSITIES = np.array([10.0, 15.0, 20.0, 30.0, 40.0])


def _twin(noise: float, seed: int = 1) -> tuple[Observations, np.ndarray]:
    truth = load_config(EXAMPLES / "truth.toml")
    nan = np.full(len(CURRENT_DENSITIES), np.nan)
    sigma = np.full(len(CURRENT_DENSITIES), 0.03)
    survived = np.zeros(len(CURRENT_DENSITIES), bool)
    template = Observations(CURRENT_DENSITIES, np.ones_like(nan), nan, nan, sigma, survived)
    theta = parameter_values(truth, KEYS)
    times, _ = predict(_row_configs(truth, template), KEYS, theta, gradient=False)
    times = times * np.exp(noise * np.random.default_rng(seed).standard_normal(len(times)))
    return Observations(CURRENT_DENSITIES, times, nan, nan, sigma, survived), theta


@pytest.mark.slow
@pytest.mark.parametrize("noise", [0.0, 0.03])
def test_twin_experiment(noise):
    observations, truth = _twin(noise)
    screened, iterates = [], []
    start = load_config(EXAMPLES / "start.toml")
    record = lambda iteration, loss, theta: iterates.append((iteration, theta))
    result = fit(
        observations,
        start,
        KEYS,
        max_iter=20,
        starts=3,
        on_start=lambda *s: screened.append(s),
        on_iteration=record,
    )
    assert result.converged
    # Multi-start: the configuration's point first, then two others; the fit starts from the lowest loss.
    # (Compared by point: the screening's loss comes from forward runs, the fit's first from the runs with
    # derivatives, another XLA program, equal to round-off only.)
    ((points, losses),) = screened
    np.testing.assert_allclose(points[0], parameter_values(start, KEYS), rtol=1e-12)
    assert len(losses) == 3 and iterates[0][0] == 0
    np.testing.assert_allclose(iterates[0][1], points[np.argmin(losses)], rtol=1e-12)
    u = result.uncertainty
    if noise == 0.0:
        np.testing.assert_allclose(result.estimates, truth, rtol=0.02)
    assert np.all((u.lower_95 <= truth) & (truth <= u.upper_95)), (u.lower_95, truth, u.upper_95)


def _ecmjax_fit(out: Path, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "ecmjax", "fit", str(EXAMPLES / "start.toml")]
    args += ["--observations", str(EXAMPLES / "observations.csv"), "--params", "material.youngs_modulus_Pa"]
    args += ["--max-iter", "2"]
    pipe = subprocess.PIPE
    return subprocess.Popen([*args, "--out", str(out), *extra], stdout=pipe, stderr=pipe, text=True)


@pytest.mark.slow
def test_a_fit_killed_and_resumed_ends_where_an_uninterrupted_one_does(tmp_path):
    whole = _ecmjax_fit(tmp_path / "whole")
    assert whole.wait(timeout=600) in (0, 3), whole.stderr.read()
    killed = _ecmjax_fit(tmp_path / "killed")
    checkpoints = tmp_path / "killed" / "checkpoints"
    deadline = time.monotonic() + 600
    while not (checkpoints / "1").is_dir() and time.monotonic() < deadline and killed.poll() is None:
        time.sleep(0.2)
    assert killed.poll() is None, "the fit ended before it could be killed"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert not (tmp_path / "killed" / "fit.json").exists()
    resumed = _ecmjax_fit(tmp_path / "killed", "--resume")
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
