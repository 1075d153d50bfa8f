"""Tests of the material sets (physics/materials.py) and the TOML configuration (ecmjax/config.py)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import jax
import pytest

from ecmjax.config import (
    DEFAULTS,
    VALID_KEYS,
    Config,
    ConfigError,
    load_config,
)
from ecmjax.physics.materials import (
    MATERIALS,
    MaterialSet,
    fracture_energy_J_per_m2,
    fracture_toughness_Pa_sqrt_m,
    llzo,
    lpscl,
)


def write(tmp_path: Path, text: str, name: str = "case.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(overrides: list[str], path: Path | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    return str(info.value)


# --- materials -------------------------------------------------------------------------------------


def test_irwin_plane_strain_fracture_energy_of_the_named_sets():
    # Irwin, plane strain: Gc = K_IC^2 (1 - nu^2) / E; docs/model.md section 4 quotes 6.2 J/m^2 for LLZO.
    assert llzo.fracture_energy_J_per_m2 == pytest.approx(1.0e12 * (1 - 0.26**2) / 150e9, rel=1e-15)
    assert llzo.fracture_energy_J_per_m2 == pytest.approx(6.216, rel=1e-12)
    assert lpscl.fracture_energy_J_per_m2 == pytest.approx(0.0625e12 * 0.91 / 24e9, rel=1e-15)


def test_toughness_and_energy_are_inverse():
    energy = fracture_energy_J_per_m2(1.3e6, 140e9, 0.25)
    assert fracture_toughness_Pa_sqrt_m(energy, 140e9, 0.25) == pytest.approx(1.3e6, rel=1e-14)


def test_fracture_energy_is_differentiable():
    # d Gc / d K_IC = 2 K_IC (1 - nu^2) / E, against the closed form.
    grad = jax.grad(fracture_energy_J_per_m2)(1.0, 150.0, 0.26)
    assert float(grad) == pytest.approx(2 * (1 - 0.26**2) / 150.0, rel=1e-6)


def test_material_sets_are_named_immutable_pytrees():
    assert MATERIALS == {"llzo": llzo, "lpscl": lpscl}
    assert (llzo.youngs_modulus_Pa, llzo.poisson_ratio, llzo.ionic_conductivity_S_per_m) == (
        150e9,
        0.26,
        0.04,
    )
    assert (lpscl.youngs_modulus_Pa, lpscl.fracture_toughness_Pa_sqrt_m) == (24e9, 0.25e6)
    assert len(jax.tree_util.tree_leaves(llzo)) == 7  # the name is static
    with pytest.raises(dataclasses.FrozenInstanceError):
        llzo.youngs_modulus_Pa = 1.0  # type: ignore[misc]
    assert isinstance(llzo, MaterialSet)


# --- defaults and the result ------------------------------------------------------------------------


def test_defaults():
    config = load_config()
    assert config == Config()
    assert config.to_dict() == DEFAULTS
    assert json.loads(json.dumps(config.to_dict())) == DEFAULTS
    assert config.simulated_width_m == pytest.approx(3.2e-6, rel=1e-15)
    assert config.cell_size_m == pytest.approx(1e-7, rel=1e-15)
    assert config.geometry.half_width_m == 1e-6
    assert DEFAULTS["material"]["fracture_energy_J_per_m2"] == lpscl.fracture_energy_J_per_m2
    assert VALID_KEYS == sorted(f"{s}.{k}" for s, keys in DEFAULTS.items() for k in keys)
    assert len(VALID_KEYS) == 57


def test_config_is_an_immutable_pytree_with_float_leaves_and_static_ints_and_strings():
    config = load_config()
    leaves = jax.tree_util.tree_leaves(config)
    assert all(type(leaf) is float for leaf in leaves)
    n_floats = sum(type(v) is float for section in DEFAULTS.values() for v in section.values())
    assert len(leaves) == n_floats
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.grid.nx = 3  # type: ignore[misc]


def test_grad_and_jit_through_the_config():
    config = load_config(None, ["material.name=llzo"])

    def f(c: Config) -> jax.Array:
        return c.material.youngs_modulus_Pa * 1e-9 * c.geometry.depth_m * 1e6 + c.cell_size_m * 1e6

    grads = jax.grad(f)(config)
    assert float(grads.material.youngs_modulus_Pa) == pytest.approx(1e-9, rel=1e-6)
    assert float(grads.geometry.depth_m) == pytest.approx(150e9 * 1e-9 * 1e6, rel=1e-6)
    assert float(grads.domain.width_m) == pytest.approx(1e6 / 2 / 32, rel=1e-6)  # mirror: h = W/2/nx
    assert float(jax.jit(lambda c: c.cell_size_m)(config)) == pytest.approx(1e-7, rel=1e-6)


# --- files and overrides ----------------------------------------------------------------------------


def test_file_values_and_defaults_for_the_rest(tmp_path):
    path = write(
        tmp_path,
        """
