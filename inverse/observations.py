"""Observed failure times of cells: read and check a CSV file before any compute.

One row per cell: the current density it was cycled at, and the time at which it short-circuited or, for
a cell that had not failed when the test stopped (``survived = 1``), the time it had survived: a
right-censored observation. Optional columns set the stack pressure and temperature of that cell (else
the base configuration's) and the log-normal scatter ``sigma_log`` of its failure time (else the fit's
default). Every problem is reported with its line and column.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import equinox as eqx
import numpy as np
from jaxtyping import Bool, Float

__all__ = ["COLUMNS", "REQUIRED", "Observations", "ObservationError", "read_observations"]

REQUIRED = ("current_density_A_per_m2", "failure_time_s")
OPTIONAL = ("stack_pressure_Pa", "temperature_K", "sigma_log", "survived")
COLUMNS = REQUIRED + OPTIONAL

CONDITIONS = {
    "current_density_A_per_m2": "operating.current_density_A_per_m2",
    "stack_pressure_Pa": "operating.stack_pressure_Pa",
    "temperature_K": "operating.temperature_K",
}
"""Columns that set a configuration key of the cell's forward run."""


class ObservationError(ValueError):
    """A bad observations file; the message names the file, line and column."""


class Observations(eqx.Module):
    """Observed cells, one entry per row (SI units). Absent optional columns hold NaN (``survived``: False)."""

    current_density_A_per_m2: Float[np.ndarray, " n"]
    failure_time_s: Float[np.ndarray, " n"]
    stack_pressure_Pa: Float[np.ndarray, " n"]
    temperature_K: Float[np.ndarray, " n"]
    sigma_log: Float[np.ndarray, " n"]
    survived: Bool[np.ndarray, " n"]

    def __len__(self) -> int:
        return len(self.failure_time_s)

    def conditions(self, row: int) -> dict[str, float]:
        """``{configuration key: value}`` of the conditions given on row ``row`` (absent columns left out)."""
        values = {CONDITIONS[column]: float(getattr(self, column)[row]) for column in CONDITIONS}
        return {key: value for key, value in values.items() if not math.isnan(value)}

    def overrides(self, row: int) -> tuple[str, ...]:
        """``section.key=value`` overrides that set row ``row``'s conditions on a base configuration."""
        return tuple(f"{key}={value!r}" for key, value in self.conditions(row).items())


def _value(text: str, column: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ObservationError(f"{where}, column {column!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ObservationError(f"{where}, column {column!r}: {text!r} is not a finite number")
    if column == "survived":
        if value not in (0.0, 1.0):
            raise ObservationError(f"{where}, column 'survived': {text!r} must be 0 (failed) or 1 (survived)")
    elif column in ("failure_time_s", "temperature_K", "sigma_log") and value <= 0:
        raise ObservationError(f"{where}, column {column!r}: {text!r} must be > 0")
    elif value < 0:
        raise ObservationError(f"{where}, column {column!r}: {text!r} must be >= 0")
    return value


def read_observations(path: str | Path) -> Observations:
    """Read and check an observations CSV (header row, then one row per cell; ``#`` lines are comments).

    Raises:
        ObservationError: naming the line and column of the first problem: a missing or unknown
            column, a missing, non-numeric, non-finite or negative value, or a file with no rows.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ObservationError(f"cannot read observations {path}: {error.strerror}") from None
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if not line.lstrip().startswith("#")]
    lines = [(number, line) for number, line in lines if line.strip()]
    if not lines:
        raise ObservationError(f"{path}: empty; expected a header with the columns {', '.join(REQUIRED)}")
    rows = list(csv.reader(line for _, line in lines))
    header = [name.strip() for name in rows[0]]
    header_line = lines[0][0]
    for name in header:
        if name not in COLUMNS:
            raise ObservationError(
                f"{path}:{header_line}: unknown column {name!r}; the columns are {', '.join(COLUMNS)}"
            )
    if len(set(header)) != len(header):
        raise ObservationError(f"{path}:{header_line}: a column is named twice in {header}")
    for name in REQUIRED:
        if name not in header:
            raise ObservationError(f"{path}:{header_line}: missing column {name!r} (required: {', '.join(REQUIRED)})")
    if len(rows) == 1:
        raise ObservationError(f"{path}: no observations after the header on line {header_line}")

    data: dict[str, list[float]] = {name: [] for name in header}
    for (number, _), row in zip(lines[1:], rows[1:], strict=True):
        where = f"{path}:{number}"
        if len(row) != len(header):
            raise ObservationError(f"{where}: {len(row)} values for the {len(header)} columns {', '.join(header)}")
        for name, text in zip(header, row, strict=True):
            if not text.strip():
                raise ObservationError(f"{where}, column {name!r}: missing value")
            data[name].append(_value(text.strip(), name, where))
    count = len(rows) - 1
    column = lambda name: np.asarray(data[name], float) if name in data else np.full(count, np.nan)
    return Observations(
        current_density_A_per_m2=column("current_density_A_per_m2"),
        failure_time_s=column("failure_time_s"),
        stack_pressure_Pa=column("stack_pressure_Pa"),
        temperature_K=column("temperature_K"),
        sigma_log=column("sigma_log"),
        survived=np.asarray(data["survived"], float) == 1.0 if "survived" in data else np.zeros(count, bool),
    )
