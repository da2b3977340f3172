"""The front-of-shin chord on drawn masks whose front edge has a known inclination."""

from __future__ import annotations

import json

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from clips import SYNTHETIC, missing_reason

from vision.metrics.angles import MODEL, rep_angles
from vision.pose.landmarks import LegLandmarks, PoseEstimator
from vision.pose.legs import LATERAL, MEDIAL
from vision.pose.shin_front import (
    ANKLE_BELOW_LANDMARK,
    BAND,
    SPAN,
    edge_depth_px,
    hand_on_band,
    shin_front_chord,
    upper_envelope,
)
from vision.results import AXIS_PLUS_OFFSET, FRONT_OF_SHIN
from vision.video import VideoReader

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


def test_the_chord_ends_sit_at_30_and_60_percent_of_the_shin_down_to_the_ankles_centre() -> None:
    """MediaPipe's ankle point sits above the ankle's centre: the band is placed on the knee-ankle line
    lengthened to it, 32% and 65% of the way to the ankle point."""
    mask, knee, ankle = shin_mask(30.0, 34.0)
    chord = shin_front_chord(mask, knee, ankle, forward_x=1.0)
    down = (ankle - knee) / SHIN_PX
    along_px = (chord - knee) @ down
    np.testing.assert_allclose(along_px, np.array(BAND) * (1 + ANKLE_BELOW_LANDMARK) * SHIN_PX, atol=0.5)
    assert along_px[1] > BAND[1] * SHIN_PX + 5  # below where the band would sit on the landmarks' line


def test_a_prominence_above_the_band_does_not_tilt_the_chord() -> None:
    """The tibial tuberosity bulges above where the inclinometer rests: the envelope is taken over the band
    and 2% of the shin beyond its ends, so a bump 3 px proud of the edge at 23% of the shin (within the
    0.22-0.7 span used before) leaves the chord as it was."""
    assert pytest.approx((BAND[0] - 0.02, BAND[1] + 0.02)) == SPAN
    mask, knee, ankle = shin_mask(30.0, 34.0)
    plain = chord_angle_deg(shin_front_chord(mask, knee, ankle, forward_x=1.0))
    down = (ankle - knee) / SHIN_PX
    forward = np.array([down[1], -down[0]])  # square to the axis, toward image right (the toes)
    on_axis = knee + 0.23 * (1 + ANKLE_BELOW_LANDMARK) * SHIN_PX * down
    edge = on_axis + edge_depth_px(mask, on_axis, forward, 100.0) * forward
    bumped = mask.copy()
    cv2.circle(bumped, tuple(np.round(edge - 9.0 * forward).astype(int)), 12, 1.0, -1)
    assert edge_depth_px(bumped, on_axis, forward, 100.0) > edge_depth_px(mask, on_axis, forward, 100.0) + 2
    assert chord_angle_deg(shin_front_chord(bumped, knee, ankle, forward_x=1.0)) == pytest.approx(
        plain, abs=0.05
    )


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


def test_a_hand_in_front_of_the_band_hides_the_shin_front_and_one_elsewhere_does_not() -> None:
    _, knee, ankle = shin_mask(30.0, 34.0)
    down = (ankle - knee) / np.linalg.norm(ankle - knee)
    forward = np.array([-down[1], down[0]]) * np.sign(-down[1])  # image right, square to the shin
    on_shin = knee + 0.45 * (ankle - knee) + 0.2 * SHIN_PX * forward
    far_below = knee + 1.3 * (ankle - knee)
    behind_knee = knee - 0.3 * SHIN_PX * forward
    at_hip = knee - 0.8 * (ankle - knee)
    elsewhere = np.array([far_below, behind_knee, at_hip, [np.nan, np.nan]])
    assert hand_on_band(np.vstack([elsewhere, on_shin]), knee, ankle, forward_x=1.0)
    assert not hand_on_band(elsewhere, knee, ankle, forward_x=1.0)
    # Facing the other way, the same point lies behind the shin: the front edge is still the shin's.
    assert not hand_on_band(on_shin[None, :], knee, ankle, forward_x=-1.0)


def test_upper_envelope_drops_points_under_the_hull() -> None:
    s, d = upper_envelope(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, -1.0, 2.0, 0.0]))
    np.testing.assert_array_equal(s, [0.0, 2.0, 3.0])
    np.testing.assert_array_equal(d, [0.0, 2.0, 0.0])


def test_rep_angles_from_the_front_of_the_shin() -> None:
    front = np.full(5, 40.0)
    axis = np.full(5, 33.0)
    angles = rep_angles(
        front, axis, shin_px=200.0, camera_doubt_front_deg=0.0, camera_doubt_axis_deg=0.0, view=LATERAL
    )
    assert angles.shin_angle_source == FRONT_OF_SHIN
    assert angles.shin_angle_deg == pytest.approx(40.0 - MODEL.front_bias_deg)
    assert angles.shin_angle_uncertainty_deg > 0
    from_front = angles.shin_angle_deg - MODEL.front_minus_axis_at(angles.tibia_axis_deg)
    low, high = sorted([from_front, 33.0 - MODEL.axis_bias_deg])
    assert low <= angles.tibia_axis_deg <= high


