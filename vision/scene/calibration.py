"""Scale sources that turn image pixels into centimetres on the floor.

The measured distances (knee-over-toe, toe-to-wall) run along the floor, along the walking axis, at the front
foot's depth. A side-on camera sees the floor in strong perspective, so one "pixels per cm" number is not
enough: this module recovers the floor plane's mapping to the image from a reference lying flat on the floor,
tried in this order:

1. a printed ArUco marker (DICT_4X4_50, id 0, black square 10 cm by default), see :mod:`vision.scene.marker`;
2. a plain white A4 or US Letter sheet;
3. the user's foot length in cm against the foot's heel-to-toe landmark distance in pixels (a flat scale);
4. none.

A reference that looks wrong (partly hidden, too small, not flat, inconsistent with the foot length) is not
used: the next source is tried and a plain-words warning says why.

Conventions
-----------
Image points are in pixels of the upright frame with the origin at the top-left *corner* of the top-left
pixel, x right and y down: the convention of :class:`vision.pose.landmarks.PoseTrack` (MediaPipe's normalised
coordinates times the frame size). OpenCV returns pixel-centre coordinates; they are shifted by +0.5 here.

Floor coordinates are centimetres in the reference's own frame: origin at its centre, x along its first edge
(corner 0 to corner 1), y from corner 3 toward corner 0, z up out of the floor.

How the floor is recovered
--------------------------
A plain 4-corner homography extrapolates badly from a small reference seen nearly edge-on (a 10 cm marker
4 m away is about 30 x 6 px: 0.3 px of corner noise moves the scale at the toe by 10 %). So the corners are
first refined by fitting a rendered model of the reference (known pattern, blur, brightness) to the pixels,
which uses every pixel of the reference rather than four corner windows, and the floor is then described by
a pinhole camera (principal point at the image centre, square pixels, focal length with a broad prior from
typical phone and webcam lenses) fitted to the corners. The camera has one parameter fewer than a
homography and the focal prior removes the direction the data barely constrain (the convergence of the
reference's edges), which cuts the scale error at the toe by 5-10x on small references.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

from vision.errors import InputError

FloatArray = npt.NDArray[np.float64]
ScaleSource = Literal["aruco", "a4", "letter", "foot", "none"]
Paper = Literal["a4", "letter"]
Region = tuple[int, int, int, int]

PAPER_SIZES_CM: Mapping[Paper, tuple[float, float]] = MappingProxyType(
    {"a4": (21.0, 29.7), "letter": (21.59, 27.94)}
)
ARUCO_DICTIONARY = cv2.aruco.DICT_4X4_50
ARUCO_DICTIONARY_SIZE = 50

# OpenCV pixel-centre coordinates + this = this module's pixel-corner coordinates.
_OPENCV_TO_IMAGE_PX = 0.5

# Focal length prior, as a fraction of the image's long side. Phone main cameras film 16:9 video with a
# horizontal field of view of about 65-72 degrees (26-28 mm equivalent; f = 0.70-0.78 x long side), a bit
# narrower with video stabilisation crop; webcams span about 55-80 degrees (0.6-0.95). A log-normal prior
# centred on 0.8 with sigma 0.3 covers 0.59-1.08 at one sigma. It only decides what the reference's
# perspective cannot (how fast the scale shrinks with depth): with the toe ~10 cm beyond a reference 3-4 m
# away, 10 % of focal error moves the scale at the toe by ~0.3 %, so the prior being loose costs little.
_FOCAL_PRIOR_FRACTION = 0.8
_FOCAL_PRIOR_SIGMA_LOG = 0.3
# A focal length more than this many prior sigmas away is not a camera a person films with (e.g. a fronto-
# parallel white square on a wall forced into a floor interpretation).
_FOCAL_MAX_SIGMAS = 3.0
# A focal length the caller knows (from the lens's field of view, or a calibration) is good to ~5 %.
_KNOWN_FOCAL_SIGMA_LOG = 0.05

# Sub-pixel corner precision assumed at best: compressed video, unknown blur and rolling shutter make
# 0.1-0.3 px typical for model-fitted edges, so the fitted precision is never trusted below this.
_CORNER_SIGMA_FLOOR_PX = 0.2

# A reference spanning fewer pixels than this (largest corner-to-corner distance) gives a scale worse than
# ~1.5 % (sqrt(2) x 0.25 px / 25 px) before any extrapolation: not worth trusting.
_MIN_REFERENCE_EXTENT_PX = 25.0

# A square lying on the floor is foreshortened by sin(elevation of the line of sight). For a side-on full-body
# video the camera is at most ~1.5 m high and at least ~1.3 m away, so the elevation is below ~50 degrees:
# ratio below 0.8 (sin 53 deg). Its compression is along the image vertical for a camera without roll; 30
# degrees leaves room for camera pitch and a phone held slightly rotated.
_MAX_FORESHORTENING = 0.8
_MAX_COMPRESSION_FROM_VERTICAL_DEG = 30.0
# The camera fit's chi-square (half of it is the cost) has about two degrees of freedom (8 corner coordinates,
# 7 camera parameters, the focal prior): above 25 ("5 sigma") the corners are not the image of the known
# rectangle under any plausible camera (a bent sheet, a wrong quadrilateral).
_MAX_FIT_COST = 12.5
# Angle between the fitted floor normal and the image's up direction (= camera pitch for a floor). A camera
# pitched more than 35 degrees cannot frame a standing person side-on from the 1.5-5 m needed to see the
# whole body.
_MAX_FLOOR_NORMAL_TILT_DEG = 35.0

# The reference must be read in at least this share of the frames (hidden by the foot in the rest?), and in
# at least this share of those it must sit at the same place (else the marker or the camera moved).
_MIN_DETECTED_FRACTION = 0.5
_MIN_STILL_FRACTION = 0.5

# The reported uncertainty is the worse of the reference's centre and a point this far beyond it (away from
# the camera): the toes, when the reference lies beside the front foot. How fast the scale changes with depth
# rests on the focal prior, so it is usually the larger.
_TOE_BEYOND_REFERENCE_CM = 15.0

# Printers at "actual size" and paper cutting (ISO 216: +-2 mm on 297 mm) are good to about half a percent.
_PRINT_TOLERANCE = 0.005

# Foot-length scale. The user's tape measurement is good to about +-0.5 cm. The back of the heel is placed to
# about 2 % of the foot; the toe tip's own doubt (vision.pose.toe_tip) is carried with the distances, since it
# moves them and the scale together, and so is the camera's unmeasured orientation (vision.metrics.distances).
# Per-frame jitter is a few pixels on a 720p full-body frame.
_FOOT_TAPE_CM = 0.5
_FOOT_LANDMARK_RELATIVE = 0.02
_FOOT_LANDMARK_JITTER_PX = 2.0
# Adult feet and shoes: anything outside this is not a foot (or the scale is wrong).
_FOOT_PLAUSIBLE_CM = (15.0, 35.0)
_FOOT_INPUT_RANGE_CM = (10.0, 40.0)
_FOOT_MAX_DISAGREEMENT = 0.15

# Model-fit refinement of a reference's corners.
_ARUCO_PATTERN_PX_PER_MODULE = 8
_FIT_BAND_PX = 2.0  # floor band kept around the reference so its outer edges are seen from both sides
_FIT_MAX_PIXELS = 2500  # larger references are fitted on a downscaled patch: precision is ample there
_FIT_SUBSAMPLES = 3  # per pixel and axis (jittered, so the render changes smoothly with the corners)
_FIT_JACOBIAN_STEP = 0.1  # px (and px of blur): a few times the spacing between jittered sample positions
_FIT_MIN_R2 = 0.6  # share of the patch's variance the reference model must explain
_FIT_MAX_SHIFT_PX = 2.5  # corners further than this from the detector's are a different (or hidden) quad
_CORNER_OCCLUSION_RATIO = 3.0  # residual near a corner vs the whole patch: above this the corner is hidden
_CORNER_OCCLUSION_STEP = 0.15  # ... and vs the reference's brightness step

# Sheet candidates.
_SHEET_MIN_AREA_PX = 80.0
_SHEET_MIN_FILL = 0.9
_SHEET_MIN_CONTRAST = 40.0  # grey levels between the sheet and the floor: paper is far brighter than floors
_SHEET_MAX_CANDIDATES = 6
# Two hypotheses (paper size, which side runs along the walking axis) are told apart only when the worse one
# costs this much more (chi-square difference of 4: two sigma).
_DECISIVE_COST = 2.0


# --------------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class MarkerDetection:
    """An ArUco marker found in one image.

    Attributes:
        corners_px: (4, 2) corners of the black square in OpenCV order (top-left, top-right, bottom-right,
            bottom-left of the printed marker), image px (pixel-corner origin).
        marker_id: the marker's id in DICT_4X4_50.
        side_px: mean length of the four sides in px.
        size_cm: the printed black square's side the caller gave.
        n_good_corners: corners inside the frame and, when refined, matching the marker's model (4 = usable).
        corner_sigma_px: estimated corner precision (NaN when not refined).
    """

    corners_px: FloatArray
    marker_id: int
    side_px: float
    size_cm: float
    n_good_corners: int
    corner_sigma_px: float = math.nan

    def __post_init__(self) -> None:
        _check_shape("MarkerDetection.corners_px", self.corners_px, (4, 2))


@dataclass(frozen=True)
class SheetDetection:
    """A white A4 / US Letter sheet found lying on the floor.

    Attributes:
        corners_px: (4, 2) corners, clockwise on screen, image px (pixel-corner origin).
        paper: the paper size chosen.
        paper_confirmed: False when the image could not tell A4 from Letter and A4 was assumed.
        size_cm: (side corner 0 -> 1, side corner 1 -> 2) in cm under the chosen orientation.
        notes: plain-words caveats (orientation or paper size assumed rather than seen).
        corner_sigma_px: estimated corner precision.
    """

    corners_px: FloatArray
    paper: Paper
    size_cm: tuple[float, float]
    paper_confirmed: bool = True
    notes: tuple[str, ...] = ()
    corner_sigma_px: float = math.nan

    def __post_init__(self) -> None:
        _check_shape("SheetDetection.corners_px", self.corners_px, (4, 2))


@dataclass(frozen=True)
class FloorScale:
    """How to turn image pixels into floor centimetres.

    Attributes:
        source: where the scale comes from.
        homography_cm_to_px: (3, 3) floor coordinates in cm (z = 0) to image px; None for foot / none.
        px_per_cm: reference scale: for a marker or sheet, the floor scale at the reference's centre along
            the image's horizontal (the walking axis in a side view); for the foot, the flat scale.
        relative_uncertainty: one-sigma relative uncertainty of ``px_per_cm`` (0.02 = 2 %), NaN for none.
            For a marker or sheet it holds at the reference and grows with distance from it.
        warnings: plain-words caveats, including why better sources were not used.
        projection_cm_to_px: (3, 4) the fitted camera: floor coordinates (x, y, z up) in cm to image px, used
            for points above the floor. None for foot / none.
        reference_corners_px: (4, 2) the marker's or sheet's corners in the image (for drawing), else None.
    """

    source: ScaleSource
    homography_cm_to_px: FloatArray | None
    px_per_cm: float | None
    relative_uncertainty: float
    warnings: tuple[str, ...] = ()
    projection_cm_to_px: FloatArray | None = field(default=None, repr=False)
    reference_corners_px: FloatArray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        planar = self.source in ("aruco", "a4", "letter")
        if planar and (self.homography_cm_to_px is None or self.projection_cm_to_px is None):
            raise ValueError(f"FloorScale from {self.source} needs a homography and a projection")
        if not planar and (self.homography_cm_to_px is not None or self.projection_cm_to_px is not None):
            raise ValueError(f"FloorScale from {self.source} has no homography")
        if self.homography_cm_to_px is not None:
            _check_shape("FloorScale.homography_cm_to_px", self.homography_cm_to_px, (3, 3))
        if self.projection_cm_to_px is not None:
            _check_shape("FloorScale.projection_cm_to_px", self.projection_cm_to_px, (3, 4))
        if self.reference_corners_px is not None:
            _check_shape("FloorScale.reference_corners_px", self.reference_corners_px, (4, 2))
        if (self.source == "none") != (self.px_per_cm is None):
            raise ValueError("FloorScale.px_per_cm must be None exactly when the source is none")
        if self.px_per_cm is not None and not (math.isfinite(self.px_per_cm) and self.px_per_cm > 0):
            raise ValueError(f"FloorScale.px_per_cm must be positive, got {self.px_per_cm}")
        if self.source != "none" and not self.relative_uncertainty >= 0:
            raise ValueError(f"FloorScale.relative_uncertainty must be >= 0, got {self.relative_uncertainty}")

    def px_per_cm_at(
        self, point_px: npt.ArrayLike, direction_px: npt.ArrayLike, height_cm: float = 0.0
    ) -> float:
        """Image pixels per floor-parallel cm at an image point, along an image direction.

        The point lies ``height_cm`` above the floor (0 = on the floor; a toe tip is ~1.5 cm up): the scale
        is that of the horizontal plane through it, which is what matters for distances at that depth. A
        point 1.5 cm up that is treated as on the floor is read ~8 cm too far away at 4 m, i.e. ~2 % too small
        a scale. For the foot source this is the flat ``px_per_cm``.
        """
        scale = self._require_scale()
        direction = _unit(np.asarray(direction_px, dtype=np.float64).reshape(2))
        if self.projection_cm_to_px is None:
            return scale
        homography = _plane_homography(self.projection_cm_to_px, height_cm)
        return _local_px_per_cm(homography, np.asarray(point_px, dtype=np.float64).reshape(2), direction)

    def floor_distance_cm(self, a_px: npt.ArrayLike, b_px: npt.ArrayLike, height_cm: float = 0.0) -> float:
        """Distance in cm between two image points lying on the floor (or both ``height_cm`` above it)."""
        scale = self._require_scale()
        a = np.asarray(a_px, dtype=np.float64).reshape(2)
        b = np.asarray(b_px, dtype=np.float64).reshape(2)
        if self.projection_cm_to_px is None:
            return float(np.linalg.norm(b - a) / scale)
        floor_cm = _image_to_plane(_plane_homography(self.projection_cm_to_px, height_cm), np.stack([a, b]))
        return float(np.linalg.norm(floor_cm[1] - floor_cm[0]))

    def floor_point_cm(self, point_px: npt.ArrayLike, height_cm: float = 0.0) -> FloatArray:
        """(2,) floor coordinates in cm of an image point ``height_cm`` above the floor (marker, sheet)."""
        self._require_scale()
        if self.projection_cm_to_px is None:
            raise InputError(f"a scale from the {self.source} gives no floor position, only distances")
        point = np.asarray(point_px, dtype=np.float64).reshape(1, 2)
        return np.asarray(_image_to_plane(_plane_homography(self.projection_cm_to_px, height_cm), point)[0])

    def depth_cm(self, point_px: npt.ArrayLike, height_cm: float = 0.0) -> float:
        """Distance in cm along the optical axis to the image point ``height_cm`` above the floor (marker,
        sheet)."""
        x_cm, y_cm = self.floor_point_cm(point_px, height_cm)
        assert self.projection_cm_to_px is not None  # floor_point_cm has checked
        camera_z = self.projection_cm_to_px[2] @ np.array([x_cm, y_cm, height_cm, 1.0])
        return float(camera_z / np.linalg.norm(self.projection_cm_to_px[2, :3]))

    def _require_scale(self) -> float:
        if self.px_per_cm is None:
            raise InputError(
                "no scale in cm: put the printed ArUco marker or an A4 sheet flat beside the front foot, "
                "or give your foot length"
            )
        return self.px_per_cm


# --------------------------------------------------------------------------------------------------------
# Small geometry helpers


def _check_shape(name: str, array: FloatArray, shape: tuple[int, ...]) -> None:
    if array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}, expected {shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} has non-finite values")


def _unit(vector: FloatArray) -> FloatArray:
    norm = float(np.linalg.norm(vector))
    if not (math.isfinite(norm) and norm > 0):
        raise ValueError(f"direction must be a non-zero vector, got {vector}")
    return np.asarray(vector / norm, np.float64)


def _plane_homography(projection: FloatArray, height_cm: float) -> FloatArray:
    """(3, 3) mapping (x, y, 1) on the horizontal plane z = height_cm to homogeneous image px."""
    columns = [projection[:, 0], projection[:, 1], projection[:, 3] + height_cm * projection[:, 2]]
    return np.asarray(np.column_stack(columns), np.float64)


def _image_to_plane(homography: FloatArray, points_px: FloatArray) -> FloatArray:
    """(n, 2) plane coordinates of image points; the homography must keep the camera's depth sign."""
    homogeneous = np.column_stack([points_px, np.ones(len(points_px))]) @ np.linalg.inv(homography).T
    if np.any(homogeneous[:, 2] <= 0):
        raise ValueError("an image point is above the floor's horizon: it cannot be on the floor")
    return np.asarray(homogeneous[:, :2] / homogeneous[:, 2:], np.float64)


