"""Closed-form solutions used as references by the validation cases and tests.

Elliptic hole in an infinite plane-strain plate (Kolosov-Muskhelishvili complex potentials, with the
conformal map ``z = R (zeta + m / zeta)``; Muskhelishvili, *Some basic problems of the mathematical theory
of elasticity*, 1953, sections 48 and 82): the hole has semi-axes ``a`` along ``x`` and ``b`` along ``y``,
is loaded by an internal pressure ``p`` and/or a remote uniaxial stress ``s`` along ``y``. The exact
field gives far-field boundary values for small computational boxes, and the wall stresses reduce to
Lame (``a = b``: hoop ``p``) and Inglis (``p (2a/b - 1)`` and ``s (1 + 2a/b)`` at ``(a, 0)``).
"""

import numpy as np


class SphericalCavitySolution:
    """Lame (1852): a spherical cavity of radius ``a`` under pressure ``p`` in an infinite solid.

    Radial displacement ``u = p a^3 / (4 mu rho^2)`` at distance ``rho`` from the centre; stresses
    ``sigma_rr = -p a^3 / rho^3`` and hoop ``p a^3 / (2 rho^3)``: ``p / 2`` at the wall (Timoshenko &
    Goodier, *Theory of elasticity*, 3rd ed., section 137, with the outer radius taken to infinity).
    """

    def __init__(self, radius_m, youngs_modulus_Pa, poisson_ratio, pressure_Pa):
        self.radius_m = radius_m
        self.mu = youngs_modulus_Pa / (2.0 * (1.0 + poisson_ratio))
        self.p = pressure_Pa

    def displacement_m(self, *coordinates):
        """The displacement components at points given by their coordinates about the centre: ``(r, z)``
        in a meridian plane or ``(x, y, z)`` in space (the field is radial, ``u = u(rho) x / rho``)."""
        coordinates = [np.asarray(c) for c in coordinates]
        rho3 = np.sqrt(sum(c**2 for c in coordinates)) ** 3
        scale = self.p * self.radius_m**3 / (4.0 * self.mu * rho3)
        return tuple(scale * c for c in coordinates)

    @property
    def wall_hoop_stress_Pa(self) -> float:
        return 0.5 * self.p

    @property
    def volume_change_m3(self) -> float:
        """What the pressure adds to the cavity's volume: ``4 pi a^2`` times the wall displacement."""
        return 4.0 * np.pi * self.radius_m**2 * self.p * self.radius_m / (4.0 * self.mu)


class EllipticHoleSolution:
    """Exact stresses and displacements around a pressurised elliptic hole under remote y-tension."""

    def __init__(self, a_m, b_m, youngs_modulus_Pa, poisson_ratio, pressure_Pa=0.0, remote_stress_Pa=0.0):
        self.R = 0.5 * (a_m + b_m)
        self.m = (a_m - b_m) / (a_m + b_m)
        self.p = pressure_Pa
        self.gamma = remote_stress_Pa / 4.0  # (sigma_xx + sigma_yy) / 4 at infinity
        # Coefficient of 1/zeta in phi fixed by the traction-free hole under remote tension.
        self.A = -self.R * (remote_stress_Pa / 2.0 + self.m * self.gamma)
        self.mu = youngs_modulus_Pa / (2.0 * (1.0 + poisson_ratio))
        self.kappa = 3.0 - 4.0 * poisson_ratio  # plane strain

    def zeta(self, z):
        """Inverse of the conformal map, the root with ``|zeta| >= 1``."""
        root = np.sqrt(z * z - 4.0 * self.R**2 * self.m + 0j)
        first, second = (z + root) / (2 * self.R), (z - root) / (2 * self.R)
        return np.where(np.abs(first) >= np.abs(second), first, second)

    def _potentials(self, zeta):
        """``phi, phi', phi'', psi, psi'`` as functions of zeta (primes are zeta-derivatives)."""
        R, m, p, G, A = self.R, self.m, self.p, self.gamma, self.A
        phi = G * R * zeta + (A - p * R * m) / zeta
        dphi = G * R - (A - p * R * m) / zeta**2
        ddphi = 2.0 * (A - p * R * m) / zeta**3
        D, dD = zeta**3 - m * zeta, 3.0 * zeta**2 - m
        # Remote tension part.
        N = (1 + m * zeta**2) * (G * R * zeta**2 - A)
        dN = 2 * m * zeta * (G * R * zeta**2 - A) + (1 + m * zeta**2) * 2 * G * R * zeta
        psi = -G * R / zeta - A * zeta - N / D
        dpsi = G * R / zeta**2 - A - (dN * D - N * dD) / D**2
        # Pressure part.
        Np, dNp = 1 + m * zeta**2, 2 * m * zeta
        psi = psi - p * R / zeta - p * R * m * Np / D
        dpsi = dpsi + p * R / zeta**2 - p * R * m * (dNp * D - Np * dD) / D**2
        return phi, dphi, ddphi, psi, dpsi

    def stress_Pa(self, x, y):
        """``(sigma_xx, sigma_yy, sigma_xy)`` at points outside the hole."""
        z = np.asarray(x) + 1j * np.asarray(y)
        zeta = self.zeta(z)
        phi, dphi, ddphi, psi, dpsi = self._potentials(zeta)
        dw = self.R * (1 - self.m / zeta**2)
        ddw = 2 * self.R * self.m / zeta**3
        Phi = dphi / dw
        dPhi = (ddphi * dw - dphi * ddw) / dw**3
        Psi = dpsi / dw
        trace = 4 * Phi.real
        combo = 2 * (np.conj(z) * dPhi + Psi)
        sxx = 0.5 * (trace - combo.real)
        syy = 0.5 * (trace + combo.real)
        return sxx, syy, 0.5 * combo.imag

    def displacement_m(self, x, y):
        """``(u_x, u_y)`` at points outside the hole (rigid motion fixed by symmetry about both axes)."""
        z = np.asarray(x) + 1j * np.asarray(y)
        zeta = self.zeta(z)
        phi, dphi, _, psi, _ = self._potentials(zeta)
        w = self.R * (zeta + self.m / zeta)
        dw = self.R * (1 - self.m / zeta**2)
        u = (self.kappa * phi - w / np.conj(dw) * np.conj(dphi) - np.conj(psi)) / (2 * self.mu)
        return u.real, u.imag


def inglis_pressurised_tip_stress_Pa(a_m, b_m, pressure_Pa):
    """Hoop stress at the end ``(a, 0)`` of a pressurised elliptic hole: ``p (2a/b - 1)`` (Inglis 1913)."""
    return pressure_Pa * (2.0 * a_m / b_m - 1.0)


def inglis_tension_concentration(a_m, b_m):
    """Stress concentration ``1 + 2a/b`` at ``(a, 0)`` under remote tension along y (Inglis 1913)."""
    return 1.0 + 2.0 * a_m / b_m
