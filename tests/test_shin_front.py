"""The front-of-shin chord on drawn masks whose front edge has a known inclination."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from vision.metrics.angles import MODEL, rep_angles
from vision.pose.shin_front import BAND, shin_front_chord, upper_envelope
from vision.results import AXIS_PLUS_OFFSET, FRONT_OF_SHIN

FloatArray = npt.NDArray[np.float64]
KNEE = np.array([400.0, 200.0])
SHIN_PX = 300.0


def shin_mask(
    axis_deg: float, front_deg: float, front_offset_px: float = 30.0, bump_px: float = 0.0
) -> tuple:
    """A mask of a leaning shin (knee at KNEE, the person facing image right): a quadrilateral behind a
    front edge inclined ``front_deg`` from vertical, the knee-ankle axis at ``axis_deg``; ``bump_px`` adds
    a prominence at 40% of the way down. Returns (mask, knee, ankle)."""
    a = np.radians(axis_deg)
    ankle = KNEE + SHIN_PX * np.array([-np.sin(a), np.cos(a)])
    forward = np.array([np.cos(a), np.sin(a)])  # square to the axis, toward the toes (image right)
    middle = KNEE + 0.45 * (ankle - KNEE) + front_offset_px * forward
    f = np.radians(front_deg)
    edge = np.array([-np.sin(f), np.cos(f)])
    top_front, bottom_front = middle - 250.0 * edge, middle + 250.0 * edge
    polygon = np.array([top_front, bottom_front, bottom_front - [150.0, 0.0], top_front - [150.0, 0.0]])
    mask = np.zeros((800, 800), np.uint8)
    cv2.fillPoly(mask, [np.round(polygon * 16).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=4)
    if bump_px:
        centre = middle - 0.05 * SHIN_PX * edge - (40.0 - bump_px) * forward
        cv2.circle(mask, tuple(np.round(centre).astype(int)), 40, 255, -1)
    return mask.astype(np.float32) / 255.0, KNEE, ankle


def chord_angle_deg(chord: FloatArray) -> float:
    top, bottom = chord
    return float(np.degrees(np.arctan2(top[0] - bottom[0], bottom[1] - top[1])))


@pytest.mark.parametrize(("axis_deg", "front_deg"), [(30.0, 34.0), (10.0, 15.0), (42.0, 47.0)])
def test_the_chord_follows_the_front_edge_not_the_axis(axis_deg: float, front_deg: float) -> None:
    mask, knee, ankle = shin_mask(axis_deg, front_deg)
    chord = shin_front_chord(mask, knee, ankle, forward_x=1.0)
    assert chord_angle_deg(chord) == pytest.approx(front_deg, abs=0.3)


def test_the_chord_ends_sit_at_30_and_60_percent_along_the_shin() -> None:
    mask, knee, ankle = shin_mask(30.0, 34.0)
    chord = shin_front_chord(mask, knee, ankle, forward_x=1.0)
    down = (ankle - knee) / SHIN_PX
    np.testing.assert_allclose((chord - knee) @ down, np.array(BAND) * SHIN_PX, atol=0.5)


def test_a_constant_offset_of_the_edge_leaves_the_angle() -> None:
    angles = []
    for offset in (20.0, 30.0, 45.0):
        mask, knee, ankle = shin_mask(30.0, 34.0, front_offset_px=offset)
        angles.append(chord_angle_deg(shin_front_chord(mask, knee, ankle, forward_x=1.0)))
    assert np.ptp(angles) < 0.2


def test_a_prominence_lifts_the_inclinometer_like_a_straight_edge_laid_on_it() -> None:
    mask, knee, ankle = shin_mask(30.0, 34.0, bump_px=6.0)
    plain = chord_angle_deg(shin_front_chord(*shin_mask(30.0, 34.0)[:3], forward_x=1.0))
    bumped = chord_angle_deg(shin_front_chord(mask, knee, ankle, forward_x=1.0))
    assert bumped != pytest.approx(plain, abs=0.1)  # the straight edge now rests on the bump


def test_the_mirrored_mask_gives_the_mirrored_chord() -> None:
    mask, knee, ankle = shin_mask(30.0, 34.0)
    mirrored = mask[:, ::-1].copy()
    flip = np.array([mask.shape[1] - 1.0, 0.0])
    chord = shin_front_chord(mask, knee, ankle, forward_x=1.0)
    chord_m = shin_front_chord(mirrored, np.abs(flip - knee), np.abs(flip - ankle), forward_x=-1.0)
    np.testing.assert_allclose(np.abs(flip - chord_m), chord, atol=0.3)


def test_no_chord_where_the_front_of_the_shin_is_not_seen() -> None:
    mask, knee, ankle = shin_mask(30.0, 34.0)
    assert np.isnan(shin_front_chord(np.ones_like(mask), knee, ankle, forward_x=1.0)).all()  # never ends
    assert np.isnan(shin_front_chord(np.zeros_like(mask), knee, ankle, forward_x=1.0)).all()  # no leg
    assert np.isnan(shin_front_chord(mask, knee, np.full(2, np.nan), forward_x=1.0)).all()


def test_upper_envelope_drops_points_under_the_hull() -> None:
    s, d = upper_envelope(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, -1.0, 2.0, 0.0]))
    np.testing.assert_array_equal(s, [0.0, 2.0, 3.0])
    np.testing.assert_array_equal(d, [0.0, 2.0, 0.0])


def test_rep_angles_from_the_front_of_the_shin() -> None:
    front = np.full(5, 40.0)
    axis = np.full(5, 33.0)
    angles = rep_angles(front, axis, shin_px=200.0, camera_doubt_front_deg=0.0, camera_doubt_axis_deg=0.0)
    assert angles.shin_angle_source == FRONT_OF_SHIN
    assert angles.shin_angle_deg == pytest.approx(40.0 - MODEL.front_bias_deg)
    assert angles.shin_angle_uncertainty_deg > 0
    from_front = angles.shin_angle_deg - MODEL.front_minus_axis_at(angles.tibia_axis_deg)
    low, high = sorted([from_front, 33.0 - MODEL.axis_bias_deg])
    assert low <= angles.tibia_axis_deg <= high


def test_smaller_shins_and_unknown_cameras_are_less_sure() -> None:
    front, axis = np.full(5, 40.0), np.full(5, 33.0)
    big = rep_angles(front, axis, 300.0, 0.0, 0.0).shin_angle_uncertainty_deg
    small = rep_angles(front, axis, 80.0, 0.0, 0.0).shin_angle_uncertainty_deg
    turned = rep_angles(front, axis, 300.0, 2.0, 2.0).shin_angle_uncertainty_deg
    assert small > big
    assert turned > big


def test_without_the_front_of_the_shin_the_headline_is_the_axis_plus_offset_and_says_so() -> None:
    front = np.array([np.nan, np.nan, 41.0, np.nan, np.nan])
    axis = np.full(5, 33.0)
    angles = rep_angles(front, axis, 200.0, 0.0, 0.0)
    assert angles.shin_angle_source == AXIS_PLUS_OFFSET
    assert angles.tibia_axis_deg == pytest.approx(33.0 - MODEL.axis_bias_deg)
    assert angles.shin_angle_deg == pytest.approx(
        angles.tibia_axis_deg + MODEL.front_minus_axis_at(angles.tibia_axis_deg)
    )
    assert angles.shin_angle_uncertainty_deg > angles.tibia_axis_uncertainty_deg


def test_the_angle_between_the_two_lines_grows_with_the_rock() -> None:
    """Fitted on the renders: the front of the shin and the axis part by about 0.04 deg per degree of rock;
    the axis read from the front inverts that line."""
    assert 0.0 < MODEL.front_minus_axis_per_deg < 0.1
    assert MODEL.front_minus_axis_at(45.0) > MODEL.front_minus_axis_at(25.0)
    axis = np.full(5, 45.0 + MODEL.axis_bias_deg)  # reads 45 deg once its bias is taken off
    front = np.full(5, 45.0 + MODEL.front_minus_axis_at(45.0) + MODEL.front_bias_deg)
    angles = rep_angles(front, axis, 300.0, 0.0, 0.0)
    assert angles.tibia_axis_deg == pytest.approx(45.0, abs=1e-6)


def test_an_edge_far_from_the_axis_is_not_taken_for_the_front_of_the_shin() -> None:
    """A traced edge 20 deg off the knee-ankle line is something else (dark clothes on a dark floor)."""
    axis = np.full(5, 30.0)
    angles = rep_angles(np.full(5, 14.0), axis, 200.0, 0.0, 0.0)
    assert angles.shin_angle_source == AXIS_PLUS_OFFSET
    axis_deg = 30.0 - MODEL.axis_bias_deg
    assert angles.shin_angle_deg == pytest.approx(axis_deg + MODEL.front_minus_axis_at(axis_deg))
