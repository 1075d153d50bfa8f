"""Domain decomposition (solver/parallel/decomposition.py): a run split over 4 devices gives the one-device answer.

A process has several CPU devices only if XLA is told so before JAX starts, so the split run is this
file run as a script in a subprocess with ``XLA_FLAGS=--xla_force_host_platform_device_count=4`` (4
devices sharing the host's cores); the pytest process keeps its one device, on which asking for more is
refused. The case is test_simulation's coarse cell, 16 x 32 cells: 17 node columns, which 4 devices do
not divide (XLA pads the last slab); in 3D (slow), a 0.8 um semi-sphere on a 16 x 16 x 16 quarter, split
along x in the same way.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cases import CLEAN_LLZO

from ecmjax.config import ConfigError, check_devices, load_config
from ecmjax.model.simulation import run
from ecmjax.solver.parallel.decomposition import domain_mesh

DEVICES = 4
STEPS = 10
CASE = (
    "domain.width_m=3.2e-6",
    "domain.thickness_m=3.2e-6",
    "grid.nx=16",
    "grid.ny=32",
    "time.t_end_s=30",
    "path.pressure_increment_Pa=5e6",  # STEPS points before the cell survives at its cap
    *CLEAN_LLZO,
)
CASES = {
    "2d": CASE,
    "3d": (
        "domain.dimension=3d",
        "domain.width_m=3.2e-6",
        "domain.thickness_m=1.6e-6",
        "grid.nx=16",
        "grid.ny=16",
        "geometry.depth_m=0.8e-6",
        "time.t_end_s=30",
        "path.pressure_increment_Pa=5e6",  # STEPS points before the cell survives at its cap
        *CLEAN_LLZO,
    ),
}
FIELDS = ("potential_V", "displacement_m", "damage", "damage_floor", "history_J_per_m3")
SCALARS = ("time_s", "dt_s", "pressure_Pa", "li_volume_m2", "cavity_volume_m2", "crack_tip_depth_m", "max_damage")
"""Figures of the last step (:class:`ecmjax.model.figures.StepFigures`)."""
COUNTS = ("step", "trials", "staggered_iterations", "continued_increments")


def _relative_difference(a, b) -> float:
    """``max |a - b| / max |a|`` over the finite entries (NaN marks unwritten history rows)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    finite = ~np.isnan(a)
    return float(np.max(np.abs(a - b)[finite]) / max(np.max(np.abs(a[finite])), 1e-300))


