"""Checkpoint and restart of ``ecmjax run``: SIGKILL, SIGTERM (exit 143), ``--resume`` and its refusals.

Runs as a user (or SLURM) would, in subprocesses that share the compilation cache (as tests/app/test_cli.py).
A run interrupted either way and resumed must write the files of an uninterrupted run, bit for bit, but
for its wall time. The case: a 16 x 32 grid of the default sulfide to 30 s, 95 steps, in which the damage
initiates at step 78 (after the checkpoints the interruptions resume from), with snapshots every 5 steps
and checkpoints every 10.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ecmjax.api import simulate
from ecmjax.cli.common import EXIT_INTERRUPTED
from ecmjax.config import load_config
from ecmjax.solver.checkpoint import latest_iteration, save

CASE = [
    "domain.width_m=3.2e-6",
    "domain.thickness_m=3.2e-6",
    "grid.nx=16",
    "grid.ny=32",
    "solver.preconditioner=jacobi",
    "time.t_end_s=30",
]
RUN = [arg for key in CASE for arg in ("--set", key)] + ["--snapshots", "5", "--checkpoint-every", "10", "--quiet"]


def ecmjax_run(out: Path, *extra: str, wait: bool = True):
    command = [sys.executable, "-m", "ecmjax", "run", *RUN, "--out", str(out), *extra]
    if wait:
        return subprocess.run(command, capture_output=True, text=True, timeout=300)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("uninterrupted")
    done = ecmjax_run(out)
    assert done.returncode == 0, done.stderr
    assert not (out / "checkpoints").exists(), "the checkpoints of a run that ended are removed"
    return out


def wait_for(path: Path, process: subprocess.Popen) -> None:
    """Wait until ``path`` exists, with the process still running."""
    deadline = time.monotonic() + 240
    while not path.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, f"the run ended before {path.name} was saved: {process.communicate()[1]}"
    assert path.exists()


def assert_same_run(got: Path, expected: Path) -> None:
    results = [json.loads((out / "result.json").read_text()) for out in (got, expected)]
    assert all(result.pop("wall_time_s") > 0 for result in results)
    assert results[0] == results[1]
    assert results[0]["status"] == "survived" and results[0]["initiation_time_s"] is not None
    assert (got / "history.csv").read_bytes() == (expected / "history.csv").read_bytes()
    for name in ("fields.npz", "snapshots.npz"):
        with np.load(got / name) as a, np.load(expected / name) as b:
            assert a.files == b.files
            for key in b.files:
                np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name}: {key}", strict=True)
    assert not (got / "checkpoints").exists()


@pytest.mark.slow
def test_a_run_killed_with_sigkill_resumes_to_the_uninterrupted_result(tmp_path, uninterrupted):
    out = tmp_path / "killed"
    process = ecmjax_run(out, wait=False)
    wait_for(out / "checkpoints" / "30", process)
    process.kill()
    process.communicate()
    assert not (out / "result.json").exists()
    resumed = ecmjax_run(out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(out, uninterrupted)


@pytest.mark.slow
def test_sigterm_checkpoints_and_exits_143_and_the_run_resumes_to_the_same_result(tmp_path, uninterrupted):
    out = tmp_path / "stopped"
    process = ecmjax_run(out, wait=False)
    wait_for(out / "checkpoints" / "10", process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == EXIT_INTERRUPTED == 143, stderr
    assert stderr.startswith("ecmjax: error: SIGTERM: the run stopped at step ") and "with --resume" in stderr
    stopped_at = int(stderr.split("step ")[1].split(",")[0])
    assert latest_iteration(out / "checkpoints") == stopped_at >= 10
    assert not (out / "result.json").exists()

    other = ecmjax_run(out, "--resume", "--snapshots", "4")  # the checkpoint holds snapshots every 5 steps
    assert other.returncode == 2 and "the snapshot interval (--snapshots)" in other.stderr, other.stderr
    assert latest_iteration(out / "checkpoints") == stopped_at

    resumed = ecmjax_run(out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(out, uninterrupted)


def earlier_run(out: Path, t_end_s: float) -> None:
    """What an unfinished run leaves in ``out``: its configuration and a checkpoint (a stand-in state)."""
    out.mkdir()
    (out / "config.toml").write_text(load_config(None, [*CASE, f"time.t_end_s={t_end_s}"]).to_toml())
    save(out / "checkpoints", 10, {"stand_in": np.zeros(3)})


REFUSED = {
    "resume without a checkpoint": (None, ["--resume"], "--resume: no checkpoint to resume in"),
    "resume with another configuration": (
        20.0,
        ["--resume"],
        "in time.t_end_s = 30.0 (started with 20.0); resume with: ecmjax run",
    ),
    "a new run into a directory with checkpoints": (
        30.0,
        [],
        "holds the checkpoints of an unfinished run (checkpoint 10 in",
    ),
    "negative --checkpoint-every": (None, ["--checkpoint-every", "-1"], "--checkpoint-every = -1 is out of range"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_bad_checkpoint_input_exits_2_before_any_compute(tmp_path, name):
    t_end_s, extra, message = REFUSED[name]
    out = tmp_path / "out"
    if t_end_s is not None:
        earlier_run(out, t_end_s)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    command = [sys.executable, "-m", "ecmjax", "run", *RUN, "--out", str(out), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("ecmjax: error: ") and message in done.stderr, done.stderr
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before, "nothing is written"


def test_simulate_refuses_before_any_compute(tmp_path, small_config):
    with pytest.raises(ValueError, match="checkpoint_every = -1 is out of range: must be >= 0"):
        simulate(small_config, checkpoint_dir=tmp_path, checkpoint_every=-1)
    save(tmp_path, 10, {"stand_in": np.zeros(3)})
    with pytest.raises(ValueError, match=r"holds a checkpoint \(step 10\) of a run: resume it"):
        simulate(small_config, checkpoint_dir=tmp_path)
