"""Centimetres along the floor: knee over toe and toe to wall, their scale at the toe, and their uncertainty.

Lengths are measured in the tested leg's sagittal plane (:func:`along_floor_px`) in pixels of a square-on
view at the toe's depth, and turned into cm with the scale at the toe (:func:`px_per_cm_at_toe`). Each cm
figure carries a 1-sigma uncertainty (:func:`combined_uncertainty_cm`) from the scale, the two points it runs
between (:func:`points_sigma_cm`, from :mod:`vision.pose.toe_tip`'s fitted doubts), the spread over valid reps
and the camera's unmeasured orientation (:func:`camera_doubt_cm`); one known to worse than ``norms.ROUGH_CM``
is called rough (:func:`centimetre_warnings`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from vision import geometry
from vision.advice import norms
from vision.metrics.angles import CameraDoubt
from vision.pose.toe_tip import MODEL as TOE_MODEL
from vision.pose.toe_tip import SHIN_SOURCE, ToeTip
from vision.results import FrameSeries, PeakResult, RepResult, WallResult
from vision.scene.calibration import FloorScale
from vision.scene.camera import CameraPose
from vision.scene.wall import TOE_TIP_HEIGHT_CM

FloatArray = npt.NDArray[np.float64]


def along_floor_px(camera: CameraPose, point: FloatArray, reference: FloatArray, facing: int) -> FloatArray:
    """Distance from ``reference`` to ``point`` along the walking axis in the sagittal plane through
    ``reference``, in pixels of a square-on view at the reference's depth (+ in the facing direction)."""
    offsets = geometry.sagittal_offsets(camera.rays(point), camera.rays(reference), camera.across)
    distance: FloatArray = camera.focal_px * (offsets @ camera.forward(facing))
    return distance


def camera_doubt_cm(
    doubt: CameraDoubt,
    series: FrameSeries,
    rep: RepResult,
    points: tuple[str, str, str],
    foot_cm: float | None,
    px_per_cm: float,
) -> float:
    """1-sigma change of the rep's knee-over-toe cm from the camera's unmeasured orientation: its tilt and
    yaw, and the doubt on its roll (0 when a marker or sheet gives all three). The knee stands about 45 cm
    above the toe, so each degree of roll read wrongly moves it about 0.8 cm along the floor. With the foot's
    own length as the scale (``foot_cm``, else None), the foot is read with the same camera.
    ``points``: the names of the knee, toe and heel tracks used."""
    hold = (series.time_s >= rep.hold_start_time_s) & (series.time_s <= rep.hold_end_time_s)
    knee, toe, heel = (series.leg_px[name][hold] for name in points)

    def knee_over_toe_cm(c: CameraPose, turn: Callable[[FloatArray], FloatArray]) -> float:
        along = geometry.median_finite(along_floor_px(c, turn(knee), turn(toe), doubt.facing))
        if foot_cm is None:
            return along / px_per_cm
        foot_px = geometry.median_finite(np.abs(along_floor_px(c, turn(toe), turn(heel), doubt.facing)))
        return along * foot_cm / foot_px

    return doubt.swing(knee_over_toe_cm)


def px_per_cm_at_toe(scale: FloorScale, camera: CameraPose, toe_tip_px: FloatArray) -> float | None:
    """Pixels per cm of a square-on view at the toe tip's depth, the unit of the sagittal lengths (None
    without a scale). With a marker or sheet: the focal length over the toe's distance from the camera."""
    if scale.source == "none" or not np.all(np.isfinite(toe_tip_px)):
        return None
    if scale.projection_cm_to_px is None:
        return scale.px_per_cm
    return camera.focal_px / scale.depth_cm(toe_tip_px, TOE_TIP_HEIGHT_CM)


#: The front of the knee gets this much more doubt (1 sigma, cm) when a hand rests on the knee: the mask's
#: front there may be the hand, which is 2-3 cm thick.
HAND_ON_KNEE_SIGMA_CM = 2.5


