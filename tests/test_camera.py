"""Tests for vision.scene.roll, vision.scene.camera and vision.scene.camera_search: camera roll, tilt and yaw
from straight scene edges and floor markers.

Sign convention: a roll of +r means the scene appears rotated counter-clockwise by r on screen, which is
what ``cv2.getRotationMatrix2D(centre, r, 1)`` does to an image (positive angle = counter-clockwise).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from vision.geometry import sagittal_angle_deg
from vision.pose.landmarks import Side
from vision.scene.camera import FOCAL_FRACTION, CameraPose, camera_from_projection
from vision.scene.camera_search import MAX_SCENE_TILT_DEG, scene_camera
from vision.scene.roll import (
    MIN_SUPPORT_FRACTION,
    RollEstimate,
    SceneEdges,
    detect_segments,
    estimate_roll,
    roll_from_edges,
    roll_from_segments,
)

FloatArray = npt.NDArray[np.float64]
Image = npt.NDArray[np.uint8]

WIDTH, HEIGHT = 1280, 720
DIAGONAL = math.hypot(WIDTH, HEIGHT)
BACKGROUND = (200, 200, 200)


# ---------------------------------------------------------------- roll_from_segments on hand-made segments


def rolled_segments(roll_deg: float, n_vertical: int, n_horizontal: int, seed: int) -> FloatArray:
    """Scene verticals and horizontals (150-500 px) seen by a camera rolled by ``roll_deg``, random order."""
    rng = np.random.default_rng(seed)
    r = math.radians(roll_deg)
    up = np.array([-math.sin(r), -math.cos(r)])  # the scene's vertical, in pixels (y down)
    along = np.array([math.cos(r), -math.sin(r)])  # the scene's horizontal
    directions = [up] * n_vertical + [along] * n_horizontal
    segments = []
    for direction in directions:
        centre = rng.uniform([100, 100], [WIDTH - 100, HEIGHT - 100])
        half = rng.uniform(75, 250) * direction * rng.choice([-1.0, 1.0])  # either endpoint first
        segments.append(np.concatenate([centre - half, centre + half]))
    return np.array(segments)


def outlier_segments(roll_deg: float, n: int, seed: int) -> FloatArray:
    """Long segments at random angles within 20 deg of an axis but at least 3 deg away from the roll."""
    rng = np.random.default_rng(seed)
    segments = []
    while len(segments) < n:
        deviation = rng.uniform(-20.0, 20.0)
        if abs(deviation - roll_deg) < 3.0:
            continue
        segments.append(rolled_segments(deviation, 1, 0, int(rng.integers(1 << 30)))[0])
    return np.array(segments)


@pytest.mark.parametrize("roll_deg", [-15.0, -7.5, -2.2, 0.0, 0.3, 4.0, 11.7, 18.0])
def test_roll_from_segments_recovers_the_roll(roll_deg: float) -> None:
    seed = int(roll_deg * 10) + 500
    good = rolled_segments(roll_deg, n_vertical=8, n_horizontal=6, seed=seed)
    segments = np.vstack([good, outlier_segments(roll_deg, 5, seed + 1)])
    segments = segments[np.random.default_rng(seed).permutation(len(segments))]
    estimate = roll_from_segments(segments, DIAGONAL)
    assert abs(estimate.roll_deg - roll_deg) < 0.1, estimate
    assert estimate.reliable
    assert estimate.n_segments == len(good)
    np.testing.assert_allclose(
        estimate.support_fraction, np.hypot(good[:, 2] - good[:, 0], good[:, 3] - good[:, 1]).sum() / DIAGONAL
    )


@pytest.mark.parametrize(
    ("segments", "why"),
    [
        (np.empty((0, 4)), "no segments"),
        (rolled_segments(3.0, 0, 0, seed=1).reshape(0, 4), "no segments"),
        (
            np.array([[100.0, 100.0, 100.0, 150.0], [300.0, 200.0, 360.0, 200.0]]),
            "all shorter than 6% of the diagonal",
        ),
        (rolled_segments(30.0, 6, 6, seed=2), "all tilted more than 20 degrees from the axes"),
    ],
)
def test_roll_from_segments_without_usable_edges_is_nan(segments: FloatArray, why: str) -> None:
    estimate = roll_from_segments(segments, DIAGONAL)
    assert math.isnan(estimate.roll_deg), why
    assert not estimate.reliable
    assert estimate.n_segments == 0


def test_roll_from_segments_with_little_support_is_not_reliable() -> None:
    segments = rolled_segments(5.0, 1, 0, seed=3)
    length = float(np.hypot(*(segments[0, 2:] - segments[0, :2])))
    assert length < MIN_SUPPORT_FRACTION * DIAGONAL
    estimate = roll_from_segments(segments, DIAGONAL)
    np.testing.assert_allclose(estimate.roll_deg, 5.0, atol=1e-9)  # measured...
    assert not estimate.reliable  # ...but one short edge is not enough to trust it


# ---------------------------------------------------------------- estimate_roll on rendered images


def rotate(image: Image, angle_deg: float) -> Image:
    """Rotate counter-clockwise on screen by ``angle_deg`` about the centre, same size, edges replicated."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle_deg, 1.0)
    return cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def centre_crop(big: Image) -> Image:
    """The central WIDTH x HEIGHT part of a large render: no rotated image corners are in view."""
    cy, cx = big.shape[0] // 2, big.shape[1] // 2
    return np.ascontiguousarray(big[cy - HEIGHT // 2 : cy + HEIGHT // 2, cx - WIDTH // 2 : cx + WIDTH // 2])


def room(roll_deg: float) -> Image:
    """A grid of wall lines and a door, filmed with a camera rolled by ``roll_deg``."""
    big = np.full((2000, 2000, 3), BACKGROUND, np.uint8)
    for x in range(200, 1800, 170):
        cv2.line(big, (x, 100), (x, 1900), (60, 60, 60), 4)
    for y in range(250, 1800, 230):
        cv2.line(big, (100, y), (1900, y), (40, 40, 40), 4)
    cv2.rectangle(big, (700, 600), (1000, 1300), (120, 30, 30), -1)
    return centre_crop(rotate(big, roll_deg))


@pytest.mark.parametrize("roll_deg", [-10.0, -6.5, -3.0, -0.4, 0.0, 1.7, 5.0, 10.0])
def test_estimate_roll_on_a_rendered_room(roll_deg: float) -> None:
    estimate = estimate_roll([room(roll_deg)], [None])
    assert estimate.reliable, estimate
    assert abs(estimate.roll_deg - roll_deg) < 0.5, estimate


def test_estimate_roll_support_is_per_frame() -> None:
    image = room(2.0)
    one = estimate_roll([image], [None])
    three = estimate_roll([image, image, image], [None, None, None])
    np.testing.assert_allclose(three.roll_deg, one.roll_deg, atol=1e-6)
    np.testing.assert_allclose(three.support_fraction, one.support_fraction, rtol=1e-6)


@pytest.mark.parametrize("images", [[], [np.full((HEIGHT, WIDTH, 3), 128, np.uint8)]])
def test_estimate_roll_without_edges_is_unreliable(images: list[Image]) -> None:
    estimate = estimate_roll(images, [None] * len(images))
    assert math.isnan(estimate.roll_deg)
    assert not estimate.reliable


PERSON_BOX = (450, 100, 850, 600)


def room_with_person(roll_deg: float, person_deg: float) -> Image:
    """A sparse room (two door posts, two floor/ceiling lines, all inside the frame) rolled by ``roll_deg``,
    and in PERSON_BOX nine long parallel edges (limbs, clothing) leaning ``person_deg`` the other way."""
    big = np.full((2000, 2000, 3), BACKGROUND, np.uint8)
    for x in (500, 1400):
        cv2.line(big, (x, 700), (x, 1300), (60, 60, 60), 5)
    for y in (730, 1250):
        cv2.line(big, (420, y), (1580, y), (40, 40, 40), 5)
    image = centre_crop(rotate(big, roll_deg))
    x0, y0, x1, y1 = PERSON_BOX
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    a = math.radians(person_deg)
    up = np.array([-math.sin(a), -math.cos(a)])
    for k in range(-4, 5):
        offset = centre + k * 30.0 * np.array([math.cos(a), -math.sin(a)])
        p, q = np.round(offset - 200 * up).astype(int), np.round(offset + 200 * up).astype(int)
        cv2.line(image, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), (30, 30, 30), 6)
    return image


def box_region(box: tuple[float, float, float, float]) -> npt.NDArray[np.bool_]:
    region = np.zeros((HEIGHT, WIDTH), dtype=bool)
    x0, y0, x1, y1 = (round(v) for v in box)
    region[y0 : y1 + 1, x0 : x1 + 1] = True
    return region


def test_the_persons_region_excludes_their_edges() -> None:
    image = room_with_person(4.0, -9.0)
    x0, y0, x1, y1 = PERSON_BOX
    region = box_region((x0 - 30, y0 - 30, x1 + 30, y1 + 30))

    fooled = estimate_roll([image], [None])
    assert abs(fooled.roll_deg - 4.0) > 5.0, fooled  # the person's edges dominate without the region

    estimate = estimate_roll([image], [region])
    assert estimate.reliable, estimate
    assert abs(estimate.roll_deg - 4.0) < 0.5, estimate

    kept = detect_segments(image, region)
    everything = detect_segments(image)
    assert 0 < len(kept) < len(everything)
    ends_and_middle = np.stack([kept[:, :2], (kept[:, :2] + kept[:, 2:]) / 2, kept[:, 2:]], axis=1)
    rows = np.clip(np.rint(ends_and_middle[..., 1]).astype(int), 0, HEIGHT - 1)
    cols = np.clip(np.rint(ends_and_middle[..., 0]).astype(int), 0, WIDTH - 1)
    assert not region[rows, cols].all(axis=1).any()


def test_a_wall_edge_the_hand_touches_still_counts() -> None:
    """A door post running the frame's height, with the person's region over a short stretch of it (a hand
    on the wall): the post is the scene's and gives the roll."""
    big = np.full((2000, 2000, 3), BACKGROUND, np.uint8)
    cv2.line(big, (1300, 0), (1300, 2000), (60, 60, 60), 5)
    image = centre_crop(rotate(big, 3.0))
    post = detect_segments(image)
    assert len(post)
    x_mid = float(np.median(post[:, [0, 2]]))
    hand = box_region((x_mid - 40, 300, x_mid + 40, 380))
    kept = detect_segments(image, hand)
    assert len(kept)
    assert np.hypot(*(kept[:, 2:] - kept[:, :2]).T).max() > 0.5 * HEIGHT
    estimate = estimate_roll([image], [hand])
    assert estimate.reliable, estimate
    assert abs(estimate.roll_deg - 3.0) < 0.5, estimate


@pytest.mark.parametrize("roll_deg", [-6.0, 3.0])
def test_edges_that_run_out_of_the_frame_are_used(roll_deg: float) -> None:
    """Two wall corners spanning the whole frame height, nothing else: the commonest scene in a hallway."""
    big = np.full((2000, 2000, 3), BACKGROUND, np.uint8)
    for x in (500, 1400):
        cv2.line(big, (x, 0), (x, 2000), (60, 60, 60), 5)
    estimate = estimate_roll([centre_crop(rotate(big, roll_deg))], [None])
    assert estimate.reliable, estimate
    assert abs(estimate.roll_deg - roll_deg) < 0.5, estimate


# ---------------------------------------------------------------- CameraPose: tilt and yaw


def level_axis(tilt_deg: float) -> tuple[FloatArray, FloatArray]:
    """(up, horizontal optical axis) in camera coordinates for a camera looking ``tilt_deg`` down."""
    t = math.radians(tilt_deg)
    return np.array([0.0, -math.cos(t), -math.sin(t)]), np.array([0.0, -math.sin(t), math.cos(t)])


def test_camera_pose_refuses_non_unit_or_non_horizontal_axes() -> None:
    centre = np.array([640.0, 360.0])
    with pytest.raises(ValueError, match="unit"):
        CameraPose(1000.0, centre, np.array([0.0, -2.0, 0.0]), np.array([0.0, 0.0, 1.0]), "test")
    with pytest.raises(ValueError, match="horizontal"):
        CameraPose(1000.0, centre, np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.6, 0.8]), "test")
    with pytest.raises(ValueError, match="focal"):
        CameraPose(0.0, centre, np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0]), "test")


