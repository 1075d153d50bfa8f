"""Critical pressure of a Li-filled surface flaw, and the current density that reaches it.

A flaw of depth ``c`` in the electrolyte surface, filled with Li from the anode, grows once the Li
pressure reaches the edge-crack critical pressure ``p_c = K_IC / (1.1215 sqrt(pi c))``. Plating can
pressurise the Li at most to ``F eta / Omega_Li`` (Monroe-Newman; MODEL.md section 3b), ``eta`` being the
driving overpotential that the Li in the flaw sees. In a flat cell at plating current density ``j`` that
is the anode's interfacial Butler-Volmer overpotential ``|eta_BV(j)|`` plus the ohmic drop ``j c / kappa``
over the flaw depth (the flaw tip reaches ``c`` into the electrolyte's potential gradient). The critical
current density ``j_c`` solves ``|eta_BV(j_c)| + j_c c / kappa = Omega_Li p_c / F``: above it plating can
crack the electrolyte at that flaw, below it the flaw survives.

Butler-Volmer with general transfer coefficients has no closed-form inverse, so both equations are
solved for the interfacial overpotential by bisection on a bracket known in closed form
(:class:`optimistix.Bisection`): jittable, and differentiable in every input through the implicit
function theorem.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, ArrayLike, Float

from .config import Config, ConfigError
from .physics.fracture import edge_crack_critical_pressure_Pa
from .physics.kinetics import inverse_thermal_voltage_per_V, li_pressure_cap_Pa, li_pressure_overpotential_V

__all__ = [
    "check_flaw_depth",
    "critical_current_density_A_per_m2",
    "critical_pressure_report",
    "flaw_overpotential_V",
    "format_report",
    "interface_overpotential_V",
]


def interface_overpotential_V(
    current_density_A_per_m2: Float[ArrayLike, ""],
    exchange_current_A_per_m2: Float[ArrayLike, ""],
    alpha_a: Float[ArrayLike, ""],
    alpha_c: Float[ArrayLike, ""],
    temperature_K: Float[ArrayLike, ""],
) -> Float[Array, ""]:
    """Overpotential at which Butler-Volmer carries the current density ``j`` (plating ``j > 0``: ``eta < 0``), in V.

    The numerical inverse of :func:`~ecmjax.physics.kinetics.butler_volmer_current_A_per_m2` for any
    ``alpha_a``, ``alpha_c``; for ``1/2, 1/2`` it is ``symmetric_overpotential_V``. Stripping (``j < 0``)
    is plating with the two coefficients swapped.
    """
    current = jnp.asarray(current_density_A_per_m2)
    plating = current >= 0
    alpha_driving = jnp.where(plating, alpha_c, alpha_a)
    alpha_other = jnp.where(plating, alpha_a, alpha_c)
    ratio = jnp.where(plating, current, -current) / exchange_current_A_per_m2
    # u = F |eta| / (R T) lies in [0, U], U = log(1 + J) / alpha_driving since BV >= i0 (exp(alpha_d u) - 1);
    # solved as w = u / U in [-1, 1] (a strict sign change, also at J = 0 where U is set to 1), which keeps
    # the tolerance relative to u however small the current.
    scale = jnp.where(ratio > 0, jnp.log1p(ratio) / alpha_driving, 1.0)
    w = _bisect(_interface_residual, (ratio, alpha_driving, alpha_other, scale), -1.0, 1.0)
    u = w * scale
    return jnp.where(plating, -u, u) / inverse_thermal_voltage_per_V(temperature_K)


def flaw_overpotential_V(
    current_density_A_per_m2: Float[ArrayLike, ""],
    flaw_depth_m: Float[ArrayLike, ""],
    ionic_conductivity_S_per_m: Float[ArrayLike, ""],
    exchange_current_A_per_m2: Float[ArrayLike, ""],
    alpha_a: Float[ArrayLike, ""],
    alpha_c: Float[ArrayLike, ""],
    temperature_K: Float[ArrayLike, ""],
) -> Float[Array, ""]:
    """Driving overpotential of Li at the tip of a flaw of depth ``c``: ``|eta_BV(j)| + j c / kappa``, in V."""
    interface = jnp.abs(
        interface_overpotential_V(current_density_A_per_m2, exchange_current_A_per_m2, alpha_a, alpha_c, temperature_K)
    )
    return interface + jnp.asarray(current_density_A_per_m2) * flaw_depth_m / ionic_conductivity_S_per_m


def critical_current_density_A_per_m2(
    critical_overpotential_V: Float[ArrayLike, ""],
    flaw_depth_m: Float[ArrayLike, ""],
    ionic_conductivity_S_per_m: Float[ArrayLike, ""],
    exchange_current_A_per_m2: Float[ArrayLike, ""],
    alpha_a: Float[ArrayLike, ""],
    alpha_c: Float[ArrayLike, ""],
    temperature_K: Float[ArrayLike, ""],
) -> Float[Array, ""]:
    """Plating current density at which the flaw tip sees ``eta_c``: the inverse of :func:`flaw_overpotential_V`.

    Solved for the interfacial part ``s = |eta_BV(j_c)|`` of ``eta_c``, which gives ``j_c`` explicitly by
    Butler-Volmer. ``s`` is bracketed by ``0`` and ``min(eta_c, log(1 + eta_c kappa / (c i0)) / (alpha_c f))``
    (``f = F / (R T)``), the second because ``i0 (exp(alpha_c f s) - 1) <= j_c <= eta_c kappa / c``;
    so nothing overflows.
    """
    f = inverse_thermal_voltage_per_V(temperature_K)
    target = f * jnp.asarray(critical_overpotential_V)  # eta_c in thermal voltages
    ohmic = f * exchange_current_A_per_m2 * flaw_depth_m / ionic_conductivity_S_per_m  # f i0 c / kappa
    upper = jnp.minimum(1.0, jnp.log1p(target / ohmic) / (alpha_c * target))  # of s / eta_c
    w = _bisect(_critical_residual, (target, ohmic, alpha_a, alpha_c, upper), 0.0, 1.0)
    u = w * upper * target
    return exchange_current_A_per_m2 * (jnp.expm1(alpha_c * u) - jnp.expm1(-alpha_a * u))


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


def _tolerance() -> float:
    """Relative tolerance of the bisections: well above round-off of JAX's current precision."""
    return 1e-11 if jnp.result_type(float) == jnp.float64 else 1e-5


