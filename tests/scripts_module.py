"""The project's scripts as modules, for the tests that check their records (scripts/ is not a package)."""

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def load_script(stem: str) -> ModuleType:
    """``scripts/<stem>.py``, imported (its ``main`` is not run)."""
    spec = importlib.util.spec_from_file_location(stem, SCRIPTS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
