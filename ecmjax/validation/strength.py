"""Validation case 9 of docs/model.md: a homogeneous bar fails at the electrolyte's tensile strength.

A bar under uniaxial tension ``sigma`` nucleates no crack at a flaw: it breaks where its damage starts,
at the material's strength ``sigma_ts`` (an AT1 homogeneous state is unstable from its onset on,
Tanne et al., JMPS 110, 2018, so the peak stress is the onset's). With ``damage.nucleation = "strength"``
(:mod:`ecmjax.physics.strength`, Larsen, Dolbow and Lopez-Pamies, Int. J. Fract. 2024) that stress is
``sigma_ts`` for any phase-field length; with the phase field alone (``regularisation``) it is AT1's own
``sqrt(3 E Gc / (8 l))`` (Tanne et al. 2018), set by ``l``.

Set-up: a solid cylinder of Li6PS5Cl (axisymmetric grid, no defect) stretched along its axis by a
prescribed strain ``eps`` that rises in steps; the displacement ``u_r = -nu eps r, u_z = eps z`` is the
exact elastic field of any uniform damage, and the sides are free: the stress is uniaxial,
``sigma = g(d) E eps``. At each step the damage is the production solve (:func:`ecmjax.model.problems.
damage_problem`, :func:`ecmjax.solver.fields.damage.solve_damage`, irreversible against the running
maximum). The measured strength is the largest ``sigma`` along the path, for three phase-field lengths.
"""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jax import lax
from jaxtyping import Array, Float

from ecmjax.config import Config, load_config, traced_floats
from ecmjax.config.precision import verification_rtol
from ecmjax.model.problems import Defect, build_grid, damage_problem, newton_settings, tensile_energy_J_per_m3
from ecmjax.physics.elasticity import degradation
from ecmjax.solver.fields.damage import solve_damage
from ecmjax.validation.common import CaseResult

LENGTHS_M = (0.4e-6, 0.2e-6, 0.1e-6)
"""Phase-field lengths of the bar: the strength must not depend on them."""
STEPS = 120
"""Strain steps up to 1.2 times the strength's strain: steps of 1% of it resolve the peak."""
SOURCE = (
    "homogeneous bar in uniaxial tension breaks at sigma_ts (Larsen, Dolbow & Lopez-Pamies, Int. J. Fract. 2024;"
    " AT1 onset and instability: Tanne et al., JMPS 110, 2018)"
)


def bar_strength_Pa(length_m: float, nucleation: str = "strength") -> tuple[float, float]:
    """Peak uniaxial stress of the bar along its path, and the material's tensile strength (Pa), in JAX's
    default dtype (float64 once enabled)."""
    dtype = jnp.zeros(()).dtype
    config = load_config(
        None,
        (
            f"solver.dtype={dtype.name}",
            f"solver.rtol={verification_rtol(dtype)!r}",
            "domain.dimension=axisymmetric",
            "domain.width_m=0.8e-6",
            "domain.thickness_m=1.6e-6",
            "grid.nx=8",
            "grid.ny=32",
            "geometry.depth_m=0.4e-6",  # checked with the grid, but the bar has no defect
            "geometry.aspect_ratio=2",
            f"material.phase_field_length_m={length_m!r}",
            "damage.model=AT1",
            f"damage.nucleation={nucleation}",
        ),
    )
    material = config.material
    strains = np.linspace(0.0, 1.2, STEPS + 1)[1:] * material.tensile_strength_Pa / material.youngs_modulus_Pa
    return float(_peak_stress_Pa(traced_floats(config), strains)), float(material.tensile_strength_Pa)


@eqx.filter_jit
def _peak_stress_Pa(config: Config, strains: Float[Array, " steps"]) -> Float[Array, ""]:
    """The largest ``g(d) E eps`` as the bar is stretched through ``strains`` (one program for every ``l``)."""
    grid = build_grid(config)
    r, z = grid.node_coordinates_m()
    dtype = r.dtype
    no_defect = Defect(
        node_indicator=jnp.zeros(grid.node_shape, dtype),
        cell_indicator=jnp.zeros(grid.shape, dtype),
        node_gradient_per_m=jnp.zeros((2, *grid.node_shape), dtype),
    )
    material, solver = config.material, newton_settings(config, grid)

    def step(carry, strain):
        history, damage, floor = carry
        u = jnp.stack([-material.poisson_ratio * strain * r, strain * z])
        history = jnp.maximum(history, tensile_energy_J_per_m3(config, grid, no_defect, u))
        damage, _ = solve_damage(damage_problem(config, grid, no_defect, u, history, floor), damage, solver)
        stress = jnp.mean(degradation(damage, config.damage.residual_stiffness)) * material.youngs_modulus_Pa * strain
        return (history, damage, jnp.maximum(floor, damage)), stress

    nodes = jnp.zeros(grid.node_shape, dtype)
    _, stresses = lax.scan(step, (jnp.zeros(grid.shape, dtype), nodes, nodes), jnp.asarray(strains, dtype))
    return jnp.max(stresses)


def strength_cases() -> list[CaseResult]:
    """``uniaxial-strength``: the bar's peak stress against ``sigma_ts`` at each phase-field length, 3%."""
    rows = []
    for length in LENGTHS_M:
        peak, strength = bar_strength_Pa(length)
        rows.append(
            CaseResult(
                case="uniaxial-strength",
                quantity=f"bar's peak stress (Pa), l = {length * 1e6:g} um",
                value=peak,
                reference=strength,
                tolerance=0.03,
                source=SOURCE,
            )
        )
    return rows
