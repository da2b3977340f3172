"""dorsiflex web app: measure the weight-bearing lunge (knee-to-wall) test from a video, in the browser.

Run with ``streamlit run app.py``. This file holds widgets, layout and caching only: every figure, image and
chart row comes from ``vision`` (mostly ``vision.app_logic``), which is tested without Streamlit.
Nothing here makes a network call: WebRTC runs on the loopback without STUN servers, charts are drawn by
the Vega library bundled with Streamlit, and usage statistics are off (``.streamlit/config.toml``).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import queue
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import config as st_config
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from vision import app_logic as al
from vision.calibration import Paper
from vision.drills import CATEGORY_ORDER, DISCLAIMER, DrillPlan, LimitFeel, plan
from vision.errors import InputError
from vision.landmarks import Side
from vision.marker import marker_pdf, max_size_cm
from vision.norms import ASYMMETRY_CM, ASYMMETRY_DEG, MDC_CM, MDC_DEG, REFERENCES
from vision.report import ReportInput, build_report
from vision.storage import ANGLE_KIND_WORDS, HistoryStore, MeasurementRecord, default_db_path, trend
from vision.video import VIDEO_SUFFIXES, limit_heap_growth

ROOT = Path(__file__).resolve().parent
PAGES = ("Measure", "Live camera", "Left vs right", "Drills", "History", "Report")
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in VIDEO_SUFFIXES]
LIMIT_FEELS: dict[str, LimitFeel] = {
    "A pinch at the front of the ankle": "front_pinch",
    "A pull or stretch in the calf": "calf_pull",
    "Pain in the Achilles tendon": "achilles_pain",
    "Not sure": "unsure",
}
CATEGORY_TITLES = {"soft_tissue": "1. Soft tissue", "joint": "2. Joint", "loading": "3. Loading"}
SIDE_COLOURS = alt.Scale(domain=["left", "right"], range=["#1f77b4", "#ff7f0e"])
STATUS_COLOURS = alt.Scale(domain=["valid", "not counted"], range=["#2e7d32", "#c62828"])


@dataclasses.dataclass(frozen=True)
class Source:
    """A clip the person gave us (upload, sample or webcam recording), kept to re-measure and to save."""

    name: str
    data: bytes
    digest: str
    side: Side | None  # None: detect the front leg
    origin: str  # "upload", "sample" or "webcam"


# --- State, settings ----------------------------------------------------------------------------------------


def state() -> Any:
    ss = st.session_state
    ss.setdefault("sources", {})  # slot ("left"/"right") -> Source
    ss.setdefault("errors", {})  # slot -> message of the last failed clip
    ss.setdefault("seen_uploads", {})  # uploader key -> (file_id, options) already handled
    ss.setdefault("saved", {})  # side -> record id saved from the current result
    return ss


def max_upload_mb() -> int:
    return int(st_config.get_option("server.maxUploadSize"))


def foot_length_cm() -> float | None:
    value = float(st.session_state.get("foot_length_cm") or 0.0)
    return value if value > 0 else None


PAPERS: dict[str, Paper | None] = {"No sheet": None, "A4 sheet": "a4", "US Letter sheet": "letter"}


def settings(side: Side | None) -> al.Settings:
    """The measurement settings from the sidebar, for a clip of ``side`` (None: detect it)."""
    paper = PAPERS.get(str(st.session_state.get("paper") or "No sheet"))
    marker = float(st.session_state.get("marker_size_cm") or 10.0)
    return al.Settings(side=side, foot_length_cm=foot_length_cm(), marker_size_cm=marker, paper=paper)


def db_path() -> Path:
    text = str(st.session_state.get("db_path") or "").strip()
    return Path(text).expanduser() if text else default_db_path()


def person() -> str:
    return str(st.session_state.get("person") or "").strip()


# --- Measuring (cached) -------------------------------------------------------------------------------------


class ProgressRelay:
    """Shows a cached computation's progress without the bar becoming part of the cached result.

    ``st.cache_data`` replays the elements a cached function touched; a bar created outside it cannot be
    replayed. The computation only stores a fraction here; a helper thread (with this script run's context)
    draws it, and elements touched from another thread are not recorded for replay.
    """

    def __init__(self, label: str) -> None:
        self._bar = st.progress(0.0, text=label)
        self._label = label
        self._value = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        add_script_run_ctx(self._thread, get_script_run_ctx())

    def __call__(self, fraction: float) -> None:
        self._value = fraction

    def _loop(self) -> None:
        shown = -1.0
        while not self._stop.wait(0.1):
            value = self._value
            if value != shown:
                self._bar.progress(min(max(value, 0.0), 1.0), text=f"{self._label} {value:.0%}")
                shown = value

    def __enter__(self) -> ProgressRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._bar.empty()


# A cached result holds the annotated video at the clip's resolution: keep a handful, not hundreds.
@st.cache_data(max_entries=8, show_spinner=False)
def analyse_cached(
    clip_digest: str,
    clip_settings: al.Settings,
    _data: bytes,
    _name: str,
    _progress: Callable[[float], None] | None = None,
) -> al.ClipAnalysis:
    """Keyed on the clip's SHA-256 and the settings: the same clip with the same settings is measured once."""
    return al.analyse_clip(_data, _name, clip_settings, _progress)


def analyse(source: Source) -> al.ClipAnalysis:
    """Measure a clip (or fetch it from the cache) with a progress bar. Raises InputError."""
    with ProgressRelay(f"Measuring {source.name}…") as relay:
        result = analyse_cached(source.digest, settings(source.side), source.data, source.name, relay)
    return dataclasses.replace(result, clip_name=source.name)


def try_analyse(source: Source, slot: str) -> al.ClipAnalysis | None:
    """`analyse`, with any failure shown as a message under ``slot`` (the app keeps working)."""
    ss = state()
    try:
        result = analyse(source)
    except InputError as err:
        message = str(err)
        ss.errors[slot] = message if source.name in message else f"{source.name}: {message}"
        return None
    except Exception as err:  # noqa: BLE001 - any failure on one clip must not take the app down
        ss.errors[slot] = (
            f"{source.name} could not be measured ({type(err).__name__}: {err}). Try another clip."
        )
        return None
    ss.errors.pop(slot, None)
    return result


def add_source(source: Source, slot: str) -> al.ClipAnalysis | None:
    """Measure a new clip and keep it under the side it measured (or ``slot`` if it failed)."""
    ss = state()
    try:
        al.check_upload(source.name, len(source.data), max_upload_mb())
    except InputError as err:
        ss.errors[slot] = str(err)
        return None
    result = try_analyse(source, slot)
    if result is None:
        return None
    side = result.measurement.side
    ss.sources[side] = source
    ss.saved.pop(side, None)
    if slot != side:
        ss.errors.pop(side, None)
    return result


def current_analyses() -> dict[Side, al.ClipAnalysis]:
    """The measured sides with the current settings (cache hits unless the foot length changed)."""
    ss = state()
    out: dict[Side, al.ClipAnalysis] = {}
    for side, source in list(ss.sources.items()):
        result = try_analyse(source, side)
        if result is None:
            del ss.sources[side]
        else:
            out[result.measurement.side] = result
    ss.analyses = out  # what the pages show (also read by the tests)
    return out


# --- Sidebar ------------------------------------------------------------------------------------------------


def sidebar() -> str:
    with st.sidebar:
        st.title("dorsiflex")
        st.caption("Ankle dorsiflexion from a side-on video of the knee-to-wall lunge.")
        page = st.radio("Page", PAGES, key="page")
        st.divider()
        st.text_input("Person", key="person", value="Me", help="Whose ankles these are (for the history).")
        st.number_input(
            "Foot length, cm (optional)",
            min_value=0.0,
            max_value=40.0,
            step=0.5,
            key="foot_length_cm",
            help="Heel-to-toe length of the filmed foot (or shoe). Gives the knee-to-wall distance in cm; "
            "0 = angle only.",
        )
        with st.expander("Marker or sheet on the floor"):
            st.number_input(
                "ArUco marker size, cm",
                min_value=2.0,
                max_value=40.0,
                value=10.0,
                step=0.5,
                key="marker_size_cm",
                help="Side of the printed marker's black square.",
            )
            size_cm = float(st.session_state.get("marker_size_cm") or 10.0)
            if size_cm > max_size_cm():
                st.caption(
                    f"A {size_cm:g} cm marker does not fit on A4: print one of {max_size_cm():.0f} cm or less"
                )
            st.download_button(
                f"Printable marker ({size_cm:g} cm, A4 PDF)",
                data=functools.partial(marker_pdf, size_cm),  # drawn only when clicked
                file_name=f"dorsiflex-marker-{size_cm:g}cm.pdf",
                mime="application/pdf",
                on_click="ignore",
                disabled=size_cm > max_size_cm(),
                help="Print at 100 % (no 'fit to page'), check the black square with a ruler, and lay it "
                "flat beside the front foot, its edges parallel to the foot.",
            )
            st.radio(
                "Sheet of paper",
                tuple(PAPERS),
                key="paper",
                help="A sheet lying beside the foot gives the scale; a side view cannot tell A4 from Letter.",
            )
        st.text_input(
            "History file",
            key="db_path",
            value=str(default_db_path()),
            help="SQLite file for saved measurements (DORSIFLEX_DB sets the default).",
        )
    return str(page)


# --- Charts -------------------------------------------------------------------------------------------------


def angle_chart(analyses: dict[Side, al.ClipAnalysis], colour_by_side: bool) -> alt.LayerChart:
    """Shin angle over time with each rep's span and peak; valid reps green, rejected ones red."""
    frames = pd.DataFrame([row for a in analyses.values() for row in al.angle_rows(a.measurement)])
    reps = pd.DataFrame([row for a in analyses.values() for row in al.rep_rows(a.measurement)])
    x = alt.X("time_s:Q", title="time (s)")
    if colour_by_side:
        colour: Any = alt.Color("side:N", scale=SIDE_COLOURS, title="side")
        dots: Any = alt.Color("side:N", scale=SIDE_COLOURS, legend=None)
    else:
        colour = dots = alt.value("#1f4e8c")
    raw = alt.Chart(frames).mark_circle(size=14, opacity=0.35).encode(x=x, y=alt.Y("angle_deg:Q"), color=dots)
    line = (
        alt.Chart(frames)
        .mark_line(strokeWidth=2)
        .encode(
            x=x, y=alt.Y("smooth_deg:Q", title="shin angle from vertical (°)"), color=colour, detail="side:N"
        )
    )
    layers: list[Any] = [raw, line]
    if not reps.empty:
        reps = reps.assign(
            kind=["valid" if v else "not counted" for v in reps["valid"]],
            label=[
                f"rep {r}" + (" ★" if best else "")
                for r, best in zip(reps["rep"], reps["result"], strict=True)
            ],
        )
        status = alt.Color("kind:N", scale=STATUS_COLOURS, title="rep")
        spans = alt.Chart(reps).mark_rect(opacity=0.12).encode(alt.X("start_s:Q"), alt.X2("end_s:Q"), status)
        tooltip = ["side:N", "rep:Q", "status:N", alt.Tooltip("peak_deg:Q", format=".1f")]
        peaks = (
            alt.Chart(reps)
            .mark_point(shape="triangle-down", size=140, filled=True)
            .encode(alt.X("peak_s:Q"), alt.Y("peak_deg:Q"), status, tooltip=tooltip)
        )
        labels = (
            alt.Chart(reps)
            .mark_text(dy=-14, fontSize=11)
            .encode(alt.X("peak_s:Q"), alt.Y("peak_deg:Q"), alt.Text("label:N"))
        )
        layers = [spans, *layers, peaks, labels]
    return alt.layer(*layers).resolve_scale(color="independent").properties(height=300)


def trend_chart(rows: list[dict[str, Any]], band: al.Band | None, title: str) -> alt.LayerChart:
    data = pd.DataFrame(rows)
    x = alt.X("date:T", title="date", axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30))
    layers: list[Any] = []
    if band is not None:
        band_df = pd.DataFrame([{"low": band.low, "high": band.high, "baseline": band.baseline}])
        layers.append(
            alt.Chart(band_df).mark_rect(opacity=0.18, color="#1f77b4").encode(y="low:Q", y2="high:Q")
        )
        layers.append(alt.Chart(band_df).mark_rule(strokeDash=[4, 4]).encode(y="baseline:Q"))
    tooltip = ["date:T", alt.Tooltip("shin_angle_deg:Q", format=".1f"), "change_deg:Q", "real_change:N"]
    layers.append(alt.Chart(data).mark_line().encode(x, alt.Y("shin_angle_deg:Q", title="shin angle (°)")))
    layers.append(
        alt.Chart(data)
        .mark_point(filled=True, size=80)
        .encode(
            x,
            alt.Y("shin_angle_deg:Q"),
            alt.Color(
                "real_change:N",
                scale=alt.Scale(domain=[False, True], range=["#1f77b4", "#c62828"]),
                title="beyond MDC",
            ),
            tooltip=tooltip,
        )
    )
    return alt.layer(*layers).properties(height=240, title=title)


