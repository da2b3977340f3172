"""Tests for vision.app.logic and vision.output.report: what the web app computes, without Streamlit."""

from __future__ import annotations

import base64
import dataclasses
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from fakes import NO_VALID_REP_MESSAGE, make_measurement, rep

from vision.advice.drills import DISCLAIMER, plan
from vision.advice.norms import ASYMMETRY_DEG, BENNELL_1998, HOCH_MCKEON_2011, KONOR_2012, MDC_DEG, SideResult
from vision.advice.trends import trend
from vision.app import logic as al
from vision.app import tables as app_tables
from vision.app import words as app_words
from vision.errors import InputError
from vision.output.annotate import AnnotatedVideoWriter
from vision.output.report import ReportInput, build_report, trend_svg
from vision.pose.landmarks import N_LANDMARKS, FramePose, LegLandmarks
from vision.results import AXIS_PLUS_OFFSET, STATUS_NO_VALID_REP, STATUS_NOT_A_LUNGE, Measurement, WallResult
from vision.storage import MeasurementRecord
from vision.video import VideoReader

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_LEFT = ROOT / "sample_videos" / "lunge_left_aruco.mp4"
SAMPLE_RIGHT = ROOT / "sample_videos" / "lunge_right_heel_lift.mp4"
Image = npt.NDArray[np.uint8]
T = TypeVar("T")


def analysis_of(m: Measurement, name: str = "clip.mp4", foot: float | None = None) -> al.ClipAnalysis:
    image = np.full((320, 400, 3), 90, dtype=np.uint8)
    png = al.png_bytes(image)
    return al.ClipAnalysis(name, "d" * 64, foot, m, png, png, b"mp4", b"frame,time_s\n")


# ---------------------------------------------------------------- uploads


def test_check_upload_accepts_videos_and_refuses_the_rest() -> None:
    al.check_upload("lunge.MOV", 10_000_000)
    al.check_upload("lunge.mp4", 1)
    with pytest.raises(InputError, match=r"over the 200 MB limit: trim"):
        al.check_upload("big.mp4", 201 * 1024 * 1024)
    with pytest.raises(InputError, match=r"over the 5 MB limit"):
        al.check_upload("big.mp4", 6 * 1024 * 1024, max_mb=5)
    with pytest.raises(InputError, match="is not a video"):
        al.check_upload("notes.txt", 100)
    with pytest.raises(InputError, match="is empty"):
        al.check_upload("empty.mp4", 0)


