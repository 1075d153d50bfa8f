"""Parallel runs: a grid split over devices (:mod:`.decomposition`) and several processes
(:mod:`.distributed`)."""

__all__ = ["decomposition", "distributed"]
