"""The jax-fem contender of bench_linear.py: its elasticity problem solved by JAX-FEM, in JAX-FEM's venv.

    .venv-jaxfem/bin/python scripts/jaxfem_elasticity.py PROBLEM.npz RECORD.json SOLUTION.npy [--repeats R]

PROBLEM.npz, written by bench_linear.py, holds the plane-strain problem on n x n square cells of side
``cell_size_m``: per-cell tangent moduli ``shear_modulus_Pa`` and ``lame_lambda_Pa`` (degradation
included), the nodal Li-body indicator ``cavity_indicator`` under ``cavity_pressure_Pa``, the nodal
tractions ``bottom_traction_Pa`` and ``top_traction_Pa`` (2, nnx) with their trapezoid-rule nodal loads,
and the ``fixed`` components (2, nnx, nny), held at zero. JAX-FEM builds the same Q1 system: QUAD4
cells with 2 x 2 Gauss points, the stress from ``get_tensor_map`` with the moduli as quadrature-point
internal variables, the pressure's body force ``p grad chi`` from ``get_mass_map``, the tractions from
surface maps, the fixed components as Dirichlet conditions. Its Newton ``solver`` (one step, the problem
being linear) assembles and solves with its default linear solver, JAX's BiCGSTAB preconditioned by the
diagonal, here at the benchmark's relative tolerance (``bicgstab_jacobi``).

One cold solve, then ``--repeats`` warm ones, each assembly + solve. RECORD.json gets their median, min
and max, ``compile_s`` (cold minus median), BiCGSTAB's ``iterations`` and Newton's ``linear_solves``
(counted in an extra, untimed solve), ``fe_setup_s`` (building the ``Problem``, not in the times) and the
peak RSS; SOLUTION.npy the displacement in ecmjax's layout, ``(2, nnx, nny)`` raveled. Does not import ecmjax.
"""

import argparse
import collections
import importlib.metadata
import json
import logging
import resource
import time

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as onp  # noqa: E402
import scipy.sparse  # noqa: E402
from jax.experimental.sparse import BCOO  # noqa: E402
from jax_fem import logger  # noqa: E402
from jax_fem.generate_mesh import Mesh, rectangle_mesh  # noqa: E402
from jax_fem.problem import Problem  # noqa: E402
from jax_fem.solver import solver  # noqa: E402

RTOL = 1e-8


class Elasticity(Problem):
    """Plane-strain Hooke's law with per-quadrature-point moduli and body force, and two loaded edges."""

    def get_tensor_map(self):
        def stress(u_grad, mu, lam, body_force):
            strain = 0.5 * (u_grad + u_grad.T)
            return lam * jnp.trace(strain) * jnp.eye(2) + 2.0 * mu * strain

        return stress

    def get_mass_map(self):
        return lambda u, x, mu, lam, body_force: body_force

    def get_surface_maps(self):
        return [lambda u, x, traction: -traction] * 2  # the residual carries -int t . v ds


def bicgstab_jacobi(A, b, x0, solver_options):
    """JAX-FEM's ``jax_solve`` (its default) at the benchmark's tolerance: JAX's BiCGSTAB, diagonal-preconditioned.

    JAX-FEM writes ``tol=1e-10`` into ``jax_solve``; this is the same solver with ``tol=RTOL``. A
    ``collections.Counter`` in ``solver_options["counter"]`` counts the solves and the preconditionings
    (two per iteration), through a host callback.
    """
    indptr, indices, data = A.getValuesCSR()
    matrix = scipy.sparse.csr_array((data, indices, indptr), shape=A.getSize())
    diagonal = jnp.array(matrix.diagonal())
    counter = solver_options.get("counter")
    if counter is not None:
        counter.update(linear_solves=1)

    def jacobi(r):
        if counter is not None:
            jax.debug.callback(lambda: counter.update(preconditionings=1))
        return r / diagonal

    operator = BCOO.from_scipy_sparse(matrix).sort_indices()
    x, _ = jax.scipy.sparse.linalg.bicgstab(operator, b, x0=x0, M=jacobi, tol=RTOL, atol=1e-10, maxiter=10000)
    return x


