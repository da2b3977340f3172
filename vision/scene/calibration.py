"""Scale sources that turn image pixels into centimetres on the floor.

The measured distances (knee-over-toe, toe-to-wall) run along the floor, along the walking axis, at the front
foot's depth. A side-on camera sees the floor in strong perspective, so one "pixels per cm" number is not
enough: this module recovers the floor plane's mapping to the image from a reference lying flat on the floor,
tried in this order:

1. a printed ArUco marker (DICT_4X4_50, id 0, black square 10 cm by default), see :mod:`vision.scene.marker`
   (printing) and :mod:`vision.scene.marker_detection` (finding it);
2. a plain white A4 or US Letter sheet (:mod:`vision.scene.sheet_detection`);
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
first refined by fitting a rendered model of the reference (known pattern, blur, brightness) to the pixels
(:mod:`vision.scene.quad_fit`), which uses every pixel of the reference rather than four corner windows, and
the floor is then described by a pinhole camera (principal point at the image centre, square pixels, focal
length with a broad prior from typical phone and webcam lenses) fitted to the corners
(:mod:`vision.scene.floor_plane`). The camera has one parameter fewer than a homography and the focal prior
removes the direction the data barely constrain (the convergence of the reference's edges), which cuts the
scale error at the toe by 5-10x on small references.

This module combines the frames and the sources into one :class:`FloorScale`, and says why a source was
not used.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from vision.errors import InputError
from vision.scene.floor_plane import (
    MIN_REFERENCE_EXTENT_PX,
    FloatArray,
    FocalPrior,
    PlaneFit,
    Region,
    beyond_reference_px,
    check_shape,
    extent_px,
    fit_plane_camera,
    flatness_problem,
    focal_px_of,
    image_to_plane,
    local_px_per_cm,
    plane_homography,
    project,
    rectangle_cm,
    scale_relative_sigma,
    side_lengths_px,
    to_gray,
    unit_vector,
)
from vision.scene.marker_detection import (
    ARUCO_DICTIONARY,
    ARUCO_DICTIONARY_SIZE,
    MARKER_QUIET_ZONE,
    MarkerDetection,
    aruco_target,
    detect_aruco,
)
from vision.scene.quad_fit import outer_corners, refine_quad
from vision.scene.sheet_detection import PAPER_SIZES_CM, Paper, SheetDetection, detect_sheet, find_sheet

__all__ = [
    "ARUCO_DICTIONARY",
    "ARUCO_DICTIONARY_SIZE",
    "PAPER_SIZES_CM",
    "FloorScale",
    "MarkerDetection",
    "Paper",
    "ReferenceSearch",
    "ScaleSource",
    "SheetDetection",
    "choose_scale",
    "detect_aruco",
    "detect_sheet",
    "find_floor_scale",
    "find_references",
]

ScaleSource = Literal["aruco", "a4", "letter", "foot", "none"]

# The reference must be read in at least this share of the frames (hidden by the foot in the rest?), and in
# at least this share of those it must sit at the same place (else the marker or the camera moved).
_MIN_DETECTED_FRACTION = 0.5
_MIN_STILL_FRACTION = 0.5

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
# Beyond this the reference, not the tape, is wrong: the heel-to-toe landmarks read the foot within about 8 %
# on the rendered clips, and a misread sheet or marker (a thin sheet's camera extrapolated to the toe, a quad
# that is not the sheet) makes it 30-60 % off.
_FOOT_REFUSED_DISAGREEMENT = 0.25
# The foot point given (the toe tip) stands about this far above the floor.
_FOOT_POINT_HEIGHT_CM = 1.5


@dataclass(frozen=True)
class FloorScale:
    """How to turn image pixels into floor centimetres.

    Attributes:
        source: where the scale comes from.
        homography_cm_to_px: (3, 3) floor coordinates in cm (z = 0) to image px; None for foot / none.
        px_per_cm: reference scale: for a marker or sheet, px per cm of a square-on view at the depth of the
            reference's centre (focal length over depth: the unit the sagittal lengths are measured in, and
            unlike the image's horizontal it does not depend on the camera's roll); for the foot, the flat
            scale.
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
            check_shape("FloorScale.homography_cm_to_px", self.homography_cm_to_px, (3, 3))
        if self.projection_cm_to_px is not None:
            check_shape("FloorScale.projection_cm_to_px", self.projection_cm_to_px, (3, 4))
        if self.reference_corners_px is not None:
            check_shape("FloorScale.reference_corners_px", self.reference_corners_px, (4, 2))
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
        direction = unit_vector(np.asarray(direction_px, dtype=np.float64).reshape(2))
        if self.projection_cm_to_px is None:
            return scale
        homography = plane_homography(self.projection_cm_to_px, height_cm)
        return local_px_per_cm(homography, np.asarray(point_px, dtype=np.float64).reshape(2), direction)

    def floor_distance_cm(self, a_px: npt.ArrayLike, b_px: npt.ArrayLike, height_cm: float = 0.0) -> float:
        """Distance in cm between two image points lying on the floor (or both ``height_cm`` above it)."""
        scale = self._require_scale()
        a = np.asarray(a_px, dtype=np.float64).reshape(2)
        b = np.asarray(b_px, dtype=np.float64).reshape(2)
        if self.projection_cm_to_px is None:
            return float(np.linalg.norm(b - a) / scale)
        floor_cm = image_to_plane(plane_homography(self.projection_cm_to_px, height_cm), np.stack([a, b]))
        return float(np.linalg.norm(floor_cm[1] - floor_cm[0]))

    def floor_point_cm(self, point_px: npt.ArrayLike, height_cm: float = 0.0) -> FloatArray:
        """(2,) floor coordinates in cm of an image point ``height_cm`` above the floor (marker, sheet)."""
        self._require_scale()
        if self.projection_cm_to_px is None:
            raise InputError(f"a scale from the {self.source} gives no floor position, only distances")
        point = np.asarray(point_px, dtype=np.float64).reshape(1, 2)
        return np.asarray(image_to_plane(plane_homography(self.projection_cm_to_px, height_cm), point)[0])

    def depth_cm(self, point_px: npt.ArrayLike, height_cm: float = 0.0) -> float:
        """Distance in cm along the optical axis to the image point ``height_cm`` above the floor (marker,
        sheet)."""
        x_cm, y_cm = self.floor_point_cm(point_px, height_cm)
        assert self.projection_cm_to_px is not None  # floor_point_cm has checked
        camera_z = self.projection_cm_to_px[2] @ np.array([x_cm, y_cm, height_cm, 1.0])
        return float(camera_z / np.linalg.norm(self.projection_cm_to_px[2, :3]))

    def reference_outline_px(self) -> FloatArray | None:
        """(4, 2) the whole reference in the image, where nothing else (the toes) can be: the sheet, or the
        marker's black square with its white quiet zone (one module, a sixth of its side, all round). None
        without a marker or sheet."""
        if self.reference_corners_px is None or self.source != "aruco":
            return self.reference_corners_px
        return outer_corners(self.reference_corners_px, MARKER_QUIET_ZONE)

    def _require_scale(self) -> float:
        if self.px_per_cm is None:
            raise InputError(
                "no scale in cm: put the printed ArUco marker or an A4 sheet flat beside the front foot, "
                "or give your foot length"
            )
        return self.px_per_cm


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
    tolerance = max(1.5, 0.05 * float(np.max(side_lengths_px(median))))
    deviation = np.max(np.linalg.norm(stacked - median, axis=2), axis=1)
    return median, [i for i, d in enumerate(deviation) if d <= tolerance]


