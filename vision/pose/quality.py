"""Checks that the clip can be measured. Unusable input raises :class:`InputError`; doubts become warnings.

Every message names the problem and what to do, in one line, in plain words.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from vision.errors import InputError
from vision.pose.landmarks import Landmark, PoseTrack
from vision.pose.legs import LegChoice, LegPoints, foot_at_edge, inside_frame
from vision.video import VideoInfo

FloatArray = npt.NDArray[np.float64]

MIN_DURATION_S = 1.5
MIN_DETECTION_SHARE = 0.3  # a person must be found in this share of the analysed frames
MIN_LEG_IN_FRAME_SHARE = 0.5
MIN_SHIN_PX = 30.0  # below this the landmarks are a few pixels apart: no angle can be trusted
SMALL_SHIN_FRACTION = 0.12  # shin shorter than this share of the frame height: warn
MIN_VISIBILITY = 0.5
DARK_BRIGHTNESS = 45.0  # mean 8-bit grey level
LOW_VISIBILITY = 0.75
# Side-on, a foot (heel to toe, about 25 cm) looks about 0.6 times as long as the shin (about 40 cm).
# Filmed from the front the foot is foreshortened: below 0.35 the camera is more than ~50 deg off side-on.
MIN_FOOT_TO_SHIN = 0.35
JUMP_SHIN_LENGTHS = 0.75  # the hips moving this far between analysed frames means someone else took over
MAX_SHOULDER_SPREAD = 0.5  # shoulder separation in the image, in shin lengths (see check_side_on)


def check_duration(duration_s: float) -> None:
    if duration_s < MIN_DURATION_S:
        raise InputError(
            f"the clip is only {duration_s:.1f} s long: record at least 3 s with 2-3 slow forward rocks"
        )


def truncation_warnings(ended_early: bool, frames_decoded: int, info: VideoInfo) -> list[str]:
    if not ended_early:
        return []
    return [
        f"the file ends early (frame {frames_decoded} of {info.frame_count}); it may be truncated: "
        "only the readable part was measured"
    ]


#: The person's mask is grown by this fraction of the image diagonal before the scene's edges are read, so
#: their outline (the shin's straight edges) stays out while the wall and floor boards beside them count.
PERSON_GROW_FRACTION = 0.02


def person_region(
    size_hw: tuple[int, int], xy_px: FloatArray, visibility: FloatArray, mask: npt.NDArray[np.float32] | None
) -> npt.NDArray[np.bool_] | None:
    """Where the person is in one frame (True), at the frame's size: MediaPipe's person mask grown by
    :data:`PERSON_GROW_FRACTION` of the diagonal, or without a mask the box around the landmarks (None when
    neither is known)."""
    height, width = size_hw
    if mask is not None:
        person = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR) > 0.5
        grow = 2 * round(PERSON_GROW_FRACTION * float(np.hypot(width, height))) + 1
        return np.asarray(cv2.dilate(person.astype(np.uint8), np.ones((grow, grow), np.uint8)), dtype=bool)
    box = person_box(xy_px, visibility)
    if box is None:
        return None
    region = np.zeros((height, width), dtype=bool)
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    region[max(y0, 0) : max(y1 + 1, 0), max(x0, 0) : max(x1 + 1, 0)] = True
    return region


def person_box(
    xy_px: FloatArray, visibility: FloatArray, margin: float = 0.1, below_px: float | None = None
) -> FloatArray | None:
    """(x0, y0, x1, y1) around the visible landmarks of one frame, widened by ``margin`` of its size; below
    the lowest landmark by at most ``below_px`` when given (the feet stand on the floor there)."""
    seen = xy_px[visibility >= MIN_VISIBILITY * 0.5]
    seen = seen[np.all(np.isfinite(seen), axis=1)]
    if len(seen) < 3:
        return None
    lo, hi = seen.min(axis=0), seen.max(axis=0)
    pad = margin * (hi - lo) + 10.0
    box: FloatArray = np.concatenate([lo - pad, hi + pad])
    if below_px is not None:
        box[3] = min(box[3], hi[1] + below_px)
    return box


def check_person(track: PoseTrack, brightness: float) -> None:
    found = np.isfinite(track.xy_px[:, Landmark.LEFT_HIP, 0])
    if found.mean() >= MIN_DETECTION_SHARE:
        return
    if brightness < DARK_BRIGHTNESS:
        raise InputError(
            f"the clip is too dark to find the person (brightness {brightness:.0f}/255): "
            "add light or film facing away from windows"
        )
    raise InputError(
        "no person found in most of the clip: film the whole body side-on, in good light, one person only"
    )


def check_side_on(track: PoseTrack, shin_px: float) -> None:
    """Stop when the camera films the person from the front or back instead of the side.

    Side-on, the two shoulders overlap in the image (under 0.25 shin lengths apart on every side-view clip
    here). Shoulder breadth is about 0.9 shin lengths, so shoulders more than 0.5 shin lengths apart mean the
    camera is turned by more than about 35 degrees from side-on: no sagittal angle can be read.
    """
    shoulders = np.abs(track.point(Landmark.LEFT_SHOULDER)[:, 0] - track.point(Landmark.RIGHT_SHOULDER)[:, 0])
    if np.isfinite(shoulders).any() and np.nanmedian(shoulders) > MAX_SHOULDER_SPREAD * shin_px:
        raise InputError(
            "the camera films the person from the front or back, not from the side: "
            "place it square to the side of the tested leg, at shin height"
        )


def check_leg_in_frame(leg: LegPoints, width_px: int, height_px: int) -> None:
    """The tested leg's knee, ankle, heel and toe must be inside the frame and visible in most frames."""
    ok = np.ones(leg.knee.shape[0], dtype=bool)
    for name in ("knee", "ankle", "heel", "toe"):
        inside = inside_frame(getattr(leg, name), width_px, height_px, 0.0)
        ok &= inside & (leg.visibility[name] >= MIN_VISIBILITY)
    found = np.isfinite(leg.knee[:, 0])
    if found.any() and ok[found].mean() < MIN_LEG_IN_FRAME_SHARE:
        raise InputError(
            "the front foot or knee is out of frame or hidden in most of the clip: "
            "place the camera so the whole foot and knee stay in view"
        )
    shin_px = np.nanmedian(np.linalg.norm(leg.knee - leg.ankle, axis=1))
    if not shin_px >= MIN_SHIN_PX:
        raise InputError(
            f"the person is too small in the frame (shin {shin_px:.0f} px): move the camera closer"
        )


