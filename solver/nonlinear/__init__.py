"""Nonlinear solves: Newton-Krylov minimisation of convex energies (:mod:`.newton`), Anderson
acceleration of fixed-point iterations (:mod:`.anderson`), and the staggered iteration of two coupled
minimisations (:mod:`.stagger`)."""

__all__ = ["anderson", "newton", "stagger"]
