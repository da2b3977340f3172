"""Candidate wall lines near the foot (:mod:`vision.scene.wall` judges them): the local frame at the toe, the
frames' median image, straight edges proposed by a Hough vote of the image gradients, and each refined on
sub-pixel edge points. Conventions are those of :mod:`vision.scene.wall`."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Float32Array = npt.NDArray[np.float32]

#: How far below the toe's floor point (toward the camera) edges vote for the junction, image cm at the toe.
BELOW_FLOOR_CM = 30.0

#: The wall line must be within this angle of the scene vertical. A floor/wall junction seen from a camera h
#: above the floor and b behind the wall plane leans by atan(b / h): a camera at shin to hip height filming
#: the person side-on stays well under it. Beyond it, each pixel of error across the line becomes more than
#: 2 px along the floor, so such a line could not measure the distance anyway. Nor could the toe: its error
#: across the line grows by 1 / cos(tilt), and its unknown height above the floor (+-0.3 cm) moves the wall
#: point by tan(tilt) times that. Low cameras see junctions at 69-79 deg (tune dev2_05/06/14/19): the lines
#: are found to a pixel, but measured from the engine's toe tip two of the four are 1.9 and 3.6 cm off.
MAX_LINE_TILT_DEG = 60.0

#: A wall and a floor differ in material and in how they face the light: their colours differ by more than
#: this (0-255 channels; compression and sensor noise are a few levels). A grey wall over a grey-brown
#: wooden floor (dev2_28) differs by 9; at 7 rather than 10 it is found (0.5 cm off), and no other wall
#: changed on the 88 rendered clips measured (shared, seeds 780 and 781).
MIN_CONTRAST = 7.0

#: Where the line is seen, the step across it is at least this fraction of the typical step.
MIN_STEP_FRACTION = 0.5

#: The line must separate two surfaces over at least this length (image cm at the toe): longer than any
#: straight piece of a foot's or shoe's outline (~10 cm), far shorter than a wall's junction or edge.
MIN_SUPPORT_CM = 15.0

#: Edge points further than this (px) from the line are outliers (also on a skirting board's top line).
OUTLIER_PX = 1.0

# Hough vote: tilt and distance bins, the spread of an edge pixel's vote around its own direction (the
# gradient's direction is noisy on aliased, compressed edges), and non-maximum suppression.
_TILT_STEP_DEG = 0.5
_DISTANCE_STEP_PX = 0.5
_VOTE_SIGMA_DEG = 6.0
_NMS_DEG = 2.0
_NMS_PX = 1.5
_MAX_PROPOSALS = 20
#: Edge profiles are read this far (px) on either side of the line; edge points further off are outliers.
_PROFILE_PX = 3.0
_PROFILE_STEP_PX = 0.5
_REFINE_ROUNDS = 4
_FIRST_SPAN_CM = 10.0
#: Gradients weaker than this (levels per px) are noise, not edges.
_MIN_GRADIENT = 0.2 * MIN_CONTRAST


@dataclass(frozen=True)
class Foot:
    """The local frame at the toe (a along ``forward``, b along ``up``, from the floor under the toe)."""

    toe: FloatArray
    floor_toe: FloatArray  # the floor point under the toe tip
    forward: FloatArray
    up: FloatArray
    px_per_cm: float
    nearest_px: float  # the wall is at least this far ahead of the toe
    reach_px: float  # ... and at most this far: the knee cannot get further ahead of the toe
    knee_height_px: float  # front of the knee above the floor

    def cm(self, length_cm: float) -> float:
        return length_cm * self.px_per_cm

    def local(self, points_px: FloatArray) -> tuple[FloatArray, FloatArray]:
        offset = points_px - self.floor_toe
        return offset @ self.forward, offset @ self.up

    @property
    def above_px(self) -> float:
        """How far above the toe's floor point the wall line is looked at."""
        return max(self.knee_height_px, self.cm(MIN_SUPPORT_CM))


