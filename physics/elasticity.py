"""Plane-strain linear elasticity of the electrolyte with a tension-compression energy split.

Small strain, isotropic (``E``, ``nu``), plane strain (``eps_zz = 0``) or axisymmetric (``zz`` is then
the hoop direction, ``eps_zz = u_r / r``; the in-plane components are ``r, z``). The strain energy density is
split volumetric-deviatorically (Amor, Marigo and Maurini 2009) so that a degradation ``g(d)`` acting
on the tensile part ``psi+`` can never soften compression:

    psi = g(d) psi+ + psi-,   psi+ = K/2 <tr eps>+^2 + mu eps_dev : eps_dev,   psi- = K/2 <tr eps>-^2

with ``K = lambda + 2 mu / 3``. With ``g = 1`` this is exactly ``lambda/2 (tr eps)^2 + mu eps : eps``.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float


class Strain(eqx.Module):
    """Small-strain components; the shears are tensor shears. ``zz`` is 0 in plane strain and the hoop
    strain ``u_r / r`` in axisymmetry; ``xz`` and ``yz`` are 0 except in 3D."""

    xx: Float[Array, "..."]
    yy: Float[Array, "..."]
    xy: Float[Array, "..."]
    zz: Float[Array, "..."] | float = 0.0
    xz: Float[Array, "..."] | float = 0.0
    yz: Float[Array, "..."] | float = 0.0

    @property
    def trace(self) -> Float[Array, "..."]:
        return self.xx + self.yy + self.zz

    def deviator_squared(self) -> Float[Array, "..."]:
        """``eps_dev : eps_dev`` of the 3D strain."""
        third = self.trace / 3.0
        normal = (self.xx - third) ** 2 + (self.yy - third) ** 2 + (self.zz - third) ** 2
        return normal + 2.0 * (self.xy**2 + self.xz**2 + self.yz**2)


class Stress(eqx.Module):
    """Cauchy stress components in Pa; ``zz`` is the out-of-plane stress that plane strain implies, or
    the hoop stress ``sigma_theta theta`` of an axisymmetric body; ``xz`` and ``yz`` are 0 except in 3D."""

    xx: Float[Array, "..."]
    yy: Float[Array, "..."]
    xy: Float[Array, "..."]
    zz: Float[Array, "..."]
    xz: Float[Array, "..."] | float = 0.0
    yz: Float[Array, "..."] | float = 0.0

    def von_mises_Pa(self) -> Float[Array, "..."]:
        normal = (self.xx - self.yy) ** 2 + (self.yy - self.zz) ** 2 + (self.zz - self.xx) ** 2
        return jnp.sqrt(0.5 * normal + 3.0 * (self.xy**2 + self.xz**2 + self.yz**2))

    def hoop_Pa(self, *coordinates_m: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
        """Stress along the circumferential direction about the origin (the defect centre) in the plane
        through the point and the depth axis: the in-plane one at ``(x, y)``; on an axisymmetric grid the
        meridional one (the azimuthal hoop stress is ``zz``); at ``(x, y, z)`` the meridional one about the
        ``z`` axis, with the radial direction ``(x, y) / rho`` (``x`` on the axis itself)."""
        if len(coordinates_m) == 2:
            radial, depth = coordinates_m
            rr, dd, rd = self.xx, self.yy, self.xy
        else:
            x, y, depth = coordinates_m
            radial = jnp.hypot(x, y)
            on_axis = radial == 0
            safe_radial = jnp.where(on_axis, 1.0, radial)
            cos, sin = jnp.where(on_axis, 1.0, x / safe_radial), y / safe_radial  # y = 0 on the axis
            rr = self.xx * cos**2 + self.yy * sin**2 + 2.0 * self.xy * sin * cos
            dd, rd = self.zz, self.xz * cos + self.yz * sin
        theta = jnp.arctan2(depth, radial)
        s, c = jnp.sin(theta), jnp.cos(theta)
        return rr * s**2 + dd * c**2 - 2.0 * rd * s * c


def lame_parameters_Pa(youngs_modulus_Pa, poisson_ratio) -> tuple[Float[Array, "..."], Float[Array, "..."]]:
    """Shear modulus ``mu`` and Lame's ``lambda`` (3D, as plane strain uses them), in Pa."""
    mu = youngs_modulus_Pa / (2.0 * (1.0 + poisson_ratio))
    lam = youngs_modulus_Pa * poisson_ratio / ((1.0 + poisson_ratio) * (1.0 - 2.0 * poisson_ratio))
    return jnp.asarray(mu), jnp.asarray(lam)


