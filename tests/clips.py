"""Helpers that make test clips with ffmpeg (imageio-ffmpeg's binary): trims, transforms, bad inputs.

Shared by the slow pipeline tests, the bad-input tests and the benchmarks. Nothing here runs MediaPipe.
Every function writes a new file and returns its path; clips are H.264 (yuv420p) unless said otherwise.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]

os.environ.setdefault(
    "OPENCV_FFMPEG_LOGLEVEL", "-8"
)  # OpenCV reads it once: keep decode noise out of test logs

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
SYNTHETIC = DATA / "synthetic"
REAL = DATA / "real"
WALK_SIDE = REAL / "sports2d_walk_side.mp4"
TWO_PEOPLE = REAL / "sports2d_demo.mp4"
SQUAT = REAL / "rohanx01_back_squat.mp4"  # feet side by side, the near leg is his right
REVERSE_LUNGE = REAL / "nowva_reverse_lunge.mp4"  # side-on, feet just clear of the bottom edge

#: Quality of intermediate encodes: high enough that re-encoding is not what a test measures.
CRF = "16"


def missing_reason(path: Path) -> str:
    """Skip reason for a test that needs ``path`` from the shared test data."""
    return f"test data {path} not found (it lives in ../shared/data beside the repository, not in a clone)"


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; raise with its last error lines if it fails."""
    command = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"ffmpeg failed ({done.returncode}): {' '.join(args)}\n" + "\n".join(tail))


def _h264(crf: str = CRF) -> list[str]:
    return ["-c:v", "libx264", "-preset", "veryfast", "-crf", crf, "-pix_fmt", "yuv420p", "-an"]


def trim(src: Path, dst: Path, start_s: float, duration_s: float, vf: str | None = None) -> Path:
    """Frame-accurate cut of ``duration_s`` seconds from ``start_s`` (re-encoded), with an optional filter."""
    args = ["-ss", f"{start_s:.3f}", "-i", str(src), "-t", f"{duration_s:.3f}"]
    if vf:
        args += ["-vf", vf]
    ffmpeg(*args, *_h264(), str(dst))
    return dst


def filtered(src: Path, dst: Path, vf: str, codec: list[str] | None = None) -> Path:
    """``src`` through the ffmpeg filter graph ``vf``, re-encoded (H.264 unless ``codec`` is given)."""
    ffmpeg("-i", str(src), "-vf", vf, *(codec or _h264()), str(dst))
    return dst


def hflip(src: Path, dst: Path) -> Path:
    """Mirror left-right."""
    return filtered(src, dst, "hflip")


def hevc(src: Path, dst: Path) -> Path:
    """Re-encode as HEVC (libx265), same frames and rate."""
    codec = ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "20", "-pix_fmt", "yuv420p", "-tag:v", "hvc1"]
    ffmpeg("-i", str(src), *codec, "-an", "-x265-params", "log-level=error", str(dst))
    return dst


def tag_rotation(src: Path, dst: Path, display_rotation_ccw_deg: int) -> Path:
    """Remux (no re-encode) with a display-matrix rotation tag: the player turns the frames CCW by this."""
    ffmpeg("-display_rotation", str(display_rotation_ccw_deg), "-i", str(src), "-c", "copy", str(dst))
    return dst


def stored_portrait(src: Path, dst: Path, clockwise_tag_deg: int = 90) -> Path:
    """A landscape clip stored as portrait pixels plus a rotation tag that turns it upright again.

    The pixels are turned by ``clockwise_tag_deg`` the other way (90: counter-clockwise, 270: clockwise) and
    the tag asks the player to turn them ``clockwise_tag_deg`` clockwise, as a phone held sideways does.
    """
    transpose = {90: "transpose=2", 270: "transpose=1"}[clockwise_tag_deg]
    stored = filtered(src, dst.with_name(dst.stem + "_stored.mp4"), transpose)
    return tag_rotation(stored, dst, -clockwise_tag_deg)


def map_frames(src: Path, dst: Path, transform: Callable[[Image], Image], crf: str = CRF) -> Path:
    """Decode ``src`` with OpenCV, apply ``transform`` to every BGR frame, encode H.264 at the same rate."""
    cap = cv2.VideoCapture(str(src))
    if not cap.isOpened():
        raise RuntimeError(f"OpenCV cannot open {src}")
    fps = cap.get(cv2.CAP_PROP_FPS)
    process: subprocess.Popen[bytes] | None = None
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            out = np.ascontiguousarray(transform(np.asarray(frame, dtype=np.uint8)))
            if process is None:
                height, width = out.shape[:2]
                command = [
                    FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                    "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", f"{fps:.6f}",
                    "-i", "-", *_h264(crf), str(dst),
                ]  # fmt: skip
                process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
            assert process.stdin is not None
            process.stdin.write(out.tobytes())
    finally:
        cap.release()
        if process is not None:
            _, err = process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"ffmpeg failed encoding {dst}: {err.decode(errors='replace')[-500:]}")
    if process is None:
        raise RuntimeError(f"no frame decoded from {src}")
    return dst


