"""Where a square pyramid cracks, by its aspect ratio, in 3D (issue 8, deliverable 4).

The review (docs/model.md section 1) reports that a shallow square pyramid (AR 0.3) cracks along the interface
and pulverises the surface, while a deep one (AR 3.5) cracks into the bulk. This runs the cell of
``examples/square_pyramid_3d.toml`` at each aspect ratio to failure (or ``time.t_end_s``) and compares the
damage's lateral and depth extents (d >= 0.5 outside the pit) at the end, as
``tests/model/test_xu_trends.py::test_square_pyramid_damage_sits_where_its_aspect_ratio_says`` asserts.

``--compile-only`` compiles each case into the compilation cache (``$ECMJAX_CACHE_DIR``) and stops, so
that on a GPU host the cases can be compiled side by side, in one process each, before they run.
Results (each run's summary and the device) go to ``scripts/bench_results/trend_3d_aspect_ratio.json``
(``--out``), written after every run; ``--figures DIR`` also draws each run's damage and history;
``--checkpoints DIR`` saves each run every 20 steps and continues it from there when rerun.
"""

import argparse
from pathlib import Path

from bench_record import write_record

CELL = Path(__file__).parent.parent / "examples" / "square_pyramid_3d.toml"
RESULTS = Path(__file__).parent / "bench_results" / "trend_3d_aspect_ratio.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aspect-ratios", nargs="+", type=float, default=[0.3, 3.5])
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override a key")
    parser.add_argument("--compile-only", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    parser.add_argument("--figures", type=Path, help="draw each run's damage and history under DIR/AR")
    parser.add_argument("--checkpoints", type=Path, help="checkpoint each run under DIR/AR, and resume from there")
    args = parser.parse_args()

    import jax.numpy as jnp

    from ecmjax.api import simulate
    from ecmjax.config import load_config
    from ecmjax.config.precision import enable_compilation_cache, enable_float64
    from ecmjax.model.simulation import advance_jit, start_jit  # what simulation.run calls
    from ecmjax.output.plots import plot_run

    enable_float64()  # as the CLI: float64 unless the cell's solver.dtype says float32
    enable_compilation_cache()
    runs = []
    for aspect_ratio in args.aspect_ratios:
        config = load_config(CELL, [f"geometry.aspect_ratio={aspect_ratio}", *args.set])
        if args.compile_only:
            model, state = start_jit(config)
            advance_jit(model, state, jnp.asarray(0)).step.block_until_ready()
            print(f"AR {aspect_ratio}: compiled", flush=True)
            continue
        saves = {}
        if args.checkpoints is not None:
            saves = {"checkpoint_dir": args.checkpoints / f"AR{aspect_ratio}", "checkpoint_every": 20, "resume": True}
        result = simulate(config, progress=True, **saves)
        summary = result.summary
        lateral, depth = summary["damage_lateral_extent_m"], summary["damage_depth_extent_m"]
        where = "none" if lateral + depth == 0 else "near the interface" if lateral > depth else "into the bulk"
        print(f"AR {aspect_ratio}: {result.message}; damage {lateral:.3g} m wide, {depth:.3g} m deep: {where}")
        runs.append({"aspect_ratio": aspect_ratio, "message": result.message, **summary})
        write_record(args.out, f"square pyramid damage against aspect ratio in 3D, {CELL.name}", runs=runs)
        if args.figures is not None:
            figures = args.figures / f"AR{aspect_ratio}"
            figures.mkdir(parents=True, exist_ok=True)
            plot_run(result, config, figures)


if __name__ == "__main__":
    main()
