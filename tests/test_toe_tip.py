"""The toe tip from the image's colours (GrabCut) on drawn scenes whose foot, mask and floor are known, and
the choice between the two toe readings by the foot's length against the shin's."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from vision.metrics.distances import toe_warning
from vision.pose.landmarks import N_LANDMARKS, N_SILHOUETTE, FramePose, LegLandmarks, SampledFrame
from vision.pose.legs import POINT_NAMES, LegPoints
from vision.pose.toe_tip import (
    MASK_SOURCE,
    MODEL,
    SHIN_SOURCE,
    ToeTip,
    grabcut_toe_px,
    near_reference,
    refine_toe_tip,
    with_gap_doubt,
)

FloatArray = npt.NDArray[np.float64]
SIDE = "left"
LEG = LegLandmarks.of(SIDE)
HEEL_BACK = np.array([300.0, 400.0])
TOE_TIP = np.array([460.0, 400.0])  # a 160 px foot, facing image right
FOOT_SKIN = (120, 150, 210)  # BGR
FLOOR = (60, 90, 60)


def foot_polygon() -> npt.NDArray[np.int32]:
    """A side-view foot: heel at HEEL_BACK, sole along y = 400, toes ending at TOE_TIP, ankle above."""
    return np.array(
        [[300, 400], [460, 400], [455, 388], [420, 375], [360, 350], [345, 300], [315, 300], [300, 360]],
        dtype=np.int32,
    )


def scene(mask_change: str, shin_px: float = 240.0, skin: tuple[int, int, int] = FOOT_SKIN) -> SampledFrame:
    """A drawn frame and its pose. ``mask_change``: "none" (the mask is the foot), "dropout" (the mask
    misses the front 45% of the foot, as a bare foot on a floor of its colour does) or "leak" (the mask runs
    onto a white sheet under and ahead of the toes)."""
    image = np.full((600, 800, 3), FLOOR, np.uint8)
    rng = np.random.default_rng(0)
    if mask_change == "leak":
        cv2.rectangle(image, (250, 402), (560, 440), (235, 235, 235), -1)
    cv2.fillPoly(image, [foot_polygon()], skin)
    cv2.rectangle(image, (315, 100), (345, 300), skin, -1)  # the shin
    image = np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)
    mask = np.zeros((600, 800), np.float32)
    cv2.fillPoly(mask, [foot_polygon()], 1.0)
    cv2.rectangle(mask, (315, 100), (345, 300), 1.0, -1)
    if mask_change == "dropout":
        mask[:, 390:] = 0.0
    elif mask_change == "leak":
        mask[402:420, 440:520] = 1.0
    xy = np.full((33, 2), np.nan)
    xy[LEG.heel] = (305.0, 395.0)
    xy[LEG.toe] = (430.0, 398.0)  # MediaPipe's foot index sits behind the toe tip
    xy[LEG.ankle] = (330.0, 340.0)
    xy[LEG.knee] = (330.0, 340.0 - shin_px)
    silhouette = np.full((N_SILHOUETTE, 2), np.nan)
    toes = np.argwhere(mask[300:, :] > 0.5)
    silhouette[LEG.toe_tip - N_LANDMARKS] = (float(toes[:, 1].max()), 400.0)
    silhouette[LEG.heel_back - N_LANDMARKS] = HEEL_BACK
    pose = FramePose(0, 0.0, xy, np.ones(33), np.full((33, 3), np.nan), silhouette)
    return SampledFrame(image, pose, mask)


@pytest.mark.parametrize("mask_change", ["none", "dropout", "leak"])
def test_the_colours_find_the_toe_tip_where_the_mask_misses_or_overshoots_it(mask_change: str) -> None:
    sample = scene(mask_change)
    mask_tip_x = sample.pose.silhouette_px[LEG.toe_tip - N_LANDMARKS, 0]
    tip = grabcut_toe_px(sample, SIDE, facing=1)
    assert tip[0] == pytest.approx(TOE_TIP[0], abs=3.0)
    if mask_change != "none":
        assert abs(mask_tip_x - TOE_TIP[0]) > 30  # the scene does hide or stretch the toes in the mask


WHITE_SOCK = (235, 235, 235)  # the sheet's own white
SHEET_PX = np.array([[250.0, 402.0], [561.0, 402.0], [561.0, 441.0], [250.0, 441.0]])  # the "leak" sheet


def test_a_white_sock_on_a_white_sheet_is_told_from_the_sheet_by_its_outline() -> None:
    """A white sock at the edge of a sheet of its very colour, the mask running onto the sheet: told where
    the sheet is (the scale's outline), the colours' toe is on the foot and the mask's, on the sheet, is not
    used (without the outline the two readings are averaged into the toe's doubt)."""
    sample = scene("leak", skin=WHITE_SOCK)
    assert sample.pose.silhouette_px[LEG.toe_tip - N_LANDMARKS, 0] - TOE_TIP[0] > 30  # the mask's overshoots
    tip = grabcut_toe_px(sample, SIDE, facing=1, reference_px=SHEET_PX)
    assert tip[0] == pytest.approx(TOE_TIP[0], abs=3.0)
    assert near_reference(TOE_TIP, HEEL_BACK, SHEET_PX, foot_px=160.0)
    assert not near_reference(TOE_TIP, HEEL_BACK, SHEET_PX + np.array([0.0, 60.0]), foot_px=160.0)
    # A sheet beyond the foot (the heel below its far edge) is hidden by the foot, not run onto.
    assert not near_reference(TOE_TIP, HEEL_BACK, SHEET_PX - np.array([0.0, 30.0]), foot_px=160.0)
    toe = refine_toe_tip([sample] * 3, SIDE, facing=1, silhouette=True, reference_px=SHEET_PX)
    assert toe.source == "image colours"
    assert toe.sigma_foot == MODEL.single_sigma_foot
    centre = np.mean([[305.0, 395.0], [430.0, 398.0]], axis=0)
    assert toe.from_foot_px is not None
    assert centre[0] + toe.from_foot_px[0] == pytest.approx(TOE_TIP[0], abs=3.0)


def test_a_toe_moved_far_by_leaving_the_reference_out_is_in_doubt() -> None:
    toe = refine_toe_tip([scene("none")] * 3, SIDE, facing=1, silhouette=True)
    assert with_gap_doubt(toe, 0.2).sigma_foot == pytest.approx(np.hypot(toe.sigma_foot, 0.1))
    assert with_gap_doubt(toe, 0.0) is toe
    assert with_gap_doubt(toe, float("nan")) is toe


def test_no_mask_no_colour_reading() -> None:
    sample = scene("none")
    assert np.isnan(grabcut_toe_px(SampledFrame(sample.image, sample.pose, None), SIDE, 1)).all()


def test_the_colour_reading_is_used_when_it_gives_a_foot_of_a_possible_length() -> None:
    # 160 px foot over a 240 px shin: 0.67, inside the band; the mask's dropped toes give 0.37.
    toe = refine_toe_tip([scene("dropout")] * 3, SIDE, facing=1, silhouette=True)
    assert toe.plausible
    assert toe.source == "image colours"
    assert toe.sigma_foot == MODEL.single_sigma_foot
    centre = np.mean([[305.0, 395.0], [430.0, 398.0]], axis=0)
    assert centre[0] + toe.from_foot_px[0] == pytest.approx(TOE_TIP[0], abs=3.0)


def test_agreeing_readings_are_checked_by_each_other() -> None:
    toe = refine_toe_tip([scene("none")] * 3, SIDE, facing=1, silhouette=True)
    assert toe.plausible
    assert "checked by the mask" in toe.source
    assert toe.sigma_foot == pytest.approx(MODEL.toe_sigma_foot, abs=0.005)


def test_a_foot_too_short_for_any_body_ends_where_the_usual_foot_for_the_shin_does() -> None:
    # The same foot under a shin three times as long: 0.22 of the shin, for either reading (toes lost).
    toe = refine_toe_tip([scene("dropout", shin_px=720.0)] * 3, SIDE, facing=1, silhouette=True)
    assert not toe.plausible
    assert toe.source == SHIN_SOURCE
    assert toe.sigma_foot == MODEL.usual_sigma_foot
    assert toe.foot_shin_ratio < MODEL.foot_shin_ratio_low
    centre = np.mean([[305.0, 395.0], [430.0, 398.0]], axis=0)
    tip = centre + toe.from_foot_px
    assert tip[0] == pytest.approx(HEEL_BACK[0] + MODEL.usual_foot_shin_ratio * 720.0)
    assert tip[1] == pytest.approx(398.0)  # the foot-index landmark's height


def test_a_foot_too_long_for_any_body_is_said_to_be_unreliable() -> None:
    # The same foot under a shin shorter than the foot: 1.07 of the shin, for either reading.
    toe = refine_toe_tip([scene("none", shin_px=150.0)] * 3, SIDE, facing=1, silhouette=True)
    assert not toe.plausible
    assert toe.source == MASK_SOURCE
    assert toe.sigma_foot == MODEL.failed_sigma_foot
    assert toe.from_foot_px is None


def test_without_a_mask_the_foot_index_landmark_stands_with_its_own_doubt() -> None:
    toe = refine_toe_tip([scene("none")], SIDE, facing=1, silhouette=False)
    assert toe.source == "foot-index landmark"
    assert toe.sigma_foot == MODEL.landmark_sigma_foot
    leg = planted_leg(np.array([[460.0, 400.0], [420.0, 400.0]]))
    assert toe.track(leg) is leg.toe_tip


MASK_TOE = ToeTip(None, MASK_SOURCE, MODEL.single_sigma_foot, True, 0.67)


def planted_leg(mask_toe_tip_px: FloatArray) -> LegPoints:
    """A planted foot (the drawn scene's landmarks) whose mask toe tip is ``mask_toe_tip_px`` (n, 2) frame
    by frame."""
    n = len(mask_toe_tip_px)
    points = {name: np.full((n, 2), np.nan) for name in POINT_NAMES}
    points |= {"heel": [305.0, 395.0], "toe": [430.0, 398.0], "ankle": [330.0, 340.0]}
    points |= {"knee": [330.0, 100.0], "heel_back": HEEL_BACK}
    tracks = {name: np.broadcast_to(np.asarray(p, float), (n, 2)).copy() for name, p in points.items()}
    return LegPoints(**(tracks | {"toe_tip": mask_toe_tip_px}), visibility={})


def test_the_mask_toe_stands_where_it_gives_the_foot_its_usual_length() -> None:
    # A 160 px foot: frames 0, 1 and 5 read it within 10 %, frames 2-3 lose the toes (100 px) and frame 4
    # runs ahead (211 px): those stand at the usual place from the foot's landmarks.
    mask_toe = np.array(
        [[458.0, 400.0], [462.0, 401.0], [400.0, 400.0], [401.0, 399.0], [511.0, 400.0], [460.0, 399.0]]
    )
    track = MASK_TOE.track(planted_leg(mask_toe))
    usual = [0, 1, 5]
    np.testing.assert_array_equal(track[usual], mask_toe[usual])
    np.testing.assert_allclose(track[2:5], [[460.0, 400.0]] * 3)


def test_a_mask_toe_without_a_usual_length_is_left_as_it_is() -> None:
    mask_toe = np.array([[400.0, 400.0], [np.nan, np.nan], [520.0, 400.0]])
    np.testing.assert_array_equal(MASK_TOE.track(planted_leg(mask_toe)), mask_toe)


@pytest.mark.parametrize(
    ("toe", "words"),
    [
        (ToeTip(np.zeros(2), SHIN_SOURCE, MODEL.usual_sigma_foot, False, 0.22), "usual foot for this shin"),
        (ToeTip(None, MASK_SOURCE, MODEL.failed_sigma_foot, False, 1.07), "rough"),
    ],
)
def test_a_toe_tip_not_placed_reliably_says_how_it_was_placed(toe: ToeTip, words: str) -> None:
    warning = toe_warning(toe)
    assert f"reads {toe.foot_shin_ratio:.2f} of the knee-ankle length" in warning
    assert words in warning
    assert "\n" not in warning
