"""Validation of the axisymmetric (r, z) and 3D models against closed-form solutions and each other.

The plane cases of :mod:`ecmjax.validation.elasticity`, :mod:`ecmjax.validation.crack` and
:mod:`ecmjax.validation.griffith`, revolved about ``x = 0`` (issue 8):

* the pressurised circle becomes a spherical cavity: wall hoop stresses ``p/2``, meridional and
  azimuthal (Lame 1852; Timoshenko & Goodier, *Theory of elasticity*, section 137), with Lame's exact
  far field on the outer sides (:func:`solve_sphere`); its opening converges at second order
  (:func:`sphere_opening_convergence`).
  The same cavity on a 3D grid (the octant ``x, y, z >= 0``, mirror planes on the coordinate planes:
  equally a hemispherical pit under a mirror plane) agrees with Lame and with the axisymmetric model
  (:func:`solve_sphere`);
* Sneddon's crack becomes a penny-shaped crack of radius ``a0``: volume ``16 (1 - nu^2) p a^3 / (3 E)``
  (Sneddon, Proc. R. Soc. A 187, 1946) at the AT2 effective radius ``a_eff`` of the plane case, in a
  clamped cylinder of radius and half-height ``6 a0``;
* Griffith's volume-controlled crack becomes the growing penny crack: critical pressure
  ``sqrt(pi E' Gc / (4 a))`` with the AT2 corrections ``a_eff`` and ``Gc_eff``.

The penny crack's exact far field is not coded, so its outer sides are clamped: the displacement decays
as ``rho^-2``, and clamping stiffens the crack by ``O((a0/X)^3)``. Measured: the volume at a box of
``3 a0`` is 3.6 % below that at ``6 a0`` (:func:`penny_domain_cases`), so at ``6 a0`` some 0.5 % remains.
"""

import dataclasses

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ecmjax.physics.elasticity import lame_parameters_Pa, void_stiffness
from ecmjax.physics.fracture import penny_crack_volume_m3
from ecmjax.physics.geometry import euclidean_norm, semi_ellipse_sdf, smooth_indicator
from ecmjax.physics.references import SphericalCavitySolution
from ecmjax.solver.fields.elasticity import ElasticityProblem, cavity_opening_m2, cell_stress_Pa
from ecmjax.solver.grid import Grid, Grid3D
from ecmjax.solver.operators import max_on_contour
from ecmjax.validation.common import (
    POISSON_RATIO,
    PRESSURE_PA,
    YOUNGS_MODULUS_PA,
    CaseResult,
    observed_order,
    plane_strain_modulus,
    quarter_plane_problem,
    solve_quarter_plane,
)
from ecmjax.validation.crack import EFFECTIVE_LENGTH, LENGTH_RATIO, CrackSolution, solve_sneddon_crack
from ecmjax.validation.griffith import LAW_VOLUME_RATIOS, PENNY, critical_pressure_row, evolve_volume_controlled

LAME_SPHERE = "Lame (1852): pressurised spherical cavity in an infinite solid, hoop stresses p/2 at the wall"
LAME_SPHERE_OPENING = "Lame (1852): spherical cavity, wall displacement p r / (4 mu), opening 4 pi r^2 u"
SNEDDON_PENNY = "Sneddon (1946): penny-shaped crack, V = 16 (1 - nu^2) p a^3 / (3 E)"

SPHERE_RESOLUTION = 32
"""Cells per radius at which the spherical cavity's wall stresses are checked."""
PENNY_BOX_RATIO = 6.0
"""Radius and half-height of the clamped cylinder around the penny crack, over ``a0``."""


def sphere_cases() -> list[CaseResult]:
    """Meridional and azimuthal wall hoop stress of a pressurised sphere (radius / 32 cells) against p/2."""
    sphere = solve_sphere(SPHERE_RESOLUTION, "axisymmetric")
    return [
        CaseResult("axisymmetric pressurised sphere", quantity, value, 0.5 * PRESSURE_PA, 0.05, LAME_SPHERE)
        for quantity, value in (
            ("meridional wall hoop stress (Pa)", sphere.wall_meridional_stress_Pa),
            ("azimuthal wall hoop stress (Pa)", sphere.wall_azimuthal_stress_Pa),
        )
    ]


