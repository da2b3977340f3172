"""Issue 10's centimetre targets, through ``vision.measure`` with real MediaPipe on ../shared/data/synthetic.

Each clip is measured once with the foot length the truth gives (heel to toe tip along the walking axis, as a
user would measure it): clips with a marker or sheet use it, the others fall back to the foot. Targets per
clip: the marker or sheet is the scale where one lies on the floor; knee over toe (front of the knee past the
toe tip) within 1.0 cm with an ArUco marker (0.5 cm in the median marker clip), 1.5 cm with a sheet, 2.5 cm
with the foot length only; toe to wall within 1.0 cm; every error within twice its reported 1-sigma (90% of
the ``check`` clips must be); and no figure more than 3 cm off that is not called rough. A miss is a strict
xfail quoting the measured number (``benchmarks/centimetres.py`` prints the same figures). Clips without a
result are the angle tests' business (test_pipeline_synthetic).
"""

from __future__ import annotations

import statistics

import pytest
from clips import SYNTHETIC, missing_reason
from synthetic import CLIP_NAMES, clip_params, measured, names_in, truth

pytestmark = pytest.mark.slow

TARGET_CM = {"aruco": 1.0, "a4": 1.5, "letter": 1.5, "foot": 2.5}
ARUCO_MEDIAN_TARGET_CM = 0.5
WALL_TARGET_CM = 1.0
COVERAGE_SIGMAS = 2.0
COVERAGE_SHARE = 0.9
CONFIDENT_WRONG_CM = 3.0

#: Misses of the engine on the 48 clips (default options, 2 CPUs), by test: see issue 10.
KNOWN_MISSES: dict[str, dict[str, str]] = {
    "coverage": {},
    "knee_over_toe": {
        "dev2_03": "measured: aruco: error -1.70 cm",
        "dev2_08": "measured: foot: error +2.80 cm",
        "dev2_12": "measured: aruco: error -1.70 cm",
        "dev2_14": "measured: foot: error -3.76 cm",
        "dev2_19": "measured: foot: error +4.26 cm",
        "dev2_29": "measured: foot: error -2.69 cm",
        "dev2_30": "measured: foot: error +5.32 cm",
        "dev2_37": "measured: foot: error +3.03 cm",
        "dev2_39": "measured: aruco: error +1.58 cm",
    },
    "scale_source": {
        "dev2_04": "measured: scale from the foot, not the a4 (a toe's shadow over a corner)",
        "dev2_06": "measured: scale from the foot, not the a4 (2 px tall: a camera 28 cm up)",
        "dev2_10": "measured: scale from the foot, not the aruco (3 px tall: a camera 35 cm up)",
        "dev2_16": "measured: scale from the foot, not the aruco (22 px across)",
        "dev2_19": "measured: scale from the foot, not the a4 (a camera 9 cm up)",
        "dev2_25": "measured: scale from the foot, not the aruco",
        "dev2_26": "measured: scale from the foot, not the a4",
    },
    "toe_to_wall": {
        "dev2_05": "measured: no wall found (a wall stands in front of the foot)",
        "dev2_06": "measured: no wall found (a wall stands in front of the foot)",
        "dev2_08": "measured: error +3.38 cm",
        "dev2_11": "measured: no wall found (a wall stands in front of the foot)",
        "dev2_14": "measured: no wall found (a wall stands in front of the foot)",
        "dev2_16": "measured: error +1.21 cm",
        "dev2_19": "measured: no wall found (a wall stands in front of the foot)",
        "dev2_22": "measured: error -1.07 cm",
        "dev2_24": "measured: error +1.52 cm",
        "dev2_30": "measured: no wall found (a wall stands in front of the foot)",
        "dev2_31": "measured: no wall found (a wall stands in front of the foot)",
    },
}


def with_result(name: str) -> None:
    if measured(name).peak is None:
        pytest.skip(f"{name} has no result ({measured(name).status}): counted by test_pipeline_synthetic")


def knee_error_cm(name: str) -> tuple[str, float, float]:
    """(scale source, error, reported 1-sigma) of knee over toe at the reported peak."""
    with_result(name)
    m = measured(name)
    assert m.peak is not None
    assert m.peak.knee_over_toe_cm is not None
    assert m.peak.knee_over_toe_uncertainty_cm is not None
    error = m.peak.knee_over_toe_cm - truth(name)["knee_front_over_toe_cm_at_valid_peak"]
    return m.scale.source, error, m.peak.knee_over_toe_uncertainty_cm