def test_digest_is_the_sha256_of_the_bytes() -> None:
    assert al.digest(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert al.digest(b"abc") != al.digest(b"abd")


# ---------------------------------------------------------------- figures, norms, warnings


def test_headline_without_scale_is_angle_only() -> None:
    head = al.headline(make_measurement(), None)
    assert head.shin_angle_deg == 35.0
    assert head.knee_over_toe_cm is None
    assert head.scale_source == "none (angle only)"
    assert (head.valid_reps, head.total_reps) == (2, 2)
    assert al.format_angle(head.shin_angle_deg) == "35.0°"
    assert al.format_cm(None) == "n/a"


def test_headline_with_foot_length_scale() -> None:
    m = make_measurement(reps=(rep(1, 38.0, cm=11.24),), px_per_cm=3.0)
    head = al.headline(m, 26.0)
    assert head.knee_over_toe_cm == pytest.approx(11.24)
    assert head.scale_source == "foot length 26 cm (entered), scale ± 2%"
    assert al.format_cm(head.knee_over_toe_cm) == "+11.0 cm"  # to the 0.5 cm a video can claim
    assert al.format_cm(11.3) == "+11.5 cm"
    assert al.format_cm(-2.04, 0.5) == "-2.0 cm ± 0.5"
    assert al.format_cm(-2.04, 0.2) == "-2.0 cm ± 0.5"  # never a ± finer than the rounding
    assert al.format_cm(-2.04, 1.5) == "-2.0 cm ± 1.5"
    assert al.format_cm(0.1, 0.5) == "0.0 cm ± 0.5"
    assert al.format_cm(6.6, 2.4) == "about +7 cm (rough: ± 2.5)"  # doubt over 1.5 cm: not a crisp figure
    assert al.format_cm(-0.4, 1.7) == "about 0 cm (rough: ± 1.5)"
    assert al.knee_position_words(-2.0, None) == "knee 2.0 cm behind the toes"
    assert al.knee_position_words(None, 0.12) == "knee 12% of a foot length past the toes (no scale)"


def test_headline_with_a_marker_scale_and_uncertainty() -> None:
    m = make_measurement(reps=(rep(1, 38.0, cm=11.0),), px_per_cm=3.0, source="aruco", uncertainty_cm=0.4)
    head = al.headline(m, 26.0)
    assert head.scale_source == "ArUco marker on the floor, scale ± 2%"
    assert head.knee_over_toe_uncertainty_cm == 0.4
    assert al.format_cm(head.knee_over_toe_cm, head.knee_over_toe_uncertainty_cm) == "+11.0 cm ± 0.5"


@pytest.mark.parametrize(
    ("tilt_deg", "yaw_deg", "source", "expected"),
    [
        (None, None, None, "up-down tilt not measured (assumed level); turn from side-on not measured"),
        (0.2, None, "vertical edges", "level; turn from side-on not measured"),
        (
            4.5,
            -13.3,
            "scene edges + room lines",
            "looking down 4°, turned 13° from side-on (in front of the person): corrected for "
            "(from straight lines in the room and their direction)",
        ),
        (
            -6.8,
            9.0,
            "aruco marker + its edges",
            "looking up 7°, turned 9° from side-on (behind the person): corrected for (from the printed "
            "marker on the floor and its edges)",
        ),
        (0.0, 0.3, "a4 sheet + its edges", "level, side-on: corrected for"),
    ],
)
def test_camera_words(
    tilt_deg: float | None, yaw_deg: float | None, source: str | None, expected: str
) -> None:
    m = dataclasses.replace(
        make_measurement(), camera_tilt_deg=tilt_deg, camera_yaw_deg=yaw_deg, camera_source=source
    )
    assert expected in al.camera_words(m)


def test_norms_summary_names_the_band_and_the_references() -> None:
    limited = al.norms_summary(SideResult(30.0, 8.0))
    assert limited.band == "limited"
    assert "Hoch & McKeon 2011" in limited.text
    assert "limited" in limited.text
    assert limited.references == (BENNELL_1998, KONOR_2012, HOCH_MCKEON_2011)
    normal = al.norms_summary(SideResult(44.0))
    assert normal.band == "normal"
    assert HOCH_MCKEON_2011 not in normal.references


def test_plain_warnings_are_sentences_and_include_rejected_reps() -> None:
    m = make_measurement(
        reps=(rep(1, 30.0), rep(2, 36.0, valid=False, t0=1.0)),
        warnings=("the clip is dark: add light",),
    )
    assert al.plain_warnings(m) == [
        "The clip is dark: add light.",
        "Rep 2 was not counted: heel lifted by about 2.0 cm.",
    ]


@pytest.mark.parametrize(
    ("engine", "app"),
    [
        (
            "the left leg was chosen as the front leg but the choice was not clear-cut: check it, or pass "
            "--side",
            "the left leg was chosen as the front leg but the choice was not clear-cut: check it, or say "
            "which ankle it is (One clip, I pick the side)",
        ),
        (
            "the front foot moved by about 1948% of the foot length",
            "the front foot moved by about 19.5 foot lengths",
        ),
        ("the heel rose 40% of the foot length", "the heel rose 40% of the foot length"),  # under 100%: kept
        (
            "the shin angle is doubtful (+-3.3 deg, 1 sigma, against the inclinometer's 1.3 deg): film "
            "closer",
            "the shin angle is doubtful (± 3.3° against the inclinometer's 1.3°): film closer",
        ),
        (
            "the scale comes from the foot length (26.0 cm, +-3 %); a printed ArUco marker beside the front "
            "foot is more accurate",
            "the scale comes from the foot length (26.0 cm, ± 3%); a printed marker beside the front foot is "
            "more accurate",
        ),
        ("tilt from the aruco marker + its edges", "tilt from the printed marker and its edges"),
        (
            "Left ankle: 23.4 deg shin angle, -0.4 cm knee-to-wall: limited; within 5 deg / 1.5 cm",
            "Left ankle: 23.5° shin angle, -0.5 cm knee over toe: limited; within 5° / 1.5 cm",
        ),
    ],
)
def test_engine_messages_are_put_in_the_apps_words(engine: str, app: str) -> None:
    assert app_words.app_words(engine) == app


def test_no_percentage_over_100_and_no_flag_survives_in_the_notes() -> None:
    m = make_measurement(
        reps=(rep(1, 30.0), rep(2, 36.0, valid=False, t0=1.0)),
        warnings=("the front foot moved by about 250% of the foot length, or pass --side",),
    )
    text = " ".join(al.plain_warnings(m))
    assert "--" not in text
    assert all(float(p) <= 100 for p in re.findall(r"(\d+(?:\.\d+)?)%", text))


def test_norms_summary_reads_once_and_the_thresholds_are_explained() -> None:
    summary = al.norms_summary(SideResult(31.2, 8.26))
    assert "::" not in summary.text.replace(" ", "")
    assert "Overall: limited:" not in summary.text
    assert summary.text.endswith("Overall limited (below the range of healthy adults).")
    assert "knee over toe +8.5 cm against the knee-to-wall 10-14 cm" in summary.text
    rough = al.norms_summary(SideResult(31.2, -0.4), knee_uncertainty_cm=1.7)
    assert "knee over toe about 0 cm against" in rough.text  # as rough as the figure above it
    assert app_words.BAND_TITLES[summary.band] == "Limited"
    line = app_words.THRESHOLDS_LINE
    assert "5° or 1.5 cm" in line
    assert "4.7° or 1.9 cm" in line
    assert "Powden 2015" in line
    for help_text in (app_words.SHIN_ANGLE_HELP, app_words.KNEE_OVER_TOE_HELP, app_words.TOE_TO_WALL_HELP):
        assert re.search(r"\d+-\d+ ?(°|cm)", help_text), help_text  # each names its norm


@pytest.mark.parametrize(("angle", "band"), [(30.0, "limited"), (37.0, "borderline"), (44.0, "normal")])
def test_the_angle_gauge_puts_the_figure_in_its_band(angle: float, band: str) -> None:
    gauge = app_tables.angle_gauge(angle, 1.2)
    (inside,) = [b for b in gauge.bands if b["start"] <= angle < b["end"]]
    assert inside["band"] == band == al.norms_summary(SideResult(angle)).band
    assert [b["band"] for b in gauge.bands] == ["limited", "borderline", "normal"]
    assert gauge.bands[0]["end"] == 35.0
    assert gauge.bands[1]["end"] == 40.0
    assert gauge.point["from"] == pytest.approx(angle - 1.2)
    assert gauge.point["label"] == f"{angle:.1f}° ± 1.0°"


def test_the_knee_gauge_widens_for_a_figure_off_its_scale() -> None:
    gauge = app_tables.knee_gauge(-4.0, 2.6)
    assert gauge.low <= -4.0 - 2.6
    assert gauge.high == 18.0
    assert gauge.bands[0]["band"] == "limited"
    assert gauge.point["label"] == "about -4 cm"  # rough (± 2.6 cm): to the centimetre, as the figure


def test_side_result_is_none_without_a_peak() -> None:
    m = dataclasses.replace(make_measurement(), peak=None)
    assert al.side_result(m) is None
    assert al.headline(m, None).shin_angle_deg is None


def test_headline_is_the_front_of_shin_with_its_uncertainty_and_the_axis_second() -> None:
    head = al.headline(make_measurement(reps=(rep(1, 38.3),)), None)
    assert (head.shin_angle_deg, head.shin_angle_uncertainty_deg) == (38.3, 1.2)
    assert (head.tibia_axis_deg, head.tibia_axis_uncertainty_deg) == pytest.approx((34.3, 0.9))
    assert not head.shin_angle_from_axis
    assert al.format_angle_pm(head.shin_angle_deg, head.shin_angle_uncertainty_deg) == "38.5° ± 1.0°"
    assert al.format_angle_pm(34.2, 0.1) == "34.0° ± 0.5°"
    assert al.format_angle_pm(None, 1.0) == "n/a"
    assert "inclinometer" in al.shin_angle_words(head)
    axis = al.headline(make_measurement(reps=(rep(1, 38.0, source=AXIS_PLUS_OFFSET),)), None)
    assert axis.shin_angle_from_axis
    assert "could not be seen" in al.shin_angle_words(axis)


def no_valid_rep() -> Measurement:
    return make_measurement(reps=(rep(1, 53.0, valid=False), rep(2, 50.0, valid=False, t0=1.0)))


def test_no_result_gives_no_figure_no_verdict_no_comparison_and_no_save() -> None:
    m = no_valid_rep()
    assert m.status == STATUS_NO_VALID_REP
    assert not al.has_result(m)
    head = al.headline(m, None)
    assert (head.shin_angle_deg, head.tibia_axis_deg, head.knee_over_toe_cm) == (None, None, None)
    assert (head.valid_reps, head.total_reps) == (0, 2)
    assert al.side_result(m) is None  # no norms, no drills
    assert al.compare(m, make_measurement(side="right")) is None
    with pytest.raises(InputError, match="no result to save"):
        al.record_from_analysis(analysis_of(m), "Ann", datetime(2025, 5, 1, tzinfo=UTC))
    said = al.no_result(m)
    assert said is not None
    assert said.title == "No result for the left ankle"
    assert said.reason == NO_VALID_REP_MESSAGE[0].upper() + NO_VALID_REP_MESSAGE[1:] + "."
    assert said.seen == "2 forward rocks seen, 0 counted."
    assert said.next_steps
    assert al.no_result(make_measurement()) is None
    rows = al.rep_rows(m)  # the reps are still shown, none as the result
    assert [r["status"] for r in rows] == ["not counted: heel lifted by about 2.0 cm"] * 2
    assert not any(r["result"] for r in rows)


def test_a_status_other_than_ok_is_no_result_even_with_a_peak() -> None:
    m = dataclasses.replace(make_measurement(), status=STATUS_NOT_A_LUNGE, status_message="not a lunge test")
    assert not al.has_result(m)
    assert al.side_result(m) is None
    assert al.headline(m, None).shin_angle_deg is None
    with pytest.raises(InputError, match="no result to save"):
        al.record_from_analysis(analysis_of(m), "Ann", datetime(2025, 5, 1, tzinfo=UTC))
    said = al.no_result(m)
    assert said is not None
    assert said.reason == "Not a lunge test."


def test_report_leaves_out_a_side_without_a_result() -> None:
    data = report_input()
    sides = dict(data.sides)
    sides["right"] = dataclasses.replace(sides["right"], measurement=no_valid_rep())
    page = build_report(dataclasses.replace(data, sides=sides))
    assert "<h2>Right ankle</h2>" not in page
    assert "Left vs right" not in page
    left_only = {"left": dataclasses.replace(sides["left"], measurement=no_valid_rep())}
    with pytest.raises(ValueError, match="with a result"):
        build_report(dataclasses.replace(data, sides=left_only))


def test_side_mismatch_is_said_plainly() -> None:
    assert al.side_mismatch(make_measurement(side="left"), "left") is None
    assert al.side_mismatch(make_measurement(side="left"), None) is None
    measured_other = al.side_mismatch(make_measurement(side="right"), "left")
    assert measured_other is not None
    assert "shows the right leg in front" in measured_other
    warned = make_measurement(
        side="left",
        warnings=("you named the left leg, but the right leg is in front: the left leg was measured",),
    )
    said = al.side_mismatch(warned, "left")
    assert said is not None
    assert "show the right leg in front" in said
    assert "the left leg (at the back) was measured" in said
    chose = make_measurement(side="left", leg_choice="left leg, as named; the right leg is the front leg")
    assert al.side_mismatch(chose, "left") is not None


# ---------------------------------------------------------------- chart data


def test_angle_and_rep_rows() -> None:
    m = make_measurement(reps=(rep(1, 30.0), rep(2, 36.0, valid=False, t0=1.0)))
    rows = al.angle_rows(m)
    assert len(rows) == 20
    assert rows[3]["angle_deg"] is None  # NaN becomes a gap, not a zero
    assert rows[0] == {"time_s": 0.0, "angle_deg": 10.0, "smooth_deg": 10.0, "side": "left"}
    reps = al.rep_rows(m)
    assert [r["valid"] for r in reps] == [True, False]
    assert [r["result"] for r in reps] == [True, False]  # the result is the deepest VALID rep
    assert reps[1]["status"] == "not counted: heel lifted by about 2.0 cm"


def test_rep_table_reads_like_a_report_not_a_dump() -> None:
    m = make_measurement(reps=(rep(1, 30.26), rep(2, 36.0, valid=False, t0=1.0)))
    first, second = al.rep_table(m)
    assert list(first) == ["Rep", "Time (s)", "Shin angle (°)", "Knee over toe (cm)", "Counted"]
    assert first["Shin angle (°)"] == "30.5"  # rounded to the half degree an angle from a video can claim
    assert first["Knee over toe (cm)"] == ""  # not measured: blank, never None
    assert (first["Rep"], first["Counted"]) == ("1 ★", "yes")  # the result is starred
    assert second["Counted"] == "no: heel lifted by about 2.0 cm"
    assert second["Rep"] == "2"
    assert all(isinstance(v, str) and v != "None" for row in (first, second) for v in row.values())


# ---------------------------------------------------------------- left versus right


def test_compare_flags_a_difference_beyond_the_mdc() -> None:
    left = make_measurement("left", reps=(rep(1, 40.0),))
    right = make_measurement("right", reps=(rep(1, 40.0 - ASYMMETRY_DEG - 1.0),))
    comparison = al.compare(left, right)
    assert comparison is not None
    assert comparison.asymmetry.significant
    assert "right ankle is stiffer" in comparison.text
    same = al.compare(left, make_measurement("right", reps=(rep(1, 38.0),)))
    assert same is not None
    assert not same.asymmetry.significant
    assert "within" in same.text


def test_side_by_side_mirrors_a_left_facing_person_to_face_right() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (320, 400, 3), dtype=np.uint8)
    right = make_measurement("right", "right", reps=(rep(1, 30.0),))
    mirrored_points = {
        name: (399.0 - float(points[0, 0]), float(points[0, 1]))
        for name, points in right.frames.leg_px.items()
    }
    left = make_measurement("left", "left", reps=(rep(1, 30.0),), points=mirrored_points)
    pair = al.side_by_side(al.PairSide(image[:, ::-1], left), al.PairSide(image, right))
    width = (pair.shape[1] - 16) // 2
    left_panel, right_panel = pair[:, :width], pair[:, width + 16 :]
    assert left_panel.shape == right_panel.shape
    # Apart from the label box in the top-left corner, the two panels are the same picture.
    box = slice(0, 140)
    assert np.array_equal(left_panel[box.stop :], right_panel[box.stop :])


