"""Reading observed failure times (inverse/observations.py): every bad file is refused with its line and column."""

import numpy as np
import pytest

from ecmjax.inverse.observations import ObservationError, read_observations


def write(tmp_path, text):
    path = tmp_path / "obs.csv"
    path.write_text(text)
    return path


def test_reads_required_and_optional_columns(tmp_path):
    path = write(
        tmp_path,
        "# cells of batch A\n"
        "current_density_A_per_m2,failure_time_s,stack_pressure_Pa,sigma_log,survived\n"
        "10,120.5,5e6,0.1,0\n"
        "\n"
        "20, 40 ,5e6,0.2,1\n",
    )
    observations = read_observations(path)
    assert len(observations) == 2
    np.testing.assert_array_equal(observations.current_density_A_per_m2, [10.0, 20.0])
    np.testing.assert_array_equal(observations.failure_time_s, [120.5, 40.0])
    np.testing.assert_array_equal(observations.survived, [False, True])
    assert np.isnan(observations.temperature_K).all()
    assert observations.overrides(1) == (
        "operating.current_density_A_per_m2=20.0",
        "operating.stack_pressure_Pa=5000000.0",
    )


def test_survived_defaults_to_failed(tmp_path):
    observations = read_observations(write(tmp_path, "failure_time_s,current_density_A_per_m2\n3,10\n"))
    assert observations.survived.tolist() == [False]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("current_density_A_per_m2,failure_time_s\n", "no observations after the header on line 1"),
        ("current_density_A_per_m2\n10\n", "obs.csv:1: missing column 'failure_time_s'"),
        ("current_density_A_per_m2,failure_time_s,colour\n10,1,red\n", "obs.csv:1: unknown column 'colour'"),
        ("current_density_A_per_m2,failure_time_s\n10,1\n20,abc\n", "obs.csv:3, column 'failure_time_s': 'abc' is not"),
        ("current_density_A_per_m2,failure_time_s\n-10,1\n", "obs.csv:2, column 'current_density_A_per_m2': '-10'"),
        ("current_density_A_per_m2,failure_time_s\n10,0\n", "column 'failure_time_s': '0' must be > 0"),
        ("current_density_A_per_m2,failure_time_s\n10,nan\n", "'nan' is not a finite number"),
        ("current_density_A_per_m2,failure_time_s\n10,\n", "obs.csv:2, column 'failure_time_s': missing value"),
        ("current_density_A_per_m2,failure_time_s\n10,1,3\n", "obs.csv:2: 3 values for the 2 columns"),
        ("current_density_A_per_m2,failure_time_s,survived\n10,1,2\n", "'survived': '2' must be 0"),
    ],
)
def test_bad_files_name_line_and_column(tmp_path, text, message):
    with pytest.raises(ObservationError, match=message.replace("(", "\\(").replace(")", "\\)")):
        read_observations(write(tmp_path, text))


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(ObservationError, match="cannot read observations"):
        read_observations(tmp_path / "absent.csv")
