"""Tests for vision.scene.wall: the wall in front of the foot and the toe-to-wall distance.

Synthetic scenes are ray-cast through a pinhole camera (floor tiles, a room wall or a pillar, a striped
backdrop) with a person drawn on top as polygons, so the true toe-to-wall distance in pixels and in cm is
known exactly. The rendered dev clips (../shared/data/synthetic) check the same on realistic images.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from vision.geometry import LEVEL_UP, forward_unit, up_from_floor_angle
from vision.pipeline import MIN_WALL_CONFIDENCE, WALL_BOX_BELOW_FEET_CM, measure
from vision.pose import quality
from vision.pose.landmarks import FramePose, LegLandmarks, PoseEstimator, PoseTrack
from vision.pose.legs import facing_direction
from vision.scene.calibration import FloorScale, find_floor_scale
from vision.scene.wall import (
    JUNCTION,
    TOE_TIP_HEIGHT_CM,
    WALL_EDGE,
    WallDetection,
    find_wall,
    knee_reached_wall,
)

FloatArray = npt.NDArray[np.float64]
Image = npt.NDArray[np.uint8]

SYNTHETIC = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "synthetic"
CLIPS = [f"dev0{i}" for i in range(1, 9)]

# BGR colours of the synthetic scene.
TILE_A, TILE_B, SEAM = (70, 100, 140), (60, 88, 125), (40, 55, 75)
WALL, WALL_SIDE = (160, 158, 150), (135, 133, 126)
STRIPE_A, STRIPE_B = (225, 225, 230), (120, 120, 125)
SKIN, SHORTS, REAR = (95, 130, 190), (200, 200, 205), (80, 110, 165)


# ---------------------------------------------------------------- a pinhole camera and a ray-cast scene


@dataclass(frozen=True)
class Camera:
    """A camera beside the tested leg's sagittal plane (x = 0), looking across the walking axis (y).

    World: x toward the camera's side, y forward (the way the person faces), z up, floor z = 0, cm. The
    camera stands at x = ``distance_cm`` on the side that makes the person face image right when
    ``facing`` is +1 (left when -1).
    """

    distance_cm: float = 300.0
    height_cm: float = 80.0
    y_cm: float = -10.0
    tilt_deg: float = 3.0  # pitch below horizontal
    yaw_deg: float = 0.0  # turn about the vertical
    focal_px: float = 800.0
    width: int = 960
    height: int = 540
    facing: int = 1

    def axes(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Unit right, up and forward (viewing) directions of the camera in the world."""
        yaw, tilt = math.radians(self.yaw_deg), math.radians(self.tilt_deg)
        look = np.array([-self.facing * math.cos(yaw), math.sin(yaw), 0.0])
        world_up = np.array([0.0, 0.0, 1.0])
        right = np.cross(look, world_up)
        right /= np.linalg.norm(right)
        forward = math.cos(tilt) * look - math.sin(tilt) * world_up
        return right, np.cross(right, forward), forward

    @property
    def centre(self) -> FloatArray:
        return np.array([self.facing * self.distance_cm, self.y_cm, self.height_cm])

    def projection(self) -> FloatArray:
        """(3, 4) world cm to image px (pixel-corner origin, principal point at the image centre)."""
        right, up, forward = self.axes()
        rows = np.stack(
            [
                self.focal_px * right + self.width / 2 * forward,
                -self.focal_px * up + self.height / 2 * forward,
                forward,
            ]
        )
        return np.column_stack([rows, -rows @ self.centre])

    def project(self, points_cm: npt.ArrayLike) -> FloatArray:
        points = np.atleast_2d(np.asarray(points_cm, dtype=np.float64))
        image = np.column_stack([points, np.ones(len(points))]) @ self.projection().T
        return np.asarray(image[:, :2] / image[:, 2:], dtype=np.float64)

    def rays(self, supersample: int) -> FloatArray:
        right, up, forward = self.axes()
        us = (np.arange(self.width * supersample) + 0.5) / supersample - self.width / 2
        vs = (np.arange(self.height * supersample) + 0.5) / supersample - self.height / 2
        uu, vv = np.meshgrid(us, vs)
        rays: FloatArray = forward + (uu[..., None] * right - vv[..., None] * up) / self.focal_px
        return rays


