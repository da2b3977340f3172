"""``vision.measure`` with real MediaPipe on the rendered lunge clips of ../shared/data/synthetic.

Each clip is measured once per run (:mod:`synthetic`, shared with the centimetre tests). What is asserted:

* per clip, behaviour: the right leg and facing, every truth rep found once, heel-lift reps flagged,
  heel-down reps accepted, the result taken from the truth's valid peak rep, and no result more than 5 deg
  off without a warning that calls it doubtful;
* over the ``check`` clips, the issue's summary targets: the headline front-of-shin angle within 1.0 deg in
  the median clip and 3.0 deg in every clip, the knee-ankle axis within 1.5 / 4.0 deg, and |error| <= 2 sigma
  in at least 90% of clips for each. ``tune`` clips are where the fitted parts were fitted
  (``benchmarks/fit_angle_model.py``); ``benchmarks/accuracy.py`` prints the per-clip figures.

Where the engine misses a target today the test is an xfail(strict=True) that quotes the measured number;
it is never loosened. A strict xfail that starts passing fails the run: drop its entry then.
"""

from __future__ import annotations

import itertools
import statistics
from pathlib import Path
from typing import Any

import pytest
from clips import SYNTHETIC, missing_reason, rotated
from synthetic import CLIP_NAMES, clip_params, matching, measured, names_in, truth, valid_peak_rep

import vision
from vision.pipeline import check_setup

pytestmark = pytest.mark.slow

#: No result further off than this without a warning that calls it doubtful (the issue's rule).
UNWARNED_ERROR_DEG = 5.0
KNEE_OVER_TOE_SIGN_MIN_CM = 3.0  # the sign of knee-over-toe is only checked when the truth is this far from 0
TARGETS_DEG = {"shin": (1.0, 3.0), "axis": (1.5, 4.0)}
TARGET_COVERAGE = 0.9
DOUBT_WORDS = ("doubtful", "could not be traced", "more than the other", "off upright")

# Misses of the engine as of this writing (default options, mediapipe 0.10.21, 2 CPUs), by test.
KNOWN_MISSES: dict[str, dict[str, str]] = {
    "camera_tilt": {
        "dev2_04": "measured: assert None is not None",
        "dev2_05": "measured: assert None is not None",
        "dev2_06": "measured: assert None is not None",
        "dev2_07": "measured: assert None is not None",
        "dev2_09": "measured: assert -3.9252787597614396 == 1.13 ± 3",
        "dev2_12": "measured: assert 6.594945335131259 == 9.6 ± 3",
        "dev2_16": "measured: assert None is not None",
        "dev2_19": "measured: assert None is not None",
        "dev2_32": "measured: assert -3.8940889353853825 == -0.84 ± 3",
    },
    "camera_yaw": {
        "dev2_04": "measured: assert None is not None",
        "dev2_06": "measured: assert None is not None",
        "dev2_07": "measured: assert None is not None",
        "dev2_09": "measured: assert 1.627053283109385 == 3.8 ± 2",
        "dev2_16": "measured: assert None is not None",
        "dev2_19": "measured: assert None is not None",
    },
    "every_rep_found": {
        "dev2_31": "measured: measured reps per truth rep: [2]",
        "dev2_37": "measured: measured reps per truth rep: [0, 1]",
    },
    "heel_lift": {
        "dev2_37": "measured: rep 1 (heel lift 1.05 cm) measured valid: heel lift ratio 0.",
    },
    "knee_over_toe_sign": {
        "dev2_03": "measured: measured ratio +0.002, truth -4.0 cm",
        "dev2_19": "measured: measured ratio +0.121, truth -6.6 cm",
        "dev2_34": "measured: ratio +0.025 (front of the knee +0.8 cm), truth -6.2 cm (its front -1.0 cm)",
        "dev2_40": "measured: measured ratio +0.051, truth -3.3 cm",
    },
    "peak_rep": {
        "dev2_23": "measured: peak at frame 28, truth valid rep: 103-139",
        "dev2_37": "measured: peak at frame 78, truth valid rep: 12-54",
    },
}
SUMMARY_MISSES: dict[str, str] = {
    "axis_max": "measured on check (accuracy.py): dev2_30: error +9.2 deg (issue 9)",
    "shin_max": "measured on check (accuracy.py): dev2_30: error +8.6 deg (issue 9)",
}


