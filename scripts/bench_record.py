"""What every benchmark writes beside its figures (docs/performance.md): the machine, the device and the versions."""

import os
import platform
from pathlib import Path


def write_record(path: Path, benchmark: str, **figures) -> None:
    """Write ``figures`` under ``benchmark`` to ``path`` (JSON, atomically) with the machine and versions."""
    import jax

    from ecmjax.output.files import write_json

    record = {
        "benchmark": benchmark,
        **figures,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "device": str(jax.devices()[0]),
        },
        "versions": {"jax": jax.__version__, "python": platform.python_version()},
    }
    path.parent.mkdir(exist_ok=True)
    write_json(path, record)