def _planar_scale(
    source: ScaleSource,
    fit: PlaneFit,
    corners_px: FloatArray,
    extra_relative: float,
    warnings: Sequence[str],
) -> FloorScale:
    centre = project(fit.projection, np.zeros((1, 2)))[0]
    geometry = max(scale_relative_sigma(fit, centre), scale_relative_sigma(fit, beyond_reference_px(fit)))
    relative = math.sqrt(geometry**2 + _PRINT_TOLERANCE**2 + extra_relative**2)
    homography = fit.homography
    return FloorScale(
        source=source,
        homography_cm_to_px=homography / homography[2, 2],
        px_per_cm=fit.focal_px / float(fit.params[6]),
        relative_uncertainty=relative,
        warnings=tuple(warnings),
        projection_cm_to_px=fit.projection,
        reference_corners_px=corners_px,
    )


def _scale_at_foot(scale: FloorScale, foot_point_px: FloatArray | None) -> float | None:
    """Px per cm of a square-on view at the foot's depth (the unit the foot's length is measured in), or at
    the reference's when the foot's place is unknown or cannot be on this floor."""
    if scale.projection_cm_to_px is None or foot_point_px is None or not np.all(np.isfinite(foot_point_px)):
        return scale.px_per_cm
    try:
        depth_cm = scale.depth_cm(foot_point_px, _FOOT_POINT_HEIGHT_CM)
    except ValueError:  # above the horizon of the reference's floor
        return scale.px_per_cm
    return focal_px_of(scale.projection_cm_to_px) / depth_cm if depth_cm > 0 else scale.px_per_cm


