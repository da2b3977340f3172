"""One side's result as the Measure and Live camera pages show it: figures with their ± and source, the
finding on its norm's bands, the reps, notes, downloads and saving."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import charts
from app_pages.session import add_source, annotated_video_cached, db_path, person, settings, state
from vision.app import logic as al
from vision.app import tables as app_tables
from vision.app import words as app_words
from vision.errors import InputError
from vision.output.peak_crop import PeakRecordFields, record_fields
from vision.pose.landmarks import Side
from vision.results import Measurement
from vision.storage import HistoryStore


def show_result(analysis: al.ClipAnalysis, key: str) -> None:
    m = analysis.measurement
    with st.container(border=True):
        st.subheader(f"{al.side_label(m.side)} — {analysis.clip_name}")
        show_side_mismatch(analysis, key)
        if not al.has_result(m):
            show_no_result(analysis, key)
            return
        head = al.headline(m, analysis.foot_length_cm)
        show_figures(analysis, head)
        show_finding(m, head)
        show_notes(m)
        left, right = st.columns([3, 2])
        with left:
            show_reps(analysis)
        with right:
            st.image(analysis.peak_png, caption="Deepest counted rep: the result", width="stretch")
        show_downloads(analysis, key)
        save_form(analysis, key)


def show_figures(analysis: al.ClipAnalysis, head: al.Headline) -> None:
    m = analysis.measurement
    wall = head.toe_to_wall_cm is not None
    cols = st.columns(3)  # three figures fit a row without being cut off
    cols[0].metric(
        "Shin angle",
        al.format_angle_pm(head.shin_angle_deg, head.shin_angle_uncertainty_deg),
        help=app_words.SHIN_ANGLE_HELP,
    )
    knee_shown, knee_left_out = app_words.metric_cm(head.knee_over_toe_cm, head.knee_over_toe_uncertainty_cm)
    if head.knee_over_toe_cm is None:
        knee_shown = "no scale"  # not a missing figure: the clip has nothing to give centimetres
    cols[1].metric("Knee over toe", knee_shown, help=app_words.KNEE_OVER_TOE_HELP)
    if wall:
        wall_shown, _ = app_words.metric_cm(head.toe_to_wall_cm, head.toe_to_wall_uncertainty_cm)
        cols[2].metric("Toe to wall", wall_shown, help=app_words.TOE_TO_WALL_HELP)
    st.caption("  \n".join(figure_sources(m, head, knee_left_out)))
    with st.expander("Knee-ankle line (motion-capture angle)"):
        st.caption(
            f"{al.format_angle_pm(head.tibia_axis_deg, head.tibia_axis_uncertainty_deg)}. "
            f"{app_words.TIBIA_AXIS_HELP}"
        )


def figure_sources(m: Measurement, head: al.Headline, knee_left_out: str) -> list[str]:
    """Where each figure comes from, one line each (markdown)."""
    knee = al.knee_position_words(head.knee_over_toe_cm, head.knee_over_toe_foot_ratio)
    scale = f"scale from {app_words.app_words(head.scale_source)}"
    if head.knee_over_toe_cm is None:
        scale = "for centimetres, enter the foot length in the sidebar or lay a printed marker or A4 sheet"
        scale += " beside the foot"
    lines = [
        f"**Reps counted:** {head.valid_reps} of {head.total_reps} (the result is the deepest, ★ below).",
        f"**Shin angle:** {al.shin_angle_words(head)} ± is one standard deviation.",
        f"**Knee over toe:** {knee}" + (f" ({knee_left_out})" if knee_left_out else "") + f"; {scale}.",
    ]
    if head.toe_to_wall_cm is not None:
        reached = (
            "the knee reached the wall: this is the knee-to-wall score"
            if head.knee_reached_wall
            else "the knee stopped short of the wall: not a knee-to-wall score"
        )
        wall = al.format_cm(head.toe_to_wall_cm, head.toe_to_wall_uncertainty_cm)
        lines.append(f"**Toe to wall:** {wall}; {reached}.")
    lines.append(f"**Camera:** {al.camera_words(m)}.")
    if m.leg_choice:
        lines.append(f"**Leg measured:** {app_words.app_words(m.leg_choice)}.")
    return lines


def show_finding(m: Measurement, head: al.Headline) -> None:
    """The finding in neutral styling: its name, one line against the norms and where each figure sits."""
    result = al.side_result(m)
    if result is None or head.shin_angle_deg is None:
        return
    summary = al.norms_summary(result, head.knee_over_toe_uncertainty_cm)
    st.markdown(f"**Finding: {app_words.BAND_TITLES[summary.band]}.** {summary.text}")
    gauges = [app_tables.angle_gauge(head.shin_angle_deg, head.shin_angle_uncertainty_deg)]
    if head.knee_over_toe_cm is not None:
        gauges.append(app_tables.knee_gauge(head.knee_over_toe_cm, head.knee_over_toe_uncertainty_cm))
    for gauge in gauges:
        st.altair_chart(charts.norm_gauge(gauge), width="stretch")
    with st.expander("References"):
        for reference in summary.references:
            st.caption(reference)


def show_notes(m: Measurement) -> None:
    """The engine's notes on the clip in the app's words, in one collapsed box."""
    notes = al.plain_warnings(m)
    if notes:
        with st.expander(f"{len(notes)} note{'s' if len(notes) != 1 else ''} about this clip"):
            st.markdown("\n".join(f"- {note}" for note in notes))


def show_reps(analysis: al.ClipAnalysis) -> None:
    m = analysis.measurement
    st.altair_chart(charts.angle_chart({m.side: analysis}, colour_by_side=False), width="stretch")
    st.table(pd.DataFrame(al.rep_table(m)).set_index("Rep"))


def show_no_result(analysis: al.ClipAnalysis, key: str) -> None:
    """What was seen in a clip without a result, why nothing counted and what to do: no figure, no save."""
    m = analysis.measurement
    said = al.no_result(m)
    if said is None:
        return
    st.warning(f"**{said.title}.** {said.reason}")
    st.markdown(said.seen)
    st.markdown("**What to do next:**\n" + "\n".join(f"- {step}" for step in said.next_steps))
    notes = al.plain_warnings(m)
    if notes:
        with st.expander(f"What was seen in the clip ({len(notes)})"):
            st.markdown("\n".join(f"- {note}" for note in notes))
    if m.reps:
        left, right = st.columns([3, 2])
        with left:
            show_reps(analysis)
        with right:
            if analysis.peak_png:
                st.image(analysis.peak_png, caption="The deepest rep seen: not counted, not a result")
    show_downloads(analysis, key)


def show_side_mismatch(analysis: al.ClipAnalysis, key: str) -> None:
    """Say plainly when the clip in one side's box shows the other leg in front, and offer to swap."""
    ss = state()
    m = analysis.measurement
    source = ss.sources.get(m.side)
    requested = source.side if source is not None else None
    message = al.side_mismatch(m, requested)
    if message is None or source is None or requested is None:
        return
    st.warning(message, icon="↔️")
    other: Side = "right" if requested == "left" else "left"
    if m.side == requested and st.button(f"Measure it as the {other} ankle", key=f"swap_{key}"):
        del ss.sources[m.side]
        ss.saved.pop(m.side, None)
        add_source(dataclasses.replace(source, side=other), other)
        st.rerun()


