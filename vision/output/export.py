"""Annotated outputs of a measurement: a video with the tested leg drawn on every frame, and the peak frame.

The measurement analyses every Nth frame only (``Measurement.analysed_every_n_frames``); here the clip is
decoded a second time, every frame, and the leg points and the angle are interpolated linearly in time
(by frame index) between the analysed frames on either side. A point missing on either side is not drawn:
nothing is invented across a gap in the landmarks.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from vision.errors import InputError
from vision.output.annotate import HIGHLIGHT_BGR, AnnotatedVideoWriter, draw_leg, write_png
from vision.results import Measurement, PeakResult, RepResult
from vision.video import Frame, VideoReader

FloatArray = npt.NDArray[np.float64]
ProgressCallback = Callable[[float], None]

LEG_POINTS = ("hip", "knee", "ankle", "heel", "toe")
#: The frame around the result picture: the app's accent blue (#1f4e8c, as its buttons and the PDF's
#: headings), not red, which reads as an error; the same as a hold's frames in the annotated video.
PEAK_FRAME_BGR = HIGHLIGHT_BGR
# Until RepResult says where a rep's hold starts and ends, the banner is shown this long around its peak.


def interpolate_frames(
    sample_frames: npt.ArrayLike, values: npt.ArrayLike, frames: npt.ArrayLike
) -> FloatArray:
    """Values at ``frames`` from values known at the (increasing) ``sample_frames``.

    Linear between the two samples that bracket a frame, NaN if either of them is NaN. Before the first and
    after the last sample, the nearest sample is held for up to one sampling step, NaN further out.

    Args:
        sample_frames: (n,) increasing frame indices of the samples.
        values: (n,) or (n, k) samples, NaN where missing.
        frames: (m,) frame indices to evaluate at.

    Returns:
        (m,) or (m, k), matching ``values``.
    """
    x = np.asarray(sample_frames, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    q = np.atleast_1d(np.asarray(frames, dtype=np.float64))
    if len(x) == 0:
        return np.full((len(q), *v.shape[1:]), np.nan)
    flat = v.reshape(len(x), -1)
    out = np.full((len(q), flat.shape[1]), np.nan)
    step = float(np.median(np.diff(x))) if len(x) > 1 else 1.0
    hi = np.clip(np.searchsorted(x, q, side="left"), 0, len(x) - 1)
    lo = np.clip(hi - 1, 0, len(x) - 1)
    exact = x[hi] == q
    inside = (q > x[0]) & (q < x[-1]) & ~exact
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(inside, (q - x[lo]) / (x[hi] - x[lo]), 0.0)[:, None]
    out[inside] = (flat[lo] * (1.0 - weight) + flat[hi] * weight)[inside]
    out[exact] = flat[hi][exact]
    before = (q < x[0]) & (x[0] - q <= step)
    after = (q > x[-1]) & (q - x[-1] <= step)
    out[before] = flat[0]
    out[after] = flat[-1]
    return out.reshape((len(q), *v.shape[1:]))


def up_unit(measurement: Measurement) -> tuple[float, float]:
    """Image direction of the vertical the shin was measured against (at the ankle)."""
    return measurement.up_unit


def best_rep(measurement: Measurement) -> RepResult | None:
    """The rep the result comes from (the deepest valid one, else the deepest), or None."""
    if measurement.peak is None:
        return None
    for rep in measurement.reps:
        if rep.peak_frame == measurement.peak.frame:
            return rep
    return None


def shown_rep(measurement: Measurement) -> RepResult | None:
    """The rep whose deepest frame is shown: the result's, or without a result the deepest rep seen."""
    rep = best_rep(measurement)
    if rep is not None or measurement.peak is not None:
        return rep
    finite = [r for r in measurement.reps if math.isfinite(_rep_depth_deg(r))]
    return max(finite, key=_rep_depth_deg) if finite else None


def _rep_depth_deg(rep: RepResult) -> float:
    angle = float(rep.shin_angle_deg)
    return angle if math.isfinite(angle) else float(rep.tibia_axis_deg)


