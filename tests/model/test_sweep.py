"""Batched sweeps (ecmjax/sweep.py, ``ecmjax sweep``): the same figures as one run at a time, on any
number of devices and processes, and after an interruption.

The reference of every comparison is the run of the same configuration alone (``ecmjax.simulate``): a
batch must only change how the work is laid out, never the answer. Batched and single runs differ in the
order of floating-point reductions only. Before a crack that is 2e-15 to 2e-14 relative (measured, Li
pressure), and 1e-12 is asserted. A running crack amplifies round-off: the single run itself, with the
current density held as an array instead of a Python constant (the same arithmetic, compiled apart),
moves its failure time by 8e-10 relative and its peak pressure by 3e-12 (measured on the THIN case at
35 A/m^2: 12.384098672849 s against 12.384098682695 s); batched runs of 5 and of 1 case fall within that
spread (12.384098675105 s, 12.384098675568 s). For cracking cases 1e-8 is asserted, with identical
statuses and step counts.

Cases alike but for the current density share one path (the others' figures by quadrature on it): the
layout tests run every case in full (``share_paths=False``); one test checks the shared path's figures
against each case's own run.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from cases import CLEAN_LLZO

from ecmjax.api import simulate
from ecmjax.config import load_config
from ecmjax.model.sweep import COLUMNS, batched_keys, batches, case_mesh, groups, row, run_sweep, shared_paths
from ecmjax.solver.checkpoint import save

COARSE = (  # h = 0.1 um, 5 s of plating: the pressure rises towards its cap (about 45 steps)
    "domain.width_m=3.2e-6",
    "domain.thickness_m=3.2e-6",
    "grid.nx=16",
    "grid.ny=32",
    "time.t_end_s=5",
    "solver.preconditioner=jacobi",
    *CLEAN_LLZO,
)
THIN = (  # the default sulfide cell, 1.6 um thick on 16 x 16 cells: the 1 um pit cracks it through in 12-31 s
    "domain.width_m=3.2e-6",
    "domain.thickness_m=1.6e-6",
    "grid.nx=16",
    "grid.ny=16",
    "solver.preconditioner=jacobi",
)
RTOL = 1e-12
"""Before any crack: reductions in another order only."""
CRACK_RTOL = 1e-8
"""With a running crack: the single run's own round-off spread is 8e-10 (module docstring)."""


def assert_rows_equal(batched: dict, single: dict, rtol: float = RTOL) -> None:
    for column in COLUMNS:
        a, b = batched[column], single[column]
        if isinstance(a, float) and isinstance(b, float):
            assert a == pytest.approx(b, rel=rtol, abs=1e-300), column
        else:
            assert a == b, column


def test_cases_group_by_what_cannot_be_batched():
    # Floats the model traces (operating conditions, geometry) batch; a grid size cannot.
    configs = [
        load_config(None, (*COARSE, f"grid.nx={nx}", f"grid.ny={2 * nx}", f"operating.current_density_A_per_m2={j}"))
        for nx in (16, 20)
        for j in (5, 10, 20)
    ]
    keys = batched_keys(configs)
    assert keys == ("operating.current_density_A_per_m2",)
    assert groups(configs, keys) == [[0, 1, 2], [3, 4, 5]]
    # Cases that differ only in what cannot be batched are batches of one, with nothing varied (this
    # raised before: a sweep over grid sizes alone).
    by_grid = [load_config(None, (*COARSE, f"grid.nx={nx}", f"grid.ny={2 * nx}")) for nx in (16, 20)]
    assert [(indices, batch.theta.shape) for indices, batch in batches(by_grid, None, 1)] == [
        ([0], (1, 0)),
        ([1], (1, 0)),
    ]


def test_cases_alike_but_for_the_operating_condition_share_a_path():
    conditions = ("operating.current_density_A_per_m2=10", "operating.temperature_K=320", "kinetics.alpha_a=0.4")
    configs = [
        load_config(None, (*COARSE, f"geometry.depth_m={depth}", condition))
        for depth in (0.8e-6, 1e-6)
        for condition in conditions
    ]
    mechanical = load_config(None, (*COARSE, "geometry.depth_m=1e-6", "material.youngs_modulus_Pa=2e10"))
    in_float32 = [
        load_config(None, (*COARSE, "solver.dtype=float32", "solver.rtol=1e-3", condition)) for condition in conditions
    ]
    assert shared_paths([*configs, mechanical, *in_float32]) == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.slow  # about 2 minutes on 2 cores
