"""A pinhole camera fitted to a flat reference (marker or sheet) on the floor, and the plane geometry
around it.

Image points are in pixels of the upright frame with the origin at the top-left *corner* of the top-left
pixel (see :mod:`vision.scene.calibration`); floor coordinates are centimetres in the reference's own frame.
A plain 4-corner homography extrapolates badly from a small reference seen nearly edge-on, so the floor is
described by a pinhole camera (principal point at the image centre, square pixels, focal length with a broad
prior from typical phone and webcam lenses) fitted to the reference's corners.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

FloatArray = npt.NDArray[np.float64]
Region = tuple[int, int, int, int]

# OpenCV pixel-centre coordinates + this = this module's pixel-corner coordinates.
OPENCV_TO_IMAGE_PX = 0.5

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

# A reference spanning fewer pixels than this (largest corner-to-corner distance) gives a scale worse than
# ~1.5 % (sqrt(2) x 0.25 px / 25 px) before any extrapolation: not worth trusting.
MIN_REFERENCE_EXTENT_PX = 25.0

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

# The reported uncertainty is the worse of the reference's centre and a point this far beyond it (away from
# the camera): the toes, when the reference lies beside the front foot. How fast the scale changes with depth
# rests on the focal prior, so it is usually the larger.
_TOE_BEYOND_REFERENCE_CM = 15.0


# --------------------------------------------------------------------------------------------------------
# Small geometry helpers


def check_shape(name: str, array: FloatArray, shape: tuple[int, ...]) -> None:
    if array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}, expected {shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} has non-finite values")


def unit_vector(vector: FloatArray) -> FloatArray:
    norm = float(np.linalg.norm(vector))
    if not (math.isfinite(norm) and norm > 0):
        raise ValueError(f"direction must be a non-zero vector, got {vector}")
    return np.asarray(vector / norm, np.float64)


def plane_homography(projection: FloatArray, height_cm: float) -> FloatArray:
    """(3, 3) mapping (x, y, 1) on the horizontal plane z = height_cm to homogeneous image px."""
    columns = [projection[:, 0], projection[:, 1], projection[:, 3] + height_cm * projection[:, 2]]
    return np.asarray(np.column_stack(columns), np.float64)


def image_to_plane(homography: FloatArray, points_px: FloatArray) -> FloatArray:
    """(n, 2) plane coordinates of image points; the homography must keep the camera's depth sign."""
    homogeneous = np.column_stack([points_px, np.ones(len(points_px))]) @ np.linalg.inv(homography).T
    if np.any(homogeneous[:, 2] <= 0):
        raise ValueError("an image point is above the floor's horizon: it cannot be on the floor")
    return np.asarray(homogeneous[:, :2] / homogeneous[:, 2:], np.float64)


def plane_to_image(homography: FloatArray, points_cm: FloatArray) -> FloatArray:
    homogeneous = np.column_stack([points_cm, np.ones(len(points_cm))]) @ homography.T
    return homogeneous[:, :2] / homogeneous[:, 2:]


def local_px_per_cm(homography: FloatArray, point_px: FloatArray, direction: FloatArray) -> float:
    """Pixels per plane cm at an image point along a unit image direction (central difference over 1 px;
    the map is smooth, so this is its derivative to ~1e-6)."""
    ends = np.stack([point_px - 0.5 * direction, point_px + 0.5 * direction])
    floor_cm = image_to_plane(homography, ends)
    return float(1.0 / np.linalg.norm(floor_cm[1] - floor_cm[0]))


def side_lengths_px(corners_px: FloatArray) -> FloatArray:
    return np.asarray(np.linalg.norm(np.roll(corners_px, -1, axis=0) - corners_px, axis=1), np.float64)


def extent_px(corners_px: FloatArray) -> float:
    """Largest distance between two corners: the span that sets how precise a scale the quad gives."""
    return float(np.max(np.linalg.norm(corners_px[:, None, :] - corners_px[None, :, :], axis=2)))


