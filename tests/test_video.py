"""Tests for vision.video: formats, rotation tags, container timestamps, stride, threads, bad inputs.

Fixture clips are encoded at test time with imageio-ffmpeg's ffmpeg. Each frame shows a chiral pattern
(a bright square in the top-left corner with a small bar to its right), so any rotation or mirror is
visible, and its own index in binary (5 blocks along the bottom), so the true stream index of a decoded
frame can be read back from its pixels.
"""

from __future__ import annotations

import contextlib
import platform
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
import numpy.typing as npt
import pytest

import vision.video
from vision.errors import InputError
from vision.startup import limit_heap_growth
from vision.video import Frame, VideoReader, _parse_header, probe_video

Image = npt.NDArray[np.uint8]

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
LANDSCAPE = (160, 96)  # width, height
PORTRAIT = (96, 160)
FPS = 10.0
N_BITS = 5
REAL_CLIP = Path(__file__).resolve().parents[1] / "../shared/data/real/sports2d_walk_side.mp4"


# ---------------------------------------------------------------- fixture clips


def pattern(index: int, width_px: int, height_px: int) -> Image:
    """Dark frame, bright top-left square with a bar to its right, ``index % 32`` as 5 bottom blocks."""
    image = np.full((height_px, width_px, 3), 40, dtype=np.uint8)
    image[8:32, 8:32] = 230
    image[8:16, 36:60] = 230
    for bit in range(N_BITS):
        if (index >> bit) & 1:
            image[height_px - 22 : height_px - 8, 8 + 16 * bit : 20 + 16 * bit] = 230
    return image


def read_index(image: Image) -> int:
    """Inverse of the bit blocks drawn by :func:`pattern`."""
    height_px = image.shape[0]
    blocks = [image[height_px - 19 : height_px - 11, 11 + 16 * bit : 17 + 16 * bit] for bit in range(N_BITS)]
    return sum(1 << bit for bit, block in enumerate(blocks) if block.mean() > 135)


def write_clip(
    path: Path,
    frames: Sequence[Image],
    fps: float = FPS,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    params: Sequence[str] = ("-crf", "12", "-g", "10"),
) -> Path:
    height_px, width_px = frames[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width_px, height_px),
        pix_fmt_in="bgr24",
        pix_fmt_out=pix_fmt,
        fps=fps,
        codec=codec,
        quality=None,
        macro_block_size=1,
        ffmpeg_log_level="error",
        output_params=list(params),
    )
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    return path


def landscape_frames(n: int) -> list[Image]:
    return [pattern(i, *LANDSCAPE) for i in range(n)]


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=60)


