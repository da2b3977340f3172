"""The printed ArUco marker (DICT_4X4_50) found in one image, its corners refined (see
:mod:`vision.scene.quad_fit`); :mod:`vision.scene.marker` prints it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from vision.scene.floor_plane import (
    OPENCV_TO_IMAGE_PX,
    FloatArray,
    check_shape,
    default_region,
    side_lengths_px,
    to_gray,
)
from vision.scene.quad_fit import Target, refine_quad

ARUCO_DICTIONARY = cv2.aruco.DICT_4X4_50
ARUCO_DICTIONARY_SIZE = 50
#: The printed marker's white quiet zone around its black square, as a share of the square's side (one of six
#: modules).
MARKER_QUIET_ZONE = 1.0 / 6.0

# A marker at a grazing angle (a camera 20-50 cm above the floor, 3-4 m away: 50 x 8 px) is outlined by the
# detector but its 1-1.5 px modules are not read; a 4x cubic upsample of a cut-out around the outline reads
# them. At most this many outlines (the widest first) are looked at, each with this margin of floor around it.
_MAX_CLOSE_LOOKS = 40
_CLOSE_LOOK_FACTOR = 4
_CLOSE_LOOK_PAD_PX = 6.0

_ARUCO_PATTERN_PX_PER_MODULE = 8


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
        check_shape("MarkerDetection.corners_px", self.corners_px, (4, 2))


def aruco_target(marker_id: int) -> Target:
    ppm = _ARUCO_PATTERN_PX_PER_MODULE
    dictionary = cv2.aruco.getPredefinedDictionary(ARUCO_DICTIONARY)
    square = cv2.aruco.generateImageMarker(dictionary, marker_id, 6 * ppm, borderBits=1)
    pattern = np.ones((8 * ppm, 8 * ppm))
    pattern[ppm : 7 * ppm, ppm : 7 * ppm] = np.asarray(square, np.float64) / 255.0
    return Target(pattern=pattern, margin=MARKER_QUIET_ZONE, has_black=True)


def _aruco_detector() -> cv2.aruco.ArucoDetector:
    parameters = cv2.aruco.DetectorParameters()
    # Find markers down to ~13 px of perimeter on a 1280 px frame, so that a too-small marker is reported as
    # such instead of silently missed; decoding (bit errors) still rejects anything that is not the marker.
    parameters.minMarkerPerimeterRate = 0.01
    parameters.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_NONE
    return cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(ARUCO_DICTIONARY), parameters)


def _read_aruco(gray: npt.NDArray[np.uint8], marker_id: int) -> tuple[FloatArray | None, list[FloatArray]]:
    """(corners of the one marker with this id, or None when absent or doubled; the quads that looked like a
    marker but did not decode, widest first), image px of ``gray``."""
    corners, ids, rejected = _aruco_detector().detectMarkers(gray)
    quads = [np.asarray(quad, np.float64).reshape(4, 2) + OPENCV_TO_IMAGE_PX for quad in rejected]
    quads.sort(key=lambda quad: -float(np.ptp(quad[:, 0])))
    matches = [] if ids is None else [i for i, found in enumerate(np.ravel(ids)) if int(found) == marker_id]
    if len(matches) != 1:
        return None, quads
    return np.asarray(corners[matches[0]], np.float64).reshape(4, 2) + OPENCV_TO_IMAGE_PX, quads


def _close_look(gray: npt.NDArray[np.uint8], quad_px: FloatArray, marker_id: int) -> FloatArray | None:
    """The marker's corners read on a cut-out around ``quad_px`` upsampled ``_CLOSE_LOOK_FACTOR`` times, or
    None. Image px of ``gray``."""
    height, width = gray.shape
    low = np.maximum(np.floor(quad_px.min(axis=0) - _CLOSE_LOOK_PAD_PX), 0).astype(int)
    high = np.minimum(np.ceil(quad_px.max(axis=0) + _CLOSE_LOOK_PAD_PX), [width, height]).astype(int)
    if np.any(high - low < 4):
        return None
    cut = np.ascontiguousarray(gray[low[1] : high[1], low[0] : high[0]])
    factor = _CLOSE_LOOK_FACTOR
    border = 4 * factor  # the detector ignores quads touching the image's edge
    upsampled = cv2.resize(cut, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    padded = cv2.copyMakeBorder(upsampled, border, border, border, border, cv2.BORDER_REPLICATE)
    corners, _ = _read_aruco(np.asarray(padded, np.uint8), marker_id)
    return None if corners is None else np.asarray((corners - border) / factor + low, np.float64)


def _find_aruco_corners(gray: npt.NDArray[np.uint8], marker_id: int) -> FloatArray | None:
    corners, _ = _read_aruco(gray, marker_id)
    if corners is not None:
        return corners
    # A small marker seen almost edge-on has ~1 px per module across: the detector's thresholding and
    # contour steps work better on a 2x upsampled floor (the lower half of the frame; see default_region).
    # The corners are refined on the original.
    x0, y0, width, height = default_region(gray.shape)
    floor = np.ascontiguousarray(gray[y0 : y0 + height, x0 : x0 + width])
    upsampled = np.asarray(cv2.resize(floor, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC), np.uint8)
    corners, rejected = _read_aruco(upsampled, marker_id)
    if corners is not None:
        return np.asarray(corners / 2 + np.array([x0, y0]), np.float64)
    # Seen from a low camera at a grazing angle the marker is a few px tall: its outline is found but its
    # modules are not read. Each such outline is cut out and read again, upsampled further.
    for quad in rejected[:_MAX_CLOSE_LOOKS]:
        corners = _close_look(gray, quad / 2 + np.array([x0, y0]), marker_id)
        if corners is not None:
            return corners
    return None


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
    gray = to_gray(image_bgr)
    corners = _find_aruco_corners(gray, marker_id)
    if corners is None:
        return None
    good = _inside_frame(corners, gray.shape)
    sigma = math.nan
    if refine and bool(np.all(good)):
        fit = refine_quad(gray, corners, aruco_target(marker_id))
        if fit is None:
            good = np.zeros(4, dtype=bool)
        else:
            corners, sigma, good = fit.corners_px, fit.corner_sigma_px, fit.good_corners
    return MarkerDetection(
        corners_px=corners,
        marker_id=marker_id,
        side_px=float(np.mean(side_lengths_px(corners))),
        size_cm=marker_size_cm,
        n_good_corners=int(np.sum(good)),
        corner_sigma_px=sigma,
    )
