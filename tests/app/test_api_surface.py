"""The public faces: ``ecmjax``'s lazy API, and the ``__all__`` of every package."""

import importlib

import pytest

import ecmjax

PACKAGES = [
    "ecmjax",
    "ecmjax.cli",
    "ecmjax.config",
    "ecmjax.inverse",
    "ecmjax.model",
    "ecmjax.output",
    "ecmjax.physics",
    "ecmjax.solver",
    "ecmjax.solver.fields",
    "ecmjax.solver.linear",
    "ecmjax.solver.nonlinear",
    "ecmjax.solver.parallel",
]


def test_dir_lists_the_lazy_api():
    assert set(ecmjax.__all__) <= set(dir(ecmjax))
    assert "__version__" in dir(ecmjax)


def test_the_lazy_api_resolves():
    for name in ecmjax.__all__:
        assert getattr(ecmjax, name) is not None, name
    assert ecmjax.simulate.__module__ == "ecmjax.api"
    assert ecmjax.Config.__module__ == "ecmjax.config.schema"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        ecmjax.nothing  # noqa: B018


@pytest.mark.parametrize("name", PACKAGES)
def test_every_name_in_all_resolves(name):
    """Each public name is an attribute of the package or one of its modules (``from package import *``)."""
    package = importlib.import_module(name)
    assert package.__all__, f"{name} declares no public names"
    for public in package.__all__:
        found = hasattr(package, public) or importlib.util.find_spec(f"{name}.{public}") is not None
        assert found, f"{name}.__all__ lists {public!r}, which is neither an attribute nor a submodule"
