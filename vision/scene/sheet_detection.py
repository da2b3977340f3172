"""A plain white A4 or US Letter sheet lying flat on the floor, found in one (median) image: bright convex
quadrilaterals, their corners refined (see :mod:`vision.scene.quad_fit`), then a camera fitted to each paper
size and orientation (see :mod:`vision.scene.floor_plane`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from vision.scene.floor_plane import (
    MIN_REFERENCE_EXTENT_PX,
    OPENCV_TO_IMAGE_PX,
    FloatArray,
    FocalPrior,
    PlaneFit,
    Region,
    check_shape,
    default_region,
    extent_px,
    fit_plane_camera,
    flatness_problem,
    rectangle_cm,
    side_lengths_px,
    to_gray,
)
from vision.scene.quad_fit import Target, refine_quad

Paper = Literal["a4", "letter"]

PAPER_SIZES_CM: Mapping[Paper, tuple[float, float]] = MappingProxyType(
    {"a4": (21.0, 29.7), "letter": (21.59, 27.94)}
)

# Sheet candidates.
_SHEET_MIN_AREA_PX = 80.0
_SHEET_MIN_FILL = 0.9
_SHEET_MIN_CONTRAST = 40.0  # grey levels between the sheet and the floor: paper is far brighter than floors
_SHEET_MAX_CANDIDATES = 6
# A plain sheet's corner is placed only by where its two edges meet, and a sheet seen from a low camera has
# corners of a few degrees: on the rendered clips the refined corners were 0.1-0.7 px off in most and up to
# 1.7 px in some (a shoe's shadow along the far edge). The camera fit weighs them at this precision at best.
_SHEET_CORNER_SIGMA_PX = 0.5
# Two hypotheses (paper size, which side runs along the walking axis) are told apart only when the worse one
# costs this much more (chi-square difference of 4: two sigma).
_DECISIVE_COST = 2.0


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
        check_shape("SheetDetection.corners_px", self.corners_px, (4, 2))


def sheet_target() -> Target:
    return Target(pattern=np.ones((1, 1)), margin=0.0, has_black=False, sigma_floor_px=_SHEET_CORNER_SIGMA_PX)


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
        sides = side_lengths_px(quad)
        if quad_area <= 0 or abs(area / quad_area - 1) > 0.1 or sides.min() < 3:
            continue
        if extent_px(quad) < MIN_REFERENCE_EXTENT_PX:  # too small to measure, or to tell from texture
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
            quad = _clockwise_from_top_left(quad + np.array([x0, y0]) + OPENCV_TO_IMAGE_PX)
            if all(np.max(np.abs(quad - other)) > 3.0 for other in found):
                found.append(quad)
    found.sort(key=lambda q: -float(cv2.contourArea(q.astype(np.float32))))
    return found[:_SHEET_MAX_CANDIDATES]


@dataclass(frozen=True)
class _SheetHypothesis:
    paper: Paper
    size_cm: tuple[float, float]
    fit: PlaneFit


def _sheet_hypotheses(
    corners_px: FloatArray,
    sigma_px: float,
    papers: Sequence[Paper],
    prior: FocalPrior,
    image_size: tuple[int, int],
) -> list[_SheetHypothesis]:
    """Camera fits for each paper and orientation that look like a sheet lying flat on the floor."""
    found: list[_SheetHypothesis] = []
    for paper in papers:
        short_cm, long_cm = PAPER_SIZES_CM[paper]
        for size in ((long_cm, short_cm), (short_cm, long_cm)):
            fit = fit_plane_camera(corners_px, rectangle_cm(*size), image_size, sigma_px, prior)
            if fit is not None and flatness_problem(fit, "sheet") is None:
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
) -> tuple[SheetDetection, PlaneFit] | None:
    fit = refine_quad(gray, quad_px, sheet_target())
    # Every corner must match the flat-white model: a corner under a toe or its shadow can be a few px off,
    # which the camera fit turns into a floor tilted by a few degrees and a knee over toe off by centimetres
    # (the camera's roll is taken from the sheet).
    if fit is None or not bool(np.all(fit.good_corners)) or fit.brightness_step < _SHEET_MIN_CONTRAST:
        return None
    image_size = (gray.shape[1], gray.shape[0])
    prior = FocalPrior.for_image(image_size, focal_px)
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
    found = find_sheet(to_gray(image_bgr), search_region, paper, focal_px)
    return None if found is None else found[0]


def find_sheet(
    gray: npt.NDArray[np.uint8], search_region: Region | None, paper: Paper | None, focal_px: float | None
) -> tuple[SheetDetection, PlaneFit] | None:
    region = search_region if search_region is not None else default_region(gray.shape)
    for quad in _sheet_candidates(gray, region):
        measured = _measure_sheet(gray, quad, paper, focal_px)
        if measured is not None:
            return measured
    return None
