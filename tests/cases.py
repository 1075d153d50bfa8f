"""Standard linear problems shared by the solver tests and the benchmarks (docs/performance.md set 1)."""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ecmjax.config import load_config
from ecmjax.model.problems import build_grid, discretise_defect, elasticity_problem
from ecmjax.solver.fields.elasticity import ElasticityProblem, total_potential_energy_J_per_m

CLEAN_LLZO = ("material.name=llzo", "kinetics.exchange_current_A_per_m2=50", "operating.current_density_A_per_m2=10")
"""Overrides for garnet with a clean interface at 1 mA/cm^2 (docs/model.md section 4): it survives."""


def pressurised_pit_problem(
    n: int,
    crack_length_m: float = 0.0,
    li_pressure_Pa: float = 100e6,
    far_side_bc: str = "traction-free",
    graded_width_m: float | None = None,
) -> ElasticityProblem:
    """The defect elasticity problem on n x n cells (docs/performance.md set 1).

    A semi-elliptic pit of aspect ratio 2 and depth 1 um (a soft ersatz material, 1e-6 of the
    stiffness) under ``li_pressure_Pa`` of Li, in an 8 x 8 um mirrored half-cell. Optionally a
    crack-like band (d = 1, so g = 1e-6) one cell wide runs ``crack_length_m`` from the pit bottom along
    its axis. The far side is a free platen (one pinned node holds the translation) or ``fixed``. With
    ``graded_width_m``, the outer half of the columns widen to make the cell that wide (an isolated pit).
    """
    width = ("domain.width_m=16e-6",) if graded_width_m is None else (f"domain.width_m={graded_width_m}",)
    grading = () if graded_width_m is None else (f"grid.graded_cells={n // 2}",)
    config = load_config(
        None,
        width
        + grading
        + (
            "domain.thickness_m=8e-6",
            f"grid.nx={n}",
            f"grid.ny={n}",
            "material.phase_field_length_m=0.25e-6",
            "geometry.aspect_ratio=2",
            f"domain.far_side_bc={far_side_bc}",
        ),
    )
    grid = build_grid(config)
    x, y = grid.cell_centres_m()
    depth = config.geometry.depth_m
    band = (x < grid.cell_size_m) & (y > depth) & (y < depth + crack_length_m)
    problem = elasticity_problem(config, grid, discretise_defect(config, grid), li_pressure_Pa)
    return eqx.tree_at(lambda p: p.degradation, problem, jnp.where(band, 1e-6, 1.0))


def pressurised_pit_system(
    n: int,
    crack_length_m: float = 0.0,
    li_pressure_Pa: float = 100e6,
    far_side_bc: str = "traction-free",
    graded_width_m: float | None = None,
) -> tuple[Callable[[Array], Array], Float[Array, "2 nnx nny"], Float[Array, "2 nnx nny"]]:
    """:func:`pressurised_pit_problem` as a linear system: ``(Hessian-vector product, right-hand side, zeros)``."""
    problem = pressurised_pit_problem(n, crack_length_m, li_pressure_Pa, far_side_bc, graded_width_m)
    residual = jax.grad(total_potential_energy_J_per_m)
    zeros = jnp.zeros((2,) + problem.grid.node_shape)
    hessian = lambda v: jax.jvp(lambda u: residual(u, problem), (zeros,), (v,))[1]
    return hessian, -residual(zeros, problem), zeros
