"""The front of the shin on the person mask: where a clinician's inclinometer rests.

The lunge test's angle in the clinic is read by an inclinometer (or a phone) laid on the front of the shin,
about 15 cm below the tibial tuberosity, not along the knee-centre to ankle-centre line; on adult legs the two
differ by 3-7 deg at the deepest rep. A flat instrument rests on the shin's most prominent points, so what it
reads is the chord of the front edge's convex envelope over the band it covers: 30% to 60% of the way from
the knee to the ankle.

Here the front edge is traced on MediaPipe's person mask along rays square to the knee-ankle line, each from
the line forward until the mask ends (sub-pixel, at probability 0.5). The envelope's chord gives two points:
its ends at 30% and 60%. The landmarks only place the band; a constant offset of the mask's edge (its soft
rim, clothing a few mm thick) moves both ends alike and leaves the angle unchanged. The band is of the
knee-centre to ankle-centre line, and MediaPipe's ankle point sits above the ankle's centre
(:data:`ANKLE_BELOW_LANDMARK`): the line is lengthened by that much before the band is placed on it, or the
band would ride 2-5% of the shin too high, onto a stretch whose slope differs from body to body. Pure
functions, no state.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: The band of the shin an inclinometer covers, as fractions of the way from the knee to the ankle.
BAND = (0.3, 0.6)
#: The front edge is traced over the band and 2% of the shin beyond each end (the front profile the truth of
#: ``../shared/data/synthetic`` is defined on): a prominence further out (the tibial tuberosity, the ankle's
#: front) is not under an inclinometer placed on the band. Over 0.22-0.7 the chord on the 75 tune clips and
#: renders scattered 1.19 deg (SD) about the truth with the camera known; over this span, 1.06.
SPAN = (BAND[0] - 0.02, BAND[1] + 0.02)
#: MediaPipe's ankle landmark sits this share of its knee-ankle distance above the ankle joint centre, along
#: the shin (75 tune clips and renders at their results' holds: 0.075 of the true shin, SD 0.026, alike in
#: medial and lateral views; its knee sits on the joint centre's level to within 0.002, SD 0.03). With the
#: line lengthened by it, the chord's scatter about the truth fell from 1.06 to 0.92 deg (SD).
ANKLE_BELOW_LANDMARK = 0.08
#: Rays traced across the span (inclusive of both ends).
N_RAYS = 21
#: A ray looks this far forward of the knee-ankle line, as a fraction of the shin length (the front of the
#: shin lies 0.08-0.15 shin lengths in front of the line; more than this is not the shin).
MAX_DEPTH = 0.35
#: Step along a ray, in mask pixels.
STEP_PX = 0.5
#: Mask probability above which a pixel belongs to the person.
THRESHOLD = 0.5
#: A hand point (wrist, knuckle or thumb) this close to the band (as shares of the shin: along it, and from
#: behind the knee-ankle line to the rays' reach in front) rests on the shin: the mask's edge there is the
#: hand's, not the shin's.
HAND_ALONG = (BAND[0] - 0.1, BAND[1] + 0.1)
HAND_ACROSS = (-0.1, MAX_DEPTH)
#: At least this share of the rays must find the edge, including both ends' neighbourhoods.
MIN_RAY_SHARE = 0.7


def bilinear(mask: npt.NDArray[np.float32], points_px: FloatArray) -> FloatArray:
    """Mask values at (n, 2) sub-pixel points (x, y; pixel centres at integers); 0 outside the image."""
    height, width = mask.shape
    x, y = points_px[:, 0], points_px[:, 1]
    inside = (x >= 0) & (y >= 0) & (x <= width - 1) & (y <= height - 1)
    xc, yc = np.clip(x, 0, width - 1.001), np.clip(y, 0, height - 1.001)
    x0, y0 = np.floor(xc).astype(int), np.floor(yc).astype(int)
    fx, fy = xc - x0, yc - y0
    top = mask[y0, x0] * (1 - fx) + mask[y0, x0 + 1] * fx  # only the samples' neighbours are read
    bottom = mask[y0 + 1, x0] * (1 - fx) + mask[y0 + 1, x0 + 1] * fx
    values: FloatArray = np.where(inside, top * (1 - fy) + bottom * fy, 0.0)
    return values


def edge_depth_px(
    mask: npt.NDArray[np.float32], origin_px: FloatArray, normal: FloatArray, max_px: float
) -> float:
    """Distance along ``normal`` from ``origin_px`` (inside the mask) to where the mask ends, or NaN.

    The crossing of the threshold is interpolated between the two samples around it. NaN when the origin is
    outside the mask or the mask does not end within ``max_px``.
    """
    steps = np.arange(0.0, max_px + STEP_PX, STEP_PX)
    values = bilinear(mask, origin_px[None, :] + steps[:, None] * normal[None, :])
    if values[0] <= THRESHOLD:
        return float("nan")
    below = np.flatnonzero(values <= THRESHOLD)
    if not below.size:
        return float("nan")
    i = int(below[0])
    v0, v1 = values[i - 1], values[i]
    return float(steps[i - 1] + STEP_PX * (v0 - THRESHOLD) / (v0 - v1))


def last_edge_px(
    mask: npt.NDArray[np.float32], origin_px: FloatArray, direction: FloatArray, max_px: float
) -> float:
    """Distance along ``direction`` from ``origin_px`` to where the mask ends for the last time within
    ``max_px`` (sub-pixel), or NaN when no sample is inside. Unlike :func:`edge_depth_px` it steps over
    gaps (a trouser hem above a shoe) to the far edge."""
    steps = np.arange(0.0, max_px + STEP_PX, STEP_PX)
    values = bilinear(mask, origin_px[None, :] + steps[:, None] * direction[None, :])
    inside = np.flatnonzero(values > THRESHOLD)
    if not inside.size or inside[-1] == len(values) - 1:
        return float("nan")
    i = int(inside[-1])
    v0, v1 = values[i], values[i + 1]
    return float(steps[i] + STEP_PX * (v0 - THRESHOLD) / (v0 - v1))


def upper_envelope(s: FloatArray, d: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Vertices of the upper convex hull of points (s, d) with increasing s (monotone chain)."""
    hull: list[tuple[float, float]] = []
    for point in sorted(zip(s.tolist(), d.tolist(), strict=True)):
        while len(hull) >= 2:
            (s1, d1), (s2, d2) = hull[-2], hull[-1]
            if (s2 - s1) * (point[1] - d1) - (d2 - d1) * (point[0] - s1) >= 0:
                hull.pop()
            else:
                break
        hull.append(point)
    vertices = np.array(hull, dtype=np.float64)
    return vertices[:, 0], vertices[:, 1]


