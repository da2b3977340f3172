"""The camera's roll from the scene's straight edges, and the edges themselves.

Rooms are full of straight vertical edges (wall corners, door frames, the wall in front of the foot) and
horizontal ones (the floor/wall line behind the person). Their deviation from the image axes, pooled over
a few frames with the person masked out, estimates the roll; the verticals' vanishing point, when there are
enough of them, gives "up" at every point of the image. The feet are not used: the two feet stand at
different depths, so the line through them is tilted by perspective (5-12 degrees on level test clips), and
MediaPipe's heel sits higher than its toe.

The pooled edges (:class:`SceneEdges`) also feed the search for the camera's tilt and yaw
(:func:`vision.scene.camera_search.scene_camera`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Only edges within this many degrees of an image axis count (a phone is rarely held more crooked).
MAX_ROLL_DEG = 20.0
#: Shortest edge used, as a fraction of the image diagonal: short edges are texture, not structure.
MIN_SEGMENT_FRACTION = 0.06
#: Edges supporting the answer must add up to this fraction of the diagonal before it is trusted.
MIN_SUPPORT_FRACTION = 0.5
#: Half-width of the window (degrees) around the modal angle that is averaged.
MODE_WINDOW_DEG = 1.0
#: The verticals' vanishing point must be at least this many image diagonals from the centre: closer means a
#: camera tilted by more than about 25 degrees, not a phone at shin height, so the fit is not trusted.
MIN_VANISHING_DISTANCE = 2.0


@dataclass(frozen=True)
class RollEstimate:
    """Which way is up in the image.

    Attributes:
        roll_deg: camera roll at the image centre (+ = the scene appears rotated counter-clockwise), or NaN.
        support_fraction: summed length of the agreeing edges / image diagonal.
        n_segments: how many edges agree.
        vanishing_point: where the scene's vertical edges meet, homogeneous (x, y, w) in pixels; None when
            the roll came from horizontal edges only. With it, "up" is known at every point of the image: a
            camera tilted down makes verticals converge below, and the shin is measured against the local
            vertical where it stands rather than a single global one.
    """

    roll_deg: float
    support_fraction: float
    n_segments: int
    vanishing_point: FloatArray | None = None
    source: str = "none"  # "vertical vanishing point", "vertical edges", "horizontal edges" or "none"

    @property
    def reliable(self) -> bool:
        return bool(np.isfinite(self.roll_deg)) and self.support_fraction >= MIN_SUPPORT_FRACTION

    def up_at(self, point_px: FloatArray) -> FloatArray:
        """Unit image direction of the scene's vertical (pointing up) at ``point_px``."""
        vp = self.vanishing_point
        if vp is not None and abs(vp[2]) > 1e-12:
            direction = vp[:2] / vp[2] - np.asarray(point_px, dtype=np.float64)
        elif vp is not None:
            direction = vp[:2].copy()
        else:
            a = np.radians(self.roll_deg)
            direction = np.array([-np.sin(a), -np.cos(a)])
        direction = direction / np.linalg.norm(direction)
        up: FloatArray = direction if direction[1] < 0 else -direction
        return up