@dataclass(frozen=True)
class Scene:
    """Where things are. The toe tip of the tested foot is at (0, 0, 1.5) cm."""

    camera: Camera
    wall_y_cm: float | None = 8.0  # None: no wall
    pillar: bool = False  # the wall is a pillar whose near edge is in the tested foot's plane (x = 0)
    skirting_cm: float = 0.0  # height of a darker skirting board along the wall's foot
    knee_front_y_cm: float = 5.0
    tile_offset_cm: float = 0.0  # shifts the floor's tiles along the walking axis
    noise: float = 2.0


def _cast(camera: Camera, scene: Scene, supersample: int = 2) -> Image:
    """The floor, the wall (or pillar) and the backdrop, anti-aliased."""
    rays = camera.rays(supersample)
    centre = camera.centre
    far = -camera.facing * 250.0  # the backdrop's plane, behind the person
    hits = [_floor_hit(rays, centre, scene.tile_offset_cm), _backdrop_hit(rays, centre, far)]
    if scene.wall_y_cm is not None:
        hits += _wall_hits(rays, centre, scene, far)
    depth = np.stack([hit[0] for hit in hits])
    nearest = np.argmin(depth, axis=0)
    colour = np.zeros((*rays.shape[:2], 3))
    for i, (_, paint) in enumerate(hits):
        colour[nearest == i] = paint[nearest == i]
    small = cv2.resize(colour, (camera.width, camera.height), interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.float64).astype(np.uint8)


def _plane_t(rays: FloatArray, centre: FloatArray, axis: int, value: float) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (value - centre[axis]) / rays[..., axis]
    return np.where(t > 0, t, np.inf)


def _floor_hit(rays: FloatArray, centre: FloatArray, offset_cm: float) -> tuple[FloatArray, FloatArray]:
    t = _plane_t(rays, centre, 2, 0.0)
    with np.errstate(invalid="ignore"):
        point = centre + np.where(np.isfinite(t), t, 0.0)[..., None] * rays
    x, y = point[..., 0], point[..., 1] - offset_cm
    tile = (np.floor(x / 30.0) + np.floor(y / 30.0)) % 2 == 0
    seam = (np.abs(x / 30.0 - np.round(x / 30.0)) < 0.01) | (np.abs(y / 30.0 - np.round(y / 30.0)) < 0.01)
    paint = np.where(tile[..., None], TILE_A, TILE_B).astype(np.float64)
    paint[seam] = SEAM
    return t, paint


def _backdrop_hit(rays: FloatArray, centre: FloatArray, far: float) -> tuple[FloatArray, FloatArray]:
    t = _plane_t(rays, centre, 0, far)
    with np.errstate(invalid="ignore"):
        y = centre[1] + np.where(np.isfinite(t), t, 0.0) * rays[..., 1]
    stripe = np.floor(y / 25.0) % 2 == 0  # vertical stripes: straight lines that are not the wall
    return t, np.where(stripe[..., None], STRIPE_A, STRIPE_B).astype(np.float64)


def _wall_hits(
    rays: FloatArray, centre: FloatArray, scene: Scene, far: float
) -> list[tuple[FloatArray, FloatArray]]:
    """The wall's face (plane y = wall_y), and for a pillar its back and near side too."""
    wall_y = float(scene.wall_y_cm or 0.0)
    near_x = 0.0 if scene.pillar else centre[0] + 100.0 * np.sign(centre[0])
    lo, hi = sorted((far, near_x))
    faces = [(1, wall_y, WALL)]
    if scene.pillar:
        faces.append((1, wall_y + 25.0, WALL))
    hits = []
    for axis, value, paint in faces:
        t = _plane_t(rays, centre, axis, value)
        point = centre + np.where(np.isfinite(t), t, 0.0)[..., None] * rays
        inside = (point[..., 0] >= lo) & (point[..., 0] <= hi) & (point[..., 2] <= 250.0)
        hits.append((np.where(inside, t, np.inf), _wall_paint(point, paint, scene)))
    if scene.pillar:
        t = _plane_t(rays, centre, 0, 0.0)
        point = centre + np.where(np.isfinite(t), t, 0.0)[..., None] * rays
        inside = (point[..., 1] >= wall_y) & (point[..., 1] <= wall_y + 25.0) & (point[..., 2] <= 250.0)
        hits.append((np.where(inside, t, np.inf), _wall_paint(point, WALL_SIDE, scene)))
    return hits


