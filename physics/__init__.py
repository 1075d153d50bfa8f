"""The physical model: constants, materials, defect geometry, constitutive laws and kinetics."""