def segment_deviations_deg(segments_px: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each segment's deviation from the nearest image axis (counter-clockwise on screen +) and its length."""
    seg = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    dx = seg[:, 2] - seg[:, 0]
    dy = seg[:, 3] - seg[:, 1]
    angle = np.degrees(np.arctan2(-dy, dx))  # on-screen angle, y up
    deviation = (angle + 45.0) % 90.0 - 45.0
    return deviation, np.hypot(dx, dy)


def _vertical(segments_px: FloatArray) -> npt.NDArray[np.bool_]:
    """Which segments are closer to the image vertical than to the horizontal."""
    seg = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    return np.asarray(np.abs(seg[:, 3] - seg[:, 1]) > np.abs(seg[:, 2] - seg[:, 0]))


def roll_from_segments(segments_px: FloatArray, diagonal_px: float) -> RollEstimate:
    """Length-weighted mode of the edges' deviations from the image axes (one roll for the whole image)."""
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


def vanishing_point(
    segments_px: FloatArray, centre_px: FloatArray, scale_px: float, max_residual_deg: float = 1.5
) -> tuple[FloatArray, npt.NDArray[np.bool_]] | None:
    """Least-squares meeting point of segments, with iterative rejection of outliers.

    Returns the homogeneous vanishing point in pixels and which segments agree with it, or None.
    """
    seg = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    if len(seg) < 2:
        return None
    p1 = np.column_stack([(seg[:, :2] - centre_px) / scale_px, np.ones(len(seg))])
    p2 = np.column_stack([(seg[:, 2:] - centre_px) / scale_px, np.ones(len(seg))])
    lines = np.cross(p1, p2)
    lines /= np.linalg.norm(lines[:, :2], axis=1, keepdims=True)
    weight = np.linalg.norm(p2[:, :2] - p1[:, :2], axis=1)
    agree = np.ones(len(seg), dtype=bool)
    vp = np.zeros(3)
    for _ in range(3):
        if agree.sum() < 2:
            return None
        moment = (lines[agree] * weight[agree, None]).T @ lines[agree]
        vp = np.linalg.eigh(moment)[1][:, 0]
        agree = _residual_deg(p1, p2, vp) <= max_residual_deg
    vp_px = np.array(
        [vp[0] * scale_px + centre_px[0] * vp[2], vp[1] * scale_px + centre_px[1] * vp[2], vp[2]]
    )
    return vp_px, agree


def _converging(segments_px: FloatArray, centre_px: FloatArray, diagonal_px: float) -> bool:
    """Do these edges meet within :data:`MIN_VANISHING_DISTANCE` diagonals of the image centre?"""
    fit = vanishing_point(segments_px, centre_px, diagonal_px)
    if fit is None:
        return False
    vp = fit[0]
    distance = np.linalg.norm(vp[:2] / vp[2] - centre_px) if abs(vp[2]) > 1e-12 else np.inf
    return bool(distance < MIN_VANISHING_DISTANCE * diagonal_px)


def _residual_deg(p1: FloatArray, p2: FloatArray, vp: FloatArray) -> FloatArray:
    """Angle between each segment and the line from its midpoint to the vanishing point."""
    mid = (p1[:, :2] + p2[:, :2]) / 2
    direction = p2[:, :2] - p1[:, :2]
    to_vp = vp[:2] - mid * vp[2]
    cross = direction[:, 0] * to_vp[:, 1] - direction[:, 1] * to_vp[:, 0]
    dot = np.sum(direction * to_vp, axis=1)
    angle = np.degrees(np.abs(np.arctan2(cross, dot)))
    residual: FloatArray = np.minimum(angle, 180.0 - angle)
    return residual


def scene_vertical(segments_px: FloatArray, width_px: int, height_px: int, n_frames: int = 1) -> RollEstimate:
    """Up in the image from the scene's edges: the vertical edges' vanishing point when there are enough,
    otherwise one roll from all near-axis edges. ``n_frames``: how many frames the segments were pooled from
    (support is per frame).
    """
    diagonal_px = float(np.hypot(width_px, height_px))
    seg = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    deviation, length = segment_deviations_deg(seg)
    usable = (np.abs(deviation) <= MAX_ROLL_DEG) & (length >= MIN_SEGMENT_FRACTION * diagonal_px)
    vertical = seg[usable & _vertical(seg)]
    centre = np.array([width_px / 2.0, height_px / 2.0])
    fit = vanishing_point(vertical, centre, diagonal_px) if len(vertical) >= 2 else None
    if fit is not None:
        vp, agree = fit
        support = float(length[usable & _vertical(seg)][agree].sum() / diagonal_px) / n_frames
        far = (
            abs(vp[2]) < 1e-12
            or np.linalg.norm(vp[:2] / vp[2] - centre) >= MIN_VANISHING_DISTANCE * diagonal_px
        )
        up = RollEstimate(0.0, support, int(agree.sum()), vp).up_at(centre)
        roll = float(np.degrees(np.arctan2(-up[0], -up[1])))
        if support >= MIN_SUPPORT_FRACTION and far and abs(roll) <= MAX_ROLL_DEG:
            return RollEstimate(roll, support, int(agree.sum()), vp, "vertical vanishing point")
    # Too few distinct verticals to place their vanishing point: their mean direction still gives the roll
    # (verticals are unaffected by camera yaw); horizontal edges come last, as yaw makes them converge.
    horizontal = usable & ~_vertical(seg)
    if _converging(seg[horizontal], centre, diagonal_px):
        # Horizontal edges meet at a finite point when the camera is turned (yawed) against the wall they lie
        # on; their slope then mixes yaw into the roll, so they are not used.
        horizontal = np.zeros_like(horizontal)
    for subset, source in ((usable & _vertical(seg), "vertical edges"), (horizontal, "horizontal edges")):
        estimate = roll_from_segments(seg[subset], diagonal_px)
        estimate = dataclasses.replace(
            estimate, support_fraction=estimate.support_fraction / n_frames, source=source
        )
        if estimate.reliable:
            return estimate
    return estimate


#: An edge is the scene's, not the person's, when at most this share of it lies on the (grown) person: a
#: wall's edge the hands touch, or floor boards the feet stand on, still count.
MAX_SHARE_ON_PERSON = 1.0 / 3.0


def detect_segments(image_bgr: npt.NDArray[np.uint8], exclude: BoolArray | None = None) -> FloatArray:
    """Straight edges (x1, y1, x2, y2) in one frame, minus those lying more than :data:`MAX_SHARE_ON_PERSON`
    on ``exclude`` (True where the person is, the image's size)."""
    gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    detector = cv2.createLineSegmentDetector(cv2.LSD_REFINE_STD)
    lines = detector.detect(gray)[0]
    if lines is None:
        return np.empty((0, 4))
    seg: FloatArray = lines.reshape(-1, 4).astype(np.float64)
    height, width = gray.shape
    margin = 3.0
    xs, ys = seg[:, [0, 2]], seg[:, [1, 3]]
    along_border = (
        np.all(xs <= margin, axis=1)
        | np.all(xs >= width - 1 - margin, axis=1)
        | np.all(ys <= margin, axis=1)
        | np.all(ys >= height - 1 - margin, axis=1)
    )
    seg = seg[~along_border]
    if exclude is not None:
        seg = seg[_share_inside(seg, exclude) <= MAX_SHARE_ON_PERSON]
    return seg


def _share_inside(seg: FloatArray, region: BoolArray) -> FloatArray:
    """The share of 9 points along each segment (n, 4) that lie inside ``region``."""
    fractions = np.linspace(0.0, 1.0, 9)[None, :, None]
    points = seg[:, None, :2] + fractions * (seg[:, None, 2:] - seg[:, None, :2])
    height, width = region.shape
    cols = np.clip(np.rint(points[..., 0]).astype(np.intp), 0, width - 1)
    rows = np.clip(np.rint(points[..., 1]).astype(np.intp), 0, height - 1)
    share: FloatArray = np.mean(region[rows, cols], axis=1)
    return share


@dataclass(frozen=True)
class SceneEdges:
    """Straight edges pooled over several frames of a still camera, the person masked out."""

    segments_px: FloatArray  # (n, 4) x1, y1, x2, y2
    image_size: tuple[int, int]  # width, height
    n_frames: int

    def __post_init__(self) -> None:
        if self.segments_px.ndim != 2 or self.segments_px.shape[1] != 4:
            raise ValueError(f"SceneEdges.segments_px must have shape (n, 4), got {self.segments_px.shape}")


def scene_edges(
    images_bgr: Iterable[npt.NDArray[np.uint8]], exclude: Iterable[BoolArray | None]
) -> SceneEdges:
    """The edges of every image, each with the person (``exclude``, True where they are) masked out."""
    pooled = [np.empty((0, 4))]
    size = (0, 0)
    for image, region in zip(images_bgr, exclude, strict=True):
        pooled.append(detect_segments(image, region))
        size = (image.shape[1], image.shape[0])
    return SceneEdges(np.concatenate(pooled), size, len(pooled) - 1)


def estimate_roll(
    images_bgr: Iterable[npt.NDArray[np.uint8]], exclude: Iterable[BoolArray | None]
) -> RollEstimate:
    """Up in the image, pooled over several frames (a still camera), each with the person masked out.

    The support is per frame, so it does not grow with the number of frames pooled.
    """
    return roll_from_edges(scene_edges(images_bgr, exclude))


def roll_from_edges(edges: SceneEdges) -> RollEstimate:
    """Up in the image from pooled edges (see :func:`scene_vertical`); unreliable without frames."""
    if edges.n_frames == 0:
        return RollEstimate(float("nan"), 0.0, 0)
    width_px, height_px = edges.image_size
    return scene_vertical(edges.segments_px, width_px, height_px, n_frames=edges.n_frames)