# --- Result of one side -------------------------------------------------------------------------------------


def show_result(analysis: al.ClipAnalysis, key: str) -> None:
    m = analysis.measurement
    with st.container(border=True):
        st.subheader(f"{al.side_label(m.side)} — {analysis.clip_name}")
        show_side_mismatch(analysis, key)
        if not al.has_result(m):
            show_no_result(analysis, key)
            return
        head = al.headline(m, analysis.foot_length_cm)
        if m.warnings or any(not rep.valid for rep in m.reps):
            with st.expander(f"Notes on this clip ({len(al.plain_warnings(m))})"):
                for warning in al.plain_warnings(m):
                    st.markdown(f"- {warning}")
        show_figures(analysis, head)
        result = al.side_result(m)
        if result is not None:
            summary = al.norms_summary(result)
            st.info(summary.text, icon="📏")  # a finding, not an error: neutral styling
            with st.expander("References"):
                for reference in summary.references:
                    st.caption(reference)
        left, right = st.columns([3, 2])
        with left:
            show_reps(analysis)
        with right:
            st.image(analysis.peak_png, caption="Deepest valid rep: the result", width="stretch")
        show_downloads(analysis, key)
        save_form(analysis, key)


def show_figures(analysis: al.ClipAnalysis, head: al.Headline) -> None:
    m = analysis.measurement
    cols = st.columns(3)
    cols[0].metric(
        "Shin angle",
        al.format_angle_pm(head.shin_angle_deg, head.shin_angle_uncertainty_deg),
        help=al.SHIN_ANGLE_HELP,
    )
    cols[1].metric(
        "Knee over toe",
        al.format_cm(head.knee_over_toe_cm, head.knee_over_toe_uncertainty_cm),
        help="How far the front of the knee travels past the toes with the heel down (+ = past the toes)",
    )
    cols[2].metric("Reps counted", f"{head.valid_reps} of {head.total_reps}")
    st.caption(
        f"{al.shin_angle_words(head)} Tibia axis (knee-ankle line, as motion capture reports it): "
        f"{al.format_angle_pm(head.tibia_axis_deg, head.tibia_axis_uncertainty_deg)}."
    )
    if m.leg_choice:
        st.caption(f"Leg measured: {m.leg_choice}")
    words = al.knee_position_words(head.knee_over_toe_cm, head.knee_over_toe_foot_ratio)
    st.markdown(f"**Scale from:** {head.scale_source} · {words.capitalize()}")
    st.caption(f"Camera: {al.camera_words(m)}")
    if head.toe_to_wall_cm is not None:
        reached = "the knee reached the wall" if head.knee_reached_wall else "the knee stopped short of it"
        st.markdown(
            f"**Toe to wall:** {al.format_cm(head.toe_to_wall_cm, head.toe_to_wall_uncertainty_cm)}"
            f" — {reached}"
        )


