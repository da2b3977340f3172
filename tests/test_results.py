"""Tests for vision.results: the JSON-ready dict, the per-frame CSV and FrameSeries validation."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from vision.errors import InputError
from vision.results import (
    FrameSeries,
    Measurement,
    PeakResult,
    RepResult,
    ScaleResult,
    VideoMeta,
    write_frames_csv,
)

FloatArray = npt.NDArray[np.float64]

N = 6
SERIES_ARRAYS = (
    "frame_index",
    "shin_angle_deg",
    "shin_angle_smooth_deg",
    "shin_angle_image_deg",
    "tibia_axis_deg",
    "tibia_axis_smooth_deg",
    "knee_over_toe_px",
    "heel_lift_px",
)


def frame_series(n: int = N) -> FrameSeries:
    t = np.arange(n) / 30.0
    angle = np.linspace(10.0, 35.0, n)
    angle[2] = np.nan
    knee = np.linspace(-20.0, 60.0, n)
    knee[-1] = np.inf
    return FrameSeries(
        frame_index=np.arange(0, 2 * n, 2, dtype=np.int64),
        time_s=t,
        shin_angle_deg=angle,
        shin_angle_smooth_deg=angle + 0.123456,
        shin_angle_image_deg=angle - 2.0,
        tibia_axis_deg=angle - 4.0,
        tibia_axis_smooth_deg=angle - 3.876544,
        knee_over_toe_px=knee,
        heel_lift_px=np.zeros(n),
        heel_lift_gap_px=np.zeros(n),
        hand_to_knee_shin=np.full(n, np.nan),
        visibility={"knee": np.full(n, 0.987654), "ankle": np.array([0.5, np.nan, 0.7, 0.8, 0.9, 1.0][:n])},
    )


def rep_result(index: int, angle: float, valid: bool = True) -> RepResult:
    return RepResult(
        index=index,
        start_time_s=1.0 * index,
        end_time_s=1.0 * index + 2.5,
        peak_frame=np.int64(30 * index),  # numpy scalars, as the pipeline produces them
        peak_time_s=np.float64(1.0 * index + 1.25),
        hold_start_time_s=1.0 * index + 1.0,
        hold_end_time_s=1.0 * index + 1.5,
        shin_angle_deg=np.float64(angle),
        shin_angle_uncertainty_deg=np.float64(1.25),
        shin_angle_source="front of shin",
        shin_angle_image_deg=angle - 1.0,
        tibia_axis_deg=np.float64(angle - 4.0),
        tibia_axis_uncertainty_deg=float("nan"),
        knee_over_toe_px=123.456789,
        knee_over_toe_foot_ratio=float("nan"),
        knee_over_toe_cm=None,
        heel_lift_foot_ratio=np.float64(np.nan),
        heel_lift_cm=None,
        foot_slide_foot_ratio=float("inf"),
        heel_down=np.bool_(valid),
        valid=valid,
        reason=None if valid else "heel lifted by about 2 cm",
    )


def measurement(with_peak: bool = True) -> Measurement:
    reps = (rep_result(1, 38.123456), rep_result(2, 41.5, valid=False))
    return Measurement(
        side="left",
        facing="right",
        peak=PeakResult.from_rep(reps[0]) if with_peak else None,
        reps=reps,
        valid_spread_deg=None,
        camera_roll_deg=float("nan"),
        camera_roll_applied=False,
        camera_roll_source="none",
        up_unit=(0.0, -1.0),
        foot_length_px=np.float64(180.33333333),
        shin_length_px=300.0,
        knee_over_toe_points="landmarks",
        scale=ScaleResult("none", None, None),
        analysed_every_n_frames=2,
        warnings=("the clip is dark: add light",),
        video=VideoMeta(
            fps=29.97,
            frame_count=np.int64(300),
            width=1920,
            height=1080,
            rotation_deg=90,
            duration_s=10.01,
            codec="h264",
        ),
        frames=frame_series(),
        camera_tilt_deg=np.float64(4.49999),
        camera_yaw_deg=-13.5,
        camera_source="scene edges + room lines",
        camera_view="medial",
    )


# ---------------------------------------------------------------- to_dict


@pytest.mark.parametrize("with_peak", [True, False])
def test_to_dict_is_strict_json(with_peak: bool) -> None:
    data = measurement(with_peak).to_dict()
    text = json.dumps(data, allow_nan=False)  # raises on NaN / inf and on numpy types
    assert json.loads(text) == data


def test_unmeasured_camera_orientation_is_null_not_zero() -> None:
    data = dataclasses.replace(measurement(), camera_tilt_deg=None, camera_yaw_deg=None).to_dict()
    assert data["camera"]["tilt_deg"] is None
    assert data["camera"]["yaw_deg"] is None


def test_to_dict_values() -> None:
    data = measurement().to_dict()
    assert data["side"] == "left"
    assert data["facing"] == "right"
    assert data["camera_roll_deg"] is None  # NaN
    assert data["camera_roll_applied"] is False
    assert data["camera_roll_source"] == "none"
    assert data["camera"] == {
        "tilt_deg": 4.5,
        "yaw_deg": -13.5,
        "source": "scene edges + room lines",
        "view": "medial",
    }
    assert data["knee_over_toe_points"] == "landmarks"
    assert data["valid_spread_deg"] is None
    assert data["foot_length_px"] == 180.3333  # rounded to 4 decimals
    assert data["warnings"] == ["the clip is dark: add light"]
    assert data["video"] == {
        "fps": 29.97,
        "frame_count": 300,
        "width": 1920,
        "height": 1080,
        "rotation_deg": 90,
        "duration_s": 10.01,
        "codec": "h264",
        "analysed_scale": 1.0,
    }
    assert "frames" not in data  # no per-frame arrays
    first, second = data["reps"]
    assert first["knee_over_toe_foot_ratio"] is None  # float NaN
    assert first["heel_lift_foot_ratio"] is None  # numpy NaN
    assert first["foot_slide_foot_ratio"] is None  # inf
    assert first["knee_over_toe_cm"] is None
    assert first["knee_over_toe_px"] == 123.4568
    assert first["shin_angle_deg"] == 38.1235
    assert first["peak_frame"] == 30
    assert type(first["peak_frame"]) is int
    assert first["heel_down"] is True
    assert second["heel_down"] is False
    assert second["reason"] == "heel lifted by about 2 cm"
    assert data["peak"]["shin_angle_deg"] == 38.1235
    assert data["peak"]["frame"] == 30
    assert (first["shin_angle_uncertainty_deg"], first["shin_angle_source"]) == (1.25, "front of shin")
    assert (first["tibia_axis_deg"], first["tibia_axis_uncertainty_deg"]) == (34.1235, None)
    assert data["peak"]["tibia_axis_deg"] == 34.1235
    assert (data["status"], data["status_message"], data["leg_choice"]) == ("ok", None, "")
    no_result = dataclasses.replace(
        measurement(with_peak=False), status="no_valid_rep", status_message="no rep counted: film again"
    ).to_dict()
    assert (no_result["peak"], no_result["status"]) == (None, "no_valid_rep")
    assert no_result["status_message"] == "no rep counted: film again"
    assert len(no_result["reps"]) == 2


# ---------------------------------------------------------------- write_frames_csv


def test_write_frames_csv_round_trip(tmp_path: Path) -> None:
    series = frame_series()
    path = tmp_path / "frames.csv"
    write_frames_csv(series, path)
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    assert header == [
        "frame",
        "time_s",
        "shin_angle_deg",
        "shin_angle_smooth_deg",
        "shin_angle_image_deg",
        "tibia_axis_deg",
        "knee_over_toe_px",
        "heel_lift_px",
        "hand_to_knee_shin",
        "visibility_knee",
        "visibility_ankle",
    ]
    assert len(rows) == N
    columns = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    assert columns["frame"] == ["0", "2", "4", "6", "8", "10"]
    assert columns["shin_angle_deg"][2] == ""  # NaN
    assert columns["knee_over_toe_px"][-1] == ""  # inf
    assert columns["visibility_ankle"][1] == ""
    expected = {
        "time_s": series.time_s,
        "shin_angle_deg": series.shin_angle_deg,
        "shin_angle_smooth_deg": series.shin_angle_smooth_deg,
        "shin_angle_image_deg": series.shin_angle_image_deg,
        "knee_over_toe_px": series.knee_over_toe_px,
        "heel_lift_px": series.heel_lift_px,
        "visibility_knee": series.visibility["knee"],
        "visibility_ankle": series.visibility["ankle"],
    }
    for name, values in expected.items():
        read = np.array([float(cell) if cell else np.nan for cell in columns[name]])
        finite = np.isfinite(values)
        np.testing.assert_array_equal(np.isfinite(read), finite, err_msg=name)
        np.testing.assert_allclose(read[finite], values[finite], atol=5e-5, err_msg=name)
    assert columns["shin_angle_smooth_deg"][0] == "10.1235"  # 4 decimals


def test_write_frames_csv_to_a_missing_folder_is_a_one_line_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        write_frames_csv(frame_series(), tmp_path / "no such folder" / "frames.csv")
    assert "\n" not in str(caught.value)
    assert "frames.csv" in str(caught.value)


# ---------------------------------------------------------------- FrameSeries validation


@pytest.mark.parametrize("name", SERIES_ARRAYS)
@pytest.mark.parametrize("bad_shape", [(N - 1,), (N + 1,), (N, 1)])
def test_frame_series_rejects_a_misshapen_array(name: str, bad_shape: tuple[int, ...]) -> None:
    good = frame_series()
    with pytest.raises(ValueError, match=name):
        dataclasses.replace(good, **{name: np.zeros(bad_shape, dtype=getattr(good, name).dtype)})


def test_frame_series_rejects_a_misshapen_visibility() -> None:
    with pytest.raises(ValueError, match="toe"):
        dataclasses.replace(frame_series(), visibility={"knee": np.zeros(N), "toe": np.zeros(N - 1)})


def test_frame_series_rejects_misshapen_leg_points() -> None:
    with pytest.raises(ValueError, match="heel"):
        dataclasses.replace(frame_series(), leg_px={"knee": np.zeros((N, 2)), "heel": np.zeros((N, 3))})


def test_frame_series_accepts_consistent_shapes() -> None:
    series = frame_series()
    assert series.time_s.shape == (N,)
    empty = FrameSeries(*(np.zeros(0, dtype=np.int64 if i == 0 else np.float64) for i in range(11)))
    assert empty.time_s.shape == (0,)


def test_frame_series_rejects_a_two_dimensional_time_axis() -> None:
    with pytest.raises(ValueError, match="time_s"):
        dataclasses.replace(frame_series(), time_s=np.zeros((N, 2)))


def test_the_analysed_size_is_the_filmed_size_times_the_scale() -> None:
    assert VideoMeta(30.0, 90, 3840, 2160, 0, 3.0, "hevc", 0.5).analysed_size_px == (1920, 1080)
    assert VideoMeta(30.0, 90, 1080, 1920, 90, 3.0, "h264").analysed_size_px == (1080, 1920)
