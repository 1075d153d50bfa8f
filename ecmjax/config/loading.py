"""Loading a configuration: TOML file plus ``section.key=value`` overrides, validated before any compute.

:func:`load_config` starts from built-in defaults, applies the file and then the overrides, resolves the
material from its named set, and checks every value and every cross-constraint (defect fits the domain,
cells are square, the grid resolves the defect and the phase-field length). Every problem raises
:class:`~ecmjax.config.schema.ConfigError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax

from ecmjax.config.schema import (
    FLOAT32_MIN_RTOL,
    FRACTURE_KEYS,
    GRID_RTOL,
    MAX_GROWTH_RATIO,
    MIN_CELLS_PER_DEPTH,
    SECTIONS,
    SPECS,
    VALID_KEYS,
    Config,
    ConfigError,
    GridConfig,
    KeySpec,
    format_number,
    format_value,
    type_name,
)
from ecmjax.physics.materials import MATERIALS, fracture_energy_J_per_m2, fracture_toughness_Pa_sqrt_m

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

__all__ = ["check_devices", "load_config"]


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
    for section, specs in SPECS.items():
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

    config = Config(**{s: cls(**values[s]) for s, cls in SECTIONS.items()})
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
        f"{name} = {format_value(value)} must be a table [{name}] of keys"
        if name in SPECS
        else f"{name} = {format_value(value)} is not allowed at the top level: keys live in [section]"
        f" tables{_did_you_mean(name)}"
        for name, value in user.items()
        if not isinstance(value, Mapping)
    ]


def _check_keys(user: Mapping[str, Mapping[str, Any]]) -> list[str]:
    problems = []
    for section, given in user.items():
        if section not in SPECS:
            close = difflib.get_close_matches(section, SPECS, n=1)
            hint = f"did you mean [{close[0]}]? " if close else ""
            problems.append(f"unknown section [{section}]: {hint}valid sections: {', '.join(SPECS)}")
            continue
        problems += [
            f"unknown key {section}.{key}{_did_you_mean(f'{section}.{key}')}"
            f" (valid keys in [{section}]: {', '.join(SPECS[section])})"
            for key in given
            if key not in SPECS[section]
        ]
    return problems


def _did_you_mean(name: str) -> str:
    """``"; did you mean section.key?"`` for the nearest valid key, matched whole or by its key part."""
    close = difflib.get_close_matches(name, VALID_KEYS, n=1)
    if not close:
        by_key = {k.partition(".")[2]: k for k in VALID_KEYS}
        close = [by_key[k] for k in difflib.get_close_matches(name.rpartition(".")[2], by_key, n=1)]
    return f"; did you mean {close[0]}?" if close else ""


def _check_value(key: str, value: Any, spec: KeySpec) -> tuple[Any, str | None]:
    """The value converted to the spec's type, or a message naming key, value and what is allowed."""
    if spec.kind is str:
        if not isinstance(value, str):
            return None, f"{key} = {format_value(value)} has the wrong type ({type_name(value)}): {spec.rule}"
        if value not in spec.choices:
            return None, f"{key} = {format_value(value)} is not a valid choice: {spec.rule}"
        return value, None
    if spec.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            kind = f"wrong type ({type_name(value)})"
            return None, f"{key} = {format_value(value)} has the {kind}: must be an integer {spec.bounds}"
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = f"wrong type ({type_name(value)})"
        return None, f"{key} = {format_value(value)} has the {kind}: must be a number {spec.bounds}"
    else:
        value = float(value)
        if not math.isfinite(value):
            return None, f"{key} = {format_value(value)} is not finite: {spec.rule}"
    if not spec.in_range(value):
        return None, f"{key} = {format_value(value)} is out of range: {spec.rule}"
    return value, None