def show_reps(analysis: al.ClipAnalysis) -> None:
    m = analysis.measurement
    st.altair_chart(angle_chart({m.side: analysis}, colour_by_side=False), width="stretch")
    st.dataframe(
        pd.DataFrame(al.rep_table(m)),
        hide_index=True,
        width="stretch",
    )


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
            for note in notes:
                st.markdown(f"- {note}")
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
    with st.expander("Annotated video"):
        st.video(analysis.annotated_mp4)
    stem = Path(analysis.clip_name).stem or "clip"
    d1, d2 = st.columns(2)
    d1.download_button(
        "Download annotated video",
        analysis.annotated_mp4,
        file_name=f"{stem}_{m.side}_annotated.mp4",
        mime="video/mp4",
        key=f"dl_video_{key}",
        on_click="ignore",
    )
    d2.download_button(
        "Download per-frame CSV",
        analysis.frames_csv,
        file_name=f"{stem}_{m.side}_frames.csv",
        mime="text/csv",
        key=f"dl_csv_{key}",
        on_click="ignore",
    )


def save_form(analysis: al.ClipAnalysis, key: str) -> None:
    ss = state()
    side = analysis.measurement.side
    if not al.has_result(analysis.measurement):
        return  # nothing to save: the clip has no result
    if side in ss.saved:
        st.success(f"Saved to the history of {ss.saved[side][1]} (entry #{ss.saved[side][0]}).")
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
    now = datetime.now(UTC)
    try:
        video_path = None
        source = ss.sources.get(side)
        if keep and source is not None:
            video_path = str(al.keep_video_copy(source.data, db_path().parent / "videos", source.name, now))
        record = al.record_from_analysis(analysis, person(), now, notes, video_path)
        with HistoryStore(db_path()) as store:
            record_id = store.add(record)
    except InputError as err:
        st.error(str(err))
        return
    ss.saved[side] = (record_id, record.person)
    st.success(f"Saved to the history of {record.person} (entry #{record_id}).")