def test_side_by_side_shows_both_sides_at_the_same_scale() -> None:
    small = np.full((320, 400, 3), 60, dtype=np.uint8)
    big = cv2.resize(small, (800, 640))
    scale_points = {
        "knee": (250.0, 200.0),
        "ankle": (200.0, 290.0),
        "heel": (180.0, 300.0),
        "toe": (260.0, 305.0),
    }
    near = make_measurement("left", points=scale_points, shin_px=100.0, px_per_cm=2.5)
    far_points = {k: (2 * x, 2 * y) for k, (x, y) in scale_points.items()}
    far = make_measurement("right", points=far_points, shin_px=200.0, px_per_cm=5.0)
    pair = al.side_by_side(al.PairSide(small, near), al.PairSide(big, far))
    width = (pair.shape[1] - 16) // 2
    assert abs(pair[:, :width].shape[1] - pair[:, width + 16 :].shape[1]) <= 2


# ---------------------------------------------------------------- history


def record(day: int, angle: float, side: str = "left", cm: float | None = None) -> MeasurementRecord:
    return MeasurementRecord(
        person="Ann",
        measured_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day),
        side=side,  # type: ignore[arg-type]
        shin_angle_deg=angle,
        knee_over_toe_cm=cm,
        knee_over_toe_uncertainty_cm=None,
        toe_to_wall_cm=None,
        knee_reached_wall=None,
        knee_over_toe_foot_ratio=None,
        scale_source="none (angle only)",
        reps_valid=2,
        id=day + 1,
    )


