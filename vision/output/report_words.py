"""The report's words: each figure with its ± as the page prints it, the rows of a side's figures, and the
trend's lines (:mod:`vision.output.report_pdf` lays them out)."""

from __future__ import annotations

from vision.advice.norms import BAND_WORDS, ROUGH_CM, classify, round_half
from vision.advice.trends import Trend, TrendPoint
from vision.storage import FRONT_OF_SHIN, MeasurementRecord

FEEL_WORDS: dict[str, str] = {
    "front_pinch": "a pinch at the front of the ankle",
    "calf_pull": "a pull in the calf",
    "achilles_pain": "pain at the Achilles",
    "unsure": "not recorded / not sure",
}


def angle_text(value: float, uncertainty: float | None) -> str:
    """An angle with its ± (at least 0.5°)."""
    text = f"{round_half(value):.1f}°"
    if uncertainty is not None:
        text += f" ± {max(round_half(uncertainty), 0.5):.1f}°"
    return text


def cm_text(value: float, uncertainty: float | None, signed: bool = True) -> str:
    """A distance with its ±; over :data:`ROUGH_CM` of doubt, to the whole cm and called rough."""
    if uncertainty is not None and uncertainty > ROUGH_CM:
        whole = round(value)
        shown = f"{whole:+d}" if signed and whole else f"{whole:d}"
        return f"about {shown} cm (rough: ± {uncertainty:.1f} cm)"
    text = f"{value:+.1f} cm" if signed else f"{value:.1f} cm"
    return f"{text} ± {uncertainty:.1f} cm" if uncertainty is not None else text


def figure_rows(record: MeasurementRecord) -> list[tuple[str, str]]:
    """(label, words) for each of a saved record's figures, its band against the norms and its reps."""
    if record.angle_kind == FRONT_OF_SHIN:
        rows = [("Shin angle", angle_text(record.shin_angle_deg, record.shin_angle_uncertainty_deg))]
        if record.tibia_axis_deg is not None:
            rows.append(("Tibia axis", angle_text(record.tibia_axis_deg, record.tibia_axis_uncertainty_deg)))
    else:
        rows = [
            ("Knee-ankle axis", angle_text(record.shin_angle_deg, None) + " (saved before the shin angle)")
        ]
    if record.knee_over_toe_cm is not None:
        text = cm_text(record.knee_over_toe_cm, record.knee_over_toe_uncertainty_cm)
        if not text.startswith("about 0 "):
            text += " (knee past the toes)" if record.knee_over_toe_cm >= 0 else " (knee behind the toes)"
        rows.append(("Knee over toe", text))
    elif record.knee_over_toe_foot_ratio is not None:
        rows.append(("Knee over toe", f"{record.knee_over_toe_foot_ratio:+.2f} foot lengths (no scale)"))
    if record.toe_to_wall_cm is not None:
        reached = (
            " (knee at the wall)"
            if record.knee_reached_wall
            else (" (knee short of the wall)" if record.knee_reached_wall is False else "")
        )
        rows.append(
            (
                "Toe to wall",
                cm_text(record.toe_to_wall_cm, record.toe_to_wall_uncertainty_cm, signed=False) + reached,
            )
        )
    if record.angle_kind == FRONT_OF_SHIN:
        band = classify(record.shin_angle_deg, record.knee_over_toe_cm)
        rows.append(("Against norms", BAND_WORDS[band]))
    rows.append(("Reps counted", f"{record.reps_valid} (scale: {scale_words(record.scale_source)})"))
    return rows


def scale_words(source: str) -> str:
    """What gave the centimetres, in plain words."""
    return {
        "aruco": "printed marker",
        "a4": "A4 sheet",
        "letter": "Letter sheet",
        "foot": "foot length",
        "foot_length": "foot length",
        "none": "none (no cm)",
    }.get(source, source)


def point_of(side_trend: Trend, record_id: int | None) -> int:
    """The index of the record's point in the trend (its last point when the record is not in it)."""
    for i, point in enumerate(side_trend.points):
        if point.record_id == record_id:
            return i
    return len(side_trend.points) - 1


def change_words(point: TrendPoint, baseline: bool) -> str:
    """A trend point's change from the first test (``baseline``) or the previous one, real or not."""
    change = point.from_baseline if baseline else point.from_previous
    parts = [f"{change.delta_deg:+.1f}° " + ("real change" if change.detectable_deg else "(within error)")]
    if change.delta_cm is not None:
        words = "real change" if change.detectable_cm else "(within error)"
        parts.append(f"{change.delta_cm:+.1f} cm {words}")
    return "; ".join(parts)


def trend_lines(side_trend: Trend, record_id: int | None) -> list[str]:
    """The lines under a side's trend chart: the changes, and tests of the other angle not compared."""
    points = side_trend.points
    lines = []
    if len(points) < 2:
        lines.append("First saved test of this side: the trend starts here.")
    else:
        i = point_of(side_trend, record_id)
        first = points[0].measured_at.strftime("%Y-%m-%d")
        if i > 0:
            lines.append(f"vs first ({first}): {change_words(points[i], baseline=True)}")
            previous = points[i - 1].measured_at.strftime("%Y-%m-%d")
            if i > 1:
                lines.append(f"vs previous ({previous}): {change_words(points[i], baseline=False)}")
    if side_trend.other_kind_count:
        n = side_trend.other_kind_count
        lines.append(
            f"{n} older test{'s' if n != 1 else ''} of the knee-ankle axis angle not compared with these."
            if side_trend.angle_kind == FRONT_OF_SHIN
            else f"{n} test{'s' if n != 1 else ''} of the front-of-shin angle not compared with these."
        )
    return lines


def tests_text(n: int) -> str:
    """The count of tests in words: "1 test", "3 tests"."""
    return f"{n} test{'s' if n != 1 else ''}"