def _wall_paint(point: FloatArray, paint: tuple[int, int, int], scene: Scene) -> FloatArray:
    colour = np.broadcast_to(np.array(paint, dtype=np.float64), point.shape).copy()
    if scene.skirting_cm > 0:
        colour[point[..., 2] <= scene.skirting_cm] = (90, 90, 90)
    return colour


# The person, as outlines in the tested leg's plane (front leg, x = 0) and a plane behind it (rear leg):
# (y, z) cm. The front foot's toe tip is at (0, 1.5); the knee's front is at (knee_front_y, 46).
FOOT = [(-25, 0.3), (-26, 4), (-22, 8), (-9, 8.5), (-3, 5), (-0.5, 3), (0, 1.5), (-0.5, 0.3)]


def _front_leg(knee_front_y: float) -> list[tuple[float, float]]:
    return [(-5, 6), (knee_front_y, 46), (knee_front_y - 4, 54), (-35, 88), (-46, 80), (-16, 9)]


REAR_LEG = [(-40, 82), (-30, 90), (-92, 6), (-88, 0.3), (-112, 0.3), (-110, 4)]


def _person(camera: Camera, scene: Scene) -> tuple[list[FloatArray], list[FloatArray]]:
    """Image polygons of the rear leg (drawn first: further from the camera) and of the front leg and foot."""
    rear_x = -camera.facing * 15.0
    rear = [camera.project([(rear_x, y, z) for y, z in REAR_LEG])]
    front = [
        camera.project([(0.0, y, z) for y, z in outline])
        for outline in (_front_leg(scene.knee_front_y_cm), FOOT)
    ]
    return rear, front


@functools.lru_cache(maxsize=32)
def _clean(scene: Scene) -> tuple[Image, FloatArray]:
    """The noiseless image and the person's mask."""
    image = _cast(scene.camera, scene)
    rear, front = _person(scene.camera, scene)
    mask = np.zeros(image.shape[:2], dtype=np.uint8)
    for polygons, colour in ((rear, REAR), (front, SKIN)):
        for polygon in polygons:
            points = np.round((polygon - 0.5) * 16).astype(np.int32)  # 4 fractional bits, centre origin
            cv2.fillPoly(image, [points], colour, lineType=cv2.LINE_AA, shift=4)
            cv2.fillPoly(mask, [points], (1,), shift=4)
    return image, mask.astype(np.float32)


def render(scene: Scene, seed: int = 0) -> tuple[Image, FloatArray, FloatArray, FloatArray]:
    """The image (with sensor noise), the person's mask, the toe tip and the knee's front (px)."""
    image, mask = _clean(scene)
    rng = np.random.default_rng(seed)
    noisy = np.clip(image + rng.normal(0.0, scene.noise, image.shape), 0, 255).astype(np.uint8)
    toe = scene.camera.project([(0.0, 0.0, TOE_TIP_HEIGHT_CM)])[0]
    knee = scene.camera.project([(0.0, scene.knee_front_y_cm, 46.0)])[0]
    return noisy, mask, toe, knee


def up_at(camera: Camera, point_cm: tuple[float, float, float]) -> FloatArray:
    """Image direction of the world's vertical at a 3D point (verticals converge when the camera tilts)."""
    a, b = camera.project([point_cm, (point_cm[0], point_cm[1], point_cm[2] + 100.0)])
    up: FloatArray = (b - a) / np.linalg.norm(b - a)
    return up


def truth_px(scene: Scene) -> float:
    """Toe to wall along the floor direction at the toe, in pixels."""
    camera = scene.camera
    assert scene.wall_y_cm is not None
    toe, wall = camera.project([(0.0, 0.0, TOE_TIP_HEIGHT_CM), (0.0, scene.wall_y_cm, TOE_TIP_HEIGHT_CM)])
    forward = forward_unit(up_at(camera, (0.0, 0.0, TOE_TIP_HEIGHT_CM)), camera.facing)
    return float((wall - toe) @ forward)


def px_per_cm(camera: Camera) -> float:
    a, b = camera.project([(0.0, 0.0, TOE_TIP_HEIGHT_CM), (0.0, 1.0, TOE_TIP_HEIGHT_CM)])
    return float(np.linalg.norm(b - a))


def foot_scale(value: float) -> FloorScale:
    return FloorScale(source="foot", homography_cm_to_px=None, px_per_cm=value, relative_uncertainty=0.02)


