"""What the validation cases share: the result row, the electrolyte and load, and the quarter-plane set-up.

Each case returns :class:`CaseResult` rows (value, reference, relative error, tolerance, source). The
same functions back ``ecmjax validate`` and the test suite, so the figures a user reproduces are the
ones CI asserts. The arrays are built in JAX's default dtype: float64 once
:func:`ecmjax.config.precision.enable_float64` is called (the verification), float32 otherwise; the solves stop
at that dtype's :func:`ecmjax.config.precision.verification_rtol`, and the tolerances against the references
are the same in both.
"""

import dataclasses
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ecmjax.config.precision import verification_rtol
from ecmjax.physics.fracture import plane_strain_modulus_Pa
from ecmjax.solver.fields.elasticity import ElasticityProblem, solve_elasticity
from ecmjax.solver.grid import Grid, Grid3D
from ecmjax.solver.nonlinear.newton import NewtonInfo, NewtonKrylov


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """One validated figure: the computed value against its reference."""

    case: str
    quantity: str
    value: float
    reference: float
    tolerance: float
    source: str

    @property
    def relative_error(self) -> float:
        return abs(self.value - self.reference) / abs(self.reference)

    @property
    def passed(self) -> bool:
        return self.relative_error <= self.tolerance


# The elastic cases' electrolyte and load (the holes, cracks and cavities are the families' own).

YOUNGS_MODULUS_PA = 150e9
POISSON_RATIO = 0.26
PRESSURE_PA = 100e6


def plane_strain_modulus() -> float:
    """``E' = E / (1 - nu^2)`` of the electrolyte (Pa), as the crack formulas use it."""
    return float(plane_strain_modulus_Pa(YOUNGS_MODULUS_PA, POISSON_RATIO))


def observed_order(errors: list[float], resolutions: tuple[int, ...]) -> float:
    """Convergence order of the last two errors, at resolutions (cells per length) in that ratio."""
    return math.log(errors[-2] / errors[-1]) / math.log(resolutions[-1] / resolutions[-2])


# Elastic problems on the quarter plane x, y >= 0 (an octant in 3D) with mirror planes on the axes and
# a known far field on the outer sides, so that a small box carries little finite-domain error.


def quarter_plane_problem(
    grid: Grid | Grid3D,
    far_field,
    shear_modulus_Pa,
    lame_lambda_Pa,
    degradation,
    cavity_indicator,
    pressure_Pa: float,
) -> ElasticityProblem:
    """Elastic problem on the quarter plane ``x, y >= 0`` (the octant ``x, y, z >= 0`` of a
    :class:`Grid3D`): mirror planes on the axes (``u_x = 0`` on ``x = 0``, and so on),
    ``far_field.displacement_m(x, y[, z])`` on the outer sides, ``pressure_Pa`` on the cavity."""
    coordinates = [np.asarray(c) for c in grid.node_coordinates_m()]
    dims = len(coordinates)
    fixed = np.zeros((dims,) + grid.node_shape, bool)
    for axis in range(dims):
        fixed[(slice(None),) * (axis + 1) + (-1,)] = True
    boundary = fixed[0].copy()
    prescribed = np.zeros((dims,) + grid.node_shape)
    prescribed[:, boundary] = far_field.displacement_m(*(c[boundary] for c in coordinates))
    for axis in range(dims):  # mirror planes: no displacement across them
        mirror = (axis,) + (slice(None),) * axis + (0,)
        fixed[mirror] = True
        prescribed[mirror] = 0.0
    side = (dims,) + grid.node_shape[:-1]
    return ElasticityProblem(
        grid=grid,
        shear_modulus_Pa=shear_modulus_Pa,
        lame_lambda_Pa=lame_lambda_Pa,
        degradation=degradation,
        cavity_indicator=cavity_indicator,
        cavity_pressure_Pa=jnp.asarray(pressure_Pa),
        bottom_traction_Pa=jnp.zeros(side),
        top_traction_Pa=jnp.zeros(side),
        fixed=jnp.asarray(fixed),
        prescribed_displacement_m=jnp.asarray(prescribed),
    )


def converged_or_nan(solution: jax.Array, info: NewtonInfo, name: str) -> jax.Array:
    """``solution`` if its solve converged; else NaN, with a warning, so that its cases fail (non-finite)
    while the other cases still run."""
    if bool(info.converged):
        return solution
    warnings.warn(
        f"{name} solve did not converge (relative residual {float(info.relative_residual):.2e}): its cases fail",
        RuntimeWarning,
        stacklevel=3,
    )
    return jnp.full_like(solution, jnp.nan)


def solve_quarter_plane(problem: ElasticityProblem) -> tuple[jax.Array, NewtonInfo]:
    """Elastic solve of a :func:`quarter_plane_problem`: the displacement (NaN if Newton does not
    converge) and the solver's report."""
    solver = NewtonKrylov(
        rtol=verification_rtol(problem.prescribed_displacement_m.dtype), spatial_dims=len(problem.grid.shape)
    )
    u, info = jax.jit(solve_elasticity)(problem, solver)
    return converged_or_nan(u, info, "elastic"), info
