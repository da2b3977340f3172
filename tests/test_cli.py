"""Tests of the ``dorsiflex`` command line on the bundled sample clip, and of its error handling.

MediaPipe runs on a whole clip twice in this module: once in-process on ``lunge_left_aruco.mp4``
(``main([...])`` with ``--json`` and every output file, shared through a module-scoped fixture) and once as
a subprocess of the installed console script on ``lunge_right_heel_lift.mp4`` (clean stderr, exit code,
``--foot-length-cm`` on a clip without a marker, heel lift). Everything else reuses those results or needs no
pose estimation.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import importlib.util
import io
import json
import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fakes import NO_VALID_REP_MESSAGE, make_measurement
from fakes import rep as fake_rep

import vision.pipeline
from vision import cli
from vision.errors import InputError
from vision.output.export import interpolate_frames
from vision.results import AXIS_PLUS_OFFSET, STATUS_NOT_A_LUNGE, Measurement, WallResult
from vision.video import VideoReader

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_videos" / "lunge_left_aruco.mp4"
GT = json.loads((ROOT / "sample_videos" / "lunge_left_aruco_gt.json").read_text())
HEEL_LIFT = ROOT / "sample_videos" / "lunge_right_heel_lift.mp4"
HEEL_LIFT_GT = json.loads((ROOT / "sample_videos" / "lunge_right_heel_lift_gt.json").read_text())
CONSOLE_SCRIPT = Path(sys.executable).with_name("dorsiflex")
ANGLE_TOLERANCE_DEG = 4.0
KNEE_OVER_TOE_TOLERANCE_CM = 3.0
FOOT_LENGTH_CM = 25.0

PEAK_FIELDS = {
    "frame",
    "time_s",
    "shin_angle_deg",
    "shin_angle_uncertainty_deg",
    "shin_angle_source",
    "shin_angle_image_deg",
    "tibia_axis_deg",
    "tibia_axis_uncertainty_deg",
    "knee_over_toe_px",
    "knee_over_toe_foot_ratio",
    "knee_over_toe_cm",
    "heel_down",
}
REP_FIELDS = {
    "peak_frame",
    "peak_time_s",
    "shin_angle_deg",
    "shin_angle_uncertainty_deg",
    "shin_angle_source",
    "tibia_axis_deg",
    "tibia_axis_uncertainty_deg",
    "valid",
    "reason",
}
VIDEO_FIELDS = {"fps", "frame_count", "width", "height", "rotation_deg"}
CSV_COLUMNS = [
    "frame",
    "time_s",
    "shin_angle_deg",
    "shin_angle_smooth_deg",
    "shin_angle_image_deg",
    "knee_over_toe_px",
    "heel_lift_px",
]


@dataclass(frozen=True)
class Run:
    """One in-process run of ``dorsiflex measure``."""

    code: int
    stdout: str
    stderr: str
    outputs: dict[str, Path]
    measurement: Measurement

    @property
    def result(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``dorsiflex measure SAMPLE --json`` with every output file, run once for the module."""
    out = tmp_path_factory.mktemp("cli")
    outputs = {"csv": out / "frames.csv", "video": out / "annotated.mp4", "png": out / "peak.png"}
    measured: list[Measurement] = []
    real_measure = vision.pipeline.measure

    def spy(*args: Any, **kwargs: Any) -> Measurement:
        measured.append(real_measure(*args, **kwargs))
        return measured[-1]

    stdout, stderr = io.StringIO(), io.StringIO()
    argv = [
        "measure",
        str(SAMPLE),
        "--json",
        "--frames-csv",
        str(outputs["csv"]),
        "--annotate",
        str(outputs["video"]),
        "--peak-image",
        str(outputs["png"]),
    ]
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        patch.setattr(vision.pipeline, "measure", spy)
        code = cli.main(argv)
    assert len(measured) == 1, stderr.getvalue()
    return Run(code, stdout.getvalue(), stderr.getvalue(), outputs, measured[0])


