"""Precision is a documented option: float64 by request, float32 for GPUs, never switched at import."""

import json
import subprocess
import sys

import equinox as eqx
import pytest

from ecmjax.config import load_config
from ecmjax.model import solve_initial_state

FLOAT32_RUN = """
import json, sys
import equinox as eqx
import jax
from ecmjax.config import load_config
from ecmjax.model import solve_initial_state
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
    code = "import jax, ecmjax, ecmjax.model, ecmjax.cli, ecmjax.validation; print(jax.config.jax_enable_x64)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_float64_without_x64_is_refused_with_advice():
    code = (
        "from ecmjax.config import load_config; from ecmjax.model import solve_initial_state\n"
        "solve_initial_state(load_config())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "enable_float64" in out.stderr and 'solver.dtype = "float32"' in out.stderr


def test_float32_run_agrees_with_float64(small_case):
    # float32 carries ~7 digits: a 5 mV potential with 10 uV steps between nodes leaves a residual floor
    # near 2e-4 of the load, so the tolerance is 1e-3 (README, "Precision"), and the
    # headline figures must agree with float64 to 1e-3 relative.
    overrides = small_case + ("solver.dtype=float32", "solver.rtol=1e-3")
    out = subprocess.run([sys.executable, "-c", FLOAT32_RUN, *overrides], capture_output=True, text=True, check=True)
    single = json.loads(out.stdout)
    double = eqx.filter_jit(solve_initial_state)(load_config(None, small_case))
    assert single["dtype"] == "float32" and single["converged"]
    assert single["peak_hoop_stress_Pa"] == pytest.approx(float(double.peak_hoop_stress_Pa), rel=1e-3)
    assert single["cell_voltage_V"] == pytest.approx(float(double.cell_voltage_V), rel=1e-3)
