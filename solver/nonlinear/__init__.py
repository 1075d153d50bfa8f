"""Nonlinear solves: Newton-Krylov minimisation of convex energies (:mod:`.newton`) and Anderson
acceleration of fixed-point iterations (:mod:`.anderson`)."""

__all__ = ["anderson", "newton"]