def show_downloads(analysis: al.ClipAnalysis, key: str) -> None:
    m = analysis.measurement
    stem = Path(analysis.clip_name).stem or "clip"
    box = st.expander("Annotated video", key=f"video_box_{key}", on_change="rerun")
    if box.open:  # drawn when asked for: it decodes and encodes the whole clip again
        with box:
            video = annotated_video(analysis)
            if not video:
                st.caption("The clip is no longer in this session: measure it again to draw its video.")
                return
            st.video(video)
            st.download_button(
                "Download annotated video",
                video,
                file_name=f"{stem}_{m.side}_annotated.mp4",
                mime="video/mp4",
                key=f"dl_video_{key}",
                on_click="ignore",
            )
    st.download_button(
        "Download per-frame CSV",
        analysis.frames_csv,
        file_name=f"{stem}_{m.side}_frames.csv",
        mime="text/csv",
        key=f"dl_csv_{key}",
        on_click="ignore",
    )


def annotated_video(analysis: al.ClipAnalysis) -> bytes:
    """The clip's annotated video, drawn once per clip and settings (b"" if the clip is gone)."""
    if analysis.annotated_mp4:
        return analysis.annotated_mp4
    source = state().sources.get(analysis.measurement.side)
    if source is None:
        return b""
    return annotated_video_cached(
        source.digest, settings(source.side), source.data, source.name, analysis.measurement
    )


def save_form(analysis: al.ClipAnalysis, key: str) -> None:
    """Save the result once: after saving, a confirmation replaces the form."""
    ss = state()
    side = analysis.measurement.side
    if not al.has_result(analysis.measurement):
        return  # nothing to save: the clip has no result
    if side in ss.saved:
        record_id, who = ss.saved[side]
        st.success(f"Saved to the history of {who} (entry #{record_id}).", icon="✅")
        return
    with st.form(f"save_{key}"):
        st.markdown("**Save to history**")
        notes = st.text_input("Notes (optional)", key=f"notes_{key}")
        keep = st.checkbox(
            "Also keep a copy of the video",
            key=f"keep_{key}",
            help="Off by default: only the figures are saved unless you ask.",
        )
        if not st.form_submit_button("Save to history"):
            return
    try:
        record_id, who = save(analysis, notes, keep)
    except InputError as err:
        st.error(str(err))
        return
    ss.saved[side] = (record_id, who)
    st.rerun()  # the confirmation replaces the form: the same result cannot be saved twice


def peak_fields(analysis: al.ClipAnalysis) -> PeakRecordFields:
    """What a saved test keeps besides its figures, so its PDF report can be made again from the history:
    the ± of each figure, the knee-ankle line and a crop of the annotated peak frame."""
    image = al.decode_png(analysis.peak_png) if analysis.peak_png else None
    return record_fields(analysis.measurement, image)  # the PDF's own rules for what it needs


def save(analysis: al.ClipAnalysis, notes: str, keep_video: bool) -> tuple[int, str]:
    """Add the result to the history file; returns the entry's id and the person. Raises InputError."""
    now = datetime.now(UTC)
    video_path = None
    source = state().sources.get(analysis.measurement.side)
    if keep_video and source is not None:
        video_path = str(al.keep_video_copy(source.data, db_path().parent / "videos", source.name, now))
    record = al.record_from_analysis(analysis, person(), now, notes, video_path)
    record = dataclasses.replace(record, **peak_fields(analysis))
    with HistoryStore(db_path()) as store:
        return store.add(record), record.person
