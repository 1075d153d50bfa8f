"""Run configuration: TOML file plus ``section.key=value`` overrides, validated before any compute.

:func:`load_config` starts from built-in defaults, applies the file and then the overrides, resolves the
material from its named set, and checks every value and every cross-constraint (defect fits the domain,
cells are square, the grid resolves the defect and the phase-field length). Every problem raises
:class:`ConfigError` naming the key, the value and what is allowed. The result, :class:`Config`, is an
immutable pytree: floats are leaves (so ``jax.grad`` of a function of the config works), strings and
ints are static. Every key carries its SI unit in its name.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import equinox as eqx
import jax

from ecmjax.physics.materials import (
    MATERIALS,
    fracture_energy_J_per_m2,
    fracture_toughness_Pa_sqrt_m,
    lpscl,
)

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

__all__ = [
    "DEFAULTS",
    "VALID_KEYS",
    "Config",
    "ConfigError",
    "DamageConfig",
    "DomainConfig",
    "GeometryConfig",
    "GridConfig",
    "KineticsConfig",
    "MaterialConfig",
    "OperatingConfig",
    "SolverConfig",
    "TimeConfig",
    "check_devices",
    "load_config",
]

_RTOL = 1e-9
"""Relative slack that absorbs floating-point noise in the grid checks (square cells, resolution)."""
_MIN_CELLS_PER_DEPTH = 8
"""Fewest cells across the defect depth for its stress concentration to mean anything."""
_FLOAT32_MIN_RTOL = 1e-4
"""Smallest ``solver.rtol`` accepted in float32: its Newton residuals stall near 2e-4 of the load (README,
"Precision"), so a tighter tolerance makes the first solve fail."""


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
class _Spec:
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
            return "must be one of " + ", ".join(_fmt(c) for c in self.choices)
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
    spec = _Spec(
        float,
        lower=ge if ge is not None else gt,
        lower_inclusive=ge is not None,
        upper=le if le is not None else lt,
        upper_inclusive=le is not None,
    )
    return eqx.field(default=default, metadata={"spec": spec})


def _integer(default: int, *, ge: int) -> Any:
    """A static int with a default and a lower bound."""
    return eqx.field(default=default, static=True, metadata={"spec": _Spec(int, lower=ge, lower_inclusive=True)})


def _choice(default: str, choices: Sequence[str]) -> Any:
    """A static string restricted to ``choices``."""
    return eqx.field(default=default, static=True, metadata={"spec": _Spec(str, choices=tuple(choices))})


class GeometryConfig(eqx.Module):
    """The interfacial defect: a pit of ``depth_m`` and half-width ``depth_m / aspect_ratio``.

    ``base`` sweeps the section over the surface in 3D: ``round`` revolves it (semi-spheroid, cone,
    cylinder), ``square`` squares it (a triangle becomes a square pyramid of base side ``2 b``); plane and
    axisymmetric runs take ``round`` only (:func:`ecmjax.physics.geometry.lateral_distance`).
    """

    shape: str = _choice("semi-ellipse", ("semi-ellipse", "triangle", "rectangle"))
    base: str = _choice("round", ("round", "square"))
    depth_m: float = _number(1.0e-6, gt=0.0)
    aspect_ratio: float = _number(1.0, gt=0.0)
    fill_fraction: float = _number(1.0, gt=0.0, le=1.0)
    tip_radius_m: float = _number(0.0, ge=0.0)

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
    width_m: float = _number(6.4e-6, gt=0.0)
    thickness_m: float = _number(6.4e-6, gt=0.0)
    lateral_bc: str = _choice("mirror", ("mirror", "periodic"))
    far_side_bc: str = _choice("traction-free", ("traction-free", "fixed"))
    short_circuit_margin_m: float = _number(0.5e-6, ge=0.0)


class GridConfig(eqx.Module):
    """Square cells: ``nx`` across the simulated width, ``ny`` across the thickness (a 3D grid has ``nx``
    cells along both ``x`` and ``y``, and ``ny`` along the depth ``z``)."""

    nx: int = _integer(32, ge=1)
    ny: int = _integer(64, ge=1)
    interface_width_cells: float = _number(1.0, ge=0.5, le=4.0)


class MaterialConfig(eqx.Module):
    """Electrolyte properties, defaulting from the named set; both fracture measures are kept."""

    name: str = _choice(lpscl.name, tuple(MATERIALS))
    youngs_modulus_Pa: float = _number(lpscl.youngs_modulus_Pa, gt=0.0)
    poisson_ratio: float = _number(lpscl.poisson_ratio, gt=-1.0, lt=0.5)
    fracture_toughness_Pa_sqrt_m: float = _number(lpscl.fracture_toughness_Pa_sqrt_m, gt=0.0)
    fracture_energy_J_per_m2: float = _number(lpscl.fracture_energy_J_per_m2, gt=0.0)
    phase_field_length_m: float = _number(lpscl.phase_field_length_m, gt=0.0)
    ionic_conductivity_S_per_m: float = _number(lpscl.ionic_conductivity_S_per_m, gt=0.0)


class KineticsConfig(eqx.Module):
    """Butler-Volmer kinetics at every Li/electrolyte interface.

    The default ``i0 = 5 A/m^2`` (a charge-transfer resistance RT/(F i0) of about 51 Ohm cm^2) is a
    resistive Li/argyrodite interface; a clean garnet interface is ~50 A/m^2 (MODEL.md section 4).
    """

    exchange_current_A_per_m2: float = _number(5.0, gt=0.0)
    alpha_a: float = _number(0.5, gt=0.0, le=1.0)
    alpha_c: float = _number(0.5, gt=0.0, le=1.0)


class OperatingConfig(eqx.Module):
    """Cell operation: applied current, stack pressure, temperature, initial Li pressure in the pit.

    The built-in default case (sulfide, 2 mA/cm^2 through a resistive interface) has a driving
    overpotential of ~45 mV, a Monroe-Newman cap of ~0.33 GPa, above the ~0.13-0.3 GPa that cracks
    Li6PS5Cl from a 1 um pit: it fails (MODEL.md section 3b).
    """

    current_density_A_per_m2: float = _number(20.0, ge=0.0)
    stack_pressure_Pa: float = _number(5.0e6, ge=0.0)
    temperature_K: float = _number(298.15, gt=0.0)
    li_pressure_Pa: float = _number(5.0e6, ge=0.0)
    creep_outflow_m2_per_Pa_s: float = _number(0.0, ge=0.0)


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
    residual_stiffness: float = _number(1e-6, gt=0.0, lt=1.0)
    join_threshold: float = _number(0.1, gt=0.0, lt=1.0)
    fragment_stiffness_ratio: float = _number(0.01, ge=0.0, lt=1.0)
    """Cells whose stiffness (``g(d)`` times the pit's void ratio) was below this fraction of the
    electrolyte's at the last step no longer hold electrolyte: a piece that such cells alone join to the
    far side is a fragment, cut off by cracks, and its displacement is held at the last step's (0: never).
    Without it the fragment's rigid-body motions stall the elastic solve (docs/model.md, "Detached
    fragments")."""
    irreversibility_tolerance: float = _number(0.01, gt=0.0, lt=1.0)
    staggered_tolerance: float = _number(1e-2, gt=0.0, lt=1.0)
    max_staggered_iterations: int = _integer(30, ge=1)
    over_relaxation: float = _number(1.0, ge=1.0, lt=2.0)
    anderson_depth: int = _integer(5, ge=0)


class TimeConfig(eqx.Module):
    """Simulated time span and the adaptive step's limits."""

    t_end_s: float = _number(3600.0, gt=0.0)
    dt_initial_s: float = _number(1e-3, gt=0.0)
    dt_min_s: float = _number(1e-6, gt=0.0)
    dt_max_s: float = _number(60.0, gt=0.0)
    max_steps: int = _integer(2000, ge=1)
    max_pressure_change: float = _number(0.1, gt=0.0, le=1.0)
    max_crack_advance_cells: float = _number(4.0, gt=0.0)


class SolverConfig(eqx.Module):
    """Numerical settings: precision, tolerances, iteration caps, void ersatz, devices the grid is split over."""

    dtype: str = _choice("float64", ("float64", "float32"))
    rtol: float = _number(1e-8, gt=0.0, lt=1.0)
    max_newton_iterations: int = _integer(30, ge=1)
    max_krylov_iterations: int = _integer(20000, ge=1)
    void_stiffness_ratio: float = _number(1e-6, gt=0.0, lt=1.0)
    void_conductivity_ratio: float = _number(1e-4, gt=0.0, lt=1.0)
    preconditioner: str = _choice("multigrid", ("multigrid", "jacobi"))
    domain_devices: int = _integer(1, ge=1)


class Config(eqx.Module):
    """A validated run configuration, one sub-module per TOML section. Build it with :func:`load_config`."""

    geometry: GeometryConfig = eqx.field(default_factory=GeometryConfig)
    domain: DomainConfig = eqx.field(default_factory=DomainConfig)
    grid: GridConfig = eqx.field(default_factory=GridConfig)
    material: MaterialConfig = eqx.field(default_factory=MaterialConfig)
    kinetics: KineticsConfig = eqx.field(default_factory=KineticsConfig)
    operating: OperatingConfig = eqx.field(default_factory=OperatingConfig)
    damage: DamageConfig = eqx.field(default_factory=DamageConfig)
    time: TimeConfig = eqx.field(default_factory=TimeConfig)
    solver: SolverConfig = eqx.field(default_factory=SolverConfig)

    @property
    def simulated_width_m(self) -> float:
        """Width the grid spans: half the period with a mirror at the defect axis, else the period."""
        if self.domain.lateral_bc == "mirror":
            return self.domain.width_m / 2
        return self.domain.width_m

    @property
    def cell_size_m(self) -> float:
        """Cell size ``h`` (cells are square)."""
        return self.simulated_width_m / self.grid.nx

    def to_dict(self) -> dict[str, dict[str, float | int | str]]:
        """Nested plain dict ``{section: {key: value}}`` of every key, JSON-serialisable."""
        data: dict[str, dict[str, float | int | str]] = {}
        for section, cls in _SECTIONS.items():
            data[section] = {}
            for f in dataclasses.fields(cls):
                value = getattr(getattr(self, section), f.name)
                # A float leaf may be a 0-d array after a JAX transform.
                data[section][f.name] = float(value) if f.metadata["spec"].kind is float else value
        return data

    def to_toml(self) -> str:
        """TOML text that :func:`load_config` reads back to an equal ``Config``.

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
                    lines.append(f"# {key} = {_fmt(value)}  (derived, plane-strain Irwin)")
                else:
                    lines.append(f"{key} = {_fmt(value)}")
        return "\n".join(lines) + "\n"


_SECTIONS: dict[str, type[eqx.Module]] = {
    "geometry": GeometryConfig,
    "domain": DomainConfig,
    "grid": GridConfig,
    "material": MaterialConfig,
    "kinetics": KineticsConfig,
    "operating": OperatingConfig,
    "damage": DamageConfig,
    "time": TimeConfig,
    "solver": SolverConfig,
}
_SPECS: dict[str, dict[str, _Spec]] = {
    section: {f.name: f.metadata["spec"] for f in dataclasses.fields(cls)} for section, cls in _SECTIONS.items()
}
_FRACTURE_KEYS = ("fracture_toughness_Pa_sqrt_m", "fracture_energy_J_per_m2")

DEFAULTS: dict[str, dict[str, float | int | str]] = Config().to_dict()
"""Built-in defaults, ``{section: {key: value}}``; the material keys are those of the default set."""
VALID_KEYS: list[str] = sorted(f"{s}.{k}" for s, keys in _SPECS.items() for k in keys)
"""Every accepted ``section.key``."""


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> Config:
    """Read, validate and resolve a configuration.

    Args:
        path: a TOML file with any subset of the keys; ``None`` for the defaults alone.
        overrides: ``"section.key=value"`` strings applied after the file; ``value`` is read as a TOML
            value (``1e-6``, ``"x"``, ``true``), or else taken as a bare string (``geometry.shape=triangle``).

    Material keys default from the set named by ``material.name``; explicit ones override it. At most
    one of the fracture toughness and the fracture energy may be given; the other is derived from it
    with the resolved modulus and Poisson ratio (plane-strain Irwin).

    Raises:
        ConfigError: listing every problem found, before anything is computed.
    """
    if isinstance(overrides, str):
        raise ConfigError(
            f"overrides must be a sequence of 'section.key=value' strings, not the single string {overrides!r}"
        )
    user: dict[str, Any] = {} if path is None else _read_toml(Path(path))
    problems = _check_sections(user)
    user = {s: dict(v) for s, v in user.items() if isinstance(v, Mapping)}
    for item in overrides:
        section, key, value = _parse_override(item)
        user.setdefault(section, {})[key] = value
    problems += _check_keys(user)

    values: dict[str, dict[str, Any]] = {}
    for section, specs in _SPECS.items():
        given = user.get(section, {})
        values[section] = {}
        for key, spec in specs.items():
            if key in given:
                value, problem = _check_value(f"{section}.{key}", given[key], spec)
                if problem:
                    problems.append(problem)
                    continue
                values[section][key] = value
            elif section != "material":
                values[section][key] = _default(section, key)
    problems += _resolve_material(values["material"], user.get("material", {}))
    if problems:
        raise ConfigError(problems)

    config = Config(**{s: cls(**values[s]) for s, cls in _SECTIONS.items()})
    problems = _check_consistency(config)
    if problems:
        raise ConfigError(problems)
    return config


def check_devices(config: Config) -> None:
    """Check ``solver.domain_devices`` against the devices JAX sees, before the run compiles.

    Apart from :func:`load_config` because the answer depends on the machine, not on the configuration.
    One device is not checked, so that the default leaves JAX's backend unstarted (``jax.distributed``
    must start first).

    Raises:
        ConfigError: more devices are asked for than there are.
    """
    devices = config.solver.domain_devices
    if devices == 1:
        return
    available = jax.devices()
    if devices > len(available):
        platform = available[0].platform
        hint = (
            f"; on CPU, set XLA_FLAGS=--xla_force_host_platform_device_count={devices} before JAX starts"
            if platform == "cpu"
            else ""
        )
        raise ConfigError(
            f"solver.domain_devices = {devices} is out of range: must be <= {len(available)}, the {platform}"
            f" devices JAX sees{hint}"
        )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as err:
        raise ConfigError(f"cannot read configuration file {str(path)!r}: {err.strerror}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: malformed TOML: {err}") from err


def _parse_override(item: str) -> tuple[str, str, Any]:
    """Split ``"section.key=value"``; the value is TOML if it parses, else the bare string."""
    name, sep, text = item.partition("=")
    name, text = name.strip(), text.strip()
    section, dot, key = name.partition(".")
    if not sep or not dot or not section or not key:
        hint = "" if name in VALID_KEYS else _did_you_mean(name)
        raise ConfigError(f"override {item!r} is malformed: expected 'section.key=value'{hint}")
    try:
        value = tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        value = text
    return section, key, value


def _check_sections(user: Mapping[str, Any]) -> list[str]:
    """Every top-level entry of the file must be a table."""
    return [
        f"{name} = {_fmt(value)} must be a table [{name}] of keys"
        if name in _SPECS
        else f"{name} = {_fmt(value)} is not allowed at the top level: keys live in [section]"
        f" tables{_did_you_mean(name)}"
        for name, value in user.items()
        if not isinstance(value, Mapping)
    ]


def _check_keys(user: Mapping[str, Mapping[str, Any]]) -> list[str]:
    problems = []
    for section, given in user.items():
        if section not in _SPECS:
            close = difflib.get_close_matches(section, _SPECS, n=1)
            hint = f"did you mean [{close[0]}]? " if close else ""
            problems.append(f"unknown section [{section}]: {hint}valid sections: {', '.join(_SPECS)}")
            continue
        problems += [
            f"unknown key {section}.{key}{_did_you_mean(f'{section}.{key}')}"
            f" (valid keys in [{section}]: {', '.join(_SPECS[section])})"
            for key in given
            if key not in _SPECS[section]
        ]
    return problems


def _did_you_mean(name: str) -> str:
    """``"; did you mean section.key?"`` for the nearest valid key, matched whole or by its key part."""
    close = difflib.get_close_matches(name, VALID_KEYS, n=1)
    if not close:
        by_key = {k.partition(".")[2]: k for k in VALID_KEYS}
        close = [by_key[k] for k in difflib.get_close_matches(name.rpartition(".")[2], by_key, n=1)]
    return f"; did you mean {close[0]}?" if close else ""


def _check_value(key: str, value: Any, spec: _Spec) -> tuple[Any, str | None]:
    """The value converted to the spec's type, or a message naming key, value and what is allowed."""
    if spec.kind is str:
        if not isinstance(value, str):
            return None, f"{key} = {_fmt(value)} has the wrong type ({_type_name(value)}): {spec.rule}"
        if value not in spec.choices:
            return None, f"{key} = {_fmt(value)} is not a valid choice: {spec.rule}"
        return value, None
    if spec.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, (
                f"{key} = {_fmt(value)} has the wrong type ({_type_name(value)}): must be an integer {spec.bounds}"
            )
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, (f"{key} = {_fmt(value)} has the wrong type ({_type_name(value)}): must be a number {spec.bounds}")
    else:
        value = float(value)
        if not math.isfinite(value):
            return None, f"{key} = {_fmt(value)} is not finite: {spec.rule}"
    if not spec.in_range(value):
        return None, f"{key} = {_fmt(value)} is out of range: {spec.rule}"
    return value, None