def wall_error_cm(name: str) -> tuple[float, float] | None:
    """(error, reported 1-sigma) of toe to wall, None when no wall with a distance in cm was reported."""
    with_result(name)
    peak = measured(name).peak
    assert peak is not None
    wall = peak.wall
    if wall is None or wall.toe_to_wall_cm is None or wall.toe_to_wall_uncertainty_cm is None:
        return None
    return wall.toe_to_wall_cm - truth(name)["toe_to_wall_cm"], wall.toe_to_wall_uncertainty_cm


@pytest.mark.parametrize("name", clip_params(KNOWN_MISSES.get("scale_source")))
def test_scale_source_is_the_reference_on_the_floor(name: str) -> None:
    marker = truth(name)["marker"]
    expected = "foot" if marker is None else marker["type"]
    source = measured(name).scale.source
    assert source == expected, f"scale from the {source}, not the {expected}"


@pytest.mark.parametrize("name", clip_params(KNOWN_MISSES.get("knee_over_toe")))
def test_knee_over_toe_within_the_target_of_its_scale_source(name: str) -> None:
    source, error, _ = knee_error_cm(name)
    assert abs(error) <= TARGET_CM[source], f"{source}: error {error:+.2f} cm"


@pytest.mark.skipif(not CLIP_NAMES, reason=missing_reason(SYNTHETIC))
@pytest.mark.xfail(strict=True, reason="measured: median 0.54 cm over the 11 marker clips (issue 10)")
def test_knee_over_toe_median_with_the_aruco_marker() -> None:
    with_marker = [
        n for n in CLIP_NAMES if measured(n).peak is not None and measured(n).scale.source == "aruco"
    ]
    errors = [abs(knee_error_cm(name)[1]) for name in with_marker]
    assert errors
    assert statistics.median(errors) <= ARUCO_MEDIAN_TARGET_CM


@pytest.mark.parametrize("name", clip_params(KNOWN_MISSES.get("coverage")))
def test_knee_over_toe_error_within_twice_its_uncertainty(name: str) -> None:
    _, error, sigma = knee_error_cm(name)
    assert abs(error) <= COVERAGE_SIGMAS * sigma, f"error {error:+.2f} cm, reported +-{sigma:.2f}"


@pytest.mark.parametrize("name", clip_params(KNOWN_MISSES.get("toe_to_wall")))
def test_toe_to_wall(name: str) -> None:
    with_result(name)
    found = wall_error_cm(name)
    assert found is not None, "no wall found (a wall stands in front of the foot)"
    error, _ = found
    assert abs(error) <= WALL_TARGET_CM, f"error {error:+.2f} cm"


@pytest.mark.parametrize("name", clip_params(KNOWN_MISSES.get("wall_coverage")))
def test_toe_to_wall_error_within_twice_its_uncertainty(name: str) -> None:
    found = wall_error_cm(name)
    if found is None:
        pytest.skip("no wall reported: test_toe_to_wall counts it")
    error, sigma = found
    assert abs(error) <= COVERAGE_SIGMAS * sigma, f"error {error:+.2f} cm, reported +-{sigma:.2f}"


@pytest.mark.parametrize("name", clip_params(KNOWN_MISSES.get("no_confident_wrong")))
def test_no_figure_far_off_without_being_called_rough(name: str) -> None:
    """A distance more than 3 cm off must carry a warning calling it rough (its doubt, or the toe tip's)."""
    _, knee_error, _ = knee_error_cm(name)
    wall = wall_error_cm(name)
    far_off = abs(knee_error) > CONFIDENT_WRONG_CM or (wall is not None and abs(wall[0]) > CONFIDENT_WRONG_CM)
    if far_off:
        assert any("rough" in w for w in measured(name).warnings), "more than 3 cm off, not called rough"


@pytest.mark.skipif(not CLIP_NAMES, reason=missing_reason(SYNTHETIC))
@pytest.mark.parametrize("which", ["knee over toe", "toe to wall"])
def test_uncertainty_covers_the_error_on_nine_in_ten_check_clips(which: str) -> None:
    pairs = []
    for name in names_in("check"):
        if measured(name).peak is None:
            continue
        if which == "knee over toe":
            pairs.append(knee_error_cm(name)[1:])
        elif (found := wall_error_cm(name)) is not None:
            pairs.append(found)
    within = sum(abs(error) <= COVERAGE_SIGMAS * sigma for error, sigma in pairs)
    assert pairs
    assert within >= COVERAGE_SHARE * len(pairs), f"{within} of {len(pairs)} within 2 sigma"
