"""Session state, the sidebar's settings and measuring a clip (cached per clip and settings).

The measuring engine (``vision.app.logic``: SciPy, the pose model) is imported when a clip is measured, not
when the first page loads.
"""

from __future__ import annotations

import dataclasses
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit import config as st_config
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from vision.advice.drills import DrillPlan, LimitFeel, plan
from vision.advice.norms import Side
from vision.app import clips as app_clips
from vision.errors import InputError
from vision.startup import VIDEO_SUFFIXES
from vision.storage import HistoryStore, default_db_path

if TYPE_CHECKING:
    from vision.app import logic as al
    from vision.pipeline import PoseRun
    from vision.results import Measurement
    from vision.scene.calibration import Paper

ROOT = Path(__file__).resolve().parents[1]
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in VIDEO_SUFFIXES]
PAPERS: dict[str, Paper | None] = {"No sheet": None, "A4 sheet": "a4", "US Letter sheet": "letter"}
LIMIT_FEELS: dict[str, LimitFeel] = {
    "A pinch at the front of the ankle": "front_pinch",
    "A pull or stretch in the calf": "calf_pull",
    "Pain in the Achilles tendon": "achilles_pain",
    "Not sure": "unsure",
}


@dataclasses.dataclass(frozen=True)
class Source:
    """A clip the person gave us (upload, sample or webcam recording), kept to re-measure and to save."""

    name: str
    data: bytes
    digest: str
    side: Side | None  # None: detect the front leg
    origin: str  # "upload", "sample" or "webcam"


def state() -> Any:
    ss = st.session_state
    ss.setdefault("sources", {})  # slot ("left"/"right") -> Source
    ss.setdefault("errors", {})  # slot -> message of the last failed clip
    ss.setdefault("seen_uploads", {})  # uploader key -> (file_id, options) already handled
    ss.setdefault("saved", {})  # side -> (record id, person) saved from the current result
    return ss


def max_upload_mb() -> int:
    return int(st_config.get_option("server.maxUploadSize"))


def foot_length_cm() -> float | None:
    value = float(st.session_state.get("foot_length_cm") or 0.0)
    return value if value > 0 else None


def settings(side: Side | None) -> al.Settings:
    """The measurement settings from the sidebar, for a clip of ``side`` (None: detect it)."""
    from vision.app import logic as al

    paper = PAPERS.get(str(st.session_state.get("paper") or "No sheet"))
    marker = float(st.session_state.get("marker_size_cm") or 10.0)
    return al.Settings(side=side, foot_length_cm=foot_length_cm(), marker_size_cm=marker, paper=paper)


def db_path() -> Path:
    text = str(st.session_state.get("db_path") or "").strip()
    return Path(text).expanduser() if text else default_db_path()


def person() -> str:
    return str(st.session_state.get("person") or "").strip()


def open_store() -> HistoryStore | None:
    try:
        return HistoryStore(db_path()).open()
    except InputError as err:
        st.error(f"{err} Change the history file in the sidebar.")
        return None


def limit_feel() -> tuple[str, LimitFeel]:
    """Where the person felt the limit (set on the Drills page), as its label and its key."""
    label = str(st.session_state.get("limit_feel") or "Not sure")
    return label, LIMIT_FEELS.get(label, "unsure")


def make_plan(analyses: dict[Side, al.ClipAnalysis], feel: LimitFeel) -> DrillPlan | None:
    from vision.app.words import side_result

    left = side_result(analyses["left"].measurement) if "left" in analyses else None
    right = side_result(analyses["right"].measurement) if "right" in analyses else None
    if left is None and right is None:
        return None
    return plan(left, right, feel)


# --- Measuring (cached) -------------------------------------------------------------------------------------


