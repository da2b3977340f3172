"""What the web app computes, without Streamlit: figures, chart data, images, the live recorder, history rows.

``app.py`` holds widgets, layout and caching only; everything it shows comes from here (or from the engine),
so it can be tested without a browser or a Streamlit runtime.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import queue
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from vision import export, geometry, norms, pipeline, quality
from vision.annotate import AnnotatedVideoWriter, draw_leg
from vision.calibration import Paper
from vision.errors import InputError
from vision.landmarks import FramePose, LegLandmarks, PoseEstimator, Side
from vision.norms import (
    ASYMMETRY_CM,
    ASYMMETRY_DEG,
    BENNELL_1998,
    HEALTHY_RANGE_CM,
    HEALTHY_RANGE_DEG,
    HOCH_MCKEON_2011,
    KONOR_2012,
    POWDEN_2015,
    Asymmetry,
    Classification,
    SideResult,
    asymmetry,
    classify,
)
from vision.pipeline import MeasureOptions, measure
from vision.results import AXIS_PLUS_OFFSET, STATUS_OK, Measurement, RepResult, write_frames_csv
from vision.storage import ANGLE_KIND_WORDS, FRONT_OF_SHIN, TIBIA_AXIS, MeasurementRecord, Trend
from vision.video import VIDEO_SUFFIXES, Frame, VideoReader

ImageBGR = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]
ProgressCallback = Callable[[float], None]
Row = dict[str, Any]

SIDES: tuple[Side, Side] = ("left", "right")
DEFAULT_MAX_UPLOAD_MB = 200
SETUP_CHECK_S = 3.0
_SETUP_CHECK_FPS = 10.0
MIN_RECORDED_FRAMES = 5  # fewer live frames than this are not an attempt (e.g. one frame after STOP)
LIVE_RECORD_FPS = 15.0  # the live recording's frame rate (the measurement analyses about 15 fps anyway)
_LEG_NAMES = ("hip", "knee", "ankle", "heel", "toe")
_VIDEO_MAX_SIDE_PX = 1280  # annotated video and peak images are scaled down to this long side
_PAIR_SHIN_PX = 320.0  # shin length in the side-by-side image
_PAIR_GAP_PX = 16
_PAIR_BACKGROUND = 24


# --- Uploads ------------------------------------------------------------------------------------------------


def check_upload(name: str, size_bytes: int, max_mb: float = DEFAULT_MAX_UPLOAD_MB) -> None:
    """Refuse an upload that is too large or plainly not a video, with a one-line message."""
    limit_bytes = max_mb * 1024 * 1024
    if size_bytes > limit_bytes:
        raise InputError(
            f"{name} is {size_bytes / 1024 / 1024:.0f} MB, over the {max_mb:g} MB limit: trim the clip to "
            "the 5-15 s of the test, or film at 1080p instead of 4K"
        )
    if size_bytes == 0:
        raise InputError(f"{name} is empty: upload the video file again")
    suffix = Path(name).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        accepted = ", ".join(s.lstrip(".") for s in VIDEO_SUFFIXES)
        raise InputError(f"{name} is not a video ({accepted}): film the test and upload the clip")


def digest(data: bytes) -> str:
    """SHA-256 of a clip's bytes: with the options, the cache key of its measurement."""
    return hashlib.sha256(data).hexdigest()


# --- One clip, measured and rendered ------------------------------------------------------------------


@dataclass(frozen=True)
class ClipAnalysis:
    """A measured clip with everything the result page shows and offers for download."""

    clip_name: str
    digest: str
    foot_length_cm: float | None
    measurement: Measurement
    peak_png: (
        bytes  # the peak frame with the leg and angle drawn (without a result: the deepest rep's, or b"")
    )
    peak_raw_png: bytes  # the same frame as filmed (for the left-versus-right picture)
    annotated_mp4: bytes
    frames_csv: bytes


@dataclass(frozen=True)
class Settings:
    """What the person set for a measurement (besides the clip): the tested side and the scale helpers."""

    side: Side | None = None
    foot_length_cm: float | None = None
    marker_size_cm: float = 10.0
    paper: Paper | None = None

    def options(self) -> MeasureOptions:
        return MeasureOptions(
            side=self.side,
            foot_length_cm=self.foot_length_cm,
            marker_size_cm=self.marker_size_cm,
            paper=self.paper,
        )


