"""Which leg a clip is measured on, and why, in plain words: the front leg, or the other one when the front
leg is out of view, or the one in fuller view when the feet are side by side."""

from __future__ import annotations

import dataclasses

import numpy as np

from vision.errors import InputError
from vision.pose import quality
from vision.pose.landmarks import PoseTrack, Side
from vision.pose.legs import LegChoice, LegPoints, ankle_gap_px, choose_leg, foot_length_px, leg_points

#: Ankles closer than this many foot lengths along the image (in most frames) are side by side: a squat.
LEVEL_FEET_FOOT_RATIO = 0.5
#: A named side is said to be behind the other leg only when that leg is in front in at least this share of
#: frames.
CLEAR_FRONT_SHARE = 0.7


def pick_leg(track: PoseTrack, side: Side | None) -> tuple[LegChoice, LegPoints, str]:
    """The leg to measure, its tracks, and in plain words which it is and why.

    The front leg is tried first. When it is out of frame or hidden in most of the clip, or the feet are
    side by side (a squat: neither is in front), the other leg is tried too and the one in fuller view is
    taken. (MediaPipe's left/right labels flip often when the camera sees the inner side of the front leg,
    so how often a label is in front says little about level feet; the ankles' gap does.) A ``side`` the
    user named is measured as asked, with a note when the other leg is clearly in front.
    """
    choice = choose_leg(track, side)
    if side is not None:
        leg = leg_points(track, choice)
        quality.check_leg_in_frame(leg, track.width_px, track.height_px)
        note = f"the {side} leg, as asked"
        if choice.overridden and choice.label_agreement >= CLEAR_FRONT_SHARE:
            front = "right" if side == "left" else "left"
            note = f"the {front} leg is in front in this clip: the {side} leg (behind) was measured, as asked"
        return choice, leg, note
    other_side: Side = "right" if choice.side == "left" else "left"
    other = dataclasses.replace(choice, side=other_side, overridden=True)
    level = _feet_level(track)
    candidates = [(c, leg_points(track, c)) for c in (choice, other)]
    if level:
        candidates.sort(key=lambda pair: -_leg_visibility(pair[1]))
    first_error: InputError | None = None
    for candidate, leg in candidates:
        try:
            quality.check_leg_in_frame(leg, track.width_px, track.height_px)
        except InputError as err:
            first_error = first_error or err
            continue
        if candidate is choice and not level:
            return candidate, leg, f"the {candidate.side} leg, in front"
        if level:
            why = "the feet are level, so the leg in fuller view was taken"
        else:
            why = f"the {choice.side} leg, in front, is out of frame or hidden in most of the clip"
        return candidate, leg, f"the {candidate.side} leg: {why}"
    assert first_error is not None
    raise first_error


def _feet_level(track: PoseTrack) -> bool:
    """Are the ankles side by side (a squat): under half a foot length apart across the image, mostly?"""
    gap, foot = ankle_gap_px(track), foot_length_px(track, "left")
    with np.errstate(invalid="ignore"):
        level = gap < LEVEL_FEET_FOOT_RATIO * foot
    known = np.isfinite(gap) & np.isfinite(foot)
    return bool(known.any() and level[known].mean() > 0.5)


def _leg_visibility(leg: LegPoints) -> float:
    """Mean visibility of the knee, ankle, heel and toe over the clip."""
    return float(np.mean([np.mean(leg.visibility[name]) for name in ("knee", "ankle", "heel", "toe")]))
