"""Pure geometry on pixel coordinates (x right, y down). No I/O, no state.

Conventions:
    ``facing`` is +1 when the person faces image right (+x) and -1 when they face image left.
    ``up_unit`` is the image direction of the floor normal, pointing up (``(0, -1)`` for a level camera).
    ``floor_angle_deg`` is the angle of the floor line in the image, counter-clockwise as seen on screen;
    it equals the camera roll (a phone held crooked by r degrees clockwise shows the floor at +r).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
LEVEL_UP = np.array([0.0, -1.0])


def up_from_floor_angle(floor_angle_deg: float) -> FloatArray:
    """Image direction of the floor normal (pointing up) for a floor line at ``floor_angle_deg``."""
    a = np.radians(floor_angle_deg)
    return np.array([-np.sin(a), -np.cos(a)])


def forward_unit(up_unit: FloatArray, facing: int) -> FloatArray:
    """Unit vector along the floor, pointing the way the person faces."""
    return float(facing) * np.array([-up_unit[1], up_unit[0]])


def shin_angle_deg(
    knee_px: FloatArray, ankle_px: FloatArray, facing: int, up_unit: FloatArray = LEVEL_UP
) -> FloatArray:
    """Inclination of the ankle-to-knee line from ``up_unit``; positive when the knee is ahead of the ankle.

    Args:
        knee_px, ankle_px: (..., 2) pixel points. NaN in, NaN out.
        facing: +1 facing image right, -1 facing image left.
        up_unit: (2,) floor normal in the image.
    """
    shin = np.asarray(knee_px, dtype=np.float64) - np.asarray(ankle_px, dtype=np.float64)
    along = shin @ forward_unit(up_unit, facing)
    up = shin @ up_unit
    angle: FloatArray = np.degrees(np.arctan2(along, up))
    return angle


def distance_along_px(
    point_px: FloatArray, reference_px: FloatArray, facing: int, up_unit: FloatArray = LEVEL_UP
) -> FloatArray:
    """Signed distance from ``reference_px`` to ``point_px`` along the floor, + in the facing direction."""
    delta = np.asarray(point_px, dtype=np.float64) - np.asarray(reference_px, dtype=np.float64)
    distance: FloatArray = delta @ forward_unit(up_unit, facing)
    return distance


def height_above_px(
    point_px: FloatArray, reference_px: FloatArray, up_unit: FloatArray = LEVEL_UP
) -> FloatArray:
    """Signed height of ``point_px`` above ``reference_px`` along the floor normal."""
    delta = np.asarray(point_px, dtype=np.float64) - np.asarray(reference_px, dtype=np.float64)
    height: FloatArray = delta @ up_unit
    return height


def segment_length_px(a_px: FloatArray, b_px: FloatArray) -> FloatArray:
    """Euclidean distance between matching points."""
    length: FloatArray = np.linalg.norm(
        np.asarray(a_px, dtype=np.float64) - np.asarray(b_px, dtype=np.float64), axis=-1
    )
    return length


def fit_floor_angle_deg(points_px: FloatArray) -> tuple[float, float]:
    """Angle of the best line through points on the floor (total least squares) and its 1-sigma uncertainty.

    Args:
        points_px: (n, 2) points that lie on the floor (e.g. planted toes); NaN rows are ignored.
    Returns:
        (floor_angle_deg, sigma_deg). NaN, NaN when fewer than 2 finite points.
    """
    pts = np.asarray(points_px, dtype=np.float64)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if len(pts) < 2:
        return float("nan"), float("nan")
    centred = pts - pts.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    direction = vt[0] if vt[0][0] >= 0 else -vt[0]
    angle_deg = float(np.degrees(np.arctan2(-direction[1], direction[0])))
    spread = singular[0] / np.sqrt(len(pts))
    residual = singular[1] / np.sqrt(max(len(pts) - 2, 1)) if len(singular) > 1 else 0.0
    sigma_deg = float(np.degrees(residual / (spread * np.sqrt(len(pts))))) if spread > 0 else float("inf")
    return angle_deg, sigma_deg


def sagittal_offsets(point_rays: FloatArray, base_rays: FloatArray, normal: FloatArray) -> FloatArray:
    """(..., 3) vectors from a base point to a point on the same sagittal plane, from their viewing rays.

    The base point is put at depth 1 on its ray (x, y, 1); the other point is where its ray meets the plane
    through the base with the given ``normal`` (the sagittal plane's, in camera coordinates). The plane's
    true distance only scales the answer, so angles in the plane need no depth, and lengths come out in units
    of the base point's depth. NaN in, NaN out; NaN where a ray runs parallel to the plane.
    """
    rays = np.asarray(point_rays, dtype=np.float64)
    base = np.asarray(base_rays, dtype=np.float64)
    facing_plane = rays @ normal
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = np.where(np.abs(facing_plane) > 1e-9, (base @ normal) / facing_plane, np.nan)
    offsets: FloatArray = depth[..., None] * rays - base
    return offsets


def sagittal_angle_deg(
    knee_rays: FloatArray, ankle_rays: FloatArray, normal: FloatArray, up: FloatArray, forward: FloatArray
) -> FloatArray:
    """Shin inclination within the sagittal plane from the floor normal, + with the knee ahead of the ankle.

    Args:
        knee_rays, ankle_rays: (..., 3) viewing rays of the knee and ankle (camera coordinates, z = 1).
        normal, up, forward: (3,) the sagittal plane's normal, the floor normal and the walking direction
            (the way the person faces), in camera coordinates.
    """
    shin = sagittal_offsets(knee_rays, ankle_rays, normal)
    angle: FloatArray = np.degrees(np.arctan2(shin @ forward, shin @ up))
    return angle


def median_finite(values: FloatArray) -> float:
    """The median of the finite values (NaN when there are none)."""
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if len(finite) else float("nan")
