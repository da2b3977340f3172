"""Reference values for the weight-bearing lunge (knee-to-wall) test, their sources and the rules using them.

Every number a user sees as "normal", "limited" or "a real change" comes from this module, so the app and the
drill planner cannot drift apart. The cut-offs are screening conventions, not diagnoses: they sort a result
into a plain-words band, nothing more.

Distances are knee-to-wall (toe-to-wall at the deepest heel-down lunge); the video's knee-over-toe distance at
the deepest frame measures the same thing. Angles are the shin's forward lean from vertical (the lunge angle).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Side = Literal["left", "right"]
Classification = Literal["limited", "borderline", "normal"]

# --- Sources ------------------------------------------------------------------------------------------------
BENNELL_1998 = (
    "Bennell KL, Talbot RC, Wajswelner H, et al. Intra-rater and inter-rater reliability of a "
    "weight-bearing lunge measure of ankle dorsiflexion. Aust J Physiother. 1998;44(3):175-180."
)
HOCH_MCKEON_2011 = (
    "Hoch MC, McKeon PO. Normative range of weight-bearing lunge test performance asymmetry in healthy "
    "adults. Man Ther. 2011;16(5):516-519."
)
KONOR_2012 = (
    "Konor MM, Morton S, Eckerson JM, Grindstaff TL. Reliability of three measures of ankle dorsiflexion "
    "range of motion. Int J Sports Phys Ther. 2012;7(3):279-287."
)
CHISHOLM_2012 = (
    "Chisholm MD, Birmingham TB, Brown J, MacDermid J, Chesworth BM. Reliability and validity of a "
    "weight-bearing measure of ankle dorsiflexion range of motion. Physiother Can. 2012;64(4):347-355."
)
POWDEN_2015 = (
    "Powden CJ, Hoch JM, Hoch MC. Reliability and minimal detectable change of the weight-bearing lunge "
    "test: a systematic review. Man Ther. 2015;20(4):524-532."
)
REFERENCES: tuple[str, ...] = (BENNELL_1998, HOCH_MCKEON_2011, KONOR_2012, CHISHOLM_2012, POWDEN_2015)

# --- Measurement error: minimal detectable change (95 %) ----------------------------------------------------
# Powden 2015 pooled 12 studies: average MDC 4.6 deg / 1.6 cm between clinicians and 4.7 deg / 1.9 cm for the
# same clinician. This tool re-measures the same person the same way, so the same-clinician (and larger, more
# conservative) values apply: a smaller change between two sessions may be measurement error.
MDC_DEG = 4.7
MDC_CM = 1.9
# The same reviews give the clinician's own standard error of measurement: about 1.3-1.4 deg with an
# inclinometer on the shin and 0.4-0.6 cm with a tape measure.
INCLINOMETER_SEM_DEG = 1.3

# --- Our own doubt -----------------------------------------------------------------------------------------
# A distance whose 1-sigma passes 1.5 cm is shown as rough, not as a crisp figure: a tape measure is good to
# about 0.5 cm (Konor 2012, Powden 2015), and 1.5-1.9 cm is already the change that counts between tests.
ROUGH_CM = 1.5


def rough_cm(uncertainty_cm: float | None) -> bool:
    """True when a distance's 1-sigma uncertainty is too large to show it as a crisp figure."""
    return uncertainty_cm is not None and not uncertainty_cm <= ROUGH_CM


# --- Healthy adults -----------------------------------------------------------------------------------------
# Knee-to-wall: Hoch & McKeon 2011 found 12 +/- 2.8 cm in healthy adults (n = 35), i.e. roughly 10-14 cm.
# Shin angle: healthy-adult means in the reliability studies (e.g. Bennell 1998, Konor 2012) lie mostly
# between the high 30s and mid 40s of degrees; they vary with method and population, hence a range.
HEALTHY_RANGE_DEG = (35.0, 45.0)
HEALTHY_RANGE_CM = (10.0, 14.0)

# --- Bands used to classify one ankle (deliberately conservative) -------------------------------------------
# "limited" below the bottom of the healthy ranges: knee-to-wall < 10 cm (about one standard deviation below
# the Hoch & McKeon mean) or shin angle < 35 deg, the cut-offs commonly used in clinical screening.
# "borderline" up to the middle of the healthy range (12 cm / 40 deg); "normal" from there. When both measures
# are available the worse band wins, so a limitation seen by either measure is reported.
LIMITED_BELOW_DEG = 35.0
NORMAL_FROM_DEG = 40.0
LIMITED_BELOW_CM = 10.0
NORMAL_FROM_CM = 12.0

# --- Side-to-side asymmetry ---------------------------------------------------------------------------------
# Hoch & McKeon 2011: most healthy adults (68 %) differ by 1.5 cm or less between sides; Chisholm 2012 gives
# an MDC of 1.5 cm for the between-limb difference. 5 deg sits just above the angle MDC (4.7 deg), so a
# smaller difference may be measurement error. A difference must EXCEED these values to count.
ASYMMETRY_DEG = 5.0
ASYMMETRY_CM = 1.5