def test_record_from_analysis() -> None:
    m = make_measurement(reps=(rep(1, 38.0, cm=11.0),), px_per_cm=3.0)
    now = datetime(2025, 5, 1, tzinfo=UTC)
    made = al.record_from_analysis(analysis_of(m, "a.mov", foot=26.0), " Ann ", now, "after warm-up")
    assert (made.person, made.side, made.shin_angle_deg, made.knee_over_toe_cm) == ("Ann", "left", 38.0, 11.0)
    assert (made.scale_source, made.reps_valid, made.notes, made.clip_name) == (
        "foot length 26 cm (entered), scale ± 2%",
        1,
        "after warm-up",
        "a.mov",
    )
    assert made.video_path is None
    with pytest.raises(InputError, match="name"):
        al.record_from_analysis(analysis_of(m), "  ", now)
    with pytest.raises(InputError, match="no result"):
        al.record_from_analysis(analysis_of(dataclasses.replace(m, peak=None)), "Ann", now)


@pytest.mark.parametrize("reached", [True, False])
def test_record_and_headline_carry_the_wall(reached: bool) -> None:
    m = make_measurement(reps=(rep(1, 38.0, cm=11.0),), px_per_cm=3.0)
    wall = WallResult(36.0, 12.0, 0.5, reached, "floor/wall junction", 0.9)
    assert m.peak is not None
    m = dataclasses.replace(m, peak=dataclasses.replace(m.peak, wall=wall))
    head = al.headline(m, None)
    assert (head.toe_to_wall_cm, head.toe_to_wall_uncertainty_cm, head.knee_reached_wall) == (
        12.0,
        0.5,
        reached,
    )
    made = al.record_from_analysis(analysis_of(m), "Ann", datetime(2025, 5, 1, tzinfo=UTC))
    assert (made.toe_to_wall_cm, made.knee_reached_wall) == (12.0, reached)


