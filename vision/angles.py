"""A rep's two shin angles and their 1-sigma uncertainties, from the per-frame readings over its hold.

* The headline, the front of the shin (:mod:`vision.shin_front`), is read straight off the person mask. Its
  doubt is a floor (how far the mask's front edge strays from the skin's, fitted), the edge's placement over
  the short band it spans (smaller shins in the image are less sure), the scatter over the hold and the
  camera's unmeasured orientation.
* The knee-centre to ankle-centre axis is read two ways: MediaPipe's knee and ankle (which sit off the joint
  centres by a body-dependent amount), and the front of the shin less the typical angle between the two lines
  (which varies from body to body by about 1 deg). The two are combined by their inverse variances.
* Where the front of the shin cannot be seen, or the edge traced disagrees with the axis beyond their
  uncertainties (it is then not the shin: dark clothes on a dark floor, the other leg, a hand), the headline
  is the axis plus that typical angle, with the wider uncertainty that brings, and says so.

The numbers that were fitted live in :data:`MODEL` (``angle_model.json`` beside this module, written by
``benchmarks/fit_angle_model.py`` from the ``tune`` clips). Pure functions, no state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vision.results import AXIS_PLUS_OFFSET, FRONT_OF_SHIN

FloatArray = npt.NDArray[np.float64]
MODEL_PATH = Path(__file__).with_name("angle_model.json")
#: The front of the shin must be traced in at least this share of a hold's frames to be the headline.
MIN_FRONT_SHARE = 0.5
#: The front of the shin is not trusted when it and the axis disagree by more than this many sigmas of the
#: axis reading and of the angle between the two lines: its traced edge is then not the shin's.
DISAGREE_SIGMAS = 2.5
#: Robust standard deviations per median absolute deviation (normal noise).
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class AngleModel:
    """Fitted constants (degrees unless named otherwise); see ``angle_model.json`` for their provenance.

    Attributes:
        front_bias_deg: the front-of-shin reading's median error (subtracted).
        front_floor_deg: its 1-sigma error left when the edge is sharp and the camera known.
        edge_px: 1-sigma placement error of the chord's two ends on the mask, in pixels: the resolution term
            is ``sqrt(2) * edge_px`` over the band's length (0.3 of the shin) in the image.
        axis_bias_deg: MediaPipe's knee-ankle line's median error (subtracted).
        axis_sigma_deg: its 1-sigma error from body to body.
        front_minus_axis_deg: typical angle between the front of the shin and the knee-ankle axis.
        front_minus_axis_sigma_deg: its spread from body to body.
    """

    front_bias_deg: float
    front_floor_deg: float
    edge_px: float
    axis_bias_deg: float
    axis_sigma_deg: float
    front_minus_axis_deg: float
    front_minus_axis_sigma_deg: float

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
    model: AngleModel = MODEL,
) -> RepAngles:
    """Both angles of a rep from the front-of-shin and MediaPipe-axis readings of its hold's frames.

    Args:
        front_deg, axis_deg: (n,) per-frame readings over the hold (NaN where not measured).
        shin_px: the shin's length in the image (knee to ankle).
        camera_doubt_front_deg, camera_doubt_axis_deg: 1-sigma change of each reading from the camera's
            unmeasured orientation.
    """
    axis, axis_scatter = hold_value(axis_deg)
    axis_raw = axis - model.axis_bias_deg
    axis_sigma = _hypot(model.axis_sigma_deg, axis_scatter, camera_doubt_axis_deg)
    front_share = float(np.isfinite(front_deg).mean()) if front_deg.size else 0.0
    if front_share < MIN_FRONT_SHARE:
        shin_sigma = _hypot(axis_sigma, model.front_minus_axis_sigma_deg)
        return RepAngles(
            axis_raw + model.front_minus_axis_deg, shin_sigma, AXIS_PLUS_OFFSET, axis_raw, axis_sigma
        )
    front, front_scatter = hold_value(front_deg)
    front -= model.front_bias_deg
    if abs(front - model.front_minus_axis_deg - axis_raw) > DISAGREE_SIGMAS * _hypot(
        model.front_minus_axis_sigma_deg, axis_sigma
    ):
        # The traced edge is not the shin's front (dark clothes on a dark floor, the other leg, a hand).
        shin_sigma = _hypot(axis_sigma, model.front_minus_axis_sigma_deg)
        return RepAngles(
            axis_raw + model.front_minus_axis_deg, shin_sigma, AXIS_PLUS_OFFSET, axis_raw, axis_sigma
        )
    resolution_deg = (
        float(np.degrees(np.sqrt(2.0) * model.edge_px / (0.3 * shin_px))) if shin_px > 0 else 90.0
    )
    front_sigma = _hypot(model.front_floor_deg, resolution_deg, front_scatter, camera_doubt_front_deg)
    from_front = front - model.front_minus_axis_deg
    from_front_sigma = _hypot(front_sigma, model.front_minus_axis_sigma_deg)
    weights = np.array([1.0 / from_front_sigma**2, 1.0 / axis_sigma**2])
    combined = float(weights @ np.array([from_front, axis_raw]) / weights.sum())
    # Not the inverse-variance sigma: both readings share the camera and the frames, so their errors are not
    # independent; the better one's sigma is what the combination can claim (on ``tune`` the smaller one
    # covered 88% of the errors within 2 sigma).
    return RepAngles(front, front_sigma, FRONT_OF_SHIN, combined, min(from_front_sigma, axis_sigma))


def _hypot(*terms: float) -> float:
    finite = [t for t in terms if np.isfinite(t)]
    return float(np.sqrt(np.sum(np.square(finite)))) if finite else float("nan")