def header(path: Path) -> str:
    done = subprocess.run(
        [FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, timeout=60, check=False
    )
    return done.stderr.decode("utf-8", errors="replace")


def read_all(
    path: Path, stride: int = 1, start_s: float | None = None, end_s: float | None = None
) -> tuple[list[Frame], VideoReader]:
    with VideoReader(path) as reader:
        frames = list(reader.frames(stride, start_s, end_s))
    return frames, reader


@pytest.fixture(scope="module")
def encoders() -> str:
    done = subprocess.run([FFMPEG, "-hide_banner", "-encoders"], capture_output=True, timeout=60, check=True)
    return done.stdout.decode()


@pytest.fixture(scope="module")
def clip_30(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 frames, 10 fps, H.264, a keyframe every 10 frames."""
    return write_clip(tmp_path_factory.mktemp("clips") / "clip30.mp4", landscape_frames(30))


# ---------------------------------------------------------------- formats

FORMATS = [
    pytest.param("h264.mp4", "libx264", "yuv420p", ("-crf", "12"), "h264", id="mp4-h264"),
    pytest.param(
        "hevc.mp4",
        "libx265",
        "yuv420p",
        ("-crf", "12", "-tag:v", "hvc1", "-x265-params", "log-level=error"),
        "hevc",
        id="mp4-hevc",
    ),
    pytest.param("clip.mov", "libx264", "yuv420p", ("-crf", "12"), "h264", id="mov-h264"),
    pytest.param("clip.m4v", "libx264", "yuv420p", ("-crf", "12"), "h264", id="m4v-h264"),
    pytest.param("clip.mkv", "libx264", "yuv420p", ("-crf", "12"), "h264", id="mkv-h264"),
    pytest.param("mjpeg.avi", "mjpeg", "yuvj420p", ("-q:v", "2"), "mjpeg", id="avi-mjpeg"),
    pytest.param("mpeg4.avi", "mpeg4", "yuv420p", ("-q:v", "2"), "mpeg4", id="avi-mpeg4"),
    pytest.param(
        "vp9.webm",
        "libvpx-vp9",
        "yuv420p",
        ("-b:v", "0", "-crf", "15", "-deadline", "realtime"),
        "vp9",
        id="webm-vp9",
    ),
    pytest.param("vp8.webm", "libvpx", "yuv420p", ("-b:v", "2M", "-crf", "4"), "vp8", id="webm-vp8"),
]


@pytest.mark.parametrize(("name", "encoder", "pix_fmt", "params", "codec"), FORMATS)
def test_formats_decode_upright_with_true_index_and_time(
    tmp_path: Path, encoders: str, name: str, encoder: str, pix_fmt: str, params: tuple[str, ...], codec: str
) -> None:
    if not re.search(rf"^\s*V\S*\s+{re.escape(encoder)}\s", encoders, re.MULTILINE):
        pytest.skip(f"this ffmpeg has no {encoder} encoder")
    originals = landscape_frames(12)
    path = write_clip(tmp_path / name, originals, codec=encoder, pix_fmt=pix_fmt, params=params)

    frames, reader = read_all(path)

    info = reader.info
    assert (info.width_px, info.height_px) == LANDSCAPE
    assert (info.stored_width_px, info.stored_height_px) == LANDSCAPE
    assert info.rotation_deg == 0
    assert info.codec == codec
    np.testing.assert_allclose(info.fps, FPS)
    assert info.frame_count == 12
    np.testing.assert_allclose(info.duration_s, 1.2, atol=0.05)
    assert [f.index for f in frames] == list(range(12))
    np.testing.assert_allclose([f.time_s for f in frames], np.arange(12) / FPS, atol=2e-3)
    assert [read_index(f.image) for f in frames] == list(range(12))
    assert frames[5].image.shape == (96, 160, 3)
    assert frames[5].image.dtype == np.uint8
    assert np.abs(frames[5].image.astype(float) - originals[5]).mean() < 4.0
    assert reader.frames_decoded == 12
    assert not reader.ended_early


# ---------------------------------------------------------------- rotation tags


def tagged_portrait_clip(tmp_path: Path, rotation_deg: int) -> tuple[Path, list[Image]]:
    """A clip whose upright content is ``upright``, stored turned back by ``rotation_deg`` and tagged."""
    size = LANDSCAPE if rotation_deg == 180 else PORTRAIT
    upright = [pattern(i, *size) for i in range(6)]
    stored = [np.ascontiguousarray(np.rot90(image, k=rotation_deg // 90)) for image in upright]  # CCW
    plain = write_clip(tmp_path / "stored.mp4", stored)
    tagged = tmp_path / f"tagged{rotation_deg}.mp4"
    # -display_rotation is counter-clockwise; the player turns the stored frames clockwise by rotation_deg.
    ffmpeg("-display_rotation", str((360 - rotation_deg) % 360), "-i", str(plain), "-c", "copy", str(tagged))
    return tagged, upright


@pytest.mark.parametrize("rotation_deg", [90, 180, 270])
def test_rotation_tag_is_applied(tmp_path: Path, rotation_deg: int) -> None:
    path, upright = tagged_portrait_clip(tmp_path, rotation_deg)
    assert re.search(r"rotation of -?\d+\.\d+ degrees", header(path), re.IGNORECASE), "tag not written"
    assert path.stat().st_size < 2 * (tmp_path / "stored.mp4").stat().st_size  # remuxed, not re-encoded

    frames, reader = read_all(path)

    expected_h, expected_w = upright[0].shape[:2]
    assert reader.info.rotation_deg == rotation_deg
    assert (reader.info.width_px, reader.info.height_px) == (expected_w, expected_h)
    stored = (expected_h, expected_w) if rotation_deg != 180 else (expected_w, expected_h)
    assert (reader.info.stored_width_px, reader.info.stored_height_px) == stored
    for frame, original in zip(frames, upright, strict=True):
        assert frame.image.shape == original.shape
        np.testing.assert_allclose(frame.image[8:32, 8:32].mean(), 230, atol=8)  # square top-left
        assert np.abs(frame.image.astype(float) - original).mean() < 4.0
        assert read_index(frame.image) == frame.index


@pytest.mark.parametrize("rotation_deg", [0, 90])
def test_frames_over_the_analysed_size_are_shrunk(tmp_path: Path, rotation_deg: int) -> None:
    """A 2560x1440 clip (a 1440p or 4K phone clip) is analysed with its long side at 1920 px, upright, and
    the reader says by how much and what the file's size was."""
    upright = [
        cv2.resize(pattern(i, 320, 180), (2560, 1440), interpolation=cv2.INTER_NEAREST) for i in range(4)
    ]
    if rotation_deg:
        upright = [np.ascontiguousarray(np.rot90(image, k=-1)) for image in upright]  # portrait, upright
    stored = [np.ascontiguousarray(np.rot90(image, k=rotation_deg // 90)) for image in upright]
    path = write_clip(tmp_path / "stored.mp4", stored)
    if rotation_deg:
        tagged = tmp_path / "tagged.mp4"
        ffmpeg("-display_rotation", str(360 - rotation_deg), "-i", str(path), "-c", "copy", str(tagged))
        path = tagged

    frames, reader = read_all(path)

    file_h, file_w = upright[0].shape[:2]
    assert reader.info.file_size_px == (file_w, file_h)
    assert reader.info.analysed_scale == pytest.approx(0.75)
    assert max(reader.info.width_px, reader.info.height_px) == vision.video.MAX_ANALYSED_SIDE_PX
    for frame, original in zip(frames, upright, strict=True):
        assert frame.image.shape == (reader.info.height_px, reader.info.width_px, 3)
        shrunk = cv2.resize(
            original, (reader.info.width_px, reader.info.height_px), interpolation=cv2.INTER_AREA
        )
        assert np.abs(frame.image.astype(float) - shrunk).mean() < 4.0


def test_frames_at_or_under_the_analysed_size_are_kept(clip_30: Path) -> None:
    frames, reader = read_all(clip_30, end_s=0.0)
    assert reader.info.analysed_scale == 1.0
    assert reader.info.file_size_px == (reader.info.width_px, reader.info.height_px) == LANDSCAPE
    assert frames[0].image.shape == (LANDSCAPE[1], LANDSCAPE[0], 3)


@pytest.mark.parametrize("rotation_deg", [90, 270])
def test_rotation_matches_ffmpeg_autorotate(tmp_path: Path, rotation_deg: int) -> None:
    """What a player shows (ffmpeg applies the display matrix by default) is what we yield."""
    path, _ = tagged_portrait_clip(tmp_path, rotation_deg)
    shown = tmp_path / "shown.png"
    ffmpeg("-i", str(path), "-frames:v", "1", str(shown))
    reference = cv2.imread(str(shown))

    with VideoReader(path) as reader:
        first = next(iter(reader.frames()))

    assert first.image.shape == reference.shape
    assert np.abs(first.image.astype(float) - reference).mean() < 2.0


def test_rotation_without_ffmpeg_falls_back_to_opencv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the ffmpeg binary cannot run, OpenCV's reading of the tag is used instead."""
    path, upright = tagged_portrait_clip(tmp_path, 90)
    monkeypatch.setattr(vision.video, "_read_header", lambda path: None)

    frames, reader = read_all(path)

    assert reader.info.rotation_deg == 90
    assert np.abs(frames[2].image.astype(float) - upright[2]).mean() < 4.0


HEADER_NEW = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'IMG_0001.MOV':
  Duration: 00:00:05.53, start: 0.000000, bitrate: 10336 kb/s
  Stream #0:0[0x1](und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv, bt709), 1920x1080, 29.98 fps
      Side data:
        Display Matrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 96 kb/s (default)
"""
HEADER_OLD = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'VID.mp4':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 17000 kb/s
    Stream #0:0(eng): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1920x1080, 30 fps, 30 tbr (default)
    Metadata:
      rotate          : 180
    Side data:
      displaymatrix: rotation of -180.00 degrees
"""
HEADER_COVER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':
  Duration: 00:00:02.00, start: 0.000000, bitrate: 50 kb/s
  Stream #0:0: Video: mjpeg (Baseline), yuvj420p, 300x300, 90k tbn (attached pic)
  Stream #0:1: Video: h264 (High), yuv420p, 640x360, 25 fps
      displaymatrix: rotation of 90.00 degrees
"""


@pytest.mark.parametrize(
    ("text", "format_name", "codec", "rotation_deg", "duration_s", "fps"),
    [
        (HEADER_NEW, "mov,mp4,m4a,3gp,3g2,mj2", "hevc", 90, 5.53, 29.98),
        (HEADER_OLD, "mov,mp4,m4a,3gp,3g2,mj2", "h264", 180, 62.5, 30.0),
        (HEADER_COVER, "mov,mp4,m4a,3gp,3g2,mj2", "h264", 270, 2.0, 25.0),
    ],
)
def test_parse_header(
    text: str, format_name: str, codec: str, rotation_deg: int, duration_s: float, fps: float
) -> None:
    parsed = _parse_header(text)
    assert (parsed.format_name, parsed.codec, parsed.rotation_deg) == (format_name, codec, rotation_deg)
    assert parsed.duration_s is not None
    assert parsed.fps is not None
    np.testing.assert_allclose([parsed.duration_s, parsed.fps], [duration_s, fps])
    assert not parsed.is_still


def test_parse_header_still_image_and_audio_only() -> None:
    still = _parse_header(
        "Input #0, png_pipe, from 'a.mp4':\n  Stream #0:0: Video: png, rgb24, 160x96, 25 fps\n"
    )
    audio = _parse_header("Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mp4':\n  Stream #0:0: Audio: aac\n")
    assert still.is_still
    assert still.codec == "png"
    assert audio.codec is None
    assert not audio.is_still


# ---------------------------------------------------------------- timestamps, stride, seeking


@pytest.fixture(scope="module")
def vfr_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 frames at 10 fps, with a 1 s gap in the timestamps before frame 10."""
    folder = tmp_path_factory.mktemp("vfr")
    cfr = write_clip(folder / "cfr.mp4", landscape_frames(20))
    vfr = folder / "vfr.mp4"
    ffmpeg(
        "-i",
        str(cfr),
        "-vf",
        "setpts='if(gte(N,10),PTS+1/TB,PTS)'",
        "-fps_mode",
        "vfr",
        "-c:v",
        "libx264",
        "-crf",
        "12",
        "-pix_fmt",
        "yuv420p",
        str(vfr),
    )
    return vfr


def vfr_time_s(index: int) -> float:
    return index / FPS + (1.0 if index >= 10 else 0.0)


def test_variable_frame_rate_uses_container_timestamps(vfr_clip: Path) -> None:
    frames, reader = read_all(vfr_clip)

    assert [f.index for f in frames] == list(range(20))
    assert [read_index(f.image) for f in frames] == list(range(20))
    np.testing.assert_allclose([f.time_s for f in frames], [vfr_time_s(i) for i in range(20)], atol=2e-3)
    np.testing.assert_allclose(reader.info.duration_s, 3.0, atol=0.05)
    assert not reader.ended_early


@pytest.mark.parametrize(
    ("stride", "start_s", "end_s", "indices"),
    [
        (3, None, None, list(range(0, 20, 3))),
        (1, 1.5, 2.4, [10, 11, 12, 13, 14]),  # nothing between 0.9 s and 2.0 s
        (2, 0.25, 2.05, [3, 5, 7, 9]),
    ],
)
def test_variable_frame_rate_stride_and_range(
    vfr_clip: Path, stride: int, start_s: float | None, end_s: float | None, indices: list[int]
) -> None:
    frames, _ = read_all(vfr_clip, stride=stride, start_s=start_s, end_s=end_s)

    assert [f.index for f in frames] == indices
    assert [read_index(f.image) for f in frames] == indices
    np.testing.assert_allclose([f.time_s for f in frames], [vfr_time_s(i) for i in indices], atol=2e-3)


@pytest.mark.parametrize(
    ("stride", "start_s", "end_s", "indices"),
    [
        (1, None, None, list(range(30))),
        (4, None, None, list(range(0, 30, 4))),
        (7, None, None, [0, 7, 14, 21, 28]),
        (1, 0.5, 0.8, [5, 6, 7, 8]),  # start within the seek margin: decoded from the first frame
        (1, 2.2, 2.6, [22, 23, 24, 25, 26]),  # seeks
        (2, 1.5, None, list(range(15, 30, 2))),
        (1, 5.0, None, []),  # past the end
    ],
)
def test_stride_and_range_keep_true_index_and_time(
    clip_30: Path, stride: int, start_s: float | None, end_s: float | None, indices: list[int]
) -> None:
    frames, reader = read_all(clip_30, stride=stride, start_s=start_s, end_s=end_s)

    assert [f.index for f in frames] == indices
    assert [read_index(f.image) for f in frames] == [i % 32 for i in indices]
    np.testing.assert_allclose([f.time_s for f in frames], np.array(indices) / FPS, atol=2e-3)
    assert not reader.ended_early


class CountingCapture:
    """Wraps a ``cv2.VideoCapture`` and counts ``retrieve`` calls (subclassing it crashes the GC)."""

    def __init__(self, cap: cv2.VideoCapture, counts: list[str]) -> None:
        self._cap = cap
        self._counts = counts

    def retrieve(self) -> tuple[bool, Image]:
        self._counts.append("retrieve")
        ok, image = self._cap.retrieve()
        return ok, np.asarray(image, dtype=np.uint8)

    def __getattr__(self, name: str) -> object:
        return getattr(self._cap, name)


def test_stride_skipped_frames_are_not_retrieved(clip_30: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    retrieved: list[str] = []
    real_capture = vision.video._capture

    @contextlib.contextmanager
    def counting_capture(path: Path) -> Iterator[CountingCapture]:
        with real_capture(path) as cap:
            yield CountingCapture(cap, retrieved)

    with VideoReader(clip_30) as reader:
        monkeypatch.setattr(vision.video, "_capture", counting_capture)
        frames = list(reader.frames(stride=5))

    assert [f.index for f in frames] == [0, 5, 10, 15, 20, 25]
    assert len(retrieved) == len(frames)
    assert reader.frames_decoded == 30


@pytest.mark.parametrize(("stride", "start_s", "end_s"), [(0, None, None), (1, 2.0, 1.0)])
def test_bad_arguments(clip_30: Path, stride: int, start_s: float | None, end_s: float | None) -> None:
    with VideoReader(clip_30) as reader, pytest.raises(ValueError, match=r"stride|before"):
        reader.frames(stride=stride, start_s=start_s, end_s=end_s)


# ---------------------------------------------------------------- the decoding thread


def test_closing_the_generator_early_stops_the_thread(clip_30: Path) -> None:
    baseline = threading.active_count()
    with VideoReader(clip_30) as reader:
        frames = reader.frames()
        first = next(frames)
        assert threading.active_count() == baseline + 1  # blocked on the full queue
        frames.close()
        assert threading.active_count() == baseline
        assert first.index == 0
        assert 1 <= reader.frames_decoded < 30
        assert not reader.ended_early


def test_breaking_out_of_a_loop_stops_the_thread(clip_30: Path) -> None:
    baseline = threading.active_count()
    with VideoReader(clip_30) as reader:
        for frame in reader.frames():
            if frame.index == 3:
                break
        assert threading.active_count() == baseline


def test_leaving_the_reader_stops_an_open_generator(clip_30: Path) -> None:
    baseline = threading.active_count()
    with VideoReader(clip_30) as reader:
        frames = reader.frames()
        next(frames)
    assert threading.active_count() == baseline
    assert list(frames) == []
    with pytest.raises(ValueError, match="closed"):
        reader.frames()


def test_reader_is_reusable_for_several_passes(clip_30: Path) -> None:
    with VideoReader(clip_30) as reader:
        first = [f.index for f in reader.frames(stride=10)]
        second = [f.index for f in reader.frames(start_s=2.0, end_s=2.2)]
    assert first == [0, 10, 20]
    assert second == [20, 21, 22]


def test_decoding_errors_reach_the_caller(clip_30: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(image: Image, rotation_deg: int) -> Image:
        raise RuntimeError("boom")

    baseline = threading.active_count()
    with VideoReader(clip_30) as reader:
        monkeypatch.setattr(vision.video, "upright", broken)
        with pytest.raises(RuntimeError, match="boom"):
            list(reader.frames())
    assert threading.active_count() == baseline


# ---------------------------------------------------------------- bad inputs


def faststart_clip(path: Path, n_frames: int = 40) -> Path:
    """Index (moov) first, then noisy frames, so the samples are most of the file."""
    rng = np.random.default_rng(0)
    frames = [
        np.clip(image + rng.integers(-12, 13, image.shape), 0, 255).astype(np.uint8)
        for image in landscape_frames(n_frames)
    ]
    return write_clip(path, frames, params=("-crf", "12", "-g", "5", "-movflags", "+faststart"))


def make_bad_input(tmp_path: Path, kind: str) -> Path:
    if kind == "missing":
        return tmp_path / "missing.mp4"
    if kind == "directory":
        return tmp_path
    if kind == "empty":
        (tmp_path / "empty.mp4").touch()
        return tmp_path / "empty.mp4"
    if kind == "text":
        (tmp_path / "notes.mp4").write_text("this is not a video\n")
        return tmp_path / "notes.mp4"
    if kind in ("png", "png-renamed", "jpg"):
        suffix = {"png": ".png", "png-renamed": ".mp4", "jpg": ".jpg"}[kind]
        encoded = cv2.imencode(".jpg" if kind == "jpg" else ".png", pattern(0, *LANDSCAPE))[1]
        (tmp_path / f"still{suffix}").write_bytes(encoded.tobytes())
        return tmp_path / f"still{suffix}"
    if kind == "suffix":
        return faststart_clip(tmp_path / "clip.mp4", n_frames=3).rename(tmp_path / "clip.txt")
    if kind == "audio":
        ffmpeg(
            "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(tmp_path / "audio.mp4")
        )
        return tmp_path / "audio.mp4"
    assert kind == "truncated-index"  # moov at the end, cut off: nothing can be opened
    data = write_clip(tmp_path / "full.mp4", landscape_frames(20)).read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    return tmp_path / "cut.mp4"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "not found"),
        ("directory", "not a file"),
        ("empty", "empty"),
        ("text", "not a readable video"),
        ("png", "still image"),
        ("png-renamed", "still image"),
        ("jpg", "still image"),
        ("suffix", "unsupported file type"),
        ("audio", "no video stream"),
        ("truncated-index", "incomplete"),
    ],
)
def test_bad_inputs_raise_one_line_input_error(tmp_path: Path, kind: str, message: str) -> None:
    path = make_bad_input(tmp_path, kind)

    with pytest.raises(InputError, match=message) as caught:
        VideoReader(path)

    assert "\n" not in str(caught.value)
    assert str(path) in str(caught.value)


def test_truncated_faststart_clip_ends_early(tmp_path: Path) -> None:
    """Index intact, half the samples gone: the frames before the cut are read and ``ended_early`` is set."""
    data = faststart_clip(tmp_path / "full.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])

    frames, reader = read_all(cut)

    assert reader.ended_early
    assert 0 < len(frames) < 40
    assert reader.frames_decoded == len(frames)
    assert [read_index(f.image) for f in frames] == list(range(len(frames)))


def test_no_decodable_frame(tmp_path: Path) -> None:
    """A valid index whose sample data is gone: opens, but no frame decodes."""
    data = bytearray(faststart_clip(tmp_path / "full.mp4", n_frames=3).read_bytes())
    start = data.index(b"mdat") + 4
    data[start:] = bytes(len(data) - start)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data))

    with pytest.raises(InputError, match="no decodable video frame"):
        probe_video(broken)


def test_upper_case_suffix_and_mp4_named_mov(tmp_path: Path, clip_30: Path) -> None:
    """Upper-case suffixes, and MP4 data in a .MOV file (phones and AirDrop do this), are read."""
    renamed = tmp_path / "CLIP.MOV"
    shutil.copy(clip_30, renamed)
    assert probe_video(renamed).frame_count == 30


# ---------------------------------------------------------------- the real clip


@pytest.fixture
def real_clip() -> Path:
    if not REAL_CLIP.is_file():
        pytest.skip(f"real clip not available: {REAL_CLIP}")
    return REAL_CLIP


def test_real_clip_probe(real_clip: Path) -> None:
    info = probe_video(real_clip)

    assert (info.width_px, info.height_px) == (1280, 720)
    assert info.rotation_deg == 0
    assert info.codec == "h264"
    np.testing.assert_allclose(info.fps, 30.0, atol=0.01)
    assert 395 <= info.frame_count <= 405
    np.testing.assert_allclose(info.duration_s, info.frame_count / info.fps, atol=0.1)


def test_real_clip_decodes_completely(real_clip: Path) -> None:
    with VideoReader(real_clip) as reader:
        times_s = np.array([f.time_s for f in reader.frames(stride=10)])

    assert reader.frames_decoded == reader.info.frame_count
    assert not reader.ended_early
    np.testing.assert_allclose(np.diff(times_s), 10 / 30.0, atol=2e-3)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only"
)
def test_limit_heap_growth_takes_on_glibc() -> None:
    assert limit_heap_growth() is True