def _foot_check(
    scale: FloorScale,
    what: str,
    foot_length_px: float | None,
    foot_length_cm: float | None,
    foot_point_px: FloatArray | None = None,
) -> tuple[bool, list[str]]:
    """(usable, warnings) from comparing the scale with the foot, when the foot is known."""
    px_per_cm = _scale_at_foot(scale, foot_point_px)
    if foot_length_px is None or px_per_cm is None:
        return True, []
    foot_cm = foot_length_px / px_per_cm
    if scale.source == "aruco":
        advice = "check that it was printed at 100 % and that the size given is its black square's side"
    else:
        advice = "check that it is a whole, flat A4 or Letter sheet and which of the two it is"
    low, high = _FOOT_PLAUSIBLE_CM
    disagreement = math.nan if foot_length_cm is None else abs(foot_cm / foot_length_cm - 1)
    if not (low <= foot_cm <= high or disagreement <= _FOOT_MAX_DISAGREEMENT):
        return False, [
            f"the {what} makes the foot {foot_cm:.0f} cm long, which cannot be right: {advice}; "
            "it was not used"
        ]
    if disagreement > _FOOT_REFUSED_DISAGREEMENT:
        return False, [
            f"the {what} makes the foot {foot_cm:.0f} cm long but {foot_length_cm:.1f} cm was given: "
            f"{advice}; it was not used"
        ]
    if disagreement > _FOOT_MAX_DISAGREEMENT:
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
    extent = extent_px(median)
    if extent < MIN_REFERENCE_EXTENT_PX:
        return (
            f"the ArUco marker is only {extent:.0f} px across: move the camera closer or print a bigger "
            "marker; it was not used",
        )
    image = _median_image(grays, [usable[k][0] for k in still])
    fit = refine_quad(image, median, aruco_target(marker_id))
    if fit is None or not bool(np.all(fit.good_corners)):
        return ("the ArUco marker is partly hidden or blurred (keep the feet off it); it was not used",)
    image_size = (image.shape[1], image.shape[0])
    square = rectangle_cm(marker_size_cm, marker_size_cm)
    prior = FocalPrior.for_image(image_size, focal_px)
    plane = fit_plane_camera(fit.corners_px, square, image_size, fit.corner_sigma_px, prior)
    if plane is None:
        return ("the ArUco marker's shape does not fit a camera view: it was not used",)
    problem = flatness_problem(plane, "ArUco marker")
    if problem is not None:
        return (problem + "; it was not used",)
    return _planar_scale("aruco", plane, fit.corners_px, 0.0, ())


def _sheet_scale(
    grays: Sequence[npt.NDArray[np.uint8]], region: Region | None, paper: Paper | None, focal_px: float | None
) -> FloorScale | tuple[str, ...]:
    """The scale from a white sheet, or why there is none (empty when no sheet was seen)."""
    image = _median_image(grays, range(len(grays)))
    detection = find_sheet(image, region, paper, focal_px)
    if detection is None:
        return ()
    sheet, fit = detection
    extent = extent_px(sheet.corners_px)
    if extent < MIN_REFERENCE_EXTENT_PX:
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


def _validated_reference_inputs(marker_size_cm: float, marker_id: int, focal_px: float | None) -> None:
    if not (math.isfinite(marker_size_cm) and marker_size_cm > 0):
        raise InputError(f"the marker size must be a positive number of cm, got {marker_size_cm}")
    if not 0 <= marker_id < ARUCO_DICTIONARY_SIZE:
        raise InputError(
            f"marker id {marker_id} is not in DICT_4X4_50: it must be 0 to {ARUCO_DICTIONARY_SIZE - 1}"
        )
    if focal_px is not None and not (math.isfinite(focal_px) and focal_px > 0):
        raise InputError(f"the focal length must be a positive number of pixels, got {focal_px}")


def _validated_foot(
    foot_length_px: float | None, foot_length_cm: float | None
) -> tuple[float | None, float | None]:
    if foot_length_cm is not None:
        low, high = _FOOT_INPUT_RANGE_CM
        if not (math.isfinite(foot_length_cm) and low <= foot_length_cm <= high):
            raise InputError(
                f"a foot length of {foot_length_cm} cm is not plausible: give it in cm ({low:.0f}-{high:.0f})"
            )
    if foot_length_px is not None and not (math.isfinite(foot_length_px) and foot_length_px > 0):
        foot_length_px = None  # landmarks not found: no foot scale, not an error
    return foot_length_px, foot_length_cm


