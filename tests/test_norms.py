"""Norms: band boundaries, asymmetry thresholds and the constants' consistency."""

from __future__ import annotations

import math

import pytest

from vision.advice import norms
from vision.advice.norms import SideResult, asymmetry, classify


@pytest.mark.parametrize(
    ("shin_angle_deg", "expected"),
    [
        (34.99, "limited"),
        (35.0, "borderline"),
        (39.99, "borderline"),
        (40.0, "normal"),
        (55.0, "normal"),
        (-5.0, "limited"),
    ],
)
def test_classify_angle_boundaries(shin_angle_deg: float, expected: str) -> None:
    assert classify(shin_angle_deg) == expected
    assert classify(shin_angle_deg, None) == expected


@pytest.mark.parametrize(
    ("knee_to_wall_cm", "expected"),
    [(9.99, "limited"), (10.0, "borderline"), (11.99, "borderline"), (12.0, "normal"), (0.0, "limited")],
)
def test_classify_distance_boundaries(knee_to_wall_cm: float, expected: str) -> None:
    assert classify(45.0, knee_to_wall_cm) == expected


@pytest.mark.parametrize(
    ("shin_angle_deg", "knee_to_wall_cm", "expected"),
    [
        (45.0, 9.0, "limited"),  # the distance alone is limited
        (30.0, 14.0, "limited"),  # the angle alone is limited
        (38.0, 13.0, "borderline"),
        (42.0, 11.0, "borderline"),
        (42.0, 13.0, "normal"),
    ],
)
def test_classify_takes_the_worse_measure(
    shin_angle_deg: float, knee_to_wall_cm: float, expected: str
) -> None:
    assert classify(shin_angle_deg, knee_to_wall_cm) == expected


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_classify_rejects_non_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        classify(bad)
    with pytest.raises(ValueError, match="finite"):
        classify(40.0, bad)
    with pytest.raises(ValueError, match="finite"):
        SideResult(bad)


@pytest.mark.parametrize(
    ("left_deg", "right_deg", "significant"),
    [(40.0, 45.0, False), (40.0, 45.01, True), (45.0, 40.0, False), (45.01, 40.0, True)],
)
def test_asymmetry_angle_threshold_is_exclusive(left_deg: float, right_deg: float, significant: bool) -> None:
    result = asymmetry(SideResult(left_deg), SideResult(right_deg))
    assert result.significant_deg is significant
    assert result.significant is significant
    assert result.significant_cm is False
    assert result.diff_cm is None
    assert result.diff_deg == pytest.approx(abs(left_deg - right_deg))
    assert result.stiffer_side == ("left" if left_deg < right_deg else "right")


@pytest.mark.parametrize(
    ("left_cm", "right_cm", "significant"),
    [(10.0, 11.5, False), (10.0, 11.51, True), (12.0, 10.5, False), (12.0, 10.49, True)],
)
def test_asymmetry_distance_threshold_is_exclusive(
    left_cm: float, right_cm: float, significant: bool
) -> None:
    result = asymmetry(SideResult(40.0, left_cm), SideResult(40.0, right_cm))
    assert result.significant_cm is significant
    assert result.significant_deg is False
    assert result.significant is significant
    assert result.diff_cm == pytest.approx(abs(left_cm - right_cm))
    assert result.stiffer_side == ("left" if left_cm < right_cm else "right")


def test_asymmetry_equal_sides_have_no_stiffer_side() -> None:
    result = asymmetry(SideResult(40.0, 12.0), SideResult(40.0, 12.0))
    assert result.stiffer_side is None
    assert not result.significant


def test_asymmetry_follows_the_distance_when_only_it_is_significant() -> None:
    # Angle says left is (insignificantly) stiffer; the distance says right, by more than the threshold.
    result = asymmetry(SideResult(40.0, 14.0), SideResult(41.0, 11.0))
    assert (result.significant_deg, result.significant_cm) == (False, True)
    assert result.stiffer_side == "right"


def test_asymmetry_ignores_distance_when_one_side_lacks_it() -> None:
    result = asymmetry(SideResult(40.0, 14.0), SideResult(41.0, None))
    assert result.diff_cm is None
    assert not result.significant_cm


def test_constants_are_consistent_and_cited() -> None:
    assert norms.LIMITED_BELOW_DEG == norms.HEALTHY_RANGE_DEG[0] < norms.NORMAL_FROM_DEG
    assert norms.LIMITED_BELOW_CM == norms.HEALTHY_RANGE_CM[0] < norms.NORMAL_FROM_CM
    assert (norms.MDC_DEG, norms.MDC_CM) == (4.7, 1.9)
    assert (norms.ASYMMETRY_DEG, norms.ASYMMETRY_CM) == (5.0, 1.5)
    assert norms.ASYMMETRY_DEG > norms.MDC_DEG
    assert len(set(norms.REFERENCES)) == len(norms.REFERENCES) >= 4
    assert any("Powden" in reference and "2015" in reference for reference in norms.REFERENCES)


def test_worst_of_no_bands_is_normal() -> None:
    assert norms.worst([]) == "normal"
    assert norms.worst(["normal", "limited", "borderline"]) == "limited"


def test_asymmetry_words_round_to_half_and_name_the_stiffer_side() -> None:
    """6.2 deg apart: more than the 5 deg that matters, the left stiffer; 3.1 deg and 1.2 cm: within it."""
    big = asymmetry(SideResult(34.0, 9.0), SideResult(40.2, 9.4))
    assert norms.asymmetry_words(big) == (
        "The sides differ by 6.0° and 0.5 cm: more than the 5° / 1.5 cm that counts as a real difference "
        "between sides. The left ankle is stiffer."
    )
    small = asymmetry(SideResult(38.0, 11.0), SideResult(41.1, 12.2))
    words = norms.asymmetry_words(small)
    assert words.startswith("The sides differ by 3.0° and 1.0 cm: within the 5° / 1.5 cm")
    assert norms.round_half(2.26) == 2.5
    assert norms.round_half(-0.2) == 0.0