def analyse_clip(
    data: bytes,
    clip_name: str,
    settings: Settings,
    progress: ProgressCallback | None = None,
) -> ClipAnalysis:
    """Measure one clip and render its peak frame, annotated video and per-frame CSV.

    The clip is written to a temporary directory that is removed afterwards, whatever happens.
    Raises :class:`InputError` (one line) for a clip that cannot be measured.
    """
    with tempfile.TemporaryDirectory(prefix="dorsiflex-") as tmp:
        clip = Path(tmp) / safe_file_name(clip_name)
        clip.write_bytes(data)
        try:
            return analyse_path(clip, clip_name, settings, progress, digest(data))
        except InputError as err:
            # The person knows the clip by its name, not by the temporary copy's path.
            raise InputError(str(err).replace(str(clip), clip_name).replace(clip.name, clip_name)) from err


def safe_file_name(name: str) -> str:
    """``name`` as a plain file name (letters, digits, ``-_``) with a video suffix."""
    suffix = Path(name).suffix.lower()
    suffix = suffix if suffix in VIDEO_SUFFIXES else ".mp4"
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).stem)[:60] or "clip"
    return stem + suffix


def analyse_path(
    clip: Path,
    clip_name: str,
    settings: Settings,
    progress: ProgressCallback | None = None,
    clip_digest: str = "",
) -> ClipAnalysis:
    """:func:`analyse_clip` for a clip already on disk (outputs go to a temporary directory)."""

    def stage(start: float, span: float) -> ProgressCallback | None:
        if progress is None:
            return None
        return lambda fraction: progress(start + span * min(max(fraction, 0.0), 1.0))

    measurement = measure(clip, settings.options(), stage(0.0, 0.75))
    shown = export.shown_frame(measurement)
    with tempfile.TemporaryDirectory(prefix="dorsiflex-out-") as tmp:
        video_path, csv_path = Path(tmp) / "annotated.mp4", Path(tmp) / "frames.csv"
        export.write_annotated_video(clip, measurement, video_path, progress=stage(0.75, 0.25))
        write_frames_csv(measurement.frames, csv_path)
        annotated, frames_csv = video_path.read_bytes(), csv_path.read_bytes()
    if progress is not None:
        progress(1.0)
    peak_png = peak_raw_png = b""
    if shown is not None:  # without a result, the deepest rep's frame, drawn as "no result"
        peak = read_frame(clip, *shown)
        scale = _fit_scale(peak.image.shape[1], peak.image.shape[0])
        peak_png = png_bytes(_resize(export.peak_image(measurement, peak), scale))
        peak_raw_png = png_bytes(peak.image)
    return ClipAnalysis(
        clip_name=clip_name,
        digest=clip_digest,
        foot_length_cm=settings.foot_length_cm,
        measurement=measurement,
        peak_png=peak_png,
        peak_raw_png=peak_raw_png,
        annotated_mp4=annotated,
        frames_csv=frames_csv,
    )


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
    reason = measurement.status_message or "No rep could be counted (see why for each rep below)."
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


def _optional_float(value: object) -> float | None:
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
    yaw = _optional_float(measurement.camera_yaw_deg)
    tilt = _optional_float(measurement.camera_tilt_deg)
    if tilt is None:
        look = "up-down tilt not measured (assumed level)"
    else:
        look = "level" if abs(tilt) < 0.5 else f"looking {'down' if tilt > 0 else 'up'} {abs(tilt):.0f}°"
    if yaw is None:
        return f"{look}; turn from side-on not measured (assumed side-on: a floor marker measures it)"
    where = "behind" if yaw > 0 else "in front of"
    turn = "side-on" if abs(yaw) < 0.5 else f"turned {abs(yaw):.0f}° from side-on ({where} the person)"
    return f"{look}, {turn}: corrected for (from the {measurement.camera_source})"


