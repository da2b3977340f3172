"""Rows for the app's tables and charts: the reps of a clip, the saved history and its trends.

Column names are what a person reads (with units), figures are rounded, and what was not measured is blank,
never ``None``. No Streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from vision.app_words import finite_float, round_half
from vision.landmarks import Side
from vision.norms import POWDEN_2015
from vision.results import Measurement, RepResult
from vision.storage import ANGLE_KIND_WORDS, FRONT_OF_SHIN, TIBIA_AXIS, MeasurementRecord, Trend

Row = dict[str, Any]

# --- Chart data ---------------------------------------------------------------------------------------------


def angle_rows(measurement: Measurement, label: str | None = None) -> list[Row]:
    """One row per analysed frame: time, cleaned and smoothed shin angle (None where missing), side."""
    series = measurement.frames
    side = label or measurement.side
    return [
        {"time_s": float(t), "angle_deg": finite_float(a), "smooth_deg": finite_float(s), "side": side}
        for t, a, s in zip(series.time_s, series.shin_angle_deg, series.shin_angle_smooth_deg, strict=True)
    ]


def rep_status(rep: RepResult) -> str:
    return "valid" if rep.valid else f"not counted: {rep.reason or 'invalid'}"


def rep_rows(measurement: Measurement, label: str | None = None) -> list[Row]:
    """One row per rep: its span, peak and whether it counted (for chart marks and the reps table)."""
    best = measurement.peak.frame if measurement.peak else None
    return [
        {
            "rep": rep.index,
            "side": label or measurement.side,
            "start_s": rep.start_time_s,
            "end_s": rep.end_time_s,
            "peak_s": rep.peak_time_s,
            "peak_deg": finite_float(rep.shin_angle_deg),
            "knee_over_toe_cm": finite_float(rep.knee_over_toe_cm),
            "valid": rep.valid,
            "status": rep_status(rep),
            "result": rep.peak_frame == best,
        }
        for rep in measurement.reps
    ]


def rep_table(measurement: Measurement) -> list[Row]:
    """The reps as a person reads them: plain column names, figures rounded to what they can claim (0.5 deg,
    0.5 cm, 0.1 s), blanks for what was not measured, and which rep is the result."""
    best = measurement.peak.frame if measurement.peak else None
    return [
        {
            "Rep": rep.index,
            "From (s)": round(rep.start_time_s, 1),
            "To (s)": round(rep.end_time_s, 1),
            "Shin angle (°)": round_half(rep.shin_angle_deg) if math.isfinite(rep.shin_angle_deg) else None,
            "Knee over toe (cm)": (
                round_half(rep.knee_over_toe_cm)
                if rep.knee_over_toe_cm is not None and math.isfinite(rep.knee_over_toe_cm)
                else None
            ),
            "Counted": "yes" if rep.valid else f"no: {rep.reason or 'not valid'}",
            "Result": "★" if rep.peak_frame == best else "",
        }
        for rep in measurement.reps
    ]


# --- History tables and trends ------------------------------------------------------------------------------


def history_rows(records: Iterable[MeasurementRecord]) -> list[Row]:
    """One row per saved measurement, newest first, for the history table."""
    rows = [
        {
            "id": r.id,
            "date": r.measured_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            "person": r.person,
            "side": r.side,
            "shin_angle_deg": round(r.shin_angle_deg, 1),
            "angle": ANGLE_KIND_WORDS.get(r.angle_kind, r.angle_kind),
            "knee_over_toe_cm": None if r.knee_over_toe_cm is None else round(r.knee_over_toe_cm, 1),
            "scale": r.scale_source,
            "valid_reps": r.reps_valid,
            "notes": r.notes,
            "clip": r.clip_name,
            "video_kept": r.video_path or "",
        }
        for r in records
    ]
    return sorted(rows, key=lambda row: (row["date"], row["id"] or 0), reverse=True)


def trend_rows(trend: Trend) -> list[Row]:
    """Points of one side's trend: date, angle, distance, change from baseline and whether it is real."""
    return [
        {
            "date": p.measured_at.astimezone().replace(tzinfo=None),
            "side": trend.side,
            "id": p.record_id,
            "shin_angle_deg": p.shin_angle_deg,
            "knee_over_toe_cm": p.knee_over_toe_cm,
            "change_deg": round(p.from_baseline.delta_deg, 1),
            "real_change": p.from_baseline.detectable,
            "angle": ANGLE_KIND_WORDS.get(trend.angle_kind, trend.angle_kind),
        }
        for p in trend.points
    ]


def kind_note(trend: Trend) -> str | None:
    """Why some saved tests of this side are not in its trend (None when all are)."""
    if trend.other_kind_count == 0:
        return None
    n = trend.other_kind_count
    tests = f"{n} test{'s' if n != 1 else ''}"
    if trend.angle_kind == FRONT_OF_SHIN:
        return (
            f"{tests} saved before this version {'holds' if n == 1 else 'hold'} the knee-ankle axis angle, "
            "which reads a few degrees "
            "less than the front of the shin: they are shown apart and not compared with these."
        )
    return f"{tests} {'holds' if n == 1 else 'hold'} the front-of-shin angle: not compared with these."


def angle_kinds(records: Iterable[MeasurementRecord], side: Side) -> tuple[str, ...]:
    """The angle kinds saved for ``side``, the current one (front of the shin) first."""
    kinds = {r.angle_kind for r in records if r.side == side}
    return tuple(kind for kind in (FRONT_OF_SHIN, TIBIA_AXIS) if kind in kinds)


@dataclass(frozen=True)
class Band:
    """The minimal-detectable-change band around a baseline: changes inside it may be measurement error."""

    baseline: float
    low: float
    high: float


def mdc_band(trend: Trend, measure_name: Literal["deg", "cm"] = "deg") -> Band | None:
    if not trend.points:
        return None
    first = trend.points[0]
    if measure_name == "deg":
        return Band(
            first.shin_angle_deg, first.shin_angle_deg - trend.mdc_deg, first.shin_angle_deg + trend.mdc_deg
        )
    if first.knee_over_toe_cm is None:
        return None
    return Band(
        first.knee_over_toe_cm, first.knee_over_toe_cm - trend.mdc_cm, first.knee_over_toe_cm + trend.mdc_cm
    )


def mdc_words(trend: Trend) -> str:
    """The latest change from the baseline in plain words."""
    if len(trend.points) < 2:
        return "One measurement so far: measure again in 4-6 weeks to see a trend."
    last = trend.points[-1].from_baseline
    figures = f"{last.delta_deg:+.1f}°"
    if last.delta_cm is not None:
        figures += f" / {last.delta_cm:+.1f} cm"
    if last.detectable:
        return (
            f"Change since the first measurement: {figures}, more than the measurement error: a real change."
        )
    return (
        f"Change since the first measurement: {figures}, within the measurement error "
        f"({trend.mdc_deg:g}° / {trend.mdc_cm:g} cm, Powden 2015): not a detectable change yet."
    )


MDC_REFERENCE = POWDEN_2015
