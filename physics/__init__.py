"""The physical model: constants, materials, defect geometry, constitutive laws and kinetics.

Pure functions of JAX arrays in SI units; nothing here knows of grids, solvers or the application.

- :mod:`.constants`: physical constants.
- :mod:`.materials`: named solid-electrolyte parameter sets.
- :mod:`.geometry`: defect signed distance functions and the smooth indicator.
- :mod:`.elasticity`: plane-strain elasticity with a tension-compression split.
- :mod:`.fracture`: closed-form fracture mechanics of pressurised cracks.
- :mod:`.kinetics`: Butler-Volmer kinetics with the stress-coupled overpotential.
- :mod:`.li_body`: the volume balance of a confined Li body.
- :mod:`.critical`: the critical pressure of a flaw and the current density that reaches it.
- :mod:`.references`: closed-form reference solutions for validation.

The package imports none of its modules (importing it stays cheap): import the one you need.
"""

__all__ = [
    "constants",
    "critical",
    "elasticity",
    "fracture",
    "geometry",
    "kinetics",
    "li_body",
    "materials",
    "references",
]
