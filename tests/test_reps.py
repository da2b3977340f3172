"""A rep judged from its series: a hand resting on the knee makes its figures doubtful, and says so."""

from __future__ import annotations

import numpy as np
import pytest

from vision.metrics.angles import CameraDoubt, angle_warnings
from vision.metrics.reps import (
    HAND_ON_KNEE_SHIN,
    NEAR_LIFT_SHARE,
    RELATIVE_LIFT_FACTOR,
    RELATIVE_LIFT_SHARE,
    RepLimits,
    heel_rise_px,
    heel_warnings,
    hidden_warnings,
    largest_other,
    rep_result,
)
from vision.metrics.series import hand_to_knee_shin
from vision.metrics.timeseries import Rep
from vision.pose.landmarks import HAND_POINTS, Landmark, PoseTrack
from vision.pose.legs import POINT_NAMES
from vision.results import FrameSeries, RepResult
from vision.scene.camera import CameraPose

N = 12
SHIN_PX = 200.0
KNEE = (500.0, 300.0)
POINTS = {
    "hip": (450.0, 150.0),
    "knee": KNEE,
    "ankle": (400.0, 473.0),  # 30 deg forward of vertical, 200 px long
    "heel": (370.0, 500.0),
    "toe": (520.0, 505.0),
    "shin_front_top": (480.0, 350.0),
    "shin_front_bottom": (450.0, 400.0),
}


def series(hand_to_knee: float, heel_lift_px: float = 0.0) -> FrameSeries:
    angle = np.full(N, 34.0)
    return FrameSeries(
        frame_index=np.arange(N, dtype=np.int64),
        time_s=np.arange(N) / 10.0,
        shin_angle_deg=angle,
        shin_angle_smooth_deg=angle,
        shin_angle_image_deg=angle,
        tibia_axis_deg=angle - 4.0,
        tibia_axis_smooth_deg=angle - 4.0,
        knee_over_toe_px=np.full(N, 20.0),
        heel_lift_px=np.full(N, heel_lift_px),
        heel_lift_gap_px=np.zeros(N),
        hand_to_knee_shin=np.full(N, hand_to_knee),
        leg_px={
            name: np.tile(np.array(POINTS.get(name, KNEE), dtype=np.float64), (N, 1))
            for name in (*POINT_NAMES, "shin_front_top", "shin_front_bottom")
        },
    )


def judged(
    hand_to_knee: float = 0.6,
    toe_along_px: np.ndarray | None = None,
    heel_lift_px: float = 0.0,
    frames: FrameSeries | None = None,
    others_rise_px: float = float("nan"),
) -> RepResult:
    doubt = CameraDoubt(CameraPose.level((1000, 700)), facing=1, side="left", roll_sigma_deg=0.0)
    return rep_result(
        0,
        Rep(start=0, peak=6, end=11, hold_start=4, hold_end=8),
        series(hand_to_knee, heel_lift_px) if frames is None else frames,
        foot_px=150.0,
        shin_px=SHIN_PX,
        px_per_cm=None,
        toe_along_px=np.zeros((2, N)) if toe_along_px is None else toe_along_px,
        doubt=doubt,
        brightness=np.full(N, 100.0),
        limits=RepLimits(0.05, 0.15),
        others_rise_px=others_rise_px,
    )


def test_a_hand_on_the_knee_widens_both_angles_and_is_said_and_a_hand_elsewhere_is_not() -> None:
    clear, covered = judged(0.6), judged(0.05)
    assert clear.valid
    assert covered.valid
    assert not clear.hand_on_knee
    assert covered.hand_on_knee
    assert covered.shin_angle_deg == pytest.approx(clear.shin_angle_deg)
    assert covered.shin_angle_uncertainty_deg > clear.shin_angle_uncertainty_deg + 3.0
    assert covered.tibia_axis_uncertainty_deg > clear.tibia_axis_uncertainty_deg + 3.0
    assert any("hand rests on the knee" in w for w in angle_warnings(covered, [covered]))
    assert not any("hand" in w for w in angle_warnings(clear, [clear]))


def test_hand_to_knee_is_the_nearest_hand_point_in_shin_lengths_and_nan_without_hands() -> None:
    xy = np.full((3, 33, 2), np.nan)
    knee = np.tile(np.array(KNEE), (3, 1))
    xy[0, Landmark.LEFT_WRIST] = (500.0, 380.0)  # 80 px below the knee
    xy[0, Landmark.RIGHT_INDEX] = (530.0, 300.0)  # 30 px ahead: the nearest
    xy[1, list(HAND_POINTS)] = (500.0 + 0.5 * HAND_ON_KNEE_SHIN * SHIN_PX, 300.0)
    track = PoseTrack(
        xy_px=xy,
        visibility=np.ones((3, 33)),
        world_m=np.full((3, 33, 3), np.nan),
        time_s=np.arange(3) / 10.0,
        frame_index=np.arange(3, dtype=np.int64),
        width_px=1000,
        height_px=700,
    )
    distance = hand_to_knee_shin(track, knee, SHIN_PX)
    np.testing.assert_allclose(distance[:2], [30.0 / SHIN_PX, 0.5 * HAND_ON_KNEE_SHIN])
    assert np.isnan(distance[2])


