"""From a validated configuration to discretised problems, and the initial state of the cell.

The initial state is a defect full of Li at ``operating.li_pressure_Pa``: the ionic potential with
Butler-Volmer on the anode and the pit walls (stress-coupled through the Li pressure), and the
electrolyte's elastic response to the Li pressure in the pit and the stack pressure on the anode. The
coupled time loop starts from it.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ecmjax.config import Config
from ecmjax.config.precision import ADJOINT_RTOL, resolve_dtype
from ecmjax.physics.elasticity import Stress, degradation, lame_parameters_Pa, void_stiffness
from ecmjax.physics.geometry import defect_sdf, euclidean_norm, lateral_distance, smooth_indicator
from ecmjax.physics.kinetics import symmetric_overpotential_V
from ecmjax.physics.strength import hydrostatic_strength_Pa, nucleation_drive_J_per_m3, toughness_factor
from ecmjax.solver.connectivity import connected_to, detached_nodes
from ecmjax.solver.fields.damage import DamageProblem
from ecmjax.solver.fields.elasticity import (
    ElasticityProblem,
    cavity_opening_m2,
    cell_stress_Pa,
    cell_tensile_energy_J_per_m3,
    solve_elasticity,
    strain_at_gauss_points,
)
from ecmjax.solver.fields.potential import (
    PotentialProblem,
    flat_cell_potential_V,
    injected_current_A_per_m,
    node_current_density_A_per_m2,
    plated_current_A_per_m,
    solve_potential,
)
from ecmjax.solver.grid import Grid, Grid3D
from ecmjax.solver.nonlinear.newton import NewtonInfo, NewtonKrylov
from ecmjax.solver.operators import cell_mean, max_on_contour, nodal_gradient, values_at_gauss_points


def build_grid(config: Config) -> Grid | Grid3D:
    """The grid of the simulated domain: ``x in [0, W/2]`` with a mirror (or the axis of revolution),
    ``[-W/2, W/2)`` if periodic; in 3D the quarter ``x, y in [0, W/2]`` between mirror planes. Its
    outer ``grid.graded_cells`` columns widen (:attr:`ecmjax.config.Config.x_cell_scale`)."""
    if config.domain.dimension == "3d":
        return Grid3D((config.grid.nx, config.grid.nx, config.grid.ny), config.cell_size_m)
    periodic = config.domain.lateral_bc == "periodic"
    x0 = -0.5 * config.domain.width_m if periodic else 0.0
    scale = config.x_cell_scale
    if scale is not None:
        scale = scale.astype(resolve_dtype(config.solver.dtype))
    return Grid(
        (config.grid.nx, config.grid.ny),
        config.cell_size_m,
        (x0, 0.0),
        periodic_x=periodic,
        axisymmetric=config.domain.dimension == "axisymmetric",
        x_cell_scale=scale,
    )


def newton_settings(config: Config, grid: Grid | Grid3D) -> NewtonKrylov:
    """The field solves' settings; a graded grid's multigrid smooths by node columns (its wide columns
    couple along ``y`` far more than across, which Jacobi smoothing cannot handle: 51 to 500 CG iterations
    against 9 to 14 on the graded pit systems of ``tests/solver/test_graded_grid.py``)."""
    preconditioner = config.solver.preconditioner
    if preconditioner == "multigrid" and grid.graded:
        preconditioner = "multigrid-lines"
    return NewtonKrylov(
        rtol=config.solver.rtol,
        max_iterations=config.solver.max_newton_iterations,
        max_krylov_iterations=config.solver.max_krylov_iterations,
        periodic_x=grid.periodic_x,
        preconditioner=preconditioner,
        adjoint_rtol=ADJOINT_RTOL[config.solver.dtype],
        spatial_dims=len(grid.shape),
    )


class Defect(eqx.Module):
    """The pit on the grid: its diffuse indicator at nodes and cells, and the indicator's gradient at nodes
    (one component per axis)."""

    node_indicator: Float[Array, "*nodes"]
    cell_indicator: Float[Array, "*cells"]
    node_gradient_per_m: Float[Array, " d *nodes"]


def discretise_defect(config: Config, grid: Grid | Grid3D) -> Defect:
    """Diffuse pit of width ``interface_width_cells`` cells; differentiable in depth and aspect ratio.

    The gradient is that of the smooth indicator (exact, by forward-mode differentiation), not a
    difference quotient, so that the wall length it implies converges with the grid.
    """
    geometry = config.geometry
    sdf = defect_sdf(geometry.shape)
    width = config.grid.interface_width_cells * grid.cell_size_m

    def indicator(*coordinates):
        *lateral, depth = coordinates
        rho = lateral_distance(*lateral, geometry.base) if len(lateral) == 2 else lateral[0]
        return smooth_indicator(sdf(rho, depth, geometry.depth_m, geometry.half_width_m, geometry.tip_radius_m), width)

    nodes = grid.node_coordinates_m()
    chi = indicator(*nodes)

    def along(axis):
        moved = lambda c: indicator(*nodes[:axis], c, *nodes[axis + 1 :])
        return jax.jvp(moved, (nodes[axis],), (jnp.ones_like(nodes[axis]),))[1]

    return Defect(
        node_indicator=chi,
        cell_indicator=indicator(*grid.cell_centres_m()),
        node_gradient_per_m=jnp.stack([along(axis) for axis in range(len(nodes))]),
    )


class LiBody(eqx.Module):
    """The confined Li body: the pit and the damaged electrolyte connected to it.

    ``node_indicator`` is ``1 - (1 - chi_pit)(1 - c)`` with ``c`` the damage of connected nodes (the
    pressurised phase-field crack of Bourdin, Chukwudozie and Yoshioka 2012 takes the damage itself as
    the crack's indicator). ``wall_length_m`` is the Li/electrolyte interface each node carries,
    ``|grad chi_body| dA``; ``anode_length_m`` the flat anode's, ``(1 - chi_body) dx`` on the bottom row
    (the pit mouth is Li, not interface). Both are the grid's boundary measures (m per unit depth in
    plane strain, m^2 in axisymmetry and 3D), whatever the names say.
    """

    node_indicator: Float[Array, "*nodes"]
    wall_length_m: Float[Array, "*nodes"]
    anode_length_m: Float[Array, "*nodes"]


def li_body(
    config: Config,
    grid: Grid | Grid3D,
    defect: Defect,
    damage: Float[Array, "*nodes"],
    joined_damage: Float[Array, "*nodes"] | None = None,
) -> LiBody:
    """The Li body for a damage field (nodal).

    Damage joins the body where ``joined_damage`` (default: ``damage``) is at least
    ``damage.join_threshold`` and connected to the pit through such nodes: a discrete mask, with zero
    derivative. Its effect enters smoothly, through the damage values it lets in, so the body is
    differentiable in the damage and in the defect's geometry. The time loop passes the damage of the
    previous step as ``joined_damage``, so that the mask cannot flip back and forth between the
    iterations of a step (a node hovering at the threshold would otherwise keep the iteration from
    converging).
    """
    chi = defect.node_indicator
    pit = chi >= 0.5
    reach = damage if joined_damage is None else joined_damage
    joined = connected_to(grid, pit, reach >= config.damage.join_threshold)
    crack = jnp.where(joined, damage, 0.0)
    body = 1.0 - (1.0 - chi) * (1.0 - crack)
    gradient = [
        (1.0 - crack) * pit + (1.0 - chi) * crack_slope
        for pit, crack_slope in zip(defect.node_gradient_per_m, nodal_gradient(grid, crack), strict=True)
    ]
    anode = jnp.zeros_like(chi).at[..., 0].set((1.0 - body[..., 0]) * grid.boundary_node_measures())
    return LiBody(
        node_indicator=body,
        wall_length_m=euclidean_norm(*gradient) * grid.node_measures(),
        anode_length_m=anode,
    )


def _nodal_damage(grid: Grid | Grid3D, damage: Float[Array, "*nodes"] | None, dtype) -> Float[Array, "*nodes"]:
    return jnp.zeros(grid.node_shape, dtype) if damage is None else damage


def potential_problem(
    config: Config,
    grid: Grid | Grid3D,
    defect: Defect,
    pit_pressure_Pa,
    damage: Float[Array, "*nodes"] | None = None,
    joined_damage: Float[Array, "*nodes"] | None = None,
) -> PotentialProblem:
    """Ionic conduction in the electrolyte with Butler-Volmer on the Li body's walls and on the anode.

    The body's walls react at the body's pressure, the flat anode at the stack pressure. Cracked
    electrolyte stops conducting ions, ``kappa g(d)``; the void of the pit conducts
    ``void_conductivity_ratio`` of the electrolyte.
    """
    dtype = defect.node_indicator.dtype
    scalar = lambda value: jnp.asarray(value, dtype)
    damage = _nodal_damage(grid, damage, dtype)
    body = li_body(config, grid, defect, damage, joined_damage)
    chi = defect.cell_indicator
    intact = degradation(cell_mean(values_at_gauss_points(grid, damage)), config.damage.residual_stiffness)
    conductivity = config.material.ionic_conductivity_S_per_m * (
        (1.0 - chi) * intact + config.solver.void_conductivity_ratio * chi
    )
    pressure = jnp.asarray(pit_pressure_Pa, dtype)
    return PotentialProblem(
        grid=grid,
        conductivity_S_per_m=conductivity,
        interface_length_m=jnp.stack([body.wall_length_m, body.anode_length_m]),
        li_pressure_Pa=jnp.stack(
            [jnp.full(grid.node_shape, pressure), jnp.full(grid.node_shape, config.operating.stack_pressure_Pa, dtype)]
        ),
        applied_current_A_per_m2=scalar(config.operating.current_density_A_per_m2),
        exchange_current_A_per_m2=scalar(config.kinetics.exchange_current_A_per_m2),
        alpha_a=scalar(config.kinetics.alpha_a),
        alpha_c=scalar(config.kinetics.alpha_c),
        temperature_K=scalar(config.operating.temperature_K),
    )


def elasticity_problem(
    config: Config,
    grid: Grid | Grid3D,
    defect: Defect,
    pit_pressure_Pa,
    damage: Float[Array, "*nodes"] | None = None,
    joined_damage: Float[Array, "*nodes"] | None = None,
    held_displacement_m: Float[Array, " d *nodes"] | None = None,
) -> ElasticityProblem:
    """Electrolyte with a soft ersatz pit and degraded cracked cells; Li pressure on the body's walls.

    The Li pressure acts on the walls of the Li body (pit plus connected crack), the stack pressure on
    the rest of the anode side. Lateral sides are mirror planes (normal displacement 0: ``u_x`` on the
    ``x`` sides, and ``u_y`` on the ``y`` sides in 3D) or periodic. The far side
    is clamped (``fixed``) or ``traction-free`` in the sense of a free platen: it carries the uniform
    pressure that balances the loads on the anode side, and one node is pinned against rigid
    translation (its reaction is zero).

    With ``held_displacement_m`` (the last step's displacement), fragments that cracks have cut off from
    the far side (:func:`~ecmjax.solver.connectivity.detached_nodes`, judged on ``joined_damage`` like
    the body) are held at it: nothing but the residual stiffness would hold them otherwise.
    """
    dtype = defect.node_indicator.dtype
    dims, nodes = len(grid.shape), grid.node_shape
    damage = _nodal_damage(grid, damage, dtype)
    body = li_body(config, grid, defect, damage, joined_damage).node_indicator
    mu, lam = lame_parameters_Pa(config.material.youngs_modulus_Pa, config.material.poisson_ratio)
    stiffness = _cell_stiffness(config, defect)
    cell_degradation = lambda nodal: cell_mean(
        tuple(degradation(d, config.damage.residual_stiffness) for d in values_at_gauss_points(grid, nodal))
    )
    g = cell_degradation(damage)
    pressure = jnp.asarray(pit_pressure_Pa, dtype)
    lengths = grid.boundary_node_measures()
    bottom = jnp.zeros((dims,) + nodes[:-1], dtype)
    bottom = bottom.at[-1].set(config.operating.stack_pressure_Pa * (1.0 - body[..., 0]))
    fixed = np.zeros((dims,) + nodes, bool)
    if not grid.periodic_x:
        for axis in range(dims - 1):  # mirror planes: no displacement across them
            fixed[axis][(slice(None),) * axis + ([0, -1],)] = True
    top = jnp.zeros((dims,) + nodes[:-1], dtype)
    if config.domain.far_side_bc == "fixed":
        fixed[..., -1] = True
    else:
        uniform_lift = jnp.zeros((dims,) + nodes, dtype).at[-1].set(1.0)
        upward_force = jnp.sum(lengths * bottom[-1]) + pressure * cavity_opening_m2(grid, uniform_lift, body)
        top = top.at[-1].set(-upward_force / jnp.sum(lengths))
        fixed[(slice(None),) + (0,) * (dims - 1) + (-1,)] = True
    fixed, prescribed = jnp.asarray(fixed), jnp.zeros((dims,) + nodes, dtype)
    if held_displacement_m is not None:
        held_damage = damage if joined_damage is None else joined_damage
        solid = cell_degradation(held_damage) * stiffness >= config.damage.fragment_stiffness_ratio
        fragment = detached_nodes(grid, solid)
        fixed = fixed | fragment
        prescribed = jnp.where(fragment, held_displacement_m, prescribed)
    return ElasticityProblem(
        grid=grid,
        shear_modulus_Pa=mu * stiffness,
        lame_lambda_Pa=lam * stiffness,
        degradation=g,
        cavity_indicator=body,
        cavity_pressure_Pa=pressure,
        bottom_traction_Pa=bottom,
        top_traction_Pa=top,
        fixed=fixed,
        prescribed_displacement_m=prescribed,
    )


def _cell_stiffness(config: Config, defect: Defect) -> Float[Array, "*cells"]:
    """Stiffness factor per cell: 1 in the electrolyte, ``solver.void_stiffness_ratio`` in the pit."""
    return void_stiffness(defect.cell_indicator, config.solver.void_stiffness_ratio)


def _cell_moduli_Pa(config: Config, defect: Defect) -> tuple[Float[Array, "*cells"], Float[Array, "*cells"]]:
    """``mu`` and Lame's ``lambda`` per cell: the electrolyte's, scaled down to the void's in the pit."""
    mu, lam = lame_parameters_Pa(config.material.youngs_modulus_Pa, config.material.poisson_ratio)
    stiffness = _cell_stiffness(config, defect)
    return mu * stiffness, lam * stiffness


def tensile_energy_J_per_m3(
    config: Config, grid: Grid | Grid3D, defect: Defect, u: Float[Array, " d *nodes"]
) -> Float[Array, "*cells"]:
    """``psi+`` per cell with the moduli of the cell's material (the void's are tiny): what drives damage."""
    return cell_tensile_energy_J_per_m3(grid, u, *_cell_moduli_Pa(config, defect))


def damage_problem(
    config: Config,
    grid: Grid | Grid3D,
    defect: Defect,
    u: Float[Array, " d *nodes"],
    history_J_per_m3: Float[Array, "*cells"],
    lower_bound: Float[Array, "*nodes"],
) -> DamageProblem:
    """The damage half of a staggered step at the displacement ``u``, driven by ``history_J_per_m3``.

    With ``damage.nucleation = "strength"``, also by the strength term's ``c_e`` of ``u``'s undamaged stress
    (:mod:`ecmjax.physics.strength`), and with the toughness ``delta Gc``.
    """
    material, dtype = config.material, lower_bound.dtype
    fracture_energy = jnp.asarray(material.fracture_energy_J_per_m2, dtype)
    length = jnp.asarray(material.phase_field_length_m, dtype)
    drive = None
    if config.damage.nucleation == "strength":
        hydrostatic = hydrostatic_strength_Pa(material.tensile_strength_Pa, material.compressive_strength_Pa)
        delta = toughness_factor(
            fracture_energy,
            length,
            grid.cell_size_m,
            material.youngs_modulus_Pa,
            material.tensile_strength_Pa,
            hydrostatic,
        )
        mu, lam = lame_parameters_Pa(material.youngs_modulus_Pa, material.poisson_ratio)
        stiffness = _cell_stiffness(config, defect)
        samples = tuple(
            nucleation_drive_J_per_m3(
                strain,
                mu,
                lam,
                fracture_energy_J_per_m2=fracture_energy,
                length_m=length,
                toughness_factor=delta,
                tensile_strength_Pa=material.tensile_strength_Pa,
                hydrostatic_strength_Pa=hydrostatic,
            )
            for strain in strain_at_gauss_points(grid, u)
        )
        drive = stiffness * cell_mean(samples)  # c_e is linear in the stress, which the void scales down
        fracture_energy = delta * fracture_energy
    return DamageProblem(
        grid=grid,
        history_J_per_m3=history_J_per_m3,
        fracture_energy_J_per_m2=fracture_energy,
        length_m=length,
        lower_bound=lower_bound,
        nucleation_drive_J_per_m3=drive,
        model=config.damage.model,
        irreversibility_tolerance=config.damage.irreversibility_tolerance,
    )


def cell_voltage_V(grid: Grid | Grid3D, phi: Float[Array, "*nodes"]) -> Float[Array, ""]:
    """The cell's voltage: the potential's mean over the counter electrode (the far side)."""
    lengths = grid.boundary_node_measures()
    return jnp.sum(lengths * phi[..., -1]) / jnp.sum(lengths)


class InitialState(eqx.Module):
    """Fields and headline figures of a cell whose defect is full of Li at a given pressure."""

    grid: Grid | Grid3D
    defect: Defect
    potential_V: Float[Array, "*nodes"]
    interfacial_current_A_per_m2: Float[Array, "*nodes"]
    displacement_m: Float[Array, " d *nodes"]
    stress_Pa: Stress
    hoop_stress_Pa: Float[Array, "*cells"]
    cell_voltage_V: Float[Array, ""]
    peak_hoop_stress_Pa: Float[Array, ""]
    plated_current_A_per_m: Float[Array, ""]
    injected_current_A_per_m: Float[Array, ""]
    potential_info: NewtonInfo
    elasticity_info: NewtonInfo


def solve_initial_state(config: Config) -> InitialState:
    """Solve the potential and the elasticity of the initial state (jit- and grad-compatible)."""
    dtype = resolve_dtype(config.solver.dtype)
    grid = build_grid(config)
    grid = eqx.tree_at(lambda g: g.cell_size_m, grid, jnp.asarray(grid.cell_size_m, dtype))
    defect = discretise_defect(config, grid)
    solver = newton_settings(config, grid)
    pit_pressure = config.operating.li_pressure_Pa

    potential = potential_problem(config, grid, defect, pit_pressure)
    anode_eta = symmetric_overpotential_V(
        config.operating.current_density_A_per_m2,
        config.kinetics.exchange_current_A_per_m2,
        config.operating.temperature_K,
    )
    phi, potential_info = solve_potential(potential, flat_cell_potential_V(potential, anode_eta).astype(dtype), solver)

    elastic = elasticity_problem(config, grid, defect, pit_pressure)
    u, elasticity_info = solve_elasticity(elastic, solver)
    stress = cell_stress_Pa(elastic, u)
    centres = grid.cell_centres_m()
    solid_hoop = cell_stress_Pa(elastic, u, solid=True).hoop_Pa(*centres)
    return InitialState(
        grid=grid,
        defect=defect,
        potential_V=phi,
        interfacial_current_A_per_m2=node_current_density_A_per_m2(phi, potential),
        displacement_m=u,
        stress_Pa=stress,
        hoop_stress_Pa=stress.hoop_Pa(*centres),
        cell_voltage_V=cell_voltage_V(grid, phi),
        peak_hoop_stress_Pa=max_on_contour(solid_hoop, defect.cell_indicator),
        plated_current_A_per_m=plated_current_A_per_m(phi, potential),
        injected_current_A_per_m=injected_current_A_per_m(potential),
        potential_info=potential_info,
        elasticity_info=elasticity_info,
    )