def _resolve_material(values: dict[str, Any], given: Mapping[str, Any]) -> list[str]:
    """Fill the material keys not given from the named set; derive the fracture measure not given.

    ``values`` holds the validated explicit keys and is completed in place; returns the problems.
    """
    toughness, energy = _FRACTURE_KEYS
    if toughness in given and energy in given:
        return [
            f"material.{toughness} and material.{energy} are both given: give at most one; the other"
            f" is derived from it with the modulus and Poisson ratio, Gc = K_IC^2 (1 - nu^2) / E"
        ]
    if "name" in given and "name" not in values:  # an unknown name, already reported
        return []
    material_set = MATERIALS[values.setdefault("name", _default("material", "name"))]
    for key in ("youngs_modulus_Pa", "poisson_ratio", "phase_field_length_m", "ionic_conductivity_S_per_m"):
        if key not in given:
            values[key] = getattr(material_set, key)
    inputs = ("youngs_modulus_Pa", "poisson_ratio", toughness, energy)
    if any(k in given and k not in values for k in inputs):  # an input already reported as invalid
        return []
    modulus, poisson = values["youngs_modulus_Pa"], values["poisson_ratio"]
    if energy in given:
        values[toughness] = fracture_toughness_Pa_sqrt_m(values[energy], modulus, poisson)
    else:
        values.setdefault(toughness, material_set.fracture_toughness_Pa_sqrt_m)
        values[energy] = fracture_energy_J_per_m2(values[toughness], modulus, poisson)
    return []