def misses(test: str) -> dict[str, str]:
    return KNOWN_MISSES.get(test, {})


def heel_lift_reps() -> list[Any]:
    if not CLIP_NAMES:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=missing_reason(SYNTHETIC)))]
    marks = misses("heel_lift")
    return [
        pytest.param(
            name,
            rep["rep"],
            id=f"{name}-rep{rep['rep']}",
            marks=[pytest.mark.xfail(strict=True, reason=marks[name])] if name in marks else [],
        )
        for name in CLIP_NAMES
        for rep in truth(name)["reps"]
        if not rep["heel_down_at_peak"]
    ]


@pytest.mark.parametrize("name", clip_params(misses("side_facing")))
def test_side_and_facing(name: str) -> None:
    gt, m = truth(name), measured(name)
    assert (m.side, m.facing) == (gt["front_leg"], gt["facing"])


@pytest.mark.parametrize("name", clip_params())
def test_the_side_of_the_leg_the_camera_films_from(name: str) -> None:
    """Lateral (the tested leg nearer the lens) or medial: the view the angles' biases are taken off for."""
    assert measured(name).camera_view == truth(name)["camera_view"]


@pytest.mark.parametrize("name", clip_params(misses("every_rep_found")))
def test_every_truth_rep_found_once(name: str) -> None:
    """The matching the other tests rely on: one measured rep per truth rep, none outside them."""
    gt, m = truth(name), measured(name)
    counts = [len(matching(m.reps, rep)) for rep in gt["reps"]]
    assert counts == [1] * len(gt["reps"]), f"measured reps per truth rep: {counts}"
    assert len(m.reps) == len(gt["reps"])


@pytest.mark.parametrize("name", clip_params(misses("reps_in_order")))
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


@pytest.mark.parametrize("name", clip_params(misses("heel_down_accepted")))
def test_heel_down_reps_are_accepted(name: str) -> None:
    """Every heel-down rep is valid: the knee bending deep must not pass for a heel lift."""
    gt, m = truth(name), measured(name)
    for truth_rep in (rep for rep in gt["reps"] if rep["heel_down_at_peak"]):
        for rep in matching(m.reps, truth_rep):
            assert rep.valid, f"heel-down rep {rep.index} rejected: {rep.reason}"


@pytest.mark.parametrize("name", clip_params(misses("peak_rep")))
def test_reported_peak_is_the_valid_peak_rep(name: str) -> None:
    gt, m = truth(name), measured(name)
    truth_rep = valid_peak_rep(gt)
    first, last = truth_rep["frames"]
    assert m.peak is not None, m.status_message
    assert first <= m.peak.frame <= last, f"peak at frame {m.peak.frame}, truth valid rep: {first}-{last}"
    (rep,) = [rep for rep in m.reps if rep.peak_frame == m.peak.frame]
    assert rep.valid, f"the reported rep is invalid: {rep.reason}"
    assert m.peak.heel_down


@pytest.mark.parametrize("name", clip_params(misses("no_confident_wrong")))
def test_no_result_far_off_without_a_doubt_warning(name: str) -> None:
    """A clip with a valid rep gets a result, and a result more than 5 deg off the truth carries a warning
    that calls it doubtful."""
    gt, m = truth(name), measured(name)
    assert m.status == "ok", m.status_message
    assert m.peak is not None
    error = m.peak.shin_angle_deg - gt["valid_peak_theta_surface_deg"]
    if abs(error) > UNWARNED_ERROR_DEG:
        assert any(word in w for w in m.warnings for word in DOUBT_WORDS), f"error {error:+.1f} deg, no doubt"