def _plane_to_image(homography: FloatArray, points_cm: FloatArray) -> FloatArray:
    homogeneous = np.column_stack([points_cm, np.ones(len(points_cm))]) @ homography.T
    return homogeneous[:, :2] / homogeneous[:, 2:]


def _local_px_per_cm(homography: FloatArray, point_px: FloatArray, direction: FloatArray) -> float:
    """Pixels per plane cm at an image point along a unit image direction (central difference over 1 px;
    the map is smooth, so this is its derivative to ~1e-6)."""
    ends = np.stack([point_px - 0.5 * direction, point_px + 0.5 * direction])
    floor_cm = _image_to_plane(homography, ends)
    return float(1.0 / np.linalg.norm(floor_cm[1] - floor_cm[0]))


def _side_lengths_px(corners_px: FloatArray) -> FloatArray:
    return np.asarray(np.linalg.norm(np.roll(corners_px, -1, axis=0) - corners_px, axis=1), np.float64)


def _extent_px(corners_px: FloatArray) -> float:
    """Largest distance between two corners: the span that sets how precise a scale the quad gives."""
    return float(np.max(np.linalg.norm(corners_px[:, None, :] - corners_px[None, :, :], axis=2)))


def _rectangle_cm(width_cm: float, height_cm: float) -> FloatArray:
    """Corners of a width x height rectangle in the reference frame, in the order of ArUco corners."""
    half_w, half_h = width_cm / 2, height_cm / 2
    return np.array([[-half_w, half_h], [half_w, half_h], [half_w, -half_h], [-half_w, -half_h]])