def _check_consistency(config: Config) -> list[str]:
    """Cross-key constraints: the defect fits the domain, cells are square, the grid resolves things."""
    geometry, domain, grid, material = config.geometry, config.domain, config.grid, config.material
    depth, half_width = geometry.depth_m, geometry.half_width_m
    problems = []
    if depth >= domain.thickness_m:
        problems.append(
            f"geometry.depth_m = {_fmt(depth)} is out of range: must be < domain.thickness_m ="
            f" {_fmt(domain.thickness_m)} (the defect is deeper than the electrolyte)"
        )
    elif domain.short_circuit_margin_m >= domain.thickness_m - depth:
        problems.append(
            f"domain.short_circuit_margin_m = {_fmt(domain.short_circuit_margin_m)} is out of range: must be <"
            f" domain.thickness_m - geometry.depth_m = {_num(domain.thickness_m - depth)} (the pit would"
            " already short the cell)"
        )
    if domain.dimension != "plane-strain" and domain.lateral_bc != "mirror":
        problems.append(
            f"domain.lateral_bc = {domain.lateral_bc!r} is not allowed with domain.dimension ="
            f" {domain.dimension!r}: must be 'mirror' (the defect's axis lies on the domain's side)"
        )
    if geometry.base != "round" and domain.dimension != "3d":
        problems.append(
            f"geometry.base = {geometry.base!r} is not allowed with domain.dimension = {domain.dimension!r}:"
            " must be 'round' (a square base needs domain.dimension = '3d')"
        )
    time = config.time
    if not time.dt_min_s <= time.dt_initial_s <= time.dt_max_s:
        problems.append(
            f"time.dt_initial_s = {_fmt(time.dt_initial_s)} is out of range: must be >= time.dt_min_s ="
            f" {_fmt(time.dt_min_s)} and <= time.dt_max_s = {_fmt(time.dt_max_s)}"
        )
    solver = config.solver
    if solver.dtype == "float32" and solver.rtol < _FLOAT32_MIN_RTOL:
        problems.append(
            f"solver.rtol = {_fmt(solver.rtol)} is out of range for solver.dtype = 'float32': must be >="
            f" {_FLOAT32_MIN_RTOL:g} (float32 residuals stall near 2e-4 of the load); use solver.rtol = 1e-3"
        )
    if half_width >= domain.width_m / 2:
        problems.append(
            f"defect half-width geometry.depth_m / geometry.aspect_ratio = {_num(half_width)} is out"
            f" of range: must be < domain.width_m / 2 = {_num(domain.width_m / 2)} (the defect is"
            " wider than the domain); raise geometry.aspect_ratio or domain.width_m"
        )
    if geometry.tip_radius_m > 0 and geometry.tip_radius_m >= min(depth, half_width):
        problems.append(
            f"geometry.tip_radius_m = {_fmt(geometry.tip_radius_m)} is out of range: must be <"
            f" the defect half-width {_num(half_width)} and < geometry.depth_m = {_fmt(depth)}"
        )

    hx, hy = config.simulated_width_m / grid.nx, domain.thickness_m / grid.ny
    if abs(hx - hy) > _RTOL * max(hx, hy):
        ny_square = max(1, round(domain.thickness_m / hx))
        if abs(domain.thickness_m / ny_square - hx) <= _RTOL * hx:
            fix = f"use grid.ny = {ny_square}"
        else:
            fix = (
                f"no integer grid.ny makes them square with this grid.nx; make domain.thickness_m a"
                f" multiple of hx, e.g. {_num(ny_square * hx)} with grid.ny = {ny_square}"
            )
        problems.append(
            f"grid.ny = {grid.ny} gives non-square cells: hx = {_num(hx)} m (simulated width"
            f" {_num(config.simulated_width_m)} m / grid.nx = {grid.nx}) but hy = {_num(hy)} m"
            f" (domain.thickness_m / grid.ny); cells must be square within {_RTOL:g}"
            f" relative: {fix}"
        )
        return problems  # the resolution checks below need one cell size

    h = config.cell_size_m
    if depth / h < _MIN_CELLS_PER_DEPTH * (1 - _RTOL):
        problems.append(
            f"geometry.depth_m = {_fmt(depth)} spans only {_num(depth / h)} cells of h = {_num(h)} m:"
            f" the grid must resolve the defect with at least {_MIN_CELLS_PER_DEPTH} cells;"
            f" {_refine(grid, h / (depth / _MIN_CELLS_PER_DEPTH))}"
        )
    length = material.phase_field_length_m
    if h > length / 2 * (1 + _RTOL):
        problems.append(
            f"material.phase_field_length_m = {_fmt(length)} is not resolved by the grid: needs"
            f" h <= l/2, but h = {_num(h)} m; raise material.phase_field_length_m to >= {_num(2 * h)},"
            f" or {_refine(grid, h / (length / 2))}"
        )
    return problems


def _refine(grid: GridConfig, factor: float) -> str:
    """Advice to refine a square grid by at least ``factor``, keeping its cells square."""
    k = _ceil(factor)
    return f"refine the grid by a factor >= {_num(factor)}, e.g. grid.nx = {k * grid.nx} and grid.ny = {k * grid.ny}"


def _default(section: str, key: str) -> Any:
    return next(f.default for f in dataclasses.fields(_SECTIONS[section]) if f.name == key)


def _ceil(x: float) -> int:
    """Ceiling that ignores floating-point noise (``128.00000000000003 -> 128``)."""
    return math.ceil(x * (1 - _RTOL))


def _num(x: float) -> str:
    """A derived number, to 6 significant digits."""
    return f"{x:.6g}"


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "float", str: "string"}.get(type(value), type(value).__name__)


def _fmt(value: Any) -> str:
    """A value as TOML writes it: ``"text"``, ``true``, ``1e-06``, ``128``."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)
