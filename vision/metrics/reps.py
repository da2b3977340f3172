"""Each rep judged: its figures read over the hold, and whether it is a valid rep of the test.

A rep is valid when the picture is steady (no fade or cut), the shin rocked forward over the foot, the foot
stayed planted and did not slide, and the heel stayed down: judged only where the foot is big enough in the
picture and MediaPipe kept the foot over the hold (:func:`foot_intact`); a heel not seen is not called lifted.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vision import geometry
from vision.metrics.angles import CameraDoubt, rep_angles
from vision.metrics.timeseries import Rep
from vision.results import AXIS_PLUS_OFFSET, FrameSeries, RepResult

FloatArray = npt.NDArray[np.float64]

#: A forward rock brings the knee ahead of the ankle: a rep whose knee-ankle line stays behind the vertical is
#: not one (standing, stepping back, the start of a clip). 0, not more: a camera roll read wrongly shifts it.
MIN_ROCK_DEG = 0.0
#: A rock whose hold is this many times brighter or darker than the clip is in a fade, flash or cut, not a
#: clean picture of the test (a phone's auto-exposure drifts by well under this).
MAX_LIGHT_CHANGE = 1.3
#: A heel lift at the limit must span at least this many pixels to be judged: on a foot under 50 px long
#: (a person small in a wide frame) the heel's rise is within the mask's noise (rendered heel-down reps read
#: 0.06-0.14 foot lengths on a 38 px foot).
MIN_LIFT_PX = 2.5
#: A heel rise under the limit still counts as a lift when it stands out from the clip's other reps: over this
#: share of the limit (0.03 foot lengths, about 0.8 cm, at the default), at least MIN_LIFT_PX, and
#: RELATIVE_LIFT_FACTOR times the largest rise of any other rep (the same person, camera and noise). On the
#: per-rep readings of 124 rendered clips, four lifts (1.1-1.5 cm, and 2.9 cm on a foot whose two readings
#: disagreed) read 0.041-0.061 with the other reps at most a third of that, and the heel-down rep nearest to
#: counting read 2.3 times its clip's others: shares of 0.5-0.6 and factors of 2.5-3 catch the same 4 lifts
#: and reject no heel-down rep; a factor of 2 rejects one.
RELATIVE_LIFT_SHARE = 0.6
RELATIVE_LIFT_FACTOR = 3.0
#: The heel and toe landmarks of a foot flat or pivoting on its ball stay at least this share of their usual
#: distance apart; a shorter foot is MediaPipe losing it (:func:`foot_intact`) ...
MIN_FOOT_SHARE = 0.75
#: ... and a hold with fewer frames than this share intact does not show the heel well enough to judge it.
MIN_INTACT_SHARE = 0.5
#: A hand point within this many shin lengths of the knee over most of a hold rests on the knee (hands
#: hanging at the sides or on the wall stay 0.4 shin lengths or more away on the 64 rendered clips measured;
#: a hand on the knee came within 0.02-0.08) ...
HAND_ON_KNEE_SHIN = 0.2
#: ... and MediaPipe then places the knee on the hand and the mask's front edge may be the fingers': both
#: angles get this much more doubt (1 sigma; a knee point off by a hand's breadth, about a tenth of the shin,
#: tips the shin by about 6 deg; the one rendered clip with a hand on the knee read 6.2 deg high).
HAND_ON_KNEE_SIGMA_DEG = 5.0
#: A result whose heel rose more than this share of the limit, though not past it, is doubted: lifts of
#: 1.1-1.5 cm read 0.041-0.047 foot lengths on rendered clips, under the limit (caught only where the clip's
#: other reps stayed flat: RELATIVE_LIFT_FACTOR), while 10 of 132 heel-down reps read over 0.035 (a warning
#: there costs a look at the picture).
NEAR_LIFT_SHARE = 0.7
#: A rep's toes may move at most this many foot lengths over the whole rock (landmark noise is about 0.1):
#: beyond it the foot was not planted (stepping in or out, walking), and it is not a rep of the test.
PLANTED_MAX_FOOT_RATIO = 0.5


@dataclass(frozen=True)
class RepLimits:
    """The user's limits of a valid rep (``MeasureOptions``): heel rise and toe slide, in foot lengths."""

    heel_lift_max_foot_ratio: float
    foot_slide_max_foot_ratio: float


