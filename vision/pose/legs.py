"""Which leg is tested and which way the person faces, robust to MediaPipe swapping its left/right labels.

In the lunge test the tested leg is the front one: its foot is planted ahead of the other along the direction
the person faces. Per frame, the leg whose ankle is further forward is taken as the front leg whatever its
label, so a frame where MediaPipe swaps the labels still measures the right limb; the anatomical side reported
is the label MediaPipe gives the front leg in most frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vision import geometry
from vision.pose.landmarks import Landmark, LegLandmarks, PoseTrack, Side

FloatArray = npt.NDArray[np.float64]
POINT_NAMES = (
    "hip",
    "knee",
    "ankle",
    "heel",
    "toe",
    "knee_front",
    "toe_tip",
    "heel_back",
    "heel_bottom",
    "shin_front_top",
    "shin_front_bottom",
)
FOOT_POINT_NAMES = ("heel", "toe", "toe_tip", "heel_back", "heel_bottom")
#: A foot point nearer the frame's edge than this many foot lengths may be cut off by it. On every whole-foot
#: clip here (the 48 shared renders, the real clips and their re-encodings) the foot's points stay at least
#: 0.56 foot lengths from the edge in 90% of frames and never come within 0.1; a real lunge cropped through
#: the front foot has 86% of its frames within it.
EDGE_MARGIN_FOOT = 0.1


@dataclass(frozen=True)
class LegPoints:
    """Pixel tracks (n_frames, 2) of the tested leg and visibilities (n_frames,), NaN where missing.

    ``knee_front``, ``toe_tip``, ``heel_back``, ``heel_bottom`` and the front-of-shin chord's ends
    ``shin_front_top`` and ``shin_front_bottom`` are silhouette points (see :class:`Landmark`).
    """

    hip: FloatArray
    knee: FloatArray
    ankle: FloatArray
    heel: FloatArray
    toe: FloatArray
    knee_front: FloatArray
    toe_tip: FloatArray
    heel_back: FloatArray
    heel_bottom: FloatArray
    shin_front_top: FloatArray
    shin_front_bottom: FloatArray
    visibility: dict[str, FloatArray]

    def __post_init__(self) -> None:
        n = self.knee.shape[0]
        for name in POINT_NAMES:
            if getattr(self, name).shape != (n, 2):
                raise ValueError(f"LegPoints.{name} must have shape ({n}, 2)")

    def as_dict(self) -> dict[str, FloatArray]:
        return {name: getattr(self, name) for name in POINT_NAMES}


@dataclass(frozen=True)
class LegChoice:
    """The tested leg and facing, with how clear-cut the choice was."""

    side: Side
    facing: int  # +1 faces image right, -1 faces image left
    label_agreement: float  # fraction of frames where MediaPipe's label for the front leg is `side`
    swapped_frames: int  # frames where MediaPipe's labels were swapped relative to `side`
    overridden: bool


def facing_direction(track: PoseTrack) -> int:
    """+1 if the toes point image right in most frames, else -1 (heel-to-toe of both feet, then the nose)."""
    votes = []
    for side in ("left", "right"):
        leg = LegLandmarks.of(side)
        votes.append(track.point(leg.toe)[:, 0] - track.point(leg.heel)[:, 0])
    foot = np.nanmedian(np.concatenate(votes)) if np.isfinite(np.concatenate(votes)).any() else np.nan
    if np.isfinite(foot) and foot != 0:
        return 1 if foot > 0 else -1
    hips = (track.point(Landmark.LEFT_HIP) + track.point(Landmark.RIGHT_HIP)) / 2
    nose = np.nanmedian(track.point(Landmark.NOSE)[:, 0] - hips[:, 0])
    return 1 if not np.isfinite(nose) or nose >= 0 else -1


def left_is_front(track: PoseTrack, facing: int) -> npt.NDArray[np.bool_]:
    """Per frame: is the leg MediaPipe labels left the one further forward? False where unknown."""
    left = track.point(Landmark.LEFT_ANKLE)[:, 0]
    right = track.point(Landmark.RIGHT_ANKLE)[:, 0]
    with np.errstate(invalid="ignore"):
        return np.asarray(facing * (left - right) > 0)


def choose_leg(track: PoseTrack, side_override: Side | None = None) -> LegChoice:
    """The front (tested) leg and the facing direction."""
    facing = facing_direction(track)
    known = np.isfinite(track.point(Landmark.LEFT_ANKLE)[:, 0]) & np.isfinite(
        track.point(Landmark.RIGHT_ANKLE)[:, 0]
    )
    left_front = left_is_front(track, facing)[known]
    share_left = float(left_front.mean()) if len(left_front) else 0.5
    side: Side = "left" if share_left >= 0.5 else "right"
    agreement = share_left if side == "left" else 1.0 - share_left
    swapped = round((1.0 - agreement) * len(left_front))
    if side_override is not None:
        return LegChoice(side_override, facing, agreement, swapped, overridden=side_override != side)
    return LegChoice(side, facing, agreement, swapped, overridden=False)


#: The tested side's hip and shoulder lie this much nearer or further than the other side's, in MediaPipe's
#: world landmarks, in a side-on view (0.18-0.37 m on the 61 rendered clips measured): less, and the side
#: the camera films the leg from is not told.
MIN_VIEW_DEPTH_M = 0.1
LATERAL, MEDIAL, UNKNOWN_VIEW = "lateral", "medial", "unknown"


def camera_view(track: PoseTrack, side: Side) -> str:
    """Which side of the tested leg the camera films: :data:`LATERAL` (its outside: the tested side's hip and
    shoulder nearer the camera in MediaPipe's world landmarks, whose z grows away from it), :data:`MEDIAL`
    (its inside: the other leg nearer the lens), or :data:`UNKNOWN_VIEW`. Told right on 61 of 61 rendered
    clips."""
    other: Side = "right" if side == "left" else "left"
    depth = [
        track.world_m[:, Landmark[f"{side.upper()}_{part}"], 2]
        - track.world_m[:, Landmark[f"{other.upper()}_{part}"], 2]
        for part in ("HIP", "SHOULDER")
    ]
    values = np.concatenate(depth)
    nearer_m = float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan")
    if not abs(nearer_m) >= MIN_VIEW_DEPTH_M:
        return UNKNOWN_VIEW
    return LATERAL if nearer_m < 0 else MEDIAL


def ankle_gap_px(track: PoseTrack) -> FloatArray:
    """Per frame, how far apart MediaPipe's two ankles stand across the image (px; NaN where either is
    missing)."""
    left, right = (LegLandmarks.of(side) for side in ("left", "right"))
    return np.abs(track.point(left.ankle)[:, 0] - track.point(right.ankle)[:, 0])


def foot_length_px(track: PoseTrack, side: Side) -> FloatArray:
    """Per frame, the heel-to-toe length of the foot MediaPipe labels ``side`` (px)."""
    leg = LegLandmarks.of(side)
    return np.asarray(np.linalg.norm(track.point(leg.toe) - track.point(leg.heel), axis=1), dtype=np.float64)


#: In a split stance (the ankles' usual gap across the image at least this many foot lengths) ...
MIN_SPLIT_FOOT_RATIO = 1.0
#: ... a frame whose ankles stand under this share of their usual gap apart has the two legs merged.
MERGED_GAP_SHARE = 0.7


def legs_merged(track: PoseTrack) -> npt.NDArray[np.bool_]:
    """Per frame: did MediaPipe put both legs in the same place? In a lunge the feet stay planted a stride
    apart, so ankles met halfway mean it lost which leg is which: both legs' landmarks slide onto one
    leg or between the two. Neither leg is known in such a frame.

    On 64 of the 67 rendered lunges measured, the ankles never came closer than 0.94 of their usual gap;
    dev2_08 has two frames under 0.7. On the two where MediaPipe lost the legs (dev2_34, r778_22), 12 of 48
    and 18 of 75 frames came closer than 0.7, each read as the front foot travelling, and both clips were
    refused as "not a lunge"; without those frames they measure within 1.8 deg of the truth. With the feet
    side by side (a squat) no frame is flagged: they have no usual gap.
    """
    gap = ankle_gap_px(track)
    foot = np.concatenate([foot_length_px(track, side) for side in ("left", "right")])
    if not (np.isfinite(gap).any() and np.isfinite(foot).any()):
        return np.zeros(len(track), dtype=bool)
    usual = float(np.nanmedian(gap))
    if not usual >= MIN_SPLIT_FOOT_RATIO * float(np.nanmedian(foot)):
        return np.zeros(len(track), dtype=bool)
    with np.errstate(invalid="ignore"):
        return np.asarray(gap < MERGED_GAP_SHARE * usual)


def leg_points(track: PoseTrack, choice: LegChoice) -> LegPoints:
    """The tested leg's tracks. Frames where MediaPipe swapped the labels take the other label's points;
    frames where it merged the two legs (:func:`legs_merged`) are missing (NaN, visibility 0).

    With a ``--side`` override that names the rear leg (the user knows better), labels are taken as given.
    """
    chosen = LegLandmarks.of(choice.side)
    other = LegLandmarks.of("right" if choice.side == "left" else "left")
    if choice.overridden:
        swap = np.zeros(len(track), dtype=bool)
    else:
        left_front = left_is_front(track, choice.facing)
        known = np.isfinite(track.point(Landmark.LEFT_ANKLE)[:, 0]) & np.isfinite(
            track.point(Landmark.RIGHT_ANKLE)[:, 0]
        )
        swap = known & (left_front != (choice.side == "left"))
    merged = legs_merged(track)
    points: dict[str, FloatArray] = {}
    visibility: dict[str, FloatArray] = {}
    for name in POINT_NAMES:
        mine, theirs = getattr(chosen, name), getattr(other, name)
        point = np.where(swap[:, None], track.point(theirs), track.point(mine))
        points[name] = np.where(merged[:, None], np.nan, point)
        visibility[name] = np.where(merged, 0.0, np.where(swap, track.vis(theirs), track.vis(mine)))
    return LegPoints(visibility=visibility, **points)


def inside_frame(
    point_px: FloatArray, width_px: int, height_px: int, margin_px: float
) -> npt.NDArray[np.bool_]:
    """Frames (n,) whose point (n, 2) lies inside the frame, at least ``margin_px`` from its edges."""
    x, y = point_px[:, 0], point_px[:, 1]
    with np.errstate(invalid="ignore"):
        inside: npt.NDArray[np.bool_] = (
            (x >= margin_px) & (x < width_px - margin_px) & (y >= margin_px) & (y < height_px - margin_px)
        )
    return inside


def foot_at_edge(leg: LegPoints, width_px: int, height_px: int) -> npt.NDArray[np.bool_]:
    """Frames (n,) where a point of the tested foot (its landmarks, or the mask's outline where traced) lies
    within :data:`EDGE_MARGIN_FOOT` foot lengths of the frame's edge, or beyond it: the edge may cut the foot
    there."""
    foot_px = geometry.median_finite(geometry.segment_length_px(leg.heel, leg.toe))
    margin_px = float(np.nan_to_num(EDGE_MARGIN_FOOT * foot_px))  # no foot seen: no margin
    at_edge = np.zeros(leg.knee.shape[0], dtype=bool)
    for name in FOOT_POINT_NAMES:
        point = getattr(leg, name)
        at_edge |= np.isfinite(point[:, 0]) & ~inside_frame(point, width_px, height_px, margin_px)
    return at_edge


def without_foot(leg: LegPoints, frames: npt.NDArray[np.bool_]) -> LegPoints:
    """``leg`` with its foot's points missing (NaN, visibility 0) in ``frames`` (n,)."""
    points = {name: getattr(leg, name) for name in POINT_NAMES}
    visibility = dict(leg.visibility)
    for name in FOOT_POINT_NAMES:
        points[name] = np.where(frames[:, None], np.nan, points[name])
        if name in visibility:
            visibility[name] = np.where(frames, 0.0, visibility[name])
    return LegPoints(visibility=visibility, **points)
