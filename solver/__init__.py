"""Numerical machinery: the grid, discrete energies and operators, Newton-Krylov field solves."""
