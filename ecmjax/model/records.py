"""Results as plain records: Python numbers, with ``None`` where a quantity is undefined or unbounded.

A result handed to a user or a writer (:class:`ecmjax.api.Result`, a sweep's rows, a fit's uncertainty)
never carries NaN or infinity as a number: a failure time of a cell that survived, or the standard error
of a parameter the data do not determine, is ``None`` (JSON ``null``). The conversion is here, below every
producer of results (the model, the sweeps, the inverse problems) and beside nothing they would not
import anyway, so that each uses the one rule; the strict JSON writers of :mod:`ecmjax.output.files`
still refuse any non-finite number that was not converted on purpose.
"""

from typing import Any

import numpy as np

__all__ = ["finite_or_none"]


def finite_or_none(values: Any) -> Any:
    """``values`` as a Python float (a scalar) or nested lists of them (an array), ``None`` where not finite."""
    values = np.asarray(values, float)
    return np.where(np.isfinite(values), values, None).tolist()
