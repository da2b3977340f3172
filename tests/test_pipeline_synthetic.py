"""``vision.measure`` with real MediaPipe on the rendered lunge clips of ../shared/data/synthetic.

Each clip is measured once (default options) and every test reads the cached result. The targets are the
issue's: the right leg and facing, every heel-lift rep flagged, the reported peak taken from the truth's valid
peak rep, its shin angle within 4.0 deg of ``valid_peak_theta_deg`` in every clip and within 1.5 deg in the
median over clips. Where the engine misses a target today the test is an xfail(strict=True) that quotes the
measured number; it is never loosened. A strict xfail that starts passing fails the run: drop its entry from
``KNOWN_MISSES`` then.

Measured reps are matched to truth reps by peak frame: a measured rep belongs to the truth rep whose
``frames`` span (first to last frame, inclusive) contains its ``peak_frame``.
"""

from __future__ import annotations

import functools
import itertools
import json
import statistics
from pathlib import Path
from typing import Any

import pytest
from clips import SYNTHETIC, missing_reason, rotated

import vision
from vision.pipeline import check_setup
from vision.results import Measurement, RepResult

pytestmark = pytest.mark.slow

ANGLE_TOLERANCE_DEG = 4.0  # every clip
MEDIAN_TOLERANCE_DEG = 1.5  # median |error| over all clips
KNEE_OVER_TOE_SIGN_MIN_CM = 3.0  # the sign of knee-over-toe is only checked when the truth is this far from 0

CLIP_NAMES = sorted(path.stem for path in SYNTHETIC.glob("dev*.mp4")) if SYNTHETIC.is_dir() else []

# Misses of the engine as of this writing (default MeasureOptions, mediapipe 0.10.21, 2 CPUs), by test.
# Each reason quotes the measured value and the target; see the note on issue 2.
KNOWN_MISSES: dict[str, dict[str, str]] = {
    "peak_angle": {
        "dev02": "measured 29.9 deg vs truth 36.1 (error -6.2), target |error| <= 4.0 deg: see issue 2 note",
    },
}
MEDIAN_MISS = (
    "measured median |error| 2.6 deg over 8 clips (errors +1.0 -6.2 +2.2 -3.0 -2.9 +2.2 -1.9 -3.9), "
    "target <= 1.5 deg: see issue 2 note"
)


def clip_params(test: str) -> list[Any]:
    """One param per clip, with a strict xfail where ``KNOWN_MISSES[test]`` names the clip."""
    if not CLIP_NAMES:
        return [pytest.param(None, marks=pytest.mark.skip(reason=missing_reason(SYNTHETIC)))]
    misses = KNOWN_MISSES.get(test, {})
    marks = {name: [pytest.mark.xfail(strict=True, reason=reason)] for name, reason in misses.items()}
    return [pytest.param(name, marks=marks.get(name, [])) for name in CLIP_NAMES]


@functools.cache
def truth(name: str) -> dict[str, Any]:
    with (SYNTHETIC / f"{name}_gt.json").open() as handle:
        data: dict[str, Any] = json.load(handle)
    data.pop("frames", None)  # per-frame arrays: not needed here
    return data


@functools.cache
def measured(name: str, analysis_fps: float | None = None) -> Measurement:
    """The clip measured with default options (or another analysis rate), once per test session."""
    options = (
        vision.MeasureOptions() if analysis_fps is None else vision.MeasureOptions(analysis_fps=analysis_fps)
    )
    return vision.measure(SYNTHETIC / f"{name}.mp4", options)


def matching(reps: tuple[RepResult, ...], truth_rep: dict[str, Any]) -> list[RepResult]:
    first, last = truth_rep["frames"]
    return [rep for rep in reps if first <= rep.peak_frame <= last]


def valid_peak_rep(gt: dict[str, Any]) -> dict[str, Any]:
    reps: list[dict[str, Any]] = [rep for rep in gt["reps"] if rep["peak_frame"] == gt["valid_peak_frame"]]
    (rep,) = reps
    return rep


def heel_lift_reps() -> list[Any]:
    if not CLIP_NAMES:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=missing_reason(SYNTHETIC)))]
    return [
        pytest.param(name, rep["rep"], id=f"{name}-rep{rep['rep']}")
        for name in CLIP_NAMES
        for rep in truth(name)["reps"]
        if not rep["heel_down_at_peak"]
    ]


@pytest.mark.parametrize("name", clip_params("side_facing"))
def test_side_and_facing(name: str) -> None:
    gt, m = truth(name), measured(name)
    assert (m.side, m.facing) == (gt["front_leg"], gt["facing"])


