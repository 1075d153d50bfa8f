"""float32 against float64: the validation cases and the built-in default case, each in its own process.

Runs ``ecmjax validate --dtype float64`` and ``--dtype float32``, then ``ecmjax run`` of the default case
in float64 and with ``solver.dtype = "float32"``, ``solver.rtol = 1e-3`` (the documented GPU setting).
Every run is a separate ``python -m ecmjax`` process with the compilation cache off, so that each wall
time includes its compilation. Writes ``scripts/bench_results/precision.json`` and prints the Markdown
tables of docs/validation.md, "float32 against float64".
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_record import write_record

RESULTS = Path(__file__).parent / "bench_results" / "precision.json"
DTYPES = ("float64", "float32")
FLOAT32_RUN = ("--set", "solver.dtype=float32", "--set", "solver.rtol=1e-3")
DEFAULT_CASE_FIGURES = (
    ("failure_time_s", "failure time (s)", 1.0),
    ("initiation_time_s", "damage initiation time (s)", 1.0),
    ("max_pressure_Pa", "max Li pressure (MPa)", 1e-6),
    ("n_steps", "steps", 1.0),
    ("wall_time_s", "wall time, with compilation (s)", 1.0),
)
"""Keys of ``result.json`` compared, their labels and the factor from SI to the label's unit."""


def ecmjax(args: list[str], allowed_status: tuple[int, ...]) -> dict:
    """Run ``python -m ecmjax ARGS`` without the compilation cache; its wall time and the machine's load.

    The 1-minute load averages before and after tell whether other processes shared the cores.
    """
    environment = {**os.environ, "ECMJAX_CACHE_DIR": ""}
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ecmjax", *args], env=environment, capture_output=True, text=True)
    wall_s = time.perf_counter() - start
    if done.returncode not in allowed_status:
        raise RuntimeError(f"ecmjax {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return {"process_wall_time_s": wall_s, "load_average_1min": [load_before, os.getloadavg()[0]]}


def validate(dtype: str, out: Path) -> dict:
    """``validation.json`` of ``ecmjax validate --dtype DTYPE`` (status 1, a failed case, is a result)."""
    process = ecmjax(["validate", "--quiet", "--dtype", dtype, "--out", str(out)], (0, 1))
    return {**json.loads((out / "validation.json").read_text()), **process}


def default_run(dtype: str, out: Path) -> dict:
    """``result.json`` of the built-in default case in ``dtype`` (float32 at ``solver.rtol = 1e-3``)."""
    settings = list(FLOAT32_RUN) if dtype == "float32" else []
    process = ecmjax(["run", "--quiet", *settings, "--out", str(out)], (0, 3))
    result = json.loads((out / "result.json").read_text())
    kept = [key for key, *_ in DEFAULT_CASE_FIGURES] + ["status", "n_trials", "device", "versions"]
    return {**{key: result[key] for key in kept}, **process}


def relative_difference(value: float | None, reference: float | None) -> float | None:
    """``|value - reference| / |reference|``, None where either is missing (non-finite)."""
    if value is None or reference is None or reference == 0:
        return None
    return abs(value - reference) / abs(reference)


def short_quantity(quantity: str) -> str:
    """The quantity's name and unit, without the run's figures that some cases append."""
    return re.match(r"[^(,]*(\([^)]{1,10}\))?", quantity).group(0).strip()


def number(value: float | None, spec: str) -> str:
    return "non-finite" if value is None else format(value, spec)


def validation_table(runs: dict[str, dict]) -> str:
    """One row per case: reference, and each precision's value, relative error and pass/fail."""
    lines = [
        "| case | quantity | reference | float64 | error | float32 | error | tolerance |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for double, single in zip(runs["float64"]["cases"], runs["float32"]["cases"], strict=True):
        assert double["case"] == single["case"], (double["case"], single["case"])
        cells = [double["case"], short_quantity(double["quantity"]), number(double["reference"], ".6g")]
        for case in (double, single):
            verdict = "pass" if case["passed"] else "**fail**"
            cells += [number(case["value"], ".6g"), f"{number(case['relative_error'], '.2e')} {verdict}"]
        lines.append("| " + " | ".join([*cells, format(double["tolerance"], "g")]) + " |")
    walls = ", ".join(f"{dtype} {runs[dtype]['wall_time_s']:.0f} s" for dtype in DTYPES)
    return "\n".join([*lines, "", f"`ecmjax validate` wall time: {walls}."])


def default_case_table(runs: dict[str, dict]) -> str:
    """The default case's figures in both precisions and their relative difference."""
    lines = ["| default case | float64 | float32, rtol 1e-3 | relative difference |", "|---|---|---|---|"]
    double, single = runs["float64"], runs["float32"]
    for key, label, scale in DEFAULT_CASE_FIGURES:
        a, b = (None if run[key] is None else run[key] * scale for run in (double, single))
        difference = relative_difference(b, a)
        lines.append(f"| {label} | {number(a, '.4g')} | {number(b, '.4g')} | {number(difference, '.2e')} |")
    status = [f"{run['status']} ({run['n_trials']})" for run in (double, single)]
    lines.append(f"| status (steps tried) | {status[0]} | {status[1]} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="keep the runs' outputs here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        validation = {dtype: validate(dtype, work / f"validate_{dtype}") for dtype in DTYPES}
        default = {dtype: default_run(dtype, work / f"run_{dtype}") for dtype in DTYPES}

    write_record(
        RESULTS,
        "float32 against float64: ecmjax validate and the built-in default case (ecmjax run)",
        float32_run_settings=" ".join(FLOAT32_RUN),
        validation=validation,
        default_case=default,
    )
    print(validation_table(validation), "", default_case_table(default), sep="\n")
    loads = [
        f"{kind} {dtype} {run['load_average_1min'][0]:.1f}-{run['load_average_1min'][1]:.1f}"
        for kind, runs in (("validate", validation), ("run", default))
        for dtype, run in runs.items()
    ]
    print(f"\n1-minute load average before-after each run, {os.cpu_count()} CPUs: {', '.join(loads)}")
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    main()
