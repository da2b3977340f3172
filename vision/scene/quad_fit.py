"""Model-fit refinement of a flat reference's corners: a rendered model of the reference (known pattern, blur,
brightness) is fitted to the pixels, which uses every pixel of the reference rather than four corner windows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

from vision.scene.floor_plane import FloatArray, check_shape, extent_px, plane_to_image, side_lengths_px

# Sub-pixel corner precision assumed at best: compressed video, unknown blur and rolling shutter make
# 0.1-0.3 px typical for model-fitted edges, so the fitted precision is never trusted below this (a target can
# set its own: see Target.sigma_floor_px).
_CORNER_SIGMA_FLOOR_PX = 0.2

# Model-fit refinement of a reference's corners.
_FIT_BAND_PX = 2.0  # floor band kept around the reference so its outer edges are seen from both sides
_FIT_MAX_PIXELS = 2500  # larger references are fitted on a downscaled patch: precision is ample there
_FIT_SUBSAMPLES = 3  # per pixel and axis (jittered, so the render changes smoothly with the corners)
_FIT_JACOBIAN_STEP = 0.1  # px (and px of blur): a few times the spacing between jittered sample positions
_FIT_MIN_R2 = 0.6  # share of the patch's variance the reference model must explain
_FIT_MAX_SHIFT_PX = 2.5  # corners further than this from the detector's are a different (or hidden) quad
# ... or this share of the quad's extent: an outline traced at a threshold cuts a thin quad's sharp corners
# short by a few px (a sheet 77 px long seen from 50 cm up: 3.8 px), which the fit puts back.
_FIT_MAX_SHIFT_FRACTION = 0.05
_CORNER_OCCLUSION_RATIO = 3.0  # residual near a corner vs the whole patch: above this the corner is hidden
_CORNER_OCCLUSION_STEP = 0.15  # ... and vs the reference's brightness step


@dataclass(frozen=True)
class Target:
    """Reflectance (1 white, 0 black) of a flat reference. ``pattern`` covers the unit square (whose corners
    are the fitted corners) grown by ``margin`` on each side; outside it is floor. ``sigma_floor_px``: the
    corner precision the fit is never trusted beyond."""

    pattern: FloatArray
    margin: float
    has_black: bool
    sigma_floor_px: float = _CORNER_SIGMA_FLOOR_PX


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


def outer_corners(corners_px: FloatArray, margin: float) -> FloatArray:
    grown = np.array(
        [[-margin, -margin], [1 + margin, -margin], [1 + margin, 1 + margin], [-margin, 1 + margin]]
    )
    return plane_to_image(_unit_to_image(corners_px), grown)


def _make_patch(gray: npt.NDArray[np.uint8], corners_px: FloatArray, margin: float) -> _Patch | None:
    outer = outer_corners(corners_px, margin)
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


def _render(patch: _Patch, corners_px: FloatArray, target: Target, blur_px: float) -> list[FloatArray]:
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
class QuadFit:
    corners_px: FloatArray
    corner_sigma_px: float
    r2: float
    brightness_step: float  # fitted white minus floor (or black) grey level
    good_corners: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        check_shape("QuadFit.corners_px", self.corners_px, (4, 2))
        if self.good_corners.shape != (4,):
            raise ValueError(f"QuadFit.good_corners has shape {self.good_corners.shape}, expected (4,)")


def _photometric_residuals(
    patch: _Patch, corners_px: FloatArray, target: Target, blur_px: float
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


def refine_quad(gray: npt.NDArray[np.uint8], corners_px: FloatArray, target: Target) -> QuadFit | None:
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
    max_shift_px = max(_FIT_MAX_SHIFT_PX * patch.factor, _FIT_MAX_SHIFT_FRACTION * extent_px(corners_px))
    if np.max(np.abs(params[:8])) > max_shift_px or r2 < _FIT_MIN_R2:
        return None
    noise = 1.4826 * float(np.median(np.abs(residual)))
    jacobian = np.asarray(result.jac, np.float64)[:, :8]
    covariance = np.linalg.pinv(jacobian.T @ jacobian) * noise**2
    sigma = math.sqrt(max(float(np.mean(np.diag(covariance))), 0.0))
    return QuadFit(
        corners_px=refined,
        corner_sigma_px=max(sigma, target.sigma_floor_px),
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
    radius = max(1.5, 0.25 * float(np.min(side_lengths_px(local))))
    good = np.ones(4, dtype=bool)
    for i, (cx, cy) in enumerate(local):
        near = patch.mask & ((cols + 0.5 - cx) ** 2 + (rows + 0.5 - cy) ** 2 <= radius**2)
        if near.sum() >= 3:
            good[i] = math.sqrt(float(np.mean(full[near] ** 2))) <= limit
    return good
