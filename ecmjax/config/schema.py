"""What a run configuration is: its sections, keys, defaults, units and allowed ranges.

Every key is declared once, as a field of its section's module with its :class:`KeySpec` (type and
bounds or choices); :data:`SPECS`, :data:`DEFAULTS` and :data:`VALID_KEYS` are derived from these
declarations. :func:`ecmjax.config.loading.load_config` reads and checks a configuration against them.
:class:`Config` is an immutable pytree: floats are leaves (so ``jax.grad`` of a function of the config
works), strings and ints are static. Every key carries its SI unit in its name.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import equinox as eqx
from jaxtyping import Array, Float

from ecmjax.physics.constants import LI_BULK_MODULUS_PA
from ecmjax.physics.materials import MATERIALS, fracture_energy_J_per_m2, lpscl
from ecmjax.solver.grid import graded_widths

__all__ = [
    "DEFAULTS",
    "FRACTURE_KEYS",
    "MIN_CELLS_PER_DEPTH",
    "SECTIONS",
    "SPECS",
    "VALID_KEYS",
    "Config",
    "ConfigError",
    "DamageConfig",
    "DomainConfig",
    "GeometryConfig",
    "GridConfig",
    "KeySpec",
    "KineticsConfig",
    "LithiumConfig",
    "MaterialConfig",
    "OperatingConfig",
    "SolverConfig",
    "PathConfig",
    "TimeConfig",
    "format_number",
    "format_value",
    "type_name",
]

GRID_RTOL = 1e-9
"""Relative slack that absorbs floating-point noise in the grid checks (square cells, resolution)."""
MIN_CELLS_PER_DEPTH = 8
"""Fewest cells across the defect depth for its stress concentration to mean anything."""
MAX_GROWTH_RATIO = 1.2
"""Largest width ratio of neighbouring graded columns: a smooth grading keeps the bilinear elements' error
and the multigrid's convergence near the uniform grid's."""
FLOAT32_MIN_RTOL = 1e-4
"""Smallest ``solver.rtol`` accepted in float32: its Newton residuals stall near 2e-4 of the load
(docs/scaling.md, "Precision"), so a tighter tolerance makes the first solve fail."""


class ConfigError(ValueError):
    """An invalid configuration; ``problems`` lists every problem found, one message each."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} configuration problems:\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


@dataclasses.dataclass(frozen=True)
class KeySpec:
    """What one key accepts: its type, and either bounds (numbers) or choices (strings)."""

    kind: type
    lower: float | None = None
    lower_inclusive: bool = False
    upper: float | None = None
    upper_inclusive: bool = False
    choices: tuple[str, ...] = ()

    @property
    def bounds(self) -> str:
        """The allowed range of a number, e.g. ``"> 0 and <= 1"``."""
        parts = []
        if self.lower is not None:
            parts.append(f"{'>=' if self.lower_inclusive else '>'} {self.lower:g}")
        if self.upper is not None:
            parts.append(f"{'<=' if self.upper_inclusive else '<'} {self.upper:g}")
        return " and ".join(parts)

    @property
    def rule(self) -> str:
        """What a value of the right type must satisfy, e.g. ``"must be > 0"``."""
        if self.choices:
            return "must be one of " + ", ".join(format_value(c) for c in self.choices)
        return f"must be {self.bounds}"

    def in_range(self, value: float) -> bool:
        if self.lower is not None:
            if value < self.lower or (value == self.lower and not self.lower_inclusive):
                return False
        if self.upper is not None:
            if value > self.upper or (value == self.upper and not self.upper_inclusive):
                return False
        return True


