"""Tests for vision.geometry: hand-built points with hand-checkable angles, then real motion capture.

Pixel convention: x right, y down. A "roll" of r degrees rotates the scene counter-clockwise on screen, which
in pixel coordinates is the matrix [[cos r, sin r], [-sin r, cos r]].
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from vision.geometry import (
    LEVEL_UP,
    distance_along_px,
    fit_floor_angle_deg,
    forward_unit,
    height_above_px,
    sagittal_angle_deg,
    sagittal_offsets,
    segment_length_px,
    shin_angle_deg,
    up_from_floor_angle,
)

FloatArray = npt.NDArray[np.float64]
ATAN_3_4 = math.degrees(math.atan(3 / 4))  # 36.8699 deg: the 3-4-5 triangle
ATAN_4_3 = math.degrees(math.atan(4 / 3))  # 53.1301 deg


def screen_rotation(roll_deg: float) -> FloatArray:
    """Pixel-coordinate matrix of a counter-clockwise on-screen rotation by ``roll_deg``."""
    r = math.radians(roll_deg)
    return np.array([[math.cos(r), math.sin(r)], [-math.sin(r), math.cos(r)]])


def rotate_about(points: FloatArray, roll_deg: float, centre: FloatArray) -> FloatArray:
    return (np.asarray(points) - centre) @ screen_rotation(roll_deg).T + centre


# ---------------------------------------------------------------- shin angle on hand-built points


@pytest.mark.parametrize(
    ("shin_offset", "facing", "expected_deg"),
    [
        ((0.0, -100.0), 1, 0.0),  # knee straight above the ankle
        ((0.0, -100.0), -1, 0.0),
        ((30.0, -40.0), 1, ATAN_3_4),  # 3 forward, 4 up
        ((40.0, -30.0), 1, ATAN_4_3),  # 4 forward, 3 up
        ((-30.0, -40.0), 1, -ATAN_3_4),  # knee behind the ankle
        ((-30.0, -40.0), -1, ATAN_3_4),  # facing left, knee to the left = ahead
        ((30.0, -40.0), -1, -ATAN_3_4),
        ((50.0, -50.0), 1, 45.0),
        ((50.0, 0.0), 1, 90.0),  # shin lying flat forward
    ],
)
def test_shin_angle_hand_points(shin_offset: tuple[float, float], facing: int, expected_deg: float) -> None:
    ankle = np.array([400.0, 600.0])
    knee = ankle + np.array(shin_offset)
    np.testing.assert_allclose(shin_angle_deg(knee, ankle, facing), expected_deg, atol=1e-12)


def test_shin_angle_is_vectorised_over_frames() -> None:
    ankle = np.array([[100.0, 500.0], [100.0, 500.0], [200.0, 300.0]])
    knee = ankle + np.array([[0.0, -80.0], [30.0, -40.0], [-40.0, -30.0]])
    np.testing.assert_allclose(shin_angle_deg(knee, ankle, 1), [0.0, ATAN_3_4, -ATAN_4_3], atol=1e-12)


@pytest.mark.parametrize("width", [640.0, 1280.0, 1921.0])
def test_mirroring_x_with_opposite_facing_gives_the_same_angle(width: float) -> None:
    rng = np.random.default_rng(7)
    ankle = rng.uniform([100, 300], [500, 700], size=(50, 2))
    knee = ankle + rng.uniform([-150, -300], [150, -100], size=(50, 2))
    mirror = np.array([-1.0, 1.0])
    offset = np.array([width, 0.0])
    right = shin_angle_deg(knee, ankle, 1)
    left = shin_angle_deg(knee * mirror + offset, ankle * mirror + offset, -1)
    np.testing.assert_allclose(left, right, atol=1e-12)
    assert np.ptp(right) > 30.0  # the sample covers a real range of angles, so the check means something


@pytest.mark.parametrize("roll_deg", [-15.0, -10.0, -4.5, -1.0, 0.0, 0.5, 3.0, 7.25, 15.0])
@pytest.mark.parametrize("facing", [1, -1])
def test_shin_angle_invariant_to_camera_roll(roll_deg: float, facing: int) -> None:
    """Rotating all points and the up vector by the same angle leaves the shin angle unchanged."""
    rng = np.random.default_rng(3)
    ankle = rng.uniform([200, 400], [1000, 700], size=(40, 2))
    knee = ankle + rng.uniform([-200, -350], [200, -120], size=(40, 2))
    level = shin_angle_deg(knee, ankle, facing)
    centre = np.array([640.0, 360.0])
    up = up_from_floor_angle(roll_deg)
    rolled = shin_angle_deg(
        rotate_about(knee, roll_deg, centre), rotate_about(ankle, roll_deg, centre), facing, up
    )
    np.testing.assert_allclose(rolled, level, atol=1e-9)
    if roll_deg != 0.0:
        # Without the matching up vector the roll shows up one for one in the angle (sign depends on facing).
        naive = shin_angle_deg(
            rotate_about(knee, roll_deg, centre), rotate_about(ankle, roll_deg, centre), facing
        )
        np.testing.assert_allclose(naive - level, -facing * roll_deg, atol=1e-9)


# ---------------------------------------------------------------- up / forward vectors


@pytest.mark.parametrize(
    ("floor_angle_deg", "expected_up"),
    [
        (0.0, (0.0, -1.0)),
        (90.0, (-1.0, 0.0)),
        (-90.0, (1.0, 0.0)),
        (30.0, (-0.5, -math.sqrt(3) / 2)),
        (-30.0, (0.5, -math.sqrt(3) / 2)),
    ],
)
def test_up_from_floor_angle_hand_values(floor_angle_deg: float, expected_up: tuple[float, float]) -> None:
    np.testing.assert_allclose(up_from_floor_angle(floor_angle_deg), expected_up, atol=1e-12)


def test_level_up_is_image_up() -> None:
    np.testing.assert_allclose(LEVEL_UP, [0.0, -1.0])
    np.testing.assert_allclose(up_from_floor_angle(0.0), LEVEL_UP, atol=1e-15)


@pytest.mark.parametrize("roll_deg", np.linspace(-15.0, 15.0, 7).tolist())
def test_up_and_forward_rotate_with_the_scene(roll_deg: float) -> None:
    rotation = screen_rotation(roll_deg)
    up = up_from_floor_angle(roll_deg)
    np.testing.assert_allclose(up, rotation @ LEVEL_UP, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(up), 1.0, atol=1e-12)
    forward = forward_unit(up, 1)
    np.testing.assert_allclose(forward, rotation @ np.array([1.0, 0.0]), atol=1e-12)  # along the floor line
    np.testing.assert_allclose(forward @ up, 0.0, atol=1e-12)
    np.testing.assert_allclose(forward_unit(up, -1), -forward, atol=1e-12)
    # The floor line drawn at floor_angle_deg (counter-clockwise on screen, y up) is the forward direction.
    np.testing.assert_allclose(math.degrees(math.atan2(-forward[1], forward[0])), roll_deg, atol=1e-9)


@pytest.mark.parametrize(("facing", "expected"), [(1, (1.0, 0.0)), (-1, (-1.0, 0.0))])
def test_forward_unit_level(facing: int, expected: tuple[float, float]) -> None:
    np.testing.assert_allclose(forward_unit(LEVEL_UP, facing), expected, atol=1e-15)


# ---------------------------------------------------------------- distances


@pytest.mark.parametrize(
    ("point", "reference", "facing", "along", "height"),
    [
        ((110.0, 50.0), (100.0, 80.0), 1, 10.0, 30.0),
        ((110.0, 50.0), (100.0, 80.0), -1, -10.0, 30.0),
        ((70.0, 95.0), (100.0, 80.0), 1, -30.0, -15.0),
        ((70.0, 95.0), (100.0, 80.0), -1, 30.0, -15.0),
        ((100.0, 80.0), (100.0, 80.0), 1, 0.0, 0.0),
    ],
)
def test_distance_along_and_height_above_level(
    point: tuple[float, float], reference: tuple[float, float], facing: int, along: float, height: float
) -> None:
    np.testing.assert_allclose(distance_along_px(np.array(point), np.array(reference), facing), along)
    np.testing.assert_allclose(height_above_px(np.array(point), np.array(reference)), height)


@pytest.mark.parametrize("roll_deg", [-12.0, -3.0, 0.0, 5.0, 11.0])
@pytest.mark.parametrize("facing", [1, -1])
def test_distance_along_and_height_above_on_a_rolled_floor(roll_deg: float, facing: int) -> None:
    """A point 3 forward and 4 up from the reference, built along a rolled floor, reads back as (3, 4)."""
    up = up_from_floor_angle(roll_deg)
    forward = forward_unit(up, facing)
    reference = np.array([[500.0, 600.0], [20.0, 30.0]])
    point = reference + 3.0 * forward + 4.0 * up
    np.testing.assert_allclose(distance_along_px(point, reference, facing, up), [3.0, 3.0], atol=1e-12)
    np.testing.assert_allclose(height_above_px(point, reference, up), [4.0, 4.0], atol=1e-12)
    np.testing.assert_allclose(segment_length_px(point, reference), [5.0, 5.0], atol=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [((0.0, 0.0), (3.0, 4.0), 5.0), ((10.0, 10.0), (10.0, 10.0), 0.0), ((-5, 2), (7, -3), 13.0)],
)
def test_segment_length_hand_values(a: tuple[float, float], b: tuple[float, float], expected: float) -> None:
    np.testing.assert_allclose(segment_length_px(np.array(a), np.array(b)), expected)


# ---------------------------------------------------------------- NaN handling


@pytest.mark.parametrize("bad_row", [0, 2])
def test_nan_in_nan_out_row_by_row(bad_row: int) -> None:
    ankle = np.array([[100.0, 500.0], [100.0, 500.0], [100.0, 500.0]])
    knee = ankle + np.array([[0.0, -80.0], [30.0, -40.0], [40.0, -30.0]])
    knee[bad_row, 0] = np.nan
    up = up_from_floor_angle(4.0)
    results = {
        "shin_angle_deg": shin_angle_deg(knee, ankle, 1, up),
        "distance_along_px": distance_along_px(knee, ankle, 1, up),
        "height_above_px": height_above_px(knee, ankle, up),
        "segment_length_px": segment_length_px(knee, ankle),
    }
    for name, values in results.items():
        assert values.shape == (3,), name
        assert np.isnan(values[bad_row]), name
        assert np.isfinite(np.delete(values, bad_row)).all(), name


# ---------------------------------------------------------------- floor line fit


def points_on_line(
    angle_deg: float, n: int, sigma_px: float, seed: int, half_length: float = 400.0
) -> FloatArray:
    """``n`` points along a line at ``angle_deg`` (counter-clockwise on screen), Gaussian noise in x and y."""
    rng = np.random.default_rng(seed)
    a = math.radians(angle_deg)
    s = rng.uniform(-half_length, half_length, n)
    points = np.array([640.0, 500.0]) + s[:, None] * np.array([math.cos(a), -math.sin(a)])
    return points + rng.normal(0.0, sigma_px, (n, 2))


@pytest.mark.parametrize("angle_deg", [-20.0, -7.5, 0.0, 2.0, 13.0, 30.0])
def test_fit_floor_angle_exact_points(angle_deg: float) -> None:
    angle, sigma = fit_floor_angle_deg(points_on_line(angle_deg, 10, 0.0, seed=1))
    np.testing.assert_allclose(angle, angle_deg, atol=1e-9)
    assert 0.0 <= sigma < 1e-9


@pytest.mark.parametrize("angle_deg", [-12.0, 0.0, 4.0, 9.5])
def test_fit_floor_angle_noisy_points_within_reported_sigma(angle_deg: float) -> None:
    # 100 points spread uniformly over 800 px (SD 231 px) with 1.5 px noise: the slope's standard error is
    # 1.5 / (231 * sqrt(100)) rad = 0.037 deg.
    angle, sigma = fit_floor_angle_deg(points_on_line(angle_deg, 100, 1.5, seed=11))
    expected_sigma = math.degrees(1.5 / (800 / math.sqrt(12) * math.sqrt(100)))
    np.testing.assert_allclose(sigma, expected_sigma, rtol=0.25)
    assert abs(angle - angle_deg) < 4.0 * sigma


def test_fit_floor_angle_sigma_matches_the_scatter_of_repeated_fits() -> None:
    """The reported 1-sigma is honest: it matches the spread of the angle over many noisy samples."""
    fits = np.array([fit_floor_angle_deg(points_on_line(3.0, 30, 2.0, seed=s)) for s in range(400)])
    np.testing.assert_allclose(fits[:, 0].mean(), 3.0, atol=0.03)
    np.testing.assert_allclose(fits[:, 0].std(), fits[:, 1].mean(), rtol=0.15)


def test_fit_floor_angle_ignores_nan_rows() -> None:
    points = points_on_line(6.0, 20, 0.0, seed=2)
    with_nan = np.vstack([points, [[np.nan, 10.0], [np.nan, np.nan], [3.0, np.nan]]])
    np.testing.assert_allclose(fit_floor_angle_deg(with_nan), fit_floor_angle_deg(points), atol=1e-12)


@pytest.mark.parametrize(
    "points",
    [np.empty((0, 2)), np.array([[10.0, 20.0]]), np.array([[10.0, 20.0], [np.nan, 5.0], [np.nan, np.nan]])],
)
def test_fit_floor_angle_too_few_points_is_nan(points: FloatArray) -> None:
    angle, sigma = fit_floor_angle_deg(points)
    assert math.isnan(angle)
    assert math.isnan(sigma)


# ---------------------------------------------------------------- real motion capture


def side_view(xyz_mm: FloatArray, scale: float = 0.4, offset_px: float = 900.0) -> FloatArray:
    """Pinhole side camera without perspective: image x = X * scale, image y = -Y * scale + offset."""
    return np.stack([xyz_mm[:, 0] * scale, -xyz_mm[:, 1] * scale + offset_px], axis=1)


def test_mocap_shin_angle_matches_3d_sagittal_angle(mocap) -> None:
    knee, ankle = mocap.markers["R.Knee"], mocap.markers["R.Ankle"]
    assert mocap.units == "mm"
    assert knee.shape == (238, 3)
    truth = np.degrees(np.arctan2(knee[:, 0] - ankle[:, 0], knee[:, 1] - ankle[:, 1]))
    measured = shin_angle_deg(side_view(knee), side_view(ankle), 1)
    np.testing.assert_allclose(measured, truth, atol=1e-9)
    # The data README: about -25 to +57 degrees over the gait cycle.
    np.testing.assert_allclose([truth.min(), truth.max()], [-25.0, 57.0], atol=1.0)


@pytest.mark.parametrize("roll_deg", [-8.0, 3.0, 8.0])
def test_mocap_shin_angle_survives_camera_roll(mocap, roll_deg: float) -> None:
    knee, ankle = side_view(mocap.markers["R.Knee"]), side_view(mocap.markers["R.Ankle"])
    centre = np.array([500.0, 400.0])
    level = shin_angle_deg(knee, ankle, 1)
    rolled = shin_angle_deg(
        rotate_about(knee, roll_deg, centre),
        rotate_about(ankle, roll_deg, centre),
        1,
        up_from_floor_angle(roll_deg),
    )
    np.testing.assert_allclose(rolled, level, atol=1e-9)


def test_mocap_walking_left_mirrors_to_the_same_angle(mocap) -> None:
    knee, ankle = side_view(mocap.markers["R.Knee"]), side_view(mocap.markers["R.Ankle"])
    mirror = np.array([-1.0, 1.0])
    np.testing.assert_allclose(
        shin_angle_deg(knee * mirror, ankle * mirror, -1), shin_angle_deg(knee, ankle, 1), atol=1e-9
    )


@pytest.mark.parametrize("roll_deg", [0.0, 8.0])
def test_mocap_knee_over_toe_equals_x_difference(mocap, roll_deg: float) -> None:
    scale = 0.4
    knee_mm, toe_mm = mocap.markers["R.Knee"], mocap.markers["R.Toe"]
    centre = np.array([500.0, 400.0])
    knee = rotate_about(side_view(knee_mm, scale), roll_deg, centre)
    toe = rotate_about(side_view(toe_mm, scale), roll_deg, centre)
    up = up_from_floor_angle(roll_deg)
    np.testing.assert_allclose(
        distance_along_px(knee, toe, 1, up) / scale, knee_mm[:, 0] - toe_mm[:, 0], atol=1e-9
    )
    np.testing.assert_allclose(
        height_above_px(knee, toe, up) / scale, knee_mm[:, 1] - toe_mm[:, 1], atol=1e-9
    )


# ---------------------------------------------------------------- the sagittal plane, through a pinhole


def camera_axes(tilt_deg: float, turn_deg: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(up, across, right) in camera coordinates (x right, y down, z forward) of a camera looking
    ``tilt_deg`` down, the walking axis turned ``turn_deg`` out of the image plane (image-right end away)."""
    t, y = math.radians(tilt_deg), math.radians(turn_deg)
    up = np.array([0.0, -math.cos(t), -math.sin(t)])
    level_axis = np.array([0.0, -math.sin(t), math.cos(t)])
    image_right = np.array([1.0, 0.0, 0.0])
    across = math.cos(y) * level_axis - math.sin(y) * image_right
    right = math.cos(y) * image_right + math.sin(y) * level_axis
    return up, across, right


