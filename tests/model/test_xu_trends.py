"""docs/model.md case 8: the trends of Xu et al. on the coupled model, at modest resolution (slow), in the
plane-strain section and, for the shapes, in 3D.

The built-in default case (Li6PS5Cl, 2 mA/cm^2 through a resistive interface, h = 0.1 um, l = 0.2 um) in
a 12.8 um wide period, 6.4 um thick. Sources: the review in ../shared/seed/ (section 1 of docs/model.md):
at equal depth and width a semi-sphere (semi-ellipse) outlives a pyramid (triangle); a shallow, wide
triangle (AR 0.3) cracks along the interface, a deep, narrow one (AR 3.5) into the bulk.
"""

from pathlib import Path

import pytest

from ecmjax.api import simulate
from ecmjax.config import load_config

WIDE = ("domain.width_m=12.8e-6", "grid.nx=64", "time.t_end_s=600")


def run(*overrides):
    return simulate(load_config(None, WIDE + overrides))


def for_both_aspect_ratios(*shallow_marks):
    """The reported damage location: a shallow pit (AR 0.3) cracks near the interface, a deep one (AR 3.5)
    into the bulk; ``shallow_marks`` mark the shallow case (an ``xfail`` where it is not reproduced)."""
    return pytest.mark.parametrize(
        ("aspect_ratio", "near_interface"),
        [
            pytest.param(0.3, True, id="AR 0.3 near the interface", marks=shallow_marks),
            pytest.param(3.5, False, id="AR 3.5 into the bulk"),
        ],
    )


def damage_is_near_the_interface(summary: dict) -> bool:
    """Whether the damage (d >= 0.5 outside the pit) reaches farther along the interface than into the bulk."""
    lateral, depth = summary["damage_lateral_extent_m"], summary["damage_depth_extent_m"]
    assert lateral + depth > 0, "no damage at all"
    return lateral > depth


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="not reproduced by the model as it stands: measured (2026-11-29) semi-ellipse AR 1 fails at 35.82 s "
    "(initiation 17.28 s at 213 MPa), triangle AR 1 at 37.23 s (initiation 17.05 s at 222 MPa): the "
    "triangle cracks first but its crack then grows more slowly; the damage is driven by H = max psi+ "
    "alone (no pressure work, see docs/model.md)",
)
def test_semi_ellipse_outlives_the_triangle_of_equal_depth_and_width():
    ellipse = run("geometry.shape=semi-ellipse", "geometry.aspect_ratio=1")
    triangle = run("geometry.shape=triangle", "geometry.aspect_ratio=1")
    print("semi-ellipse", ellipse.summary, "\ntriangle", triangle.summary)
    assert triangle.status == "failed"
    assert ellipse.status == "survived" or ellipse.summary["failure_time_s"] > triangle.summary["failure_time_s"]


@pytest.mark.slow
@for_both_aspect_ratios(
    pytest.mark.xfail(
        strict=True,
        reason="not reproduced by the bounding box of the damage: measured (2026-11-30) AR 0.3 survives to "
        "600 s (134 steps); cracks from the pit's mouth and from the anode surface beside it cut off a "
        "wedge 1.5 um wide and 1.9 um deep, then the Li vents and its pressure stays at 12-19 MPa; but the "
        "slab also cracks on its far side under the pit (bending at up to 387 MPa), so the damage spans "
        "4.2 um laterally and 6.4 um in depth",
    )
)
def test_triangle_damage_sits_where_its_aspect_ratio_says(aspect_ratio, near_interface):
    result = run("geometry.shape=triangle", f"geometry.aspect_ratio={aspect_ratio}")
    print(aspect_ratio, result.summary)
    assert damage_is_near_the_interface(result.summary) == near_interface


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
"""The default physics in 3D, small: a 3.2 um square slab 2.4 um thick, h = 0.1 um (16 x 16 x 24 cells of
the quarter), pits 0.8 um deep with base half-width 0.8 um. About 25 to 35 minutes a run on 2 cores."""


@pytest.mark.slow
def test_semi_sphere_outlives_the_square_pyramid_in_3d():
    # The review's 3D finding (docs/model.md section 1): a semi-sphere outlives a square pyramid of equal
    # depth and base width. Measured (2026-11-30): semi-sphere fails at 20.39 s (initiation 19.09 s at
    # 444 MPa), square pyramid at 19.39 s (initiation 16.59 s at 463 MPa). The pyramid holds 64% of the
    # semi-sphere's volume, so its pressure rises sooner; it cracks at a higher pressure.
    sphere = simulate(load_config(None, (*SMALL_3D, "geometry.shape=semi-ellipse", "geometry.base=round")))
    pyramid = simulate(load_config(None, (*SMALL_3D, "geometry.shape=triangle", "geometry.base=square")))
    print("semi-sphere", sphere.summary, "\nsquare pyramid", pyramid.summary)
    assert pyramid.status == "failed"
    assert sphere.status == "survived" or sphere.summary["failure_time_s"] > pyramid.summary["failure_time_s"]


SQUARE_PYRAMID_3D = Path(__file__).parents[2] / "examples" / "square_pyramid_3d.toml"
"""A square pyramid 1 um deep in the default cell, in 3D: an 11.2 um square period 6.4 um thick, h = 0.1 um
(56 x 56 x 64 cells of the quarter); scripts/trend_3d_aspect_ratio.py runs the same cases on a GPU."""


@pytest.mark.slow
@for_both_aspect_ratios()
def test_square_pyramid_damage_sits_where_its_aspect_ratio_says(aspect_ratio, near_interface):
    # The review's 3D finding (docs/model.md section 1): a shallow square pyramid pulverises the surface, a
    # deep one cracks the bulk.
    result = simulate(load_config(SQUARE_PYRAMID_3D, [f"geometry.aspect_ratio={aspect_ratio}"]))
    print(aspect_ratio, result.summary)
    assert damage_is_near_the_interface(result.summary) == near_interface
