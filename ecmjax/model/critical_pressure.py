"""The critical-pressure estimate of a configured cell: can its plating crack a flaw of a given depth?

The physics (edge-crack critical pressure, Monroe-Newman cap, critical current density) is in
:mod:`ecmjax.physics.critical`; this module applies it to a :class:`~ecmjax.config.Config` and reports.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from ecmjax.config import Config, ConfigError
from ecmjax.physics.critical import critical_current_density_A_per_m2, interface_overpotential_V
from ecmjax.physics.fracture import edge_crack_critical_pressure_Pa
from ecmjax.physics.kinetics import li_pressure_cap_Pa, li_pressure_overpotential_V

__all__ = ["check_flaw_depth", "critical_pressure_report", "format_report"]


def check_flaw_depth(flaw_depth_m: float, thickness_m: float, *, name: str = "flaw_depth_m") -> None:
    """Raise :class:`ConfigError`, naming ``name``, unless ``0 < c < L``: a flaw through the cell is a short."""
    rule = f"must be > 0 and < domain.thickness_m = {thickness_m!r} (the electrolyte thickness)"
    depth = float(flaw_depth_m)
    if not math.isfinite(depth):
        raise ConfigError(f"{name} = {depth!r} is not finite: {rule}")
    if not 0.0 < depth < thickness_m:
        raise ConfigError(f"{name} = {depth!r} is out of range: {rule}")


def critical_pressure_report(config: Config, flaw_depth_m: float) -> dict[str, float | bool]:
    """Critical pressure of a flaw of depth ``c`` in the configured electrolyte, and what the cell needs to reach it.

    Returns unit-suffixed floats: the critical pressure and overpotential, the critical current density
    and its split into interface overpotential and ohmic drop over the flaw; for the configured current
    density ``j_app`` the interface overpotential, the pressure cap it alone gives (``F |eta_BV| / Omega_Li``),
    the ohmic drops over the flaw and (for context) over the whole electrolyte, and the cap at the flaw tip.
    ``reaches_critical_pressure`` is ``j_app >= j_c``. Computed in JAX's current precision.

    Raises:
        ConfigError: if the flaw depth is not in ``(0, domain.thickness_m)``, before any compute.
    """
    check_flaw_depth(flaw_depth_m, config.domain.thickness_m)
    material, kinetics, operating = config.material, config.kinetics, config.operating
    depth, conductivity = flaw_depth_m, material.ionic_conductivity_S_per_m
    butler_volmer = (kinetics.exchange_current_A_per_m2, kinetics.alpha_a, kinetics.alpha_c, operating.temperature_K)

    pressure = edge_crack_critical_pressure_Pa(material.fracture_toughness_Pa_sqrt_m, depth)
    overpotential = li_pressure_overpotential_V(pressure)
    critical_current = critical_current_density_A_per_m2(overpotential, depth, conductivity, *butler_volmer)
    critical_drop = critical_current * depth / conductivity

    current = operating.current_density_A_per_m2
    interface = jnp.abs(interface_overpotential_V(current, *butler_volmer))
    flaw_drop = current * depth / conductivity
    values = {
        "flaw_depth_m": depth,
        "fracture_toughness_Pa_sqrt_m": material.fracture_toughness_Pa_sqrt_m,
        "critical_pressure_Pa": pressure,
        "critical_overpotential_V": overpotential,
        "critical_current_density_A_per_m2": critical_current,
        "critical_interface_overpotential_V": overpotential - critical_drop,
        "critical_flaw_ohmic_drop_V": critical_drop,
        "applied_current_density_A_per_m2": current,
        "applied_interface_overpotential_V": interface,
        "pressure_cap_Pa": li_pressure_cap_Pa(interface),
        "applied_flaw_ohmic_drop_V": flaw_drop,
        "flaw_pressure_cap_Pa": li_pressure_cap_Pa(interface + flaw_drop),
        "applied_cell_ohmic_drop_V": current * config.domain.thickness_m / conductivity,
    }
    report: dict[str, float | bool] = {key: float(value) for key, value in values.items()}
    report["reaches_critical_pressure"] = (
        report["applied_current_density_A_per_m2"] >= report["critical_current_density_A_per_m2"]
    )
    return report


def format_report(report: dict[str, float | bool], config: Config) -> str:
    """The report of :func:`critical_pressure_report` as aligned text for a terminal."""
    r = report
    material, kinetics = config.material, config.kinetics
    mpa, mv = 1e-6, 1e3
    rows = [
        (
            f"{material.name}, flaw depth c = {r['flaw_depth_m'] * 1e6:.4g} um,"
            f" K_IC = {r['fracture_toughness_Pa_sqrt_m'] * mpa:.4g} MPa m^0.5",
            None,
        ),
        ("  critical pressure p_c = K_IC / (1.1215 sqrt(pi c))", f"{r['critical_pressure_Pa'] * mpa:.4g} MPa"),
        ("  overpotential to reach it, Omega_Li p_c / F", f"{r['critical_overpotential_V'] * mv:.4g} mV"),
        (
            "  critical current density j_c",
            f"{r['critical_current_density_A_per_m2']:.4g} A/m^2"
            f" ({r['critical_current_density_A_per_m2'] * 0.1:.4g} mA/cm^2)",
        ),
        ("    interface overpotential |eta_BV(j_c)|", f"{r['critical_interface_overpotential_V'] * mv:.4g} mV"),
        ("    ohmic drop over the flaw j_c c / kappa", f"{r['critical_flaw_ohmic_drop_V'] * mv:.4g} mV"),
        (
            f"configured cell: j_app = {r['applied_current_density_A_per_m2']:.4g} A/m^2,"
            f" i0 = {kinetics.exchange_current_A_per_m2:.4g} A/m^2,"
            f" alpha_a/c = {kinetics.alpha_a:g}/{kinetics.alpha_c:g},"
            f" kappa = {material.ionic_conductivity_S_per_m:.4g} S/m, L = {config.domain.thickness_m * 1e6:.4g} um",
            None,
        ),
        ("  interface overpotential |eta_BV(j_app)|", f"{r['applied_interface_overpotential_V'] * mv:.4g} mV"),
        ("  pressure cap F |eta_BV(j_app)| / Omega_Li", f"{r['pressure_cap_Pa'] * mpa:.4g} MPa"),
        ("  ohmic drop over the flaw j_app c / kappa", f"{r['applied_flaw_ohmic_drop_V'] * mv:.4g} mV"),
        ("  pressure cap at the flaw tip (with that drop)", f"{r['flaw_pressure_cap_Pa'] * mpa:.4g} MPa"),
        ("  ohmic drop over the cell j_app L / kappa", f"{r['applied_cell_ohmic_drop_V'] * mv:.4g} mV (context)"),
    ]
    width = max(len(label) for label, value in rows if value is not None) + 2
    lines = [label if value is None else f"{label + ':':<{width}}{value}" for label, value in rows]
    j_app, j_c = r["applied_current_density_A_per_m2"], r["critical_current_density_A_per_m2"]
    if r["reaches_critical_pressure"]:
        verdict = f"can reach p_c (j_app = {j_app:.4g} >= j_c = {j_c:.4g} A/m^2): the flaw can crack"
    else:
        verdict = f"cannot reach p_c (j_app = {j_app:.4g} < j_c = {j_c:.4g} A/m^2): the flaw survives"
    return "\n".join([*lines, f"verdict: the configured cell {verdict}"])
