"""Inverse problems: fitting defect geometry and electrolyte modulus to observed failure times.

Empty until the coupled time loop lands; it will call the forward model only through a single
``failure_time(params, config)``-like entry point and never reach into solver internals.
"""
