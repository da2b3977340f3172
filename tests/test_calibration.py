"""Floor scale sources: synthetic scenes with an exact camera, then the rendered lunge clips' ground truth.

The synthetic scenes put a camera 1 m high, 3 m to the side of the walking axis, pitched down a little, and
render a reference flat on a grey floor (4x supersampled, blurred, noisy). World frame as in the clips: x
toward the camera, y the walking axis (image right), z up; image points use the pixel-corner origin.
"""

from __future__ import annotations

import csv
import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from clips import SYNTHETIC, missing_reason

from vision.errors import InputError
from vision.scene.calibration import (
    FloorScale,
    choose_scale,
    detect_aruco,
    detect_sheet,
    find_floor_scale,
    find_references,
)
from vision.scene.camera import camera_from_projection
from vision.scene.marker import marker_image

FloatArray = npt.NDArray[np.float64]
Image = npt.NDArray[np.uint8]

SUPERSAMPLE = 4
FLOOR_GREY = 110.0


# ---------------------------------------------------------------- a synthetic camera and renderer


@dataclass(frozen=True)
class Camera:
    projection: FloatArray  # (3, 4) world cm -> image px (pixel-corner origin)
    size: tuple[int, int]  # width, height

    def project(self, points_cm: npt.ArrayLike) -> FloatArray:
        points = np.atleast_2d(np.asarray(points_cm, np.float64))
        homogeneous = np.column_stack([points, np.ones(len(points))]) @ self.projection.T
        return homogeneous[:, :2] / homogeneous[:, 2:]

    def scale_along(self, point_cm: npt.ArrayLike, direction_cm: npt.ArrayLike) -> float:
        """Exact image px per cm at a 3D point along a 3D direction (derivative of the projection)."""
        p = np.asarray(point_cm, np.float64)
        d = np.asarray(direction_cm, np.float64) / np.linalg.norm(direction_cm)
        ends = self.project([p - 1e-3 * d, p + 1e-3 * d])
        return float(np.linalg.norm(ends[1] - ends[0]) / 2e-3)


def make_camera(
    distance_cm: float = 300.0,
    height_cm: float = 100.0,
    tilt_deg: float = 5.0,
    focal_px: float = 1000.0,
    size: tuple[int, int] = (1280, 720),
) -> Camera:
    """A camera at x = distance, z = height, looking toward -x (the walking axis y runs to image right)."""
    tilt = math.radians(tilt_deg)
    forward = np.array([-math.cos(tilt), 0.0, -math.sin(tilt)])
    right = np.array([0.0, 1.0, 0.0])
    down = np.cross(forward, right)
    rotation = np.stack([right, down, forward])
    centre = np.array([distance_cm, 0.0, height_cm])
    width, height = size
    intrinsics = np.array([[focal_px, 0, width / 2], [0, focal_px, height / 2], [0, 0, 1.0]])
    return Camera(intrinsics @ np.column_stack([rotation, -rotation @ centre]), size)


def _shift(offset: float) -> FloatArray:
    return np.array([[1.0, 0, offset], [0, 1.0, offset], [0, 0, 1.0]])


def paste(
    canvas: FloatArray, camera: Camera, texture: npt.NDArray[Any], corners_world_cm: npt.ArrayLike
) -> FloatArray:
    """``texture`` drawn on the (full-size) canvas with its corners (TL, TR, BR, BL) at these 3D points,
    rendered 4x supersampled over its bounding box and area-averaged (exact anti-aliasing)."""
    corners_px = camera.project(corners_world_cm)
    x0, y0 = np.maximum(np.floor(corners_px.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(corners_px.max(axis=0)).astype(int) + 2, camera.size)
    h, w = texture.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = ((corners_px - (x0, y0)) * SUPERSAMPLE).astype(np.float32)
    corner_homography = cv2.getPerspectiveTransform(src, dst).astype(np.float64)
    centre_homography = _shift(-0.5) @ corner_homography @ _shift(0.5)  # OpenCV warps pixel centres
    big = ((x1 - x0) * SUPERSAMPLE, (y1 - y0) * SUPERSAMPLE)
    warped = cv2.warpPerspective(texture.astype(np.float32), centre_homography, big, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), centre_homography, big, flags=cv2.INTER_NEAREST)
    small_size = (x1 - x0, y1 - y0)
    coverage = cv2.resize(mask, small_size, interpolation=cv2.INTER_AREA)
    ink = cv2.resize(warped * mask, small_size, interpolation=cv2.INTER_AREA)
    out = canvas.copy()
    out[y0:y1, x0:x1] = out[y0:y1, x0:x1] * (1 - coverage) + ink
    return out


def blank(camera: Camera) -> FloatArray:
    width, height = camera.size
    return np.full((height, width), FLOOR_GREY)


