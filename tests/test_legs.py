"""Tests for vision.pose.legs: which leg is tested, which way the person faces, and MediaPipe label swaps.

The track is a hand-made lunge (1280x720): the front foot planted ahead, the front knee rocking forward
over it, the rear leg stretched back. Every landmark position is known, so the leg returned can be checked
coordinate by coordinate.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pytest

from vision.errors import InputError
from vision.pose.landmarks import N_LANDMARKS, N_SILHOUETTE, Landmark, LegLandmarks, PoseTrack, Side
from vision.pose.legs import (
    FOOT_POINT_NAMES,
    POINT_NAMES,
    LegPoints,
    choose_leg,
    facing_direction,
    foot_at_edge,
    leg_points,
    legs_merged,
    without_foot,
)
from vision.pose.tested_leg import pick_leg

FloatArray = npt.NDArray[np.float64]

WIDTH, HEIGHT = 1280, 720
N_FRAMES = 30
PARTS = POINT_NAMES  # the five MediaPipe landmarks, then the four silhouette points
LANDMARK_PARTS = ("hip", "knee", "ankle", "heel", "toe")
FRONT_VIS, REAR_VIS = 0.9, 0.6


def lunge_legs(n: int = N_FRAMES) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    """(front, rear) leg positions, (n, 2) per part, facing image right. The front knee rocks forward.

    The silhouette points sit just ahead of the knee and toe, just behind the heel and under it.
    """
    rock = 40.0 * np.sin(np.linspace(0.0, 2 * np.pi, n)) ** 2
    front = {
        "hip": np.array([600.0, 360.0]) + np.zeros((n, 2)),
        "knee": np.stack([680.0 + rock, 480.0 + 0.2 * rock], axis=1),
        "ankle": np.array([660.0, 620.0]) + np.zeros((n, 2)),
        "heel": np.array([630.0, 640.0]) + np.zeros((n, 2)),
        "toe": np.array([745.0, 648.0]) + np.zeros((n, 2)),
    }
    rear = {
        "hip": np.array([590.0, 362.0]) + np.zeros((n, 2)),
        "knee": np.array([515.0, 490.0]) + np.zeros((n, 2)),
        "ankle": np.array([430.0, 610.0]) + np.zeros((n, 2)),
        "heel": np.array([405.0, 600.0]) + np.zeros((n, 2)),
        "toe": np.array([480.0, 642.0]) + np.zeros((n, 2)),
    }
    for leg in (front, rear):
        leg["knee_front"] = leg["knee"] + [30.0, 0.0]
        leg["toe_tip"] = leg["toe"] + [15.0, 2.0]
        leg["heel_back"] = leg["heel"] - [12.0, 0.0]
        leg["heel_bottom"] = leg["heel"] + [4.0, 10.0]
        leg["shin_front_top"] = leg["knee"] + 0.3 * (leg["ankle"] - leg["knee"]) + [20.0, 0.0]
        leg["shin_front_bottom"] = leg["knee"] + 0.6 * (leg["ankle"] - leg["knee"]) + [20.0, 0.0]
    return front, rear


def build_track(
    front: dict[str, FloatArray],
    rear: dict[str, FloatArray],
    front_label: Side = "left",
    swapped: tuple[int, ...] = (),
    missing: tuple[int, ...] = (),
) -> PoseTrack:
    """A PoseTrack with the front leg labelled ``front_label``, except in ``swapped`` frames (labels swapped).

    The front leg's landmarks get visibility FRONT_VIS and the rear leg's REAR_VIS, whatever their label, so
    the visibilities returned also show which limb was taken. ``missing`` frames have no person at all.
    """
    n = front["knee"].shape[0]
    points = np.full((n, N_LANDMARKS + N_SILHOUETTE, 2), np.nan)  # the 33 landmarks, then the silhouette
    vis = np.zeros((n, 33))
    rear_label: Side = "right" if front_label == "left" else "left"
    swap = np.isin(np.arange(n), swapped)
    for part in PARTS:
        front_index = int(getattr(LegLandmarks.of(front_label), part))
        rear_index = int(getattr(LegLandmarks.of(rear_label), part))
        points[:, front_index] = np.where(swap[:, None], rear[part], front[part])
        points[:, rear_index] = np.where(swap[:, None], front[part], rear[part])
        if part in LANDMARK_PARTS:
            vis[:, front_index] = np.where(swap, REAR_VIS, FRONT_VIS)
            vis[:, rear_index] = np.where(swap, FRONT_VIS, REAR_VIS)
    xy, silhouette = points[:, :N_LANDMARKS], points[:, N_LANDMARKS:]
    mirrored = front["toe"][0, 0] < front["heel"][0, 0]
    xy[:, Landmark.NOSE] = [WIDTH - 700.0, 150.0] if mirrored else [700.0, 150.0]
    vis[:, Landmark.NOSE] = 0.99
    xy[list(missing)] = np.nan
    silhouette[list(missing)] = np.nan
    vis[list(missing)] = 0.0
    return PoseTrack(
        xy_px=xy,
        visibility=vis,
        world_m=np.full((n, 33, 3), np.nan),
        time_s=np.arange(n) / 30.0,
        frame_index=np.arange(n, dtype=np.int64),
        width_px=WIDTH,
        height_px=HEIGHT,
        silhouette_px=silhouette,
    )


def mirror(leg: dict[str, FloatArray]) -> dict[str, FloatArray]:
    return {part: np.stack([WIDTH - points[:, 0], points[:, 1]], axis=1) for part, points in leg.items()}


def assert_leg_is(leg: LegPoints, expected: dict[str, FloatArray], frames: npt.NDArray[np.bool_]) -> None:
    for part in PARTS:
        np.testing.assert_array_equal(getattr(leg, part)[frames], expected[part][frames], err_msg=part)


# ---------------------------------------------------------------- side and facing


@pytest.mark.parametrize("front_label", ["left", "right"])
@pytest.mark.parametrize("facing", [1, -1])
def test_front_leg_and_facing(front_label: Side, facing: int) -> None:
    front, rear = lunge_legs()
    if facing == -1:
        front, rear = mirror(front), mirror(rear)
    track = build_track(front, rear, front_label)
    choice = choose_leg(track)
    assert choice.side == front_label
    assert choice.facing == facing
    assert facing_direction(track) == facing
    assert choice.label_agreement == 1.0
    assert choice.swapped_frames == 0
    assert not choice.overridden
    leg = leg_points(track, choice)
    everywhere = np.ones(N_FRAMES, dtype=bool)
    assert_leg_is(leg, front, everywhere)
    for part in LANDMARK_PARTS:
        np.testing.assert_array_equal(leg.visibility[part], FRONT_VIS)


def test_mirrored_clip_keeps_the_side_and_flips_the_facing() -> None:
    front, rear = lunge_legs()
    original = choose_leg(build_track(front, rear, "left"))
    mirrored = choose_leg(build_track(mirror(front), mirror(rear), "left"))
    assert (original.side, original.facing) == ("left", 1)
    assert (mirrored.side, mirrored.facing) == ("left", -1)


# ---------------------------------------------------------------- MediaPipe label swaps


@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize("swapped", [(3,), (3, 10, 17, 25), (0, 1, 2, 28, 29), tuple(range(5, 14))])
def test_swapped_labels_still_give_the_front_leg(facing: int, swapped: tuple[int, ...]) -> None:
    front, rear = lunge_legs()
    if facing == -1:
        front, rear = mirror(front), mirror(rear)
    track = build_track(front, rear, "left", swapped=swapped)
    # In the swapped frames MediaPipe's "left knee" really is the rear knee.
    np.testing.assert_array_equal(track.point(Landmark.LEFT_KNEE)[list(swapped)], rear["knee"][list(swapped)])

    choice = choose_leg(track)
    assert choice.side == "left"
    assert choice.facing == facing
    assert choice.swapped_frames == len(swapped)
    np.testing.assert_allclose(choice.label_agreement, 1.0 - len(swapped) / N_FRAMES)
    assert not choice.overridden

    leg = leg_points(track, choice)
    everywhere = np.ones(N_FRAMES, dtype=bool)
    assert_leg_is(leg, front, everywhere)  # including the swapped frames, silhouette points too
    for part in LANDMARK_PARTS:
        np.testing.assert_array_equal(leg.visibility[part], FRONT_VIS, err_msg=part)


def test_frames_without_a_person_stay_missing_and_do_not_count() -> None:
    front, rear = lunge_legs()
    missing = (0, 7, 8, 29)
    track = build_track(front, rear, "right", swapped=(12, 13), missing=missing)
    choice = choose_leg(track)
    assert choice.side == "right"
    assert choice.swapped_frames == 2
    np.testing.assert_allclose(choice.label_agreement, 1.0 - 2 / (N_FRAMES - len(missing)))
    leg = leg_points(track, choice)
    gone = np.isin(np.arange(N_FRAMES), missing)
    for part in PARTS:
        assert np.isnan(getattr(leg, part)[gone]).all(), part
    assert_leg_is(leg, front, ~gone)


@pytest.mark.parametrize("facing", [1, -1])
def test_frames_where_mediapipe_merged_the_legs_are_missing(facing: int) -> None:
    """Both legs' landmarks met halfway between the planted feet (MediaPipe lost which is which): neither
    leg is known there, so the frames are missing rather than read as the front foot travelling."""
    front, rear = lunge_legs()
    merged = np.isin(np.arange(N_FRAMES), (5, 6, 20))
    apart = np.array([8.0, 0.0])
    for part in PARTS:
        middle = (front[part] + rear[part]) / 2
        front[part] = np.where(merged[:, None], middle + apart, front[part])
        rear[part] = np.where(merged[:, None], middle - apart, rear[part])
    if facing == -1:
        front, rear = mirror(front), mirror(rear)
    track = build_track(front, rear, "left")
    np.testing.assert_array_equal(legs_merged(track), merged)
    leg = leg_points(track, choose_leg(track))
    for part in PARTS:
        assert np.isnan(getattr(leg, part)[merged]).all(), part
        np.testing.assert_array_equal(leg.visibility[part][merged], 0.0, err_msg=part)
    assert_leg_is(leg, front, ~merged)


def test_feet_side_by_side_are_never_called_merged() -> None:
    """A squat has no stride between the feet: ankles close together, or closer in some frames than in
    others, are its normal state."""
    front, _ = lunge_legs()
    gap = np.where(np.arange(N_FRAMES) % 5 == 0, 5.0, 40.0)
    level = {part: front[part] - np.stack([gap, np.zeros(N_FRAMES)], axis=1) for part in PARTS}
    track = build_track(front, level, "left")
    assert not legs_merged(track).any()


# ---------------------------------------------------------------- side override


def test_side_override_naming_the_rear_leg_takes_labels_as_given() -> None:
    front, rear = lunge_legs()
    swapped = (4, 5)
    track = build_track(front, rear, "left", swapped=swapped)
    choice = choose_leg(track, side_override="right")
    assert choice.side == "right"
    assert choice.overridden
    assert choice.facing == 1
    leg = leg_points(track, choice)
    for part in PARTS:  # the right-labelled points in every frame, even where the labels were swapped
        np.testing.assert_array_equal(
            getattr(leg, part), track.point(getattr(LegLandmarks.of("right"), part))
        )
    np.testing.assert_array_equal(leg.knee[list(swapped)], front["knee"][list(swapped)])
    np.testing.assert_array_equal(
        np.delete(leg.knee, swapped, axis=0), np.delete(rear["knee"], swapped, axis=0)
    )


def test_side_override_agreeing_with_the_detection_is_not_an_override() -> None:
    front, rear = lunge_legs()
    track = build_track(front, rear, "left", swapped=(6,))
    choice = choose_leg(track, side_override="left")
    assert choice == choose_leg(track)
    assert not choice.overridden
    assert_leg_is(leg_points(track, choice), front, np.ones(N_FRAMES, dtype=bool))


# ---------------------------------------------------------------- facing fallbacks


@pytest.mark.parametrize(("nose_x", "expected"), [(700.0, 1), (500.0, -1)])
def test_facing_falls_back_to_the_nose_without_feet(make_track, nose_x: float, expected: int) -> None:
    track = make_track(
        {
            Landmark.NOSE: (nose_x, 150.0),
            Landmark.LEFT_HIP: (600.0, 360.0),
            Landmark.RIGHT_HIP: (596.0, 362.0),
            Landmark.LEFT_ANKLE: (640.0, 620.0),
            Landmark.RIGHT_ANKLE: (560.0, 620.0),
        },
        10,
    )
    assert facing_direction(track) == expected


def test_facing_is_the_majority_of_frames() -> None:
    front, rear = lunge_legs()
    track = build_track(front, rear, "left")
    xy = track.xy_px.copy()
    # Four frames with the toes pointing the other way (bad landmarks) do not flip the facing.
    for side in ("left", "right"):
        leg = LegLandmarks.of(side)
        xy[:4, leg.toe, 0], xy[:4, leg.heel, 0] = track.xy_px[:4, leg.heel, 0], track.xy_px[:4, leg.toe, 0]
    assert facing_direction(dataclasses.replace(track, xy_px=xy)) == 1


@pytest.mark.parametrize("bad", [name for name in POINT_NAMES if name != "knee"])
def test_leg_points_shape_validation(bad: str) -> None:
    points = {name: np.zeros((5, 2)) for name in POINT_NAMES}
    LegPoints(**points, visibility={})  # consistent shapes are accepted
    points[bad] = np.zeros((4, 2))
    with pytest.raises(ValueError, match=bad):
        LegPoints(**points, visibility={})


# ---------------------------------------------------------------- a foot at the frame's edge


def front_leg_points(front: dict[str, FloatArray]) -> LegPoints:
    return LegPoints(visibility={name: np.full(N_FRAMES, FRONT_VIS) for name in LANDMARK_PARTS}, **front)


def test_a_foot_near_the_frames_edge_is_marked_and_its_points_go_missing() -> None:
    front, _ = lunge_legs()
    # The 115 px foot's sole 10 px above the bottom edge in frames 5-9 (within 0.1 foot lengths), and the
    # mask's toe tip 20 px from the right edge (beyond 0.1 of a foot) in frame 12.
    for name in FOOT_POINT_NAMES:
        front[name][5:10, 1] += HEIGHT - 10.0 - front["heel_bottom"][5:10, 1]
    front["toe_tip"][12] = (WIDTH - 20.0, 650.0)
    leg = front_leg_points(front)
    at_edge = foot_at_edge(leg, WIDTH, HEIGHT)
    np.testing.assert_array_equal(np.flatnonzero(at_edge), [5, 6, 7, 8, 9])
    cut = without_foot(leg, at_edge)
    for name in FOOT_POINT_NAMES:
        assert np.isnan(getattr(cut, name)[at_edge]).all(), name
        np.testing.assert_array_equal(getattr(cut, name)[~at_edge], getattr(leg, name)[~at_edge])
    for name in ("knee", "ankle", "knee_front", "shin_front_top"):
        np.testing.assert_array_equal(getattr(cut, name), getattr(leg, name))
    assert (cut.visibility["heel"][at_edge] == 0.0).all()
    assert (cut.visibility["knee"] == FRONT_VIS).all()


def test_an_untraced_mask_outline_is_not_at_the_edge() -> None:
    front, _ = lunge_legs()
    front["heel_bottom"][:] = np.nan
    front["toe_tip"][:] = np.nan
    assert not foot_at_edge(front_leg_points(front), WIDTH, HEIGHT).any()


# ---------------------------------------------------------------- which leg the pipeline measures


def test_pick_leg_takes_the_front_leg_and_says_so() -> None:
    front, rear = lunge_legs()
    choice, leg, note = pick_leg(build_track(front, rear, "left"), None)
    assert choice.side == "left"
    assert_leg_is(leg, front, np.ones(N_FRAMES, dtype=bool))
    assert note == "the left leg, in front"


def test_pick_leg_tries_the_other_leg_when_the_front_foot_is_out_of_frame() -> None:
    front, rear = lunge_legs()
    front["toe"] = np.full_like(front["toe"], np.nan)  # the front toes never found
    choice, leg, note = pick_leg(build_track(front, rear, "left"), None)
    assert choice.side == "right"
    assert_leg_is(leg, rear, np.ones(N_FRAMES, dtype=bool))
    assert "the right leg" in note
    assert "out of frame or hidden" in note


def test_pick_leg_refuses_when_neither_leg_is_in_view() -> None:

    front, rear = lunge_legs()
    front["toe"] = front["toe"] + [WIDTH, 0.0]
    rear["toe"] = rear["toe"] + [WIDTH, 0.0]
    with pytest.raises(InputError, match="out of frame or hidden"):
        pick_leg(build_track(front, rear, "left"), None)


def test_a_named_side_behind_the_front_leg_is_measured_with_a_note() -> None:
    front, rear = lunge_legs()
    choice, leg, note = pick_leg(build_track(front, rear, "left"), "right")
    assert choice.side == "right"
    assert_leg_is(leg, rear, np.ones(N_FRAMES, dtype=bool))
    assert note.startswith("the left leg is in front in this clip")
