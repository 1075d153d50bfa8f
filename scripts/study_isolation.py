"""Is the default pit isolated? Its failure time as the lateral period grows, on grids graded along x.

The default case (docs/model.md section 3b) is rerun in cells 6.4, 12.8, 25.6 and 51.2 um wide, each with
its far side free (the default) and clamped. The 6.4 and 12.8 um cells are uniform (32 and 64 columns of
0.1 um); the wider ones keep the 32 square columns about the pit and add 32 graded columns that widen
geometrically to the cell's half-width (``grid.graded_cells``, growth 1.06 and 1.10). A run that has
not failed after ``--max-increments`` increments is recorded as it stands (``status`` ``incomplete``),
with where its damage lies.

Writes ``scripts/bench_results/isolation.json`` (``--out``) with the machine and the versions;
``tests/model/test_isolation_study.py`` checks the record.

    python scripts/study_isolation.py            # about 40 min on 2 CPU cores
"""

import argparse
import json
import platform
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "bench_results" / "isolation.json"
WIDTHS_UM = (6.4, 12.8, 25.6, 51.2)
FAR_SIDES = ("traction-free", "fixed")
SQUARE_COLUMNS = 32
"""Square columns about the pit (3.2 um at the default h = 0.1 um: the pit's half-width and 2.2 depths)."""
GRADED_COLUMNS = 32


def grid_overrides(width_um: float) -> list[str]:
    """The grid of a cell ``width_um`` wide: uniform up to 64 columns, then graded beyond 32 square ones."""
    square = round(width_um / 2 / 0.1)
    if square <= 2 * SQUARE_COLUMNS:
        return [f"domain.width_m={width_um * 1e-6!r}", f"grid.nx={square}"]
    return [
        f"domain.width_m={width_um * 1e-6!r}",
        f"grid.nx={SQUARE_COLUMNS + GRADED_COLUMNS}",
        f"grid.graded_cells={GRADED_COLUMNS}",
    ]


def run_case(settings: list[str], max_increments: int) -> dict:
    from ecmjax.config import load_config
    from ecmjax.model.simulation import run, run_figures

    config = load_config(None, [*settings, f"path.max_increments={max_increments}"])
    start = time.perf_counter()
    model, state = run(config)
    figures = run_figures(model, state).as_json()
    keep = (
        "status",
        "failure_time_s",
        "initiation_time_s",
        "initiation_pressure_Pa",
        "max_pressure_Pa",
        "crack_tip_depth_m",
        "damage_lateral_extent_m",
        "damage_mean_depth_m",
        "n_steps",
    )
    ratio = None if config.x_cell_scale is None else float(config.x_cell_scale[config.uniform_columns])
    return {
        "settings": settings,
        "growth_ratio": ratio,
        **{key: figures[key] for key in keep},
        "wall_time_s": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--max-increments", type=int, default=150)
    args = parser.parse_args()

    import jax

    from ecmjax.config.precision import enable_compilation_cache, enable_float64

    enable_float64()
    enable_compilation_cache()
    rows = []
    for far_side in FAR_SIDES:
        for width in WIDTHS_UM:
            settings = [*grid_overrides(width), f"domain.far_side_bc={far_side}"]
            row = {"width_um": width, "far_side_bc": far_side, **run_case(settings, args.max_increments)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    record = {
        "machine": f"{platform.machine()}, {jax.local_device_count()} {jax.default_backend()} device(s)",
        "versions": {"jax": jax.__version__},
        "max_increments": args.max_increments,
        "rows": rows,
    }
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(args.out)


if __name__ == "__main__":
    main()