def box_around(mask: FloatArray, below_px: float | None = None) -> FloatArray:
    """The person's box with the pipeline's margin (10 % of its size + 10 px; ``below_px`` below the feet)."""
    ys, xs = np.nonzero(mask)
    corners = np.array([[xs.min(), ys.min()], [xs.max() + 1, ys.max() + 1], [xs.min(), ys.max() + 1]], float)
    box = quality.person_box(corners, np.ones(len(corners)), below_px=below_px)
    assert box is not None
    return box


def detect(
    scene: Scene,
    *,
    use_mask: bool = False,
    scale: FloorScale | None = None,
    below_feet_cm: float | None = None,
) -> WallDetection | None:
    frames = [render(scene, seed) for seed in range(3)]
    images = [frame[0] for frame in frames]
    _, mask, toe, knee = frames[0]
    below_px = None if below_feet_cm is None else below_feet_cm * px_per_cm(scene.camera)
    exclude = [mask if use_mask else box_around(mask, below_px)] * len(images)
    up = up_at(scene.camera, (0.0, 0.0, TOE_TIP_HEIGHT_CM))
    return find_wall(images, toe, knee, scene.camera.facing, up, exclude, scale)


# ---------------------------------------------------------------- synthetic scenes


GEOMETRIES = {
    "level, wall 8 cm": Scene(Camera()),
    "facing left": Scene(Camera(facing=-1)),
    "toe touching the wall": Scene(Camera(), wall_y_cm=0.5, knee_front_y_cm=0.0),
    "wall 15 cm, knee 14 cm ahead": Scene(Camera(), wall_y_cm=15.0, knee_front_y_cm=14.0),
    "high camera tilted down": Scene(Camera(height_cm=140.0, tilt_deg=12.0, y_cm=-30.0)),
    "low camera, far behind the wall plane": Scene(Camera(height_cm=45.0, tilt_deg=-2.0, y_cm=-50.0)),
    "camera yawed 12 degrees": Scene(Camera(yaw_deg=12.0, y_cm=-20.0)),
    "camera yawed -12 degrees": Scene(Camera(yaw_deg=-12.0, y_cm=-20.0)),
    "close camera, portrait": Scene(Camera(distance_cm=150.0, width=540, height=960, focal_px=700.0)),
    "skirting board": Scene(Camera(), skirting_cm=8.0),
    "tile seams between toe and wall": Scene(
        Camera(), wall_y_cm=16.0, knee_front_y_cm=3.0, tile_offset_cm=10.0
    ),
}


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_junction_distance_within_2_px(name: str) -> None:
    scene = GEOMETRIES[name]
    wall = detect(scene)
    assert wall is not None
    assert wall.evidence == JUNCTION
    assert wall.distance_px == pytest.approx(truth_px(scene), abs=2.0)
    assert 0.5 <= wall.confidence <= 1.0
    assert wall.line_px.shape == (2, 2)
    np.testing.assert_allclose(wall.wall_px, wall.toe_px + wall.distance_px * wall.forward_px)


def test_toe_to_wall_cm_with_a_flat_scale() -> None:
    scene = GEOMETRIES["level, wall 8 cm"]
    wall = detect(scene, scale=foot_scale(px_per_cm(scene.camera)))
    assert wall is not None
    assert wall.toe_to_wall_cm(foot_scale(px_per_cm(scene.camera))) == pytest.approx(8.0, abs=0.5)
    assert wall.toe_to_wall_cm(None) is None
    assert wall.toe_to_wall_cm(FloorScale("none", None, None, math.nan)) is None


@pytest.mark.parametrize("name", ["level, wall 8 cm", "camera yawed 12 degrees", "high camera tilted down"])
def test_toe_to_wall_cm_with_a_floor_homography(name: str) -> None:
    scene = GEOMETRIES[name]
    projection = scene.camera.projection()
    homography = projection[:, [0, 1, 3]]
    scale = FloorScale(
        source="aruco",
        homography_cm_to_px=homography / homography[2, 2],
        px_per_cm=px_per_cm(scene.camera),
        relative_uncertainty=0.01,
        projection_cm_to_px=projection,
    )
    wall = detect(scene, scale=scale)
    assert wall is not None
    assert wall.toe_to_wall_cm(scale) == pytest.approx(scene.wall_y_cm, abs=0.3)