def test_keep_video_copy(tmp_path: Path) -> None:
    path = al.keep_video_copy(
        b"video", tmp_path / "videos", "my clip?.MOV", datetime(2025, 5, 1, 8, tzinfo=UTC)
    )
    assert path.read_bytes() == b"video"
    assert path.name == "20250501T080000_my_clip_.mov"


def test_history_and_trend_rows() -> None:
    records = [record(0, 30.0), record(30, 33.0), record(60, 36.2, cm=8.26), record(10, 40.0, side="right")]
    rows = al.history_rows(records)
    assert [r["Entry"] for r in rows] == [61, 31, 11, 1]  # newest first
    assert list(rows[0]) == list(app_tables.HISTORY_COLUMNS)
    assert (rows[0]["Shin angle (°)"], rows[0]["Knee over toe (cm)"], rows[0]["Toe to wall (cm)"]) == (
        "36.0",
        "8.5",
        "",
    )
    assert rows[0]["Date"] == records[2].measured_at.astimezone().strftime("%-d %b %Y %H:%M")
    assert None not in [v for row in rows for v in row.values()]
    left = trend(records, "left")
    points = al.trend_rows(left)
    assert [p["change_deg"] for p in points] == [0.0, 3.0, 6.2]
    assert [p["real_change"] for p in points] == [False, False, True]  # 6.2 deg > MDC 4.7 deg
    assert [p["change"] for p in points] == ["first test", "within measurement error", "real change"]
    assert [p["when"] for p in points] == ["1 Jan 2025", "31 Jan 2025", "2 Mar 2025"]  # each date once
    band = al.mdc_band(left)
    assert band == al.Band(30.0, 30.0 - MDC_DEG, 30.0 + MDC_DEG)
    assert al.mdc_band(left, "cm") is None
    assert "real change" in al.mdc_words(left)
    assert "One measurement" in al.mdc_words(trend(records, "right"))
    assert "not a detectable change" in al.mdc_words(trend(records[:2], "left"))
    assert {r["Angle taken along"] for r in rows} == {"front of the shin (inclinometer)"}
    assert al.kind_note(left) is None