# --- Pages --------------------------------------------------------------------------------------------------


FILMING_GUIDE = """
**Before filming** (about 1 minute):
1. **Camera at shin height**, 2-3 m away, **side-on** to the tested (front) leg — not from the front.
2. **Whole foot and knee in the picture** the whole time; shorts or tight trousers help.
3. A **marker or an A4 sheet on the floor beside the foot, its edges parallel to the foot** (or enter your
   foot length in the sidebar) gives centimetres, and how far the camera is turned from side-on; without it
   you get the angle only.
4. Face the wall, front foot a hand's width from it, **heel down**. Rock the knee slowly forward toward the
   wall and back, **2-3 times**, holding the deepest point for a second. Keep the heel on the floor.
5. Film 5-15 s. Landscape or portrait, mov or mp4 (HEVC is fine).
"""


def page_measure() -> None:
    ss = state()
    st.header("Measure")
    st.markdown(
        "Film the knee-to-wall lunge side-on and upload the clip: one clip per ankle, or one clip and say "
        "which ankle it is. **On a phone: tap *Upload*, then the camera (*Take video* or *Camcorder*)** to "
        "film straight from the browser."
    )
    with st.expander("How to film (read this first)", expanded=not ss.sources):
        st.markdown(FILMING_GUIDE)
        setup_check_box()
    samples = al.sample_clips(ROOT)
    if samples and st.button("Try the sample clips", type="primary" if not ss.sources else "secondary"):
        for sample in samples:
            data = sample.path.read_bytes()
            add_source(Source(sample.path.name, data, al.digest(data), sample.side, "sample"), sample.side)
    if ss.sources and st.button("Clear all results", help="Forget this session's clips (the history stays)."):
        for key in ("sources", "errors", "saved", "analyses"):
            ss[key] = {}
    mode = st.radio("Clips", ("One clip per side", "One clip, I pick the side"), horizontal=True, key="mode")
    help_text = f"mp4, mov, m4v, avi, webm or mkv, up to {max_upload_mb()} MB. Trim long clips to the test."
    if mode == "One clip per side":
        cols = st.columns(2)
        uploads: list[tuple[str, Any, Side | None]] = [
            (
                "left",
                cols[0].file_uploader("Left ankle clip", type=UPLOAD_TYPES, key="up_left", help=help_text),
                "left",
            ),
            (
                "right",
                cols[1].file_uploader("Right ankle clip", type=UPLOAD_TYPES, key="up_right", help=help_text),
                "right",
            ),
        ]
    else:
        cols = st.columns([3, 2])
        upload = cols[0].file_uploader("Clip", type=UPLOAD_TYPES, key="up_one", help=help_text)
        choice = cols[1].selectbox("Tested ankle (the front leg)", ("Detect automatically", "left", "right"))
        side: Side | None = None if choice == "Detect automatically" else choice  # type: ignore[assignment]
        uploads = [(side or "one", upload, side)]
    for slot, upload, side_override in uploads:
        if upload is None:
            if ss.seen_uploads.pop(slot, None) is not None:
                ss.errors.pop(slot, None)  # the clip that failed was removed: so is its message
            continue
        seen_key = (upload.file_id, side_override)
        if ss.seen_uploads.get(slot) == seen_key:
            continue
        ss.seen_uploads[slot] = seen_key
        try:
            al.check_upload(upload.name, upload.size, max_upload_mb())  # before reading a huge file
        except InputError as err:
            ss.errors[slot] = str(err)
            continue
        data = upload.getvalue()
        add_source(Source(upload.name, data, al.digest(data), side_override, "upload"), slot)
    analyses = current_analyses()
    for message in ss.errors.values():
        st.error(message)
    if not analyses:
        st.info(
            "No result yet: upload a clip, film one on the **Live camera** page, or try the sample clips."
        )
        return
    for side in al.SIDES:
        if side in analyses:
            show_result(analyses[side], side)
    if len(analyses) == 2:
        st.info("Both ankles measured: see **Left vs right**, **Drills** and **Report** in the sidebar.")


