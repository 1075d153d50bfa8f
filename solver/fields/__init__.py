"""The discrete field problems of the model and their solves: ionic potential (:mod:`.potential`),
elasticity with a pressurised cavity (:mod:`.elasticity`), phase-field damage (:mod:`.damage`)."""

__all__ = ["damage", "elasticity", "potential"]