def headline(measurement: Measurement, foot_length_cm: float | None) -> Headline:
    """The figures of the result; all None for a clip without a result (no figure is presented then)."""
    peak = measurement.peak if has_result(measurement) else None
    wall = peak.wall if peak else None
    cm = peak.knee_over_toe_cm if peak else None
    uncertainty = _optional_float(peak.knee_over_toe_uncertainty_cm) if peak else None
    return Headline(
        side=measurement.side,
        shin_angle_deg=_optional_float(peak.shin_angle_deg) if peak else None,
        knee_over_toe_cm=_optional_float(cm),
        knee_over_toe_uncertainty_cm=uncertainty if cm is not None else None,
        knee_over_toe_foot_ratio=_optional_float(peak.knee_over_toe_foot_ratio) if peak else None,
        scale_source=scale_source(measurement, foot_length_cm),
        valid_reps=sum(rep.valid for rep in measurement.reps),
        total_reps=len(measurement.reps),
        toe_to_wall_cm=_optional_float(wall.toe_to_wall_cm) if wall else None,
        toe_to_wall_uncertainty_cm=_optional_float(wall.toe_to_wall_uncertainty_cm) if wall else None,
        knee_reached_wall=wall.knee_reached_wall if wall else None,
        shin_angle_uncertainty_deg=_optional_float(peak.shin_angle_uncertainty_deg) if peak else None,
        shin_angle_from_axis=peak is not None and peak.shin_angle_source == AXIS_PLUS_OFFSET,
        tibia_axis_deg=_optional_float(peak.tibia_axis_deg) if peak else None,
        tibia_axis_uncertainty_deg=_optional_float(peak.tibia_axis_uncertainty_deg) if peak else None,
    )


def round_half(value: float) -> float:
    """``value`` to the nearest 0.5 (what an angle from a video can claim)."""
    return round(value * 2.0) / 2.0 + 0.0


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
    """A distance with its 1-sigma; one known to worse than ``norms.ROUGH_CM`` is shown as rough, to the
    centimetre, not as a crisp figure."""
    if value is None:
        return "n/a"
    if norms.rough_cm(uncertainty):
        whole = round(value)
        return (
            f"about {whole:+d} cm (rough: ± {uncertainty:.1f})"
            if whole
            else f"about 0 cm (rough: ± {uncertainty:.1f})"
        )
    text = f"{value:+.1f} cm"
    return f"{text} ± {uncertainty:.1f}" if uncertainty is not None else text


def knee_position_words(cm: float | None, foot_ratio: float | None) -> str:
    """Plain words for the knee-over-toe distance at the deepest lunge."""
    if cm is not None:
        where = "past" if cm >= 0 else "behind"
        return f"knee {abs(cm):.1f} cm {where} the toes"
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


BAND_WORDS: dict[Classification, str] = {
    "limited": "limited (below the range of healthy adults)",
    "borderline": "borderline (in the lower half of the healthy range)",
    "normal": "normal (in or above the middle of the healthy range)",
}


def norms_summary(result: SideResult) -> NormsSummary:
    """Where one ankle sits against published healthy-adult values, with the references."""
    band = classify(result.shin_angle_deg, result.knee_to_wall_cm)
    low_deg, high_deg = HEALTHY_RANGE_DEG
    low_cm, high_cm = HEALTHY_RANGE_CM
    parts = [
        f"Shin angle {round_half(result.shin_angle_deg):.1f}° (front of the shin) against "
        f"{low_deg:g}-{high_deg:g}° in healthy adults measured with an inclinometer "
        "(Bennell 1998; Konor 2012)"
    ]
    references = [BENNELL_1998, KONOR_2012]
    if result.knee_to_wall_cm is not None:
        parts.append(
            f"knee-to-wall {result.knee_to_wall_cm:.1f} cm against {low_cm:g}-{high_cm:g} cm "
            "(Hoch & McKeon 2011)"
        )
        references.append(HOCH_MCKEON_2011)
    return NormsSummary(band, "; ".join(parts) + f". Overall: {BAND_WORDS[band]}.", tuple(references))


def plain_warnings(measurement: Measurement) -> list[str]:
    """The engine's warnings and the reasons reps were rejected, as sentences."""
    sentences = [_sentence(w) for w in measurement.warnings]
    for rep in measurement.reps:
        if not rep.valid and rep.reason:
            sentences.append(_sentence(f"rep {rep.index} was not counted: {rep.reason}"))
    return sentences


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


# --- Chart data ---------------------------------------------------------------------------------------------