def finish(
    canvas: FloatArray, camera: Camera, seed: int = 0, blur_px: float = 0.5, noise: float = 1.5
) -> Image:
    """Blur like a lens, add sensor noise; BGR uint8."""
    blurred = cv2.GaussianBlur(canvas.astype(np.float32), (0, 0), blur_px)
    noisy = blurred + np.random.default_rng(seed).normal(0.0, noise, blurred.shape)
    gray = np.clip(np.round(noisy), 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), np.uint8)


def floor_square(centre_xy_cm: tuple[float, float], side_cm: float) -> FloatArray:
    """TL, TR, BR, BL of a square lying flat, its image-top edge away from the camera (the far edge)."""
    x, y = centre_xy_cm
    half = side_cm / 2
    return np.array(
        [[x - half, y - half, 0], [x - half, y + half, 0], [x + half, y + half, 0], [x + half, y - half, 0]]
    )


MARKER_AT = (-5.0, 12.0)  # beside the front foot on the camera side, a little behind the toes


@dataclass(frozen=True)
class MarkerScene:
    camera: Camera
    frames: list[Image]
    corners_px: FloatArray  # true black-square corners
    size_cm: float

    def marker_frame_cm(self, world_xy_cm: npt.ArrayLike) -> FloatArray:
        """World floor points in the marker's frame: x along corner 0 -> 1 (= world y), y = -world x."""
        points = np.atleast_2d(np.asarray(world_xy_cm, np.float64))
        return np.column_stack([points[:, 1] - MARKER_AT[1], -(points[:, 0] - MARKER_AT[0])])


def marker_scene(
    camera: Camera | None = None,
    size_cm: float = 10.0,
    n_frames: int = 5,
    at: tuple[float, float] = MARKER_AT,
) -> MarkerScene:
    camera = camera or make_camera()
    canvas = paste(blank(camera), camera, marker_image(0, 20), floor_square(at, size_cm * 8 / 6))
    frames = [finish(canvas, camera, seed=i) for i in range(n_frames)]
    return MarkerScene(camera, frames, camera.project(floor_square(at, size_cm)), size_cm)


@functools.cache
def default_scene() -> MarkerScene:
    return marker_scene()


@functools.cache
def default_scale() -> FloorScale:
    return find_floor_scale(default_scene().frames)


# ---------------------------------------------------------------- ArUco: accuracy on a known camera


def test_detect_aruco_refines_corners_to_a_fraction_of_a_pixel() -> None:
    scene = default_scene()
    detection = detect_aruco(scene.frames[0])
    assert detection is not None
    assert detection.marker_id == 0
    assert detection.n_good_corners == 4
    assert np.max(np.linalg.norm(detection.corners_px - scene.corners_px, axis=1)) < 0.25
    raw = detect_aruco(scene.frames[0], refine=False)
    assert raw is not None
    assert math.isnan(raw.corner_sigma_px)


def test_reference_outline_is_the_marker_with_its_white_border() -> None:
    """Where the toes cannot be: the printed marker's black square grown by its one-module white border."""
    scene, scale = default_scene(), default_scale()
    outline = scale.reference_outline_px()
    assert outline is not None
    truth = scene.camera.project(floor_square(MARKER_AT, 10.0 * 8 / 6))
    assert np.max(np.linalg.norm(outline - truth, axis=1)) < 0.5
    assert FloorScale("foot", None, 3.0, 0.02).reference_outline_px() is None


def test_marker_homography_maps_floor_points_near_the_marker() -> None:
    scene = default_scene()
    scale = default_scale()
    assert scale.source == "aruco"
    assert scale.warnings == ()
    assert scale.homography_cm_to_px is not None
    # A 60 x 60 cm patch of floor around the marker and the foot.
    xs, ys = np.meshgrid(np.linspace(-30, 20, 6), np.linspace(-15, 40, 6))
    world = np.column_stack([xs.ravel(), ys.ravel()])
    expected = scene.camera.project(np.column_stack([world, np.zeros(len(world))]))
    local = np.column_stack([scene.marker_frame_cm(world), np.ones(len(world))]) @ scale.homography_cm_to_px.T
    mapped = local[:, :2] / local[:, 2:]
    assert np.max(np.linalg.norm(mapped - expected, axis=1)) < 1.0


@pytest.mark.parametrize(
    "world_point_cm", [(-5.0, 12.0, 0.0), (-15.0, 20.0, 0.0), (-15.0, 20.0, 1.5), (-10, 0, 45)]
)
def test_px_per_cm_at_matches_the_camera_along_the_walking_axis(
    world_point_cm: tuple[float, float, float],
) -> None:
    """On the floor at the marker, at a toe tip 10 cm further away (on the floor and 1.5 cm up), and at a
    knee's depth 45 cm up."""
    scene = default_scene()
    scale = default_scale()
    point_px, ahead_px = scene.camera.project([world_point_cm, np.add(world_point_cm, (0, 1, 0))])
    expected = scene.camera.scale_along(world_point_cm, (0, 1, 0))
    measured = scale.px_per_cm_at(point_px, ahead_px - point_px, height_cm=world_point_cm[2])
    assert measured == pytest.approx(expected, rel=0.01)
    assert scale.relative_uncertainty < 0.02