[geometry]
shape = "triangle"
aspect_ratio = 0.5
[operating]
current_density_A_per_m2 = 20    # an integer is accepted for a float
[time]
t_end_s = 100
""",
    )
    config = load_config(path)
    assert config.geometry.shape == "triangle"
    assert config.geometry.half_width_m == 2e-6
    assert config.operating.current_density_A_per_m2 == 20.0
    assert type(config.time.t_end_s) is float
    assert config.domain == load_config().domain
    assert load_config(str(path)) == config


def test_overrides_parse_toml_values_or_bare_strings_and_apply_after_the_file(tmp_path):
    path = write(tmp_path, '[geometry]\nshape = "rectangle"\ndepth_m = 2e-6\n')
    config = load_config(
        path,
        [
            "geometry.shape=triangle",
            " geometry.depth_m = 1.5e-6 ",
            'domain.far_side_bc="fixed"',
            "time.t_end_s=10",
            "time.t_end_s=20",
        ],
    )
    assert config.geometry.shape == "triangle"
    assert config.geometry.depth_m == 1.5e-6
    assert config.domain.far_side_bc == "fixed"
    assert config.time.t_end_s == 20.0


def test_periodic_grid_spans_the_full_width():
    config = load_config(overrides=["domain.lateral_bc=periodic", "grid.nx=64"])
    assert config.simulated_width_m == 6.4e-6
    assert config.cell_size_m == pytest.approx(1e-7, rel=1e-15)


def test_material_defaults_from_the_named_set_and_explicit_keys_win(tmp_path):
    config = load_config(overrides=["material.name=lpscl"])
    assert config.material.youngs_modulus_Pa == lpscl.youngs_modulus_Pa
    assert config.material.ionic_conductivity_S_per_m == lpscl.ionic_conductivity_S_per_m
    assert config.material.fracture_energy_J_per_m2 == lpscl.fracture_energy_J_per_m2

    path = write(tmp_path, '[material]\nname = "lpscl"\nyoungs_modulus_Pa = 20e9\n')
    config = load_config(path)
    assert config.material.youngs_modulus_Pa == 20e9
    assert config.material.fracture_toughness_Pa_sqrt_m == lpscl.fracture_toughness_Pa_sqrt_m
    # The derived energy follows the resolved modulus: Gc = K^2 (1 - nu^2) / E.
    assert config.material.fracture_energy_J_per_m2 == pytest.approx(0.0625e12 * 0.91 / 20e9, rel=1e-15)


def test_fracture_energy_given_derives_the_toughness():
    config = load_config(overrides=["material.name=llzo", "material.fracture_energy_J_per_m2=10.0"])
    expected = math.sqrt(10.0 * 150e9 / (1 - 0.26**2))
    assert config.material.fracture_toughness_Pa_sqrt_m == pytest.approx(expected, rel=1e-15)
    assert config.material.fracture_energy_J_per_m2 == 10.0


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        ["material.name=lpscl", "material.poisson_ratio=0.31"],
        ["material.fracture_energy_J_per_m2=7.3"],  # toughness derived: the file must write the energy
        ["domain.lateral_bc=periodic", "grid.nx=64", "geometry.shape=rectangle", "geometry.tip_radius_m=1e-7"],
        [
            "solver.dtype=float32",
            "solver.rtol=1e-3",
            "kinetics.exchange_current_A_per_m2=1.0",
            "operating.li_pressure_Pa=0",
        ],
    ],
)
def test_to_toml_round_trips_exactly(tmp_path, overrides):
    config = load_config(overrides=overrides)
    text = config.to_toml()
    assert load_config(write(tmp_path, text)) == config
    assert load_config(write(tmp_path, text)).to_dict() == config.to_dict()


# --- errors: keys and structure ---------------------------------------------------------------------


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("geometry.depth=1e-6", ["unknown key geometry.depth", "did you mean geometry.depth_m?"]),
        ("grid.nz=3", ["unknown key grid.nz", "did you mean grid.n"]),
        ("geometri.depth_m=1e-6", ["unknown section [geometri]", "did you mean [geometry]?"]),
        ("nx=64", ["malformed", "section.key=value", "did you mean grid.nx?"]),
        ("grid.nx", ["malformed", "'grid.nx'", "section.key=value"]),
    ],
)
def test_unknown_or_malformed_keys_suggest_the_nearest(override, expected):
    message = error_of([override])
    for fragment in expected:
        assert fragment in message


def test_unknown_keys_in_a_file_and_top_level_values(tmp_path):
    path = write(tmp_path, "depth_m = 1e-6\ngrid = 3\n[material]\nyoungs_modulus = 1e9\n")
    message = error_of([], path)
    assert "3 configuration problems" in message
    assert "depth_m = 1e-06 is not allowed at the top level" in message
    assert "did you mean geometry.depth_m?" in message
    assert "grid = 3 must be a table [grid]" in message
    assert "unknown key material.youngs_modulus; did you mean material.youngs_modulus_Pa?" in message


def test_a_single_string_is_not_a_sequence_of_overrides():
    with pytest.raises(ConfigError, match="single string"):
        load_config(None, "grid.nx=64")  # type: ignore[arg-type]


def test_malformed_toml_names_the_file_and_line(tmp_path):
    path = write(tmp_path, "[geometry]\ndepth_m = 1e-6\nshape = triangle\n", name="broken.toml")
    message = error_of([], path)
    assert "broken.toml" in message
    assert "line 3" in message


def test_missing_file(tmp_path):
    message = error_of([], tmp_path / "absent.toml")
    assert "absent.toml" in message


# --- errors: values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ('geometry.depth_m="1e-6"', '"1e-6" has the wrong type (string): must be a number > 0'),
        ("geometry.depth_m=abc", '"abc" has the wrong type (string): must be a number > 0'),
        ("grid.nx=64.0", "64.0 has the wrong type (float): must be an integer >= 1"),
        ("grid.ny=true", "true has the wrong type (boolean): must be an integer >= 1"),
        ("operating.temperature_K=true", "true has the wrong type (boolean): must be a number > 0"),
        ("solver.max_newton_iterations=[3]", "[3] has the wrong type (list): must be an integer >= 1"),
        (
            "geometry.shape=3",
            '3 has the wrong type (integer): must be one of "semi-ellipse", "triangle", "rectangle"',
        ),
        ("solver.dtype=64", '64 has the wrong type (integer): must be one of "float64", "float32"'),
    ],
)
def test_wrong_types(override, expected):
    key = override.partition("=")[0]
    assert error_of([override]) == f"{key} = {expected}"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("geometry.depth_m=nan", "nan is not finite: must be > 0"),
        ("operating.stack_pressure_Pa=inf", "inf is not finite: must be >= 0"),
        ("material.poisson_ratio=-inf", "-inf is not finite: must be > -1 and < 0.5"),
    ],
)
def test_non_finite_numbers(override, expected):
    key = override.partition("=")[0]
    assert error_of([override]) == f"{key} = {expected}"


@pytest.mark.parametrize(
    ("override", "rule"),
    [
        ("geometry.depth_m=0", "must be > 0"),
        ("geometry.aspect_ratio=-1", "must be > 0"),
        ("geometry.fill_fraction=0", "must be > 0 and <= 1"),
        ("geometry.fill_fraction=1.5", "must be > 0 and <= 1"),
        ("geometry.tip_radius_m=-1e-9", "must be >= 0"),
        ("domain.width_m=-1e-5", "must be > 0"),
        ("domain.thickness_m=0", "must be > 0"),
        ("grid.nx=0", "must be >= 1"),
        ("grid.interface_width_cells=0.25", "must be >= 0.5 and <= 4"),
        ("grid.interface_width_cells=5", "must be >= 0.5 and <= 4"),
        ("material.youngs_modulus_Pa=0", "must be > 0"),
        ("material.poisson_ratio=0.5", "must be > -1 and < 0.5"),
        ("material.poisson_ratio=-1", "must be > -1 and < 0.5"),
        ("material.fracture_toughness_Pa_sqrt_m=-1e6", "must be > 0"),
        ("material.fracture_energy_J_per_m2=0", "must be > 0"),
        ("material.phase_field_length_m=0", "must be > 0"),
        ("material.ionic_conductivity_S_per_m=-0.04", "must be > 0"),
        ("kinetics.exchange_current_A_per_m2=0", "must be > 0"),
        ("kinetics.alpha_a=0", "must be > 0 and <= 1"),
        ("kinetics.alpha_c=1.01", "must be > 0 and <= 1"),
        ("operating.current_density_A_per_m2=-1", "must be >= 0"),
        ("operating.stack_pressure_Pa=-1", "must be >= 0"),
        ("operating.temperature_K=0", "must be > 0"),
        ("operating.li_pressure_Pa=-5e6", "must be >= 0"),
        ("time.t_end_s=0", "must be > 0"),
        ("solver.rtol=1", "must be > 0 and < 1"),
        ("solver.max_newton_iterations=0", "must be >= 1"),
        ("solver.max_krylov_iterations=-5", "must be >= 1"),
        ("solver.void_stiffness_ratio=0", "must be > 0 and < 1"),
        ("solver.void_conductivity_ratio=1", "must be > 0 and < 1"),
        ("solver.domain_devices=0", "must be >= 1"),
    ],
)
def test_out_of_range(override, rule):
    key, _, text = override.partition("=")
    integer_keys = ("grid.nx", "solver.max_newton_iterations", "solver.max_krylov_iterations", "solver.domain_devices")
    shown = text if key in integer_keys else repr(float(text))
    assert error_of([override]) == f"{key} = {shown} is out of range: {rule}"


def test_example_message_of_the_brief():
    message = error_of(["geometry.aspect_ratio=-1.0"])
    assert message == "geometry.aspect_ratio = -1.0 is out of range: must be > 0"


@pytest.mark.parametrize(
    ("override", "choices"),
    [
        ("geometry.shape=circle", '"semi-ellipse", "triangle", "rectangle"'),
        ("material.name=sulfide", '"llzo", "lpscl"'),
        ("domain.lateral_bc=free", '"mirror", "periodic"'),
        ("domain.far_side_bc=clamped", '"traction-free", "fixed"'),
        ("solver.dtype=float16", '"float64", "float32"'),
    ],
)
def test_unknown_choices_list_the_choices(override, choices):
    key, _, value = override.partition("=")
    expected = f'{key} = "{value}" is not a valid choice: must be one of {choices}'
    assert error_of([override]) == expected


def test_both_fracture_measures_given():
    message = error_of(["material.fracture_toughness_Pa_sqrt_m=1e6", "material.fracture_energy_J_per_m2=6.0"])
    assert "material.fracture_toughness_Pa_sqrt_m" in message
    assert "material.fracture_energy_J_per_m2" in message
    assert "at most one" in message


def test_an_invalid_input_is_reported_once_without_follow_up_errors():
    # An invalid modulus must not also break the derivation of the toughness from the energy.
    with pytest.raises(ConfigError) as info:
        load_config(overrides=["material.youngs_modulus_Pa=-1", "material.fracture_energy_J_per_m2=5"])
    assert info.value.problems == ("material.youngs_modulus_Pa = -1.0 is out of range: must be > 0",)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        load_config(overrides=["geometry.depth_m=-1", "grid.nx=2.5", "material.name=x", "foo.bar=1"])
    assert len(info.value.problems) == 4
    assert str(info.value).startswith("4 configuration problems:")


# --- errors: cross-key constraints ------------------------------------------------------------------


def test_strength_nucleation_needs_a_brittle_surface_and_at1():
    message = error_of(["material.compressive_strength_Pa=50e6"])
    assert "material.compressive_strength_Pa = 50000000.0" in message and "> material.tensile_strength_Pa" in message
    message = error_of(["damage.nucleation=strength"])
    assert "damage.nucleation = 'strength'" in message and "damage.model = 'AT2'" in message and "'AT1'" in message
    config = load_config(None, ["damage.nucleation=strength", "damage.model=AT1", "material.name=llzo"])
    assert (config.material.tensile_strength_Pa, config.material.compressive_strength_Pa) == (150e6, 2250e6)


def test_defect_deeper_than_the_electrolyte():
    message = error_of(["geometry.depth_m=6.4e-6", "geometry.aspect_ratio=4"])
    assert message == (
        "geometry.depth_m = 6.4e-06 is out of range: must be < domain.thickness_m = 6.4e-06"
        " (the defect is deeper than the electrolyte)"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        ["geometry.aspect_ratio=0.3125"],
        ["geometry.aspect_ratio=0.3125", "domain.lateral_bc=periodic", "grid.nx=64"],
    ],
)
def test_defect_wider_than_the_domain(overrides):
    # Half-width 1e-6 / 0.3125 = 3.2e-6 = width_m / 2 exactly, for mirror and periodic sides alike.
    message = error_of(overrides)
    assert "geometry.depth_m / geometry.aspect_ratio = 3.2e-06" in message
    assert "must be < domain.width_m / 2 = 3.2e-06" in message
    assert load_config(overrides=[*overrides, "geometry.aspect_ratio=0.32"])


def test_float32_refuses_a_tolerance_below_its_residual_floor():
    # docs/scaling.md, "Precision": float32 Newton residuals stall near 2e-4 of the load; the default 1e-8 made
    # the first potential solve of a float32 run fail.
    assert error_of(["solver.dtype=float32"]) == (
        "solver.rtol = 1e-08 is out of range for solver.dtype = 'float32': must be >= 0.0001 (float32"
        " residuals stall near 2e-4 of the load); use solver.rtol = 1e-3"
    )
    assert load_config(overrides=["solver.dtype=float32", "solver.rtol=1e-4"]).solver.rtol == 1e-4


def test_tip_radius_must_fit_the_defect():
    message = error_of(["geometry.shape=rectangle", "geometry.aspect_ratio=2", "geometry.tip_radius_m=0.5e-6"])
    assert "geometry.tip_radius_m = 5e-07 is out of range" in message
    assert "half-width 5e-07" in message
    assert "geometry.depth_m = 1e-06" in message


def test_non_square_cells_suggest_ny():
    message = error_of(["grid.ny=200"])
    assert message.startswith("grid.ny = 200 gives non-square cells")
    assert "use grid.ny = 64" in message
    message = error_of(["domain.lateral_bc=periodic"])
    assert "use grid.ny = 32" in message


def test_non_square_cells_without_an_integer_ny():
    message = error_of(["domain.thickness_m=6.41e-6"])
    assert "grid.ny = 64 gives non-square cells" in message
    assert "make domain.thickness_m a multiple of hx" in message


def test_cells_square_within_rounding_are_accepted():
    # 3.3e-6 vs 3.3e-6 * (1 + 2 ulp): hx and hy differ only by rounding.
    config = load_config(overrides=["domain.width_m=3.3e-6", "domain.thickness_m=3.3000000000000006e-6"])
    hy = config.domain.thickness_m / config.grid.ny
    assert config.cell_size_m != hy
    assert config.cell_size_m == pytest.approx(hy, rel=1e-9)


def test_grid_must_resolve_the_defect():
    message = error_of(["geometry.depth_m=0.6e-6"])  # 6 cells of 100 nm
    assert message.startswith("geometry.depth_m = 6e-07 spans only 6 cells")
    assert "at least 8 cells" in message
    assert "grid.nx = 64 and grid.ny = 128" in message
    assert load_config(overrides=["geometry.depth_m=0.8e-6"]).geometry.depth_m == 0.8e-6  # 8 cells


def test_grid_must_resolve_the_phase_field_length():
    message = error_of(["material.phase_field_length_m=0.16e-6"])
    assert message.startswith("material.phase_field_length_m = 1.6e-07 is not resolved")
    assert "h <= l/2" in message
    assert "grid.nx = 64 and grid.ny = 128" in message
    # The default sits exactly on h = l/2 and is accepted; so is a coarser grid with a longer l (and a
    # defect deep enough for the 8 cells of 200 nm the coarser grid needs).
    config = load_config()
    assert config.cell_size_m == pytest.approx(config.material.phase_field_length_m / 2, rel=1e-15)
    assert load_config(
        overrides=["grid.nx=16", "grid.ny=32", "material.phase_field_length_m=0.4e-6", "geometry.depth_m=2e-6"]
    )
