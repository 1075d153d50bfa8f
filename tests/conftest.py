"""Verification tests run in float64 (DEVELOPERS.md); the package itself never switches this on."""

import jax
import pytest
from cases import CLEAN_LLZO

from ecmjax.config import load_config
from ecmjax.config.precision import enable_compilation_cache

jax.config.update("jax_enable_x64", True)
# The CLI's compilation cache (ECMJAX_CACHE_DIR, else ~/.cache/ecmjax/jax): a program compiled by an earlier
# module, test run or the CLI is read from disk (the modules drop theirs from memory, below).
enable_compilation_cache()

SMALL_CASE = (
    "domain.width_m=3.2e-6",
    "domain.thickness_m=3.2e-6",
    "grid.nx=32",
    "grid.ny=64",
    *CLEAN_LLZO,
)
"""A valid, quick configuration: h = 50 nm, the default 1 um semicircular pit, 2 x 3.2 um half-domain."""


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """Drop JAX's compiled programs after each test module.

    One pytest process compiles several hundred XLA programs. Kept alive, their code mappings grew
    until, some 340 tests in, XLA's compiler crashed (segfault, then abort, in the same compile). The
    suspected limit is the kernel's ``vm.max_map_count`` (65530). Modules that reuse a program
    recompile it, or load it from the persistent compilation cache.
    """
    yield
    jax.clear_caches()


@pytest.fixture(scope="session")
def small_case() -> tuple[str, ...]:
    return SMALL_CASE


@pytest.fixture(scope="session")
def small_config():
    return load_config(None, SMALL_CASE)