def sphere_opening_convergence(resolutions=(8, 16, 32)) -> tuple[list[float], float]:
    """Relative errors of the axisymmetric sphere's opening against Lame's at ``h = r / resolutions``,
    and the observed order."""
    exact = _lame_sphere().volume_change_m3
    errors = [abs(solve_sphere(n, "axisymmetric").opening_m3 - exact) / exact for n in resolutions]
    return errors, observed_order(errors, resolutions)


def _lame_sphere(radius_m: float = 1e-6) -> SphericalCavitySolution:
    return SphericalCavitySolution(radius_m, YOUNGS_MODULUS_PA, POISSON_RATIO, PRESSURE_PA)


@dataclasses.dataclass(frozen=True)
class SphereSolution:
    """Figures of a pressurised spherical cavity (whole sphere, SI units)."""

    wall_tangential_stress_Pa: float
    """Largest mean of the two tangential stresses on the wall, ``(tr sigma - sigma_rho_rho) / 2``."""
    opening_m3: float
    wall_meridional_stress_Pa: float | None
    """Axisymmetric only: the largest in-plane (meridional) tangential stress on the wall."""
    wall_azimuthal_stress_Pa: float | None
    """Axisymmetric only: the largest azimuthal (hoop) stress on the wall."""
    cells: tuple[int, ...]
    krylov_iterations: int


def sphere_problem(grid: Grid | Grid3D, radius_m: float = 1e-6) -> tuple[ElasticityProblem, Array]:
    """The spherical cavity of radius ``radius_m`` centred at the origin, on an axisymmetric quarter or a
    3D octant, under Lame's exact far field; and the cavity's cell indicator. The void is 1e-6 as stiff
    as the solid, its diffuse wall one cell wide."""
    h = grid.cell_size_m

    def indicator(*coordinates):
        radius = euclidean_norm(*coordinates[:2]) if len(coordinates) == 3 else coordinates[0]
        return smooth_indicator(semi_ellipse_sdf(radius, coordinates[-1], radius_m, radius_m), h)

    chi, chi_cells = indicator(*grid.node_coordinates_m()), indicator(*grid.cell_centres_m())
    mu, lam = lame_parameters_Pa(YOUNGS_MODULUS_PA, POISSON_RATIO)
    stiffness = void_stiffness(chi_cells, 1e-6)
    problem = quarter_plane_problem(
        grid, _lame_sphere(radius_m), mu * stiffness, lam * stiffness, jnp.ones(grid.shape), chi, PRESSURE_PA
    )
    return problem, chi_cells


def solve_sphere(cells_per_radius: int, dimension: str, radius_m: float = 1e-6) -> SphereSolution:
    """The spherical cavity of :func:`sphere_cases` on an axisymmetric quarter (``dimension =
    "axisymmetric"``) or a 3D octant (``"3d"``) of side ``1.5 a``, with Lame's exact far field."""
    h = radius_m / cells_per_radius
    n = round(1.5 * radius_m / h)
    grid = Grid3D((n, n, n), jnp.asarray(h)) if dimension == "3d" else Grid((n, n), jnp.asarray(h), axisymmetric=True)
    problem, chi_cells = sphere_problem(grid, radius_m)
    chi, cells = problem.cavity_indicator, grid.cell_centres_m()
    u, info = solve_quarter_plane(problem)
    stress = cell_stress_Pa(problem, u, solid=True)
    rho = jnp.sqrt(sum(c**2 for c in cells))
    normal = [c / rho for c in cells]
    if dimension == "3d":
        tensor = (
            (stress.xx, stress.xy, stress.xz),
            (stress.xy, stress.yy, stress.yz),
            (stress.xz, stress.yz, stress.zz),
        )
    else:  # the meridian plane's (r, z) block; zz is the azimuthal stress, tangential everywhere
        tensor = ((stress.xx, stress.xy), (stress.xy, stress.yy))
    radial = sum(normal[i] * tensor[i][j] * normal[j] for i in range(len(normal)) for j in range(len(normal)))
    tangential = 0.5 * (stress.xx + stress.yy + stress.zz - radial)
    copies = 8.0 if dimension == "3d" else 2.0
    # On a revolved body the two tangential stresses are known apart: the meridional one in the (r, z)
    # plane, and the azimuthal zz.
    revolved = dimension != "3d"
    return SphereSolution(
        wall_tangential_stress_Pa=float(max_on_contour(tangential, chi_cells)),
        wall_meridional_stress_Pa=float(max_on_contour(stress.xx + stress.yy - radial, chi_cells))
        if revolved
        else None,
        wall_azimuthal_stress_Pa=float(max_on_contour(stress.zz, chi_cells)) if revolved else None,
        opening_m3=copies * float(cavity_opening_m2(grid, u, chi)),
        cells=grid.shape,
        krylov_iterations=int(info.krylov_iterations),
    )


