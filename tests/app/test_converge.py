"""``ecmjax converge`` (ecmjax/cli/converge.py, ecmjax/model/convergence.py): the refinements it runs, the
error bar it reports, and its resume, with the runs replaced by a closed form of the configuration."""

import json
import types

import pytest

from ecmjax import api
from ecmjax.cli import main
from ecmjax.config import load_config
from ecmjax.model.convergence import REFINEMENTS, as_settings, overrides_of, relative_spread


def _stand_in(monkeypatch, calls):
    """Replace the runs by ``t_f = 40 s (1 + h / 1 um)(1 + l / 10 um)`` and ``p_i = 300 MPa (1 + l / 20 um)``:
    a first-order grid error of 10% per um of h, and so on."""

    def simulate(config, progress=False):
        calls.append(config)
        h, length = config.cell_size_m, config.material.phase_field_length_m
        summary = {
            "failure_time_s": 40.0 * (1 + h / 1e-6) * (1 + length / 10e-6),
            "initiation_pressure_Pa": 300e6 * (1 + length / 20e-6),
            "initiation_time_s": 20.0,
            "n_steps": 10,
            "wall_time_s": 1.0,
        }
        return types.SimpleNamespace(status="failed", summary=summary)

    monkeypatch.setattr(api, "simulate", simulate)


def test_the_refinements_halve_h_and_l_and_keep_h_with_twice_the_period():
    config = load_config()
    runs = overrides_of(config)
    assert list(runs) == list(REFINEMENTS)
    assert runs["h/2"] == {"grid.nx": 64, "grid.ny": 128}
    assert runs["l/2 (and h/2)"] == {"material.phase_field_length_m": 0.1e-6, "grid.nx": 64, "grid.ny": 128}
    assert runs["volume increment / 2"] == {"path.pressure_increment_Pa": 15e6}
    assert runs["staggered tolerance / 10"] == {"damage.staggered_tolerance": pytest.approx(1e-4)}
    assert runs["lateral period x 2"] == {"domain.width_m": 12.8e-6, "grid.nx": 64}
    assert relative_spread(40.0, [41.0, 39.0, 40.2]) == pytest.approx(0.025)
    assert relative_spread(None, [1.0]) is None and relative_spread(1.0, [None]) is None


def test_a_graded_grid_refines_its_graded_columns_and_grades_a_wider_period():
    config = load_config(None, ["grid.nx=64", "grid.graded_cells=32", "domain.width_m=25.6e-6"])
    runs = overrides_of(config)
    assert runs["h/2"] == {"grid.nx": 128, "grid.ny": 128, "grid.graded_cells": 64}
    assert runs["lateral period x 2"] == {"domain.width_m": 51.2e-6}
    base = ("grid.nx=64", "grid.graded_cells=32", "domain.width_m=25.6e-6")
    for overrides in runs.values():  # every variant is a valid configuration (the last setting of a key wins)
        load_config(None, base + as_settings(overrides))


def test_converge_writes_the_error_bar_and_resumes_without_rerunning(monkeypatch, tmp_path, capsys):
    calls = []
    _stand_in(monkeypatch, calls)
    out = tmp_path / "study"
    assert main(["converge", "--out", str(out), "--quiet"]) == 0
    assert len(calls) == 6
    record = json.loads((out / "convergence.json").read_text())
    # The case: h = 0.1 um, l = 0.2 um, so t_f = 40 * 1.1 * 1.02 = 44.88 s; the largest change is the
    # l/2-and-h/2 run's, 40 * 1.05 * 1.01 = 42.42 s, -5.48%; p_i changes only with l: 300 * 1.005 against 1.01.
    assert record["failure_time_s"] == pytest.approx(44.88)
    assert record["relative_spread"]["failure_time_s"] == pytest.approx(1 - 42.42 / 44.88)
    assert record["relative_spread"]["initiation_pressure_Pa"] == pytest.approx(1 - 1.005 / 1.01)
    assert record["runs"]["lateral period x 2"]["overrides"] == {"domain.width_m": 12.8e-6, "grid.nx": 64}
    table = (out / "convergence.md").read_text()
    assert "| l/2 (and h/2) | failed | 42.42 s (-5.48%)" in table and table in capsys.readouterr().out
    # Without --resume the study is not overwritten; with it, nothing is run again.
    assert main(["converge", "--out", str(out), "--quiet"]) == 2
    assert main(["converge", "--out", str(out), "--quiet", "--resume"]) == 0
    assert len(calls) == 6
    # A study of another case is not resumed.
    assert main(["converge", "--set", "geometry.depth_m=1.1e-6", "--out", str(out), "--quiet", "--resume"]) == 2
    assert "is of another case" in capsys.readouterr().err


def test_a_refinement_that_is_no_valid_configuration_is_refused_before_any_run(monkeypatch, tmp_path, capsys):
    calls = []
    _stand_in(monkeypatch, calls)
    monkeypatch.setitem(REFINEMENTS, "nx / 2", lambda config: {"grid.nx": config.grid.nx // 2})  # cells not square
    assert main(["converge", "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    assert "a refinement of this case is not a valid configuration" in capsys.readouterr().err
    assert calls == [] and not (tmp_path / "bad").exists()
