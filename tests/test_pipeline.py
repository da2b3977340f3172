"""Tests of vision.pipeline's small pure helpers and its options (the whole pipeline against ground truth:
test_pipeline_synthetic, on real clips: test_pipeline_real)."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from clips import filtered

import vision
from vision.geometry import LEVEL_UP
from vision.metrics.distances import combined_uncertainty_cm
from vision.metrics.reps import foot_intact
from vision.metrics.series import heel_rise_px
from vision.pipeline import (
    MeasureOptions,
    analysis_stride,
    measure,
    measure_from_pose,
    run_pose,
)
from vision.pose.legs import POINT_NAMES, LegPoints
from vision.results import Measurement

SAMPLE = Path(__file__).resolve().parents[1] / "sample_videos" / "lunge_left_aruco.mp4"
SAMPLE_RIGHT = SAMPLE.with_name("lunge_right_heel_lift.mp4")  # no marker: its scale is the foot length


def test_combined_uncertainty_adds_its_parts_in_quadrature() -> None:
    """10 cm at a 3 % scale doubt (0.3 cm), the two points known to 0.7 cm, reps of 10 and 11 cm (sample sd
    0.71 cm) and 0.4 cm from the camera's unmeasured orientation."""
    total = combined_uncertainty_cm(10.0, 0.03, 0.7, [10.0, 11.0], camera_doubt_cm=0.4)
    assert total == pytest.approx(math.sqrt(0.3**2 + 0.7**2 + 0.5 + 0.4**2))
    assert combined_uncertainty_cm(10.0, 0.03, 0.7, [10.0]) == pytest.approx(math.sqrt(0.3**2 + 0.7**2))


@pytest.mark.parametrize(
    ("fps", "analysis_fps", "stride"), [(30, 15, 2), (60, 15, 4), (25, 15, 2), (10, 15, 1), (30, 0, 1)]
)
def test_analysis_stride(fps: float, analysis_fps: float, stride: int) -> None:
    assert analysis_stride(fps, analysis_fps) == stride


def planted_foot(n: int = 10) -> dict[str, np.ndarray]:
    """A foot on the floor, facing right (image y grows downward)."""
    fixed = {"heel": (400.0, 580.0), "heel_bottom": (410.0, 600.0), "toe": (580.0, 595.0)}
    return {name: np.tile(np.array(fixed.get(name, (500.0, 400.0))), (n, 1)) for name in POINT_NAMES}


def heel_rise(points: dict[str, np.ndarray]) -> np.ndarray:
    n = len(points["heel"])
    rise, _ = heel_rise_px(LegPoints(**points, visibility={k: np.ones(n) for k in POINT_NAMES}), LEVEL_UP)
    return rise