@dataclass(frozen=True)
class ReferenceSearch:
    """What a handful of frames show lying on the floor, before any check against the foot: each source
    looked for (the ArUco marker, then a white sheet), with its scale or why there is none (an empty reason
    when it is simply absent). :func:`choose_scale` picks from it."""

    found: tuple[tuple[str, FloorScale | tuple[str, ...]], ...]

    def outline_px(self) -> FloatArray | None:
        """The first reference found (:meth:`FloorScale.reference_outline_px`), or None."""
        scales = [found for _, found in self.found if isinstance(found, FloorScale)]
        return scales[0].reference_outline_px() if scales else None


def find_references(
    frames: Iterable[npt.NDArray[np.generic]],
    marker_size_cm: float = 10.0,
    search_region: Region | None = None,
    *,
    marker_id: int = 0,
    paper: Paper | None = None,
    focal_px: float | None = None,
) -> ReferenceSearch:
    """The marker and the sheet in a handful of frames (e.g. 5-10 evenly spaced BGR frames of one clip); see
    :func:`find_floor_scale` for the arguments."""
    _validated_reference_inputs(marker_size_cm, marker_id, focal_px)
    grays = [to_gray(frame) for frame in frames]
    if not grays:
        return ReferenceSearch((("frames", ("no frames to look for a scale in",)),))
    if any(g.shape != grays[0].shape for g in grays):
        raise ValueError("all frames must have the same size")
    return ReferenceSearch(
        (
            ("ArUco marker", _marker_scale(grays, marker_size_cm, marker_id, focal_px)),
            ("white sheet", _sheet_scale(grays, search_region, paper, focal_px)),
        )
    )


def choose_scale(
    search: ReferenceSearch,
    foot_length_px: float | None = None,
    foot_length_cm: float | None = None,
    foot_point_px: npt.ArrayLike | None = None,
) -> FloorScale:
    """The first reference of ``search`` that the foot does not contradict, else the foot length, else none
    (see :func:`find_floor_scale`), with plain-words reasons for every source not used."""
    foot_length_px, foot_length_cm = _validated_foot(foot_length_px, foot_length_cm)
    foot_point = None if foot_point_px is None else np.asarray(foot_point_px, np.float64).reshape(2)
    warnings: list[str] = []
    for what, found in search.found:
        if isinstance(found, tuple):
            warnings.extend(found)
            continue
        usable, checks = _foot_check(found, what, foot_length_px, foot_length_cm, foot_point)
        warnings.extend(checks)
        if usable:
            return dataclasses.replace(found, warnings=(*warnings, *found.warnings))
    if foot_length_px is not None and foot_length_cm is not None:
        return _foot_scale(foot_length_px, foot_length_cm, warnings)
    if not search.found or search.found[0][0] != "frames":
        warnings.append(
            "no scale: no ArUco marker or white A4/Letter sheet was found on the floor and no foot length "
            "was given, so distances cannot be given in cm"
        )
    return FloorScale("none", None, None, math.nan, tuple(warnings))


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
    foot_point_px: npt.ArrayLike | None = None,
) -> FloorScale:
    """The best scale source seen in a handful of frames (e.g. 5-10 evenly spaced BGR frames of one clip).

    Tries the ArUco marker, then a white sheet (``paper`` fixes A4 or Letter; None tries both), then the
    foot length (``foot_length_px`` is the heel-to-toe landmark distance, ``foot_length_cm`` the user's
    measurement), then gives up. A source that looks wrong is skipped with a warning saying why.
    ``focal_px``, when known (e.g. from the lens's field of view: width / 2 / tan(fov / 2)), replaces the
    broad prior on typical lenses and makes the scale away from the reference more accurate.
    ``foot_point_px``, the toe tip in the image, is where the marker's or sheet's scale is checked against
    the foot (``foot_length_px`` must be in px of a square-on view at its depth); without it, at the
    reference. :func:`find_references` and :func:`choose_scale` are its two steps, for a caller that places
    the toe tip knowing where the reference lies.
    """
    _validated_foot(foot_length_px, foot_length_cm)
    search = find_references(
        frames, marker_size_cm, search_region, marker_id=marker_id, paper=paper, focal_px=focal_px
    )
    return choose_scale(search, foot_length_px, foot_length_cm, foot_point_px)
