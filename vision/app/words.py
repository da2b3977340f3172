"""What the app says about a measurement: whether there is a result, its figures and their wording.

The figures are rounded to what they can claim (angles to 0.5°, distances to 0.5 cm, each with its ±), each
measure has one name (the shin angle, knee over toe, toe to wall) and the engine's warnings are put in the
app's own words (no command-line flags, no percentages over 100, no camera-model jargon). No Streamlit here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from vision.advice import norms
from vision.advice.norms import (
    ASYMMETRY_CM,
    ASYMMETRY_DEG,
    BAND_WORDS,
    BENNELL_1998,
    HEALTHY_RANGE_CM,
    HEALTHY_RANGE_DEG,
    HOCH_MCKEON_2011,
    KONOR_2012,
    Asymmetry,
    Classification,
    SideResult,
    asymmetry,
    asymmetry_words,
    classify,
    round_half,
)
from vision.pose.landmarks import Side
from vision.results import AXIS_PLUS_OFFSET, STATUS_OK, Measurement

# --- Whether there is a result, and what to do when there is none ------------------------------------------


def has_result(measurement: Measurement) -> bool:
    """True when the engine stands behind a result: only then are verdicts, norms, drills and saving
    offered."""
    return measurement.status == STATUS_OK and measurement.peak is not None


@dataclass(frozen=True)
class NoResult:
    """What the app shows for a clip without a result: what was seen, why none counted, what to do next."""

    title: str
    reason: str
    seen: str
    next_steps: tuple[str, ...]


NEXT_STEPS = (
    "Film again side-on at shin height, with the whole front foot and knee in the picture.",
    "Keep the front heel on the floor and the foot still; rock the knee slowly toward the wall and back "
    "2-3 times.",
    'The set-up check under "How to film" tells what to fix in a 3 s clip.',
)


def no_result(measurement: Measurement) -> NoResult | None:
    """Why this clip gives no result, in plain words (None when it has one)."""
    if has_result(measurement):
        return None
    reps = measurement.reps
    counted = sum(rep.valid for rep in reps)
    seen = f"{len(reps)} forward rock{'s' if len(reps) != 1 else ''} seen, {counted} counted."
    if not reps:
        seen = "No forward rock of the knee over a planted foot was seen."
    reason = app_words(measurement.status_message or "No rep could be counted (see why for each rep below).")
    return NoResult(f"No result for the {measurement.side} ankle", _sentence(reason), seen, NEXT_STEPS)


def side_mismatch(measurement: Measurement, requested: Side | None) -> str | None:
    """A plain sentence when the clip put in one side's box shows the other leg in front (else None).

    Either the engine measured the other leg than the box's, or it measured the box's leg and says (in a
    warning or its leg choice) that the other leg is the one in front.
    """
    if requested is None:
        return None
    other: Side = "right" if requested == "left" else "left"
    if measurement.side != requested:
        return (
            f"This clip was put in the {requested} ankle's box, but it shows the {measurement.side} leg in "
            f"front: it was measured as the {measurement.side} ankle."
        )
    said = " ".join((measurement.leg_choice or "", *measurement.warnings)).lower()
    if re.search(rf"\b{other}\b[^.;:]*\b(in front|front leg)\b", said):
        return (
            f"This clip seems to show the {other} leg in front, but it was put in the {requested} ankle's "
            f"box: the {requested} leg (at the back) was measured. If this is the {other} ankle, measure it "
            f"as the {other} ankle."
        )
    return None


# --- Headline figures, norms, warnings ----------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The figures at the top of a result."""

    side: Side
    shin_angle_deg: float | None  # front of the shin, as an inclinometer resting on it reads it
    knee_over_toe_cm: float | None
    knee_over_toe_uncertainty_cm: float | None
    knee_over_toe_foot_ratio: float | None
    scale_source: str
    valid_reps: int
    total_reps: int
    toe_to_wall_cm: float | None = None  # where a wall was found in front of the foot
    toe_to_wall_uncertainty_cm: float | None = None
    knee_reached_wall: bool | None = None
    shin_angle_uncertainty_deg: float | None = None  # 1 sigma
    shin_angle_from_axis: bool = False  # the front of the shin was not seen: axis + typical offset
    tibia_axis_deg: float | None = None  # knee-centre to ankle-centre line
    tibia_axis_uncertainty_deg: float | None = None


def finite_float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


SCALE_WORDS = {
    "aruco": "ArUco marker on the floor",
    "a4": "A4 sheet on the floor",
    "letter": "US Letter sheet on the floor",
    "foot": "foot length",
    "none": "none (angle only)",
}