def project(points: FloatArray, focal_px: float, centre_px: FloatArray) -> FloatArray:
    return focal_px * points[..., :2] / points[..., 2:] + centre_px


def rays_of(points_px: FloatArray, focal_px: float, centre_px: FloatArray) -> FloatArray:
    xy = (points_px - centre_px) / focal_px
    return np.concatenate([xy, np.ones((*xy.shape[:-1], 1))], axis=-1)


def test_sagittal_angle_of_a_square_on_camera_is_the_image_angle() -> None:
    """A level camera square to the walking axis: the 3-4-5 shin of the image-plane tests."""
    up, across, right = camera_axes(0.0, 0.0)
    centre, focal = np.array([640.0, 360.0]), 1000.0
    ankle, knee = np.array([600.0, 500.0]), np.array([603.0, 496.0])
    angle = sagittal_angle_deg(rays_of(knee, focal, centre), rays_of(ankle, focal, centre), across, up, right)
    np.testing.assert_allclose(angle, ATAN_3_4, atol=1e-9)


@pytest.mark.parametrize("shin_deg", [0.0, 18.0, 38.5, 50.0])
@pytest.mark.parametrize(
    ("tilt_deg", "turn_deg"), [(0.0, 0.0), (8.0, 0.0), (-6.8, 0.0), (4.5, 13.5), (3.0, -15.0)]
)
@pytest.mark.parametrize("facing", [1, -1])
def test_sagittal_angle_undoes_tilt_yaw_and_perspective(
    shin_deg: float, tilt_deg: float, turn_deg: float, facing: int
) -> None:
    """A 40 cm shin in the sagittal plane, 3 m away and off the optical axis, seen by a tilted, turned camera:
    the image angle is off by degrees, the back-projected angle is exact."""
    up, across, right = camera_axes(tilt_deg, turn_deg)
    forward = facing * right
    ankle = 300.0 * across + 40.0 * right - 60.0 * up  # camera coordinates, cm
    a = math.radians(shin_deg)
    knee = ankle + 40.0 * (math.sin(a) * forward + math.cos(a) * up)
    centre, focal = np.array([640.0, 360.0]), 1000.0
    knee_px, ankle_px = project(knee, focal, centre), project(ankle, focal, centre)
    angle = sagittal_angle_deg(
        rays_of(knee_px, focal, centre), rays_of(ankle_px, focal, centre), across, up, forward
    )
    np.testing.assert_allclose(angle, shin_deg, atol=1e-6)