def rectangle_cm(width_cm: float, height_cm: float) -> FloatArray:
    """Corners of a width x height rectangle in the reference frame, in the order of ArUco corners."""
    half_w, half_h = width_cm / 2, height_cm / 2
    return np.array([[-half_w, half_h], [half_w, half_h], [half_w, -half_h], [-half_w, -half_h]])


def _foreshortening(homography: FloatArray) -> tuple[float, float]:
    """At the reference's centre: (minor / major stretch of the floor-to-image map, angle in degrees of the
    most compressed image direction from the vertical)."""
    ends = plane_to_image(homography, np.array([[-0.5, 0.0], [0.5, 0.0], [0.0, -0.5], [0.0, 0.5]]))
    jacobian = np.column_stack([ends[1] - ends[0], ends[3] - ends[2]])
    u, s, _ = np.linalg.svd(jacobian)
    angle = math.degrees(math.acos(min(1.0, abs(float(u[1, 1])))))
    return float(s[1] / s[0]), angle


def to_gray(image: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    if image.ndim == 3 and image.shape[2] == 3:
        return np.asarray(cv2.cvtColor(np.asarray(image, dtype=np.uint8), cv2.COLOR_BGR2GRAY), np.uint8)
    if image.ndim == 2:
        return np.asarray(image, dtype=np.uint8)
    raise ValueError(f"expected a BGR (h, w, 3) or grey (h, w) image, got shape {image.shape}")


# --------------------------------------------------------------------------------------------------------
# A pinhole camera fitted to a reference on the floor


@dataclass(frozen=True)
class FocalPrior:
    """Log-normal prior on the focal length in px."""

    focal_px: float
    sigma_log: float

    @classmethod
    def for_image(cls, image_size: tuple[int, int], focal_px: float | None = None) -> FocalPrior:
        """Typical lenses, or a focal length the caller knows (to ~5 %)."""
        if focal_px is not None:
            return cls(focal_px, _KNOWN_FOCAL_SIGMA_LOG)
        return cls(_FOCAL_PRIOR_FRACTION * max(image_size), _FOCAL_PRIOR_SIGMA_LOG)

    def sigmas_from(self, focal_px: float) -> float:
        return abs(math.log(focal_px / self.focal_px)) / self.sigma_log


@dataclass(frozen=True)
class PlaneFit:
    """A camera fitted to the image corners of a known rectangle on the floor."""

    projection: FloatArray  # (3, 4) reference frame cm -> image px
    params: FloatArray  # (7,) log focal, rotation vector, translation (cm)
    covariance: FloatArray  # (7, 7)
    cost: float  # half the chi-square, focal prior included
    focal_px: float
    normal_tilt_deg: float
    image_size: tuple[int, int]
    prior: FocalPrior

    def __post_init__(self) -> None:
        check_shape("PlaneFit.projection", self.projection, (3, 4))
        check_shape("PlaneFit.params", self.params, (7,))
        check_shape("PlaneFit.covariance", self.covariance, (7, 7))

    @property
    def homography(self) -> FloatArray:
        return plane_homography(self.projection, 0.0)


def _intrinsics(focal_px: float, image_size: tuple[int, int]) -> FloatArray:
    width, height = image_size
    return np.array([[focal_px, 0.0, width / 2], [0.0, focal_px, height / 2], [0.0, 0.0, 1.0]])


def _projection(params: FloatArray, image_size: tuple[int, int]) -> FloatArray:
    rotation, _ = cv2.Rodrigues(params[1:4])
    extrinsic = np.column_stack([np.asarray(rotation, np.float64), params[4:7]])
    return _intrinsics(math.exp(float(params[0])), image_size) @ extrinsic


def focal_px_of(projection: FloatArray) -> float:
    """The focal length in px of a (3, 4) pinhole projection K [R | t] with square pixels and no skew, at
    any overall scale: the first and third rows' left 3x3 parts are f r1 + cx r3 and r3."""
    first, third = projection[0, :3], projection[2, :3]
    return float(np.linalg.norm(np.cross(first, third)) / float(third @ third))


def project(projection: FloatArray, points_xy_cm: FloatArray) -> FloatArray:
    return plane_to_image(plane_homography(projection, 0.0), points_xy_cm)


def fit_plane_camera(
    corners_px: FloatArray,
    object_xy_cm: FloatArray,
    image_size: tuple[int, int],
    sigma_px: float,
    prior: FocalPrior,
) -> PlaneFit | None:
    """Camera (focal with prior, pose) whose image of ``object_xy_cm`` best matches ``corners_px``."""
    log_f0 = math.log(prior.focal_px)
    object_3d = np.asarray(np.column_stack([object_xy_cm, np.zeros(len(object_xy_cm))]), np.float64)

    def residuals(params: FloatArray) -> FloatArray:
        reprojection = (project(_projection(params, image_size), object_xy_cm) - corners_px) / sigma_px
        return np.append(reprojection.ravel(), (params[0] - log_f0) / prior.sigma_log)

    n_solutions, rvecs, tvecs, _ = cv2.solvePnPGeneric(
        object_3d,
        corners_px.reshape(-1, 1, 2),
        _intrinsics(math.exp(log_f0), image_size),
        np.zeros(4),
        flags=cv2.SOLVEPNP_IPPE,
    )
    best: PlaneFit | None = None
    for rvec, tvec in zip(rvecs[:n_solutions], tvecs[:n_solutions], strict=True):
        start = np.concatenate([[log_f0], np.ravel(rvec), np.ravel(tvec)]).astype(np.float64)
        result = least_squares(residuals, start, method="lm")
        params = np.asarray(result.x, np.float64)
        if params[6] <= 0:  # the reference would be behind the camera
            continue
        rotation, _ = cv2.Rodrigues(params[1:4])
        tilt = math.degrees(math.acos(float(np.clip(-np.asarray(rotation)[1, 2], -1.0, 1.0))))
        jacobian = np.asarray(result.jac, np.float64)
        fit = PlaneFit(
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


def reference_scale(projection: FloatArray, centre_px: FloatArray) -> float:
    return local_px_per_cm(plane_homography(projection, 0.0), centre_px, np.array([1.0, 0.0]))


def scale_relative_sigma(fit: PlaneFit, centre_px: FloatArray) -> float:
    """One-sigma relative error of the reference scale, propagated from the fit's covariance."""
    scale = reference_scale(fit.projection, centre_px)
    gradient = np.zeros(7)
    for i in range(7):
        step = max(1e-6, 1e-2 * math.sqrt(max(float(fit.covariance[i, i]), 0.0)))
        shifted = fit.params.copy()
        shifted[i] += step
        gradient[i] = (reference_scale(_projection(shifted, fit.image_size), centre_px) - scale) / step
    return math.sqrt(max(float(gradient @ fit.covariance @ gradient), 0.0)) / scale


def beyond_reference_px(fit: PlaneFit) -> FloatArray:
    """Image point of the floor ``_TOE_BEYOND_REFERENCE_CM`` farther from the camera than the reference's
    centre: where the toes are when the reference lies beside the foot on the camera side."""
    rotation, _ = cv2.Rodrigues(fit.params[1:4])
    camera_xy = (-np.asarray(rotation, np.float64).T @ fit.params[4:7])[:2]
    away = -camera_xy / np.linalg.norm(camera_xy)
    return np.asarray(project(fit.projection, (_TOE_BEYOND_REFERENCE_CM * away)[None, :])[0], np.float64)


def flatness_problem(fit: PlaneFit, what: str) -> str | None:
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


def default_region(shape: tuple[int, ...]) -> Region:
    """The lower half of the frame: below the horizon of a camera that is level or pitched down."""
    height, width = shape[:2]
    return (0, height // 2, width, height - height // 2)