# ---------------------------------------------------------------- the sample clip, in-process


@pytest.mark.slow
def test_json_run_succeeds_with_one_json_object_and_nothing_else(run: Run) -> None:
    assert run.code == 0
    assert run.stderr == ""
    assert run.stdout.lstrip().startswith("{")
    assert run.stdout.rstrip().endswith("}")
    assert isinstance(run.result, dict)


@pytest.mark.slow
def test_json_has_every_field(run: Run) -> None:
    result = run.result
    assert {"status", "status_message", "side", "leg_choice", "facing", "peak", "reps"} <= set(result)
    assert {"camera_roll_deg", "warnings", "video"} <= set(result)
    assert result["status"] == "ok"
    assert set(result["peak"]) >= PEAK_FIELDS
    assert result["reps"]
    for rep in result["reps"]:
        assert set(rep) >= REP_FIELDS
        assert (rep["reason"] is None) == rep["valid"]
    assert set(result["video"]) >= VIDEO_FIELDS
    assert isinstance(result["warnings"], list)
    assert isinstance(result["peak"]["heel_down"], bool)
    has_scale = result["scale"]["px_per_cm"] is not None
    assert (result["peak"]["knee_over_toe_cm"] is not None) == has_scale  # null without a scale
    assert all((rep["knee_over_toe_cm"] is not None) == has_scale for rep in result["reps"])


@pytest.mark.slow
def test_json_agrees_with_ground_truth(run: Run) -> None:
    result = run.result
    assert result["side"] == GT["front_leg"]
    assert result["facing"] == GT["facing"]
    peak = result["peak"]
    assert abs(peak["shin_angle_deg"] - GT["valid_peak_theta_surface_deg"]) <= ANGLE_TOLERANCE_DEG
    assert abs(peak["tibia_axis_deg"] - GT["valid_peak_theta_deg"]) <= ANGLE_TOLERANCE_DEG
    assert peak["heel_down"] is True
    assert len(result["reps"]) == len(GT["reps"])
    assert all(rep["valid"] for rep in result["reps"])  # the sample has no heel lift
    valid_rep = next(r for r in GT["reps"] if r["peak_frame"] == GT["valid_peak_frame"])
    first, last = valid_rep["frames"]
    assert first <= peak["frame"] <= last  # the result comes from the deepest rep
    assert abs(result["camera_roll_deg"]) < 2.0  # the virtual camera has no roll
    assert result["camera"]["yaw_deg"] == pytest.approx(GT["camera"]["yaw_deg"], abs=2.0)
    assert result["scale"]["source"] == GT["marker"]["type"]  # the ArUco marker on the floor gives cm
    knee_point = "knee_front" if result["knee_over_toe_points"] == "silhouette" else "knee"
    truth_cm = valid_rep[f"{knee_point}_over_toe_cm_at_peak"]
    assert abs(peak["knee_over_toe_cm"] - truth_cm) <= KNEE_OVER_TOE_TOLERANCE_CM
    video = result["video"]
    expected = GT["video"]
    assert (video["width"], video["height"]) == (expected["width"], expected["height"])
    assert video["frame_count"] == expected["n_frames"]
    assert video["fps"] == pytest.approx(expected["fps"])
    assert video["rotation_deg"] == 0


@pytest.mark.slow
def test_frames_csv_has_one_row_per_analysed_frame(run: Run) -> None:
    with run.outputs["csv"].open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    stride = run.result["analysed_every_n_frames"]
    frame_count = run.result["video"]["frame_count"]
    assert rows
    assert set(CSV_COLUMNS) <= set(rows[0])
    assert [int(row["frame"]) for row in rows] == list(range(0, frame_count, stride))
    times = [float(row["time_s"]) for row in rows]
    assert times == sorted(times)
    angles = [float(row["shin_angle_deg"]) for row in rows if row["shin_angle_deg"]]
    assert max(angles) == pytest.approx(run.result["peak"]["shin_angle_deg"], abs=ANGLE_TOLERANCE_DEG)


