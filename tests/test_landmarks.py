"""Tests for vision.pose.landmarks: the MediaPipe adapter and the points read off the person mask.

The masks are drawn by hand (a box leg on a box foot), so every extreme point is known to the pixel. The
last test runs real MediaPipe on frames of a bundled sample clip whose heel height is known exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import numpy.typing as npt
import pytest

from vision.pose.landmarks import (
    N_LANDMARKS,
    N_SILHOUETTE,
    FramePose,
    Landmark,
    LegLandmarks,
    PoseEstimator,
    extreme_point,
    silhouette_points,
)
from vision.video import VideoReader

FloatArray = npt.NDArray[np.float64]
ROOT = Path(__file__).resolve().parents[1]
HEEL_LIFT = ROOT / "sample_videos" / "lunge_right_heel_lift.mp4"
HEEL_LIFT_GT = ROOT / "sample_videos" / "lunge_right_heel_lift_gt.json"

# A box mask: rows 100-149, columns 200-299 inside.
BOX = np.zeros((300, 500), dtype=np.float32)
BOX[100:150, 200:300] = 1.0


@pytest.mark.parametrize(
    ("direction", "axis", "expected"),
    [((1.0, 0.0), 0, 299.0), ((-1.0, 0.0), 0, 200.0), ((0.0, 1.0), 1, 149.0), ((0.0, -1.0), 1, 100.0)],
)
def test_extreme_point_reaches_the_box_edge(
    direction: tuple[float, float], axis: int, expected: float
) -> None:
    point = extreme_point(BOX, np.array([250.0, 125.0]), 200.0, np.array(direction))
    assert point[axis] == expected


def test_extreme_point_stays_within_its_radius() -> None:
    point = extreme_point(BOX, np.array([250.0, 125.0]), 20.0, np.array([1.0, 0.0]))
    assert point[0] == 270.0


@pytest.mark.parametrize(
    ("centre", "radius"),
    [((50.0, 50.0), 20.0), ((np.nan, 125.0), 20.0), ((250.0, 125.0), 0.5), ((250.0, 125.0), np.nan)],
)
def test_extreme_point_is_nan_without_mask_pixels(centre: tuple[float, float], radius: float) -> None:
    point = extreme_point(BOX, np.array(centre), radius, np.array([1.0, 0.0]))
    assert np.isnan(point).all()


# A leg facing image right: shin columns 420-459 from row 300 down to the foot, foot rows 560-599 from
# column 400 (back of the heel) to 639 (toe tip). Foot length between the landmarks: about 180 px.
SOLE_ROW, HEEL_BACK_COL, TOE_TIP_COL, SHIN_FRONT_COL = 599.0, 400.0, 639.0, 459.0
#: The bottom of the heel is traced to sub-pixel: where the mask falls through 0.5 between the last row of
#: the sole and the floor's first.
SOLE_EDGE = SOLE_ROW + 0.5


def leg_mask() -> npt.NDArray[np.float32]:
    mask = np.zeros((720, 1280), dtype=np.float32)
    mask[300:600, 420:460] = 1.0
    mask[560:600, 400:640] = 1.0
    return mask


def leg_landmarks(heel_y_px: float = 575.0) -> FloatArray:
    """Both legs on the same drawn leg (so both feet agree which way is forward)."""
    xy = np.full((N_LANDMARKS, 2), np.nan)
    for side in ("left", "right"):
        leg = LegLandmarks.of(side)
        xy[leg.knee] = (445.0, 330.0)
        xy[leg.ankle] = (440.0, 560.0)
        xy[leg.heel] = (405.0, heel_y_px)
        xy[leg.toe] = (585.0, 590.0)
    return xy


def test_silhouette_points_are_the_drawn_extremes() -> None:
    points = silhouette_points(leg_mask(), leg_landmarks())
    assert points.shape == (N_SILHOUETTE, 2)
    leg = LegLandmarks.of("left")

    def at(landmark: Landmark) -> FloatArray:
        return points[landmark - N_LANDMARKS]

    assert at(leg.knee_front)[0] == SHIN_FRONT_COL
    assert at(leg.toe_tip)[0] == TOE_TIP_COL
    assert at(leg.heel_back)[0] == HEEL_BACK_COL
    assert at(leg.heel_bottom)[1] == SOLE_EDGE


@pytest.mark.parametrize("heel_y_px", [560.0, 575.0, 585.0, 595.0])
def test_heel_bottom_stays_on_the_sole_wherever_the_heel_landmark_sits(heel_y_px: float) -> None:
    """The heel landmark rides up and down the back of the heel; the bottom of the heel must not follow it."""
    points = silhouette_points(leg_mask(), leg_landmarks(heel_y_px))
    assert points[LegLandmarks.of("right").heel_bottom - N_LANDMARKS][1] == SOLE_EDGE


def test_silhouette_points_are_nan_without_a_foot_direction() -> None:
    assert np.isnan(silhouette_points(leg_mask(), np.full((N_LANDMARKS, 2), np.nan))).all()


def fake_result(width_px: int, height_px: int, mask_scale: float) -> SimpleNamespace:
    """A stand-in for a MediaPipe pose result: landmark i at normalised (i / 40, 1 - i / 40)."""
    landmarks = [SimpleNamespace(x=i / 40, y=1 - i / 40, z=0.0, visibility=0.5 + i / 100) for i in range(33)]
    world = [SimpleNamespace(x=0.01 * i, y=-0.01 * i, z=0.0) for i in range(33)]
    mask_size = (round(height_px * mask_scale), round(width_px * mask_scale))
    return SimpleNamespace(
        pose_landmarks=SimpleNamespace(landmark=landmarks),
        pose_world_landmarks=SimpleNamespace(landmark=world),
        segmentation_mask=np.ones(mask_size, dtype=np.float32),
    )


@pytest.mark.parametrize("mask_scale", [1.0, 0.5])
def test_adapter_gives_pixels_of_the_frame(mask_scale: float) -> None:
    width, height = 1280, 720
    pose = FramePose.from_mediapipe(fake_result(width, height, mask_scale), 7, 0.25, width, height)
    i = np.arange(33)
    np.testing.assert_allclose(pose.xy_px, np.stack([i / 40 * width, (1 - i / 40) * height], axis=1))
    np.testing.assert_allclose(pose.visibility, 0.5 + i / 100)
    np.testing.assert_allclose(pose.world_m[:, 0], 0.01 * i)
    assert (pose.frame_index, pose.time_s) == (7, 0.25)
    # An all-person mask: every extreme point lies inside the frame, in frame pixels whatever the mask's
    # size; the mask never ends under the heel or in front of the shin, so those are not found.
    extremes = pose.silhouette_px[:6]
    assert np.isfinite(extremes).all()
    assert (extremes >= 0).all()
    assert (extremes[:, 0] < width).all()
    assert (extremes[:, 1] < height).all()
    assert np.isnan(pose.silhouette_px[6:]).all()


def test_adapter_gives_nan_without_a_person() -> None:
    empty = SimpleNamespace(pose_landmarks=None, pose_world_landmarks=None, segmentation_mask=None)
    pose = FramePose.from_mediapipe(empty, 3, 0.1, 1280, 720)
    assert np.isnan(pose.xy_px).all()
    assert np.isnan(pose.silhouette_px).all()
    assert (pose.visibility == 0).all()


@pytest.mark.slow
def test_heel_bottom_rises_by_the_true_heel_lift() -> None:
    """Real MediaPipe on the bundled heel-lift clip (portrait, camera 6.8 deg up): between a heel-down frame
    and the peak of the lifted rep, the bottom of the heel rises by the rendered lift (1.71 cm)."""
    truth = json.loads(HEEL_LIFT_GT.read_text())
    peaks = {rep["heel_down_at_peak"]: rep["peak_frame"] for rep in truth["reps"]}
    down, lifted = peaks[True], peaks[False]
    wanted = {down, lifted}
    heel_bottom = LegLandmarks.of(truth["front_leg"]).heel_bottom - N_LANDMARKS
    heights: dict[int, float] = {}
    with VideoReader(HEEL_LIFT) as reader, PoseEstimator(tracking=False) as estimator:
        for frame in reader.frames():
            if frame.index in wanted:
                heights[frame.index] = -estimator.process_bgr(frame.image).silhouette_px[heel_bottom, 1]
    frames = truth["frames"]
    rise_cm = (heights[lifted] - heights[down]) / frames["px_per_cm_at_toe"][lifted]
    true_rise_cm = frames["heel_height_cm"][lifted] - frames["heel_height_cm"][down]
    assert true_rise_cm > 1.5
    np.testing.assert_allclose(rise_cm, true_rise_cm, atol=0.4)