def _foreshortening(homography: FloatArray) -> tuple[float, float]:
    """At the reference's centre: (minor / major stretch of the floor-to-image map, angle in degrees of the
    most compressed image direction from the vertical)."""
    ends = _plane_to_image(homography, np.array([[-0.5, 0.0], [0.5, 0.0], [0.0, -0.5], [0.0, 0.5]]))
    jacobian = np.column_stack([ends[1] - ends[0], ends[3] - ends[2]])
    u, s, _ = np.linalg.svd(jacobian)
    angle = math.degrees(math.acos(min(1.0, abs(float(u[1, 1])))))
    return float(s[1] / s[0]), angle


def _to_gray(image: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    if image.ndim == 3 and image.shape[2] == 3:
        return np.asarray(cv2.cvtColor(np.asarray(image, dtype=np.uint8), cv2.COLOR_BGR2GRAY), np.uint8)
    if image.ndim == 2:
        return np.asarray(image, dtype=np.uint8)
    raise ValueError(f"expected a BGR (h, w, 3) or grey (h, w) image, got shape {image.shape}")


# --------------------------------------------------------------------------------------------------------
# A pinhole camera fitted to a reference on the floor


@dataclass(frozen=True)
class _FocalPrior:
    """Log-normal prior on the focal length in px."""

    focal_px: float
    sigma_log: float

    @classmethod
    def for_image(cls, image_size: tuple[int, int], focal_px: float | None = None) -> _FocalPrior:
        """Typical lenses, or a focal length the caller knows (to ~5 %)."""
        if focal_px is not None:
            return cls(focal_px, _KNOWN_FOCAL_SIGMA_LOG)
        return cls(_FOCAL_PRIOR_FRACTION * max(image_size), _FOCAL_PRIOR_SIGMA_LOG)

    def sigmas_from(self, focal_px: float) -> float:
        return abs(math.log(focal_px / self.focal_px)) / self.sigma_log


@dataclass(frozen=True)
class _PlaneFit:
    """A camera fitted to the image corners of a known rectangle on the floor."""

    projection: FloatArray  # (3, 4) reference frame cm -> image px
    params: FloatArray  # (7,) log focal, rotation vector, translation (cm)
    covariance: FloatArray  # (7, 7)
    cost: float  # half the chi-square, focal prior included
    focal_px: float
    normal_tilt_deg: float
    image_size: tuple[int, int]
    prior: _FocalPrior

    def __post_init__(self) -> None:
        _check_shape("_PlaneFit.projection", self.projection, (3, 4))
        _check_shape("_PlaneFit.params", self.params, (7,))
        _check_shape("_PlaneFit.covariance", self.covariance, (7, 7))

    @property
    def homography(self) -> FloatArray:
        return _plane_homography(self.projection, 0.0)


def _intrinsics(focal_px: float, image_size: tuple[int, int]) -> FloatArray:
    width, height = image_size
    return np.array([[focal_px, 0.0, width / 2], [0.0, focal_px, height / 2], [0.0, 0.0, 1.0]])


def _projection(params: FloatArray, image_size: tuple[int, int]) -> FloatArray:
    rotation, _ = cv2.Rodrigues(params[1:4])
    extrinsic = np.column_stack([np.asarray(rotation, np.float64), params[4:7]])
    return _intrinsics(math.exp(float(params[0])), image_size) @ extrinsic


def _project(projection: FloatArray, points_xy_cm: FloatArray) -> FloatArray:
    return _plane_to_image(_plane_homography(projection, 0.0), points_xy_cm)


def _fit_plane_camera(
    corners_px: FloatArray,
    object_xy_cm: FloatArray,
    image_size: tuple[int, int],
    sigma_px: float,
    prior: _FocalPrior,
) -> _PlaneFit | None:
    """Camera (focal with prior, pose) whose image of ``object_xy_cm`` best matches ``corners_px``."""
    log_f0 = math.log(prior.focal_px)
    object_3d = np.asarray(np.column_stack([object_xy_cm, np.zeros(len(object_xy_cm))]), np.float64)

    def residuals(params: FloatArray) -> FloatArray:
        reprojection = (_project(_projection(params, image_size), object_xy_cm) - corners_px) / sigma_px
        return np.append(reprojection.ravel(), (params[0] - log_f0) / prior.sigma_log)

    n_solutions, rvecs, tvecs, _ = cv2.solvePnPGeneric(
        object_3d,
        corners_px.reshape(-1, 1, 2),
        _intrinsics(math.exp(log_f0), image_size),
        np.zeros(4),
        flags=cv2.SOLVEPNP_IPPE,
    )
    best: _PlaneFit | None = None
    for rvec, tvec in zip(rvecs[:n_solutions], tvecs[:n_solutions], strict=True):
        start = np.concatenate([[log_f0], np.ravel(rvec), np.ravel(tvec)]).astype(np.float64)
        result = least_squares(residuals, start, method="lm")
        params = np.asarray(result.x, np.float64)
        if params[6] <= 0:  # the reference would be behind the camera
            continue
        rotation, _ = cv2.Rodrigues(params[1:4])
        tilt = math.degrees(math.acos(float(np.clip(-np.asarray(rotation)[1, 2], -1.0, 1.0))))
        jacobian = np.asarray(result.jac, np.float64)
        fit = _PlaneFit(
            projection=_projection(params, image_size),
            params=params,
            covariance=np.linalg.pinv(jacobian.T @ jacobian),
            cost=float(result.cost),
            focal_px=math.exp(float(params[0])),
            normal_tilt_deg=tilt,
            image_size=image_size,
            prior=prior,
        )
        if best is None or fit.cost < best.cost:
            best = fit
    return best


def _reference_scale(projection: FloatArray, centre_px: FloatArray) -> float:
    return _local_px_per_cm(_plane_homography(projection, 0.0), centre_px, np.array([1.0, 0.0]))


def _scale_relative_sigma(fit: _PlaneFit, centre_px: FloatArray) -> float:
    """One-sigma relative error of the reference scale, propagated from the fit's covariance."""
    scale = _reference_scale(fit.projection, centre_px)
    gradient = np.zeros(7)
    for i in range(7):
        step = max(1e-6, 1e-2 * math.sqrt(max(float(fit.covariance[i, i]), 0.0)))
        shifted = fit.params.copy()
        shifted[i] += step
        gradient[i] = (_reference_scale(_projection(shifted, fit.image_size), centre_px) - scale) / step
    return math.sqrt(max(float(gradient @ fit.covariance @ gradient), 0.0)) / scale


def _beyond_reference_px(fit: _PlaneFit) -> FloatArray:
    """Image point of the floor ``_TOE_BEYOND_REFERENCE_CM`` farther from the camera than the reference's
    centre: where the toes are when the reference lies beside the foot on the camera side."""
    rotation, _ = cv2.Rodrigues(fit.params[1:4])
    camera_xy = (-np.asarray(rotation, np.float64).T @ fit.params[4:7])[:2]
    away = -camera_xy / np.linalg.norm(camera_xy)
    return np.asarray(_project(fit.projection, (_TOE_BEYOND_REFERENCE_CM * away)[None, :])[0], np.float64)


def _flatness_problem(fit: _PlaneFit, what: str) -> str | None:
    """Why the fitted reference does not look like it lies flat on the floor, or None."""
    ratio, compression_deg = _foreshortening(fit.homography)
    flat = (
        fit.cost <= _MAX_FIT_COST
        and ratio <= _MAX_FORESHORTENING
        and compression_deg <= _MAX_COMPRESSION_FROM_VERTICAL_DEG
        and fit.normal_tilt_deg <= _MAX_FLOOR_NORMAL_TILT_DEG
        and fit.prior.sigmas_from(fit.focal_px) <= _FOCAL_MAX_SIGMAS
    )
    if flat:
        return None
    return (
        f"the {what} does not look flat on the floor seen from the side (it looks upright, tilted or bent): "
        "lay it flat beside the front foot"
    )


# --------------------------------------------------------------------------------------------------------
# Model-fit refinement of a reference's corners


@dataclass(frozen=True)
class _Target:
    """Reflectance (1 white, 0 black) of a flat reference. ``pattern`` covers the unit square (whose corners
    are the fitted corners) grown by ``margin`` on each side; outside it is floor."""

    pattern: FloatArray
    margin: float
    has_black: bool


def _aruco_target(marker_id: int) -> _Target:
    ppm = _ARUCO_PATTERN_PX_PER_MODULE
    dictionary = cv2.aruco.getPredefinedDictionary(ARUCO_DICTIONARY)
    square = cv2.aruco.generateImageMarker(dictionary, marker_id, 6 * ppm, borderBits=1)
    pattern = np.ones((8 * ppm, 8 * ppm))
    pattern[ppm : 7 * ppm, ppm : 7 * ppm] = np.asarray(square, np.float64) / 255.0
    return _Target(pattern=pattern, margin=1.0 / 6.0, has_black=True)


def _sheet_target() -> _Target:
    return _Target(pattern=np.ones((1, 1)), margin=0.0, has_black=False)


_UNIT_SQUARE_XY = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))  # the fitted corners' own coordinates


