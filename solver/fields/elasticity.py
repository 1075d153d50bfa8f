"""Plane-strain elasticity of the electrolyte with a Li-pressurised cavity.

The displacement ``u`` (nodal, shape ``(2, nnx, nny)``: components first, in m) minimises the total
potential energy per unit depth

    Pi(u) = int psi(eps(u); g) dA - p int u . grad(1 - chi) dA - int_(y=0, y=L) t . u dx

where ``chi`` is the diffuse indicator of the pressurised Li cavity (Bourdin, Chukwudozie and Yoshioka
2012: the pressure does work on the opening ``-int u . grad chi``) and ``t`` the tractions on the
bottom (anode) and top (counter-electrode) edges. Prescribed displacements (clamped sides, mirror
planes, exact far fields) are imposed by eliminating those components: the unknown is the free part.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from ecmjax.physics.elasticity import (
    Strain,
    Stress,
    strain_energy_density_J_per_m3,
    stress_Pa,
    tensile_energy_density_J_per_m3,
)
from ecmjax.solver.grid import Grid, Grid3D
from ecmjax.solver.nonlinear.newton import NewtonInfo, NewtonKrylov, minimise
from ecmjax.solver.operators import (
    cell_mean,
    gradient_at_gauss_points,
    integrate_gauss,
    radii_at_gauss_points,
    values_at_gauss_points,
)


class ElasticityProblem(eqx.Module):
    """Coefficients, loads and constraints of one elastic solve (every field in SI units).

    ``shear_modulus_Pa`` and ``lame_lambda_Pa`` are per cell (the void of the pit is a soft ersatz
    material); ``degradation`` is ``g(d)`` per cell (1 undamaged). Tractions are nodal vectors on the
    bottom (``y = y0``, or ``z = z0`` in 3D) and top sides. ``fixed`` marks the prescribed components,
    whose values are in ``prescribed_displacement_m``. Shapes: ``d`` components (2, or 3 on a
    :class:`Grid3D`), ``nodes`` and ``cells`` the grid's node and cell shapes, ``side`` the nodes of a
    bottom or top side.
    """

    grid: Grid | Grid3D
    shear_modulus_Pa: Float[Array, "*cells"]
    lame_lambda_Pa: Float[Array, "*cells"]
    degradation: Float[Array, "*cells"]
    cavity_indicator: Float[Array, "*nodes"]
    cavity_pressure_Pa: Float[Array, ""]
    bottom_traction_Pa: Float[Array, " d *side"]
    top_traction_Pa: Float[Array, " d *side"]
    fixed: Bool[Array, " d *nodes"]
    prescribed_displacement_m: Float[Array, " d *nodes"]


def displacement_m(free: Float[Array, "2 nnx nny"], problem: ElasticityProblem) -> Float[Array, "2 nnx nny"]:
    """The full displacement: the free components, and the prescribed ones where fixed."""
    return jnp.where(problem.fixed, problem.prescribed_displacement_m, free)


def strain_at_gauss_points(grid: Grid | Grid3D, u: Float[Array, " d *nodes"]) -> list[Strain]:
    """Small strain at the Gauss points of every cell; on an axisymmetric grid with the hoop strain
    ``u_r / r`` (Gauss points lie off the axis, ``r >= 0.21 h``)."""
    gradient = gradient_at_gauss_points(grid, u)  # gradient[b][g][a] = d u_a / d x_b at Gauss point g
    if isinstance(grid, Grid3D):
        return [
            Strain(
                xx=gx[0],
                yy=gy[1],
                zz=gz[2],
                xy=0.5 * (gy[0] + gx[1]),
                xz=0.5 * (gz[0] + gx[2]),
                yz=0.5 * (gz[1] + gy[2]),
            )
            for gx, gy, gz in zip(*gradient, strict=True)
        ]
    du_dx, du_dy = gradient
    if not grid.axisymmetric:
        return [Strain(xx=gx[0], yy=gy[1], xy=0.5 * (gy[0] + gx[1])) for gx, gy in zip(du_dx, du_dy, strict=True)]
    hoop = (ur / r for ur, r in zip(values_at_gauss_points(grid, u[0]), radii_at_gauss_points(grid), strict=True))
    return [
        Strain(xx=gx[0], yy=gy[1], xy=0.5 * (gy[0] + gx[1]), zz=zz)
        for gx, gy, zz in zip(du_dx, du_dy, hoop, strict=True)
    ]


def cell_tensile_energy_J_per_m3(
    grid: Grid, u: Float[Array, "2 nnx nny"], shear_modulus_Pa, lame_lambda_Pa
) -> Float[Array, "nx ny"]:
    """Undegraded tensile energy ``psi+`` per cell, the mean over its four Gauss points: what drives damage."""
    return cell_mean(
        tuple(
            tensile_energy_density_J_per_m3(strain, shear_modulus_Pa, lame_lambda_Pa)
            for strain in strain_at_gauss_points(grid, u)
        )
    )


def cavity_opening_m2(
    grid: Grid | Grid3D, u: Float[Array, " d *nodes"], indicator: Float[Array, "*nodes"]
) -> Float[Array, ""]:
    """Volume (per unit depth in plane strain) that the displacement adds to the cavity: ``-int u . grad chi``."""
    gradient = gradient_at_gauss_points(grid, indicator)
    components = [values_at_gauss_points(grid, u_a) for u_a in u]
    density = tuple(
        sum(c[g] * d[g] for c, d in zip(components, gradient, strict=True)) for g in range(len(gradient[0]))
    )
    return -integrate_gauss(grid, density)


def _edge_work(problem: ElasticityProblem, u: Float[Array, " d *nodes"]) -> Float[Array, ""]:
    lengths = problem.grid.boundary_node_measures()
    bottom = jnp.sum(lengths * problem.bottom_traction_Pa * u[..., 0])
    top = jnp.sum(lengths * problem.top_traction_Pa * u[..., -1])
    return bottom + top


def stored_energy_J_per_m(u: Float[Array, " d *nodes"], problem: ElasticityProblem) -> Float[Array, ""]:
    """``int psi(eps(u); g) dA``: the strain energy of the whole displacement ``u`` (J per m of depth)."""
    return integrate_gauss(
        problem.grid,
        tuple(
            strain_energy_density_J_per_m3(
                strain, problem.shear_modulus_Pa, problem.lame_lambda_Pa, problem.degradation
            )
            for strain in strain_at_gauss_points(problem.grid, u)
        ),
    )


def total_potential_energy_J_per_m(free: Float[Array, "2 nnx nny"], problem: ElasticityProblem) -> Float[Array, ""]:
    """``Pi`` of the free displacement components, plus ``mu_max/2 |free|^2`` on the fixed ones.

    The last term pins the (irrelevant) free values of fixed components to zero so that the Hessian
    stays positive definite; it does not touch the physical displacement.
    """
    u = displacement_m(free, problem)
    pressure_work = problem.cavity_pressure_Pa * cavity_opening_m2(problem.grid, u, problem.cavity_indicator)
    pin = 0.5 * jnp.max(problem.shear_modulus_Pa) * jnp.sum(jnp.where(problem.fixed, free, 0.0) ** 2)
    return stored_energy_J_per_m(u, problem) - pressure_work - _edge_work(problem, u) + pin


def solve_elasticity(
    problem: ElasticityProblem,
    solver: NewtonKrylov = NewtonKrylov(),
    initial_displacement_m: Float[Array, "2 nnx nny"] | None = None,
) -> tuple[Float[Array, "2 nnx nny"], NewtonInfo]:
    """Equilibrium displacement (m) and the solver's report; differentiable in every problem leaf."""
    if initial_displacement_m is None:
        initial_displacement_m = jnp.zeros(problem.fixed.shape, problem.shear_modulus_Pa.dtype)
    start = jnp.where(problem.fixed, 0.0, initial_displacement_m)
    free, info = minimise(total_potential_energy_J_per_m, start, problem, solver)
    return displacement_m(free, problem), info


def cell_stress_Pa(problem: ElasticityProblem, u: Float[Array, "2 nnx nny"], solid: bool = False) -> Stress:
    """Cell-averaged stress. With ``solid=True``, the stress of the undegraded electrolyte phase.

    In the diffuse band around the pit the mixture stiffness is lower than the electrolyte's; the
    ``solid`` stress applies the electrolyte's own moduli to the strain, which is what a sharp wall
    would carry and what is compared with Lame or Inglis.
    """
    if solid:
        mu, lam, g = jnp.max(problem.shear_modulus_Pa), jnp.max(problem.lame_lambda_Pa), 1.0
    else:
        mu, lam, g = problem.shear_modulus_Pa, problem.lame_lambda_Pa, problem.degradation
    samples = [stress_Pa(strain, mu, lam, g) for strain in strain_at_gauss_points(problem.grid, u)]
    components = ("xx", "yy", "xy", "zz") + (("xz", "yz") if isinstance(problem.grid, Grid3D) else ())
    return Stress(**{c: cell_mean(tuple(getattr(s, c) for s in samples)) for c in components})
