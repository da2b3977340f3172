"""The wall in front of the foot: where it stands relative to the toe tip, from the image alone.

In the knee-to-wall test the score is the distance from the big toe to the wall at the deepest lunge with the
knee still touching the wall. Filmed side-on, the wall stands in front of the foot, perpendicular to the
walking axis, and the camera sees its face obliquely: the floor/wall junction is a long straight line in front
of the toes, slanted by perspective (it runs toward the vanishing point of the depth direction). When the
camera stands in front of the wall plane (a pillar or door frame whose edge is at the knee) the junction is
hidden and the wall's vertical edge is seen instead. Either line, met by the floor line through the toe, gives
the wall's position at the toe's depth.

Straight-segment detectors cut such a line wherever floorboards or tile seams cross it, so candidate lines
come from a Hough vote of the image gradients near the foot, restricted to lines the wall could be on; each is
then refined on sub-pixel edge points and accepted only if physics allows it and the pixels agree:

* it meets the toe's floor line ahead of the toe (the toe cannot be inside the wall), not behind the front of
  the knee (the knee cannot pass through the wall), and no further ahead than the knee could ever reach;
* it is steep (a floor line along the walking axis is not a wall) and separates two different surfaces over
  a long stretch (a tile seam has floor on both sides; the foot's own straight outlines are short);
* it comes down to the floor at the toe's depth (a door frame on the back wall stops higher, at the back
  wall's foot), and either runs on toward the camera past the toe's depth, seen outside the person (a
  junction spans the wall's width), or is vertical and rises from the floor to the knee (a wall's edge);
* the surface ahead of it is one surface from the floor up to knee height (a wall is tall enough for the knee
  to touch it; a rug edge, a sheet of paper or a tile seen against more tiles is not). A skirting board breaks
  this at its top: a parallel line at most a skirting's height above, with the skirting's colour between the
  two, marks the lower one as the junction.

Of the lines that pass, the nearest to the toe is the wall: the foot stands on bare floor up to the wall, and
lines further ahead lie on the wall's face.

Conventions are those of :mod:`vision.geometry`: pixels x right and y down with the origin at the top-left
corner of the top-left pixel; ``facing`` +1 when the person faces image right; ``up_unit`` the floor normal
in the image. OpenCV's pixel-centre coordinates are shifted by 0.5 on the way in and out.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage

from vision.geometry import forward_unit
from vision.scene.calibration import FloorScale

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Image = npt.NDArray[np.uint8]
Float32Array = npt.NDArray[np.float32]

JUNCTION = "floor/wall junction"
WALL_EDGE = "wall edge"
_WALL, _BAND = "wall", "band"

#: Height of the big toe's tip above the floor (barefoot 1.2-1.8 cm, half the toe's thickness; a shoe's toe
#: cap is similar). The junction is on the floor, so the toe is brought down to it before the two are
#: compared: skipping this reads a slanted junction 0.3-1 cm too near.
TOE_TIP_HEIGHT_CM = 1.5
#: Height of the front of the knee above the floor in a lunge, for a rough pixels-per-cm when no scale is
#: given (knee height is ~0.28 of stature, 43-54 cm for 150-190 cm, a little less with the knee bent). It only
#: sizes search windows and the toe's 1.5 cm, so +-20 % is harmless.
KNEE_FRONT_HEIGHT_CM = 47.0
#: The wall line must be within this angle of the scene vertical. A floor/wall junction seen from a camera h
#: above the floor and b behind the wall plane leans by atan(b / h): a camera at shin to hip height filming
#: the person side-on stays well under it. Beyond it, each pixel of error across the line becomes more than
#: 2 px along the floor, so such a line could not measure the distance anyway.
MAX_LINE_TILT_DEG = 60.0
#: The toe tip found on the silhouette can overshoot the toe by the mask's blur; the wall cannot be nearer.
TOE_OVERSHOOT_CM = 1.0
#: The knee's soft tissue flattens against the wall and the silhouette bleeds past it by about a centimetre.
KNEE_OVERSHOOT_CM = 2.0
#: How far below the toe's floor point (toward the camera) edges vote for the junction, image cm at the toe.
BELOW_FLOOR_CM = 30.0
#: The line must separate two surfaces over at least this length (image cm at the toe): longer than any
#: straight piece of a foot's or shoe's outline (~10 cm), far shorter than a wall's junction or edge.
MIN_SUPPORT_CM = 15.0
#: ... and be seen within this distance of the toe's floor point: the toe (2-3 cm tall) and the foot's width
#: may hide the junction there, but a line that stops higher (a door frame on the back wall, the front of the
#: knee) is not the wall at the toe's depth.
MAX_GAP_CM = 5.0
#: A junction runs the wall's whole width, so it is seen continuing toward the camera past the toe's depth
#: (below the toe's floor point in the image) over at least this length...
MIN_BELOW_CM = 4.0
#: ... while a wall's vertical edge stops at the floor: it is told from the person's own long outlines (the
#: back of the calf and heel, which also come down to the floor) by being vertical. The scene's vertical is
#: known to 1-2 degrees from the room's edges (see :mod:`vision.scene.camera`), or to a few for an
#: upright phone.
MAX_EDGE_TILT_DEG = 4.0
#: A wall and a floor differ in material and in how they face the light: their colours differ by more than
#: this (0-255 channels; compression and sensor noise are a few levels).
MIN_CONTRAST = 10.0
#: Where the line is seen, the step across it is at least this fraction of the typical step.
MIN_STEP_FRACTION = 0.5
#: The wall ahead of the line at knee height must look like the wall at the floor: its colour may differ from
#: it by at most this fraction of the floor/wall contrast (lighting changes slowly up a wall).
MAX_WALL_DRIFT = 0.5
#: A junction must also be seen this long outside the person's boxes (see :func:`find_wall`); a vertical
#: edge that is not gets at most this confidence (below one half: not to be trusted alone).
MIN_CLEAR_CM = 4.0
_INSIDE_BOX_CONFIDENCE = 0.4
#: A vertical wall edge must be seen from the floor up to this fraction of the knee's height, over at least
#: this share of it (the toe and the knee touching the wall may hide the rest): the wall rises past the
#: knee, the person's own straight outlines do not reach the floor this straight.
WALL_EDGE_REACH = 0.75
WALL_EDGE_SEEN = 0.6
#: Skirting boards are 5-15 cm tall: a line parallel to the junction and at most this high above it, with
#: the skirting's colour below it and the wall's above, is the skirting's top; the wall is at the junction.
SKIRTING_MAX_CM = 15.0
SKIRTING_PARALLEL_DEG = 3.0
#: MediaPipe's person mask is soft and a little late at fast edges: it is grown by this much.
MASK_MARGIN_CM = 1.0
PERSON_MASK_THRESHOLD = 0.5
#: Heights (fractions of the knee's) of the wall checked above the wall point, in this many stacked bands.
WALL_BAND = (0.15, 0.95)
_WALL_BANDS = 4
#: Width (image cm at the toe) of that band, beyond the knee's overshoot.
WALL_BAND_WIDTH_CM = 3.0

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
_OUTLIER_PX = 1.0
_REFINE_ROUNDS = 4
_FIRST_SPAN_CM = 10.0
#: Gradients weaker than this (levels per px) are noise, not edges.
_MIN_GRADIENT = 0.2 * MIN_CONTRAST


@dataclass(frozen=True)
class WallDetection:
    """The wall in front of the foot, as seen in the image.

    Attributes:
        distance_px: from the toe tip forward to the wall, along the floor at the toe's depth (the floor line
            through the toe meets the wall line; the toe's height above the floor is allowed for).
        line_px: (2, 2) two image points on the wall line used (floor/wall junction or vertical edge).
        evidence: "floor/wall junction" or "wall edge".
        confidence: 0-1, from the contrast across the line, how much of it is seen, how straight it is, how
            steep it is and how alike the wall is up to knee height; at most 0.4 for a vertical edge seen only
            inside the person's box (it might be a straight leg). Below 0.5, do not use it alone.
        toe_px: the toe tip the distance is measured from.
        wall_px: the wall point at the toe's depth and height, ``toe_px + distance_px * forward_px``.
        forward_px: unit image direction along the floor, the way the person faces.
        up_px: unit image direction of the floor normal.
        toe_height_px: how far the toe tip was taken to be above the floor, in pixels.
    """

    distance_px: float
    line_px: FloatArray
    evidence: str
    confidence: float
    toe_px: FloatArray
    wall_px: FloatArray
    forward_px: FloatArray
    up_px: FloatArray
    toe_height_px: float

    def toe_to_wall_cm(self, scale: FloorScale | None) -> float | None:
        """Toe-to-wall distance in cm along the floor, or None without a scale.

        With a floor homography (marker, sheet) the wall line is mapped onto the floor and the distance is the
        toe's perpendicular distance to it: the wall is perpendicular to the walking axis, so this needs no
        walking direction. Otherwise the image distance is divided by the scale at the toe.
        """
        if scale is None or scale.px_per_cm is None:
            return None
        if scale.homography_cm_to_px is not None:
            floor_cm = _floor_distance_cm(self, scale)
            if floor_cm is not None:
                return floor_cm
        return self.distance_px / scale.px_per_cm_at(self.toe_px, self.forward_px, TOE_TIP_HEIGHT_CM)

    def knee_gap_px(self, knee_front_px: npt.ArrayLike) -> float:
        """How far the wall is ahead of the front of the knee, along the floor (negative: knee past it).

        The wall at the toe's depth rises straight up from the wall point, so the knee is compared with the
        vertical there, not with the junction where it crosses the knee's image row (that part of the
        junction is at another depth). NaN when the knee point is missing.
        """
        knee = np.asarray(knee_front_px, dtype=np.float64).reshape(2)
        return float((self.wall_px - knee) @ self.forward_px)


def knee_reached_wall(knee_front_px_at_peak: npt.ArrayLike, wall: WallDetection, tolerance_px: float) -> bool:
    """Whether the front of the knee is within ``tolerance_px`` of the wall (or past it) at the peak.

    A tolerance of about 1 cm in pixels at the toe suits: the knee's skin and the silhouette's edge are that
    uncertain. False when the knee point is missing.
    """
    gap = wall.knee_gap_px(knee_front_px_at_peak)
    return bool(math.isfinite(gap) and gap <= tolerance_px)


# --------------------------------------------------------------------------------------------------------
# The search


@dataclass(frozen=True)
class _Foot:
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
class _Scene:
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
class _Line:
    """A candidate wall line, ``distance_px`` ahead of the toe where it meets the toe's floor line."""

    floor_px: FloatArray  # where it meets the toe's floor line
    direction: FloatArray  # unit, up the image (direction @ up > 0)
    distance_px: float
    ahead: FloatArray  # unit normal pointing to the wall's side (ahead of the toe)

    @classmethod
    def through(cls, point_px: FloatArray, direction: FloatArray, foot: _Foot) -> _Line | None:
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
class _Edge:
    """A refined line and what the pixels say about it."""

    line: _Line
    along_px: FloatArray  # positions along the line (from the floor point, + up the image) where it is seen
    clear_px: int  # how many of them are clear of the person's box or mask
    hidden_px: FloatArray  # positions along the line hidden by the person's mask (none with boxes)
    wall_colour: FloatArray
    floor_colour: FloatArray
    residual_px: float  # RMS distance of the edge points from the line

    @property
    def contrast(self) -> float:
        return float(np.linalg.norm(self.wall_colour - self.floor_colour))