def test_two_tests_on_one_day_get_their_times_and_never_share_a_label() -> None:
    morning = record(0, 30.0)
    records = [
        morning,
        dataclasses.replace(morning, measured_at=morning.measured_at + timedelta(hours=6), id=2),
        dataclasses.replace(morning, measured_at=morning.measured_at + timedelta(hours=6), id=3),
    ]
    labels = [p["when"] for p in al.trend_rows(trend(records, "left"))]
    assert len(set(labels)) == 3
    assert all(label.startswith("1 Jan 2025 ") for label in labels)


def test_history_shows_the_angle_kind_and_trends_keep_kinds_apart() -> None:
    old = [
        dataclasses.replace(record(day, angle), angle_kind="tibia_axis")
        for day, angle in ((0, 30.0), (10, 31.0))
    ]
    records = [*old, record(40, 35.5), record(50, 36.0)]
    rows = al.history_rows(records)
    assert [r["Angle taken along"] for r in rows] == [
        "front of the shin (inclinometer)",
        "front of the shin (inclinometer)",
        "knee-ankle axis (saved before the front-of-shin angle)",
        "knee-ankle axis (saved before the front-of-shin angle)",
    ]
    assert al.angle_kinds(records, "left") == ("front_of_shin", "tibia_axis")
    front = trend(records, "left")
    assert [p["change_deg"] for p in al.trend_rows(front)] == [0.0, 0.5]  # not +5.5 from the old axis angle
    assert "not a detectable change" in al.mdc_words(front)
    note = al.kind_note(front)
    assert note is not None
    assert note.startswith("2 tests saved before this version hold the knee-ankle axis")
    axis = trend(records, "left", angle_kind="tibia_axis")
    assert {p["angle"] for p in al.trend_rows(axis)} == {
        "knee-ankle axis (saved before the front-of-shin angle)"
    }


# ---------------------------------------------------------------- live camera


class FakeEstimator:
    """Stands in for PoseEstimator: every frame shows the same person, left leg in front, facing right."""

    def __init__(self) -> None:
        self.frames = 0
        self.closed = False

    def process(self, rgb: Image, frame_index: int = 0, time_s: float = 0.0) -> FramePose:
        self.frames += 1
        xy = np.full((N_LANDMARKS, 2), np.nan)
        vis = np.zeros(N_LANDMARKS)
        for side, dx in (("left", 0.0), ("right", -120.0)):
            marks = LegLandmarks.of(side)  # type: ignore[arg-type]
            for name, point in {
                "hip": (300, 100),
                "knee": (330, 250),
                "ankle": (300, 400),
                "heel": (280, 420),
                "toe": (380, 425),
            }.items():
                xy[int(getattr(marks, name))] = (point[0] + dx, point[1])
                vis[int(getattr(marks, name))] = 0.99
        return FramePose(frame_index, time_s, xy, vis, np.full((N_LANDMARKS, 3), np.nan))

    def close(self) -> None:
        self.closed = True


