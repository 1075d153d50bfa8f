"""Tests of the command line (ecmjax/cli/) and its atomic writers (ecmjax/output/files.py).

Bad input is run as a user would, in a subprocess (``python -m ecmjax``): it must exit 2 with one
``ecmjax: error:`` line naming key, value and what is allowed, and create nothing. One small real run
checks the outputs' schema; ``validate`` runs in-process against a stand-in for ``ecmjax.validation``.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
import types
from pathlib import Path

import jax
import numpy as np
import pytest

from ecmjax import __version__
from ecmjax.cli import main
from ecmjax.output.files import write_json, write_npz

COARSE_RUN = [  # h = 0.1 um, a 5 s run of the coupled model: the Li pressure rises towards its cap
    "--set", "domain.width_m=3.2e-6",
    "--set", "domain.thickness_m=3.2e-6",
    "--set", "grid.nx=16",
    "--set", "grid.ny=32",
    "--set", "time.t_end_s=5",
    "--set", "solver.preconditioner=jacobi",
    "--set", "material.name=llzo",
    "--set", "kinetics.exchange_current_A_per_m2=50",
    "--set", "operating.current_density_A_per_m2=10",
]  # fmt: skip


def ecmjax(*args: str, cwd: Path, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ecmjax", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout_s)


@pytest.fixture
def restore_x64():
    """The in-process commands switch on float64 as the CLI must; put the process setting back after."""
    before = jax.config.jax_enable_x64
    yield
    jax.config.update("jax_enable_x64", before)


def test_help_and_version(tmp_path):
    result = ecmjax("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "run" in result.stdout and "validate" in result.stdout and "exit status" in result.stdout
    result = ecmjax("run", "--help", cwd=tmp_path)
    assert result.returncode == 0 and "--set" in result.stdout and "--out" in result.stdout
    result = ecmjax("--version", cwd=tmp_path)
    assert result.returncode == 0 and __version__ in result.stdout


BAD_INPUTS = {
    "negative aspect ratio": (
        ["--set", "geometry.aspect_ratio=-1"],
        ["geometry.aspect_ratio", "-1", "> 0"],
    ),
    "misspelt key": (["--set", "geometry.dept_m=1e-6"], ["geometry.dept_m", "did you mean geometry.depth_m"]),
    "unknown material": (["--set", "material.name=steel"], ["material.name", '"steel"', '"llzo"']),
    "incompressible": (["--set", "material.poisson_ratio=0.5"], ["material.poisson_ratio", "0.5", "< 0.5"]),
    "defect deeper than the electrolyte": (
        ["--set", "geometry.depth_m=4e-6", "--set", "domain.thickness_m=3.2e-6", "--set", "grid.ny=128"],
        ["geometry.depth_m", "4e-06", "domain.thickness_m", "deeper than the electrolyte"],
    ),
    "unknown sensitivity key": (["--sensitivities", "geometry.dept_m"], ["--sensitivities", "'geometry.dept_m'"]),
    "integer sensitivity key": (["--sensitivities", "grid.nx"], ["--sensitivities", "'grid.nx'", "not a float"]),
    "under-resolved grid": (
        ["--set", "grid.nx=8", "--set", "grid.ny=16"],
        ["geometry.depth_m", "at least 8 cells", "grid.nx = 32"],
    ),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_exits_2_and_creates_nothing(tmp_path, name):
    args, fragments = BAD_INPUTS[name]
    out = tmp_path / "out"
    result = ecmjax("run", *args, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("ecmjax: error: ") and "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert result.stdout == ""
    assert not out.exists()


def test_malformed_toml_names_the_line(tmp_path):
    config = tmp_path / "case.toml"
    config.write_text("[geometry]\ndepth_m = 1e-6\naspect_ratio = = 2\n")
    out = tmp_path / "out"
    result = ecmjax("run", str(config), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("ecmjax: error: ") and "case.toml" in result.stderr
    assert "line 3" in result.stderr
    assert not out.exists()


def test_run_writes_results_history_fields_and_figures(tmp_path):
    out = tmp_path / "nested" / "out"
    result = ecmjax("run", *COARSE_RUN, "--snapshots", "2", "--quiet", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""

    summary = json.loads((out / "result.json").read_text())
    assert summary["status"] == "survived" and summary["failure_time_s"] is None
    assert summary["config"]["grid"] == {"nx": 16, "ny": 32, "interface_width_cells": 1.0, "graded_cells": 0}
    assert set(summary["versions"]) == {"ecmjax", "jax", "jaxlib", "equinox", "numpy", "python"}
    assert summary["device"]["platform"] in ("cpu", "gpu", "cuda", "tpu")
    for key in ("wall_time_s", "max_pressure_Pa", "pressure_cap_Pa", "crack_tip_depth_m"):
        assert math.isfinite(summary[key]), key
    assert summary["max_pressure_Pa"] <= summary["pressure_cap_Pa"] * (1 + 1e-9)

    rows = np.genfromtxt(out / "history.csv", delimiter=",", names=True)
    assert len(rows) == summary["n_steps"] and rows["time_s"][-1] == pytest.approx(5.0)
    assert {"pressure_Pa", "li_volume_m2", "crack_tip_depth_m", "cell_voltage_V"} <= set(rows.dtype.names)

    nodes, cells = (17, 33), (16, 32)
    with np.load(out / "fields.npz") as fields:
        for name, shape in {"damage": nodes, "potential_V": nodes, "displacement_m": (2, *nodes),
                            "hoop_stress_Pa": cells, "li_body_indicator": nodes}.items():  # fmt: skip
            assert fields[name].shape == shape, name
            assert np.all(np.isfinite(fields[name])), name
    with np.load(out / "snapshots.npz") as snapshots:
        assert snapshots["damage"].shape[1:] == nodes and len(snapshots["time_s"]) >= 2

    for name in ("damage.png", "history.png", "damage.gif"):
        assert (out / name).stat().st_size > 5_000, name
    assert not list(out.glob(".*.tmp")) and not list(out.glob("*.gif.*")), "a temporary file was left behind"


def test_run_axisymmetric_writes_a_result(tmp_path):
    # Issue 8's acceptance: `ecmjax run --set domain.dimension=axisymmetric` on a small grid runs to a
    # result (the physics of the revolved cell is pinned down in test_axisymmetric and test_simulation).
    out = tmp_path / "axi"
    args = [*COARSE_RUN, "--set", "domain.dimension=axisymmetric", "--quiet", "--out", str(out)]
    result = ecmjax("run", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "result.json").read_text())
    assert summary["config"]["domain"]["dimension"] == "axisymmetric"
    assert summary["status"] == "survived" and summary["final_time_s"] == pytest.approx(5.0)
    assert summary["max_pressure_Pa"] <= summary["pressure_cap_Pa"] * (1 + 1e-9)
    assert (out / "damage.png").stat().st_size > 5_000


@pytest.mark.slow
def test_run_3d_writes_a_result(tmp_path):
    # Issue 8's acceptance: `ecmjax run --set domain.dimension=3d` on a small grid (a 16 x 16 x 32 quarter
    # domain) runs to a result; the 3D pieces are pinned down in test_model3d. About 10 steps; slow
    # (minutes on 2 cores: some 100 s to compile, 10 s a step).
    out = tmp_path / "3d"
    args = [*COARSE_RUN, "--set", "domain.dimension=3d", "--set", "time.t_end_s=0.1", "--quiet", "--out", str(out)]
    result = ecmjax("run", *args, cwd=tmp_path, timeout_s=1200)
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "result.json").read_text())
    assert summary["config"]["domain"]["dimension"] == "3d"
    assert summary["status"] == "survived" and summary["final_time_s"] == pytest.approx(0.1)
    assert 0 < summary["max_pressure_Pa"] <= summary["pressure_cap_Pa"] * (1 + 1e-9)
    with np.load(out / "fields.npz") as fields:
        assert fields["damage"].shape == (17, 17, 33) and fields["displacement_m"].shape == (3, 17, 17, 33)
    assert (out / "damage.png").stat().st_size > 5_000


def test_sweep_writes_one_row_per_case(tmp_path):
    out = tmp_path / "sweep"
    result = ecmjax(
        "sweep", *COARSE_RUN, "--vary", "operating.current_density_A_per_m2=5,10", "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "[2/2]" in result.stdout
    with (out / "sweep.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [float(row["operating.current_density_A_per_m2"]) for row in rows] == [5.0, 10.0]
    assert [row["status"] for row in rows] == ["survived", "survived"]
    # A higher current drives a higher Li pressure (a larger overpotential, a higher cap).
    assert float(rows[1]["max_pressure_Pa"]) > float(rows[0]["max_pressure_Pa"])
    assert (out / "sweep.png").stat().st_size > 5_000


def fake_validation(monkeypatch, results):
    """Install a stand-in ``ecmjax.validation`` whose ``run_cases`` returns ``results``."""
    seen = {}

    def run_cases():
        seen["x64"] = jax.config.jax_enable_x64
        return results

    module = types.ModuleType("ecmjax.validation")
    module.run_cases = run_cases
    monkeypatch.setitem(sys.modules, "ecmjax.validation", module)
    return seen


def case(name, value, reference, tolerance, passed):
    return types.SimpleNamespace(
        case=name,
        quantity="hoop_stress_Pa",
        value=value,
        reference=reference,
        relative_error=abs(value - reference) / abs(reference),
        tolerance=tolerance,
        passed=passed,
        source="Lame (1852)",
    )


def test_validate_all_pass(tmp_path, monkeypatch, capsys, restore_x64):
    seen = fake_validation(monkeypatch, [case("lame", 1.001e6, 1e6, 1e-2, True), case("inglis", 3e6, 3e6, 1e-2, True)])
    assert main(["validate", "--out", str(tmp_path / "v")]) == 0
    assert seen["x64"] is True  # float64 was on before the cases ran
    table = capsys.readouterr().out
    assert "rel. error" in table and table.count("PASS") == 2 and "FAIL" not in table
    lines = table.splitlines()
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith("case")) :]
    assert lines[0].index("value") < lines[0].index("reference") and len(set(map(len, lines[2:4]))) == 1
    written = json.loads((tmp_path / "v" / "validation.json").read_text())
    assert written["all_passed"] is True and written["versions"]["ecmjax"] == __version__
    assert written["cases"][0] == {
        "case": "lame",
        "quantity": "hoop_stress_Pa",
        "value": 1.001e6,
        "reference": 1e6,
        "relative_error": pytest.approx(1e-3),
        "tolerance": 1e-2,
        "passed": True,
        "source": "Lame (1852)",
    }


def test_validate_failure_and_nan_exit_1(tmp_path, monkeypatch, capsys, restore_x64):
    fake_validation(monkeypatch, [case("lame", 1.1e6, 1e6, 1e-2, False), case("inglis", math.nan, 3e6, 1e-2, True)])
    assert main(["validate", "--out", str(tmp_path), "--quiet"]) == 1
    assert capsys.readouterr().out == ""
    cases = json.loads((tmp_path / "validation.json").read_text())["cases"]
    assert [c["passed"] for c in cases] == [False, False]  # a NaN fails its case whatever it claims
    assert cases[1]["value"] is None and cases[1]["non_finite"] == {"value": "nan", "relative_error": "nan"}


def test_diverged_run_exits_3_with_the_history_so_far(tmp_path, capsys, restore_x64):
    out = tmp_path / "out"
    args = [*COARSE_RUN, "--set", "solver.max_newton_iterations=1", "--set", "solver.rtol=1e-14"]
    assert main(["run", *args, "--quiet", "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "run diverged" in err and "damage solve failed" in err and "increment 1" in err
    summary = json.loads((out / "result.json").read_text())
    assert summary["status"] == "diverged" and summary["failure_time_s"] is None
    assert (out / "history.csv").read_text().startswith("time_s,dt_s,pressure_Pa")


def test_writers_refuse_nan_and_leave_no_partial_file(tmp_path):
    path = tmp_path / "result.json"
    write_json(path, {"a": np.float32(1.5), "b": jax.numpy.arange(3), "ok": np.bool_(True)})
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [0, 1, 2], "ok": True}
    with pytest.raises(ValueError, match=r"solver\.residual is nan"):
        write_json(path, {"a": 2.0, "solver": {"residual": np.float64("nan")}})
    with pytest.raises(ValueError, match=r"field\[1\] is inf"):
        write_json(path, {"field": np.array([0.0, np.inf])})
    assert json.loads(path.read_text())["a"] == 1.5  # the earlier file is untouched
    write_npz(tmp_path / "f.npz", u=np.ones((2, 3)))
    with np.load(tmp_path / "f.npz") as f:
        assert f["u"].shape == (2, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.npz", "result.json"]
