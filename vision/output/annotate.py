"""Drawing the measurement on frames, and writing annotated videos and images.

Drawing functions are pure: they return a new image and never modify their input. OpenCV's Hershey fonts
have no degree sign, so ``°`` in any drawn text is rendered as a small circle.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
import numpy.typing as npt

from vision.errors import InputError

ImageBGR = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]
Colour = tuple[int, int, int]

SKELETON_BGR: Colour = (255, 200, 0)
JOINT_BGR: Colour = (0, 165, 255)
SHIN_BGR: Colour = (255, 0, 255)
VERTICAL_BGR: Colour = (0, 255, 255)
ANGLE_BGR: Colour = (80, 255, 80)
#: Marks the frames of a rep's hold: the app's accent blue (#1f4e8c), not red, which reads as an error.
HIGHLIGHT_BGR: Colour = (140, 78, 31)
TEXT_BGR: Colour = (255, 255, 255)

LEG_CHAIN = ("hip", "knee", "ankle", "heel", "toe", "ankle")
_SHIN_EXTENSION = 0.15  # drawn past the knee, as a fraction of the shin length
_VERTICAL_LENGTH = 1.15  # reference line length, as a fraction of the shin length
_ARC_RADIUS = 0.3  # as a fraction of the shin length
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_BOX_ALPHA = 0.6
_ENCODER_OPTIONS = ["-crf", "20", "-preset", "veryfast", "-movflags", "+faststart"]


@dataclass(frozen=True)
class _Style:
    """Line widths and font sizes scaled to the image (reference: the short side is 720 px)."""

    line_px: int
    shin_px: int
    joint_px: int
    dash_px: int
    font_scale: float
    text_px: int
    margin_px: int

    @classmethod
    def for_image(cls, height_px: int, width_px: int) -> _Style:
        unit = max(min(height_px, width_px) / 720.0, 0.35)
        return cls(
            line_px=max(1, round(3 * unit)),
            shin_px=max(2, round(7 * unit)),
            joint_px=max(2, round(6 * unit)),
            dash_px=max(4, round(14 * unit)),
            font_scale=0.8 * unit,
            text_px=max(1, round(2 * unit)),
            margin_px=max(4, round(12 * unit)),
        )


def _finite_point(points_px: Mapping[str, tuple[float, float]], name: str) -> FloatArray | None:
    point = np.asarray(points_px.get(name, (math.nan, math.nan)), dtype=np.float64)
    return point if point.shape == (2,) and bool(np.all(np.isfinite(point))) else None


def _ipt(point: FloatArray, image: ImageBGR) -> tuple[int, int]:
    """Integer pixel for OpenCV, clamped so far-away points cannot overflow."""
    bound = 4 * max(image.shape[:2])
    x, y = np.clip(np.rint(point), -bound, bound)
    return int(x), int(y)


def _text_size(text: str, scale: float, thickness: int) -> tuple[int, int]:
    """(width, height) of ``text`` as drawn by :func:`_put_text`."""
    parts = text.split("°")
    width = sum(cv2.getTextSize(part, _FONT, scale, thickness)[0][0] for part in parts)
    height = cv2.getTextSize("0", _FONT, scale, thickness)[0][1]
    return width + (len(parts) - 1) * _degree_width(height, thickness), height


def _degree_width(text_height_px: int, thickness: int) -> int:
    return 2 * _degree_radius(text_height_px) + 2 * thickness


def _degree_radius(text_height_px: int) -> int:
    return max(2, round(0.18 * text_height_px))


def _put_text(
    image: ImageBGR,
    text: str,
    origin: tuple[int, int],
    scale: float,
    colour: Colour,
    thickness: int,
    outline_px: int = 0,
) -> None:
    """``cv2.putText`` (bottom-left ``origin``) drawing ``°`` as a small circle, with an optional black
    outline ``outline_px`` wide. Modifies ``image``."""
    x, y = origin
    height = cv2.getTextSize("0", _FONT, scale, thickness)[0][1]
    radius = _degree_radius(height)
    ring_px = max(1, thickness // 2 + 1)
    passes = [((0, 0, 0), 2 * outline_px), (colour, 0)] if outline_px > 0 else [(colour, 0)]
    for i, part in enumerate(text.split("°")):
        if i > 0:
            centre = (x + radius + thickness, y - height + radius)
            for pass_colour, extra_px in passes:
                cv2.circle(image, centre, radius, pass_colour, ring_px + extra_px, cv2.LINE_AA)
            x += _degree_width(height, thickness)
        for pass_colour, extra_px in passes:
            cv2.putText(image, part, (x, y), _FONT, scale, pass_colour, thickness + extra_px, cv2.LINE_AA)
        x += cv2.getTextSize(part, _FONT, scale, thickness)[0][0]


def _draw_skeleton(image: ImageBGR, points_px: Mapping[str, tuple[float, float]], style: _Style) -> None:
    for a_name, b_name in itertools.pairwise(LEG_CHAIN):
        a, b = _finite_point(points_px, a_name), _finite_point(points_px, b_name)
        if a is not None and b is not None:
            cv2.line(image, _ipt(a, image), _ipt(b, image), SKELETON_BGR, style.line_px, cv2.LINE_AA)


def _draw_joints(image: ImageBGR, points_px: Mapping[str, tuple[float, float]], style: _Style) -> None:
    for name in dict.fromkeys(LEG_CHAIN):
        point = _finite_point(points_px, name)
        if point is not None:
            cv2.circle(image, _ipt(point, image), style.joint_px, JOINT_BGR, -1, cv2.LINE_AA)


def _visible_fractions(start: FloatArray, end: FloatArray, image: ImageBGR) -> tuple[float, float] | None:
    """Fractions (t0, t1) of the segment start->end inside the image (Liang-Barsky); None if outside."""
    height_px, width_px = image.shape[:2]
    delta = end - start
    t0, t1 = 0.0, 1.0
    for p, q in (
        (-delta[0], start[0]),
        (delta[0], width_px - 1 - start[0]),
        (-delta[1], start[1]),
        (delta[1], height_px - 1 - start[1]),
    ):
        if p == 0:
            if q < 0:
                return None
        elif p < 0:
            t0 = max(t0, q / p)
        else:
            t1 = min(t1, q / p)
    return (t0, t1) if t0 <= t1 else None


def _draw_dashed(image: ImageBGR, start: FloatArray, end: FloatArray, style: _Style) -> None:
    """Dashes from ``start`` to ``end``; only the visible part is drawn, so far-off points cost nothing."""
    length_px = float(np.linalg.norm(end - start))
    visible = _visible_fractions(start, end, image)
    if visible is None or length_px < 1.0:
        return
    period_px = 2 * style.dash_px
    first, last = (
        math.floor(visible[0] * length_px / period_px),
        math.ceil(visible[1] * length_px / period_px),
    )
    for i in range(first, last):
        a = start + (end - start) * (i * period_px / length_px)
        b = start + (end - start) * (min(i * period_px + style.dash_px, length_px) / length_px)
        cv2.line(image, _ipt(a, image), _ipt(b, image), VERTICAL_BGR, style.line_px, cv2.LINE_AA)


def _arc_points(
    centre: FloatArray,
    from_unit: FloatArray,
    to_unit: FloatArray,
    radius_px: float,
) -> FloatArray:
    """(n, 2) points on the shorter arc from one direction to the other."""
    start = math.atan2(from_unit[1], from_unit[0])
    sweep = (math.atan2(to_unit[1], to_unit[0]) - start + math.pi) % (2 * math.pi) - math.pi
    theta = start + np.linspace(0.0, sweep, 32)
    points: FloatArray = centre + radius_px * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return points


def _draw_angle(
    image: ImageBGR,
    ankle: FloatArray,
    knee: FloatArray,
    up: FloatArray,
    angle_deg: float,
    style: _Style,
) -> None:
    """The arc between the vertical and the shin, and the angle text beside the vertical, away from the
    shin."""
    shin_px = float(np.linalg.norm(knee - ankle))
    radius_px = _ARC_RADIUS * shin_px
    arc = _arc_points(ankle, up, (knee - ankle) / shin_px, radius_px)
    polyline = np.array([_ipt(p, image) for p in arc], dtype=np.int32)
    cv2.polylines(image, [polyline], False, ANGLE_BGR, style.line_px, cv2.LINE_AA)
    text = f"{angle_deg:.1f}°"
    width_px, height_px = _text_size(text, style.font_scale, style.text_px)
    right = np.array([-up[1], up[0]])  # screen-right of the vertical when up is (0, -1)
    away = -1.0 if float((knee - ankle) @ right) >= 0 else 1.0
    anchor = ankle + up * radius_px + right * away * style.margin_px
    left_px = anchor[0] - width_px if away * right[0] < 0 else anchor[0]
    x = int(np.clip(left_px, style.margin_px, image.shape[1] - width_px - style.margin_px))
    y = int(np.clip(anchor[1] + height_px / 2, height_px + style.margin_px, image.shape[0] - style.margin_px))
    _put_text(image, text, (x, y), style.font_scale, ANGLE_BGR, style.text_px, outline_px=style.line_px)


def _draw_shin_and_vertical(
    image: ImageBGR,
    points_px: Mapping[str, tuple[float, float]],
    shin_angle_deg: float | None,
    up_unit: tuple[float, float],
    style: _Style,
) -> None:
    """Shin line; with a valid ``up_unit`` also the dashed vertical and, given an angle, the arc."""
    ankle, knee = _finite_point(points_px, "ankle"), _finite_point(points_px, "knee")
    if ankle is None or knee is None or float(np.linalg.norm(knee - ankle)) < 1.0:
        return
    shin_px = float(np.linalg.norm(knee - ankle))
    up = np.asarray(up_unit, dtype=np.float64)
    if np.all(np.isfinite(up)) and np.linalg.norm(up) > 0:
        up = up / np.linalg.norm(up)
        _draw_dashed(image, ankle, ankle + up * _VERTICAL_LENGTH * shin_px, style)
        if shin_angle_deg is not None and math.isfinite(shin_angle_deg):
            _draw_angle(image, ankle, knee, up, shin_angle_deg, style)
    tip = knee + (knee - ankle) * _SHIN_EXTENSION
    cv2.line(image, _ipt(ankle, image), _ipt(tip, image), SHIN_BGR, style.shin_px, cv2.LINE_AA)


def _draw_text_box(image: ImageBGR, lines: Sequence[str], style: _Style) -> None:
    """Lines of text on a translucent dark box in the top-left corner."""
    if not lines:
        return
    sizes = [_text_size(line, style.font_scale, style.text_px) for line in lines]
    line_height_px = max(h for _, h in sizes) + style.margin_px
    x0 = y0 = style.margin_px // 2
    x1 = min(image.shape[1], x0 + max(w for w, _ in sizes) + 2 * style.margin_px)
    y1 = min(image.shape[0], y0 + len(lines) * line_height_px + style.margin_px)
    box = image[y0:y1, x0:x1]
    box[:] = (box.astype(np.float32) * (1.0 - _BOX_ALPHA)).astype(np.uint8)
    for i, line in enumerate(lines):
        origin = (x0 + style.margin_px, y0 + (i + 1) * line_height_px)
        _put_text(image, line, origin, style.font_scale, TEXT_BGR, style.text_px)


def _check_image(image_bgr: npt.NDArray[np.generic]) -> None:
    if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
        raise ValueError(f"expected a BGR uint8 image (H, W, 3), got {image_bgr.dtype} {image_bgr.shape}")


def draw_leg(
    image_bgr: ImageBGR,
    points_px: Mapping[str, tuple[float, float]],
    shin_angle_deg: float | None,
    up_unit: tuple[float, float] = (0.0, -1.0),
    lines: Sequence[str] = (),
    highlight: bool = False,
) -> ImageBGR:
    """A copy of ``image_bgr`` with the tested leg, the shin angle and ``lines`` of text drawn on it.

    Args:
        points_px: pixel (x, y) of ``hip``, ``knee``, ``ankle``, ``heel``, ``toe``; missing or NaN points
            (and the segments touching them) are skipped.
        shin_angle_deg: the measured angle to print at the arc; None draws no arc.
        up_unit: image direction of the floor normal; the dashed reference line runs along it.
        lines: text for the top-left box.
        highlight: frame the image in red (e.g. the frame of peak dorsiflexion).
    """
    _check_image(image_bgr)
    out = image_bgr.copy()
    style = _Style.for_image(out.shape[0], out.shape[1])
    _draw_skeleton(out, points_px, style)
    _draw_shin_and_vertical(out, points_px, shin_angle_deg, up_unit, style)
    _draw_joints(out, points_px, style)
    _draw_text_box(out, lines, style)
    if highlight:
        cv2.rectangle(out, (0, 0), (out.shape[1] - 1, out.shape[0] - 1), HIGHLIGHT_BGR, 2 * style.shin_px)
    return out


def _check_writable(path: Path) -> None:
    """Create (or truncate) ``path`` to learn early that it cannot be written."""
    try:
        with path.open("wb"):
            pass
    except OSError as err:
        raise InputError(f"cannot write {path} ({err.strerror}): choose a folder you can write to") from err


class AnnotatedVideoWriter:
    """H.264 (yuv420p, +faststart) MP4 writer that browsers can play, fed with BGR frames.

    Odd sizes are padded by one pixel (edge replicated) to the even size that yuv420p needs.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, width_px: int, height_px: int) -> None:
        if not (math.isfinite(fps) and fps > 0 and width_px > 0 and height_px > 0):
            raise ValueError(f"invalid video format: {width_px}x{height_px} at {fps} fps")
        self.path = Path(path)
        self.width_px, self.height_px = width_px, height_px
        self.frames_written = 0
        _check_writable(self.path)
        self._writer: Generator[None, ImageBGR | None, None] | None = imageio_ffmpeg.write_frames(
            str(self.path),
            (width_px + width_px % 2, height_px + height_px % 2),
            pix_fmt_in="bgr24",
            pix_fmt_out="yuv420p",
            fps=float(fps),
            quality=None,
            codec="libx264",
            macro_block_size=1,
            ffmpeg_log_level="error",
            output_params=list(_ENCODER_OPTIONS),
        )
        self._writer.send(None)

    def __enter__(self) -> AnnotatedVideoWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.close(check=exc_type is None)

    def write(self, image_bgr: ImageBGR) -> None:
        """Append one frame of the size given at construction."""
        if self._writer is None:
            raise ValueError("AnnotatedVideoWriter is closed")
        _check_image(image_bgr)
        if image_bgr.shape[:2] != (self.height_px, self.width_px):
            raise ValueError(
                f"frame is {image_bgr.shape[1]}x{image_bgr.shape[0]}, expected {self.width_px}x"
                f"{self.height_px}"
            )
        pad_bottom, pad_right = self.height_px % 2, self.width_px % 2
        if pad_bottom or pad_right:
            image_bgr = np.asarray(
                cv2.copyMakeBorder(image_bgr, 0, pad_bottom, 0, pad_right, cv2.BORDER_REPLICATE),
                dtype=np.uint8,
            )
        try:
            self._writer.send(np.ascontiguousarray(image_bgr))
        except OSError as err:
            raise InputError(
                f"writing {self.path} failed (disk full?): free some space and try again"
            ) from err
        self.frames_written += 1

    def close(self, check: bool = True) -> None:
        """Finish the file; with ``check``, raise :class:`InputError` if ffmpeg left no video."""
        if self._writer is None:
            return
        self._writer.close()
        self._writer = None
        if check and self.frames_written > 0 and not (self.path.is_file() and self.path.stat().st_size > 0):
            raise InputError(f"ffmpeg could not write {self.path}: check free disk space and try again")


def write_png(path: str | os.PathLike[str], image_bgr: ImageBGR) -> None:
    """Write ``image_bgr`` as a PNG (whatever the suffix); raise :class:`InputError` if that fails."""
    ok, encoded = cv2.imencode(".png", image_bgr)
    if not ok:
        raise InputError(f"could not encode the image for {path} as PNG")
    try:
        Path(path).write_bytes(encoded.tobytes())
    except OSError as err:
        raise InputError(f"cannot write {path} ({err.strerror}): choose a folder you can write to") from err
