"""The trends of Xu et al. (docs/model.md, validation case 8), checked on the record of their study.

The runs take minutes (plane) to half an hour (3D) each, so they are a study, ``scripts/study_xu_trends.py``,
whose record ``scripts/bench_results/xu_trends.json`` these tests read. Source of the trends: the review the
model grew from (docs/model.md, section 1): at equal depth and width a semi-sphere (semi-ellipse) outlives a
pyramid (triangle); a shallow, wide triangle (AR 0.3) cracks along the interface, a deep, narrow one (AR 3.5)
into the bulk. One case outlives another only by more than the path's error bar: the default case's largest
change of t_f under refinement of the path's settings (its study's record).
"""

import json

import pytest
from scripts_module import SCRIPTS, load_script

RECORD = json.loads((SCRIPTS / "bench_results" / "xu_trends.json").read_text())["cases"]


def _path_error_bar() -> float:
    """The default case's largest relative change of ``t_f`` under refinement of the path's settings
    (``scripts/bench_results/failure_time.json``): a difference of failure times within it is no ordering."""
    study = json.loads((SCRIPTS / "bench_results" / "failure_time.json").read_text())["convergence"]
    default = study["default"]["failure_time_s"]
    return max(abs(case["failure_time_s"] / default - 1) for name, case in study.items() if name not in ("settings",))


ERROR_BAR = _path_error_bar()


def recorded(name: str) -> dict:
    if name not in RECORD:
        pytest.skip(f"{name} is not in the record yet: python scripts/study_xu_trends.py --cases {name}")
    return RECORD[name]


def damage_is_near_the_interface(summary: dict) -> bool:
    """Whether the damage (d >= 0.5 outside the pit) reaches farther along the interface than into the bulk."""
    lateral, depth = summary["damage_lateral_extent_m"], summary["damage_depth_extent_m"]
    assert lateral + depth > 0, "no damage at all"
    return lateral > depth


def outlives(longer: dict, shorter: dict) -> bool:
    """Whether ``longer`` survives, or fails later than ``shorter`` by more than the path's error bar."""
    assert shorter["status"] == "failed"
    return longer["status"] == "survived" or longer["failure_time_s"] > shorter["failure_time_s"] * (1 + ERROR_BAR)


def test_the_record_was_made_with_the_cases_of_the_study():
    cases = load_script("study_xu_trends").CASES
    for name, run in RECORD.items():
        assert tuple(run["overrides"]) == cases[name], f"{name} was recorded with other overrides: rerun it"
    assert set(load_script("study_xu_trends").PLANE_CASES) <= set(RECORD), "every plane case is recorded"


@pytest.mark.xfail(
    strict=True,
    reason="not reproduced by the model as it stands: the triangle cracks first (22.37 s against 24.92 s) but"
    " its crack then grows more slowly, and the two short within 0.007% of each other (40.1158 s, 40.1186 s),"
    " inside the path's error bar (0.19%); the damage is driven by H = max psi+ alone (no pressure work)",
)
def test_semi_ellipse_outlives_the_triangle_of_equal_depth_and_width():
    assert outlives(recorded("plane-semi-ellipse-ar1"), recorded("plane-triangle-ar1"))


@pytest.mark.parametrize(
    ("case", "near_interface"),
    [
        pytest.param(
            "plane-triangle-ar0.3",
            True,
            marks=pytest.mark.xfail(
                strict=True,
                reason="not reproduced by the bounding box of the damage: with compressible Li the shallow "
                "triangle fails at 516 s with its damage 0.3 um wide and 5.4 um deep, like the deep pits' (with "
                "rigid Li it survived 600 s, having cut off a surface wedge, and cracked on the far side); the "
                "depth distribution of the damage connected to the pit (issue 25, item 7) is to tell them apart",
            ),
        ),
        pytest.param("plane-triangle-ar3.5", False),
    ],
)
def test_triangle_damage_sits_where_its_aspect_ratio_says(case, near_interface):
    assert damage_is_near_the_interface(recorded(case)) == near_interface


def test_semi_sphere_outlives_the_square_pyramid_in_3d():
    assert outlives(recorded("3d-semi-sphere"), recorded("3d-square-pyramid"))
