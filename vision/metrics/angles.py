"""A rep's two shin angles and their 1-sigma uncertainties, from the per-frame readings over its hold.

* The headline, the front of the shin (:mod:`vision.pose.shin_front`), is read straight off the person
  mask. Its doubt is a floor (how far the mask's front edge strays from the skin's, fitted), the edge's
  placement over the short band it spans (smaller shins in the image are less sure), the scatter over the
  hold and the camera's unmeasured orientation.
* The knee-centre to ankle-centre axis is read two ways: MediaPipe's knee and ankle (which sit off the joint
  centres by a body-dependent amount), and the front of the shin less the typical angle between the two lines
  (which varies from body to body by about 1 deg). The two are weighted by the inverse variances of their
  own errors: the camera moves both alike.
* Where the front of the shin cannot be seen, or the edge traced disagrees with the axis beyond their
  uncertainties (it is then not the shin: dark clothes on a dark floor, the other leg, a hand), the headline
  is the axis plus that typical angle, with the wider uncertainty that brings, and says so.

The camera's share of the doubt (:class:`CameraDoubt`) comes from measuring again with the unmeasured tilt
and yaw set to -/+ 5 deg, and the roll to -/+ its own doubt (:func:`roll_doubt_deg`); :func:`angle_warnings`
puts the doubts into plain words. The numbers that were fitted live in :data:`MODEL` (``angle_model.json``
beside this module, written by ``benchmarks/fit_angle_model.py`` from the ``tune`` clips and clips rendered
with ``../shared/tools/synth``, never ``check``). Pure functions, no state.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vision import geometry
from vision.advice.norms import INCLINOMETER_SEM_DEG
from vision.pose.landmarks import Side
from vision.pose.legs import LATERAL, MEDIAL, UNKNOWN_VIEW
from vision.results import AXIS_PLUS_OFFSET, FRONT_OF_SHIN, RepResult
from vision.scene.camera import CameraPose

FloatArray = npt.NDArray[np.float64]
MODEL_PATH = Path(__file__).with_name("angle_model.json")
#: A camera set up by eye "at shin height, side-on" is taken to be within this many degrees (1 sigma) of level
#: and side-on where its tilt or yaw could not be measured.
ASSUMED_ORIENTATION_SIGMA_DEG = 5.0
#: A result whose shin angle is less sure than this (1 sigma) is called doubtful: twice it is the 5 deg
#: that matters between sides and sessions.
DOUBTFUL_ANGLE_SIGMA_DEG = 2.5
#: The result's rep may read at most this much more than the median of the other valid reps unquestioned.
OUTLIER_REP_DEG = 8.0
#: A camera roll read off the scene's lines beyond this is doubted (phones are seldom held more crooked).
PLAUSIBLE_ROLL_DEG = 12.0
#: Where no level was found in the scene, the phone is taken as held upright to within this (1 sigma): on
#: the rendered clips with no level found, phones were held up to 8 deg crooked.
ASSUMED_ROLL_SIGMA_DEG = 5.0
#: A roll read off level lines only (no verticals) was 2-4 deg off on the tune clips: they converge when the
#: camera is turned from side-on.
HORIZONTAL_ROLL_SIGMA_DEG = 2.5

#: The front of the shin must be traced in at least this share of a hold's frames to be the headline.
MIN_FRONT_SHARE = 0.5
#: The front of the shin is not trusted when it and the axis disagree by more than this many sigmas of the
#: axis reading and of the angle between the two lines: its traced edge is then not the shin's.
DISAGREE_SIGMAS = 2.5
#: The axis angle at which :attr:`AngleModel.front_minus_axis_deg` is given (the middle of the norms).
OFFSET_REFERENCE_DEG = 35.0
#: Robust standard deviations per median absolute deviation (normal noise).
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class AngleModel:
    """Fitted constants (degrees unless named otherwise); see ``angle_model.json`` for their provenance.

    Attributes:
        front_bias_deg: the front-of-shin reading's median error (subtracted), the camera filming the leg's
            outside (:data:`~vision.pose.legs.LATERAL`) ...
        front_bias_medial_deg: ... and its inside (both MediaPipe's mask and its knee-ankle line read higher
            from the inside, where the other leg is nearer the lens).
        front_floor_deg: its 1-sigma error left when the edge is sharp and the camera known.
        edge_px: 1-sigma placement error of the chord's two ends on the mask, in pixels: the resolution term
            is ``sqrt(2) * edge_px`` over the band's length (0.3 of the shin) in the image.
        axis_bias_deg, axis_bias_medial_deg: MediaPipe's knee-ankle line's median error (subtracted), from
            the leg's outside and inside.
        axis_sigma_deg: its 1-sigma error from body to body.
        front_minus_axis_deg: typical angle between the front of the shin and the knee-ankle axis, with the
            axis at :data:`OFFSET_REFERENCE_DEG` ...
        front_minus_axis_per_deg: ... growing by this much per degree of axis angle (the deeper the rock,
            the wider the two lines: see :meth:`front_minus_axis_at`).
        front_minus_axis_sigma_deg: its spread from body to body about that line.
        shin_lean_deg: how far the knee sits toward the leg's outside of the ankle, seen from the front, at
            the deepest rep (negative: toward its inside): the shin rocks in a plane tipped by this much from
            the sagittal (:meth:`CameraPose.shin_plane_normal`).
    """

    front_bias_deg: float
    front_bias_medial_deg: float
    front_floor_deg: float
    edge_px: float
    axis_bias_deg: float
    axis_bias_medial_deg: float
    axis_sigma_deg: float
    front_minus_axis_deg: float
    front_minus_axis_per_deg: float
    front_minus_axis_sigma_deg: float
    shin_lean_deg: float

    def biases_deg(self, view: str) -> tuple[float, float]:
        """The front-of-shin and axis readings' biases seen from ``view`` (their mean when it is unknown)."""
        lateral, medial = (
            (self.front_bias_deg, self.axis_bias_deg),
            (self.front_bias_medial_deg, self.axis_bias_medial_deg),
        )
        if view == LATERAL:
            return lateral
        if view == MEDIAL:
            return medial
        return (lateral[0] + medial[0]) / 2, (lateral[1] + medial[1]) / 2

    def front_minus_axis_at(self, axis_deg: float) -> float:
        """The typical angle between the front of the shin and the axis, with the axis at ``axis_deg``."""
        return self.front_minus_axis_deg + self.front_minus_axis_per_deg * (axis_deg - OFFSET_REFERENCE_DEG)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> AngleModel:
        with path.open() as handle:
            data = json.load(handle)
        return cls(**data["parameters"])


