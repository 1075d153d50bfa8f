"""Physical constants of the model (SI units)."""

FARADAY_C_PER_MOL = 96485.33212
"""Faraday constant F."""

GAS_CONSTANT_J_PER_MOL_K = 8.314462618
"""Molar gas constant R."""

LI_MOLAR_VOLUME_M3_PER_MOL = 1.30e-5
"""Molar volume of lithium metal, Omega_Li (docs/model.md section 3): 7.42 MPa of Li pressure per mV."""