def setup_check_box() -> None:
    st.markdown("**Check your set-up first** (optional): film 3 s of the start position and upload it.")
    upload = st.file_uploader("Set-up clip (first 3 s are checked)", type=UPLOAD_TYPES, key="up_check")
    if upload is None:
        return
    try:
        al.check_upload(upload.name, upload.size, max_upload_mb())
        issues = setup_check_cached(al.digest(upload.getvalue()), upload.getvalue(), upload.name)
    except InputError as err:
        st.error(str(err))
        return
    if issues:
        st.warning("Fix this before filming the test:\n\n" + "\n".join(f"- {issue}" for issue in issues))
    else:
        st.success("Set-up looks good: person found, front foot and knee in view, camera side-on.")


@st.cache_data(max_entries=8, show_spinner="Checking the first 3 s…")
def setup_check_cached(clip_digest: str, _data: bytes, _name: str) -> list[str]:
    import tempfile

    suffix = Path(_name).suffix.lower() or ".mp4"
    with tempfile.TemporaryDirectory(prefix="dorsiflex-check-") as tmp:
        clip = Path(tmp) / f"check{suffix}"
        clip.write_bytes(_data)
        return al.setup_check(clip)


def page_live() -> None:
    ss = state()
    st.header("Live camera")
    st.markdown(
        "Put the camera side-on at shin height, press **START**, step into the lunge and rock 2-3 times: the "
        "skeleton, shin line and angle follow you live. Press **STOP** when done: the recording is measured "
        "exactly like an uploaded clip."
    )
    with st.expander("How to film"):
        st.markdown(FILMING_GUIDE)
    choice = st.selectbox(
        "Tested ankle (the front leg)", ("Detect automatically", "left", "right"), key="live_side"
    )
    side: Side | None = None if choice == "Detect automatically" else choice  # type: ignore[assignment]
    recorder: al.LiveRecorder = ss.setdefault("live_recorder", al.LiveRecorder())
    recorder.side = side
    ctx = live_streamer(recorder)
    playing = bool(ctx is not None and ctx.state.playing)
    if not playing:
        if recorder.recording:
            recorder.finish()  # the stream stopped; on_video_ended may not have run yet
        collect_recording(recorder, side)
    status_box = st.empty()
    while playing and ctx is not None and ctx.state.playing:
        try:
            status = recorder.status.get(timeout=1.0)
        except queue.Empty:
            # An element call on every pass lets Streamlit stop this loop when STOP triggers a rerun.
            status_box.markdown("Waiting for the camera…")
            continue
        hints = " · ".join(status.hints) or "set-up looks good"
        status_box.markdown(
            f"**Recording** {status.seconds_recorded:.0f} s · "
            f"shin {al.format_angle(status.shin_angle_deg)} · "
            f"{status.fps:.0f} fps · {hints}"
        )
    live_result = ss.get("live_result_side")
    analyses = current_analyses()
    for message in ss.errors.values():
        st.error(message)
    if live_result in analyses:
        show_result(analyses[live_result], f"live_{live_result}")


