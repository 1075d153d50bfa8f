"""Validation: the solvers and the coupled model's iteration against closed-form solutions.

One module per family, on the set-up they share (:mod:`ecmjax.validation.common`):
:mod:`~ecmjax.validation.electrochemistry` (a flat cell), :mod:`~ecmjax.validation.elasticity`
(elliptic holes and grid convergence), :mod:`~ecmjax.validation.crack` (Sneddon's pressurised
phase-field crack), :mod:`~ecmjax.validation.griffith` (Griffith's critical pressure of a growing crack),
:mod:`~ecmjax.validation.axisymmetric` (the sphere in (r, z) and 3D, the penny crack),
:mod:`~ecmjax.validation.strength` (a bar breaks at the electrolyte's strength),
:mod:`~ecmjax.validation.defect_current` (the current around a Li-filled pit) and
:mod:`~ecmjax.validation.sent` (Miehe's notched plate pulled apart). :data:`FAMILIES`
lists the cases ``ecmjax validate`` runs, in order; :func:`run_cases` runs them.
"""

from collections.abc import Callable

from ecmjax.validation.axisymmetric import axisymmetric_cases
from ecmjax.validation.common import CaseResult
from ecmjax.validation.crack import crack_cases
from ecmjax.validation.defect_current import defect_current_cases
from ecmjax.validation.elasticity import convergence_cases, elasticity_cases
from ecmjax.validation.electrochemistry import electrochemistry_cases
from ecmjax.validation.griffith import griffith_cases
from ecmjax.validation.sent import sent_cases
from ecmjax.validation.strength import strength_cases

__all__ = ["FAMILIES", "CaseResult", "run_cases"]

FAMILIES: dict[str, Callable[[], list[CaseResult]]] = {
    "electrochemistry": electrochemistry_cases,
    "elasticity": elasticity_cases,
    "grid convergence": convergence_cases,
    "pressurised phase-field crack": crack_cases,
    "Griffith critical pressure": griffith_cases,
    "axisymmetric: sphere, penny crack": axisymmetric_cases,
    "strength: uniaxial bar": strength_cases,
    "current around a defect": defect_current_cases,
    "Miehe notched tension": sent_cases,
}
"""Each family's name and the function that returns its rows, in the order ``ecmjax validate`` runs them."""


def run_cases(progress: Callable[[str], None] | None = None) -> list[CaseResult]:
    """Every validation case, in order; ``progress`` is told the name of each family as it starts."""
    rows = []
    for name, cases in FAMILIES.items():
        if progress is not None:
            progress(name)
        rows.extend(cases())
    return rows