def shown_frame(measurement: Measurement) -> tuple[int, float] | None:
    """(frame index, time in s) of the picture of the clip: the result's frame, or without a result the
    deepest rep's (drawn as "no result"); None when there is nothing to show."""
    if measurement.peak is not None:
        return measurement.peak.frame, measurement.peak.time_s
    rep = shown_rep(measurement)
    return (rep.peak_frame, rep.peak_time_s) if rep is not None else None


def hold_window_s(rep: RepResult) -> tuple[float, float]:
    """Start and end time of the rep's hold at its deepest point."""
    return rep.hold_start_time_s, rep.hold_end_time_s


@dataclass(frozen=True)
class _Track:
    """The measurement's per-analysed-frame leg points and angle, evaluated at any frame."""

    sample_frames: npt.NDArray[np.int64]
    leg_px: Mapping[str, FloatArray]
    angle_deg: FloatArray

    @classmethod
    def of(cls, measurement: Measurement) -> _Track:
        series = measurement.frames
        return cls(series.frame_index, dict(series.leg_px), series.shin_angle_deg)

    def points(self, frame: int) -> dict[str, tuple[float, float]]:
        points = {}
        for name in LEG_POINTS:
            if name in self.leg_px:
                x, y = interpolate_frames(self.sample_frames, self.leg_px[name], [frame])[0]
                points[name] = (float(x), float(y))
        return points

    def angle(self, frame: int) -> float | None:
        value = float(interpolate_frames(self.sample_frames, self.angle_deg, [frame])[0])
        return value if math.isfinite(value) else None


def _check_output(path: Path, clip: Path) -> None:
    if path.resolve() == clip.resolve():
        raise InputError(f"{path} is the input clip: choose another file name for the output")


def _rep_text(measurement: Measurement, rep: RepResult) -> str:
    status = "valid" if rep.valid else f"INVALID: {rep.reason}"
    return f"rep {rep.index} of {len(measurement.reps)}, {status}"


def _in_hold(measurement: Measurement, time_s: float) -> bool:
    """Is ``time_s`` in the hold of the rep the result comes from?"""
    rep = best_rep(measurement)
    if rep is None:
        return False
    start, end = hold_window_s(rep)
    return start - 1e-6 <= time_s <= end + 1e-6


def _frame_lines(measurement: Measurement, frame: Frame, angle: float | None, holding: bool) -> list[str]:
    angle_text = f"  shin {angle:.1f}°" if angle is not None else ""
    lines = [f"{measurement.side} ankle  {frame.time_s:5.2f} s{angle_text}"]
    rep = best_rep(measurement)
    if holding and rep is not None and measurement.peak is not None:
        what = "DEEPEST VALID REP" if rep.valid else "DEEPEST REP (no valid rep)"
        lines.append(f"{what}: {measurement.peak.shin_angle_deg:.1f}°")
        lines.append(_rep_text(measurement, rep))
    return lines


def peak_lines(measurement: Measurement) -> list[str]:
    """The text drawn on the peak frame."""
    peak, rep = measurement.peak, best_rep(measurement)
    if peak is None:
        return _no_result_lines(measurement)
    lines = [f"{measurement.side.capitalize()} ankle: shin {_plus_minus(peak)} (front of the shin)"]
    if rep is not None:
        lines.append(f"{_rep_text(measurement, rep)}, at {peak.time_s:.2f} s")
    if peak.knee_over_toe_cm is not None:
        lines.append(f"knee over toe {peak.knee_over_toe_cm:+.1f} cm")
    else:
        lines.append(f"knee over toe {peak.knee_over_toe_foot_ratio:+.2f} foot lengths")
    return lines


def _plus_minus(peak: PeakResult) -> str:
    text = f"{peak.shin_angle_deg:.1f}°"
    uncertainty = peak.shin_angle_uncertainty_deg
    if uncertainty is not None and math.isfinite(uncertainty):
        text += f" +- {uncertainty:.1f}"
    return text