def test_live_leg_finds_the_front_leg_and_its_angle() -> None:
    pose = FakeEstimator().process(np.zeros((480, 640, 3), dtype=np.uint8))
    leg = al.live_leg(pose, 640, 480)
    assert leg.side == "left"
    assert leg.shin_angle_deg == pytest.approx(np.degrees(np.arctan2(30, 150)))
    assert leg.hints == ()
    assert al.live_leg(pose, 640, 410).hints == ("Keep the whole front foot and knee in the picture",)
    nobody = FramePose.missing(0, 0.0)
    assert al.live_leg(nobody, 640, 480).hints == ("Step into view: whole body side-on to the camera",)


def test_live_recorder_draws_and_records_at_a_constant_rate(tmp_path: Path) -> None:
    estimator = FakeEstimator()
    recorder = al.LiveRecorder(estimator_factory=lambda: estimator)  # type: ignore[arg-type, return-value]
    frame = np.full((480, 640, 3), 120, dtype=np.uint8)
    times = np.concatenate([np.arange(0.0, 2.0, 1 / 30), np.arange(2.0, 4.0, 1 / 8)])  # 30 fps, then 8 fps
    for t in times:
        drawn = recorder.process(frame, float(t))
        assert drawn.shape == frame.shape
        assert not np.array_equal(drawn, frame)
    status = recorder.status.get_nowait()
    assert status.frames_recorded == len(times)
    assert status.shin_angle_deg == pytest.approx(11.3, abs=0.1)
    path = recorder.finish()
    assert path is not None
    assert recorder.finished.get_nowait() == path
    with VideoReader(path) as reader:
        assert reader.info.fps == pytest.approx(al.LIVE_RECORD_FPS, rel=0.01)
        frames = list(reader.frames())
    # 3.875 s at 15 fps: the file's time line is the wall clock's, whatever rate frames came at.
    assert len(frames) == int(times[-1] * al.LIVE_RECORD_FPS) + 1
    assert frames[0].image.mean() == pytest.approx(120, abs=3)  # raw frames are recorded, not the drawing
    assert not recorder.recording
    al.discard_recording(path)
    assert not path.parent.exists()
    recorder.close()
    assert estimator.closed


def test_live_recorder_ignores_a_stray_frame_after_stop() -> None:
    recorder = al.LiveRecorder(estimator_factory=FakeEstimator)  # type: ignore[arg-type]
    recorder.process(np.zeros((240, 320, 3), dtype=np.uint8), 0.0)
    assert recorder.recording
    assert recorder.finish() is None
    assert recorder.finished.get_nowait() is None
    assert not recorder.recording


def test_sample_clips_are_found() -> None:
    found = al.sample_clips(ROOT)
    assert [clip.side for clip in found] == [c.side for c in found if c.path.is_file()]
    assert al.sample_clips(Path("/nonexistent")) == []


# ---------------------------------------------------------------- report


def report_input(with_trend: bool = True) -> ReportInput:
    left = make_measurement("left", reps=(rep(1, 41.0, cm=12.5),), px_per_cm=3.0)
    right = make_measurement(
        "right", reps=(rep(1, 33.0, cm=9.0), rep(2, 37.0, valid=False, t0=1.0)), px_per_cm=3.0
    )
    sides = {"left": analysis_of(left, "l.mp4", 26.0), "right": analysis_of(right, "r.mp4", 26.0)}
    drill_plan = plan(SideResult(41.0, 12.5), SideResult(33.0, 9.0), "calf_pull")
    records = [record(0, 30.0), record(30, 33.0), record(60, 41.0)]
    return ReportInput(
        person="Ann <script>alert(1)</script>",
        created_at=datetime(2025, 5, 1, 9, 30),
        sides=sides,  # type: ignore[arg-type]
        plan=drill_plan,
        limit_feel="calf_pull",
        trends={"left": trend(records, "left")} if with_trend else None,
    )


