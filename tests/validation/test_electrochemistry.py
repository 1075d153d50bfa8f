"""Validation case 6: the electrochemistry of a flat cell (ecmjax/validation/electrochemistry.py).

References beside each case: symmetric Butler-Volmer, Tafel and Monroe-Newman.
"""

import pytest

from ecmjax.validation import electrochemistry


@pytest.fixture(scope="module")
def electrochemistry_rows():
    return electrochemistry.electrochemistry_cases()


@pytest.mark.parametrize(
    "quantity",
    [
        "least uniform anode current density (A/m^2)",
        "plated current (A/m)",
        "cell voltage (V)",
        "voltage shift (V)",
        "Tafel slope (V/decade)",
    ],
)
def test_flat_cell_electrochemistry(electrochemistry_rows, quantity):
    # docs/model.md case 6: a flat interface carries j_app within 0.5%; charge injected = charge plated to
    # solver tolerance; V = -eta_BV(j) + Omega p / F + j L / kappa within 0.5%; 74.2 MPa of Li pressure
    # shifts the voltage by 10 mV (7.42 MPa per mV); Tafel slope ln(10) RT / (alpha_c F) within 1%.
    (row,) = [r for r in electrochemistry_rows if r.quantity == quantity]
    assert row.passed, f"{row.case}: {row.value:.6g} vs {row.reference:.6g} ({row.relative_error:.2e})"
