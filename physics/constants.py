"""Physical constants of the model (SI units)."""

FARADAY_C_PER_MOL = 96485.33212
"""Faraday constant F."""

GAS_CONSTANT_J_PER_MOL_K = 8.314462618
"""Molar gas constant R."""

LI_MOLAR_VOLUME_M3_PER_MOL = 1.30e-5
"""Molar volume of lithium metal, Omega_Li (docs/model.md section 3): 7.42 MPa of Li pressure per mV."""

LI_BULK_MODULUS_PA = 11.0e9
"""Bulk modulus of polycrystalline lithium metal, K_Li = E / (3 (1 - 2 nu)), at room temperature: Masias,
Marchese, Hahn and Sakamoto, J. Mater. Sci. 54 (2019) 2585, measured E = 7.82 GPa and nu = 0.381
(resonant ultrasound), so K_Li = 10.95 GPa. Li plated into a confined defect is compressed by its pressure
(physics/li_body.py)."""
