"""The app's Altair charts. Data rows come from ``vision.app.tables``; one legend per chart, at the bottom,
so a phone-width screen keeps the chart's full width."""

from __future__ import annotations

from typing import Any, cast

import altair as alt
import pandas as pd

from vision.app import logic as al
from vision.app import tables as app_tables
from vision.pose.landmarks import Side

SIDE_COLOURS = alt.Scale(domain=["left", "right"], range=["#1f77b4", "#ff7f0e"])
REP_COLOURS = alt.Scale(domain=["counted", "not counted"], range=["#2e7d32", "#9e9e9e"])
CHANGE_COLOURS = alt.Scale(domain=list(app_tables.CHANGE_WORDS), range=["#5f6b7a", "#1f77b4", "#7b3294"])
BAND_COLOURS = alt.Scale(domain=list(app_tables.BAND_NAMES), range=["#efe6d8", "#e6ecf2", "#dcebdc"])
# Streamlit's default autosize ("fit") counts titles, axes and legends in the height, which squeezes the plot
# under a bottom legend or slanted labels: "fit-x" fits the width only, and a height is the plot's own.
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")
BOTTOM = alt.Legend(orient="bottom", direction="horizontal", title=None)
TWO_COLUMNS = alt.Legend(orient="bottom", columns=2, title=None)  # long labels: they fit a phone's width


def angle_chart(analyses: dict[Side, al.ClipAnalysis], colour_by_side: bool) -> alt.LayerChart:
    """Shin angle over time with each rep's span and peak: one legend (the sides, or counted reps)."""
    frames = pd.DataFrame([row for a in analyses.values() for row in al.angle_rows(a.measurement)])
    reps = pd.DataFrame([row for a in analyses.values() for row in al.rep_rows(a.measurement)])
    x = alt.X("time_s:Q", title="time (s)")
    y_title = "shin angle (°)"
    if colour_by_side:
        colour: Any = alt.Color("side:N", scale=SIDE_COLOURS, legend=BOTTOM)
        dots: Any = alt.Color("side:N", scale=SIDE_COLOURS, legend=None)
    else:
        colour = dots = alt.value("#1f4e8c")
    raw = alt.Chart(frames).mark_circle(size=12, opacity=0.3).encode(x=x, y=alt.Y("angle_deg:Q"), color=dots)
    line = (
        alt.Chart(frames)
        .mark_line(strokeWidth=2)
        .encode(x=x, y=alt.Y("smooth_deg:Q", title=y_title), color=colour, detail="side:N")
    )
    layers: list[Any] = [raw, line]
    if not reps.empty:
        spans, peaks, labels = _rep_layers(reps, legend=not colour_by_side)
        layers = [spans, raw, line, peaks, labels]
    chart = alt.layer(*layers).resolve_scale(color="independent").properties(height=200, autosize=FIT_WIDTH)
    return cast(alt.LayerChart, chart)  # altair types resolve_scale as Any


def _rep_layers(reps: pd.DataFrame, legend: bool) -> list[Any]:
    reps = reps.assign(
        kind=["counted" if v else "not counted" for v in reps["valid"]],
        label=[
            f"rep {r}" + (" ★" if best else "") for r, best in zip(reps["rep"], reps["result"], strict=True)
        ],
        peak_shown=[al.round_half(v) if v is not None else None for v in reps["peak_deg"]],
    )
    spans = (
        alt.Chart(reps)
        .mark_rect(opacity=0.12)
        .encode(
            alt.X("start_s:Q"),
            alt.X2("end_s:Q"),
            alt.Color("kind:N", scale=REP_COLOURS, legend=BOTTOM if legend else None),
        )
    )
    tooltip = [
        alt.Tooltip("rep:Q", title="rep"),
        alt.Tooltip("status:N", title="counted"),
        alt.Tooltip("peak_shown:Q", title="shin angle (°)", format=".1f"),
    ]
    peaks = (
        alt.Chart(reps)
        .mark_point(shape="triangle-down", size=120, filled=True)
        .encode(
            alt.X("peak_s:Q"),
            alt.Y("peak_deg:Q"),
            alt.Color("kind:N", scale=REP_COLOURS, legend=None),
            tooltip=tooltip,
        )
    )
    labels = (
        alt.Chart(reps)
        .mark_text(dy=-14, fontSize=11)
        .encode(alt.X("peak_s:Q"), alt.Y("peak_deg:Q"), alt.Text("label:N"))
    )
    return [spans, peaks, labels]


