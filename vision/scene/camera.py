"""The camera's roll, tilt and yaw: from the scene's straight edges, or from a marker on the floor.

Rooms are full of straight vertical edges (wall corners, door frames, the wall in front of the foot) and
horizontal ones (the floor/wall line behind the person). Their deviation from the image axes, pooled over
a few frames with the person masked out, estimates the roll. The feet are not used: the two feet stand at
different depths, so the line through them is tilted by perspective (5-12 degrees on level test clips), and
MediaPipe's heel sits higher than its toe.

Tilt and yaw need vanishing points: where the room's verticals, its lines square to the wall the person faces
(the floor/wall junction, floor boards) and its lines along the walking axis meet (:func:`scene_camera`), or
the pose of a marker or sheet laid square to the foot (:func:`camera_from_projection`). A camera turned
10-15 degrees from side-on changes the shin's image angle by up to 4 degrees; with its orientation known the
shin is measured in its own sagittal plane (:func:`vision.geometry.sagittal_angle_deg`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from vision.pose.landmarks import Side

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
logger = logging.getLogger(__name__)

#: Only edges within this many degrees of an image axis count (a phone is rarely held more crooked).
MAX_ROLL_DEG = 20.0
#: Shortest edge used, as a fraction of the image diagonal: short edges are texture, not structure.
MIN_SEGMENT_FRACTION = 0.06
#: Edges supporting the answer must add up to this fraction of the diagonal before it is trusted.
MIN_SUPPORT_FRACTION = 0.5
#: Half-width of the window (degrees) around the modal angle that is averaged.
MODE_WINDOW_DEG = 1.0
#: The verticals' vanishing point must be at least this many image diagonals from the centre: closer means a
#: camera tilted by more than about 25 degrees, not a phone at shin height, so the fit is not trusted.
MIN_VANISHING_DISTANCE = 2.0


@dataclass(frozen=True)
class RollEstimate:
    """Which way is up in the image.

    Attributes:
        roll_deg: camera roll at the image centre (+ = the scene appears rotated counter-clockwise), or NaN.
        support_fraction: summed length of the agreeing edges / image diagonal.
        n_segments: how many edges agree.
        vanishing_point: where the scene's vertical edges meet, homogeneous (x, y, w) in pixels; None when
            the roll came from horizontal edges only. With it, "up" is known at every point of the image: a
            camera tilted down makes verticals converge below, and the shin is measured against the local
            vertical where it stands rather than a single global one.
    """

    roll_deg: float
    support_fraction: float
    n_segments: int
    vanishing_point: FloatArray | None = None
    source: str = "none"  # "vertical vanishing point", "vertical edges", "horizontal edges" or "none"

    @property
    def reliable(self) -> bool:
        return bool(np.isfinite(self.roll_deg)) and self.support_fraction >= MIN_SUPPORT_FRACTION

    def up_at(self, point_px: FloatArray) -> FloatArray:
        """Unit image direction of the scene's vertical (pointing up) at ``point_px``."""
        vp = self.vanishing_point
        if vp is not None and abs(vp[2]) > 1e-12:
            direction = vp[:2] / vp[2] - np.asarray(point_px, dtype=np.float64)
        elif vp is not None:
            direction = vp[:2].copy()
        else:
            a = np.radians(self.roll_deg)
            direction = np.array([-np.sin(a), -np.cos(a)])
        direction = direction / np.linalg.norm(direction)
        up: FloatArray = direction if direction[1] < 0 else -direction
        return up


