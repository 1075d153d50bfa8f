"""The coupled model of a cell: from a configuration to discretised problems, and their evolution in time.

- :mod:`.problems`: the grid, the defect, the Li body and the field problems of a configuration.
- :mod:`.simulation`: the coupled time loop (:func:`~ecmjax.model.simulation.run`).
- :mod:`.measures`: scalar measures of the fields (crack depth, damage extents).
- :mod:`.sweep`: sweeps of many configurations (a case per device at a time; shared paths).
- :mod:`.critical_pressure`: the analytic critical-pressure report of a configuration.
- :mod:`.figures`: the one record of a run's figures (history, result, sweep rows) and its status.

The package imports none of its modules: import the one you need (the user's entry point is
:func:`ecmjax.simulate`).
"""

__all__ = ["critical_pressure", "figures", "measures", "problems", "simulation", "sweep"]
