"""Tests for vision.pose.quality: unusable input raises InputError with a one-line message."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pytest

from vision.errors import InputError
from vision.pose.landmarks import Landmark
from vision.pose.legs import POINT_NAMES, LegPoints
from vision.pose.quality import (
    MIN_DURATION_S,
    PERSON_GROW_FRACTION,
    camera_warnings,
    check_duration,
    check_foot_clear_of_edge,
    check_leg_in_frame,
    check_person,
    check_side_on,
    person_box,
    person_region,
)

FloatArray = npt.NDArray[np.float64]

WIDTH, HEIGHT = 1280, 720
N = 20


def one_line(err: pytest.ExceptionInfo[InputError]) -> str:
    message = str(err.value)
    assert message, "empty message"
    assert "\n" not in message, message
    assert "\r" not in message, message
    return message


# ---------------------------------------------------------------- duration


@pytest.mark.parametrize("duration_s", [0.0, 1.0, 1.49])
def test_check_duration_too_short(duration_s: float) -> None:
    with pytest.raises(InputError) as caught:
        check_duration(duration_s)
    assert f"{duration_s:.1f} s" in one_line(caught)


@pytest.mark.parametrize("duration_s", [MIN_DURATION_S, 3.0, 600.0])
def test_check_duration_long_enough(duration_s: float) -> None:
    check_duration(duration_s)  # no exception


# ---------------------------------------------------------------- person


def standing_person() -> dict[Landmark, FloatArray]:
    return {
        Landmark.NOSE: np.array([640.0, 120.0]),
        Landmark.LEFT_HIP: np.array([640.0, 360.0]),
        Landmark.RIGHT_HIP: np.array([636.0, 362.0]),
        Landmark.LEFT_KNEE: np.array([700.0, 480.0]),
        Landmark.LEFT_ANKLE: np.array([660.0, 620.0]),
    }


def test_check_person_raises_without_a_person(make_track) -> None:
    track = make_track({}, N)
    assert np.isnan(track.xy_px).all()
    with pytest.raises(InputError) as caught:
        check_person(track, brightness=128.0)
    assert "no person" in one_line(caught)


def test_check_person_says_when_the_clip_is_too_dark(make_track) -> None:
    track = make_track({}, N)
    with pytest.raises(InputError) as caught:
        check_person(track, brightness=12.0)
    assert "too dark" in one_line(caught)


@pytest.mark.parametrize(
    ("shoulder_gap_px", "raises"),
    [(0.0, False), (20.0, False), (70.0, False), (80.0, True), (140.0, True)],
)
def test_check_side_on_stops_a_frontal_view(make_track, shoulder_gap_px: float, raises: bool) -> None:
    """Shin 150 px: shoulders more than 0.5 shin lengths (75 px) apart mean a view from the front."""
    points = standing_person() | {
        Landmark.LEFT_SHOULDER: np.array([640.0, 200.0]),
        Landmark.RIGHT_SHOULDER: np.array([640.0 + shoulder_gap_px, 200.0]),
    }
    track = make_track(points, N)
    if raises:
        with pytest.raises(InputError) as caught:
            check_side_on(track, shin_px=150.0)
        assert "from the side" in one_line(caught)
    else:
        check_side_on(track, shin_px=150.0)


@pytest.mark.parametrize(
    ("found_frames", "raises"), [(0, True), (4, True), (5, True), (6, False), (12, False), (N, False)]
)
def test_check_person_needs_a_person_in_30_percent_of_frames(
    make_track, found_frames: int, raises: bool
) -> None:
    track = make_track(standing_person(), N)
    xy = track.xy_px.copy()
    xy[found_frames:] = np.nan  # 6 of 20 frames is exactly the 30% minimum
    track = dataclasses.replace(track, xy_px=xy)
    if raises:
        with pytest.raises(InputError) as caught:
            check_person(track, brightness=128.0)
        one_line(caught)
    else:
        check_person(track, brightness=128.0)


# ---------------------------------------------------------------- leg in frame


def leg(n: int = N, visibility: float = 0.95) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    """A front leg facing right, well inside a 1280x720 frame (shin 150 px), as mutable arrays."""
    fixed = {
        "hip": (600.0, 360.0),
        "knee": (700.0, 480.0),
        "ankle": (660.0, 620.0),
        "heel": (630.0, 640.0),
        "toe": (745.0, 648.0),
        "knee_front": (730.0, 480.0),
        "toe_tip": (760.0, 650.0),
        "heel_back": (618.0, 640.0),
        "heel_bottom": (634.0, 650.0),
        "shin_front_top": (712.0, 522.0),
        "shin_front_bottom": (700.0, 564.0),
    }
    points = {name: np.tile(np.array(fixed[name]), (n, 1)) for name in POINT_NAMES}
    return points, {name: np.full(n, visibility) for name in POINT_NAMES}


def leg_points(points: dict[str, FloatArray], vis: dict[str, FloatArray]) -> LegPoints:
    return LegPoints(**points, visibility=vis)


def test_check_leg_in_frame_accepts_a_visible_leg() -> None:
    check_leg_in_frame(leg_points(*leg()), WIDTH, HEIGHT)


@pytest.mark.parametrize(
    ("where", "toe_xy"),
    [
        ("right of the frame", (WIDTH + 15.0, 648.0)),
        ("exactly at the width", (float(WIDTH), 648.0)),
        ("below the frame", (745.0, HEIGHT + 3.0)),
        ("left of the frame", (-1.0, 648.0)),
    ],
)
def test_check_leg_in_frame_raises_when_the_toe_is_out_of_frame_in_most_frames(
    where: str, toe_xy: tuple[float, float]
) -> None:
    points, vis = leg()
    points["toe"][:14] = toe_xy  # 14 of 20 frames
    with pytest.raises(InputError) as caught:
        check_leg_in_frame(leg_points(points, vis), WIDTH, HEIGHT)
    assert "out of frame" in one_line(caught), where


def test_check_leg_in_frame_tolerates_the_toe_out_of_frame_in_a_few_frames() -> None:
    points, vis = leg()
    points["toe"][:9] = (WIDTH + 15.0, 648.0)  # 9 of 20 frames: still in view in most
    check_leg_in_frame(leg_points(points, vis), WIDTH, HEIGHT)


@pytest.mark.parametrize("part", ["knee", "ankle", "heel", "toe"])
def test_check_leg_in_frame_raises_when_a_point_is_hidden_in_most_frames(part: str) -> None:
    points, vis = leg()
    vis[part][:15] = 0.2
    with pytest.raises(InputError) as caught:
        check_leg_in_frame(leg_points(points, vis), WIDTH, HEIGHT)
    one_line(caught)


def test_check_leg_in_frame_ignores_frames_without_a_person() -> None:
    points, vis = leg()
    for name in POINT_NAMES:  # 15 of 20 frames without a person; the other 5 are fine
        points[name][:15] = np.nan
        vis[name][:15] = 0.0
    check_leg_in_frame(leg_points(points, vis), WIDTH, HEIGHT)


def test_check_leg_in_frame_raises_when_the_person_is_tiny() -> None:
    points, vis = leg()
    points["knee"][:] = points["ankle"] + [5.0, -20.0]  # a 21 px shin
    with pytest.raises(InputError) as caught:
        check_leg_in_frame(leg_points(points, vis), WIDTH, HEIGHT)
    assert "too small" in one_line(caught)


FOOT = ("heel", "toe", "toe_tip", "heel_back", "heel_bottom")


def test_check_foot_clear_of_edge_accepts_a_foot_well_inside() -> None:
    check_foot_clear_of_edge(leg_points(*leg()), WIDTH, HEIGHT)


@pytest.mark.parametrize(("frames", "cut"), [(14, True), (9, False)])
def test_check_foot_clear_of_edge_raises_when_the_bottom_edge_cuts_the_foot_in_most_frames(
    frames: int, cut: bool
) -> None:
    points, vis = leg()
    for name in FOOT:  # the sole 5 px above the bottom edge: within 0.1 of the 115 px foot
        points[name][:frames, 1] += 65.0
    if not cut:
        check_foot_clear_of_edge(leg_points(points, vis), WIDTH, HEIGHT)
        return
    with pytest.raises(InputError) as caught:
        check_foot_clear_of_edge(leg_points(points, vis), WIDTH, HEIGHT)
    assert "edge of the frame" in one_line(caught)


def test_check_foot_clear_of_edge_reads_the_mask_toe_tip() -> None:
    points, vis = leg()
    points["toe_tip"][:14] = (WIDTH - 3.0, 650.0)  # the mask runs to the right edge; the landmarks stay clear
    with pytest.raises(InputError):
        check_foot_clear_of_edge(leg_points(points, vis), WIDTH, HEIGHT)
    points["toe_tip"][:14] = np.nan  # not traced: only the landmarks are judged
    check_foot_clear_of_edge(leg_points(points, vis), WIDTH, HEIGHT)


# ---------------------------------------------------------------- person box


def test_person_box_surrounds_the_visible_landmarks() -> None:
    xy = np.full((33, 2), np.nan)
    vis = np.zeros(33)
    xy[[0, 23, 27]] = [[600.0, 100.0], [640.0, 360.0], [700.0, 600.0]]
    vis[[0, 23, 27]] = 0.9
    xy[28] = [5.0, 5.0]  # an invisible landmark far away does not widen the box
    vis[28] = 0.1
    box = person_box(xy, vis, margin=0.1)
    # size 100 x 500; pad = 0.1 * size + 10 px
    np.testing.assert_allclose(box, [600 - 20, 100 - 60, 700 + 20, 600 + 60])
    # Below the feet (the lowest landmark) the box may end closer: the floor is there, not the person.
    np.testing.assert_allclose(person_box(xy, vis, below_px=15.0), [580, 40, 720, 615])
    np.testing.assert_allclose(person_box(xy, vis, below_px=100.0), box)


def test_person_box_needs_three_points() -> None:
    xy = np.full((33, 2), np.nan)
    vis = np.zeros(33)
    xy[[0, 23]] = [[600.0, 100.0], [640.0, 360.0]]
    vis[[0, 23]] = 0.9
    assert person_box(xy, vis) is None


# ---------------------------------------------------------------- camera_warnings


@pytest.mark.parametrize(
    ("yaw_deg", "expected"),
    [
        (None, None),
        (0.0, None),
        (-8.0, None),
        (12.4, "turned 12 deg from side-on (it stands behind the person)"),
        (-13.5, "turned 14 deg from side-on (it stands in front of the person)"),
    ],
)
def test_camera_warnings_name_a_large_yaw(yaw_deg: float | None, expected: str | None) -> None:
    warnings = camera_warnings(yaw_deg)
    if expected is None:
        assert warnings == []
    else:
        (warning,) = warnings
        assert expected in warning
        assert "film square to the side of the front foot" in warning


def test_person_region_is_the_mask_grown_at_the_frames_size() -> None:
    """A low-resolution mask of a 'person' (a block) is scaled to the frame and grown by
    PERSON_GROW_FRACTION of the diagonal; without a mask the landmarks' box is used."""
    mask = np.zeros((64, 64), np.float32)
    mask[16:48, 24:40] = 1.0  # at 640 x 640: rows 160-480, columns 240-400
    no_points, no_vis = np.full((33, 2), np.nan), np.zeros(33)
    region = person_region((640, 640), no_points, no_vis, mask)
    assert region is not None
    assert region.shape == (640, 640)
    grow = round(PERSON_GROW_FRACTION * np.hypot(640, 640))
    rows, cols = np.nonzero(region)
    assert rows.min() == pytest.approx(160 - grow, abs=6)
    assert cols.max() == pytest.approx(400 + grow, abs=6)
    assert not region[:100].any()
    assert person_region((640, 640), no_points, no_vis, None) is None
    xy = np.full((33, 2), np.nan)
    vis = np.zeros(33)
    xy[[0, 23, 27]] = [[300.0, 100.0], [320.0, 300.0], [350.0, 500.0]]
    vis[[0, 23, 27]] = 0.9
    boxed = person_region((640, 640), xy, vis, None)
    assert boxed is not None
    rows, cols = np.nonzero(boxed)
    np.testing.assert_allclose([cols.min(), rows.min(), cols.max(), rows.max()], person_box(xy, vis), atol=1)