MODEL = AngleModel.load()


@dataclass(frozen=True)
class RepAngles:
    """The two angles of one rep, each with its 1-sigma uncertainty."""

    shin_angle_deg: float
    shin_angle_uncertainty_deg: float
    shin_angle_source: str
    tibia_axis_deg: float
    tibia_axis_uncertainty_deg: float


def hold_value(values: FloatArray) -> tuple[float, float]:
    """Median of the finite values and its 1-sigma scatter (robust SD over sqrt(n)); NaN, NaN if none."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return float("nan"), float("nan")
    median = float(np.median(finite))
    spread = MAD_TO_SIGMA * float(np.median(np.abs(finite - median)))
    return median, spread / float(np.sqrt(finite.size))


def rep_angles(
    front_deg: FloatArray,
    axis_deg: FloatArray,
    shin_px: float,
    camera_doubt_front_deg: float,
    camera_doubt_axis_deg: float,
    view: str = UNKNOWN_VIEW,
    model: AngleModel = MODEL,
) -> RepAngles:
    """Both angles of a rep from the front-of-shin and MediaPipe-axis readings of its hold's frames.

    Args:
        front_deg, axis_deg: (n,) per-frame readings over the hold (NaN where not measured).
        shin_px: the shin's length in the image (knee to ankle).
        camera_doubt_front_deg, camera_doubt_axis_deg: 1-sigma change of each reading from the camera's
            unmeasured orientation.
        view: the side of the leg the camera films (:func:`vision.pose.legs.camera_view`): the biases'.
    """
    front_bias, axis_bias = model.biases_deg(view)
    axis, axis_scatter = hold_value(axis_deg)
    axis_raw = axis - axis_bias
    # Each reading's own error, then with the camera's: the camera moves both readings alike, so only their
    # own errors weigh one against the other and tell whether they disagree.
    axis_own = _hypot(model.axis_sigma_deg, axis_scatter)
    axis_sigma = _hypot(axis_own, camera_doubt_axis_deg)
    front_share = float(np.isfinite(front_deg).mean()) if front_deg.size else 0.0
    from_axis = axis_raw + model.front_minus_axis_at(axis_raw)
    from_axis_sigma = _hypot(axis_sigma, model.front_minus_axis_sigma_deg)
    if front_share < MIN_FRONT_SHARE:
        return RepAngles(from_axis, from_axis_sigma, AXIS_PLUS_OFFSET, axis_raw, axis_sigma)
    front, front_scatter = hold_value(front_deg)
    front -= front_bias
    # The axis under this front: front = axis + offset(axis), offset linear in the axis.
    from_front = (
        front - model.front_minus_axis_deg + model.front_minus_axis_per_deg * OFFSET_REFERENCE_DEG
    ) / (1.0 + model.front_minus_axis_per_deg)
    if abs(from_front - axis_raw) > DISAGREE_SIGMAS * _hypot(model.front_minus_axis_sigma_deg, axis_own):
        # The traced edge is not the shin's front (dark clothes on a dark floor, the other leg, a hand).
        return RepAngles(from_axis, from_axis_sigma, AXIS_PLUS_OFFSET, axis_raw, axis_sigma)
    resolution_deg = (
        float(np.degrees(np.sqrt(2.0) * model.edge_px / (0.3 * shin_px))) if shin_px > 0 else 90.0
    )
    front_own = _hypot(model.front_floor_deg, resolution_deg, front_scatter)
    front_sigma = _hypot(front_own, camera_doubt_front_deg)
    from_front_own = _hypot(front_own, model.front_minus_axis_sigma_deg)
    weights = np.array([1.0 / from_front_own**2, 1.0 / axis_own**2])
    combined = float(weights @ np.array([from_front, axis_raw]) / weights.sum())
    # Not the inverse-variance sigma: both readings share the camera and the frames, so their errors are not
    # independent; the better one's sigma is what the combination can claim (on ``tune`` the smaller one
    # covered 88% of the errors within 2 sigma).
    from_front_sigma = _hypot(from_front_own, camera_doubt_front_deg)
    return RepAngles(front, front_sigma, FRONT_OF_SHIN, combined, min(from_front_sigma, axis_sigma))


def _hypot(*terms: float) -> float:
    finite = [t for t in terms if np.isfinite(t)]
    return float(np.sqrt(np.sum(np.square(finite)))) if finite else float("nan")


def angle_warnings(best: RepResult, valid: list[RepResult]) -> list[str]:
    """Plain-words doubts about the result's angle: not read off the front of the shin, too uncertain to
    stand beside the clinic's inclinometer, or far from the other valid reps."""
    warnings = []
    if best.shin_angle_source == AXIS_PLUS_OFFSET:
        warnings.append(
            "the front of the shin could not be traced (clothing, a hand or the other leg in the way?): "
            "the shin angle is the knee-ankle line plus the typical angle between the two lines, so it is "
            "less sure"
        )
    if best.hand_on_knee:
        warnings.append(
            "a hand rests on the knee at the deepest rep: the knee's point and the front of the shin may be "
            "the hand's, so the angle and the knee's position are doubtful; keep both hands on the wall"
        )
    if best.shin_angle_uncertainty_deg > DOUBTFUL_ANGLE_SIGMA_DEG:
        warnings.append(
            f"the shin angle is doubtful (+-{best.shin_angle_uncertainty_deg:.1f} deg, 1 sigma, against the "
            f"inclinometer's {INCLINOMETER_SEM_DEG} deg): film closer, side-on, with the camera upright and "
            "the shin uncovered"
        )
    others = [rep.shin_angle_deg for rep in valid if rep is not best]
    if others and best.shin_angle_deg - float(np.median(others)) > OUTLIER_REP_DEG:
        warnings.append(
            f"the deepest rep reads {best.shin_angle_deg - float(np.median(others)):.0f} deg more than the "
            "other valid reps: check its frame before trusting the result"
        )
    return warnings