def check_foot_clear_of_edge(leg: LegPoints, width_px: int, height_px: int) -> None:
    """The tested foot must stay clear of the frame's edge (:func:`legs.foot_at_edge`) in most frames where
    it is seen: a foot the edge cuts through shows neither its heel's rise nor its toe tip."""
    seen = np.isfinite(leg.heel[:, 0]) & np.isfinite(leg.toe[:, 0])
    at_edge = foot_at_edge(leg, width_px, height_px)
    if seen.any() and at_edge[seen].mean() > 1.0 - MIN_LEG_IN_FRAME_SHARE:
        raise InputError(
            "the tested foot is cut by the edge of the frame in most of the clip: place the camera so the "
            "whole foot, with some floor around it, stays in view"
        )


def scene_warnings(
    track: PoseTrack, leg: LegPoints, brightness: float, foot_px: float, shin_px: float, choice: LegChoice
) -> list[str]:
    """Doubts about the recording that do not stop the measurement."""
    warnings = []
    if shin_px < SMALL_SHIN_FRACTION * track.height_px:
        warnings.append(f"the leg is small in the frame (shin {shin_px:.0f} px): move the camera closer")
    if brightness < DARK_BRIGHTNESS:
        warnings.append("the clip is dark: add light or film facing away from windows")
    vis = np.minimum(leg.visibility["knee"], leg.visibility["ankle"])
    found = np.isfinite(leg.knee[:, 0])
    if found.any() and np.median(vis[found]) < LOW_VISIBILITY:
        warnings.append(
            "the knee or ankle is hard to see (dark, blurred or covered): wear shorts or tights, add light"
        )
    if foot_px < MIN_FOOT_TO_SHIN * shin_px:
        warnings.append(
            "the camera does not see the side of the foot: place it square to the side of the tested leg, "
            "at shin height"
        )
    if choice.label_agreement < 0.8 and not choice.overridden:
        warnings.append(
            f"the {choice.side} leg was chosen as the front leg but the choice was not clear-cut: "
            "check it, or pass --side"
        )
    jumps = _person_jumps(track, shin_px)
    if jumps:
        warnings.append(
            f"the tracked person jumped at {jumps[0]:.1f} s: a second person may have come into view; "
            "film with only the person tested in frame"
        )
    return warnings


def _person_jumps(track: PoseTrack, shin_px: float) -> list[float]:
    """Times where the hip centre moved more than :data:`JUMP_SHIN_LENGTHS` shin lengths in one step."""
    hips = (track.point(Landmark.LEFT_HIP) + track.point(Landmark.RIGHT_HIP)) / 2
    step = np.linalg.norm(np.diff(hips, axis=0), axis=1)
    with np.errstate(invalid="ignore"):
        jumps = np.flatnonzero(step > JUMP_SHIN_LENGTHS * shin_px)
    return [float(track.time_s[i + 1]) for i in jumps]


#: A camera turned further than this from side-on is worth a warning even when corrected for: the leg then
#: hides part of itself and the knee's sideways travel leaks into the picture.
YAW_WARNING_DEG = 8.0


def camera_warnings(yaw_deg: float | None) -> list[str]:
    """A warning when the measured camera yaw is large (None: the yaw could not be measured)."""
    if yaw_deg is None or abs(yaw_deg) <= YAW_WARNING_DEG:
        return []
    where = "behind" if yaw_deg > 0 else "in front of"
    return [
        f"the camera is turned {abs(yaw_deg):.0f} deg from side-on (it stands {where} the person): the "
        "result is corrected for it, but film square to the side of the front foot for the best accuracy"
    ]
