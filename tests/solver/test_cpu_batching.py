"""solver/linear/cpu_batching.py: under ``vmap`` on CPU a LAPACK call runs one case at a time, with the same
numbers as unbatched calls, so that no batched kernel can deadlock XLA's thread pool (see the module)."""

import re

import jax
import jax.numpy as jnp
import numpy as np

from ecmjax.solver.linear.cpu_batching import one_case_at_a_time_on_cpu

cholesky = one_case_at_a_time_on_cpu(jnp.linalg.cholesky)


def spd_batch(cases=3, n=6, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((cases, n, n))
    return jnp.asarray(a @ a.transpose(0, 2, 1) + n * np.eye(n))


def test_batched_equals_one_call_per_case_bitwise():
    matrices = spd_batch()
    batched = jax.jit(jax.vmap(cholesky))(matrices)
    for matrix, factor in zip(matrices, batched, strict=True):
        np.testing.assert_array_equal(factor, jnp.linalg.cholesky(matrix))


def test_unbatched_argument_is_broadcast():
    solve = one_case_at_a_time_on_cpu(lambda m, b: jnp.linalg.solve(m, b))
    matrix, rhs = spd_batch(cases=1)[0], jnp.arange(12.0).reshape(2, 6)
    out = jax.vmap(solve, in_axes=(None, 0))(matrix, rhs)
    np.testing.assert_allclose(out, jnp.stack([jnp.linalg.solve(matrix, r) for r in rhs]), rtol=1e-14)


def test_forward_mode_derivative_under_vmap():
    matrices = spd_batch()
    tangents = spd_batch(seed=1)
    _, ours = jax.vmap(lambda m, t: jax.jvp(cholesky, (m,), (t,)))(matrices, tangents)
    _, plain = jax.vmap(lambda m, t: jax.jvp(jnp.linalg.cholesky, (m,), (t,)))(matrices, tangents)
    np.testing.assert_allclose(ours, plain, rtol=1e-12, atol=1e-14)


def test_no_batched_lapack_call_on_cpu():
    compiled = jax.jit(jax.vmap(cholesky)).lower(spd_batch()).compile().as_text()
    calls = re.findall(r"f64\[([\d,]+)\][^\n]*custom_call_target=\"lapack_dpotrf_ffi\"", compiled)
    assert calls and all(len(shape.split(",")) == 2 for shape in calls), calls