def live_streamer(recorder: al.LiveRecorder) -> Any:
    if st_config.get_option("global.appTest"):
        # Under streamlit.testing the WebRTC component has no server to talk to; the page's logic (what
        # happens to a finished recording) is tested by putting a clip into the recorder's queue.
        st.caption("Live camera: not available in this test run.")
        return None
    try:
        import av
        from streamlit_webrtc import WebRtcMode, webrtc_streamer
    except ImportError:  # pragma: no cover - both are dependencies
        st.error("The live camera needs streamlit-webrtc: pip install streamlit-webrtc")
        return None

    def on_frame(frame: av.VideoFrame) -> av.VideoFrame:
        image = frame.to_ndarray(format="bgr24")
        drawn = recorder.process(image, frame.time)
        return av.VideoFrame.from_ndarray(drawn, format="bgr24")

    def on_ended() -> None:
        recorder.finish()

    return webrtc_streamer(
        key="live",
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": []},  # loopback only: no STUN/TURN server, no network call
        media_stream_constraints={
            "video": {"width": {"ideal": 640}, "height": {"ideal": 480}},
            "audio": False,
        },
        video_frame_callback=on_frame,
        on_video_ended=on_ended,
        async_processing=True,
    )


def collect_recording(recorder: al.LiveRecorder, side: Side | None) -> None:
    """Measure a finished live recording (it arrives through the recorder's queue)."""
    ss = state()
    while True:
        try:
            path = recorder.finished.get_nowait()
        except queue.Empty:
            return
        if path is None or not path.is_file():
            continue
        try:
            data = path.read_bytes()
        finally:
            al.discard_recording(path)
        name = f"webcam_{datetime.now().strftime('%Y%m%d_%H%M%S')}.mp4"
        result = add_source(Source(name, data, al.digest(data), side, "webcam"), side or "live")
        if result is not None:
            ss["live_result_side"] = result.measurement.side


def page_compare() -> None:
    st.header("Left vs right")
    analyses = current_analyses()
    if len(analyses) < 2:
        missing = [side for side in al.SIDES if side not in analyses]
        st.info(f"Measure both ankles first (missing: {', '.join(missing)}) on the **Measure** page.")
        return
    left, right = analyses["left"], analyses["right"]
    comparison = al.compare(left.measurement, right.measurement)
    if comparison is None:
        st.warning("One side has no valid result to compare.")
        return
    diff = comparison.asymmetry
    cols = st.columns(3)
    cols[0].metric("Difference in shin angle", f"{al.round_half(diff.diff_deg):.1f}°")
    cols[1].metric("Difference in knee over toe", "n/a" if diff.diff_cm is None else f"{diff.diff_cm:.1f} cm")
    cols[2].metric("Stiffer side", diff.stiffer_side or "neither")
    st.info(comparison.text, icon="↔️")  # a finding, not an error: neutral styling
    st.caption(
        f"A side-to-side difference counts when it exceeds {ASYMMETRY_DEG:g}° or {ASYMMETRY_CM:g} cm "
        "(minimal detectable change)."
    )
    pair = al.side_by_side(
        al.PairSide(al.decode_png(left.peak_raw_png), left.measurement),
        al.PairSide(al.decode_png(right.peak_raw_png), right.measurement),
    )
    st.image(
        al.png_bytes(pair),
        caption="Both deepest lunges at the same scale, mirrored to face the same way",
        width="stretch",
    )
    st.altair_chart(angle_chart(analyses, colour_by_side=True), width="stretch")


