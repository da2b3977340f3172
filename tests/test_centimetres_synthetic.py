"""Issue 3's centimetre targets, through ``vision.measure`` with real MediaPipe on ../shared/data/synthetic.

Each clip is measured once with the foot length the truth gives (heel to toe tip along the walking axis, as a
user would measure it): clips with a marker or sheet use it, the others fall back to the foot. Targets:
knee over toe (front of the knee past the toe tip) within 0.5 cm in the median ArUco clip and 1.0 cm in every
ArUco clip, 1.0 cm with an A4 sheet, 1.5 cm with the foot length only; toe to wall within 1.0 cm; and every
reported uncertainty honest: the error within twice the 1-sigma figure. A miss is a strict xfail quoting the
measured number (see the note on issue 3).
"""

from __future__ import annotations

import statistics

import pytest
from clips import SYNTHETIC, missing_reason
from synthetic import CLIP_NAMES, clip_params, measured, truth

pytestmark = pytest.mark.slow

TARGET_CM = {"aruco": 1.0, "a4": 1.0, "letter": 1.0, "foot": 1.5}
ARUCO_MEDIAN_TARGET_CM = 0.5
WALL_TARGET_CM = 1.0
COVERAGE_SIGMAS = 2.0

#: Misses of the engine on the 48 clips (default options, 2 CPUs), by test: see issue 10.
KNOWN_MISSES: dict[str, dict[str, str]] = {
    "coverage": {
        "dev2_02": "measured: error -3.13 cm, reported +-1.31",
        "dev2_03": "measured: error -1.70 cm, reported +-0.62",
        "dev2_10": "measured: error +2.13 cm, reported +-1.03",
        "dev2_13": "measured: error -7.06 cm, reported +-0.95",
        "dev2_14": "measured: error -7.89 cm, reported +-1.05",
        "dev2_18": "measured: error +31.51 cm, reported +-3.79",
        "dev2_19": "measured: error -10.67 cm, reported +-3.00",
        "dev2_24": "measured: error +7.46 cm, reported +-1.07",
        "dev2_26": "measured: error -1.83 cm, reported +-0.85",
        "dev2_27": "measured: error -13.13 cm, reported +-1.64",
        "dev2_31": "measured: assert None is not None",
        "dev2_32": "measured: error -0.43 cm, reported +-0.21",
        "dev2_33": "measured: error -16.18 cm, reported +-1.28",
        "dev2_34": "measured: assert None is not None",
        "dev2_37": "measured: error +2.80 cm, reported +-1.37",
    },
    "knee_over_toe": {
        "dev05": "measured: foot: error -1.80 cm",
        "dev2_02": "measured: foot: error -3.13 cm",
        "dev2_03": "measured: aruco: error -1.70 cm",
        "dev2_05": "measured: foot: error +1.58 cm",
        "dev2_07": "measured: foot: error -1.66 cm",
        "dev2_08": "measured: foot: error +4.34 cm",
        "dev2_10": "measured: foot: error +2.13 cm",
        "dev2_11": "measured: foot: error +2.28 cm",
        "dev2_13": "measured: a4: error -7.06 cm",
        "dev2_14": "measured: foot: error -7.89 cm",
        "dev2_18": "measured: foot: error +31.51 cm",
        "dev2_19": "measured: foot: error -10.67 cm",
        "dev2_21": "measured: aruco: error +1.01 cm",
        "dev2_23": "measured: foot: error -2.13 cm",
        "dev2_24": "measured: a4: error +7.46 cm",
        "dev2_26": "measured: foot: error -1.83 cm",
        "dev2_27": "measured: foot: error -13.13 cm",
        "dev2_30": "measured: foot: error +3.78 cm",
        "dev2_31": "measured: assert None is not None",
        "dev2_33": "measured: foot: error -16.18 cm",
        "dev2_34": "measured: assert None is not None",
        "dev2_35": "measured: foot: error -1.81 cm",
        "dev2_37": "measured: foot: error +2.80 cm",
        "dev2_39": "measured: aruco: error +1.40 cm",
    },
    "scale_source": {
        "dev2_04": "measured: assert 'foot' == 'a4'",
        "dev2_05": "measured: assert 'foot' == 'a4'",
        "dev2_06": "measured: assert 'foot' == 'a4'",
        "dev2_07": "measured: assert 'foot' == 'a4'",
        "dev2_10": "measured: assert 'foot' == 'aruco'",
        "dev2_16": "measured: assert 'foot' == 'aruco'",
        "dev2_19": "measured: assert 'foot' == 'a4'",
        "dev2_25": "measured: assert 'foot' == 'aruco'",
        "dev2_26": "measured: assert 'foot' == 'a4'",
        "dev2_36": "measured: assert 'foot' == 'a4'",
    },
    "toe_to_wall": {
        "dev2_05": "measured: a wall stands in front of the foot in every clip",
        "dev2_06": "measured: a wall stands in front of the foot in every clip",
        "dev2_07": "measured: assert 6.620340425375979 == 4.8249 ± 1",
        "dev2_08": "measured: assert 20.18811342116337 == 14.0962 ± 1",
        "dev2_10": "measured: assert 12.912589375649764 == 10.6706 ± 1",
        "dev2_11": "measured: a wall stands in front of the foot in every clip",
        "dev2_12": "measured: assert 17.39285360229687 == 16.3038 ± 1",
        "dev2_13": "measured: assert 1.8676147105487533 == 7.5498 ± 1",
        "dev2_14": "measured: a wall stands in front of the foot in every clip",
        "dev2_16": "measured: assert 11.198772141628412 == 9.9841 ± 1",
        "dev2_17": "measured: a wall stands in front of the foot in every clip",
        "dev2_18": "measured: assert 42.17628941337352 == 9.2288 ± 1",
        "dev2_19": "measured: a wall stands in front of the foot in every clip",
        "dev2_24": "measured: assert 14.243759942664074 == 6.0941 ± 1",
        "dev2_25": "measured: assert 18.150071772499142 == 15.3423 ± 1",
        "dev2_26": "measured: a wall stands in front of the foot in every clip",
        "dev2_27": "measured: assert 8.43872329721695 == 5.4945 ± 1",
        "dev2_28": "measured: a wall stands in front of the foot in every clip",
        "dev2_30": "measured: a wall stands in front of the foot in every clip",
        "dev2_31": "measured: assert None is not None",
        "dev2_34": "measured: assert None is not None",
        "dev2_38": "measured: a wall stands in front of the foot in every clip",
    },
}