def angle_errors(which: str) -> list[tuple[str, float, float]]:
    """(clip, error, reported sigma) of one angle at the result, over the ``check`` clips with a result."""
    truth_key = {"shin": "valid_peak_theta_surface_deg", "axis": "valid_peak_theta_deg"}[which]
    rows = []
    for name in names_in("check"):
        peak = measured(name).peak
        if peak is None:
            continue
        value, sigma = (
            (peak.shin_angle_deg, peak.shin_angle_uncertainty_deg)
            if which == "shin"
            else (peak.tibia_axis_deg, peak.tibia_axis_uncertainty_deg)
        )
        rows.append((name, value - truth(name)[truth_key], sigma))
    return rows


def summary_param(test: str) -> list[Any]:
    marks = [pytest.mark.xfail(strict=True, reason=SUMMARY_MISSES[test])] if test in SUMMARY_MISSES else []
    if not CLIP_NAMES:
        marks = [pytest.mark.skip(reason=missing_reason(SYNTHETIC))]
    return [pytest.param(test, marks=marks)]


@pytest.mark.parametrize("test", summary_param("shin_median") + summary_param("axis_median"))
def test_median_error_on_check(test: str) -> None:
    which = test.split("_")[0]
    errors = angle_errors(which)
    median = statistics.median(abs(error) for _, error, _ in errors)
    assert median <= TARGETS_DEG[which][0], f"median |error| {median:.2f} deg over {len(errors)} clips"


@pytest.mark.parametrize("test", summary_param("shin_max") + summary_param("axis_max"))
def test_every_check_clip_within_the_target(test: str) -> None:
    which = test.split("_")[0]
    errors = angle_errors(which)
    worst = max(errors, key=lambda row: abs(row[1]))
    assert abs(worst[1]) <= TARGETS_DEG[which][1], f"{worst[0]}: error {worst[1]:+.1f} deg"


@pytest.mark.parametrize("test", summary_param("shin_coverage") + summary_param("axis_coverage"))
def test_uncertainty_covers_the_error_on_check(test: str) -> None:
    which = test.split("_")[0]
    errors = angle_errors(which)
    inside = sum(abs(error) <= 2 * sigma for _, error, sigma in errors) / len(errors)
    assert inside >= TARGET_COVERAGE, f"|error| <= 2 sigma in {inside:.0%} of {len(errors)} clips"


@pytest.mark.parametrize("name", clip_params(misses("knee_over_toe_sign")))
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


@pytest.mark.parametrize("name", clip_params(misses("camera_yaw")))
def test_reported_camera_yaw_is_right(name: str) -> None:
    """A clip with a marker or sheet always has its yaw measured; where the room's lines give it, it is
    right too (None means not measured, which the clips without lines square to the wall get)."""
    gt, m = truth(name), measured(name)
    if gt["marker"] is not None:
        assert m.camera_yaw_deg is not None
    if m.camera_yaw_deg is None:
        return
    assert m.camera_yaw_deg == pytest.approx(gt["camera"]["yaw_deg"], abs=YAW_TOLERANCE_DEG)


@pytest.mark.parametrize("name", clip_params(misses("camera_tilt")))
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


@pytest.mark.parametrize("name", clip_params(misses("level_warning")))
def test_level_warning_only_when_nothing_gave_the_level(name: str) -> None:
    """dev02 and dev03 show too few long verticals for the roll alone, but the room's lines give the whole
    camera: no "hold the phone upright" warning then. A roll the lines claim beyond belief is not applied,
    and a warning says the phone was taken as upright."""
    m = measured(name)
    warned = any(
        "could not find straight" in warning or "taken as upright" in warning for warning in m.warnings
    )
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