def test_floor_distance_and_reference_scale() -> None:
    scene = default_scene()
    scale = default_scale()
    toe, ahead = scene.camera.project([(-15, 20, 0), (-15, 30, 0)])
    assert scale.floor_distance_cm(toe, ahead) == pytest.approx(10.0, abs=0.1)
    lifted = scene.camera.project([(-15, 20, 1.5), (-15, 30, 1.5)])
    assert scale.floor_distance_cm(*lifted, height_cm=1.5) == pytest.approx(10.0, abs=0.1)
    # Reading a point 1.5 cm up as if on the floor puts it farther away: a smaller scale, a longer distance.
    assert scale.floor_distance_cm(*lifted) > 10.1
    centre = scene.camera.project([(*MARKER_AT, 0.0)])[0]
    assert scale.px_per_cm == pytest.approx(scene.camera.scale_along((*MARKER_AT, 0.0), (0, 1, 0)), rel=0.01)
    assert scale.px_per_cm_at(centre, (1, 0)) == pytest.approx(scale.px_per_cm, rel=1e-3)
    floor_xy = scale.floor_point_cm(toe)
    assert floor_xy == pytest.approx(scene.marker_frame_cm((-15, 20))[0], abs=0.3)


def test_points_above_the_horizon_are_refused() -> None:
    scale = default_scale()
    with pytest.raises(ValueError, match="horizon"):
        scale.floor_distance_cm((640, 10), (700, 10))


def _turned_square(centre_xy_cm: tuple[float, float], side_cm: float, turn_deg: float) -> FloatArray:
    turn = math.radians(turn_deg)
    rotation = np.array(
        [[math.cos(turn), -math.sin(turn), 0], [math.sin(turn), math.cos(turn), 0], [0, 0, 1]]
    )
    return floor_square((0.0, 0.0), side_cm) @ rotation.T + (*centre_xy_cm, 0.0)


@pytest.mark.parametrize(
    ("camera", "turn_deg"),
    [
        (make_camera(distance_cm=150, height_cm=80, tilt_deg=10), 0.0),  # close: fitted on a downscaled patch
        (make_camera(), 45.0),  # marker turned on the floor
        (make_camera(distance_cm=250, height_cm=150, tilt_deg=25), 0.0),  # high camera pitched down
        (make_camera(distance_cm=250, tilt_deg=10, focal_px=900, size=(720, 1280)), 0.0),  # portrait
        (make_camera(distance_cm=400, height_cm=80, tilt_deg=0, focal_px=1500), 10.0),  # far, edge-on
    ],
    ids=["close", "turned", "pitched", "portrait", "far"],
)
def test_marker_scale_across_camera_set_ups(camera: Camera, turn_deg: float) -> None:
    canvas = paste(blank(camera), camera, marker_image(0, 20), _turned_square(MARKER_AT, 40 / 3, turn_deg))
    scale = find_floor_scale([finish(canvas, camera, seed=i) for i in range(3)])
    assert scale.source == "aruco"
    truth = camera.project(_turned_square(MARKER_AT, 10.0, turn_deg))
    assert scale.reference_corners_px is not None
    assert np.max(np.linalg.norm(scale.reference_corners_px - truth, axis=1)) < 0.4
    for point in [(-15.0, 20.0, 1.5), (-15.0, 40.0, 0.0)]:  # a toe tip; the floor 20 cm ahead of it
        here, ahead = camera.project([point, np.add(point, (0, 1, 0))])
        expected = camera.scale_along(point, (0, 1, 0))
        assert scale.px_per_cm_at(here, ahead - here, height_cm=point[2]) == pytest.approx(expected, rel=0.01)


def test_known_focal_length_removes_the_lens_guess() -> None:
    """A long lens (f = 1.17 x the long side, outside the typical-lens prior's centre) far from the marker:
    the scale 10-35 cm beyond the marker rests on the focal length, so knowing it helps."""
    camera = make_camera(distance_cm=400, height_cm=80, tilt_deg=0, focal_px=1500)
    canvas = paste(blank(camera), camera, marker_image(0, 20), _turned_square(MARKER_AT, 40 / 3, 10.0))
    frames = [finish(canvas, camera, seed=i) for i in range(3)]
    guessed, known = find_floor_scale(frames), find_floor_scale(frames, focal_px=1500.0)
    far = (-30.0, 40.0, 0.0)
    here, ahead = camera.project([far, np.add(far, (0, 1, 0))])
    expected = camera.scale_along(far, (0, 1, 0))
    assert known.px_per_cm_at(here, ahead - here) == pytest.approx(expected, rel=0.005)
    assert abs(guessed.px_per_cm_at(here, ahead - here) / expected - 1) < 2.5 * guessed.relative_uncertainty
    assert known.relative_uncertainty < guessed.relative_uncertainty