def _no_result_lines(measurement: Measurement) -> list[str]:
    """The text on the shown frame of a clip without a result: no figure, only what this rep was."""
    lines = [f"{measurement.side.capitalize()} ankle: NO RESULT"]
    rep = shown_rep(measurement)
    if rep is None:
        return [*lines, "no rep found"]
    status = "counted" if rep.valid else f"not counted: {rep.reason}"
    return [*lines, f"deepest rep {rep.index} of {len(measurement.reps)}, {status}"]


def annotate_frame(
    measurement: Measurement, frame: Frame, track: _Track | None = None
) -> npt.NDArray[np.uint8]:
    """One frame of the annotated video."""
    track = track or _Track.of(measurement)
    angle = track.angle(frame.index)
    holding = _in_hold(measurement, frame.time_s)
    return draw_leg(
        frame.image,
        track.points(frame.index),
        angle,
        up_unit(measurement),
        _frame_lines(measurement, frame, angle, holding),
        highlight=holding,
    )


def peak_image(measurement: Measurement, frame: Frame) -> npt.NDArray[np.uint8]:
    """The peak frame with the result drawn on it (leg points of the peak's analysed frame)."""
    track = _Track.of(measurement)
    shown = shown_frame(measurement)
    index = shown[0] if shown is not None else frame.index
    angle = measurement.peak.shin_angle_deg if measurement.peak is not None else track.angle(index)
    out = draw_leg(frame.image, track.points(index), angle, up_unit(measurement), peak_lines(measurement))
    # A calm frame in the app's accent: the result picture, not an alarm (red read as an error).
    height, width = out.shape[:2]
    thickness = max(2, round(min(height, width) / 120))
    cv2.rectangle(out, (0, 0), (width - 1, height - 1), PEAK_FRAME_BGR, thickness)
    return out


def write_annotated_video(
    clip: str | os.PathLike[str],
    measurement: Measurement,
    video_path: str | os.PathLike[str] | None = None,
    peak_image_path: str | os.PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
) -> None:
    """Decode ``clip`` again and write the annotated video and/or the annotated peak frame (PNG).

    With only ``peak_image_path``, just the frames around the peak are decoded.
    """
    clip = Path(clip)
    outputs = [Path(p) for p in (video_path, peak_image_path) if p is not None]
    for path in outputs:
        _check_output(path, clip)
    if not outputs:
        return
    track = _Track.of(measurement)
    shown = shown_frame(measurement)
    peak_frame: Frame | None = None
    with VideoReader(clip) as reader:
        info = reader.info
        if video_path is None:
            peak_frame = _find_peak_frame(reader, measurement)
        else:
            expected = max(info.frame_count, 1)
            with AnnotatedVideoWriter(video_path, info.fps, info.width_px, info.height_px) as writer:
                for frame in reader.frames():
                    writer.write(annotate_frame(measurement, frame, track))
                    if shown is not None and _closer(frame, peak_frame, shown[0]):
                        peak_frame = frame
                    if progress is not None:
                        progress(min(1.0, writer.frames_written / expected))
    if peak_image_path is not None:
        if peak_frame is None:
            raise InputError(
                f"the peak frame could not be decoded again from {clip.name}: export the clip again"
            )
        write_png(peak_image_path, peak_image(measurement, peak_frame))


def _closer(frame: Frame, best: Frame | None, target_index: int) -> bool:
    return best is None or abs(frame.index - target_index) < abs(best.index - target_index)


def _find_peak_frame(reader: VideoReader, measurement: Measurement) -> Frame | None:
    """Decode the frames around the shown frame and return it (nearest in time after a seek)."""
    shown = shown_frame(measurement)
    if shown is None:
        return None
    half_frame_s = 0.5 / reader.info.fps
    target_s = shown[1]
    best: Frame | None = None
    for frame in reader.frames(
        start_s=max(0.0, target_s - 2 * half_frame_s), end_s=target_s + 2 * half_frame_s
    ):
        if best is None or abs(frame.time_s - target_s) < abs(best.time_s - target_s):
            best = frame
    return best