def test_the_biases_taken_off_are_those_of_the_side_the_leg_is_filmed_from() -> None:
    front, axis = np.full(5, 40.0), np.full(5, 33.0)
    outside, inside, unknown = (
        rep_angles(front, axis, 200.0, 0.0, 0.0, view) for view in (LATERAL, MEDIAL, "unknown")
    )
    assert outside.shin_angle_deg == pytest.approx(40.0 - MODEL.front_bias_deg)
    assert inside.shin_angle_deg == pytest.approx(40.0 - MODEL.front_bias_medial_deg)
    assert unknown.shin_angle_deg == pytest.approx((outside.shin_angle_deg + inside.shin_angle_deg) / 2)
    assert MODEL.biases_deg(MEDIAL) == (MODEL.front_bias_medial_deg, MODEL.axis_bias_medial_deg)


def test_smaller_shins_and_unknown_cameras_are_less_sure() -> None:
    front, axis = np.full(5, 40.0), np.full(5, 33.0)
    big = rep_angles(front, axis, 300.0, 0.0, 0.0).shin_angle_uncertainty_deg
    small = rep_angles(front, axis, 80.0, 0.0, 0.0).shin_angle_uncertainty_deg
    turned = rep_angles(front, axis, 300.0, 2.0, 2.0).shin_angle_uncertainty_deg
    assert small > big
    assert turned > big


def test_an_unknown_camera_widens_the_axis_but_does_not_shift_it_toward_mediapipes_line() -> None:
    # The camera moves both readings alike: it must not change how they are weighed against each other.
    front, axis = np.full(5, 40.0), np.full(5, 30.0)
    known = rep_angles(front, axis, 200.0, 0.0, 0.0)
    unknown = rep_angles(front, axis, 200.0, 5.0, 5.0)
    assert unknown.tibia_axis_deg == pytest.approx(known.tibia_axis_deg)
    assert unknown.tibia_axis_uncertainty_deg > known.tibia_axis_uncertainty_deg
    assert unknown.shin_angle_source == known.shin_angle_source == FRONT_OF_SHIN


def test_without_the_front_of_the_shin_the_headline_is_the_axis_plus_offset_and_says_so() -> None:
    front = np.array([np.nan, np.nan, 41.0, np.nan, np.nan])
    axis = np.full(5, 33.0)
    angles = rep_angles(front, axis, 200.0, 0.0, 0.0, LATERAL)
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
    angles = rep_angles(front, axis, 300.0, 0.0, 0.0, LATERAL)
    assert angles.tibia_axis_deg == pytest.approx(45.0, abs=1e-6)


def test_an_edge_far_from_the_axis_is_not_taken_for_the_front_of_the_shin() -> None:
    """A traced edge 20 deg off the knee-ankle line is something else (dark clothes on a dark floor)."""
    axis = np.full(5, 30.0)
    angles = rep_angles(np.full(5, 14.0), axis, 200.0, 0.0, 0.0, LATERAL)
    assert angles.shin_angle_source == AXIS_PLUS_OFFSET
    axis_deg = 30.0 - MODEL.axis_bias_deg
    assert angles.shin_angle_deg == pytest.approx(axis_deg + MODEL.front_minus_axis_at(axis_deg))


@pytest.mark.slow
@pytest.mark.skipif(not SYNTHETIC.is_dir(), reason=missing_reason(SYNTHETIC))
def test_mediapipes_ankle_sits_above_the_ankles_centre_by_the_share_the_band_allows_for() -> None:
    """Real MediaPipe at the true deepest frame of dev01-dev08 (tune clips): its ankle point lies above the
    rendered ankle joint centre, along the shin, by about :data:`ANKLE_BELOW_LANDMARK` of its knee-ankle
    distance (0.05-0.10 of the true shin on these clips, 0.077 in the median), and its knee on the knee
    centre's level (0.013 in the median); with the band on the landmarks' own line, 30-60% would sit 2-5%
    of the shin too high."""
    along: dict[str, list[float]] = {"knee": [], "ankle": []}
    for name in [f"dev0{i}" for i in range(1, 9)]:
        truth = json.loads((SYNTHETIC / f"{name}_gt.json").read_text())
        frame_index = truth["valid_peak_frame"]
        points = truth["frames"]["points2d"]
        row = truth["frames"]["frame"].index(frame_index)
        true_knee, true_ankle = (np.array(points[joint][row]) for joint in ("knee", "ankle"))
        shin_px = float(np.linalg.norm(true_ankle - true_knee))
        down = (true_ankle - true_knee) / shin_px
        leg = LegLandmarks.of(truth["front_leg"])
        with VideoReader(SYNTHETIC / f"{name}.mp4") as reader, PoseEstimator(tracking=False) as estimator:
            frame = next(f for f in reader.frames() if f.index == frame_index)
            xy = estimator.process_bgr(frame.image).xy_px
        along["knee"].append(float((xy[leg.knee] - true_knee) @ down) / shin_px)
        along["ankle"].append(float((xy[leg.ankle] - true_ankle) @ down) / shin_px)
    ankle_above = -float(np.median(along["ankle"]))
    landmark_share = ankle_above / (1 - ankle_above)  # of MediaPipe's own knee-ankle distance
    assert landmark_share == pytest.approx(ANKLE_BELOW_LANDMARK, abs=0.025)
    assert abs(float(np.median(along["knee"]))) < 0.03