# ---------------------------------------------------------------- ArUco: bad input falls back, with a reason


def _hide_corner(image: Image, corner_px: FloatArray, radius_px: float) -> Image:
    hidden = image.copy()
    centre = (round(corner_px[0] - 0.5), round(corner_px[1] - 0.5))
    cv2.circle(hidden, centre, round(radius_px), (45, 45, 45), thickness=-1)
    return hidden


def test_hidden_corner_falls_back_to_the_foot_with_a_warning() -> None:
    scene = default_scene()
    radius = 0.3 * float(np.linalg.norm(scene.corners_px[1] - scene.corners_px[0]))
    frames = [_hide_corner(f, scene.corners_px[2], radius) for f in scene.frames[:4]] + scene.frames[4:]
    scale = find_floor_scale(frames, foot_length_px=26 * 3.0, foot_length_cm=26.0)
    assert scale.source == "foot"
    assert any("partly hidden" in w for w in scale.warnings)
    assert scale.px_per_cm == pytest.approx(3.0)
    none = find_floor_scale(frames)
    assert none.source == "none"
    assert none.px_per_cm is None
    assert any("partly hidden" in w for w in none.warnings)
    assert "no scale" in none.warnings[-1]


def test_marker_hidden_in_every_frame_is_simply_absent() -> None:
    scene = default_scene()
    radius = 0.3 * float(np.linalg.norm(scene.corners_px[1] - scene.corners_px[0]))
    frames = [_hide_corner(f, scene.corners_px[0], radius) for f in scene.frames]
    scale = find_floor_scale(frames)
    assert scale.source == "none"
    assert math.isnan(scale.relative_uncertainty)


def test_too_small_marker_says_move_closer() -> None:
    # 5 cm seen from 2.5 m up high: readable (about 19 x 10 px) but too few pixels for a 1 % scale.
    scene = marker_scene(make_camera(distance_cm=250, height_cm=150, tilt_deg=25, focal_px=900), size_cm=5.0)
    assert detect_aruco(scene.frames[0]) is not None
    scale = find_floor_scale(scene.frames, marker_size_cm=5.0)
    assert scale.source == "none"
    assert any("move the camera closer or print a bigger marker" in w for w in scale.warnings)


def test_upright_marker_is_not_taken_for_a_floor_marker() -> None:
    """A marker stuck on the wall facing the camera, its bottom edge on the floor."""
    camera = make_camera()
    outer = 10.0 * 8 / 6
    upright = np.array([[-20, 0, outer], [-20, outer, outer], [-20, outer, 0], [-20, 0, 0]], np.float64)
    frames = [
        finish(paste(blank(camera), camera, marker_image(0, 20), upright), camera, seed=i) for i in range(5)
    ]
    assert detect_aruco(frames[0]) is not None
    scale = find_floor_scale(frames)
    assert scale.source == "none"
    assert any("does not look flat on the floor" in w for w in scale.warnings)


def test_marker_size_that_contradicts_the_foot_is_not_used() -> None:
    """Printed at 10 cm but declared 5 cm: the marker would make a 26 cm foot 13 cm long."""
    scene = default_scene()
    true_scale = scene.camera.scale_along((-15, 20, 0), (0, 1, 0))
    foot_px = 26.0 * true_scale
    scale = find_floor_scale(scene.frames, marker_size_cm=5.0, foot_length_px=foot_px, foot_length_cm=26.0)
    assert scale.source == "foot"
    assert any("cannot be right" in w for w in scale.warnings)
    assert any("printed at 100 %" in w for w in scale.warnings)


def test_marker_disagreeing_with_the_foot_length_is_kept_with_a_warning() -> None:
    scene = default_scene()
    true_scale = scene.camera.scale_along((-15, 20, 0), (0, 1, 0))
    agree = find_floor_scale(scene.frames, foot_length_px=26.0 * true_scale, foot_length_cm=26.5)
    assert agree.source == "aruco"
    assert agree.warnings == ()
    disagree = find_floor_scale(scene.frames, foot_length_px=26.0 * true_scale, foot_length_cm=32.0)
    assert disagree.source == "aruco"
    assert any("32.0 cm was given" in w for w in disagree.warnings)


