"""Precision is a documented option: float64 by request, float32 for GPUs, never switched at import."""

import json
import subprocess
import sys

import equinox as eqx
import pytest

from ecmjax.api import simulate
from ecmjax.config import load_config
from ecmjax.model.problems import solve_initial_state
from ecmjax.validation.crack import crack_cases

FLOAT32_RUN = """
import json, sys
import equinox as eqx
import jax
from ecmjax.api import simulate
from ecmjax.config import load_config
from ecmjax.model.problems import solve_initial_state
assert not jax.config.jax_enable_x64, "importing ecmjax switched float64 on"
state = eqx.filter_jit(solve_initial_state)(load_config(None, sys.argv[1:]))
print(json.dumps({
    "dtype": str(state.potential_V.dtype),
    "converged": bool(state.potential_info.converged) and bool(state.elasticity_info.converged),
    "peak_hoop_stress_Pa": float(state.peak_hoop_stress_Pa),
    "cell_voltage_V": float(state.cell_voltage_V),
}))
"""


def test_import_leaves_jax_in_float32():
    modules = "jax, ecmjax, ecmjax.model.problems, ecmjax.cli, ecmjax.validation"
    code = f"import {modules}; print(jax.config.jax_enable_x64)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_float64_without_x64_is_refused_with_advice():
    code = (
        "from ecmjax.config import load_config; from ecmjax.model.problems import solve_initial_state\n"
        "solve_initial_state(load_config())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "enable_float64" in out.stderr and 'solver.dtype = "float32"' in out.stderr


def initial_state_in_float32_agrees_with_float64(case: tuple[str, ...]) -> None:
    overrides = case + ("solver.dtype=float32", "solver.rtol=1e-3")
    out = subprocess.run([sys.executable, "-c", FLOAT32_RUN, *overrides], capture_output=True, text=True, check=True)
    single = json.loads(out.stdout)
    double = eqx.filter_jit(solve_initial_state)(load_config(None, case))
    assert single["dtype"] == "float32" and single["converged"]
    assert single["peak_hoop_stress_Pa"] == pytest.approx(float(double.peak_hoop_stress_Pa), rel=1e-3)
    assert single["cell_voltage_V"] == pytest.approx(float(double.cell_voltage_V), rel=1e-3)


def test_float32_run_agrees_with_float64(small_case):
    # float32 carries ~7 digits: the Newton residual of the potential stalls near 2e-4 of the load, so
    # the tolerance is 1e-3 (docs/scaling.md, "Precision"), and the headline figures must agree with float64 to
    # 1e-3 relative.
    initial_state_in_float32_agrees_with_float64(small_case)


@pytest.mark.slow
def test_float32_initial_state_of_the_default_case():
    # The default cell's potential is a 61 mV level plus a 0.2 mV ohmic drop. Newton on the whole
    # potential stalled at 4.7e-3 of the load in float32 (its differences between nodes keep 3 digits);
    # on the deviation from the level it reaches 2.2e-4 (measured), below the 1e-3 tolerance.
    initial_state_in_float32_agrees_with_float64(())


FLOAT32_ELECTROCHEMISTRY = """
import json
import jax
from ecmjax.validation.electrochemistry import electrochemistry_cases
assert not jax.config.jax_enable_x64
print(json.dumps([[row.quantity, row.relative_error, row.tolerance] for row in electrochemistry_cases()]))
"""


def test_float32_electrochemistry_cases():
    # docs/model.md case 6 in float32. The Tafel case (12.5 V of ohmic drop) gave NaN: exp overflowed at
    # nodes off the interface before being multiplied by their zero length. Charge conservation holds to
    # float32's round-off (3.6e-7 measured, a few units in the last place), not to float64's 1e-8.
    out = subprocess.run([sys.executable, "-c", FLOAT32_ELECTROCHEMISTRY], capture_output=True, text=True, check=True)
    rows = {quantity: (error, tolerance) for quantity, error, tolerance in json.loads(out.stdout)}
    plated_error, _ = rows.pop("plated current (A/m)")
    assert plated_error < 1e-6
    for quantity, (error, tolerance) in rows.items():
        assert error <= tolerance, quantity
    assert "Tafel slope (V/decade)" in rows


FLOAT32_VALIDATE = """
import sys
import jax
import ecmjax.validation as validation
from ecmjax.cli import main
from ecmjax.validation.crack import crack_cases


def sneddon_only(progress=None):
    assert not jax.config.jax_enable_x64, "validate --dtype float32 left 64-bit mode on"
    return crack_cases()


validation.run_cases = sneddon_only  # one case group (about 15 s), not all of them
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow  # 30 s on 2 cores: float32 in the coupled model is test_float32_run_agrees_with_float64's
def test_validate_float32_sneddon_crack_within_its_float64_tolerance(tmp_path):
    # `ecmjax validate --dtype float32` on the pressurised phase-field crack, solved to the float32
    # tolerance 1e-3: volume and opening profile within the same 5% of Sneddon as in float64, and equal
    # to the float64 figures to 1e-3 (measured: 6e-5 at most; scripts/bench_results/precision.json).
    arguments = ["validate", "--dtype", "float32", "--quiet", "--out", str(tmp_path)]
    out = subprocess.run([sys.executable, "-c", FLOAT32_VALIDATE, *arguments], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    written = json.loads((tmp_path / "validation.json").read_text())
    assert written["dtype"] == "float32" and written["all_passed"]
    double = crack_cases()
    assert [case["tolerance"] for case in written["cases"]] == [row.tolerance for row in double]
    for single, row in zip(written["cases"], double, strict=True):
        assert single["quantity"] == row.quantity
        assert single["value"] == pytest.approx(row.value, rel=1e-3)


def test_validate_refuses_float16(tmp_path):
    command = [sys.executable, "-m", "ecmjax", "validate", "--dtype", "float16", "--out", str(tmp_path / "v")]
    out = subprocess.run(command, capture_output=True, text=True)
    assert out.returncode == 2
    assert "--dtype" in out.stderr and "float16" in out.stderr and "float32" in out.stderr
    assert not (tmp_path / "v").exists()


FLOAT32_COUPLED = """
import json, sys
import jax
from ecmjax.api import simulate
from ecmjax.api import simulate
from ecmjax.config import load_config
assert not jax.config.jax_enable_x64
print(json.dumps(simulate(load_config(None, sys.argv[1:])).summary))
"""


@pytest.mark.slow
def test_float32_coupled_run_to_failure_agrees_with_float64():
    # The THIN case of tests/test_sweep.py (1.6 um of the default sulfide over a 1 um pit, 16 x 16
    # cells) plated to its short circuit. float32 solves its damage to a Newton update below
    # FLOAT32_STEP_TOL (its residual cannot be tested: solver/damage.py). Its noisier staggered iterations
    # bisect more increments (measured: 38 points against 29), so the two runs take other points of the
    # path, and their events differ by the path's discretisation error: each figure is held to twice
    # float64's change when the volume increment is halved (each run's error is about that change).
    # Measured: initiation 16.363 s against 16.345 s (halving moves it by 0.022 s), initiation pressure
    # 268.32 against 268.22 MPa (0.17 MPa), peak pressure 443.21 against 443.13 MPa (0.24 MPa), failure
    # 23.502 s against 23.474 s (0.033 s).
    case = (
        "domain.width_m=3.2e-6",
        "domain.thickness_m=1.6e-6",
        "grid.nx=16",
        "grid.ny=16",
        "solver.preconditioner=jacobi",
    )
    out = subprocess.run(
        [sys.executable, "-c", FLOAT32_COUPLED, *case, "solver.dtype=float32", "solver.rtol=1e-3"],
        capture_output=True,
        text=True,
        check=True,
    )
    single = json.loads(out.stdout.strip().splitlines()[-1])
    double = simulate(load_config(None, case)).summary
    halved = simulate(load_config(None, (*case, "path.pressure_increment_Pa=15e6"))).summary
    assert single["status"] == double["status"] == halved["status"] == "failed"
    for figure in ("initiation_time_s", "initiation_pressure_Pa", "max_pressure_Pa", "failure_time_s"):
        error = abs(halved[figure] - double[figure])
        assert abs(single[figure] - double[figure]) <= 2 * error, (figure, single[figure], double[figure], error)
