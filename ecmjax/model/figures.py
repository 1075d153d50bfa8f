"""The figures a run records: one record per step (:class:`StepFigures`) and one for the run (:class:`RunFigures`).

Each record is the one list of its quantities. The history table's columns (``history.csv``) are the
fields of :class:`StepFigures`, the scalars of ``result.json`` and the columns of ``sweep.csv`` those of
:class:`RunFigures`: adding a quantity to a record adds it to every output, and tables are read back by
name (:meth:`Figures.of_rows`), never by position.

How a run stands is a :class:`Status`, and what blew up in a diverged run a :class:`Quantity`; the
traced state holds their values as integers, which the enumerations convert.

A result handed to a user or a writer (:class:`ecmjax.api.Result`, a sweep's rows, a fit's uncertainty)
never carries NaN or infinity as a number: a failure time of a cell that survived, or the standard error of
a parameter the data do not determine, is ``None`` (JSON ``null``), by :func:`finite_or_none`; the strict
JSON writers of :mod:`ecmjax.output.files` refuse any non-finite number that was not converted on purpose.
"""

import dataclasses
import enum
from typing import Any

import equinox as eqx
import jax.numpy as jnp
import jaxtyping
import numpy as np
from jaxtyping import Array, Float, Int

from ecmjax.solver.nonlinear.stagger import DAMAGE_FAILED, DISPLACEMENT_FAILED, PRESSURE_FAILED

__all__ = ["Figures", "Quantity", "RunFigures", "Status", "StepFigures", "finite_or_none"]


class _Described(enum.IntEnum):
    """An integer code with a text (its :attr:`description`)."""

    def __new__(cls, value: int, description: str) -> "_Described":
        member = int.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member


class Quantity(_Described):
    """A field or scalar that the step solves, by the code of the first whose solve failed (0: none did)."""

    NONE = 0, ""
    POTENTIAL = 1, "ionic potential"
    DISPLACEMENT = DISPLACEMENT_FAILED, "displacement"
    DAMAGE = DAMAGE_FAILED, "damage"
    PRESSURE = PRESSURE_FAILED, "Li pressure"
    STAGGERED = 5, "staggered elasticity-damage"


class Status(_Described):
    """How a run stands; its :attr:`label` is its name in ``result.json`` and ``sweep.csv``.

    The description is the run's message (:meth:`message`): empty where the status says it all.
    """

    RUNNING = 0, ""
    """Neither ended nor stopped: more steps to take."""
    FAILED = 1, ""
    """The crack reached ``domain.short_circuit_margin_m`` from the far side: a short circuit."""
    SURVIVED = 2, ""
    """``time.t_end_s`` was reached without failure."""
    DIVERGED = (
        3,
        "the {quantity} solve failed (did not converge or was not finite) at increment {next_step},"
        " t = {time_s:.6g} s, even at the smallest increment (path.event_tolerance of the volume increment);"
        " the history up to then is kept",
    )
    """A solve failed even at the smallest increment (:class:`Quantity` says which)."""
    INCOMPLETE = (
        4,
        "path.max_increments = {steps} increments were taken by t = {time_s:.6g} s, before time.t_end_s:"
        " raise path.max_increments",
    )
    """Neither survived nor failed: ``path.max_increments`` increments were taken before ``time.t_end_s``."""

    @property
    def label(self) -> str:
        return self.name.lower()

    def message(self, steps: int, time_s: float, quantity: Quantity) -> str:
        """Why a run with this status ended after ``steps`` accepted steps at ``time_s``."""
        return self.description.format(steps=steps, next_step=steps + 1, time_s=time_s, quantity=quantity.description)


class Figures(eqx.Module):
    """A record of scalar figures: a row of a table, or (:meth:`of_rows`) the columns of one."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The figures in order: the table's columns."""
        return tuple(field.name for field in dataclasses.fields(cls))

    def row(self, dtype: Any) -> Float[Array, " columns"]:
        """The figures as one row of ``dtype`` (integers too; traceable)."""
        return jnp.stack([jnp.asarray(getattr(self, name), dtype) for name in self.names()])

    @classmethod
    def of_rows(cls, rows: Float[Array, "*rows columns"]) -> "Figures":
        """The record of a row, or the columns of a table of rows (the last axis: :meth:`names`)."""
        return cls(**{name: rows[..., k] for k, name in enumerate(cls.names())})

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.names()}


class StepFigures(Figures):
    """What each accepted step records, at its end: one row of the history (``history.csv``)."""

    time_s: Float[Array, "*rows"]
    dt_s: Float[Array, "*rows"]
    pressure_Pa: Float[Array, "*rows"]
    li_volume_m2: Float[Array, "*rows"]
    cavity_volume_m2: Float[Array, "*rows"]
    crack_tip_depth_m: Float[Array, "*rows"]
    max_damage: Float[Array, "*rows"]
    cell_voltage_V: Float[Array, "*rows"]
    peak_current_density_A_per_m2: Float[Array, "*rows"]
    current_into_defect_A_per_m: Float[Array, "*rows"]
    pressure_cap_Pa: Float[Array, "*rows"]
    """The Monroe-Newman bound ``F max(phi) / Omega_Li`` over the body's walls at the start of the step
    (docs/model.md, case 7)."""


class RunFigures(Figures):
    """A run's headline figures (SI units; NaN where a figure does not exist, e.g. the failure time of a
    cell that survived): the scalars of ``result.json`` and a row of ``sweep.csv``."""

    status: Int[Array, ""]
    """A :class:`Status` value."""
    failure_time_s: Float[Array, ""]
    failure_li_volume_m2: Float[Array, ""]
    """The Li volume in the defect at the short circuit (m^2 per unit depth; m^3 in 3D)."""
    initiation_time_s: Float[Array, ""]
    initiation_pressure_Pa: Float[Array, ""]
    initiation_li_volume_m2: Float[Array, ""]
    """The Li volume in the defect when the damage first reaches ``INITIATED`` (m^2 per unit depth; m^3 in 3D)."""
    max_pressure_Pa: Float[Array, ""]
    pressure_cap_Pa: Float[Array, ""]
    """That of the last step (:class:`StepFigures`)."""
    final_time_s: Float[Array, ""]
    crack_tip_depth_m: Float[Array, ""]
    damage_depth_extent_m: Float[Array, ""]
    damage_lateral_extent_m: Float[Array, ""]
    damage_mean_depth_m: Float[Array, ""]
    n_steps: Int[Array, ""]
    n_trials: Int[Array, ""]
    continued_increments: Int[Array, ""]
    """Increments whose staggered iteration was continued (unstable crack jumps at fixed volume)."""
    staggered_iterations: Int[Array, ""]

    def as_json(self) -> dict[str, Any]:
        """Plain values: the status by its label, integer counts, ``None`` for NaN (host-side)."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "status":
                out[field.name] = Status(int(value)).label
            elif issubclass(field.type.dtype, jaxtyping.Int):
                out[field.name] = int(value)
            else:
                out[field.name] = finite_or_none(value)
        return out


def finite_or_none(values: Any) -> Any:
    """``values`` as a Python float (a scalar) or nested lists of them (an array), ``None`` where not finite."""
    values = np.asarray(values, float)
    return np.where(np.isfinite(values), values, None).tolist()