def rotate_image(image: Image, ccw_deg: float) -> Image:
    """Turn ``image`` counter-clockwise (as seen on screen) by ``ccw_deg`` about its centre, losing nothing.

    The canvas grows to hold the whole rotated frame and the corners are filled by replicating the border
    pixels, not with a flat colour: a flat fill would draw four long, perfectly straight edges at exactly the
    rotation angle and hand the camera-roll estimator the answer.
    """
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), ccw_deg, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w = int(np.ceil(width * cos + height * sin)) // 2 * 2
    new_h = int(np.ceil(width * sin + height * cos)) // 2 * 2
    matrix[0, 2] += new_w / 2.0 - width / 2.0
    matrix[1, 2] += new_h / 2.0 - height / 2.0
    out = cv2.warpAffine(
        image, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(out, dtype=np.uint8)


def rotated(src: Path, dst: Path, ccw_deg: float) -> Path:
    """Every frame of ``src`` turned counter-clockwise by ``ccw_deg`` (see :func:`rotate_image`)."""
    return map_frames(src, dst, lambda image: rotate_image(image, ccw_deg))


def scaled_brightness(src: Path, dst: Path, factor: float) -> Path:
    """Every RGB value multiplied by ``factor`` (a dim room)."""
    lut = f"val*{factor}"
    return filtered(src, dst, f"format=rgb24,lutrgb=r={lut}:g={lut}:b={lut},format=yuv420p")


def crop_bottom(src: Path, dst: Path, fraction: float) -> Path:
    """Cut away the bottom ``fraction`` of every frame (feet out of frame)."""
    return filtered(src, dst, f"crop=iw:trunc(ih*{1.0 - fraction}/2)*2:0:0")


def lavfi_clip(dst: Path, source: str, duration_s: float, size: str = "1280x720", fps: int = 30) -> Path:
    """A synthetic clip from an ffmpeg source filter: ``testsrc2``, ``color=c=gray``, ..."""
    spec = f"{source}{':' if '=' in source else '='}s={size}:r={fps}:d={duration_s}"
    ffmpeg("-f", "lavfi", "-i", spec, *_h264(), str(dst))
    return dst


def first_frame(src: Path) -> Image:
    """The first decoded frame of a clip (BGR)."""
    cap = cv2.VideoCapture(str(src))
    try:
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok:
        raise RuntimeError(f"no frame decoded from {src}")
    return np.asarray(frame, dtype=np.uint8)


def still(src: Path, dst: Path, kind: str = ".png") -> Path:
    """The first frame of ``src`` encoded as ``kind`` (``.png`` or ``.jpg``) whatever ``dst`` is named."""
    return write_image(first_frame(src), dst, kind)


def write_image(image: Image, dst: Path, kind: str) -> Path:
    ok, encoded = cv2.imencode(kind, image)
    if not ok:
        raise RuntimeError(f"cannot encode a {kind} image")
    dst.write_bytes(encoded.tobytes())
    return dst


def truncated(src: Path, dst: Path, keep_fraction: float = 0.5) -> Path:
    """The first ``keep_fraction`` of the bytes of ``src`` (a copy cut off mid-way)."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep_fraction)])
    return dst


def faststart(src: Path, dst: Path) -> Path:
    """Remux with the index (moov) at the front, as phones and web exports write it."""
    ffmpeg("-i", str(src), "-c", "copy", "-movflags", "+faststart", str(dst))
    return dst


def loop_to(src: Path, dst: Path, duration_s: float, vf: str, crf: str = "20") -> Path:
    """``src`` looped and cut to ``duration_s`` seconds through filter ``vf`` (benchmarks: long clips)."""
    ffmpeg(
        "-stream_loop", "-1", "-i", str(src), "-t", f"{duration_s:.3f}", "-vf", vf,
        "-c:v", "libx264", "-preset", "veryfast", "-crf", crf, "-pix_fmt", "yuv420p", "-an",
        "-movflags", "+faststart", str(dst),
    )  # fmt: skip
    return dst