def test_report_is_one_self_contained_page_with_everything() -> None:
    data = report_input()
    page = build_report(data)
    assert page.startswith("<!DOCTYPE html>")
    # Both peak frames embedded as PNG.
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2
    assert base64.b64decode(images[0]).startswith(b"\x89PNG")
    # Figures, asymmetry, trend, plan, disclaimer once.
    assert "41.0°" in page
    assert "+12.5 cm" in page
    assert "33.0°" in page
    assert "foot length 26 cm (entered), scale ± 2%" in page
    assert "Rep 2 not counted: heel lifted by about 2.0 cm" in page
    assert "The left" not in page
    assert "right ankle is stiffer" in page
    assert "<svg" in page
    assert "Trend" in page
    assert data.plan is not None
    for item in data.plan.items:
        assert item.drill.name.replace("&", "&amp;") in page or item.drill.name in page
    assert page.count(DISCLAIMER) == 1
    # Escaped, offline, printable.
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert not re.search(r'(src|href)="https?:', page)
    assert "@page" in page


def test_report_with_one_side_and_no_trend() -> None:
    data = dataclasses.replace(report_input(with_trend=False), sides={"left": report_input().sides["left"]})
    page = build_report(data)
    assert "Left vs right" not in page
    assert "Trend" not in page
    assert len(re.findall(r"data:image/png;base64,", page)) == 1
    with pytest.raises(ValueError, match="at least one"):
        build_report(dataclasses.replace(data, sides={}))


def test_trend_svg_marks_real_changes() -> None:
    svg = trend_svg(trend([record(0, 30.0), record(30, 40.0)], "left"))
    assert svg.count("<circle") == 2
    assert "#a40000" in svg  # the second point is beyond the MDC


# ---------------------------------------------------------------- real clips (MediaPipe)


def no_person_clip(path: Path, seconds: float = 3.0) -> Path:
    """A clip of a grey wall with some noise: nobody in it."""
    rng = np.random.default_rng(0)
    with AnnotatedVideoWriter(path, 15.0, 320, 240) as writer:
        for _ in range(int(seconds * 15)):
            writer.write(np.clip(rng.normal(128, 10, (240, 320, 3)), 0, 255).astype(np.uint8))
    return path


def dorsiflex_temp_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("dorsiflex-*")}


@pytest.mark.slow
def test_analyse_clip_measures_renders_and_cleans_up() -> None:
    before = dorsiflex_temp_dirs()
    progress: list[float] = []
    settings = al.Settings(side="left", foot_length_cm=26.0)
    analysis = al.analyse_clip(SAMPLE_LEFT.read_bytes(), "lunge.mp4", settings, progress.append)
    assert dorsiflex_temp_dirs() == before
    m = analysis.measurement
    assert m.side == "left"
    assert m.peak is not None
    assert analysis.digest == al.digest(SAMPLE_LEFT.read_bytes())
    assert progress[-1] == 1.0
    assert progress == sorted(progress)
    peak = al.decode_png(analysis.peak_png)
    raw = al.decode_png(analysis.peak_raw_png)
    assert raw.shape[:2] == (m.video.height, m.video.width)
    assert peak.shape[1] <= 1280
    assert not np.array_equal(cv2.resize(raw, peak.shape[1::-1]), peak)
    assert analysis.annotated_mp4[4:8] == b"ftyp"
    assert analysis.frames_csv.startswith(b"frame,time_s,")
    assert al.headline(m, 26.0).knee_over_toe_cm is not None
    # The app leaves the video out of the measurement and draws it when asked for: the same video.
    lean = al.analyse_clip(SAMPLE_LEFT.read_bytes(), "lunge.mp4", settings, with_video=False)
    assert lean.annotated_mp4 == b""
    assert lean.measurement.peak == m.peak
    video = al.annotated_video(SAMPLE_LEFT.read_bytes(), "lunge.mp4", lean.measurement)
    assert video[4:8] == b"ftyp"
    assert abs(len(video) - len(analysis.annotated_mp4)) < 0.01 * len(video)
    assert dorsiflex_temp_dirs() == before


@pytest.mark.slow
def test_analyse_clip_with_no_person_raises_a_one_line_error(tmp_path: Path) -> None:
    before = dorsiflex_temp_dirs()
    data = no_person_clip(tmp_path / "wall.mp4").read_bytes()
    with pytest.raises(InputError, match="no person found") as err:
        al.analyse_clip(data, "wall.mp4", al.Settings())
    assert "\n" not in str(err.value)
    assert dorsiflex_temp_dirs() == before


@pytest.mark.slow
def test_setup_check_on_the_first_seconds(tmp_path: Path) -> None:
    assert al.setup_check(SAMPLE_LEFT) == []
    issues = al.setup_check(no_person_clip(tmp_path / "wall.mp4"))
    assert len(issues) == 1
    assert issues[0].startswith("no person found")