def _resolve_material(values: dict[str, Any], given: Mapping[str, Any]) -> list[str]:
    """Fill the material keys not given from the named set; derive the fracture measure not given.

    ``values`` holds the validated explicit keys and is completed in place; returns the problems.
    """
    toughness, energy = FRACTURE_KEYS
    if toughness in given and energy in given:
        return [
            f"material.{toughness} and material.{energy} are both given: give at most one; the other"
            f" is derived from it with the modulus and Poisson ratio, Gc = K_IC^2 (1 - nu^2) / E"
        ]
    if "name" in given and "name" not in values:  # an unknown name, already reported
        return []
    material_set = MATERIALS[values.setdefault("name", _default("material", "name"))]
    for key in (
        "youngs_modulus_Pa",
        "poisson_ratio",
        "phase_field_length_m",
        "ionic_conductivity_S_per_m",
        "tensile_strength_Pa",
        "compressive_strength_Pa",
    ):
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
            f"geometry.depth_m = {format_value(depth)} is out of range: must be < domain.thickness_m ="
            f" {format_value(domain.thickness_m)} (the defect is deeper than the electrolyte)"
        )
    elif domain.short_circuit_margin_m >= domain.thickness_m - depth:
        problems.append(
            f"domain.short_circuit_margin_m = {format_value(domain.short_circuit_margin_m)} is out of range: must be <"
            f" domain.thickness_m - geometry.depth_m = {format_number(domain.thickness_m - depth)} (the pit would"
            " already short the cell)"
        )
    if material.compressive_strength_Pa <= material.tensile_strength_Pa:
        problems.append(
            f"material.compressive_strength_Pa = {format_value(material.compressive_strength_Pa)} is out of range:"
            f" must be > material.tensile_strength_Pa = {format_value(material.tensile_strength_Pa)} (the"
            " Drucker-Prager strength surface needs a brittle material)"
        )
    if config.damage.nucleation == "strength" and config.damage.model != "AT1":
        problems.append(
            f"damage.nucleation = 'strength' is not allowed with damage.model = {config.damage.model!r}: must be"
            " 'AT1' (the strength term of Larsen, Dolbow and Lopez-Pamies is built on AT1)"
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
    solver = config.solver
    if solver.dtype == "float32" and solver.rtol < FLOAT32_MIN_RTOL:
        problems.append(
            f"solver.rtol = {format_value(solver.rtol)} is out of range for solver.dtype = 'float32': must be >="
            f" {FLOAT32_MIN_RTOL:g} (float32 residuals stall near 2e-4 of the load); use solver.rtol = 1e-3"
        )
    if half_width >= domain.width_m / 2:
        problems.append(
            f"defect half-width geometry.depth_m / geometry.aspect_ratio = {format_number(half_width)} is out"
            f" of range: must be < domain.width_m / 2 = {format_number(domain.width_m / 2)} (the defect is"
            " wider than the domain); raise geometry.aspect_ratio or domain.width_m"
        )
    if geometry.tip_radius_m > 0 and geometry.tip_radius_m >= min(depth, half_width):
        problems.append(
            f"geometry.tip_radius_m = {format_value(geometry.tip_radius_m)} is out of range: must be <"
            f" the defect half-width {format_number(half_width)} and < geometry.depth_m = {format_value(depth)}"
        )

    if grid.graded_cells:
        grading = _check_grading(config)
        if grading:
            return problems + grading
        hx = hy = config.cell_size_m
    else:
        hx, hy = config.simulated_width_m / grid.nx, domain.thickness_m / grid.ny
    if abs(hx - hy) > GRID_RTOL * max(hx, hy):
        ny_square = max(1, round(domain.thickness_m / hx))
        if abs(domain.thickness_m / ny_square - hx) <= GRID_RTOL * hx:
            fix = f"use grid.ny = {ny_square}"
        else:
            fix = (
                f"no integer grid.ny makes them square with this grid.nx; make domain.thickness_m a"
                f" multiple of hx, e.g. {format_number(ny_square * hx)} with grid.ny = {ny_square}"
            )
        problems.append(
            f"grid.ny = {grid.ny} gives non-square cells: hx = {format_number(hx)} m (simulated width"
            f" {format_number(config.simulated_width_m)} m / grid.nx = {grid.nx}) but hy = {format_number(hy)} m"
            f" (domain.thickness_m / grid.ny); cells must be square within {GRID_RTOL:g}"
            f" relative: {fix}"
        )
        return problems  # the resolution checks below need one cell size

    h = config.cell_size_m
    if depth / h < MIN_CELLS_PER_DEPTH * (1 - GRID_RTOL):
        problems.append(
            f"geometry.depth_m = {format_value(depth)} spans only {format_number(depth / h)} cells of"
            f" h = {format_number(h)} m:"
            f" the grid must resolve the defect with at least {MIN_CELLS_PER_DEPTH} cells;"
            f" {_refine(grid, h / (depth / MIN_CELLS_PER_DEPTH))}"
        )
    length = material.phase_field_length_m
    if h > length / 2 * (1 + GRID_RTOL):
        problems.append(
            f"material.phase_field_length_m = {format_value(length)} is not resolved by the grid: needs"
            f" h <= l/2, but h = {format_number(h)} m; raise material.phase_field_length_m to"
            f" >= {format_number(2 * h)},"
            f" or {_refine(grid, h / (length / 2))}"
        )
    return problems


def _check_grading(config: Config) -> list[str]:
    """A graded grid: 2D with mirror sides, its square columns cover the defect and a depth beyond it,
    and its graded columns widen smoothly (ratio in [1, ``MAX_GROWTH_RATIO``])."""
    grid, domain, geometry = config.grid, config.domain, config.geometry
    key = f"grid.graded_cells = {grid.graded_cells}"
    if domain.dimension == "3d" or domain.lateral_bc != "mirror":
        return [
            f"{key} is not allowed with domain.dimension = {domain.dimension!r} and domain.lateral_bc ="
            f" {domain.lateral_bc!r}: grading needs a plane-strain or axisymmetric grid with mirror sides"
            " (an isolated defect); use grid.graded_cells = 0"
        ]
    if grid.graded_cells >= grid.nx:
        return [f"{key} is out of range: must be < grid.nx = {grid.nx} (some columns must be square)"]
    h = config.cell_size_m
    core_m, needed_m = config.uniform_columns * h, geometry.half_width_m + geometry.depth_m
    if core_m < needed_m * (1 - GRID_RTOL):
        return [
            f"{key} leaves {config.uniform_columns} square columns ({format_number(core_m)} m of h ="
            f" domain.thickness_m / grid.ny = {format_number(h)} m), which must cover the defect's half-width"
            f" and a depth beyond it ({format_number(needed_m)} m): lower grid.graded_cells or raise grid.nx"
        ]
    if config.simulated_width_m < grid.nx * h * (1 - GRID_RTOL):
        return [
            f"domain.width_m = {format_value(domain.width_m)} is out of range for {key}: its half must be >="
            f" grid.nx * h = {format_number(grid.nx * h)} m (graded columns are at least h ="
            f" domain.thickness_m / grid.ny wide); widen domain.width_m or use fewer columns"
        ]
    ratio = float(config.x_cell_scale[config.uniform_columns])
    if ratio > MAX_GROWTH_RATIO * (1 + GRID_RTOL):
        return [
            f"{key} grows the columns by {format_number(ratio)} each, out of range: must be <= {MAX_GROWTH_RATIO}"
            f" to span domain.width_m = {format_value(domain.width_m)}; raise grid.graded_cells (and grid.nx) or"
            " narrow domain.width_m"
        ]
    return []


def _refine(grid: GridConfig, factor: float) -> str:
    """Advice to refine a square grid by at least ``factor``, keeping its cells square."""
    k = _ceil(factor)
    example = f"grid.nx = {k * grid.nx} and grid.ny = {k * grid.ny}"
    return f"refine the grid by a factor >= {format_number(factor)}, e.g. {example}"


def _default(section: str, key: str) -> Any:
    return next(f.default for f in dataclasses.fields(SECTIONS[section]) if f.name == key)


def _ceil(x: float) -> int:
    """Ceiling that ignores floating-point noise (``128.00000000000003 -> 128``)."""
    return math.ceil(x * (1 - GRID_RTOL))
