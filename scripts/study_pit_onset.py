"""Where damage starts at a Li-filled pit with ``damage.nucleation = "strength"``: a study, not a test.

The pit's elastic field is linear in its pressure ``p``, so the pressure at which each cell first meets
the AT1 onset condition with the strength term (Larsen, Dolbow and Lopez-Pamies 2024; physics/strength.py),

    2 psi+(p) - c_e(p) = 3 delta Gc / (8 l),     psi+ ~ p^2,  c_e ~ p,

follows from one elastic solve at a reference pressure: a quadratic per cell. The least root over the
cells is the pit's onset pressure, before any damage (the coupled run starts to damage there). It
is computed with the production problems (``elasticity_problem``, ``damage_problem``) for the built-in
default case (Li6PS5Cl, a 1 um semicircular pit) on refining grids and wider cells, and, for
reference, with AT1 alone (``regularisation``: ``2 psi+ = 3 Gc / (8 l)``).

Each row is merged into ``scripts/bench_results/pit_onset.json`` with the machine and the versions.

    python scripts/study_pit_onset.py
"""

import argparse
from pathlib import Path

RESULTS = Path(__file__).parent / "bench_results" / "pit_onset.json"
REFERENCE_PRESSURE_PA = 100e6

CELLS = {
    "6.4 um cell, h = 0.1 um (the default)": (),
    "12.8 um cell, h = 0.1 um": ("domain.width_m=12.8e-6", "domain.thickness_m=12.8e-6", "grid.nx=64", "grid.ny=128"),
    "12.8 um cell, h = 0.05 um": ("domain.width_m=12.8e-6", "domain.thickness_m=12.8e-6", "grid.nx=128", "grid.ny=256"),
    "12.8 um cell, h = 0.025 um": (
        "domain.width_m=12.8e-6",
        "domain.thickness_m=12.8e-6",
        "grid.nx=256",
        "grid.ny=512",
    ),
    "25.6 um cell, h = 0.1 um": ("domain.width_m=25.6e-6", "domain.thickness_m=25.6e-6", "grid.nx=128", "grid.ny=256"),
}
"""Each case's overrides of the built-in defaults (besides AT1 and the strength term)."""


def onset_pressures_Pa(overrides: tuple[str, ...]) -> dict[str, float]:
    """The pit's onset pressure with the strength term and with AT1 alone, and where the first is met."""
    import numpy as np

    from ecmjax.config import load_config
    from ecmjax.model.problems import (
        build_grid,
        damage_problem,
        discretise_defect,
        elasticity_problem,
        newton_settings,
        tensile_energy_J_per_m3,
    )
    from ecmjax.solver.fields.elasticity import solve_elasticity

    config = load_config(None, ("damage.model=AT1", "damage.nucleation=strength", *overrides))
    grid = build_grid(config)
    defect = discretise_defect(config, grid)
    u, info = solve_elasticity(
        elasticity_problem(config, grid, defect, REFERENCE_PRESSURE_PA), newton_settings(config, grid)
    )
    assert bool(info.converged), "elastic solve did not converge"
    psi = np.asarray(tensile_energy_J_per_m3(config, grid, defect, u))
    nodes = np.zeros(grid.node_shape)
    problem = damage_problem(config, grid, defect, u, psi, nodes)
    drive = np.asarray(problem.nucleation_drive_J_per_m3)
    threshold = 3.0 * float(problem.fracture_energy_J_per_m2) / (8.0 * float(problem.length_m))
    driven = psi > 0  # every cell that the damage solve drives (the pit's void is nearly unloaded)
    # 2 psi s^2 - c_e s - threshold = 0 for the load factor s (c_e <= 0): its positive root.
    a, b = 2.0 * psi, -drive
    scale = np.where(driven, (-b + np.sqrt(b * b + 4.0 * a * threshold)) / np.where(driven, 2.0 * a, 1.0), np.inf)
    cell = np.unravel_index(np.argmin(scale), scale.shape)
    alone = 3.0 * config.material.fracture_energy_J_per_m2 / (8.0 * config.material.phase_field_length_m)
    scale_alone = np.where(driven, np.sqrt(alone / np.where(driven, a, 1.0)), np.inf)
    x, y = (np.asarray(c)[cell] for c in grid.cell_centres_m())
    return {
        "cell_size_m": float(config.cell_size_m),
        "onset_pressure_strength_Pa": float(scale[cell] * REFERENCE_PRESSURE_PA),
        "onset_pressure_at1_alone_Pa": float(np.min(scale_alone) * REFERENCE_PRESSURE_PA),
        "onset_cell_m": [float(x), float(y)],
        "onset_cell_pit_indicator": float(np.asarray(defect.cell_indicator)[cell]),
        "tensile_strength_Pa": config.material.tensile_strength_Pa,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON (merged into)")
    args = parser.parse_args()

    from bench_record import write_record

    from ecmjax.config.precision import enable_compilation_cache, enable_float64

    enable_float64()
    enable_compilation_cache()
    rows = {}
    for name, overrides in CELLS.items():
        rows[name] = {"overrides": list(overrides), **onset_pressures_Pa(overrides)}
        print(
            f"{name}: {rows[name]['onset_pressure_strength_Pa'] / 1e6:.1f} MPa with the strength term,"
            f" {rows[name]['onset_pressure_at1_alone_Pa'] / 1e6:.1f} MPa with AT1 alone",
            flush=True,
        )
        write_record(args.out, "Onset pressure of the default pit with the strength term", cases=rows)


if __name__ == "__main__":
    main()