def find_wall(
    images_bgr: Sequence[Image],
    toe_tip_px: npt.ArrayLike,
    knee_front_px: npt.ArrayLike,
    facing: int,
    up_unit: npt.ArrayLike,
    exclude_boxes_px: Sequence[npt.NDArray[np.generic] | None],
    scale: FloorScale | None = None,
) -> WallDetection | None:
    """The wall in front of the toe, from a few frames of a still camera around the deepest lunge.

    Args:
        images_bgr: frames (same size) near the peak; their per-pixel median is analysed.
        toe_tip_px, knee_front_px: the tested leg's toe tip and front of the knee at the peak, pixels.
        facing: +1 if the person faces image right, -1 if left.
        up_unit: the floor normal in the image at the foot.
        exclude_boxes_px: per frame, where the person is, or None: a box (x0, y0, x1, y1), or MediaPipe's
            person segmentation mask (height, width; probability or bool). With masks, edges on the person are
            ignored. Boxes are coarser: the wall's junction runs right past the toes, inside any box around
            the person, so a box cannot be masked out; instead a line must also be seen somewhere outside
            the boxes (a wall is bigger than the person's box margin; the person's own outlines are not).
        scale: the floor scale, if known: it sizes the search in cm and places the floor under the toe.
    Returns:
        The nearest line ahead of the toe that looks like a wall, or None when there is none.
    """
    if len(images_bgr) == 0:
        return None
    foot = _foot(toe_tip_px, knee_front_px, facing, up_unit, scale)
    if foot is None:
        return None
    scene = _scene(images_bgr, exclude_boxes_px, foot)
    band: _Edge | None = None  # the nearest line that is all a wall's foot but for the wall above it
    for edge, verdict in _judged_lines(scene, foot):
        if verdict == _BAND:
            band = band or edge
        elif band is not None and _is_skirting(band, edge, foot):
            return _detection(scene, band, foot, above=edge)
        else:
            return _detection(scene, edge, foot)
    return None


