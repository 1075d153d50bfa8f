"""Inverse problems: fitting defect geometry and electrolyte modulus to observed failure times.

Built so far (issue 6): reading observations (:mod:`.observations`), the censored log-normal misfit
(:mod:`.loss`), unconstrained parameter coordinates (:mod:`.parameters`), resumable Levenberg-Marquardt
steps (:mod:`.levenberg_marquardt`), and forward-mode sensitivities of the coupled run
(:mod:`.sensitivity`, not yet verified against finite differences: see its docstring). The fit itself
and the ``ecmjax fit`` command are not built yet.
"""
