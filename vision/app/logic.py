"""What the web app computes, without Streamlit: a clip measured and rendered, images, history records.

The app's pages (``app_pages/``) hold widgets, layout and caching only; everything they show comes from the
package, so it can be tested without a browser or a Streamlit runtime. The rest of the app's computation
lives beside this module, by responsibility:

- :mod:`vision.app.words`: whether there is a result, its figures and their wording, the engine's notes in
  the app's words;
- :mod:`vision.app.tables`: rows for the tables and charts (reps, history, trends);
- :mod:`vision.app.live`: the live camera's per-frame work and its recorder.

Their names stay importable from here (``from vision.app.logic import headline`` still works).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from vision import pipeline
from vision.advice.norms import BAND_WORDS, round_half
from vision.app.clips import (
    DEFAULT_MAX_UPLOAD_MB,
    SampleClip,
    check_upload,
    digest,
    safe_file_name,
    sample_clips,
)
from vision.app.live import (
    LIVE_RECORD_FPS,
    MIN_RECORDED_FRAMES,
    LiveLeg,
    LiveRecorder,
    LiveStatus,
    discard_recording,
    live_leg,
)
from vision.app.tables import (
    MDC_REFERENCE,
    Band,
    Row,
    angle_kinds,
    angle_rows,
    history_rows,
    kind_note,
    mdc_band,
    mdc_words,
    rep_rows,
    rep_status,
    rep_table,
    trend_rows,
)
from vision.app.words import (
    NEXT_STEPS,
    SCALE_WORDS,
    SHIN_ANGLE_HELP,
    TIBIA_AXIS_HELP,
    Comparison,
    Headline,
    NoResult,
    NormsSummary,
    camera_words,
    compare,
    format_angle,
    format_angle_pm,
    format_cm,
    has_result,
    headline,
    knee_position_words,
    no_result,
    norms_summary,
    plain_warnings,
    scale_source,
    shin_angle_words,
    side_mismatch,
    side_result,
)
from vision.errors import InputError
from vision.output import export
from vision.output.annotate import draw_leg
from vision.pipeline import MeasureOptions, PoseRun, measure, measure_from_pose, run_pose
from vision.pose.landmarks import Side
from vision.results import Measurement, write_frames_csv
from vision.scene.calibration import Paper
from vision.storage import FRONT_OF_SHIN, MeasurementRecord
from vision.video import Frame, VideoReader

__all__ = [
    "BAND_WORDS",
    "DEFAULT_MAX_UPLOAD_MB",
    "LIVE_RECORD_FPS",
    "MDC_REFERENCE",
    "MIN_RECORDED_FRAMES",
    "NEXT_STEPS",
    "SCALE_WORDS",
    "SHIN_ANGLE_HELP",
    "SIDES",
    "TIBIA_AXIS_HELP",
    "Band",
    "ClipAnalysis",
    "Comparison",
    "Headline",
    "LiveLeg",
    "LiveRecorder",
    "LiveStatus",
    "NoResult",
    "NormsSummary",
    "PairSide",
    "PoseRun",
    "Row",
    "SampleClip",
    "Settings",
    "analyse_clip",
    "analyse_path",
    "angle_kinds",
    "angle_rows",
    "annotated_video",
    "camera_words",
    "check_upload",
    "compare",
    "decode_png",
    "digest",
    "discard_recording",
    "format_angle",
    "format_angle_pm",
    "format_cm",
    "has_result",
    "headline",
    "history_rows",
    "keep_video_copy",
    "kind_note",
    "knee_position_words",
    "leg_points_at",
    "live_leg",
    "mdc_band",
    "mdc_words",
    "measure",
    "no_result",
    "norms_summary",
    "plain_warnings",
    "png_bytes",
    "pose_run",
    "read_frame",
    "record_from_analysis",
    "rep_rows",
    "rep_status",
    "rep_table",
    "round_half",
    "safe_file_name",
    "sample_clips",
    "sample_index",
    "scale_source",
    "setup_check",
    "shin_angle_words",
    "side_by_side",
    "side_label",
    "side_mismatch",
    "side_result",
    "trend_rows",
]

ImageBGR = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]
ProgressCallback = Callable[[float], None]

SIDES: tuple[Side, Side] = ("left", "right")
SETUP_CHECK_S = 3.0
_LEG_NAMES = ("hip", "knee", "ankle", "heel", "toe")
_VIDEO_MAX_SIDE_PX = 1280  # annotated video and peak images are scaled down to this long side
_PAIR_SHIN_PX = 320.0  # shin length in the side-by-side image
_PAIR_GAP_PX = 16
_PAIR_BACKGROUND = 24


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
    annotated_mp4: bytes  # b"" when not rendered (see annotated_video)
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


def pose_run(data: bytes, clip_name: str, progress: ProgressCallback | None = None) -> PoseRun:
    """The pose pass over a clip (the app's settings never change it): cache it per clip, and any side, foot
    length, marker size or paper re-uses it (:func:`analyse_clip` with ``pose=``). Its clip path is a removed
    temporary copy; the analysis points it at a fresh copy. Raises :class:`InputError` (one line)."""
    with _clip_on_disk(data, clip_name) as clip:
        try:
            return run_pose(clip, Settings().options(), progress)
        except InputError as err:
            raise InputError(str(err).replace(str(clip), clip_name).replace(clip.name, clip_name)) from err


def analyse_clip(
    data: bytes,
    clip_name: str,
    settings: Settings,
    progress: ProgressCallback | None = None,
    *,
    with_video: bool = True,
    pose: PoseRun | None = None,
) -> ClipAnalysis:
    """Measure one clip and render its peak frame, per-frame CSV and (``with_video``) annotated video.

    The app passes ``with_video=False`` and renders the video only when it is asked for
    (:func:`annotated_video`): it decodes and encodes the whole clip again, a third of the work.
    The clip is written to a temporary directory that is removed afterwards, whatever happens.
    ``pose``: the clip's pose pass (:func:`pose_run`), so only the analysis runs.
    Raises :class:`InputError` (one line) for a clip that cannot be measured.
    """
    with _clip_on_disk(data, clip_name) as clip:
        try:
            return analyse_path(
                clip, clip_name, settings, progress, digest(data), with_video=with_video, pose=pose
            )
        except InputError as err:
            # The person knows the clip by its name, not by the temporary copy's path.
            raise InputError(str(err).replace(str(clip), clip_name).replace(clip.name, clip_name)) from err


def annotated_video(data: bytes, clip_name: str, measurement: Measurement) -> bytes:
    """The clip with the leg, the shin angle and each rep drawn on it (H.264 mp4), for a measured clip."""
    with _clip_on_disk(data, clip_name) as clip, tempfile.TemporaryDirectory(prefix="dorsiflex-out-") as tmp:
        video_path = Path(tmp) / "annotated.mp4"
        export.write_annotated_video(clip, measurement, video_path)
        return video_path.read_bytes()


@contextlib.contextmanager
def _clip_on_disk(data: bytes, clip_name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="dorsiflex-") as tmp:
        clip = Path(tmp) / safe_file_name(clip_name)
        clip.write_bytes(data)
        yield clip


def analyse_path(
    clip: Path,
    clip_name: str,
    settings: Settings,
    progress: ProgressCallback | None = None,
    clip_digest: str = "",
    *,
    with_video: bool = True,
    pose: PoseRun | None = None,
) -> ClipAnalysis:
    """:func:`analyse_clip` for a clip already on disk (outputs go to a temporary directory); ``pose``: the
    pose pass of the same clip (its frames are reopened from ``clip``)."""

    def stage(start: float, span: float) -> ProgressCallback | None:
        if progress is None:
            return None
        return lambda fraction: progress(start + span * min(max(fraction, 0.0), 1.0))

    if pose is None:
        measurement = measure(clip, settings.options(), stage(0.0, 0.75 if with_video else 0.95))
    else:
        measurement = measure_from_pose(dataclasses.replace(pose, path=clip), settings.options())
    shown = export.shown_frame(measurement)
    annotated = b""
    with tempfile.TemporaryDirectory(prefix="dorsiflex-out-") as tmp:
        video_path, csv_path = Path(tmp) / "annotated.mp4", Path(tmp) / "frames.csv"
        if with_video:
            export.write_annotated_video(clip, measurement, video_path, progress=stage(0.75, 0.25))
            annotated = video_path.read_bytes()
        write_frames_csv(measurement.frames, csv_path)
        frames_csv = csv_path.read_bytes()
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
    drawn = [line.replace("±", "+-") for line in lines]  # OpenCV's fonts draw ASCII (and ° as a circle)
    return draw_leg(crop, shifted, m.peak.shin_angle_deg, up, lines=drawn)


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


# --- Setup check on the first seconds -----------------------------------------------------------------------


def setup_check(path: str | os.PathLike[str], seconds: float = SETUP_CHECK_S) -> list[str]:
    """What to fix in the filming set-up, judged from the first ``seconds`` of a clip ([] when it looks fine).

    The leg choice is not in doubt at this stage of the app (the person picks the side), so that warning is
    dropped.
    """
    return [w for w in pipeline.check_setup(Path(path), seconds) if "--side" not in w]