def scale_source(measurement: Measurement, foot_length_cm: float | None = None) -> str:
    """Where the centimetres come from, in words ("none (angle only)" without a scale)."""
    source = measurement.scale.source
    words = SCALE_WORDS.get(source, source)
    if source == "foot" and foot_length_cm:
        words = f"foot length {foot_length_cm:g} cm (entered)"
    uncertainty = measurement.scale.relative_uncertainty
    if source != "none" and uncertainty is not None and math.isfinite(uncertainty) and uncertainty > 0:
        words += f", scale ± {100 * uncertainty:.0f}%"
    return words


def camera_words(measurement: Measurement) -> str:
    """How the camera stood against the person, in words, and whether the result is corrected for it."""
    yaw = finite_float(measurement.camera_yaw_deg)
    tilt = finite_float(measurement.camera_tilt_deg)
    if tilt is None:
        look = "up-down tilt not measured (assumed level)"
    else:
        look = "level" if abs(tilt) < 0.5 else f"looking {'down' if tilt > 0 else 'up'} {abs(tilt):.0f}°"
    if yaw is None:
        return f"{look}; turn from side-on not measured (assumed side-on: a floor marker measures it)"
    where = "behind" if yaw > 0 else "in front of"
    turn = "side-on" if abs(yaw) < 0.5 else f"turned {abs(yaw):.0f}° from side-on ({where} the person)"
    return f"{look}, {turn}: corrected for (from {camera_source_words(measurement.camera_source)})"


#: What gave the camera's orientation, as the engine names it (parts joined by " + "), in the app's words.
_CAMERA_SOURCE_WORDS = {
    "aruco marker": "the printed marker on the floor",
    "a4 sheet": "the A4 sheet on the floor",
    "letter sheet": "the Letter sheet on the floor",
    "its edges": "its edges",
    "horizontal edges": "level lines in the picture",
    "vertical edges": "upright lines in the picture",
    "scene edges": "straight lines in the room",
    "room lines": "their direction",
    "none": "nothing (assumed upright and side-on)",
}


def camera_source_words(source: str | None) -> str:
    """The engine's name for what gave the camera's orientation ("aruco marker + its edges"), in words."""
    parts = [p.strip() for p in (source or "none").split("+") if p.strip()]
    words = [_CAMERA_SOURCE_WORDS.get(p.lower(), p) for p in parts]
    if len(words) == 2 and words[1] == "its edges":
        return f"{words[0]} and its edges"
    return " and ".join(words) or _CAMERA_SOURCE_WORDS["none"]


def headline(measurement: Measurement, foot_length_cm: float | None) -> Headline:
    """The figures of the result; all None for a clip without a result (no figure is presented then)."""
    peak = measurement.peak if has_result(measurement) else None
    wall = peak.wall if peak else None
    cm = peak.knee_over_toe_cm if peak else None
    uncertainty = finite_float(peak.knee_over_toe_uncertainty_cm) if peak else None
    return Headline(
        side=measurement.side,
        shin_angle_deg=finite_float(peak.shin_angle_deg) if peak else None,
        knee_over_toe_cm=finite_float(cm),
        knee_over_toe_uncertainty_cm=uncertainty if cm is not None else None,
        knee_over_toe_foot_ratio=finite_float(peak.knee_over_toe_foot_ratio) if peak else None,
        scale_source=scale_source(measurement, foot_length_cm),
        valid_reps=sum(rep.valid for rep in measurement.reps),
        total_reps=len(measurement.reps),
        toe_to_wall_cm=finite_float(wall.toe_to_wall_cm) if wall else None,
        toe_to_wall_uncertainty_cm=finite_float(wall.toe_to_wall_uncertainty_cm) if wall else None,
        knee_reached_wall=wall.knee_reached_wall if wall else None,
        shin_angle_uncertainty_deg=finite_float(peak.shin_angle_uncertainty_deg) if peak else None,
        shin_angle_from_axis=peak is not None and peak.shin_angle_source == AXIS_PLUS_OFFSET,
        tibia_axis_deg=finite_float(peak.tibia_axis_deg) if peak else None,
        tibia_axis_uncertainty_deg=finite_float(peak.tibia_axis_uncertainty_deg) if peak else None,
    )


