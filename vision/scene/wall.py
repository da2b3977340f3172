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

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from vision.geometry import forward_unit
from vision.scene.calibration import FloorScale
from vision.scene.wall_lines import (
    MAX_LINE_TILT_DEG,
    MIN_CONTRAST,
    MIN_STEP_FRACTION,
    MIN_SUPPORT_CM,
    OUTLIER_PX,
    BoolArray,
    Edge,
    Float32Array,
    FloatArray,
    Foot,
    Line,
    Scene,
    proposals,
    refine,
)

Image = npt.NDArray[np.uint8]

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
#: The toe tip found on the silhouette can overshoot the toe by the mask's blur; the wall cannot be nearer.
TOE_OVERSHOOT_CM = 1.0
#: The knee's soft tissue flattens against the wall and the silhouette bleeds past it by about a centimetre.
KNEE_OVERSHOOT_CM = 2.0
#: ... and be seen within this distance of the toe's floor point: the toe (2-3 cm tall) and the foot's width
#: may hide the junction there, but a line that stops higher (a door frame on the back wall, the front of the
#: knee) is not the wall at the toe's depth.
MAX_GAP_CM = 5.0
#: A junction runs the wall's whole width, so it is seen continuing toward the camera past the toe's depth
#: (below the toe's floor point in the image) over at least this length...
MIN_BELOW_CM = 4.0
#: ... while a wall's vertical edge stops at the floor: it is told from the person's own long outlines (the
#: back of the calf and heel, which also come down to the floor) by being vertical. The scene's vertical is
#: known to 1-2 degrees from the room's edges (see :mod:`vision.scene.roll`), or to a few for an
#: upright phone.
MAX_EDGE_TILT_DEG = 4.0
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
            the boxes (a wall is bigger than the person's box margin; the person's own outlines are not). A
            box that ends a few cm below the feet (the floor is there, not the person) lets a junction just
            in front of the toes be seen clear of it, where the junction runs on toward the camera.
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
    band: Edge | None = None  # the nearest line that is all a wall's foot but for the wall above it
    for edge, verdict in _judged_lines(scene, foot):
        if verdict == _BAND:
            band = band or edge
        elif band is not None and _is_skirting(band, edge, foot):
            return _detection(scene, band, foot, above=edge)
        else:
            return _detection(scene, edge, foot)
    return None


def _judged_lines(scene: Scene, foot: Foot) -> Iterator[tuple[Edge, str]]:
    """The refined candidate lines that pass as a wall or a band, nearest first."""
    for tilt_deg, distance_px in proposals(scene, foot):
        line = _proposed_line(foot, tilt_deg, distance_px)
        edge = None if line is None else refine(scene, line, foot)
        verdict = None if edge is None else _verdict(scene, edge, foot)
        if edge is not None and verdict is not None:
            yield edge, verdict


def _foot(
    toe_tip_px: npt.ArrayLike,
    knee_front_px: npt.ArrayLike,
    facing: int,
    up_unit: npt.ArrayLike,
    scale: FloorScale | None,
) -> Foot | None:
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
    return Foot(toe, floor_toe, forward, up, px_per_cm, nearest, reach, float((knee - floor_toe) @ up))


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
    images_bgr: Sequence[Image], exclude: Sequence[npt.NDArray[np.generic] | None], foot: Foot
) -> Scene:
    image = _median_frame(images_bgr)
    if image.ndim == 2:  # grey frames
        image = np.repeat(image[..., None], 3, axis=2)
    shape = (image.shape[0], image.shape[1])
    masks = [np.asarray(m, dtype=np.float32) for m in exclude if m is not None and np.ndim(m) == 2]
    if masks:
        return Scene(image, _mask_region(masks, shape, foot), exact=True)
    boxes = [np.asarray(b, dtype=np.float64).reshape(4) for b in exclude if b is not None and np.size(b) == 4]
    return Scene(image, _box_region(boxes, shape), exact=False)


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


def _mask_region(masks: Sequence[npt.NDArray[np.float32]], shape: tuple[int, int], foot: Foot) -> BoolArray:
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


def _proposed_line(foot: Foot, tilt_deg: float, distance_px: float) -> Line | None:
    tilt = math.radians(tilt_deg)
    direction = math.sin(tilt) * foot.forward + math.cos(tilt) * foot.up
    return Line.through(foot.floor_toe + distance_px * foot.forward, direction, foot)


# --------------------------------------------------------------------------------------------------------
# Is it the wall?


def _verdict(scene: Scene, edge: Edge, foot: Foot) -> str | None:
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


def _gap_px(edge: Edge) -> float:
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


def _rises_past_knee(edge: Edge, foot: Foot) -> bool:
    """Whether a vertical edge is seen over most of the height from the floor to near the knee."""
    top = WALL_EDGE_REACH * foot.knee_height_px
    seen = np.count_nonzero((edge.along_px >= 0) & (edge.along_px <= top))
    return bool(top > 0 and seen >= WALL_EDGE_SEEN * top)


def _is_skirting(band: Edge, wall: Edge, foot: Foot) -> bool:
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
        return bool(abs(float((wall.line.floor_px - band.line.floor_px) @ wall.line.ahead)) <= OUTLIER_PX)
    height = float(np.linalg.solve(matrix, wall.line.floor_px - band.line.floor_px)[0])
    return 0.0 < height <= foot.cm(SKIRTING_MAX_CM)


def _evidence(edge: Edge, foot: Foot) -> str | None:
    """What kind of wall line this is: a junction (seen below the toe's floor point), a vertical edge, or
    neither (None: a slanted line that stops at the floor is an outline, not a wall)."""
    if int(np.count_nonzero(edge.along_px < 0)) >= foot.cm(MIN_BELOW_CM):
        return JUNCTION
    if _tilt_deg(edge.line, foot) <= MAX_EDGE_TILT_DEG:
        return WALL_EDGE
    return None


def _tilt_deg(line: Line, foot: Foot) -> float:
    return float(np.degrees(np.arccos(np.clip(abs(float(line.direction @ foot.up)), 0.0, 1.0))))


def _wall_drift(scene: Scene, edge: Edge, foot: Foot) -> float | None:
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


def _detection(scene: Scene, edge: Edge, foot: Foot, above: Edge | None = None) -> WallDetection:
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


def _confidence(scene: Scene, edge: Edge, foot: Foot, wall: Edge) -> float:
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