def rep_result(
    index: int,
    rep: Rep,
    series: FrameSeries,
    foot_px: float,
    shin_px: float,
    px_per_cm: float | None,
    toe_along_px: FloatArray,
    doubt: CameraDoubt,
    brightness: FloatArray,
    limits: RepLimits,
    others_rise_px: float = float("nan"),
) -> RepResult:
    """The rep's figures over its hold, and whether it is a valid rep of the test (or why not).

    ``others_rise_px``: the largest heel rise of the clip's other reps (:func:`heel_rise_px`; NaN for none),
    against which a smaller rise may stand out as a lift (:data:`RELATIVE_LIFT_FACTOR`).

    ``toe_along_px`` (k, n): the toes' place along the floor from their usual place, one row per reading
    (MediaPipe's foot-index landmark, the mask's toe tip): the foot slid or stepped only as far as every
    reading that saw it says. The landmark alone slides back by up to a fifth of the foot at deep flexion
    while the mask's toe tip and the heel stay put (rendered heel-down reps rejected as "moved by 5 cm").
    """
    hold = slice(rep.hold_start, rep.hold_end + 1)
    legs = {name: points[hold] for name, points in series.leg_px.items()}
    angles = rep_angles(
        series.shin_angle_deg[hold],
        series.tibia_axis_deg[hold],
        shin_px,
        doubt.deg(legs["shin_front_top"], legs["shin_front_bottom"]),
        doubt.deg(legs["knee"], legs["ankle"]),
        doubt.view,
    )
    hand_on_knee = bool(geometry.median_finite(series.hand_to_knee_shin[hold]) < HAND_ON_KNEE_SHIN)
    if hand_on_knee:
        angles = dataclasses.replace(
            angles,
            shin_angle_uncertainty_deg=float(
                np.hypot(angles.shin_angle_uncertainty_deg, HAND_ON_KNEE_SIGMA_DEG)
            ),
            tibia_axis_uncertainty_deg=float(
                np.hypot(angles.tibia_axis_uncertainty_deg, HAND_ON_KNEE_SIGMA_DEG)
            ),
        )
    knee_px = geometry.median_finite(series.knee_over_toe_px[hold])
    foot_seen = foot_intact(series.leg_px["heel"], series.leg_px["toe"])
    intact = foot_seen[hold]
    heel_visible = bool(intact.mean() >= MIN_INTACT_SHARE)
    lift_px = heel_rise_px(series, rep)
    limit = limits.heel_lift_max_foot_ratio
    # A rise that stands out from the other reps' is judged against a lower limit (and seen at half of it).
    stands_out = _stands_out(lift_px, others_rise_px, foot_px, limit)
    if stands_out:
        limit *= RELATIVE_LIFT_SHARE
    # Lifted only when both readings of the rise see it (the lower above half the limit): one alone is a
    # landmark dipping or the camera moving, and the heel then counts as not seen rather than lifted.
    heel_seen = (
        heel_visible
        and heel_judged(foot_px, limits.heel_lift_max_foot_ratio)
        and (
            lift_px - geometry.median_finite(np.where(intact, series.heel_lift_gap_px[hold], np.nan))
            > limit * foot_px / 2
        )
    )
    slide_px = _least(
        [abs(geometry.median_finite(np.where(intact, along[hold], np.nan))) for along in toe_along_px]
    )
    lift_ratio, slide_ratio = lift_px / foot_px, slide_px / foot_px
    heel_down = not (lift_ratio > limit and heel_seen)
    # A foot MediaPipe lost (its toe closed onto the heel) is no sign of the foot travelling.
    travel_px = _least([_foot_travel_px(np.where(foot_seen, along, np.nan), rep) for along in toe_along_px])
    axis_deg_at_hold = geometry.median_finite(series.tibia_axis_deg[hold])
    planted = not travel_px > PLANTED_MAX_FOOT_RATIO * foot_px
    reason = None
    light_change = geometry.median_finite(brightness[hold]) / float(np.median(brightness))
    if not abs(np.log(light_change)) <= np.log(MAX_LIGHT_CHANGE):
        reason = "the picture fades, flashes or cuts at this rock (a video edit or a light change)"
    elif not axis_deg_at_hold >= MIN_ROCK_DEG:
        reason = "the shin did not rock forward over the foot (the knee stayed behind the ankle)"
    elif not planted:
        reason = f"the front foot was not planted (it travelled {travel_px / foot_px:.1f} foot lengths)"
    elif not heel_down:
        reason = f"heel lifted by about {_length(lift_px, foot_px, px_per_cm)}" + (
            ", well above its rise in the other reps"
            if stands_out and lift_ratio <= limits.heel_lift_max_foot_ratio
            else ""
        )
    elif slide_ratio > limits.foot_slide_max_foot_ratio:
        reason = f"front foot moved by about {_length(slide_px, foot_px, px_per_cm)}"
    return RepResult(
        index=index + 1,
        start_time_s=float(series.time_s[rep.start]),
        end_time_s=float(series.time_s[rep.end]),
        peak_frame=int(series.frame_index[rep.peak]),
        peak_time_s=float(series.time_s[rep.peak]),
        hold_start_time_s=float(series.time_s[rep.hold_start]),
        hold_end_time_s=float(series.time_s[rep.hold_end]),
        shin_angle_deg=angles.shin_angle_deg,
        shin_angle_uncertainty_deg=angles.shin_angle_uncertainty_deg,
        shin_angle_source=angles.shin_angle_source,
        shin_angle_image_deg=geometry.median_finite(series.shin_angle_image_deg[hold]),
        tibia_axis_deg=angles.tibia_axis_deg,
        tibia_axis_uncertainty_deg=angles.tibia_axis_uncertainty_deg,
        knee_over_toe_px=knee_px,
        knee_over_toe_foot_ratio=knee_px / foot_px,
        knee_over_toe_cm=knee_px / px_per_cm if px_per_cm and np.isfinite(knee_px) else None,
        heel_lift_foot_ratio=lift_ratio,
        heel_lift_cm=lift_px / px_per_cm if px_per_cm else None,
        foot_slide_foot_ratio=slide_ratio,
        heel_down=heel_down,
        valid=reason is None,
        reason=reason,
        foot_planted=planted,
        heel_visible=heel_visible,
        hand_on_knee=hand_on_knee,
    )


