"""Inverse problems: fitting defect geometry and electrolyte properties to observed failure times.

- :mod:`.observations`: the CSV of observed failure (or survival) times and their conditions.
- :mod:`.failure_time`: the predicted failure time ``t_c`` (the Li pressure reaches the flaw's critical
  pressure) and its exact derivatives, carried through the coupled run in forward mode
  (:mod:`ecmjax.model.sensitivity`).
- :mod:`.loss`, :mod:`.parameters`, :mod:`.levenberg_marquardt`: the censored log-normal misfit, unconstrained
  coordinates, resumable Levenberg-Marquardt steps.
- :mod:`.fit`: the fit itself (``ecmjax fit``), with :mod:`.uncertainty` (Laplace covariance, identifiability
  warnings), checkpointed with orbax every iteration (:mod:`ecmjax.solver.checkpoint`).
"""

from ecmjax.inverse.fit import FitResult, fit

__all__ = ["FitResult", "fit"]