def format_angle_pm(value: float | None, uncertainty: float | None) -> str:
    """An angle and its 1-sigma uncertainty, rounded to 0.5 deg ("38.5° ± 1.5°"); "n/a" without a value."""
    if value is None:
        return "n/a"
    text = f"{round_half(value):.1f}°"
    if uncertainty is not None:
        text += f" ± {max(round_half(uncertainty), 0.5):.1f}°"
    return text


SHIN_ANGLE_HELP = (
    "The shin's forward lean from vertical along the front of the shin, as a clinician's inclinometer "
    "resting on the shin reads it. Compared with 35-45° in healthy adults (Bennell 1998; Konor 2012)."
)
KNEE_OVER_TOE_HELP = (
    "How far the front of the knee passed the toes at the deepest lunge, heel down (+ = past the toes). "
    "Compared with the knee-to-wall score of healthy adults, 10-14 cm (Hoch & McKeon 2011)."
)
TOE_TO_WALL_HELP = (
    "From the toes to the wall. When the knee reached the wall this is the knee-to-wall score itself, "
    "compared with 10-14 cm in healthy adults (Hoch & McKeon 2011)."
)
#: The two thresholds, in one line wherever either is shown.
THRESHOLDS_LINE = (
    f"Between the two ankles, a difference over {ASYMMETRY_DEG:g}° or {ASYMMETRY_CM:g} cm matters (more than "
    "most healthy people show: Hoch & McKeon 2011; Chisholm 2012). Between two tests of one ankle, a change "
    f"over {norms.MDC_DEG:g}° or {norms.MDC_CM:g} cm is real (more than the measurement error: minimal "
    "detectable change, Powden 2015)."
)
TIBIA_AXIS_HELP = (
    "The line from the knee's centre to the ankle's centre, as motion capture reports it: it reads a few "
    "degrees less than the front of the shin. Not compared with the norms."
)


def shin_angle_words(head: Headline) -> str:
    """Where the headline angle comes from, in one line."""
    if head.shin_angle_from_axis:
        return (
            "The front of the shin could not be seen: this is the knee-ankle line plus the typical "
            "difference between the two, with a wider uncertainty."
        )
    return "Front of the shin, as the clinic's inclinometer reads it."


def format_angle(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}°"


def format_cm(value: float | None, uncertainty: float | None = None) -> str:
    """A distance to 0.5 cm with its 1-sigma; one known to worse than ``norms.ROUGH_CM`` is shown as rough,
    to the centimetre, not as a crisp figure."""
    if value is None:
        return "n/a"
    if uncertainty is not None and norms.rough_cm(uncertainty):
        whole = round(value)
        return f"about {whole:+d} cm (rough: ± {round_half(uncertainty):.1f})".replace("+0 cm", "0 cm")
    text = f"{round_half(value):+.1f} cm".replace("+0.0 cm", "0.0 cm").replace("-0.0 cm", "0.0 cm")
    return f"{text} ± {max(round_half(uncertainty), 0.5):.1f}" if uncertainty is not None else text


def metric_cm(value: float | None, uncertainty: float | None) -> tuple[str, str]:
    """A distance short enough for a headline figure, and what it leaves out: ("+11.0 cm ± 0.5", "") for a
    crisp one, ("about +7 cm", "rough: ± 2.5 cm, read it to the centimetre") for a rough one."""
    if value is None or uncertainty is None or not norms.rough_cm(uncertainty):
        return format_cm(value, uncertainty), ""
    whole = round(value)
    shown = f"about {whole:+d} cm".replace("+0 cm", "0 cm")
    return shown, f"rough: ± {round_half(uncertainty):.1f} cm, read it to the centimetre"


def knee_position_words(cm: float | None, foot_ratio: float | None) -> str:
    """Plain words for the knee-over-toe distance at the deepest lunge."""
    if cm is not None:
        where = "past" if cm >= 0 else "behind"
        return f"knee {abs(round_half(cm)):.1f} cm {where} the toes"
    if foot_ratio is not None:
        where = "past" if foot_ratio >= 0 else "behind"
        return f"knee {abs(foot_ratio) * 100:.0f}% of a foot length {where} the toes (no scale)"
    return "knee position unknown"


def side_result(measurement: Measurement) -> SideResult | None:
    """The measurement as the norms and drill planner see it (None without a result)."""
    head = headline(measurement, None)
    if head.shin_angle_deg is None:
        return None
    return SideResult(head.shin_angle_deg, head.knee_over_toe_cm)


@dataclass(frozen=True)
class NormsSummary:
    band: Classification
    text: str
    references: tuple[str, ...]