def test_sagittal_offsets_are_in_units_of_the_base_depth() -> None:
    """A point 10 cm ahead of a base 200 cm away, square-on: 10 / 200 of the base's depth."""
    _up, across, _right = camera_axes(0.0, 0.0)
    base, point = np.array([0.0, 0.0, 200.0]), np.array([10.0, 0.0, 200.0])
    offsets = sagittal_offsets(point / point[2], base / base[2], across)
    np.testing.assert_allclose(offsets, [0.05, 0.0, 0.0], atol=1e-12)


def test_sagittal_offsets_nan_in_nan_out_and_rays_parallel_to_the_plane() -> None:
    across = np.array([0.0, 0.0, 1.0])
    rays = np.array([[np.nan, 0.0, 1.0], [0.1, 0.0, 0.0]])
    offsets = sagittal_offsets(rays, np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]), across)
    assert np.isnan(offsets).all()


def test_the_image_angle_alone_is_off_when_the_camera_is_turned() -> None:
    """Why: 13.5 deg of yaw and 4.5 of tilt move a 38.5 deg shin by a degree in the image."""
    up, across, right = camera_axes(4.5, 13.5)
    ankle = 300.0 * across + 40.0 * right - 60.0 * up
    a = math.radians(38.5)
    knee = ankle + 40.0 * (math.sin(a) * right + math.cos(a) * up)
    centre, focal = np.array([640.0, 360.0]), 1000.0
    image = shin_angle_deg(project(knee, focal, centre), project(ankle, focal, centre), 1)
    assert abs(float(image) - 38.5) > 0.75  # about 1 deg here; 3.7 on dev03 (knee off the plane too)