SPHERE_3D_RESOLUTION = 16
"""Cells per radius of the 3D sphere (24^3 cells), and of the axisymmetric one it is compared with."""


def sphere_3d_cases(cells_per_radius: int = SPHERE_3D_RESOLUTION) -> list[CaseResult]:
    """The 3D sphere against the axisymmetric one at the same resolution (opening and wall stress),
    and its opening against Lame's ``4 pi a^2 u``."""
    solid, revolved = solve_sphere(cells_per_radius, "3d"), solve_sphere(cells_per_radius, "axisymmetric")
    lame = _lame_sphere().volume_change_m3
    label = f"3D pressurised sphere (hemispherical pit under a mirror), {cells_per_radius} cells per radius"
    against = "the axisymmetric model at the same resolution (issue 8: within 5%)"
    return [
        CaseResult(label, "opening (m^3)", solid.opening_m3, revolved.opening_m3, 0.05, against),
        CaseResult(
            label, "wall tangential stress (Pa)", solid.wall_tangential_stress_Pa,
            revolved.wall_tangential_stress_Pa, 0.05, against,
        ),
        CaseResult(label, "opening (m^3)", solid.opening_m3, lame, 0.05, LAME_SPHERE_OPENING),
    ]  # fmt: skip


def solve_penny_crack(box_ratio: float = PENNY_BOX_RATIO) -> CrackSolution:
    """The frozen phase-field penny crack of case 2's default (``l = a0/10``, ``h = l/4``), volume in m^3."""
    return solve_sneddon_crack(box_ratio=box_ratio, axisymmetric=True)


def penny_volume_m3(radius_m: float) -> float:
    return float(penny_crack_volume_m3(PRESSURE_PA, radius_m, plane_strain_modulus()))


def penny_volume_row(solution: CrackSolution) -> CaseResult:
    return CaseResult(
        f"penny crack l/a0={LENGTH_RATIO:g}, clamped cylinder {PENNY_BOX_RATIO:g} a0",
        "crack volume -int u . grad d (m^3)",
        solution.volume_m2,
        penny_volume_m3(solution.effective_half_length_m),
        0.05,
        f"{SNEDDON_PENNY}; {EFFECTIVE_LENGTH}",
    )


def penny_domain_cases() -> list[CaseResult]:
    """Clamping error: the penny crack's volume in a cylinder of ``3 a0`` against ``6 a0`` (the reference)."""
    small, large = solve_penny_crack(PENNY_BOX_RATIO / 2), solve_penny_crack()
    return [
        CaseResult(
            f"penny crack, clamped cylinder {PENNY_BOX_RATIO / 2:g} a0 vs {PENNY_BOX_RATIO:g} a0",
            "crack volume (m^3)",
            small.volume_m2,
            large.volume_m2,
            0.05,
            "finite-domain error of the clamped sides, O((a0/X)^3)",
        )
    ]


def penny_griffith_row() -> CaseResult:
    """Critical pressure of the volume-controlled penny crack (:data:`ecmjax.validation.griffith.PENNY`)."""
    run = evolve_volume_controlled(PENNY, np.asarray(LAW_VOLUME_RATIOS), pressure_work_in_damage=True)
    return critical_pressure_row(run, True)


def axisymmetric_cases() -> list[CaseResult]:
    """What ``ecmjax validate`` runs: the sphere's wall stresses (axisymmetric and 3D), the penny crack's
    volume and critical pressure."""
    return sphere_cases() + sphere_3d_cases() + [penny_volume_row(solve_penny_crack()), penny_griffith_row()]