#: A finding's short name, as its heading.
BAND_TITLES: dict[Classification, str] = {
    "limited": "Limited",
    "borderline": "Borderline",
    "normal": "Normal",
}


def norms_summary(result: SideResult, knee_uncertainty_cm: float | None = None) -> NormsSummary:
    """Where one ankle sits against published healthy-adult values, with the references (a rough knee over
    toe, ``knee_uncertainty_cm`` over ``norms.ROUGH_CM``, is written as rough, as in the figures)."""
    band = classify(result.shin_angle_deg, result.knee_to_wall_cm)
    low_deg, high_deg = HEALTHY_RANGE_DEG
    low_cm, high_cm = HEALTHY_RANGE_CM
    parts = [
        f"Shin angle {round_half(result.shin_angle_deg):.1f}° against {low_deg:g}-{high_deg:g}° in healthy "
        "adults measured with an inclinometer (Bennell 1998; Konor 2012)"
    ]
    references = [BENNELL_1998, KONOR_2012]
    if result.knee_to_wall_cm is not None:
        knee = metric_cm(result.knee_to_wall_cm, knee_uncertainty_cm)[0]
        parts.append(
            f"knee over toe {knee} against the knee-to-wall {low_cm:g}-{high_cm:g} cm (Hoch & McKeon 2011)"
        )
        references.append(HOCH_MCKEON_2011)
    return NormsSummary(band, "; ".join(parts) + f". Overall {BAND_WORDS[band]}.", tuple(references))


def plain_warnings(measurement: Measurement) -> list[str]:
    """The engine's warnings and the reasons reps were rejected, as sentences in the app's words."""
    sentences = [_sentence(app_words(w)) for w in measurement.warnings]
    for rep in measurement.reps:
        if not rep.valid and rep.reason:
            sentences.append(_sentence(app_words(f"rep {rep.index} was not counted: {rep.reason}")))
    return sentences


#: The engine's (and the command line's) phrases, and what the app says instead.
_APP_PHRASES: tuple[tuple[str, str], ...] = (
    (r",? or pass --side\b", ", or say which ankle it is (One clip, I pick the side)"),
    (r"\bpass --side\b", "say which ankle it is"),
    (r"--foot-length\b", "the foot length in the sidebar"),
    (r"--marker-size\b", "the marker size in the sidebar"),
    (r"--paper\b", "the sheet of paper in the sidebar"),
    (r"\bprinted ArUco marker\b", "printed marker"),
    (r"\bArUco marker\b", "printed marker"),
    (r"\baruco marker \+ its edges\b", "printed marker and its edges"),
    (r"\baruco\b", "printed marker"),
    (r"\+-\s*", "± "),
    (r"(\d)\s*deg\b", "\\1°"),
    (r"(± [\d.]+°?), 1 sigma,", "\\1"),
    (r"(\d) %", "\\1%"),
)


def app_words(text: str) -> str:
    """One of the engine's messages in the app's words: no command-line flags, no camera-model jargon, a
    share of the foot length over 100% as a number of foot lengths, "±" and "°" for "+-" and "deg", and a
    side's figures (the drill plan's "23.4 deg shin angle, -0.5 cm knee-to-wall") rounded to 0.5 under the
    measures' names."""
    text = re.sub(r"(-?\d+(?:\.\d+)?) deg shin angle", lambda m: f"{_half(m)}° shin angle", text)
    text = re.sub(r"(-?\d+(?:\.\d+)?) cm knee-to-wall", lambda m: f"{_half(m)} cm knee over toe", text)
    for pattern, words in _APP_PHRASES:
        text = re.sub(pattern, words, text)
    return re.sub(r"(\d+(?:\.\d+)?)% of (?:the|a) foot length", _foot_lengths, text)


def _half(match: re.Match[str]) -> str:
    return f"{round_half(float(match.group(1))):.1f}"


def _foot_lengths(match: re.Match[str]) -> str:
    percent = float(match.group(1))
    if percent <= 100:
        return match.group(0)
    return f"{percent / 100:.1f} foot lengths"


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


# --- Left versus right --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    left: SideResult
    right: SideResult
    asymmetry: Asymmetry
    text: str


def compare(left: Measurement, right: Measurement) -> Comparison | None:
    """Left-versus-right difference in plain words, flagged against the side-to-side MDC (None if a side
    has no peak)."""
    left_result, right_result = side_result(left), side_result(right)
    if left_result is None or right_result is None:
        return None
    diff = asymmetry(left_result, right_result)
    text = asymmetry_words(diff)
    return Comparison(left_result, right_result, diff, text)
