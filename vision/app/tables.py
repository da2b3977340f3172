"""Rows for the app's tables and charts: the reps of a clip, the saved history and its trends.

Column names are what a person reads (with units), figures are rounded, and what was not measured is blank,
never ``None``. No Streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from vision.advice.norms import (
    HEALTHY_RANGE_CM,
    HEALTHY_RANGE_DEG,
    LIMITED_BELOW_CM,
    LIMITED_BELOW_DEG,
    NORMAL_FROM_CM,
    NORMAL_FROM_DEG,
    POWDEN_2015,
    Classification,
    round_half,
)
from vision.advice.trends import Trend
from vision.app.words import app_words, finite_float, format_angle_pm, metric_cm
from vision.pose.landmarks import Side
from vision.results import Measurement, RepResult
from vision.storage import ANGLE_KIND_WORDS, FRONT_OF_SHIN, TIBIA_AXIS, MeasurementRecord

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
    """The reps as a person reads them: five short columns (they fit a phone's width), figures rounded to
    what they can claim (0.5°, 0.5 cm, 0.1 s) as text, blanks for what was not measured, the result starred.
    """
    best = measurement.peak.frame if measurement.peak else None
    return [
        {
            "Rep": f"{rep.index} ★" if rep.peak_frame == best else str(rep.index),
            "Time (s)": f"{rep.start_time_s:.1f} to {rep.end_time_s:.1f}",
            "Shin angle (°)": _half(rep.shin_angle_deg),
            "Knee over toe (cm)": _half(rep.knee_over_toe_cm),
            "Counted": "yes" if rep.valid else f"no: {rep.reason or 'not valid'}",
        }
        for rep in measurement.reps
    ]


def _half(value: float | None) -> str:
    """A figure to the nearest 0.5 as text; blank when it was not measured."""
    number = finite_float(value)
    return "" if number is None else f"{round_half(number):.1f}"


# --- History tables and trends ------------------------------------------------------------------------------


HISTORY_COLUMNS = (
    "Entry",
    "Date",
    "Side",
    "Shin angle (°)",
    "Knee over toe (cm)",
    "Toe to wall (cm)",
    "Reps counted",
    "Angle taken along",
    "Scale from",
    "Notes",
    "Clip",
    "Video kept",
)


def history_rows(records: Iterable[MeasurementRecord]) -> list[Row]:
    """One row per saved test, newest first, for the history table: named columns with units, figures
    rounded to 0.5, blanks (never None) where nothing was measured."""
    ordered = sorted(records, key=lambda r: (r.measured_at, r.id or 0), reverse=True)
    return [
        dict(
            zip(
                HISTORY_COLUMNS,
                (
                    r.id or 0,
                    r.measured_at.astimezone().strftime("%-d %b %Y %H:%M"),
                    r.side,
                    _half(r.shin_angle_deg),
                    _half(r.knee_over_toe_cm),
                    _half(r.toe_to_wall_cm),
                    r.reps_valid,
                    ANGLE_KIND_WORDS.get(r.angle_kind, r.angle_kind),
                    app_words(r.scale_source),
                    r.notes,
                    r.clip_name or "",
                    "yes" if r.video_path else "",
                ),
                strict=True,
            )
        )
        for r in ordered
    ]


FIRST_TEST = "first test"
WITHIN_ERROR = "within measurement error"
REAL_CHANGE = "real change"
#: How each test of a trend stands against the first, in words (the chart's legend, in this order).
CHANGE_WORDS = {FIRST_TEST: 0, WITHIN_ERROR: 1, REAL_CHANGE: 2}


def trend_rows(trend: Trend) -> list[Row]:
    """Points of one side's trend, oldest first: a date label written once per test (``when``), the angle,
    the distance, the change from the first test and, in words, whether it is a real change."""
    labels = _date_labels([p.measured_at.astimezone().replace(tzinfo=None) for p in trend.points])
    return [
        {
            "when": label,
            "date": p.measured_at.astimezone().replace(tzinfo=None),
            "side": trend.side,
            "id": p.record_id,
            "shin_angle_deg": p.shin_angle_deg,
            "shin_angle_shown": round_half(p.shin_angle_deg),
            "knee_over_toe_cm": p.knee_over_toe_cm,
            "change_deg": round(p.from_baseline.delta_deg, 1),
            "real_change": p.from_baseline.detectable,
            "change": FIRST_TEST if i == 0 else (REAL_CHANGE if p.from_baseline.detectable else WITHIN_ERROR),
            "angle": ANGLE_KIND_WORDS.get(trend.angle_kind, trend.angle_kind),
        }
        for i, (p, label) in enumerate(zip(trend.points, labels, strict=True))
    ]


def _date_labels(times: list[datetime]) -> list[str]:
    """One label per test: its day ("5 Jan 2025"), with the time when two tests share a day."""
    days = [t.strftime("%-d %b %Y") for t in times]
    labels = [f"{day} {t:%H:%M}" if days.count(day) > 1 else day for day, t in zip(days, times, strict=True)]
    return [
        f"{label} ({labels[:i].count(label) + 1})" if labels.count(label) > 1 else label
        for i, label in enumerate(labels)
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


# --- Where a figure sits against the healthy-adult bands ---------------------------------------------------

#: The bands of one ankle's finding, in order (the gauge's colours follow it).
BAND_NAMES: dict[Classification, str] = {"limited": "limited", "borderline": "borderline", "normal": "normal"}


@dataclass(frozen=True)
class Gauge:
    """A figure on its norm's bands: the bands (start, end, middle, name), the figure and its ± span."""

    title: str
    unit: str
    low: float
    high: float
    ticks: tuple[float, ...]
    bands: tuple[Row, ...]
    point: Row


def angle_gauge(shin_angle_deg: float, uncertainty_deg: float | None) -> Gauge:
    """The shin angle on the bands of healthy adults (limited below 35°, normal from 40°)."""
    return _gauge(
        "Shin angle against healthy adults",
        "°",
        shin_angle_deg,
        uncertainty_deg,
        (LIMITED_BELOW_DEG, NORMAL_FROM_DEG, HEALTHY_RANGE_DEG[1]),
        (20.0, 55.0),
    )


def knee_gauge(knee_over_toe_cm: float, uncertainty_cm: float | None) -> Gauge:
    """Knee over toe on the knee-to-wall bands of healthy adults (limited below 10 cm, normal from 12 cm)."""
    return _gauge(
        "Knee over toe against healthy adults",
        "cm",
        knee_over_toe_cm,
        uncertainty_cm,
        (LIMITED_BELOW_CM, NORMAL_FROM_CM, HEALTHY_RANGE_CM[1]),
        (0.0, 18.0),
    )


def _gauge(
    title: str,
    unit: str,
    value: float,
    uncertainty: float | None,
    cuts: tuple[float, float, float],
    span: tuple[float, float],
) -> Gauge:
    spread = uncertainty if uncertainty is not None and math.isfinite(uncertainty) else 0.0
    low = min(span[0], math.floor(value - spread - 1.0))
    high = max(span[1], math.ceil(value + spread + 1.0))
    limited_below, normal_from, _ = cuts
    edges = ((low, limited_below), (limited_below, normal_from), (normal_from, high))
    bands = tuple(
        {"band": name, "start": a, "end": b, "middle": (a + b) / 2, "range": f"{a:g}-{b:g}"}
        for name, (a, b) in zip(BAND_NAMES.values(), edges, strict=True)
    )
    # As the headline figure shows it (a rough distance to the centimetre).
    label = metric_cm(value, uncertainty)[0] if unit == "cm" else format_angle_pm(value, uncertainty)
    point = {"value": value, "from": value - spread, "to": value + spread, "label": label}
    return Gauge(title, unit, low, high, cuts, bands, point)