def _bisect(residual, args, lower, upper) -> Float[Array, ""]:
    """Root of an increasing scalar ``residual(y, args)`` in ``[lower, upper]`` (signs must differ)."""
    tolerance = _tolerance()
    solver = optx.Bisection(rtol=tolerance, atol=tolerance)
    lower, upper = jnp.asarray(lower, float), jnp.asarray(upper, float)
    y0 = 0.5 * (lower + upper)
    return optx.root_find(residual, solver, y0, args, options={"lower": lower, "upper": upper}).value


def _interface_residual(w, args):
    """Butler-Volmer ``exp(alpha_d u) - exp(-alpha_o u) = J`` as ``u = log(J + exp(-alpha_o u)) / alpha_d``, over ``U``.

    ``u = w U = F |eta| / (R T)``; ``J = |j| / i0``. Increasing in ``w``, of order one, free of overflow, and
    (``log1p``, ``expm1``) accurate to round-off relative to ``u`` also for small currents.
    """
    ratio, alpha_driving, alpha_other, scale = args
    u = w * scale
    return w - jnp.log1p(ratio + jnp.expm1(-alpha_other * u)) / (alpha_driving * scale)


def _critical_residual(w, args):
    """``|eta_BV| + j c / kappa - eta_c``, over ``eta_c``, at the interfacial overpotential ``w`` times its bound.

    ``expm1`` keeps the small currents of the ohmic limit (fast kinetics) free of cancellation.
    """
    target, ohmic, alpha_a, alpha_c, upper = args
    v = w * upper  # s / eta_c
    u = v * target
    return v + ohmic * (jnp.expm1(alpha_c * u) - jnp.expm1(-alpha_a * u)) / target - 1.0