def page_drills() -> None:
    st.header("Drills")
    st.info(DISCLAIMER)
    analyses = current_analyses()
    if not analyses:
        st.info("Measure at least one ankle first on the **Measure** page.")
        return
    label = st.radio(
        "Where did you feel the limit at the deepest lunge?",
        tuple(LIMIT_FEELS),
        index=tuple(LIMIT_FEELS.values()).index("unsure"),
        key="limit_feel",
    )
    drill_plan = make_plan(analyses, LIMIT_FEELS[str(label)])
    if drill_plan is None:
        st.warning("No valid result to plan from.")
        return
    for side, band in drill_plan.classification_by_side:
        st.markdown(f"- **{side.capitalize()} ankle:** {al.BAND_WORDS[band]}")
    with st.expander("Why this plan", expanded=True):
        for reason in drill_plan.rationale:
            st.markdown(f"- {reason}")
    for category in CATEGORY_ORDER:
        items = [item for item in drill_plan.items if item.drill.category == category]
        if not items:
            continue
        st.subheader(CATEGORY_TITLES[category])
        for item in items:
            sets = ", ".join(f"{s} {n} set{'s' if n != 1 else ''}" for s, n in item.sets_by_side)
            with st.expander(f"{item.drill.name} — {sets} x {item.dose}"):
                st.markdown(f"*{item.drill.purpose}*")
                st.markdown(f"**Set-up:** {item.drill.setup}")
                st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(item.drill.steps, start=1)))
                for caution in item.drill.cautions:
                    st.caption(f"⚠️ {caution}")


def make_plan(analyses: dict[Side, al.ClipAnalysis], feel: LimitFeel) -> DrillPlan | None:
    left = al.side_result(analyses["left"].measurement) if "left" in analyses else None
    right = al.side_result(analyses["right"].measurement) if "right" in analyses else None
    if left is None and right is None:
        return None
    return plan(left, right, feel)


def open_store() -> HistoryStore | None:
    try:
        return HistoryStore(db_path()).open()
    except InputError as err:
        st.error(f"{err} Change the history file in the sidebar.")
        return None


def page_history() -> None:
    st.header("History")
    store = open_store()
    if store is None:
        return
    try:
        history_body(store)
    finally:
        store.close()


def history_body(store: HistoryStore) -> None:
    st.caption(f"History file: {store.path}")
    people = store.people()
    if not people:
        st.info("Nothing saved yet: measure a clip and press **Save to history**.")
        return
    default = people.index(person()) if person() in people else 0
    who = st.selectbox("Person", people, index=default, key="history_person")
    records = store.list(person=who)
    st.dataframe(pd.DataFrame(al.history_rows(records)), hide_index=True, width="stretch")
    cols = st.columns(2)
    for col, side in zip(cols, al.SIDES, strict=True):
        with col:
            kinds = al.angle_kinds(records, side)
            if not kinds:
                st.caption(f"No {side} measurements yet.")
            for kind in kinds:  # one trend per kind of angle: the two are never compared
                side_trend = trend(records, side, angle_kind=kind)
                title = f"{side.capitalize()} ankle — {ANGLE_KIND_WORDS[kind]}"
                st.altair_chart(
                    trend_chart(al.trend_rows(side_trend), al.mdc_band(side_trend), title), width="stretch"
                )
                st.caption(al.mdc_words(side_trend))
                note = al.kind_note(side_trend)
                if note and kind == kinds[0]:
                    st.caption(note)
    st.caption(
        f"Shaded band: first measurement ± {MDC_DEG:g}° (minimal detectable change, Powden 2015). "
        f"Distances: ± {MDC_CM:g} cm."
    )
    buffer = io.StringIO()
    store.export_csv(buffer, person=who)
    st.download_button(
        f"Export {who}'s history (CSV)",
        buffer.getvalue().encode("utf-8"),
        file_name=f"dorsiflex_history_{who}.csv",
        mime="text/csv",
        on_click="ignore",
    )
    edit_box(store, records)