def void_stiffness(void_indicator: Float[ArrayLike, "..."], void_ratio) -> Float[Array, "..."]:
    """Stiffness factor of the ersatz material: 1 in the solid, ``void_ratio`` (tiny) in a void, linear
    across the void's diffuse wall. A void of a small stiffness rather than none keeps the elastic
    operator regular."""
    return (1.0 - void_indicator) + void_ratio * void_indicator


def degradation(damage: Float[ArrayLike, "..."], residual_stiffness: float = 1e-6) -> Float[Array, "..."]:
    """Stiffness degradation ``g(d) = (1 - d)^2 + k_res`` of the phase-field model."""
    return (1.0 - damage) ** 2 + residual_stiffness


def _bulk_modulus_Pa(mu, lam):
    return lam + 2.0 * mu / 3.0


def _trace_parts(strain: Strain) -> tuple[Float[Array, "..."], Float[Array, "..."]]:
    """``<tr eps>+`` and ``<tr eps>-``, split with ``where`` rather than ``max``/``min``.

    At ``tr eps = 0`` (every unstrained cell, e.g. the start of a Newton solve from ``u = 0``),
    ``jnp.maximum`` and ``jnp.minimum`` each take half of the derivative, which gives the Hessian a
    bulk modulus of ``K (1 + g) / 4`` there: half of ``K`` in undamaged electrolyte. ``where`` sends
    the whole derivative to the compressive side, so an undamaged solid is exactly linear elastic.
    """
    trace = strain.trace
    tensile = trace > 0
    return jnp.where(tensile, trace, 0.0), jnp.where(tensile, 0.0, trace)


def tensile_energy_density_J_per_m3(strain: Strain, mu, lam) -> Float[Array, "..."]:
    """``psi+``: the part of the strain energy that drives (and is degraded by) damage."""
    positive_trace = _trace_parts(strain)[0]
    return 0.5 * _bulk_modulus_Pa(mu, lam) * positive_trace**2 + mu * strain.deviator_squared()


def strain_energy_density_J_per_m3(strain: Strain, mu, lam, degradation_factor=1.0) -> Float[Array, "..."]:
    """``psi = g psi+ + psi-`` in J/m^3."""
    negative_trace = _trace_parts(strain)[1]
    compressive = 0.5 * _bulk_modulus_Pa(mu, lam) * negative_trace**2
    return degradation_factor * tensile_energy_density_J_per_m3(strain, mu, lam) + compressive


def stress_Pa(strain: Strain, mu, lam, degradation_factor=1.0) -> Stress:
    """``sigma = d psi / d eps``: the split stress, with the out-of-plane ``sigma_zz``."""
    bulk = _bulk_modulus_Pa(mu, lam)
    trace = strain.trace
    positive_trace, negative_trace = _trace_parts(strain)
    pressure_part = bulk * (degradation_factor * positive_trace + negative_trace)
    shear = 2.0 * mu * degradation_factor
    third = trace / 3.0
    return Stress(
        xx=pressure_part + shear * (strain.xx - third),
        yy=pressure_part + shear * (strain.yy - third),
        xy=shear * strain.xy,
        zz=pressure_part + shear * (strain.zz - third),
        xz=shear * strain.xz,
        yz=shear * strain.yz,
    )
