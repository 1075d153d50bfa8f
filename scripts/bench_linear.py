"""Benchmark set 1 of docs/performance.md: one linear elastic solve of the defect problem.

Plane strain, a semi-elliptic pit of aspect ratio 2 (a soft ersatz material of 1e-6 the stiffness)
under 100 MPa of Li, N x N cells, float64, relative residual 1e-8. Contenders, each in its own
subprocess so that its peak memory is its own:

- ``ecmjax-multigrid``: CG preconditioned by one geometric-multigrid V-cycle (the default solver);
- ``ecmjax-jacobi``: CG preconditioned by the diagonal (ecmjax before multigrid);
- ``ecmjax-cg``: unpreconditioned CG (the naive baseline), capped at 20,000 iterations;
- ``scipy-spsolve``: SciPy's sparse direct solver (SuperLU) on the same assembled matrix;
- ``pyamg-sa-cg``: PyAMG smoothed aggregation (rigid-body near-null space) + CG on that matrix;
- ``jax-fem``: JAX-FEM 0.0.11 on the same Q1 problem, its Newton solver with its JAX BiCGSTAB + Jacobi
  at rtol 1e-8, assembly included, in its own venv (``scripts/setup_jaxfem.sh``; the python is
  ``$ECMJAX_JAXFEM_PYTHON``, default ``.venv-jaxfem/bin/python``): ``scripts/jaxfem_elasticity.py``.

Every contender's answer is compared with scipy's (or multigrid's where scipy is skipped). Times are
the median of ``--repeats`` warm runs (setup + solve), with compilation or setup reported apart.
Results go to ``scripts/bench_results/linear.json``; run ``python scripts/bench_linear.py --help``.
Needs the bench extra: ``pip install -e ".[bench]"``.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The standard problems of set 1 are the solver tests' own (tests/cases.py): the benchmark times what the
# tests check.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

CONTENDERS = ("ecmjax-multigrid", "ecmjax-jacobi", "ecmjax-cg", "scipy-spsolve", "pyamg-sa-cg", "jax-fem")
RTOL = 1e-8
RESULTS = Path(__file__).parent / "bench_results" / "linear.json"
JAXFEM_SCRIPT = Path(__file__).parent / "jaxfem_elasticity.py"
JAXFEM_PYTHON = os.environ.get(
    "ECMJAX_JAXFEM_PYTHON", str(Path(__file__).parents[1] / ".venv-jaxfem" / "bin" / "python")
)


def assembled(hessian, like):
    """The operator as a SciPy CSR matrix, read off the probed 9-point stencil."""
    import numpy as np
    import scipy.sparse as sp

    from ecmjax.solver.linear.multigrid import OFFSETS, stencil_of

    coefficients = np.asarray(stencil_of(hessian, like, False).coefficients)  # (a, b, 9, nnx, nny)
    c, nnx, nny = like.shape
    index = np.arange(c * nnx * nny).reshape(c, nnx, nny)
    rows, cols, values = [], [], []
    i, j = np.meshgrid(np.arange(nnx), np.arange(nny), indexing="ij")
    for a in range(c):
        for b in range(c):
            for k, (di, dj) in enumerate(OFFSETS):
                valid = (i + di >= 0) & (i + di < nnx) & (j + dj >= 0) & (j + dj < nny)
                value = coefficients[a, b, k][valid]
                keep = value != 0
                rows.append(index[a][valid][keep])
                cols.append(index[b][i[valid] + di, j[valid] + dj][keep])
                values.append(value[keep])
    size = index.size
    return sp.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(size, size))


def export_problem(n, path) -> None:
    """Write the problem for jaxfem_elasticity.py (its docstring lists the fields).

    The moduli are the Hessian of ecmjax's split strain energy at zero strain, per cell: what its
    Hessian at ``u = 0`` applies.
    """
    import jax
    import jax.numpy as jnp
    import numpy as np
    from cases import pressurised_pit_problem

    from ecmjax.physics.elasticity import Strain, strain_energy_density_J_per_m3

    problem = pressurised_pit_problem(n)
    assert not problem.grid.periodic_x and not np.any(problem.prescribed_displacement_m)

    def tangent(mu, lam, g):
        psi = lambda e: strain_energy_density_J_per_m3(Strain(*e), mu, lam, g)
        moduli = jax.hessian(psi)(jnp.zeros(3, mu.dtype))  # psi = mu eps : eps + lam/2 (tr eps)^2
        return moduli[2, 2] / 4.0, moduli[0, 1]

    shape = problem.shear_modulus_Pa.shape
    mu, lam = jax.vmap(tangent)(
        *(jnp.ravel(f) for f in (problem.shear_modulus_Pa, problem.lame_lambda_Pa, problem.degradation))
    )
    fields = ("cavity_indicator", "cavity_pressure_Pa", "bottom_traction_Pa", "top_traction_Pa", "fixed")
    np.savez(
        path,
        cell_size_m=problem.grid.cell_size_m,
        shear_modulus_Pa=np.reshape(mu, shape),
        lame_lambda_Pa=np.reshape(lam, shape),
        **{name: np.asarray(getattr(problem, name)) for name in fields},
    )


def run_jaxfem(n, repeats, solution_path) -> dict:
    """Solve with jaxfem_elasticity.py in JAX-FEM's venv; its record (the solution goes to ``solution_path``)."""
    if not os.path.exists(JAXFEM_PYTHON):
        raise SystemExit(
            f"no JAX-FEM python at {JAXFEM_PYTHON}: run scripts/setup_jaxfem.sh or set ECMJAX_JAXFEM_PYTHON"
        )
    with tempfile.TemporaryDirectory() as scratch:
        problem, record = os.path.join(scratch, "problem.npz"), os.path.join(scratch, "record.json")
        export_problem(n, problem)
        command = [JAXFEM_PYTHON, str(JAXFEM_SCRIPT), problem, record, solution_path, "--repeats", str(repeats)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"jaxfem_elasticity.py failed:\n{done.stderr[-2000:]}")
        return json.loads(Path(record).read_text())