def _split_run(preconditioner: str, dimension: str) -> dict:
    """STEPS steps on one device and on DEVICES devices (in the subprocess): the differences and layouts."""
    import jax
    import jax.numpy as jnp

    from ecmjax.model.simulation import advance_jit

    jax.config.update("jax_enable_x64", True)
    runs = {}
    for devices in (1, DEVICES):
        overrides = (f"solver.preconditioner={preconditioner}", f"solver.domain_devices={devices}")
        config = load_config(None, (*CASES[dimension], *overrides))
        runs[devices] = run(config, chunk_steps=STEPS // 2, stop_when=lambda s: int(s.step) >= STEPS)
    one, (model, split) = runs[1][1], runs[DEVICES]
    # The same arguments as the run's last call: served from the in-memory cache, not compiled again.
    program = advance_jit.lower(model, split, jnp.asarray(STEPS // 2)).lowered.compile().as_text()
    return {
        "device_count": jax.device_count(),
        "cells": list(one.fields.history_J_per_m3.shape),
        "fields": {n: _relative_difference(getattr(one.fields, n), getattr(split.fields, n)) for n in FIELDS},
        "scalars": {
            name: _relative_difference(getattr(one.figures, name), getattr(split.figures, name)) for name in SCALARS
        },
        "history": _relative_difference(one.history, split.history),
        "counts": {name: [int(getattr(one, name)), int(getattr(split, name))] for name in COUNTS},
        "layouts": {
            name: {
                "devices": len(array.sharding.device_set),
                "replicated": array.sharding.is_fully_replicated,
                "shard_shapes": sorted({shard.data.shape for shard in array.addressable_shards}),
            }
            for name in FIELDS
            for array in [getattr(split.fields, name)]
        },
        "collectives": {op: program.count(f" {op}(") for op in ("collective-permute", "all-reduce", "all-gather")},
    }


@pytest.fixture(
    scope="module",
    params=[
        ("jacobi", "2d"),
        pytest.param(("multigrid", "2d"), marks=pytest.mark.slow),
        pytest.param(("multigrid", "3d"), marks=pytest.mark.slow),
    ],
    ids=["jacobi", "multigrid", "multigrid 3d"],
)
def split_run(request) -> dict:
    # jacobi: about 70 s on 2 cores, compilation included, 30 s with a warm compilation cache (the child
    # shares the test run's); multigrid (slow): about 85 s; 3D (slow): about 9 minutes on 2 cores shared
    # with another test run.
    env = {
        **os.environ,
        "XLA_FLAGS": f"--xla_force_host_platform_device_count={DEVICES}",
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")]),  # cases
    }
    child = subprocess.run(
        [sys.executable, __file__, *request.param], env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1])


def test_split_run_gives_the_single_device_answer(split_run):
    # Same steps, retries and staggered iterations: no convergence test came out differently.
    assert split_run["device_count"] == DEVICES
    assert all(one == split for one, split in split_run["counts"].values())
    assert split_run["counts"]["step"][0] == STEPS
    # Only the sums and maxima are taken in another order (per device, then across devices), a rounding
    # of ~1e-16 per reduction carried through the solvers' tolerances. Measured, relative to each
    # field's largest value: at most 2.0e-14 with jacobi (the damage) and 1.2e-14 with multigrid (the
    # history field); the pressure 1.4e-16, the history table 2.1e-16. In 3D: 7.5e-14 (the history
    # field), the step size 1.4e-13, the pressure 1.2e-14. 1e-12 leaves room for other XLA
    # versions and still catches any halo or boundary error, which is of order one.
    differences = {**split_run["fields"], **split_run["scalars"], "history": split_run["history"]}
    assert max(differences.values()) < 1e-12, differences


def test_split_run_spreads_its_fields_over_the_devices(split_run):
    layouts = split_run["layouts"]
    assert all(layout["devices"] == DEVICES for layout in layouts.values())
    # 16 cell columns leave the jitted run split into 4 slabs of 4; the 17 node columns come back
    # replicated (a jax.Array's shards must divide it) and are split again inside the next call.
    assert not layouts["history_J_per_m3"]["replicated"]
    assert layouts["history_J_per_m3"]["shard_shapes"] == [[16 // DEVICES, *split_run["cells"][1:]]]
    # Inside the compiled loop: halo exchanges between neighbouring slabs, and sums across them.
    collectives = split_run["collectives"]
    assert collectives["collective-permute"] > 0 and collectives["all-reduce"] > 0, collectives


def test_more_devices_than_jax_sees_are_refused_before_any_compute(tmp_path):
    config = load_config(None, (*CASE, "solver.domain_devices=2"))
    message = (
        "solver.domain_devices = 2 is out of range: must be <= 1, the cpu devices JAX sees; on CPU, set"
        " XLA_FLAGS=--xla_force_host_platform_device_count=2 before JAX starts"
    )
    with pytest.raises(ConfigError) as error:
        check_devices(config)
    assert str(error.value) == message
    with pytest.raises(ConfigError, match="solver.domain_devices = 2 is out of range"):
        run(config)  # refused while the first program is traced
    with pytest.raises(ValueError, match="must be >= 1 and <= 1"):
        domain_mesh(2)
    out = tmp_path / "out"
    cli = subprocess.run(
        [sys.executable, "-m", "ecmjax", "run", "--set", "solver.domain_devices=2", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert cli.returncode == 2 and cli.stderr.strip() == f"ecmjax: error: {message}"
    assert not out.exists()


@pytest.mark.slow
def test_two_processes_split_one_run_over_their_devices(tmp_path):
    # jax.distributed on 127.0.0.1: two processes of one CPU device each hold half the grid
    # (solver.domain_devices = 2); process 0 writes what a one-device run writes. Measured over 2 s: 1.6e-13 in the
    # max pressure, 3.5e-13 in the fields (relative to each field's largest value), the same steps.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    overrides = [item for setting in (*CASE, "time.t_end_s=1") for item in ("--set", setting)]
    command = [sys.executable, "-m", "ecmjax", "run", *overrides, "--quiet"]
    distributed = ["--distributed", "--coordinator", f"127.0.0.1:{port}", "--num-processes", "2", "--process-id"]
    env = {**os.environ, "ECMJAX_CACHE_DIR": ""}
    split = [
        subprocess.Popen(
            [*command, "--set", "solver.domain_devices=2", "--out", str(tmp_path / "split"), *distributed, str(i)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    one = subprocess.run([*command, "--out", str(tmp_path / "one")], env=env, capture_output=True, text=True)
    assert one.returncode == 0, one.stderr[-3000:]
    for process in split:
        _, stderr = process.communicate(timeout=900)
        assert process.returncode == 0, stderr[-3000:]
    results = [json.loads((tmp_path / name / "result.json").read_text()) for name in ("one", "split")]
    assert results[1]["config"]["solver"]["domain_devices"] == 2
    for key in ("n_steps", "n_trials", "staggered_iterations", "status"):
        assert results[0][key] == results[1][key], key
    assert results[1]["max_pressure_Pa"] == pytest.approx(results[0]["max_pressure_Pa"], rel=1e-12)
    fields = [np.load(tmp_path / name / "fields.npz") for name in ("one", "split")]
    differences = {name: _relative_difference(fields[0][name], fields[1][name]) for name in fields[0].files}
    assert max(differences.values()) < 1e-12, differences


if __name__ == "__main__":
    from ecmjax.config.precision import enable_compilation_cache

    enable_compilation_cache()  # the test run's cache: a warm rerun skips compiling both runs
    print(json.dumps(_split_run(*sys.argv[1:])))