def lumped_traction(nodal, x, h):
    """Traction at edge quadrature points ``x`` whose integral against Q1 shape functions gives the
    trapezoid rule's nodal loads: ``t_k (2 - 3 xi) + t_{k+1} (3 xi - 1)`` on the edge from node k to k + 1.
    """
    s = x / h
    k = onp.floor(s).astype(int)
    xi = (s - k)[..., None]
    return nodal.T[k] * (2.0 - 3.0 * xi) + nodal.T[k + 1] * (3.0 * xi - 1.0)


def build(data) -> Elasticity:
    """The JAX-FEM problem; node ``i (ny + 1) + j`` is ecmjax's node ``(i, j)``, cell ``i ny + j`` its cell."""
    nx, ny = data["shear_modulus_Pa"].shape
    h = float(data["cell_size_m"])
    quads = rectangle_mesh(nx, ny, nx * h, ny * h)
    mesh = Mesh(quads.points, quads.cells_dict["quad"], ele_type="QUAD4")
    nny = ny + 1
    on_row = lambda j: lambda point, ind: ind % nny == j
    held = lambda mask: lambda point, ind: jnp.asarray(mask.ravel())[ind]
    zero = lambda point: 0.0 * point[0]
    fixed = data["fixed"]
    problem = Elasticity(
        mesh,
        vec=2,
        dim=2,
        ele_type="QUAD4",
        dirichlet_bc_info=[[held(fixed[0]), held(fixed[1])], [0, 1], [zero, zero]],
        location_fns=[on_row(0), on_row(ny)],
    )
    fe = problem.fes[0]
    per_quad = lambda cell_field: onp.repeat(cell_field.reshape(-1, 1), fe.num_quads, axis=1)
    chi = data["cavity_indicator"].ravel()[fe.cells]  # (cells, corners)
    body_force = float(data["cavity_pressure_Pa"]) * onp.einsum("cqad,ca->cqd", fe.shape_grads, chi)
    problem.internal_vars = (per_quad(data["shear_modulus_Pa"]), per_quad(data["lame_lambda_Pa"]), body_force)
    problem.internal_vars_surfaces = [
        (lumped_traction(data[name], points[..., 0], h),)
        for name, points in zip(
            ("bottom_traction_Pa", "top_traction_Pa"), problem.physical_surface_quad_points, strict=True
        )
    ]
    return problem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("problem")
    parser.add_argument("record")
    parser.add_argument("solution")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logger.setLevel(logging.WARNING)
    data = dict(onp.load(args.problem))
    start = time.perf_counter()
    problem = build(data)
    record = {"fe_setup_s": time.perf_counter() - start}
    options = {"custom_solver": bicgstab_jacobi, "rel_tol": RTOL}
    samples = []
    for _ in range(1 + args.repeats):
        start = time.perf_counter()
        u = onp.asarray(solver(problem, options)[0])
        samples.append(time.perf_counter() - start)
    cold, warm = samples[0], sorted(samples[1:])
    median = warm[len(warm) // 2]
    record.update(median_s=median, min_s=warm[0], max_s=warm[-1], compile_s=cold - median)

    counter = collections.Counter()
    solver(problem, {**options, "counter": counter})
    jax.effects_barrier()
    record.update(
        iterations=counter["preconditionings"] // 2,
        linear_solves=counter["linear_solves"],
        peak_rss_MB=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        versions={name: importlib.metadata.version(name) for name in ("jax", "jax-fem", "petsc4py")},
    )
    nnx, nny = data["fixed"].shape[1:]
    onp.save(args.solution, u.T.reshape(2, nnx, nny).ravel())
    with open(args.record, "w") as f:
        json.dump(record, f)


if __name__ == "__main__":
    main()