class ProgressRelay:
    """Shows a cached computation's progress without the bar becoming part of the cached result.

    ``st.cache_data`` replays the elements a cached function touched; a bar created outside it cannot be
    replayed. The computation only stores a fraction here; a helper thread (with this script run's context)
    draws it, and elements touched from another thread are not recorded for replay.

    The bar is redrawn at most every :attr:`INTERVAL_S`: each redraw costs the browser a re-render, and on a
    two-core machine the browser's work competes with the measuring (every 0.1 s it cost Chromium about
    1 s of CPU over a 3 s pose pass).
    """

    INTERVAL_S = 0.5

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
        while not self._stop.wait(self.INTERVAL_S):
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


#: Share of the progress bar for the pose pass (the analysis after it has no progress of its own).
POSE_SHARE = 0.9


# A pose run keeps a few full frames (about 50 MB for a 1080p clip): a handful of clips, not hundreds. A
# resource, not data: it is never changed, so it is shared rather than copied on every hit.
@st.cache_resource(max_entries=4, show_spinner=False)
def pose_run_cached(
    clip_digest: str,
    analysis_fps: float,
    pose_tracking: bool,
    _data: bytes,
    _name: str,
    _progress: Callable[[float], None] | None = None,
) -> PoseRun:
    """The clip's pose pass, keyed on its SHA-256 and the only options it depends on (the app's defaults):
    a new side, foot length, marker size or paper re-runs only the analysis."""
    from vision.app import logic as al

    return al.pose_run(_data, _name, _progress)


# A cached result holds the annotated video at the clip's resolution: keep a handful, not hundreds.
@st.cache_data(max_entries=8, show_spinner=False)
def analyse_cached(
    clip_digest: str,
    clip_settings: al.Settings,
    _data: bytes,
    _name: str,
    _progress: Callable[[float], None] | None = None,
) -> al.ClipAnalysis:
    """Keyed on the clip's SHA-256 and the settings: the same clip with the same settings is measured once,
    and other settings of the same clip re-use its pose pass (:func:`pose_run_cached`).
    The annotated video is left out (:func:`annotated_video_cached` renders it when asked for)."""
    from vision.app import logic as al

    options = clip_settings.options()

    def pose_progress(fraction: float) -> None:
        if _progress is not None:
            _progress(POSE_SHARE * fraction)

    run = pose_run_cached(
        clip_digest, options.analysis_fps, options.pose_tracking, _data, _name, pose_progress
    )
    return al.analyse_clip(_data, _name, clip_settings, _progress, with_video=False, pose=run)


@st.cache_data(max_entries=4, show_spinner="Drawing the annotated video…")
def annotated_video_cached(
    clip_digest: str, clip_settings: al.Settings, _data: bytes, _name: str, _measurement: Measurement
) -> bytes:
    """The annotated video of a measured clip, keyed as its measurement."""
    from vision.app import logic as al

    return al.annotated_video(_data, _name, _measurement)


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


def forget_side(side: str) -> None:
    """Drop a side's clip and its saved mark: a failed new clip for a slot replaces the old result."""
    ss = state()
    ss.sources.pop(side, None)
    ss.saved.pop(side, None)


def add_source(source: Source, slot: str) -> al.ClipAnalysis | None:
    """Measure a new clip and keep it under the side it measured (or ``slot`` if it failed)."""
    ss = state()
    try:
        app_clips.check_upload(source.name, len(source.data), max_upload_mb())
    except InputError as err:
        ss.errors[slot] = str(err)
        forget_side(slot)
        return None
    result = try_analyse(source, slot)
    if result is None:
        forget_side(slot)
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


@st.cache_data(max_entries=8, show_spinner="Checking the first 3 s…")
def setup_check_cached(clip_digest: str, _data: bytes, _name: str) -> list[str]:
    """What to fix in the filming set-up (the app's words), from a clip's first seconds; [] when fine."""
    suffix = Path(_name).suffix.lower() or ".mp4"
    with tempfile.TemporaryDirectory(prefix="dorsiflex-check-") as tmp:
        clip = Path(tmp) / f"check{suffix}"
        clip.write_bytes(_data)
        from vision.app import logic as al
        from vision.app.words import app_words

        return [app_words(issue) for issue in al.setup_check(clip)]