def _judged_lines(scene: _Scene, foot: _Foot) -> Iterator[tuple[_Edge, str]]:
    """The refined candidate lines that pass as a wall or a band, nearest first."""
    for tilt_deg, distance_px in _proposals(scene, foot):
        line = _proposed_line(foot, tilt_deg, distance_px)
        edge = None if line is None else _refine(scene, line, foot)
        verdict = None if edge is None else _verdict(scene, edge, foot)
        if edge is not None and verdict is not None:
            yield edge, verdict


def _foot(
    toe_tip_px: npt.ArrayLike,
    knee_front_px: npt.ArrayLike,
    facing: int,
    up_unit: npt.ArrayLike,
    scale: FloorScale | None,
) -> _Foot | None:
    toe = np.asarray(toe_tip_px, dtype=np.float64).reshape(2)
    knee = np.asarray(knee_front_px, dtype=np.float64).reshape(2)
    up = np.asarray(up_unit, dtype=np.float64).reshape(2)
    if not (np.all(np.isfinite(toe)) and np.all(np.isfinite(knee)) and np.all(np.isfinite(up))):
        return None
    up = up / np.linalg.norm(up)
    forward = forward_unit(up, 1 if facing >= 0 else -1)
    if scale is not None and scale.px_per_cm is not None:
        px_per_cm = scale.px_per_cm_at(toe, forward, TOE_TIP_HEIGHT_CM)
    else:
        px_per_cm = float((knee - toe) @ up) / (KNEE_FRONT_HEIGHT_CM - TOE_TIP_HEIGHT_CM)
    if not (math.isfinite(px_per_cm) and px_per_cm > 0):
        return None
    floor_toe = _floor_under_toe(toe, up, px_per_cm, scale)
    knee_ahead = float((knee - toe) @ forward)
    nearest = max(-TOE_OVERSHOOT_CM * px_per_cm, knee_ahead - KNEE_OVERSHOOT_CM * px_per_cm)
    reach = float(np.linalg.norm(knee - floor_toe))
    if nearest >= reach:
        return None
    return _Foot(toe, floor_toe, forward, up, px_per_cm, nearest, reach, float((knee - floor_toe) @ up))


