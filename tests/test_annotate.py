"""Tests for vision.output.annotate: pure drawing, the H.264 writer and PNG output."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
import numpy.typing as npt
import pytest

from vision.errors import InputError
from vision.output.annotate import (
    ANGLE_BGR,
    HIGHLIGHT_BGR,
    SHIN_BGR,
    VERTICAL_BGR,
    AnnotatedVideoWriter,
    _text_size,
    draw_leg,
    write_png,
)
from vision.video import VideoReader

Image = npt.NDArray[np.uint8]
NAN = math.nan


def grey(height_px: int = 480, width_px: int = 640) -> Image:
    return np.full((height_px, width_px, 3), 90, dtype=np.uint8)


def leg(width_px: int = 640, height_px: int = 480) -> dict[str, tuple[float, float]]:
    """A leg scaled to the image: knee ahead of the ankle (image right), foot on the floor."""
    w, h = width_px, height_px
    return {
        "hip": (0.45 * w, 0.15 * h),
        "knee": (0.55 * w, 0.45 * h),
        "ankle": (0.48 * w, 0.8 * h),
        "heel": (0.43 * w, 0.84 * h),
        "toe": (0.62 * w, 0.85 * h),
    }


def colour_mask(image: Image, colour: tuple[int, int, int], atol: int = 0) -> npt.NDArray[np.bool_]:
    mask: npt.NDArray[np.bool_] = np.all(np.abs(image.astype(int) - np.array(colour)) <= atol, axis=2)
    return mask


# ---------------------------------------------------------------- draw_leg


def test_returns_a_new_image_and_leaves_the_input_alone() -> None:
    image = grey()
    before = image.copy()

    out = draw_leg(image, leg(), 21.5, lines=["left ankle 21.5°"], highlight=True)

    np.testing.assert_array_equal(image, before)
    assert out is not image
    assert out.shape == image.shape
    assert out.dtype == np.uint8
    assert np.any(out != image)


@pytest.mark.parametrize(
    ("height_px", "width_px", "up_unit"),
    [
        (480, 640, (0.0, -1.0)),
        (1920, 1080, (0.0, -1.0)),  # portrait phone frame
        (360, 640, (0.1, -0.995)),  # tilted camera
        (720, 1280, (-0.2, -0.98)),
    ],
)
def test_shin_line_is_drawn_between_ankle_and_knee(
    height_px: int, width_px: int, up_unit: tuple[float, float]
) -> None:
    points = leg(width_px, height_px)
    out = draw_leg(grey(height_px, width_px), points, 12.0, up_unit=up_unit)

    ankle, knee = np.array(points["ankle"]), np.array(points["knee"])
    for fraction in (0.4, 0.5, 0.6):
        x, y = np.rint(ankle + fraction * (knee - ankle)).astype(int)
        np.testing.assert_array_equal(out[y, x], SHIN_BGR)
    beyond = np.rint(knee + 0.1 * (knee - ankle)).astype(int)  # the line runs a little past the knee
    np.testing.assert_array_equal(out[beyond[1], beyond[0]], SHIN_BGR)


def test_vertical_reference_is_dashed_along_up_unit() -> None:
    points = leg()
    up = np.array([0.1, -1.0]) / np.linalg.norm([0.1, -1.0])
    out = draw_leg(grey(), points, 12.0, up_unit=(float(up[0]), float(up[1])))

    ankle = np.array(points["ankle"])
    shin_px = float(np.linalg.norm(np.array(points["knee"]) - ankle))
    samples = [np.rint(ankle + up * d).astype(int) for d in np.linspace(0.5 * shin_px, shin_px, 60)]
    on_line = [bool(np.all(out[y, x] == VERTICAL_BGR)) for x, y in samples]
    assert any(on_line)
    assert not all(on_line)  # gaps between dashes


def test_angle_arc_and_text_only_with_an_angle() -> None:
    with_angle = draw_leg(grey(), leg(), 18.3)
    without = draw_leg(grey(), leg(), None)

    assert colour_mask(with_angle, ANGLE_BGR, atol=60).sum() > 50  # thin anti-aliased arc and text
    assert colour_mask(without, ANGLE_BGR, atol=60).sum() == 0
    assert colour_mask(without, SHIN_BGR).sum() > 50


def test_line_width_scales_with_the_image() -> None:
    small = draw_leg(grey(360, 480), leg(480, 360), None)
    large = draw_leg(grey(1440, 1920), leg(1920, 1440), None)

    assert colour_mask(large, SHIN_BGR).sum() / colour_mask(small, SHIN_BGR).sum() > 8  # 4x length, >2x width


@pytest.mark.parametrize(
    "points",
    [
        {},
        {"knee": (NAN, NAN), "ankle": (NAN, NAN)},
        {"hip": (300.0, 50.0), "knee": (NAN, 200.0), "ankle": (300.0, 400.0), "toe": (360.0, 410.0)},
        {"knee": (math.inf, 10.0), "ankle": (300.0, 400.0), "heel": (NAN, NAN)},
        {"knee": (1e12, -1e12), "ankle": (300.0, 400.0)},  # absurdly far: clamped, not overflowed
        {"knee": (300.0, 400.0), "ankle": (300.0, 400.0)},  # zero-length shin
        {"hip": (10.0, 10.0), "knee": (-50.0, 200.0), "ankle": (-80.0, 470.0)},  # partly off-screen
    ],
)
def test_missing_or_odd_points_do_not_crash(points: dict[str, tuple[float, float]]) -> None:
    out = draw_leg(grey(), points, 10.0, lines=["x"])

    assert out.shape == (480, 640, 3)


def test_nan_segments_are_skipped() -> None:
    points = leg()
    points["knee"] = (NAN, NAN)

    out = draw_leg(grey(), points, 25.0)

    assert colour_mask(out, SHIN_BGR).sum() == 0  # no shin without a knee
    assert colour_mask(out, ANGLE_BGR).sum() == 0
    assert np.any(out != grey())  # the foot is still drawn


def test_nan_up_unit_skips_reference_and_arc_not_shin() -> None:
    out = draw_leg(grey(), leg(), 25.0, up_unit=(NAN, NAN))

    assert colour_mask(out, VERTICAL_BGR).sum() == 0
    assert colour_mask(out, ANGLE_BGR).sum() == 0
    assert colour_mask(out, SHIN_BGR).sum() > 50


def test_text_box_top_left() -> None:
    image = grey()
    out = draw_leg(image, {}, None, lines=["left ankle: 34.5° dorsiflexion", "heel down"])
    blank = draw_leg(image, {}, None)

    corner = out[:60, :200].astype(int)
    assert (corner < 90).mean() > 0.5  # darkened box
    assert (corner > 200).sum() > 50  # white text
    np.testing.assert_array_equal(blank, image)
    np.testing.assert_array_equal(out[240:, 320:], image[240:, 320:])


def test_degree_sign_takes_space() -> None:
    assert _text_size("34.5°", 1.0, 2)[0] > _text_size("34.5", 1.0, 2)[0]


def test_highlight_frames_the_image() -> None:
    out = draw_leg(grey(), {}, None, highlight=True)

    np.testing.assert_array_equal(out[0, 320], HIGHLIGHT_BGR)
    np.testing.assert_array_equal(out[240, 0], HIGHLIGHT_BGR)
    np.testing.assert_array_equal(out[240, 320], (90, 90, 90))


def test_non_contiguous_input_is_fine() -> None:
    view = grey(960, 1280)[::2, ::2]

    out = draw_leg(view, leg(), 10.0)

    assert out.flags.c_contiguous
    assert out.shape == (480, 640, 3)


@pytest.mark.parametrize(
    "image",
    [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 4), np.uint8), np.zeros((10, 10, 3), np.float32)],
)
def test_wrong_image_type(image: npt.NDArray[np.generic]) -> None:
    with pytest.raises(ValueError, match="BGR uint8"):
        draw_leg(image, {}, None)  # type: ignore[arg-type]


# ---------------------------------------------------------------- video writer


def frames_with_motion(n: int, height_px: int, width_px: int) -> list[Image]:
    frames = []
    for i in range(n):
        image = grey(height_px, width_px)
        cv2.rectangle(image, (5 + 10 * i, 10), (25 + 10 * i, 40), (255, 255, 255), -1)
        frames.append(image)
    return frames


@pytest.mark.parametrize(
    ("width_px", "height_px", "stored"), [(160, 96, (160, 96)), (96, 160, (96, 160)), (161, 97, (162, 98))]
)
def test_writer_output_reads_back(
    tmp_path: Path, width_px: int, height_px: int, stored: tuple[int, int]
) -> None:
    path = tmp_path / "annotated.mp4"
    frames = frames_with_motion(7, height_px, width_px)

    with AnnotatedVideoWriter(path, 10.0, width_px, height_px) as writer:
        for frame in frames:
            writer.write(frame)

    assert writer.frames_written == 7
    with VideoReader(path) as reader:
        decoded = list(reader.frames())
    assert reader.info.codec == "h264"
    assert (reader.info.width_px, reader.info.height_px) == stored
    assert reader.info.frame_count == 7
    np.testing.assert_allclose(reader.info.fps, 10.0)
    assert len(decoded) == 7
    np.testing.assert_allclose([f.time_s for f in decoded], np.arange(7) / 10.0, atol=2e-3)
    crop = decoded[3].image[:height_px, :width_px].astype(float)
    assert np.abs(crop - frames[3]).mean() < 3.0


def test_writer_output_plays_in_browsers(tmp_path: Path) -> None:
    """yuv420p H.264 with the index (moov) before the samples (mdat): +faststart."""
    path = tmp_path / "annotated.mp4"
    with AnnotatedVideoWriter(path, 30.0, 64, 48) as writer:
        for frame in frames_with_motion(3, 48, 64):
            writer.write(frame)

    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    header = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        timeout=60,
        check=False,
    ).stderr.decode()
    assert "h264" in header
    assert "yuv420p" in header


@pytest.mark.parametrize("where", ["missing-folder", "is-a-folder"])
def test_writer_unwritable_path(tmp_path: Path, where: str) -> None:
    path = tmp_path / "nope" / "out.mp4" if where == "missing-folder" else tmp_path

    with pytest.raises(InputError, match="cannot write") as caught:
        AnnotatedVideoWriter(path, 30.0, 64, 48)

    assert "\n" not in str(caught.value)


def test_writer_rejects_wrong_frame_size(tmp_path: Path) -> None:
    with AnnotatedVideoWriter(tmp_path / "out.mp4", 30.0, 64, 48) as writer:
        writer.write(grey(48, 64))
        with pytest.raises(ValueError, match="expected 64x48"):
            writer.write(grey(48, 50))


def test_writer_closes_when_the_caller_fails(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"

    def write_then_fail() -> None:
        with AnnotatedVideoWriter(path, 30.0, 64, 48) as writer:
            writer.write(grey(48, 64))
            raise RuntimeError("caller failed")

    with pytest.raises(RuntimeError, match="caller"):
        write_then_fail()

    with VideoReader(path) as reader:
        assert len(list(reader.frames())) == 1


# ---------------------------------------------------------------- PNG


def test_write_png_round_trip(tmp_path: Path) -> None:
    image = draw_leg(grey(), leg(), 30.0, lines=["peak"])
    path = tmp_path / "peak.png"

    write_png(path, image)

    np.testing.assert_array_equal(cv2.imread(str(path)), image)


def test_write_png_unwritable(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write") as caught:
        write_png(tmp_path / "missing" / "peak.png", grey())

    assert "\n" not in str(caught.value)