def test_a_shared_path_gives_each_cases_own_run():
    # The thin cell shorts at 20 A/m^2 with i0 = 10 A/m^2, and at 10 A/m^2 with the default 5 A/m^2 in
    # 53.7 s: the first case's path serves the second (potential solves and quadrature). The served case's
    # figures are its own run's to the potential solver's tolerance from another starting guess (measured
    # 7e-10 on times, 3e-9 on the pressure cap): CRACK_RTOL. (The driving case's row is its run's by
    # construction; a case the path cannot serve runs in full, as the CLI sweeps of surviving cases below.)
    configs = [
        load_config(
            None, (*THIN, f"operating.current_density_A_per_m2={j}", f"kinetics.exchange_current_A_per_m2={i0}")
        )
        for j, i0 in (("10", "5"), ("20", "10"))
    ]
    assert shared_paths(configs) == [[0, 1]]
    progress = run_sweep(configs, mesh=case_mesh())
    rows = [row(figures) for figures in progress.figures]
    assert [case["status"] for case in rows] == ["failed", "failed"]
    assert_rows_equal(rows[0], simulate(configs[0]).summary, CRACK_RTOL)


def test_a_sweep_runs_each_case_as_its_own_run_or_batched_to_round_off():
    # 2 s of plating, before any crack. On one device each case is its own run, the same compiled
    # program: bit for bit. Stacked under vmap (--batch-size 2), the floats are arrays: RTOL.
    configs = [
        load_config(
            None, (*COARSE, "time.t_end_s=2", f"operating.current_density_A_per_m2={j}", f"geometry.depth_m={c}")
        )
        for j, c in ((5, 0.8e-6), (20, 1e-6))
    ]
    singles = [simulate(config).summary for config in configs]
    alone = run_sweep(configs, mesh=case_mesh())
    stacked = run_sweep(configs, mesh=case_mesh(), batch_size=2)
    assert alone.done.all() and stacked.done.all()
    for one, batched, single in zip(alone.figures, stacked.figures, singles, strict=True):
        assert_rows_equal(row(one), single, rtol=0.0)
        assert_rows_equal(row(batched), single)


FAKE_DEVICES = textwrap.dedent(
    """
    import json, sys
    import jax
    jax.config.update("jax_enable_x64", True)
    from ecmjax.api import simulate
    from ecmjax.config import load_config
    from ecmjax.model.sweep import case_mesh, row, run_sweep

    base, key, values = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
    configs = [load_config(None, [*base, f"{key}={value}"]) for value in values]
    # Every case in full, batched (not one shared path): what is checked is how the cases are laid out.
    many = run_sweep(configs, mesh=case_mesh(), share_paths=False)
    one = run_sweep(configs, mesh=case_mesh(jax.devices()[:1]), share_paths=False)
    alone = simulate(configs[-1]).summary
    print(json.dumps({"many": [row(f) for f in many.figures], "one": [row(f) for f in one.figures], "alone": alone}))
    """
)