def segment_deviations_deg(segments_px: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each segment's deviation from the nearest image axis (counter-clockwise on screen +) and its length."""
    seg = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    dx = seg[:, 2] - seg[:, 0]
    dy = seg[:, 3] - seg[:, 1]
    angle = np.degrees(np.arctan2(-dy, dx))  # on-screen angle, y up
    deviation = (angle + 45.0) % 90.0 - 45.0
    return deviation, np.hypot(dx, dy)


def _vertical(segments_px: FloatArray) -> npt.NDArray[np.bool_]:
    """Which segments are closer to the image vertical than to the horizontal."""
    seg = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    return np.asarray(np.abs(seg[:, 3] - seg[:, 1]) > np.abs(seg[:, 2] - seg[:, 0]))


def roll_from_segments(segments_px: FloatArray, diagonal_px: float) -> RollEstimate:
    """Length-weighted mode of the edges' deviations from the image axes (one roll for the whole image)."""
    deviation, length = segment_deviations_deg(segments_px)
    keep = (np.abs(deviation) <= MAX_ROLL_DEG) & (length >= MIN_SEGMENT_FRACTION * diagonal_px)
    deviation, length = deviation[keep], length[keep]
    if len(deviation) == 0:
        return RollEstimate(float("nan"), 0.0, 0)
    bins = np.arange(-MAX_ROLL_DEG, MAX_ROLL_DEG + 0.5, 0.5)
    hist, _ = np.histogram(deviation, bins=bins, weights=length)
    smoothed = np.convolve(hist, np.ones(3), mode="same")
    mode = float(bins[int(np.argmax(smoothed))] + 0.25)
    near = np.abs(deviation - mode) <= MODE_WINDOW_DEG
    roll = float(np.average(deviation[near], weights=length[near]))
    return RollEstimate(roll, float(length[near].sum() / diagonal_px), int(near.sum()))


def vanishing_point(
    segments_px: FloatArray, centre_px: FloatArray, scale_px: float, max_residual_deg: float = 1.5
) -> tuple[FloatArray, npt.NDArray[np.bool_]] | None:
    """Least-squares meeting point of segments, with iterative rejection of outliers.

    Returns the homogeneous vanishing point in pixels and which segments agree with it, or None.
    """
    seg = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    if len(seg) < 2:
        return None
    p1 = np.column_stack([(seg[:, :2] - centre_px) / scale_px, np.ones(len(seg))])
    p2 = np.column_stack([(seg[:, 2:] - centre_px) / scale_px, np.ones(len(seg))])
    lines = np.cross(p1, p2)
    lines /= np.linalg.norm(lines[:, :2], axis=1, keepdims=True)
    weight = np.linalg.norm(p2[:, :2] - p1[:, :2], axis=1)
    agree = np.ones(len(seg), dtype=bool)
    vp = np.zeros(3)
    for _ in range(3):
        if agree.sum() < 2:
            return None
        moment = (lines[agree] * weight[agree, None]).T @ lines[agree]
        vp = np.linalg.eigh(moment)[1][:, 0]
        agree = _residual_deg(p1, p2, vp) <= max_residual_deg
    vp_px = np.array(
        [vp[0] * scale_px + centre_px[0] * vp[2], vp[1] * scale_px + centre_px[1] * vp[2], vp[2]]
    )
    return vp_px, agree


def _converging(segments_px: FloatArray, centre_px: FloatArray, diagonal_px: float) -> bool:
    """Do these edges meet within :data:`MIN_VANISHING_DISTANCE` diagonals of the image centre?"""
    fit = vanishing_point(segments_px, centre_px, diagonal_px)
    if fit is None:
        return False
    vp = fit[0]
    distance = np.linalg.norm(vp[:2] / vp[2] - centre_px) if abs(vp[2]) > 1e-12 else np.inf
    return bool(distance < MIN_VANISHING_DISTANCE * diagonal_px)


def _residual_deg(p1: FloatArray, p2: FloatArray, vp: FloatArray) -> FloatArray:
    """Angle between each segment and the line from its midpoint to the vanishing point."""
    mid = (p1[:, :2] + p2[:, :2]) / 2
    direction = p2[:, :2] - p1[:, :2]
    to_vp = vp[:2] - mid * vp[2]
    cross = direction[:, 0] * to_vp[:, 1] - direction[:, 1] * to_vp[:, 0]
    dot = np.sum(direction * to_vp, axis=1)
    angle = np.degrees(np.abs(np.arctan2(cross, dot)))
    residual: FloatArray = np.minimum(angle, 180.0 - angle)
    return residual


def scene_vertical(segments_px: FloatArray, width_px: int, height_px: int, n_frames: int = 1) -> RollEstimate:
    """Up in the image from the scene's edges: the vertical edges' vanishing point when there are enough,
    otherwise one roll from all near-axis edges. ``n_frames``: how many frames the segments were pooled from
    (support is per frame).
    """
    diagonal_px = float(np.hypot(width_px, height_px))
    seg = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    deviation, length = segment_deviations_deg(seg)
    usable = (np.abs(deviation) <= MAX_ROLL_DEG) & (length >= MIN_SEGMENT_FRACTION * diagonal_px)
    vertical = seg[usable & _vertical(seg)]
    centre = np.array([width_px / 2.0, height_px / 2.0])
    fit = vanishing_point(vertical, centre, diagonal_px) if len(vertical) >= 2 else None
    if fit is not None:
        vp, agree = fit
        support = float(length[usable & _vertical(seg)][agree].sum() / diagonal_px) / n_frames
        far = (
            abs(vp[2]) < 1e-12
            or np.linalg.norm(vp[:2] / vp[2] - centre) >= MIN_VANISHING_DISTANCE * diagonal_px
        )
        up = RollEstimate(0.0, support, int(agree.sum()), vp).up_at(centre)
        roll = float(np.degrees(np.arctan2(-up[0], -up[1])))
        if support >= MIN_SUPPORT_FRACTION and far and abs(roll) <= MAX_ROLL_DEG:
            return RollEstimate(roll, support, int(agree.sum()), vp, "vertical vanishing point")
    # Too few distinct verticals to place their vanishing point: their mean direction still gives the roll
    # (verticals are unaffected by camera yaw); horizontal edges come last, as yaw makes them converge.
    horizontal = usable & ~_vertical(seg)
    if _converging(seg[horizontal], centre, diagonal_px):
        # Horizontal edges meet at a finite point when the camera is turned (yawed) against the wall they lie
        # on; their slope then mixes yaw into the roll, so they are not used.
        horizontal = np.zeros_like(horizontal)
    for subset, source in ((usable & _vertical(seg), "vertical edges"), (horizontal, "horizontal edges")):
        estimate = roll_from_segments(seg[subset], diagonal_px)
        estimate = dataclasses.replace(
            estimate, support_fraction=estimate.support_fraction / n_frames, source=source
        )
        if estimate.reliable:
            return estimate
    return estimate


#: An edge is the scene's, not the person's, when at most this share of it lies on the (grown) person: a
#: wall's edge the hands touch, or floor boards the feet stand on, still count.
MAX_SHARE_ON_PERSON = 1.0 / 3.0


def detect_segments(image_bgr: npt.NDArray[np.uint8], exclude: BoolArray | None = None) -> FloatArray:
    """Straight edges (x1, y1, x2, y2) in one frame, minus those lying more than :data:`MAX_SHARE_ON_PERSON`
    on ``exclude`` (True where the person is, the image's size)."""
    gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    detector = cv2.createLineSegmentDetector(cv2.LSD_REFINE_STD)
    lines = detector.detect(gray)[0]
    if lines is None:
        return np.empty((0, 4))
    seg: FloatArray = lines.reshape(-1, 4).astype(np.float64)
    height, width = gray.shape
    margin = 3.0
    xs, ys = seg[:, [0, 2]], seg[:, [1, 3]]
    along_border = (
        np.all(xs <= margin, axis=1)
        | np.all(xs >= width - 1 - margin, axis=1)
        | np.all(ys <= margin, axis=1)
        | np.all(ys >= height - 1 - margin, axis=1)
    )
    seg = seg[~along_border]
    if exclude is not None:
        seg = seg[_share_inside(seg, exclude) <= MAX_SHARE_ON_PERSON]
    return seg


def _share_inside(seg: FloatArray, region: BoolArray) -> FloatArray:
    """The share of 9 points along each segment (n, 4) that lie inside ``region``."""
    fractions = np.linspace(0.0, 1.0, 9)[None, :, None]
    points = seg[:, None, :2] + fractions * (seg[:, None, 2:] - seg[:, None, :2])
    height, width = region.shape
    cols = np.clip(np.rint(points[..., 0]).astype(np.intp), 0, width - 1)
    rows = np.clip(np.rint(points[..., 1]).astype(np.intp), 0, height - 1)
    share: FloatArray = np.mean(region[rows, cols], axis=1)
    return share


@dataclass(frozen=True)
class SceneEdges:
    """Straight edges pooled over several frames of a still camera, the person masked out."""

    segments_px: FloatArray  # (n, 4) x1, y1, x2, y2
    image_size: tuple[int, int]  # width, height
    n_frames: int

    def __post_init__(self) -> None:
        if self.segments_px.ndim != 2 or self.segments_px.shape[1] != 4:
            raise ValueError(f"SceneEdges.segments_px must have shape (n, 4), got {self.segments_px.shape}")


def scene_edges(
    images_bgr: Iterable[npt.NDArray[np.uint8]], exclude: Iterable[BoolArray | None]
) -> SceneEdges:
    """The edges of every image, each with the person (``exclude``, True where they are) masked out."""
    pooled = [np.empty((0, 4))]
    size = (0, 0)
    for image, region in zip(images_bgr, exclude, strict=True):
        pooled.append(detect_segments(image, region))
        size = (image.shape[1], image.shape[0])
    return SceneEdges(np.concatenate(pooled), size, len(pooled) - 1)


def estimate_roll(
    images_bgr: Iterable[npt.NDArray[np.uint8]], exclude: Iterable[BoolArray | None]
) -> RollEstimate:
    """Up in the image, pooled over several frames (a still camera), each with the person masked out.

    The support is per frame, so it does not grow with the number of frames pooled.
    """
    return roll_from_edges(scene_edges(images_bgr, exclude))


def roll_from_edges(edges: SceneEdges) -> RollEstimate:
    """Up in the image from pooled edges (see :func:`scene_vertical`); unreliable without frames."""
    if edges.n_frames == 0:
        return RollEstimate(float("nan"), 0.0, 0)
    width_px, height_px = edges.image_size
    return scene_vertical(edges.segments_px, width_px, height_px, n_frames=edges.n_frames)


# --------------------------------------------------------------------------------------------------------
# The camera's orientation against the floor and the test's walking axis

#: Typical phone and webcam lenses: focal length as a fraction of the image's long side (about 64 degrees
#: across the long side). Main phone cameras span about 0.65-0.95, so the estimated tilt and yaw carry a
#: few percent of error from it (shared with :mod:`vision.scene.calibration`'s prior).
FOCAL_FRACTION = 0.8
#: Tilt and yaw are searched within this many degrees of a level, side-on camera ...
MAX_TILT_YAW_DEG = 30.0
#: ... and the roll within this many degrees of the one the edges' directions give.
ROLL_SEARCH_DEG = 4.0
#: Shortest edge used for tilt and yaw, as a fraction of the image diagonal (the visible floor/wall junction
#: and floor boards are short).
MIN_DEPTH_SEGMENT_FRACTION = 0.03
#: Edges supporting a tilt and yaw must add up to this fraction of the image diagonal (per frame) ...
MIN_YAW_SUPPORT_FRACTION = 0.15
#: ... and number at least this many per frame.
MIN_YAW_SEGMENTS = 2


@dataclass(frozen=True)
class CameraPose:
    """A pinhole camera's orientation against the floor and the person's walking axis.

    Directions are unit vectors in camera coordinates (x right, y down, z along the optical axis).

    Attributes:
        focal_px: focal length in pixels (known from a floor marker, else :data:`FOCAL_FRACTION` of the
            long side).
        centre_px: (2,) principal point (the image centre).
        up: (3,) the floor normal, pointing up.
        across: (3,) horizontal and perpendicular to the walking axis, pointing away from the camera: the
            normal of the tested leg's sagittal plane.
        source: where the orientation comes from, e.g. "vertical vanishing point + floor lines".
        yaw_known: whether the walking axis was measured (False: assumed square to the camera).
        tilt_known: whether the tilt was measured (False: assumed level).
    """

    focal_px: float
    centre_px: FloatArray
    up: FloatArray
    across: FloatArray
    source: str
    yaw_known: bool = False
    tilt_known: bool = False

    def __post_init__(self) -> None:
        for name in ("up", "across"):
            vector = getattr(self, name)
            if vector.shape != (3,) or not np.isclose(np.linalg.norm(vector), 1.0, atol=1e-6):
                raise ValueError(f"CameraPose.{name} must be a unit 3-vector")
        if abs(float(self.up @ self.across)) > 1e-6:
            raise ValueError("CameraPose.across must be horizontal (perpendicular to up)")
        if self.centre_px.shape != (2,) or not self.focal_px > 0:
            raise ValueError("CameraPose needs a positive focal length and a (2,) principal point")

    @classmethod
    def level(cls, image_size: tuple[int, int], focal_px: float | None = None) -> CameraPose:
        """An upright camera square to the walking axis: angles against the image vertical."""
        return cls.from_up(np.array([0.0, -1.0, 0.0]), image_size, focal_px, "none", tilt_known=False)

    @classmethod
    def from_up(
        cls,
        up: FloatArray,
        image_size: tuple[int, int],
        focal_px: float | None,
        source: str,
        tilt_known: bool = True,
    ) -> CameraPose:
        """A camera with a known floor normal, assumed square to the walking axis (no yaw)."""
        up = _unit3(up)
        across = _level_axis(up)
        focal = focal_px if focal_px is not None else FOCAL_FRACTION * max(image_size)
        centre = np.array([image_size[0] / 2.0, image_size[1] / 2.0])
        return cls(float(focal), centre, up, across, source, tilt_known=tilt_known)

    @classmethod
    def from_roll(
        cls, roll: RollEstimate, image_size: tuple[int, int], focal_px: float | None = None
    ) -> CameraPose:
        """Floor normal from the verticals: their vanishing point gives roll and tilt, else roll only."""
        if not roll.reliable:
            return cls.level(image_size, focal_px)
        focal = focal_px if focal_px is not None else FOCAL_FRACTION * max(image_size)
        centre = np.array([image_size[0] / 2.0, image_size[1] / 2.0])
        vp = roll.vanishing_point
        tilt_known = vp is not None and roll.source == "vertical vanishing point"
        if vp is not None and tilt_known:
            direction = np.array([vp[0] - centre[0] * vp[2], vp[1] - centre[1] * vp[2], focal * vp[2]])
        else:
            a = np.radians(roll.roll_deg)
            direction = np.array([-np.sin(a), -np.cos(a), 0.0])
        up = _unit3(direction)
        return cls.from_up(up if up[1] < 0 else -up, image_size, focal, roll.source, tilt_known)

    @property
    def intrinsics(self) -> FloatArray:
        return np.array(
            [
                [self.focal_px, 0.0, self.centre_px[0]],
                [0.0, self.focal_px, self.centre_px[1]],
                [0.0, 0.0, 1.0],
            ]
        )

    @property
    def roll_deg(self) -> float:
        """Roll at the image centre, as :attr:`RollEstimate.roll_deg` (+ = scene turned counter-clockwise)."""
        return float(np.degrees(np.arctan2(-self.up[0], -self.up[1])))

    @property
    def tilt_deg(self) -> float:
        """Pitch of the optical axis below the horizon (+ = looking down)."""
        return float(np.degrees(np.arcsin(np.clip(-self.up[2], -1.0, 1.0))))

    @property
    def axis_turn_deg(self) -> float:
        """How far the walking axis turns out of the image plane: + when its image-right end is further."""
        level_axis = _level_axis(self.up)
        return float(np.degrees(np.arcsin(np.clip(self.forward(1) @ level_axis, -1.0, 1.0))))

    def yaw_deg(self, facing: int) -> float:
        """Turn away from side-on: + when the toes point away from the camera (it sees the person's back)."""
        return float(facing) * self.axis_turn_deg

    def forward(self, facing: int) -> FloatArray:
        """The walking axis (horizontal, in the sagittal plane), pointing the way the person faces."""
        image_right: FloatArray = np.cross(self.across, self.up)
        return float(facing) * image_right

    def shin_plane_normal(self, facing: int, side: Side, lean_deg: float) -> FloatArray:
        """Normal of the plane the tested shin rocks in: the sagittal plane (normal :attr:`across`) tipped
        about the walking axis so that the knee sits ``lean_deg`` toward the leg's outside of the ankle
        (negative: toward its inside, as in a lunge). Seen from the side the lean is invisible, but a camera
        tilted or turned from side-on reads it into the shin's angle, with opposite signs from the leg's
        outside and inside (about 1 deg at 10 deg of yaw)."""
        person_right: FloatArray = np.cross(self.forward(facing), self.up)
        outside = person_right if side == "right" else -person_right
        return _unit3(outside - np.tan(np.radians(lean_deg)) * self.up)

    def with_axis_turn(self, turn_deg: float, source: str) -> CameraPose:
        """The same floor normal with the walking axis turned by ``turn_deg`` (see :attr:`axis_turn_deg`),
        now measured (from ``source``)."""
        turned = self._turned(self.up, turn_deg)
        return dataclasses.replace(turned, source=f"{self.source} + {source}", yaw_known=True)

    def tilted(self, by_deg: float) -> CameraPose:
        """The same camera looking ``by_deg`` further down (same roll and axis turn)."""
        a = np.radians(by_deg)
        up = np.cos(a) * self.up - np.sin(a) * _level_axis(self.up)  # the optical axis dips below the horizon
        return self._turned(_unit3(up), self.axis_turn_deg)

    def _turned(self, up: FloatArray, turn_deg: float) -> CameraPose:
        level_axis = _level_axis(up)
        right = np.cross(level_axis, up)
        a = np.radians(turn_deg)
        return dataclasses.replace(self, up=up, across=_unit3(np.cos(a) * level_axis - np.sin(a) * right))

    def doubts(self, sigma_deg: float) -> list[tuple[CameraPose, CameraPose]]:
        """Pairs of cameras with an unmeasured tilt or yaw set to -/+ ``sigma_deg`` (none when both are
        measured): how far a result moves between them is its uncertainty from the camera's orientation."""
        pairs = []
        if not self.tilt_known:
            pairs.append((self.tilted(-sigma_deg), self.tilted(sigma_deg)))
        if not self.yaw_known:
            turn = self.axis_turn_deg
            pairs.append((self._turned(self.up, turn - sigma_deg), self._turned(self.up, turn + sigma_deg)))
        return pairs

    def up_at(self, point_px: FloatArray) -> FloatArray:
        """Unit image direction (x right, y down) in which the floor normal points at ``point_px``."""
        ray = self.rays(np.asarray(point_px, dtype=np.float64).reshape(2))
        direction = self.up[:2] - ray[:2] * self.up[2]  # derivative of the projection along ``up``
        unit: FloatArray = direction / np.linalg.norm(direction)
        return unit

    def rays(self, points_px: FloatArray) -> FloatArray:
        """(..., 3) viewing directions (z = 1) through image points (..., 2)."""
        points = np.asarray(points_px, dtype=np.float64)
        xy = (points - self.centre_px) / self.focal_px
        return np.concatenate([xy, np.ones((*xy.shape[:-1], 1))], axis=-1)


def _level_axis(up: FloatArray) -> FloatArray:
    """The optical axis made horizontal (perpendicular to ``up``): the sagittal normal of a side-on view."""
    return _unit3(np.array([0.0, 0.0, 1.0]) - up[2] * up)


def _unit3(vector: FloatArray) -> FloatArray:
    norm = float(np.linalg.norm(vector))
    if not norm > 0:
        raise ValueError("zero vector has no direction")
    unit: FloatArray = np.asarray(vector, dtype=np.float64) / norm
    return unit


#: A floor reference more than this far from square to the walking axis is not trusted for the yaw.
MAX_REFERENCE_TURN_DEG = 25.0


def camera_from_projection(projection: FloatArray, image_size: tuple[int, int], source: str) -> CameraPose:
    """The camera of a floor reference's fitted projection (reference frame in cm, z up, to image px).

    The reference (marker or sheet) is laid square to the foot, so whichever of its two edge directions lies
    closer to the image horizontal is taken as the walking axis; one turned more than
    :data:`MAX_REFERENCE_TURN_DEG` from square to the camera gives the floor normal only.
    """
    centre = np.array([image_size[0] / 2.0, image_size[1] / 2.0])
    m = np.asarray(projection, dtype=np.float64)[:, :3]
    m = (
        m / np.linalg.norm(m[2]) * np.sign(np.linalg.det(m))
    )  # K R with K = [[f, 0, cx], [0, f, cy], [0, 0, 1]]
    focal = float(np.linalg.norm(m[0] - centre[0] * m[2]))
    rotation = np.linalg.inv(np.array([[focal, 0, centre[0]], [0, focal, centre[1]], [0, 0, 1.0]])) @ m
    up = _unit3(rotation[:, 2])
    camera = CameraPose.from_up(up, image_size, focal, source)
    square_right = np.cross(camera.across, camera.up)
    edges = [_unit3(rotation[:, 0]), _unit3(rotation[:, 1])]
    walking = max(edges, key=lambda edge: abs(float(edge @ square_right)))
    walking = walking if walking @ square_right > 0 else -walking
    turn = float(np.degrees(np.arctan2(walking @ camera.across, walking @ square_right)))
    if abs(turn) > MAX_REFERENCE_TURN_DEG:
        return camera
    return camera.with_axis_turn(turn, "its edges")


#: Grid step of the first search (degrees); it is then refined to 0.25 degrees.
COARSE_STEP_DEG = 2.0
#: Only the longest edges take part (bounds the search's time).
MAX_EDGES = 400
#: The peak's sharpness is judged over tilts and turns within this many degrees of it: orientations ...
AMBIGUITY_WINDOW_DEG = 8.0
#: ... scoring at least this share of the best one count as equally good ...
NEAR_BEST_SCORE = 0.9
#: ... and must agree on the tilt and the turn to within these spreads for them to be trusted.
MAX_TILT_SPREAD_DEG = 6.0
MAX_TURN_SPREAD_DEG = 6.0
#: Orientations scored at once (bounds the memory of the search: 3 x chunk x edges floats).
CANDIDATE_CHUNK = 256
#: Width (degrees) of the soft window in which an edge counts as pointing at a vanishing point.
LINE_SIGMA_DEG = 1.0
#: Where the roll did not come from the scene's verticals, the orientation found must rest on verticals adding
#: up to this fraction of the diagonal (per frame): floor boards and level lines alone trade the roll against
#: the tilt and the turn, and on rendered rooms gave orientations 5-25 deg off with a sharp-looking peak.
MIN_VERTICAL_SUPPORT_FRACTION = 0.05
#: A phone filming the lunge side-on at shin to hip height looks within about this of level; a steeper tilt
#: read off the scene's lines (on rendered rooms: slanted grass, boards alone) was a misreading.
MAX_SCENE_TILT_DEG = 15.0


@dataclass(frozen=True)
class _Edges:
    """Segments as midpoints, unit directions and lengths (pixels)."""

    mid: FloatArray  # (n, 2)
    direction: FloatArray  # (n, 2)
    length: FloatArray  # (n,)

    @classmethod
    def of(cls, segments_px: FloatArray) -> _Edges:
        seg = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
        delta = seg[:, 2:] - seg[:, :2]
        length = np.linalg.norm(delta, axis=1)
        return cls((seg[:, :2] + seg[:, 2:]) / 2, delta / np.maximum(length, 1e-9)[:, None], length)

    def longest(self, n: int) -> _Edges:
        keep = np.argsort(-self.length)[:n]
        return _Edges(self.mid[keep], self.direction[keep], self.length[keep])

    def longer_than(self, length_px: float) -> _Edges:
        keep = self.length >= length_px
        return _Edges(self.mid[keep], self.direction[keep], self.length[keep])

    def votes(self, vanishing_points: FloatArray, sigma_deg: float = LINE_SIGMA_DEG) -> FloatArray:
        """(c, n) how well each edge points at each of c homogeneous vanishing points (1 = exactly, within
        about ``sigma_deg``)."""
        vp = np.asarray(vanishing_points, dtype=np.float64).reshape(-1, 3)
        to_vp = vp[:, None, :2] - self.mid[None] * vp[:, None, 2:3]
        cross = self.direction[None, :, 0] * to_vp[..., 1] - self.direction[None, :, 1] * to_vp[..., 0]
        dot = np.abs(np.sum(self.direction[None] * to_vp, axis=2))
        residual_deg = np.degrees(np.arctan2(np.abs(cross), dot))
        vote: FloatArray = np.exp(-0.5 * (residual_deg / sigma_deg) ** 2)
        return vote


def _oriented(roll_deg: FloatArray, tilt_deg: FloatArray, turn_deg: FloatArray) -> FloatArray:
    """(c, 3, 3) rows up, across, forward (image-right end of the walking axis) for c orientations: the
    vectorised :meth:`CameraPose.from_up` then :meth:`CameraPose.with_axis_turn`."""
    r, t, y = (np.radians(np.asarray(a, dtype=np.float64)) for a in (roll_deg, tilt_deg, turn_deg))
    up = np.stack([-np.sin(r) * np.cos(t), -np.cos(r) * np.cos(t), -np.sin(t)], axis=-1)
    level_axis = np.array([0.0, 0.0, 1.0]) - up[:, 2:3] * up
    level_axis /= np.linalg.norm(level_axis, axis=1, keepdims=True)
    right = np.cross(level_axis, up)
    across = np.cos(y)[:, None] * level_axis - np.sin(y)[:, None] * right
    forward = np.cos(y)[:, None] * right + np.sin(y)[:, None] * level_axis
    return np.stack([up, across, forward], axis=1)


def _grid(roll: FloatArray, tilt: FloatArray, turn: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Every combination of the given rolls, tilts and turns, as three flat arrays."""
    r, t, y = np.meshgrid(roll, tilt, turn, indexing="ij")
    return r.ravel(), t.ravel(), y.ravel()


def scene_camera(scene: SceneEdges, roll: RollEstimate) -> CameraPose:
    """The camera's orientation from the scene's straight edges (a Manhattan room: verticals, lines square
    to the wall the person faces, lines along the walking axis).

    Each orientation (roll, tilt, turn) is scored by the summed length of the edges that point at one of its
    three vanishing points: first on a 2 degree grid (within the roll the edges' directions gave, or any roll
    up to :data:`MAX_ROLL_DEG` when they gave none), then refined to 0.25 degrees. Tilt and turn are trusted
    only when the orientations within :data:`AMBIGUITY_WINDOW_DEG` of the peak that score within
    :data:`NEAR_BEST_SCORE` of it agree on them to within :data:`MAX_TILT_SPREAD_DEG` and
    :data:`MAX_TURN_SPREAD_DEG` (floor boards alone, for one, trade tilt against turn), and the edges behind
    them add up to :data:`MIN_YAW_SUPPORT_FRACTION` of the diagonal, with verticals among them
    (:data:`MIN_VERTICAL_SUPPORT_FRACTION`) unless the roll came from verticals, and the tilt is within
    :data:`MAX_SCENE_TILT_DEG` of level; otherwise the camera is :meth:`CameraPose.from_roll`'s.
    """
    image_size, n_frames = scene.image_size, scene.n_frames
    start = CameraPose.from_roll(roll, image_size)
    edges = _Edges.of(scene.segments_px).longest(MAX_EDGES)
    diagonal_px = float(np.hypot(*image_size))
    edges = edges.longer_than(MIN_DEPTH_SEGMENT_FRACTION * diagonal_px)
    if n_frames == 0 or len(edges.length) < MIN_YAW_SEGMENTS * n_frames:
        return start
    k = start.intrinsics
    # 1. The basin: a 2 degree grid, edges counted within about 2 degrees.
    span = np.arange(-MAX_TILT_YAW_DEG, MAX_TILT_YAW_DEG + 0.5, COARSE_STEP_DEG)
    if roll.reliable:
        rolls = roll.roll_deg + np.arange(-ROLL_SEARCH_DEG, ROLL_SEARCH_DEG + 0.5, COARSE_STEP_DEG)
    else:  # the edges' directions did not settle the roll: search all a hand-held phone may have
        rolls = np.arange(-MAX_ROLL_DEG, MAX_ROLL_DEG + 0.5, COARSE_STEP_DEG)
    coarse = _grid(rolls, span, span)
    i = int(np.argmax(_scores(edges, k, *coarse, sigma_deg=COARSE_STEP_DEG)))
    # 2. The peak, to 0.25 degrees, edges counted within about 1 degree.
    fine = np.arange(-COARSE_STEP_DEG, COARSE_STEP_DEG + 0.01, 0.25)
    r, t, y = _grid(coarse[0][i] + fine, coarse[1][i] + fine, coarse[2][i] + fine)
    j = int(np.argmax(_scores(edges, k, r, t, y)))
    best = (float(r[j]), float(t[j]), float(y[j]))
    # 3. How sharp the peak is: the tilts and turns around it that score nearly as well.
    around = np.arange(-AMBIGUITY_WINDOW_DEG, AMBIGUITY_WINDOW_DEG + 0.5, 1.0)
    _, t_near, y_near = local = _grid(np.array([best[0]]), best[1] + around, best[2] + around)
    score = _scores(edges, k, *local)
    near = score >= NEAR_BEST_SCORE * score.max()
    tilt_spread, turn_spread = float(np.ptp(t_near[near])), float(np.ptp(y_near[near]))
    axes = _oriented(*(np.array([value]) for value in best))[0]
    votes = edges.votes(axes @ k.T)
    support = float(edges.length[votes.max(axis=0) > 0.5].sum() / diagonal_px) / n_frames
    vertical_support = float(edges.length[votes[0] > 0.5].sum() / diagonal_px) / n_frames
    from_verticals = roll.reliable and roll.source.startswith("vertical")
    tilt_known = (
        tilt_spread <= MAX_TILT_SPREAD_DEG
        and support >= MIN_YAW_SUPPORT_FRACTION
        and (from_verticals or vertical_support >= MIN_VERTICAL_SUPPORT_FRACTION)
        and abs(best[1]) <= MAX_SCENE_TILT_DEG
    )
    turn_known = tilt_known and turn_spread <= MAX_TURN_SPREAD_DEG
    logger.debug(
        "scene camera: support %.2f (verticals %.2f), tilt spread %.0f, turn spread %.0f, best %s",
        support,
        vertical_support,
        tilt_spread,
        turn_spread,
        best,
    )
    if not tilt_known:
        return start
    camera = CameraPose.from_up(axes[0], image_size, start.focal_px, "scene edges")
    return camera.with_axis_turn(best[2], "room lines") if turn_known else camera


def _scores(
    edges: _Edges,
    intrinsics: FloatArray,
    roll_deg: FloatArray,
    tilt_deg: FloatArray,
    turn_deg: FloatArray,
    sigma_deg: float = LINE_SIGMA_DEG,
) -> FloatArray:
    """Edge length pointing at each candidate orientation's vanishing points (each edge counted once, for
    the vanishing point it points at best)."""
    axes = _oriented(roll_deg, tilt_deg, turn_deg)  # (c, 3, 3)
    score = np.empty(len(roll_deg))
    for lo in range(0, len(roll_deg), CANDIDATE_CHUNK):
        chunk = axes[lo : lo + CANDIDATE_CHUNK]
        votes = np.max(
            [edges.votes(chunk[:, family, :] @ intrinsics.T, sigma_deg) for family in range(3)], axis=0
        )
        score[lo : lo + CANDIDATE_CHUNK] = votes @ edges.length
    return score
