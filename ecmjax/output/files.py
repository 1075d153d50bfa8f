"""Atomic output writers: JSON, NPZ, CSV, text and figures.

Every writer puts its bytes in a temporary file beside the target and :func:`os.replace`\\ s it into
place, so a reader (or a run killed half-way) sees either the old file or the complete new one, never a
torn one. JSON is strict: NumPy and JAX scalars and arrays become Python numbers and lists, and a NaN or
infinity raises instead of being written, unless converted to ``None`` on purpose by
:func:`~ecmjax.model.figures.finite_or_none`.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import math
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from ecmjax.model.figures import finite_or_none  # the writers' one exception to strict JSON, re-exported

__all__ = ["finite_or_none", "save_figure", "to_jsonable", "write_csv", "write_json", "write_npz", "write_text"]


@contextlib.contextmanager
def _atomic(path: str | Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """A file object whose content replaces ``path`` only if the ``with`` body completes.

    The temporary file lives in the target's directory (so the rename is atomic on one file system)
    and is created with the usual permissions (``0o666`` less the umask), like a plain ``open``.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def to_jsonable(obj: Any, *, where: str = "") -> Any:
    """``obj`` as plain JSON types; raises :class:`ValueError` naming the entry of any NaN or infinity.

    Mappings (string keys), sequences, dataclasses (and so ``equinox.Module``\\ s), NumPy/JAX scalars and
    arrays (as nested lists), paths (as strings) and ``None`` are converted.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        if not math.isfinite(value):
            raise ValueError(f"{where or 'value'} is {value}: refusing to write a non-finite number to JSON")
        return value
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Mapping):
        converted = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"{where or 'mapping'} has a non-string key {key!r}: JSON keys are strings")
            converted[key] = to_jsonable(value, where=f"{where}.{key}" if where else key)
        return converted
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}, where=where)
    if hasattr(obj, "__array__") and not isinstance(obj, (list, tuple)):  # NumPy or JAX array
        array = np.asarray(obj)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{where or 'array'} has dtype {array.dtype}: only bool, integer and float arrays")
        if array.ndim == 0:
            return to_jsonable(array[()], where=where)
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
            raise ValueError(
                f"{where or 'array'}{list(bad)} is {array[bad]}: refusing to write a non-finite number to JSON"
            )
        return array.tolist()
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(item, where=f"{where}[{i}]") for i, item in enumerate(obj)]
    raise TypeError(f"{where or 'value'} of type {type(obj).__name__} cannot be written to JSON")


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON (see :func:`to_jsonable`); raises before touching ``path`` on NaN."""
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False) + "\n"
    return write_text(path, text)


def write_text(path: str | Path, text: str) -> Path:
    """Write a UTF-8 text file."""
    with _atomic(path, "w") as file:
        file.write(text)
    return Path(path)


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a CSV file of a header line and rows (numbers as ``repr`` of Python floats, round-tripping)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([float(v) if isinstance(v, np.floating) else v for v in row])
    return write_text(path, buffer.getvalue())


def write_npz(path: str | Path, **arrays: Any) -> Path:
    """Write NumPy/JAX arrays to a compressed ``.npz`` under their keyword names (``path`` kept as is)."""
    converted = {name: np.asarray(array) for name, array in arrays.items()}
    with _atomic(path) as file:
        np.savez_compressed(file, **converted)
    return Path(path)


def save_figure(fig: Any, path: str | Path, *, dpi: int = 150) -> Path:
    """Save a matplotlib ``Figure`` in the format its suffix names (``.png``, ``.pdf``, ``.svg``)."""
    path = Path(path)
    with _atomic(path) as file:
        fig.savefig(file, format=path.suffix.lstrip(".").lower() or "png", dpi=dpi)
    return path
