"""The trends of Xu et al. on the coupled model (docs/model.md, validation case 8): a study, not a test.

The review the model grew from reports, at equal depth and width, that a semi-sphere (semi-ellipse in the
plane section) outlives a pyramid (triangle), and that a shallow, wide triangle (AR 0.3) cracks along the
interface while a deep, narrow one (AR 3.5) cracks into the bulk. Each case here is the built-in default
physics (Li6PS5Cl, 2 mA/cm^2 through a resistive interface, h = 0.1 um, l = 0.2 um) run to failure or
600 s; the plane cases in a 12.8 um period (2 to 4 minutes each on 2 CPU cores), the 3D ones in a small
3.2 um slab (25 to 35 minutes each).

Each finished case's summary is merged into ``scripts/bench_results/xu_trends.json`` (``--out``) with
its overrides, the machine and the versions; ``tests/model/test_xu_trends.py`` checks the trends on
that record, and that the record was made with the cases defined here.

    python scripts/study_xu_trends.py                       # the plane cases
    python scripts/study_xu_trends.py --cases 3d-semi-sphere 3d-square-pyramid
"""

import argparse
import json
from pathlib import Path

RESULTS = Path(__file__).parent / "bench_results" / "xu_trends.json"

WIDE = ("domain.width_m=12.8e-6", "grid.nx=64", "time.t_end_s=600")
SMALL_3D = (
    "domain.dimension=3d",
    "domain.width_m=3.2e-6",
    "domain.thickness_m=2.4e-6",
    "grid.nx=16",
    "grid.ny=24",
    "geometry.depth_m=0.8e-6",
    "geometry.aspect_ratio=1",
    "solver.preconditioner=jacobi",
    "time.t_end_s=600",
)
CASES: dict[str, tuple[str, ...]] = {
    "plane-semi-ellipse-ar1": (*WIDE, "geometry.shape=semi-ellipse", "geometry.aspect_ratio=1"),
    "plane-triangle-ar1": (*WIDE, "geometry.shape=triangle", "geometry.aspect_ratio=1"),
    "plane-triangle-ar0.3": (*WIDE, "geometry.shape=triangle", "geometry.aspect_ratio=0.3"),
    "plane-triangle-ar3.5": (*WIDE, "geometry.shape=triangle", "geometry.aspect_ratio=3.5"),
    "3d-semi-sphere": (*SMALL_3D, "geometry.shape=semi-ellipse", "geometry.base=round"),
    "3d-square-pyramid": (*SMALL_3D, "geometry.shape=triangle", "geometry.base=square"),
}
"""Each case's overrides of the built-in defaults."""
PLANE_CASES = [name for name in CASES if name.startswith("plane-")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=PLANE_CASES)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON (merged into)")
    args = parser.parse_args()

    from bench_record import write_record

    from ecmjax.api import simulate
    from ecmjax.config import load_config
    from ecmjax.config.precision import enable_compilation_cache, enable_float64

    enable_float64()
    enable_compilation_cache()
    cases = json.loads(args.out.read_text())["cases"] if args.out.exists() else {}
    for name in args.cases:
        result = simulate(load_config(None, CASES[name]), progress=True)
        cases[name] = {"overrides": list(CASES[name]), **result.summary}
        print(f"{name}: {result.message or result.status}", flush=True)
        write_record(args.out, "Xu et al.'s trends on the coupled model", cases=cases)


if __name__ == "__main__":
    main()