def _floor_under_toe(
    toe: FloatArray, up: FloatArray, px_per_cm: float, scale: FloorScale | None
) -> FloatArray:
    """The image of the floor point under the toe tip (exact with a floor homography)."""
    if scale is not None and scale.homography_cm_to_px is not None:
        try:
            floor_cm = scale.floor_point_cm(toe, TOE_TIP_HEIGHT_CM)
        except ValueError:  # the toe beyond the floor's horizon: a broken scale; use the flat estimate
            floor_cm = None
        if floor_cm is not None:
            projected = scale.homography_cm_to_px @ np.array([floor_cm[0], floor_cm[1], 1.0])
            return np.asarray(projected[:2] / projected[2], dtype=np.float64)
    return np.asarray(toe - TOE_TIP_HEIGHT_CM * px_per_cm * up, dtype=np.float64)


def _scene(
    images_bgr: Sequence[Image], exclude: Sequence[npt.NDArray[np.generic] | None], foot: _Foot
) -> _Scene:
    image = _median_frame(images_bgr)
    if image.ndim == 2:  # grey frames
        image = np.repeat(image[..., None], 3, axis=2)
    shape = (image.shape[0], image.shape[1])
    masks = [np.asarray(m, dtype=np.float32) for m in exclude if m is not None and np.ndim(m) == 2]
    if masks:
        return _Scene(image, _mask_region(masks, shape, foot), exact=True)
    boxes = [np.asarray(b, dtype=np.float64).reshape(4) for b in exclude if b is not None and np.size(b) == 4]
    return _Scene(image, _box_region(boxes, shape), exact=False)