def angle_rows(measurement: Measurement, label: str | None = None) -> list[Row]:
    """One row per analysed frame: time, cleaned and smoothed shin angle (None where missing), side."""
    series = measurement.frames
    side = label or measurement.side
    return [
        {"time_s": float(t), "angle_deg": _optional_float(a), "smooth_deg": _optional_float(s), "side": side}
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
            "peak_deg": _optional_float(rep.shin_angle_deg),
            "knee_over_toe_cm": _optional_float(rep.knee_over_toe_cm),
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


# --- Images -------------------------------------------------------------------------------------------------


def sample_index(measurement: Measurement, frame_index: int) -> int:
    """Index into the per-frame series of the analysed frame nearest to stream frame ``frame_index``."""
    frames = measurement.frames.frame_index
    return int(np.argmin(np.abs(frames - frame_index)))


def leg_points_at(measurement: Measurement, i: int, scale: float = 1.0) -> dict[str, tuple[float, float]]:
    legs = measurement.frames.leg_px
    return {
        name: (float(legs[name][i, 0]) * scale, float(legs[name][i, 1]) * scale)
        for name in _LEG_NAMES
        if name in legs
    }


def read_frame(path: str | os.PathLike[str], frame_index: int, time_s: float) -> Frame:
    """The upright frame with this stream index (or the nearest in time to ``time_s``)."""
    best: Frame | None = None
    with VideoReader(path) as reader:
        margin = 2.0 / max(reader.info.fps, 1.0)
        for frame in reader.frames(start_s=max(0.0, time_s - margin), end_s=time_s + margin):
            if frame.index == frame_index:
                return frame
            if best is None or abs(frame.time_s - time_s) < abs(best.time_s - time_s):
                best = frame
    if best is None:
        raise InputError(
            f"could not read frame {frame_index} of {Path(path).name}: re-export the clip as mp4"
        )
    return best


def _fit_scale(width_px: int, height_px: int, max_side_px: int = _VIDEO_MAX_SIDE_PX) -> float:
    return min(1.0, max_side_px / max(width_px, height_px, 1))


def _resize(image: ImageBGR, scale: float) -> ImageBGR:
    if scale == 1.0:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.uint8)


def side_label(side: str) -> str:
    return f"{side.capitalize()} ankle"


def png_bytes(image: ImageBGR) -> bytes:
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise InputError("could not encode the image as PNG")
    return encoded.tobytes()


def decode_png(data: bytes) -> ImageBGR:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("not a PNG/JPEG image")
    return np.asarray(image, dtype=np.uint8)


@dataclass(frozen=True)
class PairSide:
    """One side of the left-versus-right picture: its raw peak frame and its measurement."""

    image: ImageBGR  # the upright frame of the peak, not drawn on
    measurement: Measurement