def trend_chart(
    rows: list[dict[str, Any]], band: al.Band | None, title: str
) -> alt.LayerChart | alt.FacetChart:
    """One side's saved shin angles, one column per test (its date written once), the measurement-error
    band around the first test, and each test's change against the first in words."""
    data = pd.DataFrame(rows)
    order = list(data["when"])
    x = alt.X(
        "when:O", sort=order, title=None, axis=alt.Axis(labelAngle=-35, labelLimit=110, labelOverlap=True)
    )
    layers: list[Any] = []
    if band is not None:
        band_df = pd.DataFrame([{"low": band.low, "high": band.high, "baseline": band.baseline}])
        layers.append(
            alt.Chart(band_df).mark_rect(opacity=0.15, color="#1f77b4").encode(y="low:Q", y2="high:Q")
        )
        layers.append(alt.Chart(band_df).mark_rule(strokeDash=[4, 4]).encode(y="baseline:Q"))
    tooltip = [
        alt.Tooltip("when:N", title="date"),
        alt.Tooltip("shin_angle_shown:Q", title="shin angle (°)", format=".1f"),
        alt.Tooltip("change_deg:Q", title="change (°)", format="+.1f"),
        alt.Tooltip("change:N", title="is it real?"),
    ]
    y = alt.Y("shin_angle_deg:Q", title="shin angle (°)", scale=alt.Scale(zero=False, padding=10))
    layers.append(alt.Chart(data).mark_line(color="#9aa5b1").encode(x, y))
    layers.append(
        alt.Chart(data)
        .mark_point(filled=True, size=90)
        .encode(x, y, alt.Color("change:N", scale=CHANGE_COLOURS, legend=TWO_COLUMNS), tooltip=tooltip)
    )
    return alt.layer(*layers).properties(height=170, title=title, autosize=FIT_WIDTH)


def norm_gauge(gauge: app_tables.Gauge) -> alt.LayerChart:
    """Where one figure sits against the healthy-adult bands: the bands, the figure (a diamond) and its ±."""
    bands = pd.DataFrame(gauge.bands).assign(row="")
    point = pd.DataFrame([gauge.point]).assign(row="")
    x_scale = alt.Scale(domain=[gauge.low, gauge.high], nice=False, clamp=True)
    axis = alt.Axis(values=list(gauge.ticks), format="~g", title=None, grid=False)
    y = alt.Y("row:N", axis=None)
    band_layer = (
        alt.Chart(bands)
        .mark_bar(stroke="white", strokeWidth=1)
        .encode(
            alt.X("start:Q", scale=x_scale, axis=axis),
            alt.X2("end:Q"),
            y,
            alt.Color("band:N", scale=BAND_COLOURS, legend=None),
            tooltip=[alt.Tooltip("band:N", title="band"), alt.Tooltip("range:N", title=gauge.unit)],
        )
    )
    names = (
        alt.Chart(bands)
        .mark_text(fontSize=10, color="#52606d", dy=-10)
        .encode(alt.X("middle:Q", scale=x_scale), y, alt.Text("band:N"))
    )
    error = (
        alt.Chart(point)
        .mark_rule(strokeWidth=3, color="#1f2933", yOffset=6)
        .encode(alt.X("from:Q", scale=x_scale), alt.X2("to:Q"), y)
    )
    mark = (
        alt.Chart(point)
        .mark_point(shape="diamond", filled=True, size=160, color="#1f2933", opacity=1, yOffset=6)
        .encode(alt.X("value:Q", scale=x_scale), y, tooltip=[alt.Tooltip("label:N", title=gauge.title)])
    )
    chart = (
        alt.layer(band_layer, names, error, mark)
        .properties(
            height=40,
            title=alt.TitleParams(f"{gauge.title}: {gauge.point['label']}", anchor="start", fontSize=13),
            autosize=FIT_WIDTH,
        )
        .configure_view(stroke=None)
    )
    return cast(alt.LayerChart, chart)  # altair types configure_view as Any