def _median_frame(images: Sequence[npt.NDArray[np.generic]]) -> Float32Array:
    """Per-pixel median of the frames, sorted in their own type: np.median would copy the stack as float64
    (250 MB for five 1080p frames)."""
    stack = np.stack([np.asarray(image) for image in images])
    stack.sort(axis=0)
    n = len(stack)
    middle = np.asarray(stack[n // 2], dtype=np.float32)
    if n % 2 == 0:
        middle = np.asarray((middle + stack[n // 2 - 1]) / 2, dtype=np.float32)
    return middle


def _mask_region(masks: Sequence[npt.NDArray[np.float32]], shape: tuple[int, int], foot: _Foot) -> BoolArray:
    """Union of the person masks, grown by the mask's margin."""
    height, width = shape
    union = np.zeros(shape, dtype=np.uint8)
    for mask in masks:
        if mask.shape != shape:
            mask = np.asarray(cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR), np.float32)
        union |= (mask > PERSON_MASK_THRESHOLD).astype(np.uint8)
    radius = max(1, math.ceil(foot.cm(MASK_MARGIN_CM)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return np.asarray(cv2.dilate(union, kernel), dtype=bool)


def _box_region(boxes: Sequence[FloatArray], shape: tuple[int, int]) -> BoolArray:
    """Union of the person boxes (x0, y0, x1, y1)."""
    region = np.zeros(shape, dtype=bool)
    for x0, y0, x1, y1 in boxes:
        if np.all(np.isfinite([x0, y0, x1, y1])):
            rows = slice(max(math.floor(y0), 0), max(math.ceil(y1), 0))
            cols = slice(max(math.floor(x0), 0), max(math.ceil(x1), 0))
            region[rows, cols] = True
    return region


def _proposed_line(foot: _Foot, tilt_deg: float, distance_px: float) -> _Line | None:
    tilt = math.radians(tilt_deg)
    direction = math.sin(tilt) * foot.forward + math.cos(tilt) * foot.up
    return _Line.through(foot.floor_toe + distance_px * foot.forward, direction, foot)


# --------------------------------------------------------------------------------------------------------
# Candidate lines: a Hough vote of the gradients near the foot


def _proposals(scene: _Scene, foot: _Foot) -> list[tuple[float, float]]:
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


def _roi_gradients(scene: _Scene, foot: _Foot) -> tuple[FloatArray, FloatArray, FloatArray]:
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
    a: FloatArray, b: FloatArray, gradient: FloatArray, tilts: FloatArray, distances: FloatArray, foot: _Foot
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


def _refine(scene: _Scene, line: _Line, foot: _Foot) -> _Edge | None:
    """The line refitted to the edge points along it, with the colours on either side; None if there is
    no step across it."""
    edge: _Edge | None = None
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
        edge = _Edge(line, along[seen], clear, hidden, wall_colour, floor_colour, fitted[1])
        line = fitted[0]
    return None if edge is None else dataclasses.replace(edge, line=line)


def _profiles(
    scene: _Scene, line: _Line, foot: _Foot, span_px: float
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


def _fit(line: _Line, along: FloatArray, offsets: FloatArray, foot: _Foot) -> tuple[_Line, float] | None:
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
        keep = np.abs(residual) <= max(_OUTLIER_PX, 2.5 * float(np.std(residual[keep])))
    if not keep.any():
        return None
    refitted = _Line.through(
        line.floor_px + coefficients[0] * line.ahead, line.direction + coefficients[1] * line.ahead, foot
    )
    if refitted is None:
        return None
    return refitted, float(np.sqrt(np.mean(residual[keep] ** 2)))


# --------------------------------------------------------------------------------------------------------
# Is it the wall?


def _verdict(scene: _Scene, edge: _Edge, foot: _Foot) -> str | None:
    """_WALL if the line passes the tests of the module docstring; _BAND if it passes all but the last (the
    surface ahead changes colour above it: a skirting board, or a line on the floor); else None."""
    line = edge.line
    if not foot.nearest_px <= line.distance_px <= foot.reach_px or _tilt_deg(line, foot) > MAX_LINE_TILT_DEG:
        return None
    if len(edge.along_px) < foot.cm(MIN_SUPPORT_CM):  # one edge point per pixel along the line
        return None
    if _gap_px(edge) > foot.cm(MAX_GAP_CM):
        return None
    evidence = _evidence(edge, foot)
    if evidence == JUNCTION and edge.clear_px < foot.cm(MIN_CLEAR_CM):
        return None
    if evidence == WALL_EDGE and not _rises_past_knee(edge, foot):
        return None
    if evidence is None:
        return None
    drift = _wall_drift(scene, edge, foot)
    return _WALL if drift is None or drift <= MAX_WALL_DRIFT * edge.contrast else _BAND


def _gap_px(edge: _Edge) -> float:
    """How much of the line between the toe's floor point and where it is first seen (either way along it)
    is neither seen nor hidden by the person's mask (the toe and foot may cover the junction there)."""
    gap = math.inf
    for sign in (1.0, -1.0):
        side = sign * edge.along_px[sign * edge.along_px >= 0]
        if len(side):
            nearest = float(side.min())
            hidden = sign * edge.hidden_px
            gap = min(gap, nearest - float(np.count_nonzero((hidden >= 0) & (hidden < nearest))))
    return gap


def _rises_past_knee(edge: _Edge, foot: _Foot) -> bool:
    """Whether a vertical edge is seen over most of the height from the floor to near the knee."""
    top = WALL_EDGE_REACH * foot.knee_height_px
    seen = np.count_nonzero((edge.along_px >= 0) & (edge.along_px <= top))
    return bool(top > 0 and seen >= WALL_EDGE_SEEN * top)


def _is_skirting(band: _Edge, wall: _Edge, foot: _Foot) -> bool:
    """Whether ``band`` is the foot of a skirting board whose top is ``wall``: parallel lines, the band's
    wall-side colour is the wall line's floor-side colour, and the top is at most a skirting's height
    above it."""
    cos = abs(float(band.line.direction @ wall.line.direction))
    if cos < math.cos(math.radians(SKIRTING_PARALLEL_DEG)):
        return False
    band_colour = np.linalg.norm(wall.floor_colour - band.wall_colour)
    if band_colour > MIN_STEP_FRACTION * band.contrast:
        return False
    matrix = np.column_stack([foot.up, -wall.line.direction])
    if abs(float(np.linalg.det(matrix))) < 1e-3:  # both vertical: the top is only seen if it coincides
        return bool(abs(float((wall.line.floor_px - band.line.floor_px) @ wall.line.ahead)) <= _OUTLIER_PX)
    height = float(np.linalg.solve(matrix, wall.line.floor_px - band.line.floor_px)[0])
    return 0.0 < height <= foot.cm(SKIRTING_MAX_CM)


def _evidence(edge: _Edge, foot: _Foot) -> str | None:
    """What kind of wall line this is: a junction (seen below the toe's floor point), a vertical edge, or
    neither (None: a slanted line that stops at the floor is an outline, not a wall)."""
    if int(np.count_nonzero(edge.along_px < 0)) >= foot.cm(MIN_BELOW_CM):
        return JUNCTION
    if _tilt_deg(edge.line, foot) <= MAX_EDGE_TILT_DEG:
        return WALL_EDGE
    return None


def _tilt_deg(line: _Line, foot: _Foot) -> float:
    return float(np.degrees(np.arccos(np.clip(abs(float(line.direction @ foot.up)), 0.0, 1.0))))


def _wall_drift(scene: _Scene, edge: _Edge, foot: _Foot) -> float | None:
    """How far the wall's colour up to knee height (ahead of the vertical through the wall point, clear of
    the knee) strays from its colour at the floor: the worst of a few stacked bands, so that one surface is
    asked for all the way up (floor tiles seen beyond a floor line alternate). None when out of sight."""
    low, high = WALL_BAND
    edges = np.linspace(low, high, _WALL_BANDS + 1) * foot.knee_height_px
    start = foot.cm(KNEE_OVERSHOOT_CM)
    widths = np.arange(start, start + foot.cm(WALL_BAND_WIDTH_CM), 1.0)
    drifts = []
    for bottom, top in itertools.pairwise(edges):
        heights = np.arange(bottom, top, 1.0)
        points = (
            edge.line.floor_px + heights[:, None, None] * foot.up + widths[None, :, None] * foot.forward
        ).reshape(-1, 2)
        visible = scene.inside(points)
        if scene.exact:
            visible &= ~scene.on_person(points)
        if len(points) and visible.mean() >= 0.5:
            colour = np.median(scene.colours(points[visible]), axis=0)
            drifts.append(float(np.linalg.norm(colour - edge.wall_colour)))
    return max(drifts) if drifts else None


def _detection(scene: _Scene, edge: _Edge, foot: _Foot, above: _Edge | None = None) -> WallDetection:
    """The detection on ``edge``; ``above`` is the skirting board's top when ``edge`` is its foot."""
    line = edge.line
    lift = foot.toe - foot.floor_toe
    distance = float((line.floor_px + lift - foot.toe) @ foot.forward)
    half = 0.5 * foot.reach_px
    return WallDetection(
        distance_px=distance,
        line_px=line.at(np.array([-half, half])),
        evidence=_evidence(edge, foot) or JUNCTION,
        confidence=_confidence(scene, edge, foot, above or edge),
        toe_px=foot.toe,
        wall_px=foot.toe + distance * foot.forward,
        forward_px=foot.forward,
        up_px=foot.up,
        toe_height_px=float(lift @ foot.up),
    )


def _confidence(scene: _Scene, edge: _Edge, foot: _Foot, wall: _Edge) -> float:
    """0-1: clear contrast, a long straight stretch seen, a steep line, the same wall (``wall``: above a
    skirting board) at knee height, and some of it seen clear of the person."""
    clarity = min(1.0, edge.contrast / (2 * MIN_CONTRAST))
    seen = min(1.0, len(edge.along_px) / foot.cm(2 * MIN_SUPPORT_CM))
    straight = math.exp(
        -((edge.residual_px / 2.0) ** 2)
    )  # a wall's edge is straight to a pixel; a body's not
    tilt = _tilt_deg(edge.line, foot)
    steep = 1.0 if tilt <= 45.0 else 1.0 - 0.5 * (tilt - 45.0) / (MAX_LINE_TILT_DEG - 45.0)
    drift = _wall_drift(scene, wall, foot)
    same = 0.8 if drift is None else 1.0 - 0.5 * min(1.0, drift / (MAX_WALL_DRIFT * wall.contrast))
    confidence = float(np.clip(clarity * seen * straight * steep * same, 0.0, 1.0))
    # A vertical edge seen only inside the person's box could be the person's own (a straight leg).
    return confidence if edge.clear_px >= foot.cm(MIN_CLEAR_CM) else min(confidence, _INSIDE_BOX_CONFIDENCE)


def _floor_distance_cm(wall: WallDetection, scale: FloorScale) -> float | None:
    """The toe's perpendicular distance to the wall line mapped onto the floor (marker or sheet scale)."""
    floor_wall = wall.wall_px - wall.toe_height_px * wall.up_px
    step = 0.25 * (wall.line_px[1] - wall.line_px[0])  # toward the camera: safely below the floor's horizon
    try:
        toe = scale.floor_point_cm(wall.toe_px, TOE_TIP_HEIGHT_CM)
        a = scale.floor_point_cm(floor_wall)
        b = scale.floor_point_cm(floor_wall - step)
    except ValueError:  # a point beyond the floor's horizon
        return None
    along = (b - a) / np.linalg.norm(b - a)
    offset = toe - a
    return float(abs(offset[0] * along[1] - offset[1] * along[0]))
