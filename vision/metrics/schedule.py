"""Which frames get pose estimation: coarse-to-fine in time, in one pass over the clip.

A lunge clip is mostly standing up and rocking; the result is read only over each rep's hold, at its
deepest. So pose runs on a coarse grid (every ``coarse_every``-th analysed frame) while the shins are away
from their deepest, and on every analysed frame near it (:class:`DensityGate`, fed each estimated frame).
When a coarse frame turns out to be near the deepest, the few frames skipped just before it (held back by
the caller) are estimated too, so a hold is dense from its start. Frames left out are filled by linear
interpolation between their estimated neighbours (:func:`filled`): the gaps are shorter than the cleaning's
own gap filling (``CleaningParams.max_gap_s``), which would fill them the same way, and fall outside holds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from vision.pose.landmarks import FramePose, Landmark

FloatArray = npt.NDArray[np.float64]

#: The shin of each leg (either may be the tested one).
SHINS = ((Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE), (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE))
#: The deepest of the recent past is looked for over this long (a rock takes 1-3 s).
HISTORY_S = 3.0
#: A shin within this many degrees (image tilt) of its recent deepest is near a rep's hold: the hold spans
#: 1 deg of the smoothed angle, and one frame's tilt scatters by 1-2 deg about it.
NEAR_DEEPEST_DEG = 4.0
#: ... and at least this far above its recent shallowest, so standing still (whose deepest is its noise)
#: stays coarse. Reps rise 4 deg or more (``RepParams.min_rise_deg``).
MIN_RISE_DEG = 3.0
#: Below this landmark visibility a shin's tilt is not read: low, as only a rough tilt is needed, and a shin
#: at its deepest is often given a visibility under the analysis's 0.5.
MIN_VISIBILITY = 0.1


def shin_tilt_deg(pose: FramePose, knee: Landmark, ankle: Landmark) -> float:
    """The knee-ankle line's tilt from the image vertical (degrees, either way); NaN if not seen."""
    if min(pose.visibility[int(knee)], pose.visibility[int(ankle)]) < MIN_VISIBILITY:
        return float("nan")
    dx, dy = pose.xy_px[int(knee)] - pose.xy_px[int(ankle)]
    return float(np.degrees(np.arctan2(abs(dx), abs(dy))))


class DensityGate:
    """Decides, frame by frame, whether pose should run on every analysed frame (near a shin's deepest)."""

    def __init__(self) -> None:
        self._history: tuple[deque[tuple[float, float]], ...] = (deque(), deque())
        self._near = [False, False]

    @property
    def dense(self) -> bool:
        return any(self._near)

    def update(self, pose: FramePose) -> bool:
        """Take an estimated frame (in time order); is either shin near its recent deepest now? A shin not
        seen in this frame keeps its last answer (at the deepest, a shin is often seen least well)."""
        for leg, (history, (knee, ankle)) in enumerate(zip(self._history, SHINS, strict=True)):
            tilt_deg = shin_tilt_deg(pose, knee, ankle)
            while history and history[0][0] < pose.time_s - HISTORY_S:
                history.popleft()
            if np.isnan(tilt_deg):
                continue
            history.append((pose.time_s, tilt_deg))
            tilts = [tilt for _, tilt in history]
            self._near[leg] = (
                tilt_deg >= max(tilts) - NEAR_DEEPEST_DEG and tilt_deg >= min(tilts) + MIN_RISE_DEG
            )
        return self.dense


def interpolated(before: FramePose, after: FramePose, frame_index: int, time_s: float) -> FramePose:
    """A frame between two estimated ones, every point linear in time (missing where either is missing)."""
    span_s = after.time_s - before.time_s
    w = 0.5 if span_s <= 0 else (time_s - before.time_s) / span_s

    def mix(a: FloatArray, b: FloatArray) -> FloatArray:
        return np.asarray((1.0 - w) * a + w * b, dtype=np.float64)

    return FramePose(
        frame_index,
        time_s,
        mix(before.xy_px, after.xy_px),
        np.minimum(before.visibility, after.visibility),
        mix(before.world_m, after.world_m),
        mix(before.silhouette_px, after.silhouette_px),
    )


def filled(poses: Sequence[FramePose | None], grid: Sequence[tuple[int, float]]) -> list[FramePose]:
    """``poses`` with each None (a frame pose did not run on) interpolated between its estimated neighbours
    (``grid`` holds every frame's index and time); a None before the first or after the last estimated
    frame is missing."""
    known = {i: pose for i, pose in enumerate(poses) if pose is not None}
    order = list(known)
    out = []
    for i, pose in enumerate(poses):
        k = int(np.searchsorted(order, i))
        if pose is not None:
            out.append(pose)
        elif 0 < k < len(order):
            out.append(interpolated(known[order[k - 1]], known[order[k]], *grid[i]))
        else:
            out.append(FramePose.missing(*grid[i]))
    return out