def _leg_crop(
    points: Mapping[str, tuple[float, float]], shin_px: float, shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) around knee, ankle, heel and toe, with room around them."""
    xy = np.array([points[n] for n in ("knee", "ankle", "heel", "toe") if n in points], dtype=np.float64)
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    height, width = shape[0], shape[1]
    if len(xy) == 0:
        return 0, 0, width, height
    pad = 0.6 * shin_px
    x0, y0 = np.floor(xy.min(axis=0) - pad)
    x1, y1 = np.ceil(xy.max(axis=0) + pad)
    return max(0, int(x0)), max(0, int(y0)), min(width, int(x1)), min(height, int(y1))


def side_by_side(left: PairSide, right: PairSide) -> ImageBGR:
    """Both peak frames, cropped to the lower leg, at the same scale, mirrored to face right, drawn on.

    Same scale: both are resized to the same pixels per centimetre when both clips have a scale, otherwise to
    the same shin length (it is the same person, so the shin is the same length).
    """
    scales = _pair_scales(left.measurement, right.measurement)
    panels = [_pair_panel(part, scale) for part, scale in zip((left, right), scales, strict=True)]
    height = max(panel.shape[0] for panel in panels)
    padded = [
        cv2.copyMakeBorder(
            panel, height - panel.shape[0], 0, 0, 0, cv2.BORDER_CONSTANT, value=(_PAIR_BACKGROUND,) * 3
        )
        for panel in panels
    ]
    gap = np.full((height, _PAIR_GAP_PX, 3), _PAIR_BACKGROUND, dtype=np.uint8)
    return np.asarray(np.hstack([padded[0], gap, padded[1]]), dtype=np.uint8)


def _pair_scales(left: Measurement, right: Measurement) -> tuple[float, float]:
    left_scale, right_scale = left.scale.px_per_cm, right.scale.px_per_cm
    if left_scale and right_scale:
        target = _PAIR_SHIN_PX / max(left.shin_length_px / left_scale, right.shin_length_px / right_scale)
        return target / left_scale, target / right_scale
    return _PAIR_SHIN_PX / left.shin_length_px, _PAIR_SHIN_PX / right.shin_length_px


def _pair_panel(part: PairSide, scale: float) -> ImageBGR:
    m = part.measurement
    if m.peak is None or not has_result(m):
        raise InputError(f"the {m.side} clip has no result to compare")
    mirror = m.facing == "left"
    image = part.image[:, ::-1] if mirror else part.image
    width = image.shape[1]
    i = sample_index(m, m.peak.frame)
    points = {}
    for name, (x, y) in leg_points_at(m, i).items():
        points[name] = ((width - 1 - x) if mirror else x, y)
    up_x, up_y = export.up_unit(m)
    up = (-up_x if mirror else up_x, up_y)
    if not math.isfinite(scale) or scale <= 0:
        scale = 1.0
    image = _resize(np.ascontiguousarray(image), scale)
    scaled = {name: (x * scale, y * scale) for name, (x, y) in points.items()}
    x0, y0, x1, y1 = _leg_crop(scaled, m.shin_length_px * scale, image.shape)
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    shifted = {name: (x - x0, y - y0) for name, (x, y) in scaled.items()}
    head = headline(m, None)
    lines = [side_label(m.side), format_angle_pm(head.shin_angle_deg, head.shin_angle_uncertainty_deg)]
    if head.knee_over_toe_cm is not None:
        lines.append(format_cm(head.knee_over_toe_cm))
    return draw_leg(crop, shifted, m.peak.shin_angle_deg, up, lines=lines)


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
    figures = f"{diff.diff_deg:.1f}°"
    if diff.diff_cm is not None:
        figures += f" and {diff.diff_cm:.1f} cm"
    threshold = f"{ASYMMETRY_DEG:g}° / {ASYMMETRY_CM:g} cm"
    if diff.significant:
        text = (
            f"The sides differ by {figures}: more than the {threshold} that counts as a real difference "
            f"between sides. The {diff.stiffer_side} ankle is stiffer."
        )
    else:
        text = (
            f"The sides differ by {figures}: within the {threshold} that measurement error and normal "
            "variation can explain (Hoch & McKeon 2011; Chisholm 2012)."
        )
    return Comparison(left_result, right_result, diff, text)


# --- History ------------------------------------------------------------------------------------------------


def record_from_analysis(
    analysis: ClipAnalysis,
    person: str,
    measured_at: datetime,
    notes: str = "",
    video_path: str | None = None,
) -> MeasurementRecord:
    """A history record of one measured side. Raises InputError if the clip has no result to save."""
    m = analysis.measurement
    head = headline(m, analysis.foot_length_cm)
    if not has_result(m) or head.shin_angle_deg is None:
        raise InputError("this clip has no result to save: film the test again until a rep is counted")
    if not person.strip():
        raise InputError("enter the person's name in the sidebar before saving")
    return MeasurementRecord(
        person=person.strip(),
        measured_at=measured_at,
        side=m.side,
        shin_angle_deg=head.shin_angle_deg,
        knee_over_toe_cm=head.knee_over_toe_cm,
        knee_over_toe_uncertainty_cm=head.knee_over_toe_uncertainty_cm,
        toe_to_wall_cm=head.toe_to_wall_cm,
        knee_reached_wall=head.knee_reached_wall,
        knee_over_toe_foot_ratio=head.knee_over_toe_foot_ratio,
        scale_source=head.scale_source,
        reps_valid=head.valid_reps,
        notes=notes,
        clip_name=analysis.clip_name,
        video_path=video_path,
        angle_kind=FRONT_OF_SHIN,
    )


def keep_video_copy(data: bytes, directory: Path, clip_name: str, measured_at: datetime) -> Path:
    """Save a copy of the raw clip next to the history file (only when the person asks for it)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{measured_at.strftime('%Y%m%dT%H%M%S')}_{safe_file_name(clip_name)}"
    try:
        target.write_bytes(data)
    except OSError as err:
        raise InputError(f"cannot keep a copy of the video in {directory}: {err.strerror}") from err
    return target


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


# --- Setup check on the first seconds -----------------------------------------------------------------------


def setup_check(path: str | os.PathLike[str], seconds: float = SETUP_CHECK_S) -> list[str]:
    """What to fix in the filming set-up, judged from the first ``seconds`` of a clip ([] when it looks fine).

    The leg choice is not in doubt at this stage of the app (the person picks the side), so that warning is
    dropped.
    """
    return [w for w in pipeline.check_setup(Path(path), seconds) if "--side" not in w]