@dataclass(frozen=True)
class CameraDoubt:
    """The camera a figure was measured with, and how well its orientation is known: the figure's camera
    uncertainty is how far it moves when the unmeasured tilt and yaw are set to -/+ 5 deg and the roll to
    -/+ its own doubt (``roll_sigma_deg``)."""

    camera: CameraPose
    facing: int
    side: Side
    roll_sigma_deg: float
    view: str = UNKNOWN_VIEW  # the side of the leg it films (:func:`vision.pose.legs.camera_view`)

    def swing(self, measure: Callable[[CameraPose, Callable[[FloatArray], FloatArray]], float]) -> float:
        """1-sigma change of ``measure(camera, turn)`` over the camera's doubts; ``turn`` maps the points
        (n, 2) to where a camera rolled by the doubt would see them."""
        camera = self.camera

        def turned(angle_deg: float) -> Callable[[FloatArray], FloatArray]:
            return lambda points: _rotated(points, angle_deg, camera.centre_px)

        same = turned(0.0)
        swings = [
            abs(measure(high, same) - measure(low, same)) / 2
            for low, high in camera.doubts(ASSUMED_ORIENTATION_SIGMA_DEG)
        ]
        if self.roll_sigma_deg > 0:
            roll = self.roll_sigma_deg
            swings.append(abs(measure(camera, turned(roll)) - measure(camera, turned(-roll))) / 2)
        return float(np.sqrt(np.sum(np.square(swings)))) if swings else 0.0

    def deg(self, top: FloatArray, bottom: FloatArray) -> float:
        """1-sigma change of the median sagittal angle of ``top`` over ``bottom`` (n, 2)."""

        def angle(c: CameraPose, turn: Callable[[FloatArray], FloatArray]) -> float:
            a, b = turn(top), turn(bottom)
            plane = c.shin_plane_normal(self.facing, self.side, MODEL.shin_lean_deg)
            values = geometry.sagittal_angle_deg(c.rays(a), c.rays(b), plane, c.up, c.forward(self.facing))
            return hold_value(values)[0]

        return self.swing(angle)