def test_heel_rise_is_the_mean_of_its_rise_against_the_toe_and_in_the_image() -> None:
    """The toe landmark dips 6 px in frames 3-4 (heel down): half of it reads as a rise, and the two readings
    are 6 px apart there (a gap of 3), which tells the rise was not seen by both."""
    points = planted_foot()
    points["toe"][3:5, 1] += 6.0
    rise, gap = heel_rise_px(LegPoints(**points, visibility={k: np.ones(10) for k in POINT_NAMES}), LEVEL_UP)
    np.testing.assert_allclose(rise, [0, 0, 0, 3, 3, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(gap, [0, 0, 0, 3, 3, 0, 0, 0, 0, 0])


def test_heel_rise_follows_the_bottom_of_the_heel_not_the_landmark() -> None:
    """The heel landmark rides 12 px up the back of the heel in frames 2-4 (deep knee bend, heel down): no
    rise. The bottom of the heel lifts 8 px in frames 6-7: an 8 px rise."""
    points = planted_foot()
    points["heel"][2:5, 1] -= 12.0
    points["heel_bottom"][6:8, 1] -= 8.0
    np.testing.assert_allclose(heel_rise(points), [0, 0, 0, 0, 0, 0, 8, 8, 0, 0])


def test_heel_rise_falls_back_to_the_landmark_where_the_heel_bottom_is_missing() -> None:
    points = planted_foot()
    points["heel"][6:8, 1] -= 8.0
    points["heel_bottom"][5:, :] = np.nan
    np.testing.assert_allclose(heel_rise(points), [0, 0, 0, 0, 0, 0, 8, 8, 0, 0])


@pytest.mark.slow
def test_detection_on_every_frame_measures_the_sample_too() -> None:
    """``pose_tracking=False`` (the comparison ``benchmarks/accuracy.py --detection`` makes) runs a fresh
    person detection per frame and still finds the leg, the facing and the true peak (the front of the shin)
    within 4 deg."""
    truth = json.loads(SAMPLE.with_name(f"{SAMPLE.stem}_gt.json").read_text())
    m = vision.measure(SAMPLE, vision.MeasureOptions(pose_tracking=False))
    assert (m.side, m.facing) == (truth["front_leg"], truth["facing"])
    assert m.peak is not None
    assert m.peak.shin_angle_deg == pytest.approx(truth["valid_peak_theta_surface_deg"], abs=4.0)


@pytest.mark.slow
def test_a_rock_in_a_flash_or_fade_is_not_the_result(tmp_path: Path) -> None:
    """The sample's deeper rock (rep 2, 2.2-2.9 s) filmed through a flash of light: it is not a clean picture
    of the test, so it is not counted, and the result is rep 1."""
    flashed = filtered(SAMPLE, tmp_path / "flash.mp4", "eq=brightness=0.2:enable='between(t,2.2,2.9)'")
    m = vision.measure(flashed)
    first, second = m.reps
    assert first.valid
    assert not second.valid
    assert second.reason is not None
    assert "fades, flashes or cuts" in second.reason
    assert m.peak is not None
    assert m.peak.frame == first.peak_frame


def as_json(m: Measurement) -> str:
    return json.dumps(m.to_dict(), sort_keys=True)


@pytest.mark.slow
def test_measure_is_the_pose_pass_then_the_analysis_and_the_wall_is_found_from_a_copy(tmp_path: Path) -> None:
    """measure() == measure_from_pose(run_pose()) on a real clip, including the wall, which is read from a few
    frames of the hold reopened from the run's clip (here a copy elsewhere, as the app keeps it)."""
    options = MeasureOptions(side="left")
    run = run_pose(SAMPLE, options)
    whole = measure(SAMPLE, options)
    assert whole.peak is not None
    assert whole.peak.wall is not None
    assert as_json(measure_from_pose(run, options)) == as_json(whole)
    copy = shutil.copy(SAMPLE, tmp_path / "elsewhere.mp4")
    assert as_json(measure_from_pose(dataclasses.replace(run, path=Path(copy)), options)) == as_json(whole)
    # The marker's size is a scale setting: the same run gives what a fresh measure gives.
    bigger = MeasureOptions(side="left", marker_size_cm=12.0)
    assert as_json(measure_from_pose(run, bigger)) == as_json(measure(SAMPLE, bigger))


@pytest.mark.slow
def test_one_pose_run_serves_any_foot_length() -> None:
    """On a clip scaled by the foot, another foot length on the same run gives the new centimetres (those of
    a fresh measure) and the same angle; the run is not changed by being analysed."""
    short, long = (MeasureOptions(side="right", foot_length_cm=cm) for cm in (24.0, 28.0))
    run = run_pose(SAMPLE_RIGHT, short)
    first = measure_from_pose(run, short)
    second = measure_from_pose(run, long)
    assert as_json(second) == as_json(measure(SAMPLE_RIGHT, long))
    assert first.scale is not None
    assert first.scale.source == "foot"
    assert first.peak is not None
    assert second.peak is not None
    assert first.peak.knee_over_toe_cm is not None
    assert second.peak.knee_over_toe_cm is not None
    assert second.peak.knee_over_toe_cm == pytest.approx(first.peak.knee_over_toe_cm * 28 / 24, rel=1e-6)
    assert abs(second.peak.knee_over_toe_cm - first.peak.knee_over_toe_cm) > 0.3
    assert second.peak.shin_angle_deg == first.peak.shin_angle_deg
    assert as_json(measure_from_pose(run, short)) == as_json(first)
    with pytest.raises(vision.InputError, match="implausible"):
        measure_from_pose(run, dataclasses.replace(short, foot_length_cm=80.0))


@pytest.mark.slow
def test_the_result_picture_is_framed_in_the_accent_not_in_alarm_red() -> None:
    """The annotated peak frame of a real clip (the app's and the CLI's result picture) has a calm frame."""
    from vision.app.logic import read_frame
    from vision.output import export

    m = measure(SAMPLE, MeasureOptions(side="left"))
    shown = export.shown_frame(m)
    assert shown is not None
    frame = read_frame(SAMPLE, *shown)
    picture = export.peak_image(m, frame)
    assert picture.shape == frame.image.shape
    edges = np.concatenate([picture[0], picture[-1], picture[:, 0], picture[:, -1]])
    assert (edges == export.PEAK_FRAME_BGR).all()
    assert not (frame.image[0] == export.PEAK_FRAME_BGR).all()  # drawn, not the clip's own edge


def test_a_foot_whose_points_close_up_is_not_intact() -> None:
    """Heel and toe 180 px apart; in frames 4-6 MediaPipe loses the foot (the heel point rides up the shin and
    the toe point slides back: 90 px apart): not intact, so no heel rise is read there. A heel that lifts by
    pivoting on the ball (frames 8-9, 15 px up) keeps the foot's length: intact. A missing frame is not."""
    points = planted_foot(12)
    heel, toe = points["heel"], points["toe"]
    heel[4:7] += [40.0, -30.0]
    toe[4:7] -= [50.0, 0.0]
    heel[8:10, 1] -= 15.0
    heel[11] = np.nan
    expected = np.ones(12, dtype=bool)
    expected[[4, 5, 6, 11]] = False
    np.testing.assert_array_equal(foot_intact(heel, toe), expected)
