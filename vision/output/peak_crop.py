"""What a measured side adds to its history record: the ± of its figures, the tibia axis, and a crop of the
annotated peak frame around the leg, for the PDF report (:mod:`vision.output.report_pdf`).

``MeasurementRecord(..., **record_fields(measurement, annotated))``; `leg_crop` is the pure cut it uses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TypedDict

import cv2
import numpy as np
import numpy.typing as npt

from vision.output.export import interpolate_frames
from vision.results import STATUS_OK, Measurement

ImageBGR = npt.NDArray[np.uint8]

CROP_MAX_SIDE_PX = 720  # stored crops are scaled down to this long side (11-25 kB as JPEG on the samples)
CROP_JPEG_QUALITY = 88
LEG_CROP_POINTS = ("knee", "ankle", "heel", "toe")
#: Least room beside the leg in a crop, as a fraction of the frame's short side: the angle label that
#: `vision.output.annotate` draws beside the ankle spans about 0.13 of it ("24.6°" plus its gap to
#: the vertical).
LABEL_ROOM = 0.16


def leg_crop(
    frame_bgr: ImageBGR, points_px: Mapping[str, tuple[float, float]], margin: float = 0.3
) -> ImageBGR:
    """The part of ``frame_bgr`` around the lower leg: knee, ankle, heel and toe with room around them.

    ``points_px`` holds pixel (x, y) of ``knee``, ``ankle``, ``heel`` and ``toe`` in ``frame_bgr`` (missing or
    NaN points are skipped); ``margin`` is the room on every side as a fraction of the shin length (knee to
    ankle), for the shin line drawn 0.15 shin lengths past the knee. Left and right get at least
    ``LABEL_ROOM`` of the frame's short side, as `vision.output.annotate` sizes its text by the short side:
    the angle label beside the ankle stays in.
    Without a knee and an ankle the whole frame is returned. Pure: returns a copy, never a view.
    """
    if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3 or frame_bgr.dtype != np.uint8:
        raise ValueError(f"expected a BGR uint8 image (H, W, 3), got {frame_bgr.dtype} {frame_bgr.shape}")
    if not math.isfinite(margin) or margin < 0:
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
    height, width = frame_bgr.shape[:2]
    found = {
        name: np.asarray(points_px[name], dtype=np.float64)
        for name in LEG_CROP_POINTS
        if name in points_px and bool(np.all(np.isfinite(np.asarray(points_px[name], dtype=np.float64))))
    }
    if "knee" not in found or "ankle" not in found:
        return frame_bgr.copy()
    xy = np.stack(list(found.values()))
    pad = margin * float(np.linalg.norm(found["knee"] - found["ankle"]))
    pad_xy = np.array(
        [max(pad, LABEL_ROOM * min(height, width)), max(pad, 0.5 * LABEL_ROOM * min(height, width))]
    )
    x0, y0 = np.floor(xy.min(axis=0) - pad_xy)
    x1, y1 = np.ceil(xy.max(axis=0) + pad_xy)
    x0, y0 = max(0, int(x0)), max(0, int(y0))
    x1, y1 = min(width, int(x1)), min(height, int(y1))
    if x1 - x0 < 2 or y1 - y0 < 2:  # the leg lies outside the frame
        return frame_bgr.copy()
    return np.array(frame_bgr[y0:y1, x0:x1], copy=True)


def peak_points_px(measurement: Measurement) -> dict[str, tuple[float, float]]:
    """The tested leg's pixel points (upright frame of the clip) at the result's frame, as drawn on it."""
    if measurement.peak is None:
        raise ValueError("the measurement has no result (no peak)")
    series = measurement.frames
    points = {}
    for name, track in series.leg_px.items():
        x, y = interpolate_frames(series.frame_index, track, [measurement.peak.frame])[0]
        points[name] = (float(x), float(y))
    return points


class PeakRecordFields(TypedDict):
    """The `MeasurementRecord` fields that come from the engine's result and its annotated peak frame."""

    shin_angle_uncertainty_deg: float | None
    tibia_axis_deg: float | None
    tibia_axis_uncertainty_deg: float | None
    toe_to_wall_uncertainty_cm: float | None
    peak_crop_jpeg: bytes | None


def record_fields(measurement: Measurement, annotated_peak_bgr: ImageBGR | None) -> PeakRecordFields:
    """The extra history fields of a measured side: the ± of its figures, the tibia axis and the peak crop.

    ``annotated_peak_bgr`` is the result's frame with the leg and angle drawn (e.g. `export.peak_image`, or
    the app's peak picture decoded), at the analysed frame's size or scaled down uniformly (the scale is read
    from its width); None saves no crop. Use as ``MeasurementRecord(..., **record_fields(m, image))`` or
    ``dataclasses.replace(record, **record_fields(m, image))``. Raises ValueError without a result.
    """
    peak = measurement.peak
    if peak is None or measurement.status != STATUS_OK:
        raise ValueError("the measurement has no result to save")
    crop_jpeg = None
    if annotated_peak_bgr is not None:
        scale = annotated_peak_bgr.shape[1] / measurement.video.analysed_size_px[0]
        points = {name: (x * scale, y * scale) for name, (x, y) in peak_points_px(measurement).items()}
        crop_jpeg = _jpeg(_shrink(leg_crop(annotated_peak_bgr, points), CROP_MAX_SIDE_PX))
    wall = peak.wall
    return PeakRecordFields(
        shin_angle_uncertainty_deg=_finite_or_none(peak.shin_angle_uncertainty_deg),
        tibia_axis_deg=_finite_or_none(peak.tibia_axis_deg),
        tibia_axis_uncertainty_deg=_finite_or_none(peak.tibia_axis_uncertainty_deg),
        toe_to_wall_uncertainty_cm=(
            _finite_or_none(wall.toe_to_wall_uncertainty_cm)
            if wall is not None and wall.toe_to_wall_cm is not None
            else None
        ),
        peak_crop_jpeg=crop_jpeg,
    )


def _finite_or_none(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _shrink(image: ImageBGR, max_side_px: int) -> ImageBGR:
    scale = max_side_px / max(image.shape[:2])
    if scale >= 1.0:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _jpeg(image: ImageBGR) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, CROP_JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode the peak crop as JPEG")
    return bytes(encoded.tobytes())
