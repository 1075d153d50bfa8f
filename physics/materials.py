"""Named solid-electrolyte parameter sets, and the plane-strain Irwin link between toughness and Gc.

A solver never hard-codes a material: it receives one of these sets (or values resolved from one by
:mod:`ecmjax.config`). Values are the defaults of the model (docs/model.md section 4); the ranges quoted in
each docstring are what the literature spans, for sensitivity studies and inverse fits.
"""

from __future__ import annotations

import equinox as eqx
from jaxtyping import ArrayLike


def fracture_energy_J_per_m2(
    fracture_toughness_Pa_sqrt_m: ArrayLike,
    youngs_modulus_Pa: ArrayLike,
    poisson_ratio: ArrayLike,
) -> ArrayLike:
    """Critical energy release rate ``Gc = K_IC^2 (1 - nu^2) / E`` (Irwin, plane strain).

    Pure arithmetic, so it accepts Python floats and JAX arrays alike and is differentiable.
    """
    return fracture_toughness_Pa_sqrt_m**2 * (1.0 - poisson_ratio**2) / youngs_modulus_Pa


def fracture_toughness_Pa_sqrt_m(
    fracture_energy_J_per_m2: ArrayLike,
    youngs_modulus_Pa: ArrayLike,
    poisson_ratio: ArrayLike,
) -> ArrayLike:
    """Mode-I toughness ``K_IC = sqrt(Gc E / (1 - nu^2))``: the inverse of :func:`fracture_energy_J_per_m2`.

    ``** 0.5`` rather than ``math.sqrt`` keeps it valid for JAX arrays.
    """
    return (fracture_energy_J_per_m2 * youngs_modulus_Pa / (1.0 - poisson_ratio**2)) ** 0.5


class MaterialSet(eqx.Module):
    """Isotropic, linear-elastic, brittle single-ion conductor.

    Floats are pytree leaves (differentiable); the name is static.
    """

    name: str = eqx.field(static=True)
    youngs_modulus_Pa: float
    poisson_ratio: float
    fracture_toughness_Pa_sqrt_m: float
    ionic_conductivity_S_per_m: float
    phase_field_length_m: float
    tensile_strength_Pa: float
    compressive_strength_Pa: float

    @property
    def fracture_energy_J_per_m2(self) -> float:
        """``Gc`` from the set's toughness, modulus and Poisson ratio (plane-strain Irwin)."""
        return fracture_energy_J_per_m2(self.fracture_toughness_Pa_sqrt_m, self.youngs_modulus_Pa, self.poisson_ratio)


llzo = MaterialSet(
    name="llzo",
    youngs_modulus_Pa=150e9,
    poisson_ratio=0.26,
    fracture_toughness_Pa_sqrt_m=1.0e6,
    ionic_conductivity_S_per_m=0.04,
    phase_field_length_m=0.2e-6,
    tensile_strength_Pa=150e6,
    compressive_strength_Pa=15 * 150e6,
)
"""Garnet Li7La3Zr2O12 (cubic, Ta/Al-doped), room temperature.

- E = 150 GPa, nu = 0.26: resonant ultrasound gives E = 149.8 GPa at 3 % porosity (Ni et al.,
  J. Mater. Sci. 2012); nanoindentation spans 140-158 GPa (Hu et al., Chin. Phys. Lett. 2022).
- K_IC = 1.0 MPa m^0.5 (reported 1-1.3 MPa m^0.5; 0.44-1.51 as pellet density rises from 83 % to
  98 %, Hu et al. 2022), so Gc = K^2 (1 - nu^2) / E = 6.2 J/m^2.
- kappa = 0.04 S/m (0.4 mS/cm; reported 0.02-0.1 S/m).
- sigma_ts = 150 MPa: the flexural strength of dense garnet (Li7La2.75Ca0.25Zr1.75Nb0.25O12, ASTM C1161;
  Fu et al., ECS Meeting Abstracts MA2017-02, 550, 2017). sigma_cs = 15 sigma_ts, the ratio of crack-limited
  compressive to tensile strength of brittle ceramics (Ashby & Jones, *Engineering Materials 2*): an
  assumption, not a measurement of LLZO.
- l = 0.2 um: the phase-field length, a regularisation that must satisfy h <= l/2 and l << defect
  depth. 0.2 um (a/5 for the default 1 um defect, with h = 0.1 um) is what the coupled default can
  afford on two CPU cores; docs/model.md asks l <= a/10 (0.1 um with h <= 50 nm) for converged results.
"""

lpscl = MaterialSet(
    name="lpscl",
    youngs_modulus_Pa=24e9,
    poisson_ratio=0.30,
    fracture_toughness_Pa_sqrt_m=0.25e6,
    ionic_conductivity_S_per_m=0.2,
    phase_field_length_m=0.2e-6,
    tensile_strength_Pa=56e6,
    compressive_strength_Pa=15 * 56e6,
)
"""Argyrodite Li6PS5Cl, room temperature: the soft, weak, fast-conducting sulfide.

- E = 24 GPa (reported 20-29 GPa), nu = 0.30.
- K_IC = 0.25 MPa m^0.5 (reported 0.2-0.3 MPa m^0.5), so Gc = 2.4 J/m^2.
- kappa = 0.2 S/m (2 mS/cm; reported 0.1-0.3 S/m).
- sigma_ts = 56 MPa: an estimate, not a measurement (none of Li6PS5Cl's tensile strength was found):
  the stress at which a 5 um flaw, the size of a cold-pressed pellet's pores and grains, grows,
  K_IC / (1.1215 sqrt(pi 5 um)). sigma_cs = 15 sigma_ts, as for LLZO.
- l = 0.2 um, as for LLZO.
"""

MATERIALS: dict[str, MaterialSet] = {m.name: m for m in (llzo, lpscl)}
"""Every named set, by name (the choices of ``material.name`` in the configuration)."""