def test_marker_far_from_the_given_foot_length_is_not_used() -> None:
    """A 26 cm foot that the marker reads 26 cm long, but 36 cm was given (38 % off): the reference, not the
    tape, is taken to be wrong (a misread sheet or marker is 30-60 % off; the landmarks are within ~8 %)."""
    scene = default_scene()
    true_scale = scene.camera.scale_along((-15, 20, 0), (0, 1, 0))
    toe_px = scene.camera.project([(-15.0, 20.0, 1.5)])[0]
    scale = find_floor_scale(
        scene.frames, foot_length_px=26.0 * true_scale, foot_length_cm=36.0, foot_point_px=toe_px
    )
    assert scale.source == "foot"
    refusal = "the ArUco marker makes the foot 26 cm long but 36.0 cm was given"
    assert any(w.startswith(refusal) and w.endswith("it was not used") for w in scale.warnings)


def test_one_search_serves_any_foot() -> None:
    """The references are looked for once (the engine then places the toe tip knowing where they lie) and
    checked against the foot afterwards: the same search with a foot it contradicts falls back to the foot."""
    scene = default_scene()
    search = find_references(scene.frames)
    outline = search.outline_px()
    assert outline is not None
    assert np.allclose(outline, default_scale().reference_outline_px())
    assert choose_scale(search).source == "aruco"
    true_scale = scene.camera.scale_along((-15, 20, 0), (0, 1, 0))
    toe_px = scene.camera.project([(-15.0, 20.0, 1.5)])[0]
    refused = choose_scale(search, 26.0 * true_scale, 36.0, toe_px)
    assert refused.source == "foot"
    assert any(w.endswith("it was not used") for w in refused.warnings)


def test_foot_is_checked_at_its_own_depth() -> None:
    """A camera 1.2 m away, the toe 25 cm beyond the marker: at the marker's depth the foot would read 17 %
    short and be called into doubt; at the toe's own depth it reads right."""
    camera = make_camera(distance_cm=120, height_cm=60, tilt_deg=15)
    scene = marker_scene(camera, at=(5.0, 12.0))
    toe = (-20.0, 20.0, 1.5)
    foot_px = 26.0 * camera.scale_along(toe, (0, 1, 0))
    toe_px = camera.project([toe])[0]
    scale = find_floor_scale(scene.frames, foot_length_px=foot_px, foot_length_cm=26.0, foot_point_px=toe_px)
    assert scale.source == "aruco"
    assert scale.warnings == ()


# ---------------------------------------------------------------- ArUco: a grazing view (a real render)

FIXTURES = Path(__file__).parent / "fixtures"


def grazing_marker_frame() -> tuple[Image, FloatArray]:
    """The fixture's cut-out pasted back at its place in a frame of floor grey, and the true corners."""
    meta = json.loads((FIXTURES / "grazing_marker.json").read_text())
    cut = cv2.imread(str(FIXTURES / "grazing_marker.png"), cv2.IMREAD_GRAYSCALE)
    width, height = meta["frame_size_px"]
    x0, y0 = meta["crop_origin_px"]
    frame = np.full((height, width), meta["floor_grey"], np.uint8)
    frame[y0 : y0 + cut.shape[0], x0 : x0 + cut.shape[1]] = cut
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR), np.uint8), np.asarray(meta["corners_px"])


def test_marker_at_a_grazing_angle_is_read_on_a_closer_look() -> None:
    """50 x 8 px, modules of about 1 px across the line of sight, H.264: the detector outlines it but does
    not read it, even on the 2x upsampled floor; a 4x look at the outline does."""
    frame, truth = grazing_marker_frame()
    detection = detect_aruco(frame)
    assert detection is not None
    assert detection.n_good_corners == 4
    assert np.max(np.linalg.norm(detection.corners_px - truth, axis=1)) < 1.5  # 1 px modules, H.264
    scale = find_floor_scale([frame] * 3)
    assert scale.source == "aruco"


def test_moving_marker_is_not_used() -> None:
    camera = make_camera()
    frames = [marker_scene(camera, n_frames=1, at=(-5.0, 12.0 + 4 * i)).frames[0] for i in range(5)]
    scale = find_floor_scale(frames)
    assert scale.source == "none"
    assert any("moved" in w for w in scale.warnings)


# ---------------------------------------------------------------- white sheet


def sheet_scene(
    size_cm: tuple[float, float] = (21.0, 29.7), on_wall: bool = False, n_frames: int = 3
) -> tuple[Camera, list[Image], FloatArray]:
    """A white sheet, long side along the walking axis, beside the foot (or upright against a wall)."""
    camera = make_camera()
    short, long = size_cm
    x, y = -5.0, 10.0
    if on_wall:
        corners = np.array(
            [[-20, y, long], [-20, y + short, long], [-20, y + short, 0], [-20, y, 0]], np.float64
        )
    else:
        corners = np.array(
            [
                [x - short / 2, y - long / 2, 0],
                [x - short / 2, y + long / 2, 0],
                [x + short / 2, y + long / 2, 0],
                [x + short / 2, y - long / 2, 0],
            ]
        )
    canvas = paste(blank(camera), camera, np.full((64, 64), 245.0), corners)
    return camera, [finish(canvas, camera, seed=i) for i in range(n_frames)], camera.project(corners)