def shin_front_chord(
    mask: npt.NDArray[np.float32], knee_px: FloatArray, ankle_px: FloatArray, forward_x: float
) -> FloatArray:
    """(2, 2) the front-of-shin chord's ends at 30% and 60% from knee to ankle, in mask pixels, or NaN.

    Args:
        mask: person probability (height, width).
        knee_px, ankle_px: (2,) the leg's knee and ankle landmarks in the mask's pixels; the band is placed on
            the line between them lengthened by :data:`ANKLE_BELOW_LANDMARK` (to the ankle's centre).
        forward_x: +1 when the toes point image right, -1 when left: the side the front of the shin is on.
    """
    missing = np.full((2, 2), np.nan)
    if not (np.all(np.isfinite(knee_px)) and np.all(np.isfinite(ankle_px))) or forward_x == 0:
        return missing
    axis = (ankle_px - knee_px) * (1.0 + ANKLE_BELOW_LANDMARK)
    length = float(np.hypot(*axis))
    if length < 10:
        return missing
    down = axis / length
    normal = np.array([-down[1], down[0]])
    if normal[0] * forward_x < 0:
        normal = -normal
    s = np.linspace(*SPAN, N_RAYS)
    depth = np.array([edge_depth_px(mask, knee_px + t * axis, normal, MAX_DEPTH * length) for t in s])
    found = np.isfinite(depth)
    in_band = (s >= BAND[0]) & (s <= BAND[1])
    if found[in_band].mean() < MIN_RAY_SHARE or not (found[s <= BAND[0]].any() and found[s >= BAND[1]].any()):
        return missing
    hull_s, hull_d = upper_envelope(s[found] * length, depth[found])
    ends_s = np.array(BAND) * length
    ends_d = _extend(ends_s, hull_s, hull_d)
    chord: FloatArray = knee_px[None, :] + ends_s[:, None] * down[None, :] + ends_d[:, None] * normal[None, :]
    return chord


def hand_on_band(hands_px: FloatArray, knee_px: FloatArray, ankle_px: FloatArray, forward_x: float) -> bool:
    """Whether any of the (n, 2) hand points lies on the front-of-shin band of the knee-ankle line (NaN
    points are not there); ``forward_x`` as in :func:`shin_front_chord`."""
    axis = (ankle_px - knee_px) * (1.0 + ANKLE_BELOW_LANDMARK)
    length_sq = float(axis @ axis)
    if not np.isfinite(length_sq) or length_sq == 0 or forward_x == 0:
        return False
    normal = np.array([-axis[1], axis[0]]) * (1.0 if -axis[1] * forward_x >= 0 else -1.0)
    along = (hands_px - knee_px) @ axis / length_sq
    across = (hands_px - knee_px) @ normal / length_sq
    on = (
        (along >= HAND_ALONG[0])
        & (along <= HAND_ALONG[1])
        & (across >= HAND_ACROSS[0])
        & (across <= HAND_ACROSS[1])
    )
    return bool(on.any())


def _extend(x: FloatArray, xp: FloatArray, fp: FloatArray) -> FloatArray:
    """Piecewise-linear ``fp(xp)`` at ``x``, extended along the end segments beyond ``xp``'s range."""
    if len(xp) < 2:
        return np.full_like(x, fp[0])
    values: FloatArray = np.interp(x, xp, fp)
    first = (fp[1] - fp[0]) / (xp[1] - xp[0])
    last = (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    values = np.where(x < xp[0], fp[0] + first * (x - xp[0]), values)
    values = np.where(x > xp[-1], fp[-1] + last * (x - xp[-1]), values)
    return values
