"""Saving and resuming state with orbax (solver/checkpoint.py)."""

import signal
import subprocess
import sys
from pathlib import Path

import equinox as eqx
import jax
import numpy as np
import pytest
from jaxtyping import Float

from ecmjax.inverse.levenberg_marquardt import LMState, lm_start
from ecmjax.solver.checkpoint import KEEP, latest, latest_iteration, save


class FitState(eqx.Module):
    """What a fit would save: the solver's state and its loss history, NaN past the current iteration."""

    lm: LMState
    loss_history: Float[np.ndarray, " m"]


def state(iteration: int) -> FitState:
    """A distinct state for each iteration, with the dtypes a fit saves (float64, int64, bool)."""
    rng = np.random.default_rng(iteration)
    # Values that a lossy or single-precision round trip would change: subnormal, huge, NaN, -0.0.
    residuals = np.array([5e-324, 1.7976931348623157e308, -0.0, 1 / 3, np.nan])
    lm = lm_start(rng.normal(size=3), residuals, rng.normal(size=(5, 3)), damping=1e-3 * 3.0**-iteration)
    lm = eqx.tree_at(lambda s: (s.iteration, s.converged), lm, (np.asarray(iteration), np.asarray(iteration % 2 == 1)))
    history = np.full(8, np.nan)
    history[: iteration + 1] = rng.uniform(size=iteration + 1)
    return FitState(lm, history)


def assert_identical(restored, original):
    assert type(restored) is type(original) and type(restored.lm) is LMState
    for got, want in zip(jax.tree.leaves(restored), jax.tree.leaves(original), strict=True):
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()  # bit-identical, NaN payloads and -0.0 included


def test_round_trip_is_bit_identical(tmp_path):
    original = state(1)
    save(tmp_path / "fit", 1, original)
    iteration, restored = latest(tmp_path / "fit", state(0))
    assert iteration == 1
    assert restored.lm.iteration.dtype == np.int64 and int(restored.lm.iteration) == 1
    assert restored.lm.converged.dtype == np.bool_ and bool(restored.lm.converged)
    assert restored.lm.residuals.dtype == np.float64
    assert_identical(restored, original)


def test_only_the_last_three_are_kept_and_the_latest_is_restored(tmp_path):
    for iteration in range(5):
        save(tmp_path, iteration, state(iteration))
    assert KEEP == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2", "3", "4"]
    iteration, restored = latest(tmp_path, state(0))
    assert iteration == 4
    assert_identical(restored, state(4))


def test_saving_an_earlier_iteration_raises(tmp_path):
    save(tmp_path, 3, state(3))
    with pytest.raises(ValueError, match="not after the latest checkpoint 3"):
        save(tmp_path, 2, state(2))


def test_a_save_survives_sigkill_right_after_it_returns(tmp_path):
    # save() waits for the write to finish, so killing the process the moment it returns loses nothing.
    script = (
        "import os, signal, sys; sys.path.insert(0, sys.argv[2]);"
        "from test_checkpoint import state; from ecmjax.solver.checkpoint import save;"
        "save(sys.argv[1], 7, state(7)); os.kill(os.getpid(), signal.SIGKILL)"
    )
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path), str(Path(__file__).parent)], timeout=60)
    assert run.returncode == -signal.SIGKILL
    iteration, restored = latest(tmp_path, state(0))
    assert iteration == 7
    assert_identical(restored, state(7))


def test_nothing_to_resume(tmp_path):
    assert latest(tmp_path / "missing", state(0)) is None
    assert not (tmp_path / "missing").exists()
    assert latest(tmp_path, state(0)) is None


def test_a_half_written_checkpoint_is_not_restored(tmp_path):
    save(tmp_path, 1, state(1))
    # Orbax writes step 2 into "2.orbax-checkpoint-tmp-<id>" and renames it when complete (see
    # orbax/checkpoint/_src/path/step.py, TMP_DIR_STEP_PATTERN); a crash leaves such a directory behind.
    stray = tmp_path / "2.orbax-checkpoint-tmp-1234567"
    (stray / "default").mkdir(parents=True)
    (stray / "default" / "partial").write_bytes(b"\0" * 16)
    iteration, restored = latest(tmp_path, state(0))
    assert iteration == 1
    assert_identical(restored, state(1))


def test_a_template_of_another_shape_raises_naming_the_array(tmp_path):
    save(tmp_path, 0, state(0))
    other = eqx.tree_at(lambda s: s.loss_history, state(0), np.zeros(4))
    with pytest.raises(ValueError, match=r"\.loss_history is float64\[8\], not float64\[4\]"):
        latest(tmp_path, other)
    with pytest.raises(ValueError, match="holds 8 arrays, not 7 as in the template"):
        latest(tmp_path, eqx.tree_at(lambda s: s.loss_history, state(0), None))


def test_a_template_may_depend_on_the_iteration_and_be_shapes_only(tmp_path):
    # A state that grows as it goes (a run's snapshots): the template is made for the iteration found.
    for iteration in (2, 5):
        save(tmp_path, iteration, {"rows": np.arange(iteration, dtype=np.int32), "x": np.float64(iteration)})
    like = lambda iteration: {"rows": jax.ShapeDtypeStruct((iteration,), np.int32), "x": np.float64(0)}
    iteration, restored = latest(tmp_path, like)
    assert iteration == 5 and restored["rows"].tolist() == [0, 1, 2, 3, 4] and restored["x"] == 5.0
    assert latest_iteration(tmp_path) == 5 and latest_iteration(tmp_path / "missing") is None


def test_how_many_are_kept_can_be_chosen(tmp_path):
    for iteration in range(3):
        save(tmp_path, iteration, state(iteration), keep=1)
    assert [p.name for p in tmp_path.iterdir()] == ["2"]
    with pytest.raises(ValueError, match="keep = 0 is out of range: must be >= 1"):
        save(tmp_path, 3, state(3), keep=0)