def test_level_camera_is_square_on() -> None:
    camera = CameraPose.level((WIDTH, HEIGHT))
    assert camera.tilt_deg == 0.0
    assert camera.axis_turn_deg == 0.0
    assert not camera.yaw_known
    np.testing.assert_allclose(camera.forward(1), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(camera.forward(-1), [-1.0, 0.0, 0.0])
    assert camera.focal_px == pytest.approx(FOCAL_FRACTION * WIDTH)


@pytest.mark.parametrize("turn_deg", [-25.0, -6.8, 0.0, 3.3, 13.5])
@pytest.mark.parametrize("tilt_deg", [-7.0, 0.0, 12.0])
def test_axis_turn_round_trip_and_yaw_sign(turn_deg: float, tilt_deg: float) -> None:
    up, _ = level_axis(tilt_deg)
    camera = CameraPose.from_up(up, (WIDTH, HEIGHT), None, "test").with_axis_turn(turn_deg, "test")
    assert camera.tilt_deg == pytest.approx(tilt_deg, abs=1e-9)
    assert camera.axis_turn_deg == pytest.approx(turn_deg, abs=1e-9)
    for facing in (1, -1):
        assert camera.yaw_deg(facing) == pytest.approx(facing * turn_deg, abs=1e-9)
        # + yaw: the toes point away from the camera (deeper along the optical axis).
        assert np.sign(camera.forward(facing)[2]) == np.sign(round(camera.yaw_deg(facing), 9))
    np.testing.assert_allclose(camera.forward(1) @ camera.up, 0.0, atol=1e-12)


@pytest.mark.parametrize("tilt_deg", [-8.0, 0.0, 4.5, 15.0])
def test_tilt_from_the_verticals_vanishing_point(tilt_deg: float) -> None:
    up, _ = level_axis(tilt_deg)
    focal = FOCAL_FRACTION * WIDTH
    intrinsics = np.array([[focal, 0.0, WIDTH / 2], [0.0, focal, HEIGHT / 2], [0.0, 0.0, 1.0]])
    roll = RollEstimate(0.0, 5.0, 10, intrinsics @ up, "vertical vanishing point")
    camera = CameraPose.from_roll(roll, (WIDTH, HEIGHT))
    assert camera.tilt_deg == pytest.approx(tilt_deg, abs=1e-6)
    assert camera.axis_turn_deg == pytest.approx(0.0, abs=1e-9)


def test_roll_without_a_vanishing_point_gives_a_level_tilt() -> None:
    camera = CameraPose.from_roll(RollEstimate(5.0, 2.0, 8, None, "vertical edges"), (WIDTH, HEIGHT))
    assert camera.tilt_deg == pytest.approx(0.0, abs=1e-9)
    # Rolled 5 deg counter-clockwise on screen: up leans toward image left.
    np.testing.assert_allclose(camera.up[:2], [-math.sin(math.radians(5)), -math.cos(math.radians(5))])


def projection_of(tilt_deg: float, turn_deg: float, marker_turn_deg: float = 0.0) -> FloatArray:
    """(3, 4) K [R | t] of a floor marker frame (x along its first edge, z up) 300 cm from the camera."""
    up, axis = level_axis(tilt_deg)
    right = np.array([1.0, 0.0, 0.0])
    y, m = math.radians(turn_deg), math.radians(marker_turn_deg)
    walking = math.cos(y) * right + math.sin(y) * axis
    across = math.cos(y) * axis - math.sin(y) * right
    edge_x = math.cos(m) * walking + math.sin(m) * across
    edge_y = np.cross(up, edge_x)
    rotation = np.column_stack([edge_x, edge_y, up])
    intrinsics = np.array([[1000.0, 0.0, WIDTH / 2], [0.0, 1000.0, HEIGHT / 2], [0.0, 0.0, 1.0]])
    return intrinsics @ np.column_stack([rotation, 300.0 * axis + 80.0 * -up])


@pytest.mark.parametrize(
    ("tilt_deg", "turn_deg", "marker_turn_deg"), [(5.0, 0.0, 0.0), (-2.5, -12.1, 90.0), (7.1, 5.1, 180.0)]
)
def test_camera_from_a_marker_square_to_the_foot(
    tilt_deg: float, turn_deg: float, marker_turn_deg: float
) -> None:
    """Any of the marker's four edge directions may lie along the foot."""
    camera = camera_from_projection(
        projection_of(tilt_deg, turn_deg, marker_turn_deg), (WIDTH, HEIGHT), "aruco"
    )
    assert camera.focal_px == pytest.approx(1000.0)
    assert camera.tilt_deg == pytest.approx(tilt_deg, abs=1e-6)
    assert camera.yaw_known
    assert camera.axis_turn_deg == pytest.approx(turn_deg, abs=1e-6)


def test_a_marker_turned_45_degrees_gives_no_yaw() -> None:
    camera = camera_from_projection(projection_of(5.0, 0.0, 45.0), (WIDTH, HEIGHT), "aruco")
    assert not camera.yaw_known
    assert camera.tilt_deg == pytest.approx(5.0, abs=1e-6)


# ---------------------------------------------------------------- scene_camera on a projected room


def room_segments(tilt_deg: float, turn_deg: float, families: str = "xyz", seed: int = 3) -> FloatArray:
    """Image segments of room lines (x: square to the facing wall, y: along the walking axis, z: vertical)
    seen by a camera 1 m up looking ``tilt_deg`` down with the walking axis turned by ``turn_deg``."""
    rng = np.random.default_rng(seed)
    up, axis = level_axis(tilt_deg)
    right = np.array([1.0, 0.0, 0.0])
    y = math.radians(turn_deg)
    walking = math.cos(y) * right + math.sin(y) * axis
    across = math.cos(y) * axis - math.sin(y) * right
    directions = {"x": across, "y": walking, "z": up}
    focal = FOCAL_FRACTION * WIDTH
    centre = np.array([WIDTH / 2, HEIGHT / 2])
    segments: list[FloatArray] = []
    for family in families:
        count = 0
        while count < 12:
            seen_at = rng.uniform([50, 50], [WIDTH - 50, HEIGHT - 50])
            start = rng.uniform(250, 500) * np.append((seen_at - centre) / focal, 1.0)
            end = start + rng.uniform(40, 100) * directions[family]
            px = focal * np.stack([start, end])[:, :2] / np.stack([start, end])[:, 2:] + centre
            if (
                end[2] > 50
                and np.all((px >= 0) & (px < [WIDTH, HEIGHT]))
                and np.linalg.norm(px[1] - px[0]) > 60
            ):
                segments.append(px.ravel())
                count += 1
    return np.array(segments)


@pytest.mark.parametrize(("tilt_deg", "turn_deg"), [(0.0, 0.0), (4.5, -13.5), (-6.0, 8.0), (7.0, 3.0)])
def test_scene_camera_recovers_tilt_and_yaw_from_a_room(tilt_deg: float, turn_deg: float) -> None:
    edges = SceneEdges(room_segments(tilt_deg, turn_deg), (WIDTH, HEIGHT), 1)
    camera = scene_camera(edges, roll_from_edges(edges))
    assert camera.yaw_known
    assert camera.tilt_deg == pytest.approx(tilt_deg, abs=0.5)
    assert camera.axis_turn_deg == pytest.approx(turn_deg, abs=0.5)


def test_scene_camera_without_depth_lines_does_not_guess_the_yaw() -> None:
    """Only verticals and lines along the walking axis, square-on: the yaw is not pinned down."""
    edges = SceneEdges(room_segments(0.0, 0.0, families="yz"), (WIDTH, HEIGHT), 1)
    camera = scene_camera(edges, roll_from_edges(edges))
    assert not camera.yaw_known


@pytest.mark.parametrize(("tilt_deg", "turn_deg"), [(4.5, -13.5), (-6.0, 8.0)])
def test_scene_camera_needs_verticals_unless_the_roll_came_from_them(
    tilt_deg: float, turn_deg: float
) -> None:
    """Floor boards and level lines alone (no verticals): roll, tilt and turn trade against each other, so
    the camera is not claimed measured; with the verticals added it is."""
    level_only = SceneEdges(room_segments(tilt_deg, turn_deg, families="xy"), (WIDTH, HEIGHT), 1)
    camera = scene_camera(level_only, roll_from_edges(level_only))
    assert not camera.tilt_known
    assert not camera.yaw_known
    with_verticals = SceneEdges(room_segments(tilt_deg, turn_deg, families="xyz"), (WIDTH, HEIGHT), 1)
    assert scene_camera(with_verticals, roll_from_edges(with_verticals)).yaw_known


def test_scene_camera_does_not_claim_a_steep_tilt() -> None:
    """A room seen 20 deg from level (beyond MAX_SCENE_TILT_DEG): more often slanted lines misread than a
    phone aimed that steeply at a side-on lunge, so the tilt is left unmeasured."""
    edges = SceneEdges(room_segments(20.0, 5.0), (WIDTH, HEIGHT), 1)
    camera = scene_camera(edges, roll_from_edges(edges))
    assert not camera.yaw_known
    assert MAX_SCENE_TILT_DEG < 20.0


# ---------------------------------------------------------------- what an unmeasured orientation could be


@pytest.mark.parametrize(
    ("tilt_deg", "by_deg", "turn_deg"), [(0.0, 5.0, 0.0), (4.5, -5.0, 13.5), (-6.8, 3.0, -7.0)]
)
def test_tilted_adds_to_the_tilt_and_keeps_the_turn(tilt_deg: float, by_deg: float, turn_deg: float) -> None:
    up, _ = level_axis(tilt_deg)
    camera = CameraPose.from_up(up, (WIDTH, HEIGHT), None, "test").with_axis_turn(turn_deg, "test")
    tilted = camera.tilted(by_deg)
    assert tilted.tilt_deg == pytest.approx(tilt_deg + by_deg, abs=1e-9)
    assert tilted.axis_turn_deg == pytest.approx(turn_deg, abs=1e-9)
    assert (tilted.yaw_known, tilted.tilt_known, tilted.source) == (True, True, camera.source)


def test_doubts_cover_only_what_was_not_measured() -> None:
    level = CameraPose.level((WIDTH, HEIGHT))
    assert not level.tilt_known
    assert not level.yaw_known
    (tilts, turns) = level.doubts(5.0)
    assert [c.tilt_deg for c in tilts] == pytest.approx([-5.0, 5.0])
    assert [c.axis_turn_deg for c in turns] == pytest.approx([-5.0, 5.0])
    assert [c.tilt_deg for c in turns] == pytest.approx([0.0, 0.0])
    measured = camera_from_projection(projection_of(5.0, 10.0), (WIDTH, HEIGHT), "aruco")
    assert measured.doubts(5.0) == []
    roll_only = CameraPose.from_roll(RollEstimate(2.0, 2.0, 8, None, "vertical edges"), (WIDTH, HEIGHT))
    assert len(roll_only.doubts(5.0)) == 2


@pytest.mark.parametrize("tilt_deg", [-8.0, 0.0, 6.0])
@pytest.mark.parametrize("point_px", [(640.0, 360.0), (100.0, 650.0), (1200.0, 80.0)])
def test_up_at_points_along_the_projected_vertical(tilt_deg: float, point_px: tuple[float, float]) -> None:
    """A 3D vertical segment through the point's ray projects along ``up_at``; a level camera: straight up."""
    up, _ = level_axis(tilt_deg)
    camera = CameraPose.from_up(up, (WIDTH, HEIGHT), 1000.0, "test")
    base = 300.0 * camera.rays(np.array(point_px))
    top = base + 10.0 * up
    top_px = 1000.0 * top[:2] / top[2] + camera.centre_px
    expected = (top_px - np.array(point_px)) / np.linalg.norm(top_px - np.array(point_px))
    np.testing.assert_allclose(camera.up_at(np.array(point_px)), expected, atol=1e-3)
    if tilt_deg == 0.0:
        np.testing.assert_allclose(camera.up_at(np.array(point_px)), [0.0, -1.0], atol=1e-12)


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize(("tilt_deg", "turn_deg"), [(6.0, 12.0), (-8.0, -10.0)])
def test_shin_plane_takes_the_shins_lean_out_of_a_turned_cameras_reading(
    side: Side, facing: int, tilt_deg: float, turn_deg: float
) -> None:
    """A shin 40 deg forward whose knee sits 7 deg toward the leg's inside, seen by a tilted, turned camera:
    the tipped plane gives back 40 deg; the upright sagittal plane is off (up to about a degree)."""
    up, _ = level_axis(tilt_deg)
    camera = CameraPose.from_up(up, (WIDTH, HEIGHT), 1000.0, "test").with_axis_turn(turn_deg, "test")
    forward = camera.forward(facing)
    person_right = np.cross(forward, camera.up)
    outside = person_right if side == "right" else -person_right
    lean, theta = math.radians(-7.0), math.radians(40.0)
    shin = math.cos(theta) * (camera.up + math.tan(lean) * outside) + math.sin(theta) * forward
    ankle = 250.0 * camera.rays(np.array([600.0, 500.0]))
    knee = ankle + 40.0 * shin
    rays = [point / point[2] for point in (knee, ankle)]

    def angle(normal: FloatArray) -> float:
        return float(sagittal_angle_deg(rays[0][None], rays[1][None], normal, camera.up, forward)[0])

    tipped = camera.shin_plane_normal(facing, side, -7.0)
    assert angle(tipped) == pytest.approx(40.0, abs=1e-6)
    assert abs(angle(camera.across) - 40.0) > 0.1
    np.testing.assert_allclose(abs(camera.shin_plane_normal(facing, side, 0.0) @ camera.across), 1.0)
