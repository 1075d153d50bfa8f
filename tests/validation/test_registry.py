"""The validation registry (ecmjax/validation/__init__.py): the families ``ecmjax validate`` runs, in order."""

from ecmjax import validation
from ecmjax.validation.common import CaseResult


def test_families_in_the_order_validate_runs_them():
    assert list(validation.FAMILIES) == [
        "electrochemistry",
        "elasticity",
        "grid convergence",
        "pressurised phase-field crack",
        "Griffith critical pressure",
        "axisymmetric: sphere, penny crack",
        "strength: uniaxial bar",
        "current around a defect",
        "Miehe notched tension",
    ]


def test_run_cases_announces_each_family_and_joins_their_rows(monkeypatch):
    row = lambda name: CaseResult(name, "quantity", 1.0, 1.0, 0.1, "source")
    monkeypatch.setattr(validation, "FAMILIES", {name: (lambda name=name: [row(name)]) for name in ("a", "b")})
    announced = []
    assert [r.case for r in validation.run_cases(announced.append)] == ["a", "b"]
    assert announced == ["a", "b"]
