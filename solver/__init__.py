"""Numerical machinery: the grid, discrete energies and operators, Newton-Krylov field solves.

- :mod:`.grid`, :mod:`.operators`, :mod:`.connectivity`: Cartesian grids, discrete differential operators,
  connected regions of nodes.
- :mod:`.linear`: preconditioned conjugate gradients and geometric multigrid.
- :mod:`.nonlinear`: Newton-Krylov minimisation and Anderson acceleration.
- :mod:`.fields`: the discrete potential, elasticity and damage problems and their solves.
- :mod:`.parallel`: domain decomposition over devices and several processes.
- :mod:`.checkpoint`: resumable state on disk (orbax).

It imports nothing of :mod:`ecmjax.inverse` or the application, only :mod:`ecmjax.physics`
(``tests/test_architecture.py``). The package imports none of its modules: import the one you need.
"""

__all__ = ["checkpoint", "connectivity", "fields", "grid", "linear", "nonlinear", "operators", "parallel"]
