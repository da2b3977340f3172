"""Camera roll from the scene: a phone held crooked tilts every vertical and horizontal edge alike.

Rooms are full of straight vertical edges (wall corners, door frames, the wall in front of the foot) and
horizontal ones (the floor/wall line behind the person). Their deviation from the image axes, pooled over
a few frames with the person masked out, estimates the roll. The feet are not used: the two feet stand at
different depths, so the line through them is tilted by perspective (5-12 degrees on level test clips), and
MediaPipe's heel sits higher than its toe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Only edges within this many degrees of an image axis count (a phone is rarely held more crooked).
MAX_ROLL_DEG = 20.0
#: Shortest edge used, as a fraction of the image diagonal: short edges are texture, not structure.
MIN_SEGMENT_FRACTION = 0.06
#: Edges supporting the answer must add up to this fraction of the diagonal before it is trusted.
MIN_SUPPORT_FRACTION = 0.5
#: Half-width of the window (degrees) around the modal angle that is averaged.
MODE_WINDOW_DEG = 1.0


@dataclass(frozen=True)
class RollEstimate:
    """Camera roll in degrees (+ = the scene appears rotated counter-clockwise), or NaN when unsure."""

    roll_deg: float
    support_fraction: float  # summed length of agreeing edges / image diagonal
    n_segments: int

    @property
    def reliable(self) -> bool:
        return bool(np.isfinite(self.roll_deg)) and self.support_fraction >= MIN_SUPPORT_FRACTION


def segment_deviations_deg(segments_px: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each segment's deviation from the nearest image axis (counter-clockwise on screen +) and its length."""
    seg = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    dx = seg[:, 2] - seg[:, 0]
    dy = seg[:, 3] - seg[:, 1]
    angle = np.degrees(np.arctan2(-dy, dx))  # on-screen angle, y up
    deviation = (angle + 45.0) % 90.0 - 45.0
    return deviation, np.hypot(dx, dy)


def roll_from_segments(segments_px: FloatArray, diagonal_px: float) -> RollEstimate:
    """Length-weighted mode of the edges' deviations from the image axes."""
    deviation, length = segment_deviations_deg(segments_px)
    keep = (np.abs(deviation) <= MAX_ROLL_DEG) & (length >= MIN_SEGMENT_FRACTION * diagonal_px)
    deviation, length = deviation[keep], length[keep]
    if len(deviation) == 0:
        return RollEstimate(float("nan"), 0.0, 0)
    bins = np.arange(-MAX_ROLL_DEG, MAX_ROLL_DEG + 0.5, 0.5)
    hist, _ = np.histogram(deviation, bins=bins, weights=length)
    smoothed = np.convolve(hist, np.ones(3), mode="same")
    mode = float(bins[int(np.argmax(smoothed))] + 0.25)
    near = np.abs(deviation - mode) <= MODE_WINDOW_DEG
    roll = float(np.average(deviation[near], weights=length[near]))
    return RollEstimate(roll, float(length[near].sum() / diagonal_px), int(near.sum()))


def detect_segments(image_bgr: npt.NDArray[np.uint8], exclude_box_px: FloatArray | None = None) -> FloatArray:
    """Straight edges (x1, y1, x2, y2) in one frame, minus those touching ``exclude_box_px``."""
    gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    detector = cv2.createLineSegmentDetector(cv2.LSD_REFINE_STD)
    lines = detector.detect(gray)[0]
    if lines is None:
        return np.empty((0, 4))
    seg: FloatArray = lines.reshape(-1, 4).astype(np.float64)
    height, width = gray.shape
    margin = 3.0
    inside = np.all((seg[:, [0, 2]] > margin) & (seg[:, [0, 2]] < width - 1 - margin), axis=1) & np.all(
        (seg[:, [1, 3]] > margin) & (seg[:, [1, 3]] < height - 1 - margin), axis=1
    )
    seg = seg[inside]
    if exclude_box_px is not None:
        x0, y0, x1, y1 = exclude_box_px
        mid = (seg[:, :2] + seg[:, 2:]) / 2.0
        points = np.stack([seg[:, :2], mid, seg[:, 2:]], axis=1)
        in_box = (
            (points[..., 0] >= x0) & (points[..., 0] <= x1) & (points[..., 1] >= y0) & (points[..., 1] <= y1)
        )
        seg = seg[~np.any(in_box, axis=1)]
    return seg


def estimate_roll(
    images_bgr: Iterable[npt.NDArray[np.uint8]], exclude_boxes_px: Iterable[FloatArray | None]
) -> RollEstimate:
    """Camera roll pooled over several frames, each with the person's box masked out."""
    pooled = []
    diagonal_px = 0.0
    for image, box in zip(images_bgr, exclude_boxes_px, strict=True):
        pooled.append(detect_segments(image, box))
        diagonal_px = float(np.hypot(image.shape[0], image.shape[1]))
    if not pooled:
        return RollEstimate(float("nan"), 0.0, 0)
    frames = len(pooled)
    estimate = roll_from_segments(np.concatenate(pooled), diagonal_px)
    return RollEstimate(estimate.roll_deg, estimate.support_fraction / frames, estimate.n_segments)