def heel_rise_px(series: FrameSeries, rep: Rep) -> float:
    """The heel's rise over the rep's hold (px, at least 0): the median over the frames whose foot MediaPipe
    kept (:func:`foot_intact`); NaN when it kept none."""
    hold = slice(rep.hold_start, rep.hold_end + 1)
    intact = foot_intact(series.leg_px["heel"], series.leg_px["toe"])[hold]
    rise = geometry.median_finite(np.where(intact, series.heel_lift_px[hold], np.nan))
    return max(rise, 0.0) if np.isfinite(rise) else float("nan")


def largest_other(values: list[float], index: int) -> float:
    """The largest finite value but the one at ``index`` (NaN when there is none)."""
    others = [v for i, v in enumerate(values) if i != index and np.isfinite(v)]
    return max(others, default=float("nan"))


def _stands_out(lift_px: float, others_rise_px: float, foot_px: float, limit: float) -> bool:
    """Whether a heel rise is clear of the noise of this clip's other reps, so that a smaller rise, or one
    only roughly confirmed by the second reading, is a lift."""
    return bool(
        lift_px > RELATIVE_LIFT_SHARE * limit * foot_px
        and lift_px >= MIN_LIFT_PX
        and lift_px >= RELATIVE_LIFT_FACTOR * others_rise_px
    )


def foot_intact(heel_px: FloatArray, toe_px: FloatArray) -> npt.NDArray[np.bool_]:
    """Frames (n,) whose heel and toe landmarks (n, 2) lie at least :data:`MIN_FOOT_SHARE` of their usual
    distance apart.

    A heel that lifts pivots about the ball of the foot and keeps that distance; where it shrinks, MediaPipe
    has lost the foot (on a rendered clip at deep flexion the heel point rode 20 px up the shin and the toe
    point 20 px back, halving it), and neither the heel's rise nor the toe's slide read there is real.
    """
    length = geometry.segment_length_px(heel_px, toe_px)
    usual = geometry.median_finite(length)
    intact: npt.NDArray[np.bool_] = np.isfinite(length) & (length >= MIN_FOOT_SHARE * usual)
    return intact