def sweep_on_fake_devices(devices: int, base: tuple[str, ...], key: str, values: list[float]) -> dict:
    """Figures of the sweep over ``devices`` CPU devices, over one, and of the last case run alone."""
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}", "ECMJAX_CACHE_DIR": ""}
    result = subprocess.run(
        [sys.executable, "-c", FAKE_DEVICES, json.dumps(base), key, json.dumps(values)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_sweep_split_over_4_devices_equals_one_device_and_single_runs():
    values = [15, 20, 25, 30, 35]  # 5 cases: padded to 8, two per device
    out = sweep_on_fake_devices(4, THIN, "operating.current_density_A_per_m2", values)
    assert [case["status"] for case in out["many"]] == ["failed"] * len(values)
    for many, one in zip(out["many"], out["one"], strict=True):
        assert_rows_equal(many, one, CRACK_RTOL)
    assert_rows_equal(out["many"][-1], out["alone"], CRACK_RTOL)


@pytest.mark.slow
def test_multigrid_and_anderson_sweep_on_2_devices_does_not_hang():
    # 32 x 32 cells, two cases a device: jaxlib 0.10's batched LAPACK kernels (the multigrid coarse
    # Cholesky factor, an SVD least squares in Anderson mixing) deadlocked XLA's thread pool here
    # (solver/linear/cpu_batching.py). 4 steps, before any crack: RTOL.
    base = ("grid.nx=32", "grid.ny=32", "domain.thickness_m=3.2e-6", "path.max_increments=4")
    out = sweep_on_fake_devices(2, base, "geometry.depth_m", [0.8e-6, 0.9e-6, 1.0e-6, 1.1e-6])
    assert [case["n_steps"] for case in out["many"]] == [4] * 4
    for many, one in zip(out["many"], out["one"], strict=True):
        assert_rows_equal(many, one)
    assert_rows_equal(out["many"][-1], out["alone"])


def ecmjax(*args: str, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ecmjax", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


SHARED_PATH = "operating.current_density_A_per_m2=5,10,20"  # one shared path, two cases run after it
SLOW_SECOND = "path.pressure_increment_Pa=30e6,1e6"  # 7 increments, then 93 (seconds of work after a save)


def sweep_args(out: Path, vary: str = SHARED_PATH) -> list[str]:
    overrides = [item for setting in COARSE for item in ("--set", setting)]
    return ["sweep", *overrides, "--vary", vary, "--out", str(out)]


def read_rows(out: Path) -> list[dict[str, str]]:
    with (out / "sweep.csv").open() as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> dict[str, str]:
    """One compilation cache for the module's subprocesses (a second process of a shape skips compiling)."""
    return {"ECMJAX_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}


def run_uninterrupted(out: Path, vary: str, cache: dict[str, str]) -> list[dict[str, str]]:
    process = ecmjax(*sweep_args(out, vary), "--quiet", cwd=out.parent, env=cache)
    _, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, stderr[-3000:]
    return read_rows(out)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, cache) -> list[dict[str, str]]:
    return run_uninterrupted(tmp_path_factory.mktemp("single") / "out", SHARED_PATH, cache)


@pytest.fixture(scope="module")
def uninterrupted_slow_second(tmp_path_factory, cache) -> list[dict[str, str]]:
    return run_uninterrupted(tmp_path_factory.mktemp("slow_second") / "out", SLOW_SECOND, cache)


@pytest.mark.slow
def test_two_processes_give_the_single_process_sweep(tmp_path, cache, uninterrupted):
    with socket.socket() as probe:  # a free port for the coordinator
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "out"
    processes = [
        ecmjax(
            *sweep_args(out),
            *("--distributed", "--coordinator", f"127.0.0.1:{port}", "--num-processes", "2", "--process-id", str(i)),
            cwd=tmp_path,
            env=cache,
        )
        for i in range(2)
    ]
    outputs = [process.communicate(timeout=900) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr[-3000:]
    assert "3 cases on 2 device(s) in 2 process(es)" in outputs[0][0]
    assert "[1/3]" not in outputs[1][0]  # only process 0 reports and writes
    assert_csv_equal(read_rows(out), uninterrupted)


def assert_csv_equal(rows: list[dict[str, str]], reference: list[dict[str, str]]) -> None:
    assert len(rows) == len(reference)
    for got, expected in zip(rows, reference, strict=True):
        assert got.keys() == expected.keys()
        for column, value in got.items():
            try:
                assert float(value) == pytest.approx(float(expected[column]), rel=RTOL), column
            except ValueError:  # status, or an empty cell (None)
                assert value == expected[column], column


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM])
def test_sweep_stopped_and_resumed_gives_the_uninterrupted_result(tmp_path, cache, uninterrupted_slow_second, stop):
    # SIGKILL: the process dies at once; SIGTERM (a scheduler's preemption): it stops after its chunk of
    # steps with status 143. Either way --resume runs only what the checkpoints lack. The signal goes out
    # once the first case is saved, while the second's 93 increments run: seconds of margin (with the
    # shared path's sweep, the two cases after the save took 0.4 s, and a CI run's signal came too late).
    out = tmp_path / "out"
    first = ecmjax(*sweep_args(out, SLOW_SECOND), "--quiet", cwd=tmp_path, env=cache)
    checkpoints = out / "checkpoints"
    deadline = time.monotonic() + 900
    while not (checkpoints.is_dir() and any(p.name.isdigit() for p in checkpoints.iterdir())):
        assert first.poll() is None, first.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "no checkpoint within 900 s"
        time.sleep(0.1)
    first.send_signal(stop)
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == (-signal.SIGKILL if stop == signal.SIGKILL else 128 + signal.SIGTERM), stderr[-3000:]
    assert not (out / "sweep.csv").exists()
    resumed = ecmjax(*sweep_args(out, SLOW_SECOND), "--resume", cwd=tmp_path, env=cache)
    stdout, stderr = resumed.communicate(timeout=900)
    assert resumed.returncode == 0, stderr[-3000:]
    assert "[1/2]" not in stdout and "[2/2]" in stdout, "the checkpointed first case was run again"
    assert_csv_equal(read_rows(out), uninterrupted_slow_second)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--batch-size", "-1"], "--batch-size = -1 is out of range"),
        (["--process-id", "0"], "need --distributed"),
        (["--distributed", "--num-processes", "2"], "give all of --coordinator"),
        (["--resume"], "no checkpoint"),
        (["--set", "solver.domain_devices=2"], "solver.domain_devices"),
    ],
)
def test_bad_sweep_arguments_exit_2_before_any_compute(tmp_path, extra, message):
    process = ecmjax(*sweep_args(tmp_path / "out"), *extra, cwd=tmp_path)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2 and message in stderr, stderr
    assert not (tmp_path / "out").exists()


def test_a_new_sweep_refuses_a_directory_with_checkpoints(tmp_path):
    save(tmp_path / "out" / "checkpoints", 1, {"done": np.ones(1, bool)})
    process = ecmjax(*sweep_args(tmp_path / "out"), cwd=tmp_path)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2 and "--resume" in stderr, stderr
    assert np.array_equal(sorted(p.name for p in (tmp_path / "out").iterdir()), ["checkpoints"])
