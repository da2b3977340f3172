"""Tests for vision.metrics.schedule (coarse-to-fine in time) and its use by the pipeline's pose pass."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from vision.metrics.schedule import DensityGate, filled, interpolated, shin_tilt_deg
from vision.pipeline import MeasureOptions, coarse_step, measure
from vision.pose import landmarks
from vision.pose.landmarks import N_LANDMARKS, FramePose, Landmark

SAMPLE = Path(__file__).resolve().parents[1] / "sample_videos" / "lunge_left_aruco.mp4"
SHIN_PX = 200.0


def pose_with_tilt(time_s: float, tilt_deg: float, frame_index: int = 0) -> FramePose:
    """A frame whose left and right shins lean ``tilt_deg`` from the image vertical."""
    xy = np.full((N_LANDMARKS, 2), np.nan)
    ankle = np.array([300.0, 600.0])
    knee = ankle + SHIN_PX * np.array([math.sin(math.radians(tilt_deg)), -math.cos(math.radians(tilt_deg))])
    for k, a in ((Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE), (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE)):
        xy[int(k)], xy[int(a)] = knee, ankle
    return FramePose(frame_index, time_s, xy, np.ones(N_LANDMARKS), np.zeros((N_LANDMARKS, 3)))


def test_shin_tilt_reads_the_lean_either_way_and_nan_when_unseen() -> None:
    assert shin_tilt_deg(pose_with_tilt(0.0, 30.0), Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE) == pytest.approx(
        30.0
    )
    assert shin_tilt_deg(
        pose_with_tilt(0.0, -30.0), Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE
    ) == pytest.approx(30.0)
    assert math.isnan(shin_tilt_deg(FramePose.missing(0, 0.0), Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE))


def test_the_gate_is_dense_near_each_rocks_deepest_only() -> None:
    """Standing (noise of 1 deg), then a rock to 30 deg and back, twice: dense only over the tops."""
    rng = np.random.default_rng(0)
    times_s = np.arange(0.0, 8.0, 1 / 15)
    rock = np.clip(1.0 - np.abs((times_s % 4.0) - 2.0), 0.0, None)  # 0 standing, 1 at the deepest (t=2, 6 s)
    tilts = 5.0 + 25.0 * rock + rng.normal(0.0, 0.5, times_s.size)
    gate = DensityGate()
    dense = np.array([gate.update(pose_with_tilt(t, tilt)) for t, tilt in zip(times_s, tilts, strict=True)])
    assert dense[np.abs(times_s - 2.0) < 0.05].all()
    assert dense[np.abs(times_s - 6.0) < 0.05].all()
    standing = (times_s % 4.0 < 0.9) | (times_s % 4.0 > 3.1)
    assert not dense[standing & (times_s > 1.0)].any()
    assert 0.1 < dense.mean() < 0.5


def test_frames_left_out_are_interpolated_between_estimated_neighbours() -> None:
    grid = [(i, i / 15) for i in range(5)]
    a, b = pose_with_tilt(grid[1][1], 10.0, 1), pose_with_tilt(grid[3][1], 20.0, 3)
    out = filled([None, a, None, b, None], grid)
    assert [p.frame_index for p in out] == [0, 1, 2, 3, 4]
    assert np.isnan(out[0].xy_px).all()
    assert np.isnan(out[4].xy_px).all()
    assert out[2].xy_px[int(Landmark.LEFT_KNEE)] == pytest.approx(
        (a.xy_px + b.xy_px)[int(Landmark.LEFT_KNEE)] / 2
    )
    assert out[1] is a
    assert out[3] is b


def test_interpolation_is_missing_where_a_neighbour_is_missing() -> None:
    mid = interpolated(pose_with_tilt(0.0, 10.0), FramePose.missing(2, 0.2), 1, 0.1)
    assert np.isnan(mid.xy_px).all()
    assert (mid.visibility == 0).all()


@pytest.mark.parametrize(
    ("stride", "fps", "coarse_fps", "expected"),
    [(2, 30.0, None, 1), (2, 30.0, 5.0, 3), (1, 15.0, 5.0, 3), (2, 30.0, 30.0, 1), (4, 60.0, 7.5, 2)],
)
def test_coarse_step_in_analysed_frames(
    stride: int, fps: float, coarse_fps: float | None, expected: int
) -> None:
    assert coarse_step(stride, fps, coarse_fps) == expected


@pytest.mark.slow
def test_coarse_to_fine_runs_fewer_poses_and_reads_the_same_deepest_rep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Real MediaPipe on the bundled clip: the coarse scheme estimates fewer frames, every frame of the
    result's hold is estimated (not interpolated), and the result agrees with pose on every frame."""
    calls: list[int] = []
    real = landmarks.PoseEstimator.process_bgr_sample

    def counted(self: landmarks.PoseEstimator, *args: object, **kwargs: object) -> landmarks.SampledFrame:
        calls.append(int(args[1]))  # type: ignore[call-overload]
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(landmarks.PoseEstimator, "process_bgr_sample", counted)
    dense = measure(SAMPLE)
    n_dense = len(calls)
    calls.clear()
    coarse = measure(SAMPLE, MeasureOptions(coarse_fps=5.0))
    assert len(calls) < 0.85 * n_dense
    assert dense.peak is not None
    assert coarse.peak is not None
    assert coarse.peak.frame in calls
    assert abs(coarse.peak.shin_angle_deg - dense.peak.shin_angle_deg) < 1.0
    assert [r.peak_frame for r in coarse.reps] == pytest.approx([r.peak_frame for r in dense.reps], abs=4)