def test_the_foot_slid_only_as_far_as_every_reading_of_the_toes_says() -> None:
    """MediaPipe's foot-index landmark sliding back a fifth of the foot while the mask's toe tip stays put is
    the landmark drifting at deep flexion, not the foot moving; both moving is a slide."""
    drift = np.zeros((2, N))
    drift[0, 4:9] = -0.2 * 150.0
    assert judged(toe_along_px=drift).valid
    slid = np.tile(drift[0], (2, 1))
    rep = judged(toe_along_px=slid)
    assert not rep.valid
    assert rep.reason is not None
    assert "moved" in rep.reason
    unseen = drift.copy()
    unseen[1] = np.nan  # no mask: the landmark alone says it
    assert not judged(toe_along_px=unseen).valid


def test_a_heel_risen_close_to_the_limit_makes_the_result_doubtful_and_a_flat_one_does_not() -> None:
    limit, foot_px = 0.05, 150.0
    near = judged(heel_lift_px=(NEAR_LIFT_SHARE + 0.1) * limit * foot_px)
    flat = judged(heel_lift_px=0.2 * limit * foot_px)
    assert near.valid
    assert near.heel_down
    (warning,) = heel_warnings(near, [near], limit, foot_px, px_per_cm=None)
    assert "doubtful" in warning
    assert heel_warnings(flat, [flat], limit, foot_px, px_per_cm=None) == []


def test_a_rise_under_the_limit_is_a_lift_when_it_stands_out_from_the_other_reps() -> None:
    """0.04 foot lengths (about 1 cm) is under the 0.05 limit: alone, or beside reps that rose nearly as
    much, the heel counts as down; beside reps that stayed flat it is a lift, and the reason says why."""
    limit, foot_px = 0.05, 150.0
    rise = 0.8 * limit * foot_px  # 6 px
    assert RELATIVE_LIFT_SHARE * limit * foot_px < rise
    alone = judged(heel_lift_px=rise)
    beside_flat = judged(heel_lift_px=rise, others_rise_px=0.5)
    beside_similar = judged(heel_lift_px=rise, others_rise_px=0.9 * rise / RELATIVE_LIFT_FACTOR * 1.5)
    assert alone.valid
    assert alone.heel_down
    assert beside_similar.valid
    assert not beside_flat.valid
    assert not beside_flat.heel_down
    assert beside_flat.reason is not None
    assert "other reps" in beside_flat.reason
    small = judged(heel_lift_px=0.5 * RELATIVE_LIFT_SHARE * limit * foot_px, others_rise_px=0.0)
    assert small.valid  # under the lower threshold, however flat the other reps
    over = judged(heel_lift_px=2 * limit * foot_px, others_rise_px=0.0)
    assert over.reason is not None
    assert "lifted" in over.reason
    assert "other reps" not in over.reason  # over the limit: a lift by itself


def test_a_heels_rise_is_read_where_mediapipe_kept_the_foot_and_the_others_largest_skips_nan() -> None:
    frames = series(0.6, heel_lift_px=4.0)
    assert heel_rise_px(frames, Rep(start=0, peak=6, end=11, hold_start=4, hold_end=8)) == pytest.approx(4.0)
    lost = dict(frames.leg_px)
    lost["toe"] = lost["toe"].copy()
    lost["toe"][4:9] = lost["heel"][4:9]  # the toe closed onto the heel over the hold: the foot lost there
    lost_frames = FrameSeries(**{**frames.__dict__, "leg_px": lost})
    assert np.isnan(heel_rise_px(lost_frames, Rep(start=0, peak=6, end=11, hold_start=4, hold_end=8)))
    assert largest_other([3.0, float("nan"), 1.0], 0) == 1.0
    assert largest_other([3.0, 5.0, 1.0], 1) == 3.0
    assert np.isnan(largest_other([3.0], 0))


@pytest.mark.parametrize(("unseen", "said"), [((9, 10, 11), "0.90 to 1.10 s"), ((1, 2, 3), "0.10 to 0.30 s")])
def test_the_shin_out_of_sight_next_to_the_hold_makes_the_result_doubtful(
    unseen: tuple[int, ...], said: str
) -> None:
    """The hold is frames 4-8 (0.4-0.8 s); unseen frames right after or before it may hide a deeper rock."""
    rep = judged()
    hidden = series(0.6)
    for name in ("shin_angle_deg", "tibia_axis_deg"):
        getattr(hidden, name)[list(unseen)] = np.nan
    (warning,) = hidden_warnings(rep, hidden)
    assert said in warning
    assert hidden_warnings(rep, series(0.6)) == []


def test_the_shin_out_of_sight_away_from_the_hold_is_not_a_doubt() -> None:
    rep = judged()
    hidden = series(0.6)
    hidden.shin_angle_deg[[0, 1, 10, 11]] = np.nan  # one frame seen between each stretch and the hold
    hidden.tibia_axis_deg[[0, 1, 10, 11]] = np.nan
    assert hidden_warnings(rep, hidden) == []


def test_a_foot_mediapipe_lost_is_not_a_foot_that_travelled() -> None:
    """Both readings put the toes 0.8 foot lengths off in three frames of the rock. Where the foot's toe
    point had closed onto its heel (MediaPipe lost the foot) that is no travel; with the foot whole, it is."""
    off = [1, 2, 3]
    along = np.zeros((2, N))
    along[:, off] = 120.0
    lost = series(0.6)
    lost.leg_px["toe"][off] = lost.leg_px["heel"][off] + [10.0, 0.0]
    assert judged(toe_along_px=along, frames=lost).foot_planted
    travelled = judged(toe_along_px=along)
    assert not travelled.foot_planted
    assert not travelled.valid
