"""The records of a run's figures (ecmjax/model/figures.py): the one list behind history.csv, result.json and
sweep.csv, read back by name; the statuses by the names the outputs have always used."""

import numpy as np

from ecmjax.model.figures import Quantity, RunFigures, Status, StepFigures


def test_status_labels_and_codes_are_those_of_the_outputs():
    assert [(int(s), s.label) for s in Status] == [
        (0, "running"),
        (1, "failed"),
        (2, "survived"),
        (3, "diverged"),
        (4, "incomplete"),
    ]
    assert Status.FAILED.message(12, 40.0, Quantity.NONE) == ""
    assert Status.DIVERGED.message(0, 0.5, Quantity.DAMAGE).startswith("the damage solve failed")
    assert "at increment 1, t = 0.5 s" in Status.DIVERGED.message(0, 0.5, Quantity.DAMAGE)
    incomplete = Status.INCOMPLETE.message(7, 2.0, Quantity.NONE)
    assert incomplete.startswith("path.max_increments = 7 increments were taken by t = 2 s")


def test_a_table_of_rows_reads_back_by_name():
    names = StepFigures.names()
    assert names[:3] == ("time_s", "dt_s", "pressure_Pa") and names[-1] == "pressure_cap_Pa"
    step = StepFigures(**{name: np.float64(k) for k, name in enumerate(names)})
    rows = np.stack([np.asarray(step.row(np.float64)), np.asarray(step.row(np.float64)) + 1.0])
    columns = StepFigures.of_rows(rows)
    assert np.array_equal(columns.pressure_Pa, [2.0, 3.0])
    assert list(columns.as_dict()) == list(names)


def test_run_figures_as_json_values():
    values = dict.fromkeys(RunFigures.names(), np.nan)
    values.update(status=Status.SURVIVED, max_pressure_Pa=2e7, n_steps=31, n_trials=33, staggered_iterations=90)
    values.update(continued_increments=0)
    summary = RunFigures.of_rows(RunFigures(**values).row(np.float64)).as_json()
    assert list(summary) == list(RunFigures.names())
    assert summary["status"] == "survived" and summary["failure_time_s"] is None
    assert summary["max_pressure_Pa"] == 2e7 and summary["n_steps"] == 31 and isinstance(summary["n_steps"], int)
