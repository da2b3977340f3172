"""Tests for vision.camera: camera roll from straight scene edges.

Sign convention: a roll of +r means the scene appears rotated counter-clockwise by r on screen, which is
what ``cv2.getRotationMatrix2D(centre, r, 1)`` does to an image (positive angle = counter-clockwise).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from vision.camera import MIN_SUPPORT_FRACTION, detect_segments, estimate_roll, roll_from_segments

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


def test_person_box_excludes_the_person_edges() -> None:
    image = room_with_person(4.0, -9.0)
    box = np.array(PERSON_BOX, dtype=np.float64) + np.array([-30.0, -30.0, 30.0, 30.0])

    fooled = estimate_roll([image], [None])
    assert abs(fooled.roll_deg - 4.0) > 5.0, fooled  # the person's edges dominate without the box

    estimate = estimate_roll([image], [box])
    assert estimate.reliable, estimate
    assert abs(estimate.roll_deg - 4.0) < 0.5, estimate

    kept = detect_segments(image, box)
    everything = detect_segments(image)
    assert 0 < len(kept) < len(everything)
    x0, y0, x1, y1 = box
    ends_and_middle = np.stack([kept[:, :2], (kept[:, :2] + kept[:, 2:]) / 2, kept[:, 2:]], axis=1)
    inside = (
        (ends_and_middle[..., 0] >= x0)
        & (ends_and_middle[..., 0] <= x1)
        & (ends_and_middle[..., 1] >= y0)
        & (ends_and_middle[..., 1] <= y1)
    )
    assert not inside.any()


@pytest.mark.parametrize("roll_deg", [-6.0, 3.0])
def test_edges_that_run_out_of_the_frame_are_used(roll_deg: float) -> None:
    """Two wall corners spanning the whole frame height, nothing else: the commonest scene in a hallway."""
    big = np.full((2000, 2000, 3), BACKGROUND, np.uint8)
    for x in (500, 1400):
        cv2.line(big, (x, 0), (x, 2000), (60, 60, 60), 5)
    estimate = estimate_roll([centre_crop(rotate(big, roll_deg))], [None])
    assert estimate.reliable, estimate
    assert abs(estimate.roll_deg - roll_deg) < 0.5, estimate