@pytest.mark.parametrize("name", clip_params("every_rep_found"))
def test_every_truth_rep_found_once(name: str) -> None:
    """The matching the other tests rely on: one measured rep per truth rep, none outside them."""
    gt, m = truth(name), measured(name)
    counts = [len(matching(m.reps, rep)) for rep in gt["reps"]]
    assert counts == [1] * len(gt["reps"]), f"measured reps per truth rep: {counts}"
    assert len(m.reps) == len(gt["reps"])


@pytest.mark.parametrize("name", clip_params("reps_in_order"))
def test_reps_do_not_overlap(name: str) -> None:
    """Each rep starts at or after the previous one ends (its start is the trough between the two peaks)."""
    reps = measured(name).reps
    for before, after in itertools.pairwise(reps):
        assert after.start_time_s >= before.end_time_s - 1e-6, (
            f"rep {after.index} spans {after.start_time_s:.2f}-{after.end_time_s:.2f} s, "
            f"rep {before.index} spans {before.start_time_s:.2f}-{before.end_time_s:.2f} s"
        )


@pytest.mark.parametrize(("name", "rep_number"), heel_lift_reps())
def test_heel_lift_rep_flagged_invalid(name: str, rep_number: int) -> None:
    gt, m = truth(name), measured(name)
    truth_rep = gt["reps"][rep_number - 1]
    found = matching(m.reps, truth_rep)
    assert found, f"no measured rep peaks within truth rep {rep_number} (frames {truth_rep['frames']})"
    for rep in found:
        assert not rep.valid, (
            f"rep {rep.index} (heel lift {truth_rep['heel_lift_target_cm']} cm) measured valid: "
            f"heel lift ratio {rep.heel_lift_foot_ratio:.3f}"
        )
        assert not rep.heel_down
        assert rep.reason is not None
        assert "heel" in rep.reason


@pytest.mark.parametrize("analysis_fps", [None, 30.0])
@pytest.mark.parametrize("name", clip_params("heel_down_accepted"))
def test_heel_down_reps_read_level(name: str, analysis_fps: float | None) -> None:
    """Every heel-down rep is valid with a margin: its heel lift reads under half the threshold, at the
    default analysis rate and on every frame (the knee bending deep must not pass for a heel lift)."""
    gt, m = truth(name), measured(name, analysis_fps)
    threshold = vision.MeasureOptions().heel_lift_max_foot_ratio
    for truth_rep in (rep for rep in gt["reps"] if rep["heel_down_at_peak"]):
        for rep in matching(m.reps, truth_rep):
            assert rep.valid, f"heel-down rep {rep.index} rejected: {rep.reason}"
            assert rep.heel_lift_foot_ratio < threshold / 2, (
                f"heel-down rep {rep.index} reads a {rep.heel_lift_foot_ratio:.3f} foot-length lift"
            )


@pytest.mark.parametrize("name", clip_params("peak_rep"))
def test_reported_peak_is_the_valid_peak_rep(name: str) -> None:
    gt, m = truth(name), measured(name)
    truth_rep = valid_peak_rep(gt)
    first, last = truth_rep["frames"]
    assert m.peak is not None
    assert first <= m.peak.frame <= last, f"peak at frame {m.peak.frame}, truth valid rep: {first}-{last}"
    (rep,) = [rep for rep in m.reps if rep.peak_frame == m.peak.frame]
    assert rep.valid, f"the reported rep is invalid: {rep.reason}"
    assert m.peak.heel_down


@pytest.mark.parametrize("name", clip_params("peak_angle"))
def test_peak_shin_angle_within_tolerance(name: str) -> None:
    gt, m = truth(name), measured(name)
    assert m.peak is not None
    error = m.peak.shin_angle_deg - gt["valid_peak_theta_deg"]
    expected = gt["valid_peak_theta_deg"]
    assert abs(error) <= ANGLE_TOLERANCE_DEG, (
        f"measured {m.peak.shin_angle_deg:.1f} deg vs truth {expected:.1f} (error {error:+.1f})"
    )


@pytest.mark.skipif(not CLIP_NAMES, reason=missing_reason(SYNTHETIC))
@pytest.mark.xfail(strict=True, reason=MEDIAN_MISS)
def test_median_peak_shin_angle_error_over_clips() -> None:
    errors = {}
    for name in CLIP_NAMES:
        m = measured(name)
        assert m.peak is not None
        errors[name] = m.peak.shin_angle_deg - truth(name)["valid_peak_theta_deg"]
    median = statistics.median(abs(error) for error in errors.values())
    listing = ", ".join(f"{name} {error:+.1f}" for name, error in errors.items())
    assert median <= MEDIAN_TOLERANCE_DEG, f"median |error| {median:.2f} deg ({listing})"