@pytest.mark.parametrize("use_mask", [False, True])
def test_pillar_edge_at_the_knee(use_mask: bool) -> None:
    # The camera stands in front of the wall plane: the junction is hidden, the pillar's vertical edge shows.
    scene = Scene(Camera(y_cm=40.0), wall_y_cm=10.0, pillar=True, knee_front_y_cm=9.0)
    wall = detect(scene, use_mask=use_mask)
    assert wall is not None
    assert wall.evidence == WALL_EDGE
    assert wall.distance_px == pytest.approx(truth_px(scene), abs=2.0)
    # Seen only inside the person's box, a vertical edge could be a straight leg: without a mask it is
    # trusted less.
    assert (wall.confidence >= 0.5) is use_mask


@pytest.mark.parametrize("camera", [Camera(), Camera(facing=-1), Camera(height_cm=140.0, tilt_deg=12.0)])
def test_no_wall_gives_none(camera: Camera) -> None:
    # Tiles, tile seams and the backdrop's vertical stripes are straight edges, but none is a wall.
    assert detect(Scene(camera, wall_y_cm=None)) is None
    assert detect(Scene(camera, wall_y_cm=None), use_mask=True) is None


def test_the_persons_own_edges_are_not_a_wall() -> None:
    # Measuring from the rear foot: ahead of it is the front leg, a long straight edge down to the floor.
    scene = Scene(Camera(), wall_y_cm=None)
    frames = [render(scene, seed) for seed in range(3)]
    images = [frame[0] for frame in frames]
    mask = frames[0][1]
    camera = scene.camera
    rear_toe, rear_knee = camera.project([(-15.0, -88.0, 1.5), (-15.0, -60.0, 46.0)])
    up = up_at(camera, (0.0, 0.0, 0.0))
    box = box_around(mask)
    assert find_wall(images, rear_toe, rear_knee, 1, up, [box] * 3) is None
    assert find_wall(images, rear_toe, rear_knee, 1, up, [mask] * 3) is None


def test_a_box_ending_at_the_feet_shows_the_junction_before_the_toes() -> None:
    # The toe 1 cm from the wall and the feet near the frame's bottom: the junction is seen only between the
    # toes and the frame's edge, all inside the box's usual margin below the feet, so it is never seen clear
    # of the box. The pipeline's box ends a few cm below the feet instead.
    scene = Scene(Camera(tilt_deg=-1.0, y_cm=-20.0), wall_y_cm=1.0, knee_front_y_cm=0.0)
    assert detect(scene) is None
    wall = detect(scene, below_feet_cm=WALL_BOX_BELOW_FEET_CM)
    assert wall is not None
    assert wall.confidence >= MIN_WALL_CONFIDENCE
    assert wall.distance_px == pytest.approx(truth_px(scene), abs=1.0)


def test_a_person_mask_hides_the_leg_but_not_the_wall() -> None:
    scene = GEOMETRIES["level, wall 8 cm"]
    wall = detect(scene, use_mask=True)
    assert wall is not None
    assert wall.distance_px == pytest.approx(truth_px(scene), abs=2.0)


def test_knee_reached_wall() -> None:
    touching = Scene(Camera(), wall_y_cm=8.0, knee_front_y_cm=8.0)
    short = Scene(Camera(), wall_y_cm=8.0, knee_front_y_cm=2.0)
    tolerance = px_per_cm(touching.camera)  # 1 cm
    for scene, reached in ((touching, True), (short, False)):
        _, _, _, knee = render(scene)
        wall = detect(scene)
        assert wall is not None
        assert knee_reached_wall(knee, wall, tolerance) is reached
        assert not knee_reached_wall([math.nan, math.nan], wall, tolerance)


def test_missing_points_or_frames_give_none() -> None:
    scene = GEOMETRIES["level, wall 8 cm"]
    image, _mask, toe, knee = render(scene)
    up = np.array([0.0, -1.0])
    assert find_wall([], toe, knee, 1, up, []) is None
    assert find_wall([image], [math.nan, math.nan], knee, 1, up, [None]) is None
    assert find_wall([image], toe, [math.nan, 0.0], 1, up, [None]) is None
    grey = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    assert find_wall([grey], toe, knee, 1, up, [None]) is not None


# ---------------------------------------------------------------- the rendered dev clips


@dataclass(frozen=True)
class Truth:
    name: str
    toe_to_wall_cm: float
    peak: int
    facing: int
    toe_px: FloatArray
    knee_front_px: FloatArray
    px_per_cm: float
    boxes: list[FloatArray]