def peak_result(
    best: RepResult,
    valid: list[RepResult],
    shin_px: float,
    foot_px: float,
    px_per_cm: float | None,
    scale: FloorScale,
    toe: ToeTip,
    wall: WallResult | None = None,
    camera_doubt_cm: float = 0.0,
) -> PeakResult:
    """The test's result from its deepest (valid) rep, with centimetres and their uncertainty."""
    uncertainty_cm = shin_cm = degrees_per_cm = None
    if px_per_cm is not None and best.knee_over_toe_cm is not None:
        valid_cm = [rep.knee_over_toe_cm for rep in valid if rep.knee_over_toe_cm is not None]
        points_cm = points_sigma_cm(toe, foot_px / px_per_cm, best.knee_over_toe_cm, scale, knee=True)
        if best.hand_on_knee:
            points_cm = float(np.hypot(points_cm, HAND_ON_KNEE_SIGMA_CM))
        uncertainty_cm = combined_uncertainty_cm(
            best.knee_over_toe_cm, scale.relative_uncertainty, points_cm, valid_cm, camera_doubt_cm
        )
        shin_cm = shin_px / px_per_cm
        degrees_per_cm = float(np.degrees(1.0 / (shin_cm * np.cos(np.radians(best.shin_angle_deg)))))
    return PeakResult.from_rep(best, uncertainty_cm, shin_cm, degrees_per_cm, wall)


def centimetre_warnings(peak: PeakResult, toe: ToeTip) -> list[str]:
    """Plain-words doubts about the centimetres: a toe tip that gives a foot of an impossible length, and any
    distance known to worse than :data:`norms.ROUGH_CM`."""
    warnings = [] if toe.plausible else [toe_warning(toe)]
    figures = [("knee over toe", peak.knee_over_toe_cm, peak.knee_over_toe_uncertainty_cm)]
    if peak.wall is not None:
        figures.append(("toe to wall", peak.wall.toe_to_wall_cm, peak.wall.toe_to_wall_uncertainty_cm))
    for name, value, sigma in figures:
        if value is not None and norms.rough_cm(sigma):
            warnings.append(
                f"{name} is known only to +-{sigma:.1f} cm (more than {norms.ROUGH_CM:g} cm of doubt): read "
                f"{value:.1f} cm as a rough figure"
            )
    return warnings


def toe_warning(toe: ToeTip) -> str:
    """Plain words for a toe tip that no reading placed on a foot of a possible length."""
    low, high = TOE_MODEL.foot_shin_ratio_low, TOE_MODEL.foot_shin_ratio_high
    usual = TOE_MODEL.usual_foot_shin_ratio
    placed = (
        f"it is placed where the usual foot for this shin ends ({usual:.2f} of it), so the centimetres are "
        "approximate"
        if toe.source == SHIN_SOURCE
        else "the centimetres are rough"
    )
    return (
        f"the toe tip could not be placed reliably (heel to toe reads {toe.foot_shin_ratio:.2f} of the "
        f"knee-ankle length, where {low:.2f}-{high:.2f} is usual): {placed}; film the whole foot, on a floor "
        "of another colour than the foot or shoe"
    )


def points_sigma_cm(toe: ToeTip, foot_cm: float, value_cm: float, scale: FloorScale, knee: bool) -> float:
    """1-sigma error of a distance from the toe tip (and the front of the knee when ``knee``) from where
    those points were placed. With the foot's own length as the scale, a misplaced toe also changes the
    scale: a toe placed d too far forward shortens the distance by d and stretches the foot by d."""
    toe_cm = toe.sigma_foot * foot_cm
    if scale.source == "foot":
        toe_cm *= 1.0 + abs(value_cm) / foot_cm
    knee_cm = TOE_MODEL.knee_sigma_foot * foot_cm if knee else 0.0
    return float(np.hypot(toe_cm, knee_cm))


def combined_uncertainty_cm(
    value_cm: float,
    relative_scale_sigma: float,
    points_cm: float,
    valid_reps_cm: list[float],
    camera_doubt_cm: float = 0.0,
) -> float:
    """1-sigma uncertainty of a distance: scale error, the points it runs between (``points_cm``, see
    :func:`points_sigma_cm`), the spread over valid reps and the camera's unmeasured orientation
    (:func:`camera_doubt_cm`).

    The spread is the standard deviation of the valid reps' values (0 with fewer than two): the rep-to-rep
    scatter of one person's repeated rocks, which the clinic's test-retest figures also include.
    """
    scale_cm = abs(value_cm) * relative_scale_sigma
    spread_cm = float(np.std(valid_reps_cm, ddof=1)) if len(valid_reps_cm) > 1 else 0.0
    return float(np.sqrt(scale_cm**2 + points_cm**2 + spread_cm**2 + camera_doubt_cm**2))