def _matches(found: FloatArray, truth: FloatArray) -> float:
    """Largest distance from a true corner to the nearest found one (the sheet's corner order is its own)."""
    return float(max(np.min(np.linalg.norm(found - t, axis=1)) for t in truth))


def test_a4_sheet_gives_the_floor_scale() -> None:
    camera, frames, corners = sheet_scene()
    detection = detect_sheet(frames[0])
    assert detection is not None
    assert detection.paper == "a4"
    assert _matches(detection.corners_px, corners) < 0.5
    scale = find_floor_scale(frames)
    assert scale.source == "a4"
    assert any("taken to be A4" in w for w in scale.warnings)  # a side view cannot tell A4 from Letter
    toe, ahead = camera.project([(-15, 20, 0), (-15, 30, 0)])
    expected = camera.scale_along((-15, 20, 0), (0, 1, 0))
    assert scale.px_per_cm_at(toe, ahead - toe) == pytest.approx(expected, rel=0.01)
    assert scale.floor_distance_cm(toe, ahead) == pytest.approx(10.0, abs=0.15)
    assert 0.02 < scale.relative_uncertainty < 0.05  # includes the A4-or-Letter doubt


def test_letter_sheet_when_the_paper_is_given() -> None:
    camera, frames, _ = sheet_scene((21.59, 27.94))
    scale = find_floor_scale(frames, paper="letter")
    assert scale.source == "letter"
    assert scale.warnings == ()
    toe, ahead = camera.project([(-15, 20, 0), (-15, 30, 0)])
    assert scale.floor_distance_cm(toe, ahead) == pytest.approx(10.0, abs=0.15)
    assert scale.relative_uncertainty < 0.02


def test_sheet_on_the_wall_is_not_a_floor_sheet() -> None:
    _, frames, _ = sheet_scene(on_wall=True)
    assert detect_sheet(frames[0]) is None
    assert find_floor_scale(frames).source == "none"


def test_sheet_search_region_excludes_it() -> None:
    _, frames, corners = sheet_scene()
    above = (0, 0, 1280, int(corners[:, 1].min()) - 5)
    assert detect_sheet(frames[0], search_region=above) is None


# ---------------------------------------------------------------- foot, none, validation


def test_foot_scale_and_its_uncertainty() -> None:
    camera = make_camera()
    empty = [finish(blank(camera), camera, seed=i) for i in range(3)]
    scale = find_floor_scale(empty, foot_length_px=78.0, foot_length_cm=26.0)
    assert scale.source == "foot"
    assert scale.homography_cm_to_px is None
    assert scale.px_per_cm == pytest.approx(3.0)
    expected = math.sqrt((0.5 / 26) ** 2 + 0.02**2 + (math.sqrt(2) * 2 / 78) ** 2)
    assert scale.relative_uncertainty == pytest.approx(expected)
    assert scale.px_per_cm_at((10, 10), (0, 1)) == pytest.approx(3.0)
    assert scale.floor_distance_cm((0, 0), (30, 40)) == pytest.approx(50 / 3)
    with pytest.raises(InputError):
        scale.floor_point_cm((0, 0))
    assert find_floor_scale(empty, foot_length_px=float("nan"), foot_length_cm=26.0).source == "none"


def test_no_scale_raises_when_used() -> None:
    camera = make_camera()
    scale = find_floor_scale([finish(blank(camera), camera)])
    assert scale.source == "none"
    with pytest.raises(InputError, match="no scale in cm"):
        scale.px_per_cm_at((0, 0), (1, 0))
    assert find_floor_scale([]).source == "none"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"marker_size_cm": 0.0},
        {"marker_size_cm": float("nan")},
        {"foot_length_cm": 265.0},
        {"marker_id": 50},
        {"focal_px": -1.0},
    ],
)
def test_implausible_inputs_raise(kwargs: dict[str, float]) -> None:
    with pytest.raises(InputError):
        find_floor_scale(default_scene().frames[:1], **kwargs)  # type: ignore[arg-type]


def test_floor_scale_checks_its_fields() -> None:
    with pytest.raises(ValueError, match="shape"):
        FloorScale("aruco", np.eye(2), 3.0, 0.01, projection_cm_to_px=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="no homography"):
        FloorScale("foot", np.eye(3), 3.0, 0.05)
    with pytest.raises(ValueError, match="px_per_cm"):
        FloorScale("foot", None, None, 0.05)
    with pytest.raises(ValueError, match="positive"):
        FloorScale("foot", None, -1.0, 0.05)


# ---------------------------------------------------------------- the rendered lunge clips (exact truth)