@pytest.mark.parametrize("name", clip_params("knee_over_toe_sign"))
def test_knee_over_toe_sign(name: str) -> None:
    gt = truth(name)
    truth_cm = gt["knee_over_toe_cm_at_valid_peak"]
    if abs(truth_cm) <= KNEE_OVER_TOE_SIGN_MIN_CM:
        pytest.skip(f"truth knee-over-toe {truth_cm:+.1f} cm is within {KNEE_OVER_TOE_SIGN_MIN_CM} cm of 0")
    m = measured(name)
    assert m.peak is not None
    ratio = m.peak.knee_over_toe_foot_ratio
    assert (ratio > 0) == (truth_cm > 0), f"measured ratio {ratio:+.3f}, truth {truth_cm:+.1f} cm"


YAW_TOLERANCE_DEG = 2.0  # wherever a yaw is reported
#: The tilt from a 10 cm marker 3-4 m away is good to a few degrees (dev04, portrait: 2.0 off).
TILT_TOLERANCE_DEG = 3.0


@pytest.mark.parametrize("name", clip_params("camera_yaw"))
def test_reported_camera_yaw_is_right(name: str) -> None:
    """A clip with a marker or sheet always has its yaw measured; where the room's lines give it, it is
    right too (None means not measured, which the clips without lines square to the wall get)."""
    gt, m = truth(name), measured(name)
    if gt["marker"] is not None:
        assert m.camera_yaw_deg is not None
    if m.camera_yaw_deg is None:
        return
    assert m.camera_yaw_deg == pytest.approx(gt["camera"]["yaw_deg"], abs=YAW_TOLERANCE_DEG)


@pytest.mark.parametrize("name", clip_params("camera_tilt"))
def test_reported_camera_tilt_is_right_or_not_measured(name: str) -> None:
    """A marker or sheet always gives the tilt; otherwise it is right where reported, and None (not a
    made-up 0) where the room's lines could not give it."""
    gt, m = truth(name), measured(name)
    if gt["marker"] is not None:
        assert m.camera_tilt_deg is not None
    if m.camera_tilt_deg is not None:
        assert m.camera_tilt_deg == pytest.approx(gt["camera"]["tilt_deg"], abs=TILT_TOLERANCE_DEG)


@pytest.mark.skipif(not CLIP_NAMES, reason=missing_reason(SYNTHETIC))
def test_setup_check_names_a_camera_turned_from_side_on() -> None:
    """dev03's camera is turned 13.5 deg toward the person's front: the first 3 s are enough to say so."""
    (warning,) = [w for w in check_setup(SYNTHETIC / "dev03.mp4") if "side-on" in w]
    assert "turned 1" in warning
    assert "in front of the person" in warning
    assert not [w for w in check_setup(SYNTHETIC / "dev01.mp4") if "side-on" in w]


@pytest.mark.parametrize("name", clip_params("level_warning"))
def test_level_warning_only_when_nothing_gave_the_level(name: str) -> None:
    """dev02 and dev03 show too few long verticals for the roll alone, but the room's lines give the whole
    camera: no "hold the phone upright" warning then."""
    m = measured(name)
    warned = any("could not find straight" in warning for warning in m.warnings)
    assert warned == (not m.camera_roll_applied)
    if name in ("dev02", "dev03"):
        assert m.camera_roll_applied


ROTATED_ANGLE_TOLERANCE_DEG = 1.0


@pytest.mark.skipif(not CLIP_NAMES, reason=missing_reason(SYNTHETIC))
@pytest.mark.parametrize("ccw_deg", [5.0, -8.0])
def test_crooked_phone_on_a_turned_camera(ccw_deg: float, tmp_path: Path) -> None:
    """dev03 (camera turned 13.5 deg, too few long verticals for the roll alone) held crooked: the room's
    lines still give roll, tilt and yaw, and the shin angle does not move."""
    m = measured("dev03")
    crooked = vision.measure(rotated(SYNTHETIC / "dev03.mp4", tmp_path / "crooked.mp4", ccw_deg))
    assert m.peak is not None
    assert crooked.peak is not None
    assert crooked.camera_roll_deg == pytest.approx(ccw_deg, abs=1.0)
    assert crooked.camera_yaw_deg is not None
    assert m.camera_yaw_deg is not None
    assert crooked.camera_yaw_deg == pytest.approx(m.camera_yaw_deg, abs=YAW_TOLERANCE_DEG)
    assert crooked.peak.shin_angle_deg == pytest.approx(
        m.peak.shin_angle_deg, abs=ROTATED_ANGLE_TOLERANCE_DEG
    )