def _load_truth(name: str) -> Truth:
    truth = json.loads((SYNTHETIC / f"{name}_gt.json").read_text())
    peak = int(truth["valid_peak_frame"])
    points = truth["frames"]["points2d"]
    boxes = []
    for frame in range(peak - 3, peak + 3):
        xy = np.array([points[key][frame] for key in points], dtype=np.float64)
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        pad = 0.1 * (hi - lo) + 10.0
        boxes.append(np.concatenate([lo - pad, hi + pad]))
    return Truth(
        name=name,
        toe_to_wall_cm=float(truth["toe_to_wall_cm"]),
        peak=peak,
        facing=1 if truth["facing"] == "right" else -1,
        toe_px=np.array(points["toe_tip"][peak], dtype=np.float64),
        knee_front_px=np.array(points["knee_front"][peak], dtype=np.float64),
        px_per_cm=float(truth["frames"]["px_per_cm_at_toe"][peak]),
        boxes=boxes,
    )


def _frames(name: str, first: int, count: int) -> list[Image]:
    capture = cv2.VideoCapture(str(SYNTHETIC / f"{name}.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, first)
    frames = []
    for _ in range(count):
        ok, frame = capture.read()
        assert ok
        frames.append(np.asarray(frame, dtype=np.uint8))
    capture.release()
    return frames


needs_clips = pytest.mark.skipif(
    not (SYNTHETIC / "dev01_gt.json").is_file(),
    reason=f"synthetic clips {SYNTHETIC.resolve()} not found (they live in ../shared/data beside the repo)",
)


@needs_clips
@pytest.mark.parametrize("name", CLIPS)
def test_dev_clip_toe_to_wall_within_1_cm(name: str) -> None:
    truth = _load_truth(name)
    frames = _frames(name, truth.peak - 3, 6)
    scale = foot_scale(truth.px_per_cm)
    up = np.array([0.0, -1.0])  # the clips are rendered without roll
    wall = find_wall(frames, truth.toe_px, truth.knee_front_px, truth.facing, up, truth.boxes, scale)
    assert wall is not None
    assert wall.evidence == JUNCTION
    measured = wall.toe_to_wall_cm(scale)
    assert measured is not None
    assert measured == pytest.approx(truth.toe_to_wall_cm, abs=1.0)


@needs_clips
def test_dev_clip_without_the_scale_finds_the_same_wall() -> None:
    truth = _load_truth("dev03")
    frames = _frames("dev03", truth.peak - 3, 6)
    up = np.array([0.0, -1.0])
    with_scale = find_wall(
        frames, truth.toe_px, truth.knee_front_px, truth.facing, up, truth.boxes, foot_scale(truth.px_per_cm)
    )
    without = find_wall(frames, truth.toe_px, truth.knee_front_px, truth.facing, up, truth.boxes)
    assert with_scale is not None
    assert without is not None
    assert without.distance_px == pytest.approx(with_scale.distance_px, abs=1.0)


@needs_clips
def test_dev_clip_nothing_ahead_of_the_rear_foot() -> None:
    # dev02: from the rear foot's toe, the floor ahead holds the front leg and foot but no wall within reach.
    truth = json.loads((SYNTHETIC / "dev02_gt.json").read_text())
    peak = int(truth["valid_peak_frame"])
    points = truth["frames"]["points2d"]
    frames = _frames("dev02", peak - 3, 6)
    facing = 1 if truth["facing"] == "right" else -1
    rear_toe, rear_knee = np.array(points["rear_toe_tip"][peak]), np.array(points["rear_knee"][peak])
    assert find_wall(frames, rear_toe, rear_knee, facing, np.array([0.0, -1.0]), [None] * 6) is None


REFERENCE_CLIPS = ["dev01", "dev04", "dev07", "dev08"]  # an ArUco marker or an A4 sheet on the floor


@needs_clips
@pytest.mark.parametrize("name", REFERENCE_CLIPS)
def test_dev_clip_with_the_floor_homography_from_the_clip(name: str) -> None:
    # The scale the pipeline would find (marker or sheet): the wall line is mapped onto the floor.
    truth = _load_truth(name)
    n_frames = json.loads((SYNTHETIC / f"{name}_gt.json").read_text())["video"]["n_frames"]
    scale = find_floor_scale([_frames(name, i, 1)[0] for i in range(0, n_frames, n_frames // 8)][:8])
    assert scale.homography_cm_to_px is not None
    frames = _frames(name, truth.peak - 3, 6)
    up = np.array([0.0, -1.0])
    wall = find_wall(frames, truth.toe_px, truth.knee_front_px, truth.facing, up, truth.boxes, scale)
    assert wall is not None
    measured = wall.toe_to_wall_cm(scale)
    assert measured is not None
    assert measured == pytest.approx(truth.toe_to_wall_cm, abs=1.0)


# ---------------------------------------------------------------- with the engine's own points (MediaPipe)


def _boxes_around(points: dict[str, FloatArray], index: int, count: int) -> list[FloatArray]:
    xy = np.array([track[index] for track in points.values()])
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = 0.1 * (hi - lo) + 10.0
    return [np.concatenate([lo - pad, hi + pad])] * count


@pytest.mark.slow
@needs_clips
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=[
                pytest.mark.xfail(
                    strict=True,
                    reason="measured: 12.57 cm against 13.63: the toe tip, placed from the foot's landmarks "
                    "(vision.pose.toe_tip), sits 1.1 cm ahead at this clip's peak (issue 10)",
                )
            ]
            if name == "dev06"
            else [],
        )
        for name in CLIPS
    ],
)
def test_dev_clip_with_the_engines_points(name: str) -> None:
    measurement = measure(SYNTHETIC / f"{name}.mp4")
    assert measurement.peak is not None
    peak = measurement.peak.frame
    index = int(np.argmin(np.abs(measurement.frames.frame_index - peak)))
    legs = measurement.frames.leg_px
    truth = json.loads((SYNTHETIC / f"{name}_gt.json").read_text())
    scale = foot_scale(float(truth["frames"]["px_per_cm_at_toe"][peak]))
    facing = 1 if measurement.facing == "right" else -1
    up = up_from_floor_angle(measurement.camera_roll_deg)
    frames = _frames(name, peak - 3, 6)
    boxes = _boxes_around(legs, index, len(frames))
    # As the pipeline does: the points' median over the frames around the peak (one frame's toe jitters
    # with the landmarks it is placed from).
    around = slice(max(index - 2, 0), index + 3)
    toe, knee = (np.nanmedian(legs[name][around], axis=0) for name in ("toe_tip", "knee_front"))
    wall = find_wall(frames, toe, knee, facing, up, boxes, scale)
    assert wall is not None
    measured = wall.toe_to_wall_cm(scale)
    assert measured is not None
    assert measured == pytest.approx(float(truth["toe_to_wall_cm"]), abs=1.0)


WALK = SYNTHETIC / ".." / "real" / "sports2d_walk_side.mp4"


@pytest.mark.slow
@pytest.mark.skipif(not WALK.is_file(), reason=f"real clip {WALK.resolve()} not found (../shared/data)")
def test_no_wall_ahead_of_a_walkers_planted_feet() -> None:
    # A side-on walk past a block wall (the back wall, parallel to the walking axis): block seams, the
    # skirting strip, conduits and the other leg are straight edges, but no wall stands in front of the feet.
    capture = cv2.VideoCapture(str(WALK))
    images: list[Image] = []
    poses: list[FramePose] = []
    with PoseEstimator(tracking=True) as estimator:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            images.append(np.asarray(frame, dtype=np.uint8))
            rgb = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), dtype=np.uint8)
            poses.append(estimator.process(rgb, len(poses), len(poses) / 30.0))
    capture.release()
    track = PoseTrack.from_frames(poses, images[0].shape[1], images[0].shape[0])
    facing = facing_direction(track)
    boxes = [quality.person_box(pose.xy_px, pose.visibility) for pose in poses]
    confident, tested = [], 0
    for side in ("left", "right"):
        leg = LegLandmarks.of(side)
        toe, knee = track.point(leg.toe_tip), track.point(leg.knee_front)
        speed = np.r_[np.inf, np.linalg.norm(np.diff(toe, axis=0), axis=1)]
        planted = [k for k in range(2, len(poses) - 2) if np.all(speed[k - 1 : k + 3] < 3.0)]
        for k in planted[::4]:
            if not (np.all(np.isfinite(toe[k])) and np.all(np.isfinite(knee[k]))):
                continue
            window = range(k - 2, k + 3)
            wall = find_wall(
                [images[i] for i in window], toe[k], knee[k], facing, LEVEL_UP, [boxes[i] for i in window]
            )
            tested += 1
            if wall is not None and wall.confidence >= 0.5:
                confident.append((side, k, round(wall.distance_px, 1), wall.evidence))
    assert tested >= 10
    assert confident == []