def timed(fn, repeats):
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return out, {"median_s": samples[len(samples) // 2], "min_s": samples[0], "max_s": samples[-1]}


def run_contender(name: str, n: int, repeats: int, solution_path: str) -> dict:
    """Solve once cold and ``repeats`` times warm; save the solution; report figures."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import numpy as np
    from cases import pressurised_pit_system

    hessian, rhs, like = pressurised_pit_system(n)
    record = {"contender": name, "n": n, "unknowns": int(like.size)}
    if name.startswith("ecmjax"):
        from ecmjax.solver.linear.krylov import preconditioned_cg, solve_spd

        if name == "ecmjax-cg":
            solve = jax.jit(lambda b: preconditioned_cg(hessian, b, lambda r: r, RTOL, 20000))
        else:
            kind = name.split("-")[1]
            solve = jax.jit(lambda b: solve_spd(hessian, b, rtol=RTOL, max_iterations=50000, preconditioner=kind))
        start = time.perf_counter()
        compiled = solve.lower(rhs).compile()
        record["compile_s"] = time.perf_counter() - start
        (x, info), timing = timed(lambda: jax.block_until_ready(compiled(rhs)), repeats)
        record.update(timing, iterations=int(info.iterations), relative_residual=float(info.relative_residual))
        x = np.asarray(x).ravel()
    elif name == "jax-fem":
        record.update(run_jaxfem(n, repeats, solution_path))
        x = np.load(solution_path)
        residual = rhs - hessian(x.reshape(like.shape))
        record["relative_residual"] = float(np.linalg.norm(residual) / np.linalg.norm(rhs))
    else:
        matrix, b = assembled(hessian, like), np.asarray(rhs).ravel()
        if name == "scipy-spsolve":
            from scipy.sparse.linalg import spsolve

            x, timing = timed(lambda: spsolve(matrix.tocsc(), b), repeats)
            record.update(timing)
        else:
            import pyamg

            c, nnx, nny = like.shape
            xs, ys = np.meshgrid(np.arange(nnx), np.arange(nny), indexing="ij")
            ones, zeros = np.ones(nnx * nny), np.zeros(nnx * nny)
            rotation = np.concatenate([-ys.ravel(), xs.ravel()]) / max(nnx, nny)
            near_null = np.stack([np.concatenate([ones, zeros]), np.concatenate([zeros, ones]), rotation], axis=1)
            setup_start = time.perf_counter()
            solver = pyamg.smoothed_aggregation_solver(matrix, B=near_null)
            record["setup_s"] = time.perf_counter() - setup_start
            residuals = []

            def solve():
                residuals.clear()
                return solver.solve(b, tol=RTOL, accel="cg", maxiter=2000, residuals=residuals)

            x, timing = timed(solve, repeats)
            record.update(timing, iterations=len(residuals) - 1)
            for statistic in ("median_s", "min_s", "max_s"):  # setup + solve, as docs/performance.md asks
                record[statistic] += record["setup_s"]
        record["relative_residual"] = float(np.linalg.norm(b - matrix @ x) / np.linalg.norm(b))
    np.save(solution_path, x)
    record.setdefault("peak_rss_MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # JAX-FEM's is its own
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512, 1024])
    parser.add_argument("--contenders", nargs="+", default=list(CONTENDERS), choices=CONTENDERS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-jacobi", type=int, default=512, help="largest N for the Jacobi-preconditioned run")
    parser.add_argument("--max-plain", type=int, default=256, help="largest N for the unpreconditioned run")
    parser.add_argument("--max-jaxfem", type=int, default=512, help="largest N for JAX-FEM (1024^2: about 40 min)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--worker", nargs=3, metavar=("CONTENDER", "N", "SOLUTION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, n, path = args.worker
        print(json.dumps(run_contender(name, int(n), args.repeats, path)))
        return

    import numpy as np

    records = []
    with tempfile.TemporaryDirectory() as scratch:
        for n in args.sizes:
            solutions = {}
            for name in args.contenders:
                if (
                    (name == "ecmjax-jacobi" and n > args.max_jacobi)
                    or (name == "ecmjax-cg" and n > args.max_plain)
                    or (name == "jax-fem" and n > args.max_jaxfem)
                ):
                    continue
                path = os.path.join(scratch, f"{name}-{n}.npy")
                # One 1024^2 spsolve takes minutes, one 512^2 JAX-FEM solve five: those are timed once.
                slow = (name == "scipy-spsolve" and n >= 1024) or (name == "jax-fem" and n >= 512)
                repeats = 1 if slow else args.repeats
                command = [sys.executable, __file__, "--repeats", str(repeats), "--worker", name, str(n), path]
                done = subprocess.run(command, capture_output=True, text=True)
                if done.returncode:
                    print(f"{name} at N={n} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                    continue
                record = json.loads(done.stdout.strip().splitlines()[-1])
                solutions[name] = np.load(path)
                records.append(record)
                print(
                    f"N={n:5d} {name:18s} {record['median_s']:9.3f} s  iterations {record.get('iterations', '-')!s:>6}"
                    f"  residual {record['relative_residual']:.1e}  peak {record['peak_rss_MB']:.0f} MB",
                    flush=True,
                )
            reference = solutions.get("scipy-spsolve", solutions.get("ecmjax-multigrid"))
            for record in records:
                if record["n"] == n and reference is not None and record["contender"] in solutions:
                    x = solutions[record["contender"]]
                    record["difference_to_reference"] = float(np.linalg.norm(x - reference) / np.linalg.norm(reference))

    def exponent(name):
        points = [(r["n"] ** 2, r["median_s"]) for r in records if r["contender"] == name and r["n"] >= 256]
        if len(points) < 2:
            return None
        logs = np.log(np.array(points))
        return float(np.polyfit(logs[:, 0], logs[:, 1], 1)[0])

    import jax

    summary = {
        "benchmark": "linear solve: plane-strain defect elasticity, AR-2 semi-elliptic pit under 100 MPa, float64",
        "rtol": RTOL,
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "versions": {"jax": jax.__version__},
        "device": str(jax.devices()[0]),
        "records": records,
        "growth_exponent_in_cells_from_256": {name: exponent(name) for name in args.contenders},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_suffix(".tmp")
    temporary.write_text(json.dumps(summary, indent=2))
    temporary.replace(args.out)
    print(json.dumps(summary["growth_exponent_in_cells_from_256"]))
    for n in args.sizes:
        mg = [r for r in records if r["n"] == n and r["contender"] == "ecmjax-multigrid"]
        for r in records:
            if r["n"] == n and mg and r["contender"] != "ecmjax-multigrid":
                print(f"N={n}: {r['contender']} / ecmjax-multigrid = {r['median_s'] / mg[0]['median_s']:.1f}x")


if __name__ == "__main__":
    main()