def _unit_to_image(corners_px: FloatArray) -> FloatArray:
    return np.asarray(
        cv2.getPerspectiveTransform(np.array(_UNIT_SQUARE_XY, np.float32), corners_px.astype(np.float32)),
        np.float64,
    )


@dataclass(frozen=True)
class _Patch:
    """A grey patch around a reference, possibly downscaled by ``factor``, in patch px."""

    pixels: FloatArray  # (h, w)
    origin_px: FloatArray  # image px of the patch's top-left corner
    factor: int
    mask: npt.NDArray[np.bool_]
    sample_x: FloatArray  # (h, w, s) jittered sample positions inside each pixel, patch px
    sample_y: FloatArray

    def __post_init__(self) -> None:
        shape = self.pixels.shape
        if (
            self.mask.shape != shape
            or self.sample_x.shape[:2] != shape
            or self.sample_y.shape != self.sample_x.shape
        ):
            raise ValueError(f"_Patch arrays disagree in shape with its {shape} pixels")


def _outer_corners(corners_px: FloatArray, margin: float) -> FloatArray:
    grown = np.array(
        [[-margin, -margin], [1 + margin, -margin], [1 + margin, 1 + margin], [-margin, 1 + margin]]
    )
    return _plane_to_image(_unit_to_image(corners_px), grown)