# --- Live camera --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveLeg:
    """The front leg found in one live frame, and what to fix in the set-up."""

    side: Side | None
    points_px: dict[str, tuple[float, float]]
    shin_angle_deg: float | None
    hints: tuple[str, ...]


def live_leg(pose: FramePose, width_px: int, height_px: int, side: Side | None = None) -> LiveLeg:
    """The tested leg in one frame (the front one unless ``side`` is given), its angle and set-up hints."""
    if not np.isfinite(pose.xy_px).any():
        return LiveLeg(None, {}, None, ("Step into view: whole body side-on to the camera",))
    facing = _live_facing(pose)
    chosen = side or _front_side(pose, facing)
    marks = LegLandmarks.of(chosen)
    points = {name: pose.xy_px[int(getattr(marks, name))] for name in _LEG_NAMES}
    vis = {name: float(pose.visibility[int(getattr(marks, name))]) for name in _LEG_NAMES}
    hints: list[str] = []
    inside = all(
        np.all(np.isfinite(points[n])) and 0 <= points[n][0] < width_px and 0 <= points[n][1] < height_px
        for n in ("knee", "ankle", "heel", "toe")
    )
    if not inside or min(vis[n] for n in ("knee", "ankle", "heel", "toe")) < quality.MIN_VISIBILITY:
        hints.append("Keep the whole front foot and knee in the picture")
    shin_px = float(np.linalg.norm(points["knee"] - points["ankle"]))
    foot_px = float(np.linalg.norm(points["toe"] - points["heel"]))
    if math.isfinite(shin_px) and shin_px < quality.SMALL_SHIN_FRACTION * height_px:
        hints.append("Move the camera closer")
    if math.isfinite(shin_px) and math.isfinite(foot_px) and foot_px < quality.MIN_FOOT_TO_SHIN * shin_px:
        hints.append("Turn the camera square to the side of the front foot")
    angle = float(geometry.shin_angle_deg(points["knee"], points["ankle"], facing))
    return LiveLeg(
        chosen,
        {name: (float(p[0]), float(p[1])) for name, p in points.items()},
        angle if math.isfinite(angle) else None,
        tuple(hints),
    )


def _live_facing(pose: FramePose) -> int:
    votes = []
    for side in SIDES:
        marks = LegLandmarks.of(side)
        votes.append(pose.xy_px[int(marks.toe), 0] - pose.xy_px[int(marks.heel), 0])
    finite = [v for v in votes if math.isfinite(v)]
    return 1 if not finite or float(np.median(finite)) >= 0 else -1


def _front_side(pose: FramePose, facing: int) -> Side:
    left = pose.xy_px[int(LegLandmarks.of("left").ankle), 0]
    right = pose.xy_px[int(LegLandmarks.of("right").ankle), 0]
    if not math.isfinite(right) or (math.isfinite(left) and facing * left >= facing * right):
        return "left"
    return "right"


@dataclass
class LiveStatus:
    """What the live page shows beside the picture (read from the recorder's queue)."""

    shin_angle_deg: float | None
    hints: tuple[str, ...]
    frames_recorded: int
    seconds_recorded: float
    fps: float