def knee_error_cm(name: str) -> tuple[str, float, float]:
    """(scale source, error, reported 1-sigma) of knee over toe at the reported peak."""
    m = measured(name)
    assert m.peak is not None
    assert m.peak.knee_over_toe_cm is not None
    assert m.peak.knee_over_toe_uncertainty_cm is not None
    error = m.peak.knee_over_toe_cm - truth(name)["knee_front_over_toe_cm_at_valid_peak"]
    return m.scale.source, error, m.peak.knee_over_toe_uncertainty_cm


@pytest.mark.parametrize("name", clip_params(KNOWN_MISSES.get("scale_source")))
def test_scale_source_is_the_reference_on_the_floor(name: str) -> None:
    marker = truth(name)["marker"]
    expected = "foot" if marker is None else marker["type"]
    assert measured(name).scale.source == expected


@pytest.mark.parametrize("name", clip_params(KNOWN_MISSES.get("knee_over_toe")))
def test_knee_over_toe_within_the_target_of_its_scale_source(name: str) -> None:
    source, error, _ = knee_error_cm(name)
    assert abs(error) <= TARGET_CM[source], f"{source}: error {error:+.2f} cm"


@pytest.mark.skipif(not CLIP_NAMES, reason=missing_reason(SYNTHETIC))
@pytest.mark.xfail(
    strict=True, reason="a marker clip has no result (every rep read as a heel lift): issue 10"
)
def test_knee_over_toe_median_with_the_aruco_marker() -> None:
    aruco = [abs(knee_error_cm(name)[1]) for name in CLIP_NAMES if measured(name).scale.source == "aruco"]
    assert aruco
    assert statistics.median(aruco) <= ARUCO_MEDIAN_TARGET_CM


@pytest.mark.parametrize("name", clip_params(KNOWN_MISSES.get("coverage")))
def test_knee_over_toe_error_within_twice_its_uncertainty(name: str) -> None:
    _, error, sigma = knee_error_cm(name)
    assert abs(error) <= COVERAGE_SIGMAS * sigma, f"error {error:+.2f} cm, reported +-{sigma:.2f}"


@pytest.mark.parametrize("name", clip_params(KNOWN_MISSES.get("toe_to_wall")))
def test_toe_to_wall(name: str) -> None:
    m = measured(name)
    assert m.peak is not None
    wall = m.peak.wall
    assert wall is not None, "a wall stands in front of the foot in every clip"
    assert wall.toe_to_wall_cm is not None
    assert wall.toe_to_wall_cm == pytest.approx(truth(name)["toe_to_wall_cm"], abs=WALL_TARGET_CM)