CLIPS = {
    "dev01": "aruco",
    "dev04": "aruco",
    "dev07": "a4",
    "dev08": "a4",
    "dev02": "none",
    "dev03": "none",
    "dev05": "none",
    "dev06": "none",
}
N_FRAMES = 8  # evenly spaced, as the engine passes them
SCALE_TOLERANCE = {"aruco": 0.01, "a4": 0.02}


@dataclass(frozen=True)
class Clip:
    truth: dict[str, Any]
    rows: list[dict[str, str]]
    frames: list[Image]
    indices: list[int]

    def project(self, points_cm: npt.ArrayLike) -> FloatArray:
        """World cm -> image px (pixel-corner origin) with the clip's camera (OpenGL convention, metres)."""
        camera = self.truth["camera"]
        world_to_camera = np.linalg.inv(np.asarray(camera["cam_to_world"], np.float64))
        points = np.atleast_2d(np.asarray(points_cm, np.float64)) / 100.0
        local = np.column_stack([points, np.ones(len(points))]) @ world_to_camera.T
        depth = -local[:, 2]
        return np.column_stack(
            [
                camera["cx"] + camera["fx"] * local[:, 0] / depth,
                camera["cy"] - camera["fy"] * local[:, 1] / depth,
            ]
        )

    def point_cm(self, frame: int, name: str) -> FloatArray:
        row = self.rows[frame]
        return np.array([float(row[f"{name}_{axis}_cm"]) for axis in "xyz"])