def heel_judged(foot_px: float, heel_lift_max_foot_ratio: float) -> bool:
    """Is the foot big enough in the picture for a lift at the limit to show (at least
    :data:`MIN_LIFT_PX`)? Smaller, the heel's rise is within the mask's and landmarks' noise: it is not
    judged, and a rep is never called lifted from it."""
    return bool(heel_lift_max_foot_ratio * foot_px >= MIN_LIFT_PX)


def heel_warnings(
    best: RepResult, valid: list[RepResult], lift_limit: float, foot_px: float, px_per_cm: float | None
) -> list[str]:
    """Plain-words doubts about the result's heel: not seen, or risen close to the limit of a lift; and a
    deeper valid rep passed over because its heel was not seen."""
    warnings = []
    if not best.heel_visible:
        warnings.append(
            "heel not visible at the deepest rep (the foot's outline was lost): it was not counted as "
            "lifted; check on the picture that the heel stayed down"
        )
    elif best.heel_lift_foot_ratio >= NEAR_LIFT_SHARE * lift_limit:
        rise = _length(best.heel_lift_foot_ratio * foot_px, foot_px, px_per_cm)
        warnings.append(
            f"the heel rose by about {rise} at the deepest rep, close to what counts as a lift: if it came "
            "up, the result is doubtful (the deepest rep with the heel down is then the figure); check on "
            "the picture that the heel stayed down"
        )
    deeper = max(valid, key=lambda rep: rep.shin_angle_deg)
    if deeper is not best:
        warnings.append(
            f"rep {deeper.index} reads deeper ({deeper.shin_angle_deg:.1f} deg) but the foot's outline "
            f"was lost there, so its heel could not be checked: the result is rep {best.index}; if the "
            "heel stayed down in that rep, it is the better figure"
        )
    return warnings


def hidden_warnings(best: RepResult, series: FrameSeries) -> list[str]:
    """A doubt when the shin went unseen right next to the result's hold (the stretch begins the frame after
    it, or ends the frame before): the rock may have gone deeper there, out of sight. Seen from the leg's
    inside, the back thigh passes in front of the tested shin at deep flexion (dev2_31: unseen for 0.9 s
    at the deepest point, the result read 7.9 deg low)."""
    angles = series.tibia_axis_deg if best.shin_angle_source == AXIS_PLUS_OFFSET else series.shin_angle_deg
    unseen = ~np.isfinite(angles)
    t = series.time_s
    first = int(np.searchsorted(t, best.hold_start_time_s, side="left"))
    last = int(np.searchsorted(t, best.hold_end_time_s, side="right")) - 1
    stretches = [run for run in (_run(unseen, last + 1, 1), _run(unseen, first - 1, -1)) if run is not None]
    if not stretches:
        return []
    start, end = max(stretches, key=lambda run: t[run[1]] - t[run[0]])
    return [
        f"the shin was out of sight from {t[start]:.2f} to {t[end]:.2f} s, right next to the deepest rep: "
        "the rock may have gone deeper there, so the angle may read low; film from the tested leg's outer "
        "side, with nothing between the camera and the shin"
    ]


def _run(flags: npt.NDArray[np.bool_], index: int, step: int) -> tuple[int, int] | None:
    """The stretch of True flags from ``index`` on in the direction ``step`` (+1 or -1), as (first, last)
    indices; None when ``flags[index]`` is False or ``index`` is outside."""
    if not (0 <= index < len(flags) and flags[index]):
        return None
    end = index
    while 0 <= end + step < len(flags) and flags[end + step]:
        end += step
    return min(index, end), max(index, end)


def _least(values: list[float]) -> float:
    """The smallest of the finite values (NaN when none is)."""
    finite = [v for v in values if np.isfinite(v)]
    return min(finite) if finite else float("nan")


def _foot_travel_px(toe_along_px: FloatArray, rep: Rep) -> float:
    """How far the toes moved along the floor over the whole rep (10th to 90th percentile, px)."""
    span = toe_along_px[rep.start : rep.end + 1]
    span = span[np.isfinite(span)]
    return float(np.percentile(span, 90) - np.percentile(span, 10)) if span.size else float("nan")


def _length(px: float, foot_px: float, px_per_cm: float | None) -> str:
    if px_per_cm:
        return f"{px / px_per_cm:.1f} cm"
    return f"{100 * px / foot_px:.0f}% of the foot length"