_SEVERITY: tuple[Classification, ...] = ("limited", "borderline", "normal")

#: What each band means, in the words the app's finding and the report print.
BAND_WORDS: dict[Classification, str] = {
    "limited": "limited (below the range of healthy adults)",
    "borderline": "borderline (in the lower half of the healthy range)",
    "normal": "normal (in or above the middle of the healthy range)",
}


@dataclass(frozen=True)
class SideResult:
    """One ankle's lunge result: the shin angle and, when the scale is known, the knee-to-wall distance."""

    shin_angle_deg: float
    knee_to_wall_cm: float | None = None

    def __post_init__(self) -> None:
        _require_finite("shin_angle_deg", self.shin_angle_deg)
        if self.knee_to_wall_cm is not None:
            _require_finite("knee_to_wall_cm", self.knee_to_wall_cm)


@dataclass(frozen=True)
class Asymmetry:
    """Left-versus-right difference. Differences are absolute; ``stiffer_side`` says which way."""

    diff_deg: float
    diff_cm: float | None
    stiffer_side: Side | None
    significant_deg: bool
    significant_cm: bool

    @property
    def significant(self) -> bool:
        """True when either measure differs by more than its threshold."""
        return self.significant_deg or self.significant_cm


def classify(shin_angle_deg: float, knee_to_wall_cm: float | None = None) -> Classification:
    """Band one ankle: the worse of the angle band and (when given) the distance band."""
    _require_finite("shin_angle_deg", shin_angle_deg)
    bands = [_band(shin_angle_deg, LIMITED_BELOW_DEG, NORMAL_FROM_DEG)]
    if knee_to_wall_cm is not None:
        _require_finite("knee_to_wall_cm", knee_to_wall_cm)
        bands.append(_band(knee_to_wall_cm, LIMITED_BELOW_CM, NORMAL_FROM_CM))
    return worst(bands)


def classify_side(result: SideResult) -> Classification:
    """`classify` for a `SideResult`."""
    return classify(result.shin_angle_deg, result.knee_to_wall_cm)


def worst(bands: Iterable[Classification]) -> Classification:
    """The most limited of several bands (``normal`` for none)."""
    return min(bands, key=_SEVERITY.index, default="normal")


def asymmetry(left: SideResult, right: SideResult) -> Asymmetry:
    """Compare the two ankles. The stiffer side is the one with the smaller angle (or distance)."""
    diff_deg = abs(left.shin_angle_deg - right.shin_angle_deg)
    diff_cm = None
    if left.knee_to_wall_cm is not None and right.knee_to_wall_cm is not None:
        diff_cm = abs(left.knee_to_wall_cm - right.knee_to_wall_cm)
    significant_deg = diff_deg > ASYMMETRY_DEG
    significant_cm = diff_cm is not None and diff_cm > ASYMMETRY_CM
    # Follow the distance only when it alone shows a real difference; otherwise the angle decides.
    by_cm_first = significant_cm and not significant_deg
    return Asymmetry(
        diff_deg=diff_deg,
        diff_cm=diff_cm,
        stiffer_side=_stiffer_side(left, right, by_cm_first),
        significant_deg=significant_deg,
        significant_cm=significant_cm,
    )


def round_half(value: float) -> float:
    """``value`` to the nearest 0.5 (what an angle or a distance from a video can claim)."""
    return round(value * 2.0) / 2.0 + 0.0


def asymmetry_words(diff: Asymmetry) -> str:
    """The left-versus-right difference in plain words, against :data:`ASYMMETRY_DEG` / :data:`ASYMMETRY_CM`
    (the app and the PDF report say it alike)."""
    figures = f"{round_half(diff.diff_deg):.1f}°"
    if diff.diff_cm is not None:
        figures += f" and {round_half(diff.diff_cm):.1f} cm"
    threshold = f"{ASYMMETRY_DEG:g}° / {ASYMMETRY_CM:g} cm"
    if diff.significant:
        return (
            f"The sides differ by {figures}: more than the {threshold} that counts as a real difference "
            f"between sides. The {diff.stiffer_side} ankle is stiffer."
        )
    return (
        f"The sides differ by {figures}: within the {threshold} that measurement error and normal "
        "variation can explain (Hoch & McKeon 2011; Chisholm 2012)."
    )


def _stiffer_side(left: SideResult, right: SideResult, by_cm_first: bool) -> Side | None:
    pairs = [(left.shin_angle_deg, right.shin_angle_deg)]
    if left.knee_to_wall_cm is not None and right.knee_to_wall_cm is not None:
        cm_pair = (left.knee_to_wall_cm, right.knee_to_wall_cm)
        pairs.insert(0 if by_cm_first else 1, cm_pair)
    for left_value, right_value in pairs:
        if left_value != right_value:
            return "left" if left_value < right_value else "right"
    return None


def _band(value: float, limited_below: float, normal_from: float) -> Classification:
    if value < limited_below:
        return "limited"
    if value < normal_from:
        return "borderline"
    return "normal"


def _require_finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