@functools.cache
def load_clip(name: str) -> Clip:
    video = SYNTHETIC / f"{name}.mp4"
    truth = json.loads((SYNTHETIC / f"{name}_gt.json").read_text())
    with open(SYNTHETIC / f"{name}_gt.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    n = int(truth["video"]["n_frames"])
    indices = [round(i * (n - 1) / (N_FRAMES - 1)) for i in range(N_FRAMES)]
    capture = cv2.VideoCapture(str(video))
    frames: list[Image] = []
    for index in range(n):
        ok, frame = capture.read()
        if not ok:
            break
        if index in indices:
            frames.append(np.asarray(frame, np.uint8))
    capture.release()
    assert len(frames) == N_FRAMES
    return Clip(truth, rows, frames, indices)


@functools.cache
def clip_scale(name: str) -> FloorScale:
    return find_floor_scale(load_clip(name).frames)


def _needs_clips() -> None:
    if not (SYNTHETIC / "dev01_gt.json").is_file():
        pytest.skip(missing_reason(SYNTHETIC))


@pytest.mark.parametrize(("name", "source"), CLIPS.items())
def test_clip_scale_source(name: str, source: str) -> None:
    """The marker and sheet clips are found; the others give no marker or sheet (no false positives)."""
    _needs_clips()
    assert clip_scale(name).source == source


@pytest.mark.parametrize("name", [n for n, s in CLIPS.items() if s != "none"])
def test_clip_reference_corners_match_the_truth(name: str) -> None:
    _needs_clips()
    clip, scale = load_clip(name), clip_scale(name)
    truth = np.asarray(clip.truth["frames"]["marker_corners_px"][0], np.float64)
    assert scale.reference_corners_px is not None
    if CLIPS[name] == "aruco":  # same (OpenCV) order
        assert np.max(np.linalg.norm(scale.reference_corners_px - truth, axis=1)) < 1.0
    else:
        assert _matches(scale.reference_corners_px, truth) < 1.0


@pytest.mark.parametrize("name", [n for n, s in CLIPS.items() if s != "none"])
def test_clip_scale_at_the_toe(name: str) -> None:
    """The walking-axis scale at the toe tip (1.4-1.8 cm above the floor), and the floor distance from the
    toe to a point 10 cm ahead along the walking axis."""
    _needs_clips()
    clip, scale = load_clip(name), clip_scale(name)
    for frame in clip.indices[::3]:
        toe = clip.point_cm(frame, "toe_tip")
        toe_px, ahead_px = clip.project([toe, toe + np.array([0, 10, 0])])
        assert toe_px == pytest.approx(clip.truth["frames"]["points2d"]["toe_tip"][frame], abs=0.1)
        expected = clip.truth["frames"]["px_per_cm_at_toe"][frame]
        measured = scale.px_per_cm_at(toe_px, ahead_px - toe_px, height_cm=toe[2])
        assert measured == pytest.approx(expected, rel=SCALE_TOLERANCE[CLIPS[name]])
        assert scale.floor_distance_cm(toe_px, ahead_px, height_cm=toe[2]) == pytest.approx(10.0, abs=0.2)
        # The floor under the toe tip is at the same depth: the same scale.
        under_px, under_ahead_px = clip.project([toe * (1, 1, 0), toe * (1, 1, 0) + (0, 10, 0)])
        assert scale.px_per_cm_at(under_px, under_ahead_px - under_px) == pytest.approx(
            expected, rel=SCALE_TOLERANCE[CLIPS[name]]
        )
        assert scale.floor_distance_cm(under_px, under_ahead_px) == pytest.approx(10.0, abs=0.2)


@pytest.mark.parametrize("name", [n for n, s in CLIPS.items() if s != "none"])
def test_clip_uncertainty_covers_the_error(name: str) -> None:
    _needs_clips()
    clip, scale = load_clip(name), clip_scale(name)
    toe = clip.point_cm(0, "toe_tip")
    toe_px, ahead_px = clip.project([toe, toe + np.array([0, 1, 0])])
    error = (
        scale.px_per_cm_at(toe_px, ahead_px - toe_px, height_cm=toe[2])
        / clip.truth["frames"]["px_per_cm_at_toe"][0]
        - 1
    )
    assert abs(error) < 3 * scale.relative_uncertainty


def _with_the_foot(name: str) -> FloorScale:
    """The clip's scale with the foot given as the engine gives it: the foot length in cm (heel to toe tip),
    its length in px of a square-on view at the toe's depth, and the toe tip in the image."""
    clip = load_clip(name)
    heel, toe = clip.point_cm(0, "heel"), clip.point_cm(0, "toe_tip")
    foot_cm = float(toe[1] - heel[1])
    return find_floor_scale(
        clip.frames,
        foot_length_px=foot_cm * clip.truth["frames"]["px_per_cm_at_toe"][0],
        foot_length_cm=foot_cm,
        foot_point_px=clip.truth["frames"]["points2d"]["toe_tip"][0],
    )


def _toe_scale_error(name: str, scale: FloorScale) -> float:
    clip = load_clip(name)
    toe = clip.point_cm(0, "toe_tip")
    toe_px, ahead_px = clip.project([toe, toe + np.array([0, 1, 0])])
    measured = scale.px_per_cm_at(toe_px, ahead_px - toe_px, height_cm=toe[2])
    return float(measured / clip.truth["frames"]["px_per_cm_at_toe"][0] - 1)


def test_clip_sheet_with_a_crooked_phone_is_used() -> None:
    """dev2_07: a phone rolled 9 deg, 44 cm above the floor, sees the sheet 10 px deep. Read along the
    image's horizontal the sheet made the foot 46 cm long and was refused; at the foot's depth it agrees."""
    _needs_clips()
    scale = _with_the_foot("dev2_07")
    assert scale.source == "a4"
    assert abs(_toe_scale_error("dev2_07", scale)) < 2 * scale.relative_uncertainty


def test_clip_thin_sheet_is_used_only_if_it_agrees_with_the_foot() -> None:
    """dev2_05: a sheet 77 x 6 px from a camera 52 cm up, looking up 7 deg: its corners are found, but the
    camera fitted to them may extrapolate badly to the toe. Either the scale holds at the toe, or the sheet
    is refused because of the foot, in words."""
    _needs_clips()
    scale = _with_the_foot("dev2_05")
    if scale.source == "a4":
        assert abs(_toe_scale_error("dev2_05", scale)) < 2 * scale.relative_uncertainty
    else:
        assert scale.source == "foot"
        assert any(w.startswith("the white sheet makes the foot") for w in scale.warnings)


def test_clip_without_reference_uses_the_foot() -> None:
    _needs_clips()
    scale = find_floor_scale(load_clip("dev02").frames, foot_length_px=60.0, foot_length_cm=25.0)
    assert scale.source == "foot"
    assert scale.px_per_cm == pytest.approx(2.4)


# ---------------------------------------------------------------- the marker's camera (vision.scene.camera)


@pytest.mark.parametrize("world_point_cm", [(-5.0, 12.0, 0.0), (-15.0, 20.0, 1.5), (-30.0, -10.0, 0.0)])
def test_depth_cm_is_the_distance_along_the_optical_axis(world_point_cm: tuple[float, float, float]) -> None:
    """The default camera stands at x = 300, z = 100 cm and looks toward -x, 5 deg down."""
    scene = default_scene()
    point_px = scene.camera.project([world_point_cm])[0]
    tilt = math.radians(5.0)
    optical_axis = np.array([-math.cos(tilt), 0.0, -math.sin(tilt)])
    expected = float((np.array(world_point_cm) - np.array([300.0, 0.0, 100.0])) @ optical_axis)
    assert default_scale().depth_cm(point_px, world_point_cm[2]) == pytest.approx(expected, rel=0.01)


def test_camera_from_the_marker_has_its_tilt_focal_length_and_walking_axis() -> None:
    scale = default_scale()
    assert scale.projection_cm_to_px is not None
    camera = camera_from_projection(scale.projection_cm_to_px, default_scene().camera.size, "aruco")
    assert camera.focal_px == pytest.approx(1000.0, rel=0.03)
    assert camera.tilt_deg == pytest.approx(5.0, abs=0.5)
    assert camera.yaw_known
    assert camera.axis_turn_deg == pytest.approx(0.0, abs=0.5)