@dataclass(frozen=True)
class Scene:
    """The frames' per-pixel median (BGR, float32: a 1080p frame is 25 MB) and where the person may be."""

    image: Float32Array
    person: BoolArray
    exact: bool  # ``person`` is a segmentation mask (edges inside it are ignored), not boxes

    def inside(self, points_px: FloatArray) -> BoolArray:
        height, width = self.image.shape[:2]
        x, y = points_px[..., 0], points_px[..., 1]
        return np.asarray((x >= 0.5) & (x <= width - 0.5) & (y >= 0.5) & (y <= height - 0.5))

    def on_person(self, points_px: FloatArray) -> BoolArray:
        """Whether each point (inside the image) falls where the person may be."""
        height, width = self.person.shape
        x = np.clip(np.floor(points_px[..., 0]).astype(int), 0, width - 1)
        y = np.clip(np.floor(points_px[..., 1]).astype(int), 0, height - 1)
        return np.asarray(self.person[y, x])

    def colours(self, points_px: FloatArray) -> FloatArray:
        """Bilinear colours (n, 3) at pixel-corner coordinates inside the image."""
        if len(points_px) == 0:
            return np.empty((0, 3))
        map_x = (points_px[:, 0] - 0.5).astype(np.float32).reshape(1, -1)
        map_y = (points_px[:, 1] - 0.5).astype(np.float32).reshape(1, -1)
        sampled = cv2.remap(self.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return np.asarray(sampled, dtype=np.float64).reshape(len(points_px), -1)


@dataclass(frozen=True)
class Line:
    """A candidate wall line, ``distance_px`` ahead of the toe where it meets the toe's floor line."""

    floor_px: FloatArray  # where it meets the toe's floor line
    direction: FloatArray  # unit, up the image (direction @ up > 0)
    distance_px: float
    ahead: FloatArray  # unit normal pointing to the wall's side (ahead of the toe)

    @classmethod
    def through(cls, point_px: FloatArray, direction: FloatArray, foot: Foot) -> Line | None:
        """The line through a point, or None if it never meets the toe's floor line."""
        direction = direction / np.linalg.norm(direction)
        if direction @ foot.up < 0:
            direction = -direction
        matrix = np.column_stack([foot.forward, -direction])
        if abs(float(np.linalg.det(matrix))) < 1e-6:
            return None
        distance = float(np.linalg.solve(matrix, point_px - foot.floor_toe)[0])
        normal = np.array([direction[1], -direction[0]])
        ahead = normal if normal @ foot.forward > 0 else -normal
        return cls(foot.floor_toe + distance * foot.forward, direction, distance, ahead)

    def at(self, along_px: FloatArray) -> FloatArray:
        """(n, 2) points along the line, + up the image from the floor point."""
        return np.asarray(self.floor_px + along_px[:, None] * self.direction, dtype=np.float64)


@dataclass(frozen=True)
class Edge:
    """A refined line and what the pixels say about it."""

    line: Line
    along_px: FloatArray  # positions along the line (from the floor point, + up the image) where it is seen
    clear_px: int  # how many of them are clear of the person's box or mask
    hidden_px: FloatArray  # positions along the line hidden by the person's mask (none with boxes)
    wall_colour: FloatArray
    floor_colour: FloatArray
    residual_px: float  # RMS distance of the edge points from the line

    @property
    def contrast(self) -> float:
        return float(np.linalg.norm(self.wall_colour - self.floor_colour))


# --------------------------------------------------------------------------------------------------------
# Candidate lines: a Hough vote of the gradients near the foot


def proposals(scene: Scene, foot: Foot) -> list[tuple[float, float]]:
    """(tilt from up in degrees, + leaning forward; distance ahead of the toe in px) of the strongest
    straight edges that meet the toe's floor line inside the window, nearest first."""
    a, b, gradient = _roi_gradients(scene, foot)
    if len(a) == 0:
        return []
    tilts = np.arange(-MAX_LINE_TILT_DEG, MAX_LINE_TILT_DEG + 1e-9, _TILT_STEP_DEG)
    distances = np.arange(foot.nearest_px, foot.reach_px + 1e-9, _DISTANCE_STEP_PX)
    votes = ndimage.gaussian_filter(_vote(a, b, gradient, tilts, distances, foot), 1.0)
    size = (2 * round(_NMS_DEG / _TILT_STEP_DEG) + 1, 2 * round(_NMS_PX / _DISTANCE_STEP_PX) + 1)
    peaks = votes == ndimage.maximum_filter(votes, size=size)
    # A step of contrast C sums to C of gradient per pixel of line: a wall line holds at least MIN_CONTRAST
    # over MIN_SUPPORT_CM; half of that (votes are spread over neighbouring bins) is asked for here.
    rows, cols = np.nonzero(
        peaks & (votes >= 0.5 * MIN_CONTRAST * foot.cm(MIN_SUPPORT_CM) * _DISTANCE_STEP_PX)
    )
    order = np.argsort(-votes[rows, cols])[:_MAX_PROPOSALS]
    found = [(float(tilts[rows[i]]), float(distances[cols[i]])) for i in order]
    return sorted(found, key=lambda proposal: proposal[1])


def _roi_gradients(scene: Scene, foot: Foot) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Local coordinates (a, b) and image gradients (n, 2) of the edge pixels near the foot."""
    height, width = scene.image.shape[:2]
    below, above = foot.cm(BELOW_FLOOR_CM), foot.above_px
    spread = max(below, above) * math.tan(math.radians(MAX_LINE_TILT_DEG))
    corners = np.array(
        [
            foot.floor_toe + da * foot.forward + db * foot.up
            for da in (foot.nearest_px - spread, foot.reach_px + spread)
            for db in (-below, above)
        ]
    )
    x0, y0 = np.clip(np.floor(corners.min(axis=0)).astype(int), 0, [width, height])
    x1, y1 = np.clip(np.ceil(corners.max(axis=0)).astype(int), 0, [width, height])
    if x1 - x0 < 3 or y1 - y0 < 3:
        return np.empty(0), np.empty(0), np.empty((0, 2))
    gx, gy = _colour_gradient(scene.image[y0:y1, x0:x1])
    ys, xs = np.mgrid[y0:y1, x0:x1]
    a, b = foot.local(np.column_stack([xs.ravel() + 0.5, ys.ravel() + 0.5]))
    magnitude = np.hypot(gx, gy).ravel()
    keep = (b >= -below) & (b <= above) & (magnitude >= _MIN_GRADIENT)
    if scene.exact:
        keep &= ~scene.person[y0:y1, x0:x1].ravel()
    gradient = np.column_stack([gx.ravel(), gy.ravel()])
    return a[keep], b[keep], gradient[keep]


def _colour_gradient(patch: Float32Array) -> tuple[FloatArray, FloatArray]:
    """Per pixel, the gradient (levels per px) of whichever colour channel changes most there."""
    smooth = cv2.GaussianBlur(patch.astype(np.float32), (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    strongest = np.argmax(gx**2 + gy**2, axis=2)[..., None]
    return (
        np.take_along_axis(gx, strongest, axis=2)[..., 0].astype(np.float64),
        np.take_along_axis(gy, strongest, axis=2)[..., 0].astype(np.float64),
    )


def _vote(
    a: FloatArray, b: FloatArray, gradient: FloatArray, tilts: FloatArray, distances: FloatArray, foot: Foot
) -> FloatArray:
    """Accumulator (tilt, distance): each edge pixel votes, by its gradient, for the lines through it whose
    tilt is near its own edge direction."""
    g_a, g_b = gradient @ foot.forward, gradient @ foot.up
    edge_tilt = (np.degrees(np.arctan2(-g_b, g_a)) + 90.0) % 180.0 - 90.0  # the edge runs across the gradient
    magnitude = np.hypot(g_a, g_b)
    votes = np.zeros(len(tilts) * len(distances))
    for i, tilt in enumerate(tilts):
        off = (edge_tilt - tilt + 90.0) % 180.0 - 90.0
        near = np.abs(off) <= 2.5 * _VOTE_SIGMA_DEG
        d = a[near] - b[near] * math.tan(math.radians(tilt))
        j = np.round((d - distances[0]) / _DISTANCE_STEP_PX).astype(int)
        inside = (j >= 0) & (j < len(distances))
        weight = magnitude[near] * np.exp(-0.5 * (off[near] / _VOTE_SIGMA_DEG) ** 2)
        votes += np.bincount(i * len(distances) + j[inside], weight[inside], minlength=len(votes))
    return votes.reshape(len(tilts), len(distances))


# --------------------------------------------------------------------------------------------------------
# Refinement on sub-pixel edge points


def refine(scene: Scene, line: Line, foot: Foot) -> Edge | None:
    """The line refitted to the edge points along it, with the colours on either side; None if there is
    no step across it."""
    edge: Edge | None = None
    # The first fit uses only the stretch near the floor point, where a proposal's tilt (good to a couple
    # of degrees) keeps the line within the profiles; later fits use the whole line.
    for span in (foot.cm(_FIRST_SPAN_CM), *[math.inf] * (_REFINE_ROUNDS - 1)):
        along, profiles, on_person = _profiles(scene, line, foot, span)
        usable = ~on_person if scene.exact else np.ones(len(along), dtype=bool)
        found = _edge_points(profiles, usable)
        if found is None:
            return None
        seen, offsets, wall_colour, floor_colour = found
        fitted = _fit(line, along[seen], offsets[seen], foot)
        if fitted is None:
            return None
        clear = int(np.count_nonzero(seen & ~on_person))
        hidden = along[on_person] if scene.exact else np.empty(0)
        edge = Edge(line, along[seen], clear, hidden, wall_colour, floor_colour, fitted[1])
        line = fitted[0]
    return None if edge is None else dataclasses.replace(edge, line=line)


def _profiles(
    scene: Scene, line: Line, foot: Foot, span_px: float
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Colours across the line (n_along, n_offsets, 3) every pixel along it inside the image, and whether
    each position is on the person. Below the floor point the line is followed to the image's edge: the
    junction runs on toward the camera, out of the person's box."""
    height, width = scene.image.shape[:2]
    below = min(math.hypot(height, width), span_px)
    along = np.arange(-below, min(foot.above_px, span_px) + 1e-9, 1.0)
    offsets = np.arange(-_PROFILE_PX, _PROFILE_PX + 1e-9, _PROFILE_STEP_PX)
    centres = line.at(along)
    points = centres[:, None, :] + offsets[None, :, None] * line.ahead
    inside = np.all(scene.inside(points), axis=1)
    colours = scene.colours(points[inside].reshape(-1, 2)).reshape(int(inside.sum()), len(offsets), 3)
    return along[inside], colours, scene.on_person(centres[inside])


def _edge_points(
    profiles: FloatArray, usable: BoolArray
) -> tuple[BoolArray, FloatArray, FloatArray, FloatArray] | None:
    """Where along the line a step is seen, its sub-pixel offset there (+ toward the wall's side), and the
    wall's and floor's colours; None without a clear step."""
    outer = profiles.shape[1] // 4  # the outer quarter of each profile: 2 px and more from the line
    wall_side, floor_side = profiles[:, -outer:].mean(axis=1), profiles[:, :outer].mean(axis=1)
    # The two surfaces' colours, from the positions where the line separates something at all (much of the
    # line may run through one surface only, e.g. a vertical edge below the floor point).
    strong = usable & (np.linalg.norm(wall_side - floor_side, axis=1) >= MIN_CONTRAST)
    if int(strong.sum()) < 3:
        return None
    wall_colour = np.median(wall_side[strong], axis=0)
    floor_colour = np.median(floor_side[strong], axis=0)
    contrast = float(np.linalg.norm(wall_colour - floor_colour))
    if contrast < MIN_CONTRAST:
        return None
    projected = profiles @ ((wall_colour - floor_colour) / contrast)
    local_step = projected[:, -outer:].mean(axis=1) - projected[:, :outer].mean(axis=1)
    wall_like = np.linalg.norm(wall_side - wall_colour, axis=1) <= MIN_STEP_FRACTION * contrast
    seen = usable & wall_like & (local_step >= MIN_STEP_FRACTION * contrast)
    offsets = _step_offsets(projected)
    seen &= np.abs(offsets) < _PROFILE_PX - _PROFILE_STEP_PX
    if int(seen.sum()) < 3:
        return None
    return seen, offsets, wall_colour, floor_colour


def _step_offsets(projected: FloatArray) -> FloatArray:
    """Sub-pixel offset of the steepest rise of each profile (parabola through the derivative's peak)."""
    derivative = np.diff(projected, axis=1)  # derivative k sits at offset -PROFILE + STEP * (k + 0.5)
    k = np.clip(np.argmax(derivative, axis=1), 1, derivative.shape[1] - 2)
    rows = np.arange(len(k))
    left, centre, right = derivative[rows, k - 1], derivative[rows, k], derivative[rows, k + 1]
    curvature = left - 2 * centre + right
    safe = np.where(curvature < 0, curvature, -1.0)
    shift = np.where(curvature < 0, 0.5 * (left - right) / safe, 0.0)
    return np.asarray(
        -_PROFILE_PX + _PROFILE_STEP_PX * (k + 0.5 + np.clip(shift, -0.5, 0.5)), dtype=np.float64
    )


def _fit(line: Line, along: FloatArray, offsets: FloatArray, foot: Foot) -> tuple[Line, float] | None:
    """Least-squares line through the edge points (offset = c0 + c1 * along), dropping outliers; and the
    RMS residual of the points kept."""
    keep = np.ones(len(along), dtype=bool)
    residual = offsets
    coefficients = np.zeros(2)
    for _ in range(3):
        if int(keep.sum()) < 3:
            return None
        coefficients = np.polyfit(along[keep], offsets[keep], 1)[::-1]
        residual = offsets - (coefficients[0] + coefficients[1] * along)
        keep = np.abs(residual) <= max(OUTLIER_PX, 2.5 * float(np.std(residual[keep])))
    if not keep.any():
        return None
    refitted = Line.through(
        line.floor_px + coefficients[0] * line.ahead, line.direction + coefficients[1] * line.ahead, foot
    )
    if refitted is None:
        return None
    return refitted, float(np.sqrt(np.mean(residual[keep] ** 2)))