def _number(
    default: float,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> Any:
    """A float leaf with a default and open (gt/lt) or closed (ge/le) bounds."""
    spec = KeySpec(
        float,
        lower=ge if ge is not None else gt,
        lower_inclusive=ge is not None,
        upper=le if le is not None else lt,
        upper_inclusive=le is not None,
    )
    return eqx.field(default=default, metadata={"spec": spec})


def _integer(default: int, *, ge: int) -> Any:
    """A static int with a default and a lower bound."""
    return eqx.field(default=default, static=True, metadata={"spec": KeySpec(int, lower=ge, lower_inclusive=True)})


def _choice(default: str, choices: Sequence[str]) -> Any:
    """A static string restricted to ``choices``."""
    return eqx.field(default=default, static=True, metadata={"spec": KeySpec(str, choices=tuple(choices))})


class GeometryConfig(eqx.Module):
    """The interfacial defect: a pit of ``depth_m`` and half-width ``depth_m / aspect_ratio``.

    ``base`` sweeps the section over the surface in 3D: ``round`` revolves it (semi-spheroid, cone,
    cylinder), ``square`` squares it (a triangle becomes a square pyramid of base side ``2 b``); plane and
    axisymmetric runs take ``round`` only (:func:`ecmjax.physics.geometry.lateral_distance`).
    """

    shape: str = _choice("semi-ellipse", ("semi-ellipse", "triangle", "rectangle"))
    """Section of the defect: a semi-ellipse (revolved: a semi-spheroid), a triangle (cone, pyramid), a rectangle."""
    base: str = _choice("round", ("round", "square"))
    """Footprint of a 3D pit: the section revolved (``round``) or squared (``square``, 3D only)."""
    depth_m: float = _number(1.0e-6, gt=0.0)
    """Defect depth ``a``; less than ``domain.thickness_m``, and at least 8 cells."""
    aspect_ratio: float = _number(1.0, gt=0.0)
    """``a / b``, with ``b`` the half-width (1: a semicircle); the pit must fit in half of ``domain.width_m``."""
    fill_fraction: float = _number(1.0, gt=0.0, le=1.0)
    """Initial Li fill of the pit, as a fraction of its undeformed volume."""
    tip_radius_m: float = _number(0.0, ge=0.0)
    """Corner rounding of the rectangle; less than the depth and the half-width."""

    @property
    def half_width_m(self) -> float:
        """Defect half-width ``b = a / AR``."""
        return self.depth_m / self.aspect_ratio


class DomainConfig(eqx.Module):
    """The electrolyte slab: full lateral period ``width_m``, thickness ``thickness_m``, and its sides.

    ``dimension`` is ``plane-strain`` (a section through a defect that is long out of plane; figures per
    unit depth) or ``axisymmetric`` (a defect revolved about its axis: the semi-ellipse becomes a
    semi-spheroid, the triangle a cone, the rectangle a flat-bottomed cylindrical hole, in a cylinder
    of diameter ``width_m``; figures are totals: currents in A, volumes in m^3) or ``3d`` (a square
    slab ``width_m`` wide on both sides, the quarter ``x, y >= 0`` simulated between mirror planes; the
    shape's ``geometry.base`` sets its footprint; figures are the quarter's totals).
    """

    dimension: str = _choice("plane-strain", ("plane-strain", "axisymmetric", "3d"))
    """A plane section, a body of revolution about ``x = 0``, or the quarter ``x, y >= 0`` of a square slab."""
    width_m: float = _number(6.4e-6, gt=0.0)
    """Lateral period ``W`` of the defects; more than twice the half-width."""
    thickness_m: float = _number(6.4e-6, gt=0.0)
    """Electrolyte thickness ``L``; more than the depth."""
    lateral_bc: str = _choice("mirror", ("mirror", "periodic"))
    """``mirror``: simulate ``0 <= x <= W/2``; ``periodic``: ``-W/2 <= x < W/2`` (plane strain only)."""
    far_side_bc: str = _choice("traction-free", ("traction-free", "fixed"))
    """Counter-electrode side: a free platen (``traction-free``) or clamped (``fixed``)."""
    short_circuit_margin_m: float = _number(0.5e-6, ge=0.0)
    """The cell fails when the crack's tip is this close to the far side; less than ``L - a``."""


class GridConfig(eqx.Module):
    """Square cells: ``nx`` across the simulated width, ``ny`` across the thickness (a 3D grid has ``nx``
    cells along both ``x`` and ``y``, and ``ny`` along the depth ``z``)."""

    nx: int = _integer(32, ge=1)
    """Cells across the simulated width (3D: along ``x`` and ``y``)."""
    ny: int = _integer(64, ge=1)
    """Cells across the thickness (3D: along the depth ``z``); the cells must be square, of size at most ``l / 2``."""
    interface_width_cells: float = _number(1.0, ge=0.5, le=4.0)
    """Width of the diffuse defect boundary, in cells."""
    graded_cells: int = _integer(0, ge=0)
    """Of the ``nx`` columns, how many (the outermost) widen geometrically so that an isolated defect's wide
    domain costs few cells: the other columns are square, of side ``thickness_m / ny``, and the graded ones
    grow by the ratio that makes all span the simulated width (at most 1.2). 0: square
    cells everywhere. Plane strain or axisymmetric, mirror sides."""


class MaterialConfig(eqx.Module):
    """Electrolyte properties, defaulting from the named set; both fracture measures are kept."""

    name: str = _choice(lpscl.name, tuple(MATERIALS))
    """Named parameter set (:mod:`ecmjax.physics.materials`) from which the other material keys default."""
    youngs_modulus_Pa: float = _number(lpscl.youngs_modulus_Pa, gt=0.0)
    """Young's modulus ``E``."""
    poisson_ratio: float = _number(lpscl.poisson_ratio, gt=-1.0, lt=0.5)
    """Poisson's ratio ``nu``."""
    fracture_toughness_Pa_sqrt_m: float = _number(lpscl.fracture_toughness_Pa_sqrt_m, gt=0.0)
    """``K_IC``; give this or the fracture energy, not both."""
    fracture_energy_J_per_m2: float = _number(lpscl.fracture_energy_J_per_m2, gt=0.0)
    """``Gc = K_IC^2 (1 - nu^2) / E`` (plane-strain Irwin); derived from the toughness unless given."""
    phase_field_length_m: float = _number(lpscl.phase_field_length_m, gt=0.0)
    """Phase-field length ``l``; at least twice the cell size."""
    ionic_conductivity_S_per_m: float = _number(lpscl.ionic_conductivity_S_per_m, gt=0.0)
    """Ionic conductivity ``kappa``."""
    tensile_strength_Pa: float = _number(lpscl.tensile_strength_Pa, gt=0.0)
    """Uniaxial tensile strength ``sigma_ts``: where cracks nucleate with ``damage.nucleation = "strength"``."""
    compressive_strength_Pa: float = _number(lpscl.compressive_strength_Pa, gt=0.0)
    """Uniaxial compressive strength ``sigma_cs`` (> ``sigma_ts``): with it, the Drucker-Prager strength surface."""


class LithiumConfig(eqx.Module):
    """The Li metal plated into the defect (the anode's metal)."""

    bulk_modulus_Pa: float = _number(LI_BULK_MODULUS_PA, gt=0.0)
    """Bulk modulus ``K_Li``: plated Li takes up ``V exp(-(p - p_stack) / K_Li)`` at pressure ``p``
    (Masias et al., J. Mater. Sci. 2019: 10.95 GPa; a very large value makes it incompressible)."""


class KineticsConfig(eqx.Module):
    """Butler-Volmer kinetics at every Li/electrolyte interface.

    The default ``i0 = 5 A/m^2`` (a charge-transfer resistance RT/(F i0) of about 51 Ohm cm^2) is a
    resistive Li/argyrodite interface; a clean garnet interface is ~50 A/m^2 (docs/model.md section 4).
    """

    exchange_current_A_per_m2: float = _number(5.0, gt=0.0)
    """Butler-Volmer exchange current density ``i0``."""
    alpha_a: float = _number(0.5, gt=0.0, le=1.0)
    """Anodic transfer coefficient."""
    alpha_c: float = _number(0.5, gt=0.0, le=1.0)
    """Cathodic transfer coefficient."""


class OperatingConfig(eqx.Module):
    """Cell operation: applied current, stack pressure, temperature, initial Li pressure in the pit.

    The built-in default case (sulfide, 2 mA/cm^2 through a resistive interface) has a driving
    overpotential of 74 mV on a flat anode (symmetric Butler-Volmer), a Monroe-Newman cap of 0.55 GPa
    (0.46-0.62 GPa on the pit's walls along its run), above the 0.37 GPa that cracks Li6PS5Cl from its
    1 um pit: it fails (docs/model.md section 3b).
    """

    current_density_A_per_m2: float = _number(20.0, ge=0.0)
    """Applied plating current density ``j_app`` (20 A/m^2 = 2 mA/cm^2)."""
    stack_pressure_Pa: float = _number(5.0e6, ge=0.0)
    """Stack pressure on the anode."""
    temperature_K: float = _number(298.15, gt=0.0)
    """Temperature."""
    li_pressure_Pa: float = _number(5.0e6, ge=0.0)
    """Initial Li pressure in the pit."""
    creep_outflow_m2_per_Pa_s: float = _number(0.0, ge=0.0)
    """Creep back-flow ``Q_out = k <p - p_stack>+`` of Li to the anode (0: confined; m^3/(Pa s) when axisymmetric)."""


class DamageConfig(eqx.Module):
    """Phase-field fracture: the model, its numerics, and when damaged electrolyte joins the Li body.

    The staggered iteration's damage image is ``d + w (d_solved - d)`` (``w = over_relaxation``: the
    over-relaxed alternate minimisation of Farrell and Maurini, IJNME 2017), which Anderson mixing over
    the last ``anderson_depth`` iterates then accelerates (0: no mixing), clipped to [0, 1]; the
    converged state is the same, only the number of iterations changes. On the default case, Anderson
    depth 5 with ``w = 1`` needs 441 staggered iterations in 87 trials against 872 in 101 unmixed
    (wall 52 s against 71 s on 2 cores, ``scripts/bench_coupled.py``; failure time 40.15 s against
    40.02 s).
    """

    model: str = _choice("AT2", ("AT2", "AT1"))
    """Phase-field model."""
    nucleation: str = _choice("regularisation", ("regularisation", "strength"))
    """Where cracks nucleate: at the phase field's own strength, set by ``material.phase_field_length_m``
    (``regularisation``), or at the material's, ``material.tensile_strength_Pa`` and
    ``compressive_strength_Pa`` (``strength``: the strength term of Larsen, Dolbow and Lopez-Pamies 2024,
    :mod:`ecmjax.physics.strength`; needs ``model = "AT1"``)."""
    residual_stiffness: float = _number(1e-6, gt=0.0, lt=1.0)
    """``k_res`` in ``g(d) = (1 - d)^2 + k_res``, which degrades the stiffness and the ionic conductivity."""
    join_threshold: float = _number(0.1, gt=0.0, lt=1.0)
    """Damage at which electrolyte connected to the Li body joins it."""
    fragment_stiffness_ratio: float = _number(0.01, ge=0.0, lt=1.0)
    """Cells whose stiffness (``g(d)`` times the pit's void ratio) was below this fraction of the
    electrolyte's at the last step no longer hold electrolyte: a piece that such cells alone join to the
    far side is a fragment, cut off by cracks, and its displacement is held at the last step's (0: never).
    Without it the fragment's rigid-body motions stall the elastic solve (docs/model.md, "Detached
    fragments")."""
    irreversibility_tolerance: float = _number(0.01, gt=0.0, lt=1.0)
    """``TOL_ir`` of the Gerasimov-De Lorenzis irreversibility penalty."""
    staggered_tolerance: float = _number(1e-3, gt=0.0, lt=1.0)
    """An increment's staggered iteration stops when the changes of damage and relative pressure and the
    relative elastic residual are below it (1e-2 let the failure time run 2.4% late)."""
    max_staggered_iterations: int = _integer(30, ge=1)
    """Staggered iteration cap per increment (beyond it, a crack jump's iteration continues, see ``[path]``)."""
    over_relaxation: float = _number(1.0, ge=1.0, lt=2.0)
    """Over-relaxation ``w`` of the damage update between staggered iterations (1: plain alternate minimisation)."""
    anderson_depth: int = _integer(5, ge=0)
    """Anderson acceleration of the staggered damage over this many past iterates (0: none)."""


class TimeConfig(eqx.Module):
    """Simulated time span."""

    t_end_s: float = _number(3600.0, gt=0.0)
    """End of the simulated time: a cell that has not failed by then survived."""


class PathConfig(eqx.Module):
    """The load path: the Li volume plated into the defect, in increments (docs/model.md section 3a).

    The mechanics are converged at each volume of a fixed grid, ``V_k = V_0 + k dV``, with ``dV`` the
    Li volume that raises the pressure in a circular hole of the defect's size by
    ``pressure_increment_Pa``, ``dV = (2 (1 + nu) / E + 1 / K_Li) V_defect dp`` (a scale that follows the
    stiffness of the electrolyte and of the Li, smooth in every parameter); an increment over which the
    crack advances more than ``max_crack_advance_cells`` (or whose solve fails) is bisected, down to
    ``event_tolerance`` of ``dV``, which locates a crack jump to that tolerance in volume.
    """

    pressure_increment_Pa: float = _number(30e6, gt=0.0)
    """``dp`` that sets the volume increment ``dV`` (about the pressure rise per increment before a crack)."""
    event_tolerance: float = _number(1e-2, gt=0.0, le=1.0)
    """Smallest bisected increment, as a fraction of ``dV``: a crack jump is located to it."""
    max_crack_advance_cells: float = _number(4.0, gt=0.0)
    """Largest crack advance over an increment, in cells (longer increments are bisected)."""
    max_increments: int = _integer(2000, ge=1)
    """Cap on the increments taken (bisected ones count; the history table's length)."""


class SolverConfig(eqx.Module):
    """Numerical settings: precision, tolerances, iteration caps, void ersatz, devices the grid is split over."""

    dtype: str = _choice("float64", ("float64", "float32"))
    """Working precision; ``float32`` needs ``rtol >= 1e-4``."""
    rtol: float = _number(1e-8, gt=0.0, lt=1.0)
    """Newton tolerance on the residual, relative to the load."""
    max_newton_iterations: int = _integer(30, ge=1)
    """Newton iteration cap per solve."""
    max_krylov_iterations: int = _integer(20000, ge=1)
    """CG iteration cap per linear solve."""
    void_stiffness_ratio: float = _number(1e-6, gt=0.0, lt=1.0)
    """Stiffness of the ersatz material in the pit, relative to the electrolyte's."""
    void_conductivity_ratio: float = _number(1e-4, gt=0.0, lt=1.0)
    """Ionic conductivity in the pit, relative to the electrolyte's."""
    preconditioner: str = _choice("multigrid", ("multigrid", "jacobi"))
    """CG preconditioner: one geometric-multigrid V-cycle, or the diagonal (Jacobi)."""
    domain_devices: int = _integer(1, ge=1)
    """Split the grid along ``x`` over this many devices (at most those JAX sees)."""


class Config(eqx.Module):
    """A validated run configuration, one sub-module per TOML section; build it with :func:`ecmjax.load_config`."""

    geometry: GeometryConfig = eqx.field(default_factory=GeometryConfig)
    domain: DomainConfig = eqx.field(default_factory=DomainConfig)
    grid: GridConfig = eqx.field(default_factory=GridConfig)
    material: MaterialConfig = eqx.field(default_factory=MaterialConfig)
    lithium: LithiumConfig = eqx.field(default_factory=LithiumConfig)
    kinetics: KineticsConfig = eqx.field(default_factory=KineticsConfig)
    operating: OperatingConfig = eqx.field(default_factory=OperatingConfig)
    damage: DamageConfig = eqx.field(default_factory=DamageConfig)
    time: TimeConfig = eqx.field(default_factory=TimeConfig)
    path: PathConfig = eqx.field(default_factory=PathConfig)
    solver: SolverConfig = eqx.field(default_factory=SolverConfig)

    @property
    def simulated_width_m(self) -> float:
        """Width the grid spans: half the period with a mirror at the defect axis, else the period."""
        if self.domain.lateral_bc == "mirror":
            return self.domain.width_m / 2
        return self.domain.width_m

    @property
    def cell_size_m(self) -> float:
        """Cell size ``h`` (cells are square; on a graded grid, those of the ungraded columns)."""
        if self.grid.graded_cells:
            return self.domain.thickness_m / self.grid.ny
        return self.simulated_width_m / self.grid.nx

    @property
    def uniform_columns(self) -> int:
        """Columns of square cells: all of them, or those inside the graded ones."""
        return self.grid.nx - self.grid.graded_cells

    @property
    def x_cell_scale(self) -> Float[Array, " nx"] | None:
        """Each column's width in cells of ``h`` on a graded grid (:func:`ecmjax.solver.grid.graded_widths`);
        ``None`` if every cell is square."""
        if not self.grid.graded_cells:
            return None
        span_cells = self.simulated_width_m / self.cell_size_m
        return graded_widths(self.uniform_columns, self.grid.graded_cells, span_cells)

    def to_dict(self) -> dict[str, dict[str, float | int | str]]:
        """Nested plain dict ``{section: {key: value}}`` of every key, JSON-serialisable."""
        data: dict[str, dict[str, float | int | str]] = {}
        for section, cls in SECTIONS.items():
            data[section] = {}
            for f in dataclasses.fields(cls):
                value = getattr(getattr(self, section), f.name)
                # A float leaf may be a 0-d array after a JAX transform.
                data[section][f.name] = float(value) if f.metadata["spec"].kind is float else value
        return data

    def to_toml(self) -> str:
        """TOML text that :func:`ecmjax.config.load_config` reads back to an equal ``Config``.

        Of the two fracture keys only one is written (the other is derived on loading); it is the one
        from which the other is reproduced exactly, so the round trip is bit-for-bit.
        """
        data = self.to_dict()
        material = data["material"]
        derived_energy = fracture_energy_J_per_m2(
            material["fracture_toughness_Pa_sqrt_m"],
            material["youngs_modulus_Pa"],
            material["poisson_ratio"],
        )
        derived_key = (
            "fracture_energy_J_per_m2"
            if derived_energy == material["fracture_energy_J_per_m2"]
            else "fracture_toughness_Pa_sqrt_m"
        )
        lines = ["# ecmjax configuration (SI units: every key names its unit)"]
        for section, values in data.items():
            lines += ["", f"[{section}]"]
            for key, value in values.items():
                if section == "material" and key == derived_key:
                    lines.append(f"# {key} = {format_value(value)}  (derived, plane-strain Irwin)")
                else:
                    lines.append(f"{key} = {format_value(value)}")
        return "\n".join(lines) + "\n"


SECTIONS: dict[str, type[eqx.Module]] = {
    "geometry": GeometryConfig,
    "domain": DomainConfig,
    "grid": GridConfig,
    "material": MaterialConfig,
    "lithium": LithiumConfig,
    "kinetics": KineticsConfig,
    "operating": OperatingConfig,
    "damage": DamageConfig,
    "time": TimeConfig,
    "path": PathConfig,
    "solver": SolverConfig,
}
SPECS: dict[str, dict[str, KeySpec]] = {
    section: {f.name: f.metadata["spec"] for f in dataclasses.fields(cls)} for section, cls in SECTIONS.items()
}
FRACTURE_KEYS = ("fracture_toughness_Pa_sqrt_m", "fracture_energy_J_per_m2")

DEFAULTS: dict[str, dict[str, float | int | str]] = Config().to_dict()
"""Built-in defaults, ``{section: {key: value}}``; the material keys are those of the default set."""
VALID_KEYS: list[str] = sorted(f"{s}.{k}" for s, keys in SPECS.items() for k in keys)
"""Every accepted ``section.key``."""


def format_number(x: float) -> str:
    """A derived number, to 6 significant digits."""
    return f"{x:.6g}"


def type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "float", str: "string"}.get(type(value), type(value).__name__)


def format_value(value: Any) -> str:
    """A value as TOML writes it: ``"text"``, ``true``, ``1e-06``, ``128``."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)