@pytest.mark.slow
def test_annotated_video_has_every_frame_of_the_clip(run: Run) -> None:
    video = run.result["video"]
    with VideoReader(run.outputs["video"]) as reader:
        info = reader.info
        decoded = sum(1 for _ in reader.frames())
    assert (info.width_px, info.height_px) == (video["width"], video["height"])
    assert info.frame_count == video["frame_count"]
    assert decoded == video["frame_count"]
    assert info.fps == pytest.approx(video["fps"])


@pytest.mark.slow
def test_peak_image_is_a_png_of_the_frame_size(run: Run) -> None:
    path = run.outputs["png"]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imread(str(path))
    assert image is not None
    assert image.shape == (run.result["video"]["height"], run.result["video"]["width"], 3)


@pytest.mark.slow
def test_human_summary(run: Run, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The default output, from the real measurement of the sample (reused, not measured again)."""
    monkeypatch.setattr(vision.pipeline, "measure", lambda *args, **kwargs: run.measurement)
    assert cli.main(["measure", str(SAMPLE)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    text = captured.out
    peak = run.result["peak"]
    assert "Tested leg: left (facing right)" in text
    headline = "Shin angle (front of the shin, as an inclinometer reads it)"
    assert f"{headline}: {peak['shin_angle_deg']:.1f} deg" in text
    assert f"Tibia axis (knee-ankle line): {peak['tibia_axis_deg']:.1f} deg" in text
    assert "Knee over toe" in text
    assert "foot lengths" in text
    assert "Camera: roll " in text
    assert f"yaw {run.result['camera']['yaw_deg']:+.1f} deg from side-on" in text  # the marker gives it
    assert text.count("  rep ") == len(run.result["reps"])
    assert "<- result" in text
    assert "Spread across valid reps" in text
    assert "35-45 deg" in text
    assert "SEM" in text
    assert len(text.splitlines()) <= 17


# ---------------------------------------------------------------- the console script, as a user runs it


def _console(*args: str) -> subprocess.CompletedProcess[bytes]:
    if not CONSOLE_SCRIPT.exists():
        pytest.skip(f"console script {CONSOLE_SCRIPT} not installed: run `pip install -e '.[dev]'`")
    return subprocess.run([str(CONSOLE_SCRIPT), *args], capture_output=True, timeout=300, check=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("toe_to_wall_cm", "reached", "expected"),
    [
        (12.0, True, "Toe to wall: 12.0 +- 0.5 cm (the knee reached the wall)"),
        (None, False, "Toe to wall: 40 px (no scale for cm) (the knee stopped short of the wall)"),
    ],
)
def test_summary_names_the_wall(run: Run, toe_to_wall_cm: float | None, reached: bool, expected: str) -> None:
    assert run.measurement.peak is not None
    wall = WallResult(
        40.0, toe_to_wall_cm, 0.5 if toe_to_wall_cm else None, reached, "floor/wall junction", 0.9
    )
    m = dataclasses.replace(run.measurement, peak=dataclasses.replace(run.measurement.peak, wall=wall))
    assert expected in cli.format_summary(m, SAMPLE)


@pytest.mark.slow
def test_console_script_has_clean_stderr_and_gives_cm_with_a_foot_length() -> None:
    """The clip without a marker: --foot-length-cm gives the scale; the rep with the heel lift is rejected."""
    done = _console("measure", str(HEEL_LIFT), "--json", "--foot-length-cm", str(FOOT_LENGTH_CM))
    assert done.stderr == b""  # no MediaPipe/TFLite logging, not even at interpreter exit
    assert done.returncode == 0
    result = json.loads(done.stdout)
    assert result["side"] == HEEL_LIFT_GT["front_leg"]
    assert result["facing"] == HEEL_LIFT_GT["facing"]
    assert (result["video"]["width"], result["video"]["height"]) == (720, 1280)
    assert result["scale"]["source"] == "foot"
    px_per_cm = result["scale"]["px_per_cm"]
    assert px_per_cm is not None
    peak = result["peak"]
    assert peak["knee_over_toe_cm"] == pytest.approx(peak["knee_over_toe_px"] / px_per_cm, abs=0.01)
    assert all(rep["knee_over_toe_cm"] is not None for rep in result["reps"])
    lifted = HEEL_LIFT_GT["heel_lift"]["rep"]
    assert len(result["reps"]) == len(HEEL_LIFT_GT["reps"])
    for rep, truth in zip(result["reps"], HEEL_LIFT_GT["reps"], strict=True):
        assert rep["valid"] == (truth["rep"] != lifted)
        if not rep["valid"]:
            assert "heel" in rep["reason"]
    first, last = HEEL_LIFT_GT["reps"][0]["frames"]  # the result is the rep with the heel down
    assert first <= peak["frame"] <= last


def test_console_script_exit_code_and_one_error_line_on_bad_input(tmp_path: Path) -> None:
    done = _console("measure", str(tmp_path / "missing.mp4"))
    assert done.returncode == 2
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")


def test_console_script_usage_error_exits_2() -> None:
    done = _console("measure")
    assert done.returncode == 2
    assert b"usage:" in done.stderr
    assert b"Traceback" not in done.stderr


# ---------------------------------------------------------------- bad input, in-process


def _png_bytes() -> bytes:
    ok, encoded = cv2.imencode(".png", np.zeros((32, 32, 3), dtype=np.uint8))
    assert ok
    return encoded.tobytes()


BAD_INPUTS: dict[str, Callable[[], bytes]] = {
    "empty.mp4": lambda: b"",
    "notes.mp4": lambda: b"this is a text file, not a video\n",
    "photo.png": _png_bytes,
    "photo_named.mp4": _png_bytes,
    "truncated.mp4": lambda: SAMPLE.read_bytes()[: SAMPLE.stat().st_size // 4],
}


@pytest.mark.parametrize("name", [*BAD_INPUTS, "missing.mp4"])
def test_bad_input_exits_2_with_one_error_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    if name in BAD_INPUTS:
        path.write_bytes(BAD_INPUTS[name]())
    assert cli.main(["measure", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    "extra",
    [
        ["--annotate", "{tmp}/no_such_folder/out.mp4"],
        ["--annotate", "{tmp}/out.avi"],
        ["--peak-image", "{tmp}"],
        ["--frames-csv", "{clip}"],
        ["--frames-csv", "{tmp}/same.csv", "--peak-image", "{tmp}/same.csv"],
        ["--foot-length-cm", "100"],
    ],
)
def test_unusable_options_fail_before_measuring(
    extra: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(SAMPLE.read_bytes())
    calls: list[object] = []

    def fail_fast(*args: Any, **kwargs: Any) -> Measurement:
        calls.append(args)
        options = args[1] if len(args) > 1 else kwargs.get("options")
        if options is not None and options.foot_length_cm == 100:
            raise InputError("foot length 100.0 cm is implausible: give the heel-to-toe length in cm")
        raise AssertionError("measure() must not run with unusable outputs")

    monkeypatch.setattr(vision.pipeline, "measure", fail_fast)
    argv = ["measure", str(clip), *(a.format(tmp=tmp_path, clip=clip) for a in extra)]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith("error: ")
    assert clip.read_bytes() == SAMPLE.read_bytes()  # the input is never overwritten


@pytest.mark.parametrize(
    "argv",
    [
        ["measure"],
        ["measure", "clip.mp4", "--side", "middle"],
        ["measure", "clip.mp4", "--analysis-fps", "0"],
        ["measure", "clip.mp4", "--foot-length-cm", "abc"],
        ["measure", "clip.mp4", "--foot-length-cm", "nan"],
        ["frobnicate"],
        [],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage:" in captured.err


def test_input_error_message_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Measurement:
        raise InputError("first line\nsecond   line")

    monkeypatch.setattr(vision.pipeline, "measure", broken)
    assert cli.main(["measure", str(SAMPLE)]) == 2
    assert capsys.readouterr().err == "error: first line second line\n"


def test_keyboard_interrupt_exits_130_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Measurement:
        raise KeyboardInterrupt

    monkeypatch.setattr(vision.pipeline, "measure", interrupted)
    assert cli.main(["measure", str(SAMPLE)]) == 130
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err


# ---------------------------------------------------------------- results and no results (hand-made)


def _fake_main(monkeypatch: pytest.MonkeyPatch, m: Measurement, argv: list[str]) -> tuple[int, Any]:
    monkeypatch.setattr(vision.pipeline, "measure", lambda *args, **kwargs: m)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, (out.getvalue(), err.getvalue())


NO_VALID_REP = make_measurement(reps=(fake_rep(1, 41.0, valid=False), fake_rep(2, 44.5, valid=False, t0=1.0)))


def test_no_valid_rep_prints_the_reps_and_why_and_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    code, (out, err) = _fake_main(monkeypatch, NO_VALID_REP, ["measure", str(SAMPLE)])
    assert code == cli.EXIT_NO_RESULT == 3
    assert err == ""
    assert f"NO RESULT: {NO_VALID_REP_MESSAGE}" in out
    assert out.count("  rep ") == 2
    assert "44.5 deg, not valid: heel lifted" in out
    assert "<- result" not in out
    assert "Shin angle (" not in out  # no figure is presented as the result
    assert "Tibia axis" not in out
    assert "Norms:" not in out


def test_no_valid_rep_json_has_a_null_peak_the_status_and_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    code, (out, err) = _fake_main(monkeypatch, NO_VALID_REP, ["measure", str(SAMPLE), "--json"])
    assert code == 3
    assert err == ""
    data = json.loads(out)
    assert data["peak"] is None
    assert (data["status"], data["status_message"]) == ("no_valid_rep", NO_VALID_REP_MESSAGE)
    assert [r["valid"] for r in data["reps"]] == [False, False]
    assert [r["shin_angle_deg"] for r in data["reps"]] == [41.0, 44.5]
    assert [r["tibia_axis_deg"] for r in data["reps"]] == [37.0, 40.5]


def test_not_a_lunge_without_reps_exits_3_and_writes_no_peak_image(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    walking = dataclasses.replace(
        make_measurement(reps=()),
        status=STATUS_NOT_A_LUNGE,
        status_message="this does not look like a lunge test: film the knee rocking over a planted foot",
    )
    png = tmp_path / "peak.png"
    code, (out, err) = _fake_main(monkeypatch, walking, ["measure", str(SAMPLE), "--peak-image", str(png)])
    assert code == 3
    assert "NO RESULT: this does not look like a lunge test" in out
    assert "Reps (0):" in out
    assert not png.exists()
    assert err == f"note: {png} not written: the clip has no rep to show\n"


def test_a_result_exits_0_with_the_front_of_shin_and_the_axis(monkeypatch: pytest.MonkeyPatch) -> None:
    m = make_measurement(leg_choice="left: the leg planted in front")
    code, (out, _) = _fake_main(monkeypatch, m, ["measure", str(SAMPLE)])
    assert code == 0
    lines = out.splitlines()
    assert "Leg choice: left: the leg planted in front" in lines
    headline = next(line for line in lines if line.startswith("Shin angle"))
    assert headline.startswith("Shin angle (front of the shin, as an inclinometer reads it): 35.0 deg +- 1.2")
    assert "raw" not in headline
    assert "Tibia axis (knee-ankle line): 31.0 deg +- 0.9" in lines
    assert "  rep 2: peak at 1.50 s (frame 15), 35.0 deg, valid  <- result" in lines
    assert "35-45 deg" in out


def test_the_headline_says_when_it_comes_from_the_axis(monkeypatch: pytest.MonkeyPatch) -> None:
    m = make_measurement(reps=(fake_rep(1, 38.0, source=AXIS_PLUS_OFFSET),))
    code, (out, _) = _fake_main(monkeypatch, m, ["measure", str(SAMPLE)])
    assert code == 0
    assert "Shin angle (front of the shin not seen: knee-ankle axis + typical offset): 38.0 deg +- 1.2" in out
    assert "38.0 deg (from the knee-ankle axis), valid" in out


# ---------------------------------------------------------------- help, marker, defaults


def test_help_names_every_unit(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["measure", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--side", "--foot-length-cm", "--json", "--frames-csv", "--annotate", "--peak-image"):
        assert option in text
    for unit in ("deg", "cm", "px", "fps"):
        assert unit in text
    assert "exit codes: 0 a result; 3 " in " ".join(text.split())


def test_top_level_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "measure" in text
    assert "marker" in text


def test_default_analysis_fps_matches_the_engine() -> None:
    assert vision.pipeline.MeasureOptions().analysis_fps == cli.DEFAULT_ANALYSIS_FPS


def test_progress_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, tty = io.StringIO(), Tty()
    for stream in (quiet, tty):
        with cli._Progress("measuring", stream) as progress:
            progress.update(0.5)
            progress.update(1.0)
    assert quiet.getvalue() == ""
    assert "measuring  50%" in tty.getvalue()
    assert tty.getvalue().endswith("\r")


needs_marker = pytest.mark.skipif(
    importlib.util.find_spec("vision.scene.marker") is None, reason="vision.scene.marker is not written yet"
)


@needs_marker
def test_marker_writes_a_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "marker.pdf"
    assert cli.main(["marker", "--size-cm", "10", "-o", str(path)]) == 0
    assert path.read_bytes()[:5] == b"%PDF-"
    assert capsys.readouterr().err == ""


@needs_marker
def test_marker_that_does_not_fit_the_page_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["marker", "--size-cm", "50", "-o", str(tmp_path / "marker.pdf")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith("error: ")


# ---------------------------------------------------------------- interpolation for the annotated video


def test_interpolation_is_linear_between_analysed_frames() -> None:
    frames = np.array([0, 2, 4])
    values = np.array([[0.0, 10.0], [2.0, 14.0], [6.0, 14.0]])
    got = interpolate_frames(frames, values, np.arange(6))
    expected = [[0, 10], [1, 12], [2, 14], [4, 14], [6, 14], [6, 14]]  # the last sample is held one step
    np.testing.assert_allclose(got, expected)


def test_interpolation_does_not_invent_points_across_gaps() -> None:
    frames = np.array([0, 2, 4, 6])
    values = np.array([1.0, math.nan, 3.0, 4.0])
    got = interpolate_frames(frames, values, np.arange(-3, 10))
    # frames -3 .. 9: a sample is held for one step (2 frames) past the ends, and a NaN sample blanks
    # the frames between it and its neighbours.
    expected = [math.nan, 1.0, 1.0, 1.0, math.nan, math.nan, math.nan, 3.0, 3.5, 4.0, 4.0, 4.0, math.nan]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got[~np.isnan(got)], np.array(expected)[~np.isnan(expected)])


def test_interpolation_of_an_empty_track_is_nan() -> None:
    got = interpolate_frames(np.array([], dtype=np.int64), np.zeros((0, 2)), [0, 1])
    assert got.shape == (2, 2)
    assert np.isnan(got).all()


@pytest.mark.slow
def test_wrong_marker_size_falls_back_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    """A marker said to be twice its printed size would make the foot ~50 cm: the scale must not be used."""
    assert cli.main(["measure", str(SAMPLE), "--json", "--marker-size-cm", "20"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scale"]["source"] != "aruco"
    assert any("marker" in warning.lower() for warning in data["warnings"])
