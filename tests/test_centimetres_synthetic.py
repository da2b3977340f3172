"""Issue 3's centimetre targets, through ``vision.measure`` with real MediaPipe on ../shared/data/synthetic.

Each clip is measured once with the foot length the truth gives (heel to toe tip along the walking axis, as a
user would measure it): clips with a marker or sheet use it, the others fall back to the foot. Targets:
knee over toe (front of the knee past the toe tip) within 0.5 cm in the median ArUco clip and 1.0 cm in every
ArUco clip, 1.0 cm with an A4 sheet, 1.5 cm with the foot length only; toe to wall within 1.0 cm; and every
reported uncertainty honest: the error within twice the 1-sigma figure. A miss is a strict xfail quoting the
measured number (see the note on issue 3).
"""

from __future__ import annotations

import csv
import functools
import json
import statistics
from typing import Any

import pytest
from clips import SYNTHETIC, missing_reason

import vision
from vision.results import Measurement

pytestmark = pytest.mark.slow

CLIP_NAMES = sorted(path.stem for path in SYNTHETIC.glob("dev*.mp4")) if SYNTHETIC.is_dir() else []
TARGET_CM = {"aruco": 1.0, "a4": 1.0, "letter": 1.0, "foot": 1.5}
ARUCO_MEDIAN_TARGET_CM = 0.5
WALL_TARGET_CM = 1.0
COVERAGE_SIGMAS = 2.0

KNOWN_MISSES = {
    "dev05": "foot length only: measured -3.89 cm vs truth -2.09 (error -1.80), target 1.5 cm: the camera "
    "looks up 7 deg and nothing in the room gives its tilt (with the true tilt: -2.42)",
}


def clip_params(misses: dict[str, str] | None = None) -> list[Any]:
    if not CLIP_NAMES:
        return [pytest.param(None, marks=pytest.mark.skip(reason=missing_reason(SYNTHETIC)))]
    marks = {name: [pytest.mark.xfail(strict=True, reason=reason)] for name, reason in (misses or {}).items()}
    return [pytest.param(name, marks=marks.get(name, [])) for name in CLIP_NAMES]


@functools.cache
def truth(name: str) -> dict[str, Any]:
    with (SYNTHETIC / f"{name}_gt.json").open() as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def foot_length_cm(name: str) -> float:
    with (SYNTHETIC / f"{name}_gt.csv").open() as handle:
        row = next(csv.DictReader(handle))
    return float(row["toe_tip_y_cm"]) - float(row["heel_y_cm"])


@functools.cache
def measured(name: str) -> Measurement:
    return vision.measure(
        SYNTHETIC / f"{name}.mp4", vision.MeasureOptions(foot_length_cm=foot_length_cm(name))
    )


def knee_error_cm(name: str) -> tuple[str, float, float]:
    """(scale source, error, reported 1-sigma) of knee over toe at the reported peak."""
    m = measured(name)
    assert m.peak is not None
    assert m.peak.knee_over_toe_cm is not None
    assert m.peak.knee_over_toe_uncertainty_cm is not None
    error = m.peak.knee_over_toe_cm - truth(name)["knee_front_over_toe_cm_at_valid_peak"]
    return m.scale.source, error, m.peak.knee_over_toe_uncertainty_cm


@pytest.mark.parametrize("name", clip_params())
def test_scale_source_is_the_reference_on_the_floor(name: str) -> None:
    marker = truth(name)["marker"]
    expected = "foot" if marker is None else marker["type"]
    assert measured(name).scale.source == expected


@pytest.mark.parametrize("name", clip_params(KNOWN_MISSES))
def test_knee_over_toe_within_the_target_of_its_scale_source(name: str) -> None:
    source, error, _ = knee_error_cm(name)
    assert abs(error) <= TARGET_CM[source], f"{source}: error {error:+.2f} cm"


@pytest.mark.skipif(not CLIP_NAMES, reason=missing_reason(SYNTHETIC))
def test_knee_over_toe_median_with_the_aruco_marker() -> None:
    aruco = [abs(knee_error_cm(name)[1]) for name in CLIP_NAMES if measured(name).scale.source == "aruco"]
    assert aruco
    assert statistics.median(aruco) <= ARUCO_MEDIAN_TARGET_CM


@pytest.mark.parametrize("name", clip_params())
def test_knee_over_toe_error_within_twice_its_uncertainty(name: str) -> None:
    _, error, sigma = knee_error_cm(name)
    assert abs(error) <= COVERAGE_SIGMAS * sigma, f"error {error:+.2f} cm, reported +-{sigma:.2f}"


@pytest.mark.parametrize("name", clip_params())
def test_toe_to_wall(name: str) -> None:
    m = measured(name)
    assert m.peak is not None
    wall = m.peak.wall
    assert wall is not None, "a wall stands in front of the foot in every clip"
    assert wall.toe_to_wall_cm is not None
    assert wall.toe_to_wall_cm == pytest.approx(truth(name)["toe_to_wall_cm"], abs=WALL_TARGET_CM)