def _make_patch(gray: npt.NDArray[np.uint8], corners_px: FloatArray, margin: float) -> _Patch | None:
    outer = _outer_corners(corners_px, margin)
    pad = _FIT_BAND_PX + 2
    x0, y0 = np.floor(outer.min(axis=0) - pad).astype(int)
    x1, y1 = np.ceil(outer.max(axis=0) + pad).astype(int)
    height, width = gray.shape
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    factor = max(1, math.ceil(math.sqrt((x1 - x0) * (y1 - y0) / _FIT_MAX_PIXELS)))
    x1, y1 = x0 + (x1 - x0) // factor * factor, y0 + (y1 - y0) // factor * factor
    crop = gray[y0:y1, x0:x1].astype(np.float64)
    if factor > 1:
        crop = np.asarray(
            cv2.resize(crop, ((x1 - x0) // factor, (y1 - y0) // factor), interpolation=cv2.INTER_AREA),
            np.float64,
        )
    origin = np.array([x0, y0], dtype=np.float64)
    local_outer = (outer - origin) / factor - 0.5  # to OpenCV pixel-centre coordinates for rasterising
    inside = np.zeros(crop.shape, np.uint8)
    cv2.fillConvexPoly(
        inside, np.round(local_outer * 16).astype(np.int32), (1,), lineType=cv2.LINE_8, shift=4
    )
    band = max(1, round(_FIT_BAND_PX / factor))
    mask = np.asarray(cv2.dilate(inside, np.ones((2 * band + 1, 2 * band + 1), np.uint8))) > 0
    rng = np.random.default_rng(0)  # fixed jitter: the fit is deterministic
    n = _FIT_SUBSAMPLES
    grid = (np.stack(np.meshgrid(np.arange(n), np.arange(n)), axis=-1).reshape(-1, 2) + 0.0) / n
    samples = grid + rng.uniform(0.0, 1.0 / n, size=(*crop.shape, n * n, 2))
    rows, cols = np.indices(crop.shape, dtype=np.float64)
    sample_x = cols[..., None] + samples[..., 0]
    sample_y = rows[..., None] + samples[..., 1]
    return _Patch(crop, origin, factor, mask, sample_x, sample_y)


def _render(patch: _Patch, corners_px: FloatArray, target: _Target, blur_px: float) -> list[FloatArray]:
    """Expected share of white and of floor in each patch pixel for the reference at ``corners_px``."""
    local = (corners_px - patch.origin_px) / patch.factor
    inverse = np.asarray(
        cv2.getPerspectiveTransform(local.astype(np.float32), np.array(_UNIT_SQUARE_XY, np.float32)),
        np.float64,
    )
    x, y = patch.sample_x, patch.sample_y
    w = inverse[2, 0] * x + inverse[2, 1] * y + inverse[2, 2]
    a = (inverse[0, 0] * x + inverse[0, 1] * y + inverse[0, 2]) / w
    b = (inverse[1, 0] * x + inverse[1, 1] * y + inverse[1, 2]) / w
    size = target.pattern.shape[0]
    span = 1 + 2 * target.margin
    ia = np.floor((a + target.margin) / span * size).astype(np.int64)
    ib = np.floor((b + target.margin) / span * size).astype(np.int64)
    inside = (ia >= 0) & (ia < size) & (ib >= 0) & (ib < size) & (w > 0)
    value = np.where(inside, target.pattern[np.clip(ib, 0, size - 1), np.clip(ia, 0, size - 1)], 0.0)
    maps = [value.mean(axis=-1), 1.0 - inside.mean(axis=-1)]
    if not target.has_black:
        maps = maps[:1]
    return [np.asarray(cv2.GaussianBlur(m, (0, 0), blur_px, borderType=cv2.BORDER_REPLICATE)) for m in maps]


@dataclass(frozen=True)
class _QuadFit:
    corners_px: FloatArray
    corner_sigma_px: float
    r2: float
    brightness_step: float  # fitted white minus floor (or black) grey level
    good_corners: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        _check_shape("_QuadFit.corners_px", self.corners_px, (4, 2))
        if self.good_corners.shape != (4,):
            raise ValueError(f"_QuadFit.good_corners has shape {self.good_corners.shape}, expected (4,)")


def _photometric_residuals(
    patch: _Patch, corners_px: FloatArray, target: _Target, blur_px: float
) -> tuple[FloatArray, FloatArray]:
    maps = _render(patch, corners_px, target, blur_px)
    design = np.column_stack([np.ones(int(patch.mask.sum()))] + [m[patch.mask] for m in maps])
    observed = patch.pixels[patch.mask]
    # Normal equations of a 2-3 column design: tiny, and free of LAPACK's thread start-up on every call.
    coefficients = np.linalg.solve(design.T @ design + 1e-9 * np.eye(design.shape[1]), design.T @ observed)
    return observed - design @ coefficients, np.asarray(coefficients, np.float64)


def _central_jacobian(
    fun: Callable[[FloatArray], FloatArray], params: FloatArray, steps: FloatArray
) -> FloatArray:
    """Central differences with fixed absolute steps: the rendered model is only smooth above the scale of
    its sub-pixel samples, so the steps must not shrink to floating-point size."""
    columns = []
    for i, step in enumerate(steps):
        delta = np.zeros_like(params)
        delta[i] = step
        columns.append((fun(params + delta) - fun(params - delta)) / (2 * step))
    return np.column_stack(columns)


def _refine_quad(gray: npt.NDArray[np.uint8], corners_px: FloatArray, target: _Target) -> _QuadFit | None:
    """Fit the rendered reference (corners, blur, brightness) to the image; None if it does not fit."""
    patch = _make_patch(gray, corners_px, target.margin)
    if patch is None or patch.mask.sum() < 20:
        return None
    observed = patch.pixels[patch.mask]
    contrast = float(np.percentile(observed, 95) - np.percentile(observed, 5))
    if contrast <= 0:
        return None

    def residuals(params: FloatArray) -> FloatArray:
        shifted = corners_px + params[:8].reshape(4, 2)
        return _photometric_residuals(patch, shifted, target, float(params[8]))[0]

    # Corners move in image px, the blur is in patch px: steps of the same size in the patch.
    steps = np.array([_FIT_JACOBIAN_STEP * patch.factor] * 8 + [_FIT_JACOBIAN_STEP])
    result = least_squares(
        residuals,
        np.array([0.0] * 8 + [0.8]),
        jac=lambda params: _central_jacobian(residuals, params, steps),
        bounds=([-np.inf] * 8 + [0.3], [np.inf] * 8 + [4.0]),
        loss="soft_l1",
        f_scale=max(2.0, 0.1 * contrast),
        tr_solver="lsmr",  # iterative: a dense SVD of the Jacobian per step is the bulk of the time otherwise
        x_scale=np.array([0.3 * patch.factor] * 8 + [0.3]),
        xtol=1e-3,  # relative to x_scale: 0.0003 px
        max_nfev=30,
    )
    params = np.asarray(result.x, np.float64)
    refined = corners_px + params[:8].reshape(4, 2)
    residual, coefficients = _photometric_residuals(patch, refined, target, float(params[8]))
    r2 = 1.0 - float(np.var(residual)) / float(np.var(observed))
    if np.max(np.abs(params[:8])) > _FIT_MAX_SHIFT_PX * patch.factor or r2 < _FIT_MIN_R2:
        return None
    noise = 1.4826 * float(np.median(np.abs(residual)))
    jacobian = np.asarray(result.jac, np.float64)[:, :8]
    covariance = np.linalg.pinv(jacobian.T @ jacobian) * noise**2
    sigma = math.sqrt(max(float(np.mean(np.diag(covariance))), 0.0))
    return _QuadFit(
        corners_px=refined,
        corner_sigma_px=max(sigma, _CORNER_SIGMA_FLOOR_PX),
        r2=r2,
        brightness_step=float(coefficients[1]),
        good_corners=_unoccluded_corners(patch, refined, residual, float(coefficients[1])),
    )


def _unoccluded_corners(
    patch: _Patch, corners_px: FloatArray, residual: FloatArray, brightness_step: float
) -> npt.NDArray[np.bool_]:
    """Corners whose neighbourhood the model explains about as well as the rest of the patch.

    Edges fit worse than flat areas, so the yardstick is the patch's RMS rather than its noise; on a very
    clean image that RMS is tiny, so a residual must also reach a sizeable share of the reference's
    black-to-white step (a foot over a corner leaves residuals of the order of the step itself).
    """
    overall = math.sqrt(float(np.mean(residual**2)))
    limit = max(_CORNER_OCCLUSION_RATIO * overall, _CORNER_OCCLUSION_STEP * abs(brightness_step))
    full = np.zeros(patch.pixels.shape)
    full[patch.mask] = residual
    rows, cols = np.indices(patch.pixels.shape, dtype=np.float64)
    local = (corners_px - patch.origin_px) / patch.factor
    radius = max(1.5, 0.25 * float(np.min(_side_lengths_px(local))))
    good = np.ones(4, dtype=bool)
    for i, (cx, cy) in enumerate(local):
        near = patch.mask & ((cols + 0.5 - cx) ** 2 + (rows + 0.5 - cy) ** 2 <= radius**2)
        if near.sum() >= 3:
            good[i] = math.sqrt(float(np.mean(full[near] ** 2))) <= limit
    return good


# --------------------------------------------------------------------------------------------------------
# ArUco marker


def _aruco_detector() -> cv2.aruco.ArucoDetector:
    parameters = cv2.aruco.DetectorParameters()
    # Find markers down to ~13 px of perimeter on a 1280 px frame, so that a too-small marker is reported as
    # such instead of silently missed; decoding (bit errors) still rejects anything that is not the marker.
    parameters.minMarkerPerimeterRate = 0.01
    parameters.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_NONE
    return cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(ARUCO_DICTIONARY), parameters)


def _decode_aruco(gray: npt.NDArray[np.uint8], marker_id: int) -> FloatArray | None:
    """Corners of the one marker with this id, image px of ``gray``, or None (absent, or two of them)."""
    corners, ids, _ = _aruco_detector().detectMarkers(gray)
    if ids is None:
        return None
    matches = [i for i, found in enumerate(np.ravel(ids)) if int(found) == marker_id]
    if len(matches) != 1:
        return None
    return np.asarray(corners[matches[0]], np.float64).reshape(4, 2) + _OPENCV_TO_IMAGE_PX


def _find_aruco_corners(gray: npt.NDArray[np.uint8], marker_id: int) -> FloatArray | None:
    corners = _decode_aruco(gray, marker_id)
    if corners is not None:
        return corners
    # A small marker seen almost edge-on has ~1 px per module across: the detector's thresholding and
    # contour steps work better on a 2x upsampled floor (the lower half of the frame; see _default_region).
    # It is mostly found only to be reported as too small, but the corners are refined on the original.
    x0, y0, width, height = _default_region(gray.shape)
    floor = np.ascontiguousarray(gray[y0 : y0 + height, x0 : x0 + width])
    upsampled = np.asarray(cv2.resize(floor, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC), np.uint8)
    corners = _decode_aruco(upsampled, marker_id)
    return None if corners is None else corners / 2 + np.array([x0, y0])


def _inside_frame(
    corners_px: FloatArray, shape: tuple[int, ...], margin_px: float = 2.0
) -> npt.NDArray[np.bool_]:
    height, width = shape[:2]
    return np.asarray(
        (corners_px[:, 0] >= margin_px)
        & (corners_px[:, 0] <= width - margin_px)
        & (corners_px[:, 1] >= margin_px)
        & (corners_px[:, 1] <= height - margin_px)
    )


def detect_aruco(
    image_bgr: npt.NDArray[np.generic],
    marker_size_cm: float = 10.0,
    marker_id: int = 0,
    *,
    refine: bool = True,
) -> MarkerDetection | None:
    """The ArUco marker (DICT_4X4_50, ``marker_id``) in one image, or None.

    With ``refine`` the corners are refined by fitting the marker's rendered pattern to the pixels, and
    corners the pattern does not explain (hidden by a foot, say) are not counted as good.
    """
    gray = _to_gray(image_bgr)
    corners = _find_aruco_corners(gray, marker_id)
    if corners is None:
        return None
    good = _inside_frame(corners, gray.shape)
    sigma = math.nan
    if refine and bool(np.all(good)):
        fit = _refine_quad(gray, corners, _aruco_target(marker_id))
        if fit is None:
            good = np.zeros(4, dtype=bool)
        else:
            corners, sigma, good = fit.corners_px, fit.corner_sigma_px, fit.good_corners
    return MarkerDetection(
        corners_px=corners,
        marker_id=marker_id,
        side_px=float(np.mean(_side_lengths_px(corners))),
        size_cm=marker_size_cm,
        n_good_corners=int(np.sum(good)),
        corner_sigma_px=sigma,
    )


# --------------------------------------------------------------------------------------------------------
# White sheet


def _default_region(shape: tuple[int, ...]) -> Region:
    """The lower half of the frame: below the horizon of a camera that is level or pitched down."""
    height, width = shape[:2]
    return (0, height // 2, width, height - height // 2)


def _clockwise_from_top_left(quad_px: FloatArray) -> FloatArray:
    centre = quad_px.mean(axis=0)
    angles = np.arctan2(quad_px[:, 1] - centre[1], quad_px[:, 0] - centre[0])
    ordered = quad_px[np.argsort(angles)]  # increasing angle with y down = clockwise on screen
    start = int(np.argmin(ordered.sum(axis=1)))
    return np.roll(ordered, -start, axis=0)


def _quads_at_threshold(crop: npt.NDArray[np.uint8], threshold: float) -> list[FloatArray]:
    binary = (crop > threshold).astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    height, width = crop.shape
    quads: list[FloatArray] = []
    for contour in contours:
        area = float(cv2.contourArea(contour))
        x, y, w, h = cv2.boundingRect(contour)
        if area < _SHEET_MIN_AREA_PX or x <= 1 or y <= 1 or x + w >= width - 1 or y + h >= height - 1:
            continue
        approx = cv2.approxPolyDP(contour, max(1.0, 0.02 * cv2.arcLength(contour, True)), True)
        if len(approx) != 4 or not cv2.isContourConvex(approx):
            continue
        quad = np.asarray(approx, np.float64).reshape(4, 2)
        quad_area = float(cv2.contourArea(quad.astype(np.float32)))
        sides = _side_lengths_px(quad)
        if quad_area <= 0 or abs(area / quad_area - 1) > 0.1 or sides.min() < 3:
            continue
        if _extent_px(quad) < _MIN_REFERENCE_EXTENT_PX:  # too small to measure, or to tell from texture
            continue
        fill = np.zeros_like(binary)
        cv2.fillConvexPoly(fill, np.round(quad).astype(np.int32), (1,))
        if binary[fill > 0].mean() < _SHEET_MIN_FILL:
            continue
        quads.append(quad)
    return quads


def _sheet_candidates(gray: npt.NDArray[np.uint8], region: Region) -> list[FloatArray]:
    """Bright convex quadrilaterals in the region, largest first, image px (pixel-corner origin)."""
    x0, y0, w, h = region
    crop = np.ascontiguousarray(gray[y0 : y0 + h, x0 : x0 + w])
    if crop.size == 0:
        return []
    otsu, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # The brightest small area (a 3x3 median ignores hot pixels). The sheet may cover a tiny share of the
    # region, so no percentile is safe.
    top = float(np.max(cv2.medianBlur(crop, 3)))
    if top - float(np.median(crop)) < _SHEET_MIN_CONTRAST:  # nothing stands out enough to be paper
        return []
    # The sheet is the brightest thing around, but a white wall or backdrop may share Otsu's class with it:
    # try levels between Otsu's and the brightest area so it separates from whatever it touches.
    levels = [float(otsu) + (top - float(otsu)) * k for k in (0.0, 0.35, 0.6)]
    found: list[FloatArray] = []
    for level in levels:
        for quad in _quads_at_threshold(crop, level):
            quad = _clockwise_from_top_left(quad + np.array([x0, y0]) + _OPENCV_TO_IMAGE_PX)
            if all(np.max(np.abs(quad - other)) > 3.0 for other in found):
                found.append(quad)
    found.sort(key=lambda q: -float(cv2.contourArea(q.astype(np.float32))))
    return found[:_SHEET_MAX_CANDIDATES]


@dataclass(frozen=True)
class _SheetHypothesis:
    paper: Paper
    size_cm: tuple[float, float]
    fit: _PlaneFit


def _sheet_hypotheses(
    corners_px: FloatArray,
    sigma_px: float,
    papers: Sequence[Paper],
    prior: _FocalPrior,
    image_size: tuple[int, int],
) -> list[_SheetHypothesis]:
    """Camera fits for each paper and orientation that look like a sheet lying flat on the floor."""
    found: list[_SheetHypothesis] = []
    for paper in papers:
        short_cm, long_cm = PAPER_SIZES_CM[paper]
        for size in ((long_cm, short_cm), (short_cm, long_cm)):
            fit = _fit_plane_camera(corners_px, _rectangle_cm(*size), image_size, sigma_px, prior)
            if fit is not None and _flatness_problem(fit, "sheet") is None:
                found.append(_SheetHypothesis(paper, size, fit))
    return sorted(found, key=lambda h: h.fit.cost)


def _long_side_along_image_x(corners_px: FloatArray) -> bool:
    """Whether side 0-1 is more horizontal in the image than side 1-2."""
    first, second = corners_px[1] - corners_px[0], corners_px[2] - corners_px[1]
    return bool(abs(first[0]) / np.linalg.norm(first) >= abs(second[0]) / np.linalg.norm(second))


def _choose_sheet(
    hypotheses: list[_SheetHypothesis], corners_px: FloatArray, paper: Paper | None
) -> tuple[_SheetHypothesis, bool, tuple[str, ...]]:
    """(best hypothesis, paper confirmed, notes), falling back to the protocol where the image cannot tell."""
    notes: list[str] = []
    best = hypotheses[0]
    paper_confirmed = True
    other_paper = [h for h in hypotheses if h.paper != best.paper]
    if paper is None and other_paper and other_paper[0].fit.cost - best.fit.cost < _DECISIVE_COST:
        # A4 and Letter differ by 6 % along the long side: no side-on view of a sheet can tell them apart.
        paper_confirmed = False
        best = next(h for h in hypotheses if h.paper == "a4")
        notes.append(
            "the white sheet was taken to be A4 (21.0 x 29.7 cm): if it is US Letter, say so "
            "(distances would change by about 6 %)"
        )
    same_paper = [h for h in hypotheses if h.paper == best.paper]
    other_side = [h for h in same_paper if h.size_cm != best.size_cm]
    if other_side and other_side[0].fit.cost - best.fit.cost < _DECISIVE_COST:
        # The protocol lays the sheet's long side along the foot, i.e. along the image's horizontal.
        along_x = _long_side_along_image_x(corners_px)
        protocol = next(h for h in same_paper if (h.size_cm[0] > h.size_cm[1]) == along_x)
        if protocol is not best:
            notes.append(
                "could not confirm which way the white sheet lies: assumed its long side runs along the foot"
            )
        best = protocol
    return best, paper_confirmed, tuple(notes)


def _measure_sheet(
    gray: npt.NDArray[np.uint8], quad_px: FloatArray, paper: Paper | None, focal_px: float | None
) -> tuple[SheetDetection, _PlaneFit] | None:
    fit = _refine_quad(gray, quad_px, _sheet_target())
    if fit is None or not bool(np.all(fit.good_corners)) or fit.brightness_step < _SHEET_MIN_CONTRAST:
        return None
    image_size = (gray.shape[1], gray.shape[0])
    prior = _FocalPrior.for_image(image_size, focal_px)
    papers: tuple[Paper, ...] = ("a4", "letter") if paper is None else (paper,)
    hypotheses = _sheet_hypotheses(fit.corners_px, fit.corner_sigma_px, papers, prior, image_size)
    if not hypotheses:
        return None
    chosen, confirmed, notes = _choose_sheet(hypotheses, fit.corners_px, paper)
    detection = SheetDetection(
        fit.corners_px, chosen.paper, chosen.size_cm, confirmed, notes, fit.corner_sigma_px
    )
    return detection, chosen.fit


def detect_sheet(
    image_bgr: npt.NDArray[np.generic],
    search_region: Region | None = None,
    paper: Paper | None = None,
    *,
    focal_px: float | None = None,
) -> SheetDetection | None:
    """A white A4 / Letter sheet lying flat on the floor in ``search_region`` (x, y, w, h; default the
    lower half of the frame), or None. ``paper`` fixes the size; None tries both."""
    found = _find_sheet(_to_gray(image_bgr), search_region, paper, focal_px)
    return None if found is None else found[0]


def _find_sheet(
    gray: npt.NDArray[np.uint8], search_region: Region | None, paper: Paper | None, focal_px: float | None
) -> tuple[SheetDetection, _PlaneFit] | None:
    region = search_region if search_region is not None else _default_region(gray.shape)
    for quad in _sheet_candidates(gray, region):
        measured = _measure_sheet(gray, quad, paper, focal_px)
        if measured is not None:
            return measured
    return None


# --------------------------------------------------------------------------------------------------------
# Combining frames and sources


def _median_image(grays: Sequence[npt.NDArray[np.uint8]], indices: Sequence[int]) -> npt.NDArray[np.uint8]:
    stack = np.stack([grays[i] for i in indices])
    return np.asarray(np.median(stack, axis=0), dtype=np.uint8)


def _still_subset(corners: list[FloatArray]) -> tuple[FloatArray, list[int]]:
    """Median corners, and the indices whose corners all lie near them."""
    stacked = np.stack(corners)
    median = np.median(stacked, axis=0)
    # Detector corners jitter by about a pixel; a move above 5 % of the reference's size is real.
    tolerance = max(1.5, 0.05 * float(np.max(_side_lengths_px(median))))
    deviation = np.max(np.linalg.norm(stacked - median, axis=2), axis=1)
    return median, [i for i, d in enumerate(deviation) if d <= tolerance]


def _planar_scale(
    source: ScaleSource,
    fit: _PlaneFit,
    corners_px: FloatArray,
    extra_relative: float,
    warnings: Sequence[str],
) -> FloorScale:
    centre = _project(fit.projection, np.zeros((1, 2)))[0]
    geometry = max(_scale_relative_sigma(fit, centre), _scale_relative_sigma(fit, _beyond_reference_px(fit)))
    relative = math.sqrt(geometry**2 + _PRINT_TOLERANCE**2 + extra_relative**2)
    homography = fit.homography
    return FloorScale(
        source=source,
        homography_cm_to_px=homography / homography[2, 2],
        px_per_cm=_reference_scale(fit.projection, centre),
        relative_uncertainty=relative,
        warnings=tuple(warnings),
        projection_cm_to_px=fit.projection,
        reference_corners_px=corners_px,
    )


def _foot_check(
    scale: FloorScale, what: str, foot_length_px: float | None, foot_length_cm: float | None
) -> tuple[bool, list[str]]:
    """(usable, warnings) from comparing the scale with the foot, when the foot is known."""
    if foot_length_px is None or scale.px_per_cm is None:
        return True, []
    foot_cm = foot_length_px / scale.px_per_cm
    if scale.source == "aruco":
        advice = "check that it was printed at 100 % and that the size given is its black square's side"
    else:
        advice = "check that it is a whole, flat A4 or Letter sheet and which of the two it is"
    low, high = _FOOT_PLAUSIBLE_CM
    agrees = foot_length_cm is not None and abs(foot_cm / foot_length_cm - 1) <= _FOOT_MAX_DISAGREEMENT
    if not (low <= foot_cm <= high or agrees):
        return False, [
            f"the {what} makes the foot {foot_cm:.0f} cm long, which cannot be right: {advice}; "
            "it was not used"
        ]
    if foot_length_cm is not None and abs(foot_cm / foot_length_cm - 1) > _FOOT_MAX_DISAGREEMENT:
        return True, [
            f"the {what} makes the foot {foot_cm:.1f} cm long but {foot_length_cm:.1f} cm was given: "
            f"{advice}, and the foot length"
        ]
    return True, []


def _marker_scale(
    grays: Sequence[npt.NDArray[np.uint8]], marker_size_cm: float, marker_id: int, focal_px: float | None
) -> FloorScale | tuple[str, ...]:
    """The scale from the ArUco marker, or why there is none (empty when there is no marker at all)."""
    detections = [detect_aruco(g, marker_size_cm, marker_id, refine=False) for g in grays]
    if all(d is None for d in detections):
        return ()
    usable = [(i, d) for i, d in enumerate(detections) if d is not None and d.n_good_corners == 4]
    n = len(grays)
    if len(usable) < math.ceil(_MIN_DETECTED_FRACTION * n):
        return (
            f"the ArUco marker was read in only {len(usable)} of {n} frames: it may be partly hidden (keep "
            "the feet off it) or cut off by the frame edge; it was not used",
        )
    median, still = _still_subset([d.corners_px for _, d in usable])
    if len(still) < math.ceil(_MIN_STILL_FRACTION * len(usable)):
        return (
            "the ArUco marker or the camera moved during the clip: keep both still; the marker was not used",
        )
    extent = _extent_px(median)
    if extent < _MIN_REFERENCE_EXTENT_PX:
        return (
            f"the ArUco marker is only {extent:.0f} px across: move the camera closer or print a bigger "
            "marker; it was not used",
        )
    image = _median_image(grays, [usable[k][0] for k in still])
    fit = _refine_quad(image, median, _aruco_target(marker_id))
    if fit is None or not bool(np.all(fit.good_corners)):
        return ("the ArUco marker is partly hidden or blurred (keep the feet off it); it was not used",)
    image_size = (image.shape[1], image.shape[0])
    square = _rectangle_cm(marker_size_cm, marker_size_cm)
    prior = _FocalPrior.for_image(image_size, focal_px)
    plane = _fit_plane_camera(fit.corners_px, square, image_size, fit.corner_sigma_px, prior)
    if plane is None:
        return ("the ArUco marker's shape does not fit a camera view: it was not used",)
    problem = _flatness_problem(plane, "ArUco marker")
    if problem is not None:
        return (problem + "; it was not used",)
    return _planar_scale("aruco", plane, fit.corners_px, 0.0, ())


def _sheet_scale(
    grays: Sequence[npt.NDArray[np.uint8]], region: Region | None, paper: Paper | None, focal_px: float | None
) -> FloorScale | tuple[str, ...]:
    """The scale from a white sheet, or why there is none (empty when no sheet was seen)."""
    image = _median_image(grays, range(len(grays)))
    detection = _find_sheet(image, region, paper, focal_px)
    if detection is None:
        return ()
    sheet, fit = detection
    extent = _extent_px(sheet.corners_px)
    if extent < _MIN_REFERENCE_EXTENT_PX:
        return (f"the white sheet is only {extent:.0f} px across: move the camera closer; it was not used",)
    # An assumed A4 that is really Letter is 6 % off along the long side: half of that as one sigma.
    paper_doubt = (
        0.0 if sheet.paper_confirmed else 0.5 * (PAPER_SIZES_CM["a4"][1] / PAPER_SIZES_CM["letter"][1] - 1)
    )
    return _planar_scale(sheet.paper, fit, sheet.corners_px, paper_doubt, sheet.notes)


def _foot_scale(foot_length_px: float, foot_length_cm: float, warnings: Sequence[str]) -> FloorScale:
    relative = math.sqrt(
        (_FOOT_TAPE_CM / foot_length_cm) ** 2
        + _FOOT_LANDMARK_RELATIVE**2
        + (math.sqrt(2) * _FOOT_LANDMARK_JITTER_PX / foot_length_px) ** 2
    )
    note = (
        f"the scale comes from the foot length ({foot_length_cm:.1f} cm, +-{100 * relative:.0f} %); a "
        "printed ArUco marker beside the front foot is more accurate"
    )
    return FloorScale("foot", None, foot_length_px / foot_length_cm, relative, (*warnings, note))


def _validated_inputs(
    marker_size_cm: float,
    foot_length_px: float | None,
    foot_length_cm: float | None,
    marker_id: int,
    focal_px: float | None,
) -> tuple[float | None, float | None]:
    if not (math.isfinite(marker_size_cm) and marker_size_cm > 0):
        raise InputError(f"the marker size must be a positive number of cm, got {marker_size_cm}")
    if not 0 <= marker_id < ARUCO_DICTIONARY_SIZE:
        raise InputError(
            f"marker id {marker_id} is not in DICT_4X4_50: it must be 0 to {ARUCO_DICTIONARY_SIZE - 1}"
        )
    if focal_px is not None and not (math.isfinite(focal_px) and focal_px > 0):
        raise InputError(f"the focal length must be a positive number of pixels, got {focal_px}")
    if foot_length_cm is not None:
        low, high = _FOOT_INPUT_RANGE_CM
        if not (math.isfinite(foot_length_cm) and low <= foot_length_cm <= high):
            raise InputError(
                f"a foot length of {foot_length_cm} cm is not plausible: give it in cm ({low:.0f}-{high:.0f})"
            )
    if foot_length_px is not None and not (math.isfinite(foot_length_px) and foot_length_px > 0):
        foot_length_px = None  # landmarks not found: no foot scale, not an error
    return foot_length_px, foot_length_cm


def find_floor_scale(
    frames: Iterable[npt.NDArray[np.generic]],
    marker_size_cm: float = 10.0,
    foot_length_px: float | None = None,
    foot_length_cm: float | None = None,
    search_region: Region | None = None,
    *,
    marker_id: int = 0,
    paper: Paper | None = None,
    focal_px: float | None = None,
) -> FloorScale:
    """The best scale source seen in a handful of frames (e.g. 5-10 evenly spaced BGR frames of one clip).

    Tries the ArUco marker, then a white sheet (``paper`` fixes A4 or Letter; None tries both), then the
    foot length (``foot_length_px`` is the heel-to-toe landmark distance, ``foot_length_cm`` the user's
    measurement), then gives up. A source that looks wrong is skipped with a warning saying why.
    ``focal_px``, when known (e.g. from the lens's field of view: width / 2 / tan(fov / 2)), replaces the
    broad prior on typical lenses and makes the scale away from the reference more accurate.
    """
    foot_length_px, foot_length_cm = _validated_inputs(
        marker_size_cm, foot_length_px, foot_length_cm, marker_id, focal_px
    )
    grays = [_to_gray(frame) for frame in frames]
    if not grays:
        return FloorScale("none", None, None, math.nan, ("no frames to look for a scale in",))
    if any(g.shape != grays[0].shape for g in grays):
        raise ValueError("all frames must have the same size")
    warnings: list[str] = []
    attempts: list[tuple[str, Callable[[], FloorScale | tuple[str, ...]]]] = [
        ("ArUco marker", lambda: _marker_scale(grays, marker_size_cm, marker_id, focal_px)),
        ("white sheet", lambda: _sheet_scale(grays, search_region, paper, focal_px)),
    ]
    for what, attempt in attempts:
        found = attempt()  # lazily: the sheet is not looked for when the marker is usable
        if isinstance(found, tuple):
            warnings.extend(found)
            continue
        usable, checks = _foot_check(found, what, foot_length_px, foot_length_cm)
        warnings.extend(checks)
        if usable:
            return dataclasses.replace(found, warnings=(*warnings, *found.warnings))
    if foot_length_px is not None and foot_length_cm is not None:
        return _foot_scale(foot_length_px, foot_length_cm, warnings)
    warnings.append(
        "no scale: no ArUco marker or white A4/Letter sheet was found on the floor and no foot length was "
        "given, so distances cannot be given in cm"
    )
    return FloorScale("none", None, None, math.nan, tuple(warnings))