class LiveRecorder:
    """Processes live camera frames: draws the leg and angle, and records the raw frames for :func:`measure`.

    ``process`` is called from the camera thread, ``finish`` when the stream stops: the recorded clip then
    goes into ``finished`` (a queue the app reads). The pose model is built once per recorder (per webcam
    session), on the first frame. Raw (undrawn) frames are recorded, so the measurement sees what the camera
    saw. Frames arrive at whatever rate the camera and the pose model allow, so the recording is written at a
    constant ``record_fps`` by time stamp: a frame is repeated when frames come slower and skipped when they
    come faster, and the clip's time line stays true to the wall clock (the rep detection works in seconds).
    """

    def __init__(
        self,
        side: Side | None = None,
        max_seconds: float = 60.0,
        record_fps: float = LIVE_RECORD_FPS,
        estimator_factory: Callable[[], PoseEstimator] | None = None,
    ) -> None:
        self.side = side
        self.max_seconds = max_seconds
        self.record_fps = record_fps
        self.finished: queue.Queue[Path | None] = queue.Queue()
        self.status: queue.Queue[LiveStatus] = queue.Queue(maxsize=1)
        self._factory = estimator_factory or (lambda: PoseEstimator(tracking=True))
        self._estimator: PoseEstimator | None = None
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._dir: Path | None = None
        self._writer: AnnotatedVideoWriter | None = None
        self._first_time: float | None = None
        self._last_time: float | None = None
        self._frames = 0  # camera frames recorded
        self._written = 0  # frames in the file (at record_fps)

    @property
    def recording(self) -> bool:
        return self._frames > 0

    def process(self, image_bgr: ImageBGR, time_s: float | None = None) -> ImageBGR:
        """Draw the front leg, its shin angle and set-up hints on a copy of the frame; record the frame."""
        now = time.monotonic() if time_s is None else time_s
        with self._lock:
            if self._estimator is None:
                self._estimator = self._factory()
            rgb = np.asarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
            pose = self._estimator.process(rgb, self._frames, now)
            self._record(image_bgr, now)
            frames, seconds = self._frames, self._seconds()
        height, width = image_bgr.shape[:2]
        leg = live_leg(pose, width, height, self.side)
        lines = [f"shin {format_angle(leg.shin_angle_deg)}" if leg.side else "no person", *leg.hints[:2]]
        lines.append(f"REC {seconds:.0f} s" if seconds < self.max_seconds else "REC full: press STOP")
        fps = (frames - 1) / seconds if seconds > 0 else 0.0
        self._publish(LiveStatus(leg.shin_angle_deg, leg.hints, frames, seconds, fps))
        return draw_leg(image_bgr, leg.points_px, leg.shin_angle_deg, lines=lines)

    def _seconds(self) -> float:
        if self._first_time is None or self._last_time is None:
            return 0.0
        return self._last_time - self._first_time

    def _record(self, image: ImageBGR, now: float) -> None:
        if self._first_time is None:
            self._first_time = now
            self._dir = Path(tempfile.mkdtemp(prefix="dorsiflex-live-"))
            height, width = image.shape[:2]
            self._writer = AnnotatedVideoWriter(self._dir / "live.mp4", self.record_fps, width, height)
        elapsed = now - self._first_time
        if elapsed > self.max_seconds or elapsed < 0 or self._writer is None:
            return
        self._last_time = now
        self._frames += 1
        if image.shape[:2] != (self._writer.height_px, self._writer.width_px):
            size = (self._writer.width_px, self._writer.height_px)
            image = np.asarray(cv2.resize(image, size), dtype=np.uint8)
        due = int(elapsed * self.record_fps) + 1  # frames the file should hold up to now
        while self._written < due:
            self._writer.write(image)
            self._written += 1

    def _publish(self, status: LiveStatus) -> None:
        with contextlib.suppress(queue.Empty):
            self.status.get_nowait()
        with contextlib.suppress(queue.Full):
            self.status.put_nowait(status)

    def finish(self) -> Path | None:
        """Close the recording and hand it over through ``finished``.

        None is handed over with fewer than ``MIN_RECORDED_FRAMES`` camera frames: a frame or two that
        arrive after the stream was stopped are not an attempt.
        """
        with self._lock:
            path: Path | None = None
            if self._writer is not None:
                enough = self._frames >= MIN_RECORDED_FRAMES
                self._writer.close(check=enough)
                if enough:
                    path = self._writer.path
            if path is None and self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
            self._reset()
        self.finished.put(path)
        return path

    def close(self) -> None:
        """Release the model (the recorder can still be used: the model is rebuilt on the next frame)."""
        with self._lock:
            if self._estimator is not None:
                self._estimator.close()
                self._estimator = None


def discard_recording(path: Path | None) -> None:
    """Remove a recorded live clip and its temporary directory."""
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)


# --- Sample clips -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleClip:
    side: Side
    path: Path


def sample_clips(root: Path) -> list[SampleClip]:
    """The bundled sample clips that exist under ``root`` (one per side)."""
    candidates = (
        SampleClip("left", root / "sample_videos" / "lunge_left_aruco.mp4"),
        SampleClip("right", root / "sample_videos" / "lunge_right_heel_lift.mp4"),
    )
    return [clip for clip in candidates if clip.path.is_file()]


@dataclass
class Session:
    """The measured sides of the current session (what the comparison, drills and report use)."""

    sides: dict[Side, ClipAnalysis] = field(default_factory=dict)

    def measurements(self) -> dict[Side, Measurement]:
        return {side: a.measurement for side, a in self.sides.items()}
