"""A one-page printable HTML report of a session: peak frames, figures, asymmetry, trend and drill plan.

The page is self-contained (images as base64 PNG, charts as inline SVG, no scripts, no external resources),
so it opens offline and prints on one A4 or Letter page.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from vision.advice.drills import DISCLAIMER, DrillPlan
from vision.advice.norms import MDC_CM, MDC_DEG, POWDEN_2015
from vision.advice.trends import Trend
from vision.app.logic import (
    ClipAnalysis,
    compare,
    format_angle_pm,
    format_cm,
    has_result,
    headline,
    kind_note,
    norms_summary,
    side_result,
)
from vision.pose.landmarks import Side

_SIDES: tuple[Side, Side] = ("left", "right")
_CSS = """
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { font: 9.5pt/1.25 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #111;
       margin: 0 auto; max-width: 190mm; }
h1 { font-size: 15pt; margin: 0 0 1mm; }
h2 { font-size: 11pt; margin: 2.5mm 0 1mm; border-bottom: 1px solid #bbb; }
p { margin: 1mm 0; }
.meta { color: #444; margin-bottom: 1mm; }
.sides { display: flex; gap: 4mm; }
.side { flex: 1; min-width: 0; }
.side img { width: 100%; height: 38mm; object-fit: contain; background: #222; display: block; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
td, th { padding: 0.3mm 1mm; text-align: left; vertical-align: top; border-bottom: 1px solid #e3e3e3; }
th { font-weight: 600; width: 30%; white-space: nowrap; }
.flag { font-weight: 600; border-left: 3px solid #8a5a00; padding-left: 2mm; }
.ok { font-weight: 600; border-left: 3px solid #999; padding-left: 2mm; }
.warn { color: #8a5a00; }
.small { font-size: 8pt; color: #444; }
ol, ul { margin: 0.5mm 0 0.5mm 4.5mm; padding: 0; }
li { margin: 0.2mm 0; break-inside: avoid; }
ol.plan, ul.why { columns: 2; column-gap: 7mm; }
ul.notes { font-size: 8pt; }
ul.why { font-size: 7.5pt; }
.trend { display: flex; gap: 4mm; }
.trend div { flex: 0 0 48%; }
.trend svg { display: block; max-height: 20mm; }
@media print { a { color: inherit; text-decoration: none; } }
"""


@dataclass(frozen=True)
class ReportInput:
    """Everything one report shows. ``trends`` may hold one trend per side (from the history)."""

    person: str
    created_at: datetime
    sides: Mapping[Side, ClipAnalysis]
    plan: DrillPlan | None = None
    limit_feel: str | None = None
    trends: Mapping[Side, Trend] | None = None


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def build_report(report: ReportInput) -> str:
    """The report as one HTML document (a string) of the sides with a result; a clip without one is left out.

    Raises ValueError when no side has a result.
    """
    sides = {side: a for side, a in report.sides.items() if has_result(a.measurement)}
    if not sides:
        raise ValueError("a report needs at least one measured side with a result")
    title = f"Ankle dorsiflexion - {report.person}" if report.person else "Ankle dorsiflexion"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<div class="meta">Weight-bearing lunge (knee-to-wall) test, measured from video on '
        f"{_e(report.created_at.strftime('%Y-%m-%d %H:%M'))} with dorsiflex.</div>",
        _sides_section(sides),
        _asymmetry_section(sides),
        _trend_section(report.trends),
        _plan_section(report.plan, report.limit_feel),
        _footer(),
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part)


def _sides_section(sides: Mapping[Side, ClipAnalysis]) -> str:
    cells = []
    for side in _SIDES:
        analysis = sides.get(side)
        if analysis is None:
            continue
        m = analysis.measurement
        head = headline(m, analysis.foot_length_cm)
        result = side_result(m)
        rows = [
            (
                "Shin angle (front)",
                format_angle_pm(head.shin_angle_deg, head.shin_angle_uncertainty_deg)
                + (" (from the knee-ankle line)" if head.shin_angle_from_axis else ""),
            ),
            (
                "Tibia axis",
                format_angle_pm(head.tibia_axis_deg, head.tibia_axis_uncertainty_deg),
            ),
            ("Knee over toe", format_cm(head.knee_over_toe_cm, head.knee_over_toe_uncertainty_cm)),
            ("Scale", head.scale_source),
            ("Reps counted", f"{head.valid_reps} of {head.total_reps}"),
        ]
        if result is not None:
            summary = norms_summary(result)
            rows.append(("Vs healthy adults", summary.band))
        rows.append(("Clip", analysis.clip_name))
        table = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
        warnings = "".join(f'<li class="warn">{_e(w)}</li>' for w in m.warnings)
        invalid = "".join(
            f'<li class="warn">Rep {rep.index} not counted: {_e(rep.reason)}</li>'
            for rep in m.reps
            if not rep.valid and rep.reason
        )
        notes = f'<ul class="notes">{warnings}{invalid}</ul>' if warnings or invalid else ""
        cells.append(
            f'<div class="side"><h2>{_e(side.capitalize())} ankle</h2>'
            f'<img alt="{_e(side)} ankle at its deepest valid lunge" src="{png_data_uri(analysis.peak_png)}">'
            f"<table>{table}</table>{notes}</div>"
        )
    legend = (
        '<p class="small">Shin angle (front): the front of the shin from vertical, as an inclinometer '
        "resting on it reads it (the 35-45&deg; norms); tibia axis: the knee-centre to ankle-centre line. "
        "&plusmn; is one standard uncertainty.</p>"
    )
    return f'<div class="sides">{"".join(cells)}</div>{legend}'


def _asymmetry_section(sides: Mapping[Side, ClipAnalysis]) -> str:
    left, right = sides.get("left"), sides.get("right")
    if left is None or right is None:
        return ""
    comparison = compare(left.measurement, right.measurement)
    if comparison is None:
        return ""
    css = "flag" if comparison.asymmetry.significant else "ok"
    return f'<h2>Left vs right</h2><p class="{css}">{_e(comparison.text)}</p>'


def _trend_section(trends: Mapping[Side, Trend] | None) -> str:
    if not trends:
        return ""
    charts = []
    for side in _SIDES:
        trend = trends.get(side)
        if trend is None or not trend.points:
            continue
        note = kind_note(trend)
        note_html = f'<div class="small">{_e(note)}</div>' if note else ""
        charts.append(f"<div><strong>{_e(side.capitalize())}</strong>{trend_svg(trend)}{note_html}</div>")
    if not charts:
        return ""
    return (
        "<h2>Trend (shin angle, front of the shin)</h2>"
        f'<div class="trend">{"".join(charts)}</div>'
        f'<div class="small">Shaded: first measurement ± {MDC_DEG:g}° (minimal detectable change, '
        "Powden 2015); points outside it are real changes.</div>"
    )


def trend_svg(trend: Trend, width: int = 300, height: int = 110) -> str:
    """Shin angle over time as a small inline SVG line chart with the MDC band around the first point."""
    values = [p.shin_angle_deg for p in trend.points]
    times = [p.measured_at.timestamp() for p in trend.points]
    base = values[0]
    low = min(*values, base - trend.mdc_deg) - 2.0
    high = max(*values, base + trend.mdc_deg) + 2.0
    left, right, top, bottom = 34, width - 8, 8, height - 18
    t0, t1 = min(times), max(times)

    def x(t: float) -> float:
        return left + (right - left) * ((t - t0) / (t1 - t0) if t1 > t0 else 0.5)

    def y(v: float) -> float:
        return bottom - (bottom - top) * (v - low) / (high - low)

    band = (
        f'<rect x="{left}" y="{y(base + trend.mdc_deg):.1f}" width="{right - left}" '
        f'height="{y(base - trend.mdc_deg) - y(base + trend.mdc_deg):.1f}" fill="#dfe9f5"/>'
    )
    points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, values, strict=True))
    colours = ["#a40000" if p.from_baseline.detectable else "#1f4e8c" for p in trend.points]
    dots = "".join(
        f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>'
        for t, v, colour in zip(times, values, colours, strict=True)
    )
    ticks = "".join(
        f'<text x="{left - 4}" y="{y(v) + 3:.1f}" font-size="8" text-anchor="end">{v:.0f}°</text>'
        for v in _nice_ticks(low, high)
    )
    first = trend.points[0].measured_at.strftime("%Y-%m-%d")
    last = trend.points[-1].measured_at.strftime("%Y-%m-%d")
    labels = (
        f'<text x="{left}" y="{height - 4}" font-size="8">{_e(first)}</text>'
        f'<text x="{right}" y="{height - 4}" font-size="8" text-anchor="end">{_e(last)}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(trend.side)} shin angle over time">{band}'
        f'<polyline points="{points}" fill="none" stroke="#1f4e8c" stroke-width="1.5"/>'
        f"{dots}{ticks}{labels}</svg>"
    )


def _nice_ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = 5.0 if span <= 30 else 10.0
    start = math.ceil(low / step) * step
    return [start + i * step for i in range(int((high - start) // step) + 1)]


def _plan_section(plan: DrillPlan | None, limit_feel: str | None) -> str:
    if plan is None:
        return ""
    feel = f" (limit felt as: {_e(limit_feel.replace('_', ' '))})" if limit_feel else ""
    items = "".join(
        f"<li><strong>{_e(item.drill.name)}</strong>: "
        f"{_e(_sets_text(item.sets_by_side))} x {_e(item.dose)}</li>"
        for item in plan.items
    )
    reasons = "".join(f"<li>{_e(reason)}</li>" for reason in plan.rationale)
    return (
        f'<h2>Drill plan{feel}</h2><ol class="plan">{items}</ol>'
        f'<div class="small"><strong>Why:</strong><ul class="why">{reasons}</ul></div>'
    )


def _sets_text(sets_by_side: Sequence[tuple[Side, int]]) -> str:
    return ", ".join(f"{side} {sets} set{'s' if sets != 1 else ''}" for side, sets in sets_by_side)


def _footer() -> str:
    return (
        f'<p class="small"><strong>{_e(DISCLAIMER)}</strong><br>'
        f"Differences smaller than {MDC_DEG:g}° / {MDC_CM:g} cm between sessions may be measurement error "
        f"({_e(POWDEN_2015)})</p>"
    )