def roll_doubt_deg(
    camera: CameraPose, level_known: bool, from_floor_reference: bool
) -> tuple[float, list[str]]:
    """1-sigma doubt on the camera's roll, and a warning when the scene's lines claim an unusual one.

    A marker or sheet on the floor gives the roll outright, and so do the scene's vertical lines (0). Level
    lines alone mix the camera's turn from side-on into it (:data:`HORIZONTAL_ROLL_SIGMA_DEG`). A roll over
    :data:`PLAUSIBLE_ROLL_DEG` read off the scene's lines (a single slanted edge, a leaning backdrop) is more
    often a wrong line than a phone held that crooked: the phone is taken as upright
    (:func:`implausible_roll`) and half the claimed roll as the doubt. With no level found at all, the phone
    is taken as upright to within :data:`ASSUMED_ROLL_SIGMA_DEG`.
    """
    if not level_known:
        return ASSUMED_ROLL_SIGMA_DEG, []
    roll = abs(camera.roll_deg)
    if from_floor_reference:
        return 0.0, []
    if roll > PLAUSIBLE_ROLL_DEG:
        return roll / 2, [
            f"the lines of the room say the camera was held {roll:.0f} deg off upright, more than a phone "
            "usually is: it was taken as upright; if it really was that crooked, the angles are off by about "
            "that much; hold the phone upright or lay the marker down"
        ]
    return (HORIZONTAL_ROLL_SIGMA_DEG if camera.source == "horizontal edges" else 0.0), []


def implausible_roll(camera: CameraPose, level_known: bool, from_floor_reference: bool) -> bool:
    """True when the scene's lines claim a roll over :data:`PLAUSIBLE_ROLL_DEG` and no marker or sheet
    confirms it: more often a wrong line (a slanted edge, a leaning backdrop) than a phone held that crooked,
    so the camera is then taken as upright, with half the claimed roll as its doubt (see
    :func:`roll_doubt_deg`)."""
    return level_known and not from_floor_reference and abs(camera.roll_deg) > PLAUSIBLE_ROLL_DEG


def _rotated(points_px: FloatArray, angle_deg: float, centre_px: FloatArray) -> FloatArray:
    """Points turned by ``angle_deg`` about ``centre_px`` (what a camera rolled the other way would see)."""
    if angle_deg == 0:
        return points_px
    a = np.radians(angle_deg)
    turn = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    rotated: FloatArray = (points_px - centre_px) @ turn.T + centre_px
    return rotated