def edit_box(store: HistoryStore, records: list[MeasurementRecord]) -> None:
    st.subheader("Edit or delete an entry")
    by_id = {r.id: r for r in records if r.id is not None}
    chosen = st.selectbox(
        "Entry",
        list(by_id),
        format_func=lambda i: (
            f"#{i} {by_id[i].measured_at.astimezone():%Y-%m-%d %H:%M} {by_id[i].side} "
            f"{by_id[i].shin_angle_deg:.1f}°"
        ),
        key="edit_id",
    )
    if chosen is None:
        return
    record = by_id[chosen]
    with st.form(f"edit_{chosen}"):
        c1, c2, c3 = st.columns(3)
        new_person = c1.text_input("Person", value=record.person, key=f"edit_{chosen}_person")
        new_date = c2.date_input(
            "Date", value=record.measured_at.astimezone().date(), key=f"edit_{chosen}_date"
        )
        new_side = c3.selectbox(
            "Side", al.SIDES, index=al.SIDES.index(record.side), key=f"edit_{chosen}_side"
        )
        c4, c5 = st.columns(2)
        new_angle = c4.number_input(
            "Shin angle (°)", value=float(record.shin_angle_deg), step=0.1, key=f"edit_{chosen}_angle"
        )
        cm_text = c5.text_input(
            "Knee over toe (cm, empty if unknown)",
            value="" if record.knee_over_toe_cm is None else f"{record.knee_over_toe_cm:.1f}",
            key=f"edit_{chosen}_cm",
        )
        new_notes = st.text_input("Notes", value=record.notes, key=f"edit_{chosen}_notes")
        submitted = st.form_submit_button("Save changes")
    if submitted:
        try:
            knee_cm = float(cm_text) if cm_text.strip() else None
        except ValueError:
            st.error(f"'{cm_text}' is not a number of centimetres.")
            return
        measured_at = record.measured_at
        if isinstance(new_date, date) and new_date != measured_at.astimezone().date():
            local = measured_at.astimezone()
            measured_at = local.replace(year=new_date.year, month=new_date.month, day=new_date.day)
        try:
            store.update(
                chosen,
                person=new_person.strip() or record.person,
                measured_at=measured_at,
                side=new_side,
                shin_angle_deg=float(new_angle),
                knee_over_toe_cm=knee_cm,
                notes=new_notes,
            )
        except (ValueError, KeyError, InputError) as err:
            st.error(f"Could not save the change: {err}")
            return
        st.session_state["history_message"] = f"Entry #{chosen} updated."
        st.rerun()
    confirm = st.checkbox(f"Yes, delete entry #{chosen}", key=f"confirm_delete_{chosen}")
    if st.button("Delete entry", disabled=not confirm, key=f"delete_{chosen}"):
        try:
            removed = store.delete(chosen)
        except KeyError:
            st.error(f"Entry #{chosen} was already deleted.")
            return
        if removed.video_path:
            Path(removed.video_path).unlink(missing_ok=True)
        st.session_state["history_message"] = f"Entry #{chosen} deleted."
        st.rerun()


def page_report() -> None:
    st.header("Report")
    analyses = {side: a for side, a in current_analyses().items() if al.has_result(a.measurement)}
    if not analyses:
        st.info("Measure at least one ankle with a result first on the **Measure** page.")
        return
    label = str(st.session_state.get("limit_feel") or "Not sure")
    feel = LIMIT_FEELS.get(label, "unsure")
    trends = {}
    store = open_store()
    if store is not None:
        try:
            records = store.list(person=person()) if person() else []
        finally:
            store.close()
        trends = {side: trend(records, side) for side in al.SIDES if any(r.side == side for r in records)}
    html = build_report(
        ReportInput(
            person=person(),
            created_at=datetime.now(),
            sides=analyses,
            plan=make_plan(analyses, feel),
            limit_feel=feel,
            trends=trends,
        )
    )
    st.markdown(
        "A one-page summary to print or send: both deepest lunges, the figures, the left-right difference, "
        "the trend from your history and the drill plan (limit felt: "
        f"*{label.lower()}*, change it on the **Drills** page)."
    )
    st.download_button(
        "Download the report (HTML)",
        html.encode("utf-8"),
        file_name=f"dorsiflex_report_{person() or 'session'}_{date.today():%Y%m%d}.html",
        mime="text/html",
        type="primary",
        on_click="ignore",
    )
    with st.expander("Preview", expanded=True):
        st.iframe(html, height=1100)


@st.cache_resource
def process_setup() -> bool:
    """Once per server process: one heap for all threads (see vision.video.limit_heap_growth)."""
    return limit_heap_growth()


def main() -> None:
    st.set_page_config(page_title="dorsiflex", page_icon="🦶", layout="wide")
    process_setup()
    page = sidebar()
    message = st.session_state.pop("history_message", None)
    if message:
        st.success(message)
    {
        "Measure": page_measure,
        "Live camera": page_live,
        "Left vs right": page_compare,
        "Drills": page_drills,
        "History": page_history,
        "Report": page_report,
    }[page]()
    with st.sidebar:
        st.divider()
        with st.expander("About the figures"):
            st.caption(
                "Shin angle: the shin's forward lean from vertical at the deepest heel-down lunge. "
                "Knee over toe: how far the knee passes the toes (the knee-to-wall distance)."
            )
            for reference in REFERENCES:
                st.caption(reference)


main()
