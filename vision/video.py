"""Video input: probe a clip, then decode upright BGR frames with the container's timestamps.

OpenCV decodes every format we accept but does not apply the rotation tag (display matrix) that phones write
into portrait clips, so the tag is read from ffmpeg's stream header and applied here with ``cv2.rotate``.
Decoding runs in a background thread that fills a small bounded queue: it overlaps with the caller's work
and memory stays flat for any clip length.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue
import re
import subprocess
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np
import numpy.typing as npt

from vision.errors import InputError
from vision.startup import VIDEO_SUFFIXES

log = logging.getLogger(__name__)

_STILL_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".heic", ".heif", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".avif"}
)
_STILL_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")
_STILL_BRANDS = (b"heic", b"heix", b"mif1", b"avif")
_PROBE_TIMEOUT_S = 20.0
_QUEUE_FRAMES = 4
#: Frames are analysed with their long side at most this many pixels: a 4K phone clip is halved as it is
#: decoded. Pose estimation looks at 256 px anyway, and at filming distance a 1080p frame already gives the
#: toe, a marker or the wall to about 2 mm a pixel; a 12 s 4K clip analysed whole took 1.0 GB and 24 s.
MAX_ANALYSED_SIDE_PX = 1920
_POLL_S = 0.05
_JOIN_TIMEOUT_S = 5.0
_SEEK_MARGIN_S = 1.0
_TIME_TOLERANCE_S = 1e-3  # start_s/end_s are inclusive up to container rounding
_EARLY_END_MIN_S = 0.5
_EARLY_END_FRACTION = 0.05
_ROTATE_CODES = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}

_INPUT_RE = re.compile(r"^Input #\d+, (?P<format>.+?), from ")
_DURATION_RE = re.compile(r"Duration: (?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d(?:\.\d+)?)")
_STREAM_RE = re.compile(r"^\s*Stream #\d+:\d+")
_VIDEO_RE = re.compile(r"^\s*Stream #\d+:\d+.*?: Video: (?P<codec>\w+)(?P<rest>.*)$")
_FPS_RE = re.compile(r"(?P<fps>\d+(?:\.\d+)?) fps")
_MATRIX_RE = re.compile(r"rotation of (?P<ccw>-?\d+(?:\.\d+)?) degrees", re.IGNORECASE)
_ROTATE_TAG_RE = re.compile(r"^\s*rotate\s*:\s*(?P<cw>-?\d+)\s*$")


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a clip. ``width_px`` and ``height_px`` are of the frames the reader
    yields: upright, and shrunk by ``analysed_scale`` (< 1) where the long side exceeds
    :data:`MAX_ANALYSED_SIDE_PX`; ``stored_`` sizes are the file's, before its rotation.

    ``rotation_deg`` is the clockwise rotation (0, 90, 180 or 270) applied to stored frames to show them
    upright; ``frame_count`` is the container's (0 when unknown, estimated for some formats).
    """

    path: Path
    width_px: int
    height_px: int
    stored_width_px: int
    stored_height_px: int
    fps: float
    frame_count: int
    duration_s: float
    rotation_deg: int
    codec: str
    analysed_scale: float = 1.0

    @property
    def file_size_px(self) -> tuple[int, int]:
        """The file's upright width and height (the frames are these times ``analysed_scale``)."""
        if self.rotation_deg in (90, 270):
            return self.stored_height_px, self.stored_width_px
        return self.stored_width_px, self.stored_height_px


@dataclass(frozen=True)
class Frame:
    """One decoded frame: index in the stream, presentation time, upright BGR image (H, W, 3)."""

    index: int
    time_s: float
    image: npt.NDArray[np.uint8]


@dataclass(frozen=True)
class _Header:
    """The parts of ffmpeg's stream header that OpenCV does not expose."""

    format_name: str
    codec: str | None  # None: no video stream
    rotation_deg: int
    duration_s: float | None
    fps: float | None

    @property
    def is_still(self) -> bool:
        return self.format_name.endswith("_pipe") or self.format_name == "image2"


def _clockwise_deg(degrees: float) -> int:
    """Nearest of 0/90/180/270 to a clockwise angle."""
    quarter_turns = round(degrees / 90.0)
    if not math.isclose(quarter_turns * 90.0, degrees, abs_tol=1.0):
        log.warning(
            "rotation tag of %.1f degrees is not a quarter turn; using %d", degrees, quarter_turns * 90
        )
    return int(quarter_turns * 90) % 360


def _parse_header(text: str) -> _Header:
    """Read format, first video stream's codec, fps and rotation from ``ffmpeg -i`` stderr.

    The display matrix line (``displaymatrix: rotation of -90.00 degrees`` or, in newer ffmpeg,
    ``Display Matrix: rotation of -90.00 degrees``) gives a counter-clockwise angle; the legacy
    ``rotate : 90`` stream tag gives a clockwise one.
    """
    format_name, codec, duration_s, fps = "", None, None, None
    rotation_deg, in_video = 0, False
    for line in text.splitlines():
        if (m := _INPUT_RE.match(line)) and not format_name:
            format_name = m["format"]
        elif (m := _DURATION_RE.search(line)) and duration_s is None:
            duration_s = int(m["h"]) * 3600.0 + int(m["m"]) * 60.0 + float(m["s"])
        elif _STREAM_RE.match(line):
            m = _VIDEO_RE.match(line)
            in_video = codec is None and m is not None and "(attached pic)" not in m["rest"]
            if in_video and m is not None:
                codec = m["codec"]
                fps_match = _FPS_RE.search(m["rest"])
                fps = float(fps_match["fps"]) if fps_match else None
        elif in_video and (m := _MATRIX_RE.search(line)):
            rotation_deg = _clockwise_deg(-float(m["ccw"]))
        elif in_video and (m := _ROTATE_TAG_RE.match(line)):
            rotation_deg = _clockwise_deg(float(m["cw"]))
    return _Header(format_name, codec, rotation_deg, duration_s, fps)


def _read_header(path: Path) -> _Header | None:
    """ffmpeg's stream header for ``path``; None (with a warning) when ffmpeg cannot be run."""
    try:
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-i",
            f"file:{path.resolve()}",
        ]
        done = subprocess.run(command, capture_output=True, timeout=_PROBE_TIMEOUT_S, check=False)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as err:
        log.warning("could not read the stream header of %s with ffmpeg (%s)", path, err)
        return None
    return _parse_header(done.stderr.decode("utf-8", errors="replace"))


def _sniff(path: Path) -> str:
    """'still', 'video' or 'unknown' from the first bytes of the file."""
    with path.open("rb") as f:
        head = f.read(16)
    is_ftyp = head[4:8] == b"ftyp"
    if head.startswith(_STILL_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "still"
    if is_ftyp and head[8:12] in _STILL_BRANDS:
        return "still"
    if is_ftyp or head.startswith(b"\x1a\x45\xdf\xa3") or (head[:4] == b"RIFF" and head[8:11] == b"AVI"):
        return "video"
    return "unknown"


def _still_image_error(path: Path) -> InputError:
    return InputError(f"{path} is a still image, not a video: record a video of the lunge ({_suffix_list()})")


def _suffix_list() -> str:
    return ", ".join(VIDEO_SUFFIXES)


def _check_file(path: Path) -> str:
    """Raise for problems visible without decoding; return what the first bytes look like."""
    if not path.exists():
        raise InputError(f"video not found: {path}: check the path and the file name")
    if not path.is_file():
        raise InputError(f"{path} is not a file: pass the path of a video file ({_suffix_list()})")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty (0 bytes): copy or export the video again")
    try:
        kind = _sniff(path)
    except OSError as err:
        raise InputError(f"cannot read {path} ({err.strerror}): check that the file is readable") from err
    if kind == "still" or path.suffix.lower() in _STILL_SUFFIXES:
        raise _still_image_error(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(
            f"{path}: unsupported file type '{path.suffix}': use a video file ({_suffix_list()})"
        )
    return kind


def _check_header(path: Path, header: _Header | None, kind: str) -> None:
    if header is None:
        return  # ffmpeg unavailable: OpenCV will tell
    if not header.format_name:
        raise _open_error(path, kind)  # ffmpeg could not open it; OpenCV (same libavformat) cannot either
    if header.is_still:
        raise _still_image_error(path)
    if header.codec is None:
        raise InputError(f"{path} has no video stream (audio only?): record or export a video of the lunge")


@contextlib.contextmanager
def _capture(path: Path) -> Iterator[cv2.VideoCapture]:
    """An OpenCV capture that does not rotate (we do) and does not print ffmpeg's decode errors."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET; read once, by the first capture
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if cap.isOpened():
            cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
        yield cap
    finally:
        cap.release()


def _open_error(path: Path, kind: str) -> InputError:
    if kind == "video":
        return InputError(
            f"{path} is incomplete or damaged and cannot be opened (was the recording or copy cut off?): "
            "copy or export it again"
        )
    return InputError(f"{path} is not a readable video: export the clip as .mp4 (H.264) and try again")


def _first_frame(cap: cv2.VideoCapture, path: Path) -> npt.NDArray[np.uint8]:
    ok, image = cap.read()
    if not ok or image is None or image.size == 0:
        raise InputError(
            f"{path} contains no decodable video frame: export the clip as .mp4 (H.264) and try again"
        )
    return np.asarray(image, dtype=np.uint8)


def _fps(cap: cv2.VideoCapture, header: _Header | None, path: Path) -> float:
    fps = float(cap.get(cv2.CAP_PROP_FPS))
    if math.isfinite(fps) and fps > 0:
        return fps
    if header is not None and header.fps is not None and header.fps > 0:
        return header.fps
    raise InputError(f"{path} has no known frame rate: export the clip as .mp4 (H.264) and try again")


def _codec(cap: cv2.VideoCapture, header: _Header | None) -> str:
    if header is not None and header.codec is not None:
        return header.codec
    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
    return fourcc.to_bytes(4, "little").decode("ascii", errors="replace").strip("\x00 ") or "unknown"


def _rotation_deg(cap: cv2.VideoCapture, header: _Header | None) -> int:
    if header is not None:
        return header.rotation_deg
    return _clockwise_deg(float(cap.get(cv2.CAP_PROP_ORIENTATION_META)))  # fallback: OpenCV's reading


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Check that ``path`` is a decodable video and describe it; raise :class:`InputError` otherwise."""
    path = Path(path)
    kind = _check_file(path)
    header = _read_header(path)
    _check_header(path, header, kind)
    with _capture(path) as cap:
        if not cap.isOpened():
            raise _open_error(path, kind)
        stored_height_px, stored_width_px = _first_frame(cap, path).shape[:2]
        fps = _fps(cap, header, path)
        frame_count = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
        rotation_deg = _rotation_deg(cap, header)
        codec = _codec(cap, header)
    duration_s = header.duration_s if header is not None and header.duration_s else frame_count / fps
    quarter = rotation_deg in (90, 270)
    width_px = stored_height_px if quarter else stored_width_px
    height_px = stored_width_px if quarter else stored_height_px
    scale = min(1.0, MAX_ANALYSED_SIDE_PX / max(width_px, height_px))
    return VideoInfo(
        path=path,
        width_px=max(1, round(width_px * scale)),
        height_px=max(1, round(height_px * scale)),
        stored_width_px=stored_width_px,
        stored_height_px=stored_height_px,
        fps=fps,
        frame_count=frame_count,
        duration_s=duration_s,
        rotation_deg=rotation_deg,
        codec=codec,
        analysed_scale=scale,
    )


def upright(image: npt.NDArray[np.uint8], rotation_deg: int) -> npt.NDArray[np.uint8]:
    """Rotate a stored frame clockwise by ``rotation_deg`` (0/90/180/270) to show it upright."""
    code = _ROTATE_CODES.get(rotation_deg % 360)
    return image if code is None else np.asarray(cv2.rotate(image, code), dtype=np.uint8)


def analysed(stored: npt.NDArray[np.uint8], info: VideoInfo) -> npt.NDArray[np.uint8]:
    """A stored frame as it is analysed: upright, and shrunk to ``info``'s frame size if it is larger."""
    image = upright(stored, info.rotation_deg)
    if (image.shape[1], image.shape[0]) == (info.width_px, info.height_px):
        return image
    size = (info.width_px, info.height_px)
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


@dataclass(frozen=True)
class _Plan:
    stride: int
    start_s: float | None
    end_s: float | None

    def before_start(self, time_s: float) -> bool:
        return self.start_s is not None and time_s < self.start_s - _TIME_TOLERANCE_S

    def after_end(self, time_s: float) -> bool:
        return self.end_s is not None and time_s > self.end_s + _TIME_TOLERANCE_S


@dataclass(frozen=True)
class _Done:
    """End-of-stream marker from the decoding thread; carries its exception, if any."""

    error: Exception | None = None


class _Cursor:
    """Stream position over an OpenCV capture: true index and strictly increasing container time."""

    def __init__(self, cap: cv2.VideoCapture, fps: float) -> None:
        self._cap = cap
        self.period_s = 1.0 / fps
        self.next_index = 0
        self.time_s = -math.inf

    def seek(self, start_s: float | None) -> None:
        """Jump to a little before ``start_s`` (the caller skips forward); small starts just skip."""
        if start_s is None or start_s <= _SEEK_MARGIN_S:
            return
        self._cap.set(cv2.CAP_PROP_POS_MSEC, (start_s - _SEEK_MARGIN_S) * 1000.0)
        self.next_index = max(0, round(self._cap.get(cv2.CAP_PROP_POS_FRAMES)))

    def grab(self) -> int | None:
        """Decode the next frame; its index, or None at the end of the stream."""
        if not self._cap.grab():
            return None
        time_s = float(self._cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0
        if not (math.isfinite(time_s) and time_s > self.time_s):
            log.debug(
                "frame %d has no increasing timestamp (%.4f s); using the nominal rate",
                self.next_index,
                time_s,
            )
            time_s = max(self.time_s + self.period_s, 0.0)
        self.time_s = time_s
        self.next_index += 1
        return self.next_index - 1


class _Decoder:
    """One pass over a clip in a background thread that feeds a bounded queue of frames."""

    def __init__(self, info: VideoInfo, plan: _Plan) -> None:
        self._info = info
        self._plan = plan
        self._queue: queue.Queue[Frame | _Done] = queue.Queue(maxsize=_QUEUE_FRAMES)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"decode {info.path.name}", daemon=True)
        self.frames_decoded = 0
        self.ended_early = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop and wait for it; safe to call more than once."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=_JOIN_TIMEOUT_S)
        if self._thread.is_alive():
            log.warning("decoding thread for %s did not stop within %.0f s", self._info.path, _JOIN_TIMEOUT_S)

    def frames(self) -> Iterator[Frame]:
        while not self._stop.is_set():
            try:
                item = self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    return
                continue
            if isinstance(item, _Done):
                if item.error is not None:
                    raise item.error
                return
            yield item

    def _put(self, item: Frame | _Done) -> bool:
        """Block until the consumer takes ``item``; False when asked to stop first."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
            except queue.Full:
                continue
            return True
        return False

    def _run(self) -> None:
        done = _Done()
        try:
            with _capture(self._info.path) as cap:
                self._decode(cap)
        except Exception as err:  # noqa: BLE001 - handed to the consuming thread, which raises it
            done = _Done(err)
        self._put(done)

    def _decode(self, cap: cv2.VideoCapture) -> None:
        cursor = _Cursor(cap, self._info.fps)
        cursor.seek(self._plan.start_s)
        in_range, last_time_s, at_eof = 0, None, False
        while not self._stop.is_set():
            index = cursor.grab()
            if index is None:
                at_eof = True
                break
            if self._plan.before_start(cursor.time_s):
                continue
            if self._plan.after_end(cursor.time_s):
                break
            if in_range % self._plan.stride == 0 and not self._emit(cap, index, cursor.time_s):
                break
            in_range += 1
            last_time_s = cursor.time_s
        self.frames_decoded = in_range
        self.ended_early = at_eof and self._short_of_end(last_time_s, cursor.next_index)

    def _emit(self, cap: cv2.VideoCapture, index: int, time_s: float) -> bool:
        ok, image = cap.retrieve()
        if not ok or image is None:
            raise InputError(f"{self._info.path}: frame {index} could not be decoded: export the clip again")
        frame = Frame(index, time_s, analysed(np.asarray(image, dtype=np.uint8), self._info))
        return self._put(frame)

    def _short_of_end(self, last_time_s: float | None, frames_seen: int) -> bool:
        """True when the stream ended well before the requested end, as a truncated file does."""
        info, plan = self._info, self._plan
        expected_end_s = info.duration_s if plan.end_s is None else min(plan.end_s, info.duration_s)
        start_s = plan.start_s or 0.0
        if start_s >= expected_end_s:
            return False
        period_s = 1.0 / info.fps
        decoded_end_s = start_s if last_time_s is None else last_time_s + period_s
        tolerance_s = max(_EARLY_END_MIN_S, _EARLY_END_FRACTION * expected_end_s, 5 * period_s)
        time_short = decoded_end_s < expected_end_s - tolerance_s
        if plan.end_s is not None or info.frame_count <= 0:
            return time_short
        tolerance_frames = max(5.0, _EARLY_END_FRACTION * info.frame_count)
        return time_short and frames_seen < info.frame_count - tolerance_frames


class VideoReader:
    """Upright frames of a clip with container timestamps, decoded in a background thread.

    Usage::

        with VideoReader(path) as reader:
            for frame in reader.frames(stride=2):
                ...
            if reader.ended_early:
                ...  # warn: the file looks truncated
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.info = probe_video(path)
        self.frames_decoded = 0
        self.ended_early = False
        self._decoders: set[_Decoder] = set()
        self._closed = False

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop any decoding still running. Open frame generators then end."""
        self._closed = True
        for decoder in list(self._decoders):
            decoder.stop()

    def frames(
        self, stride: int = 1, start_s: float | None = None, end_s: float | None = None
    ) -> Generator[Frame, None, None]:
        """Yield every ``stride``-th frame from ``start_s`` to ``end_s`` (inclusive, seconds).

        Skipped frames are decoded but not converted. ``Frame.index`` is the frame's index in the stream
        (approximate after a seek in a variable-frame-rate clip); ``Frame.time_s`` is the container's
        presentation time. Afterwards ``frames_decoded`` counts the frames decoded in the range (including
        those skipped by ``stride``) and ``ended_early`` says whether the stream stopped well short of its
        stated length.
        """
        if stride < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        if start_s is not None and end_s is not None and end_s < start_s:
            raise ValueError(f"end_s ({end_s}) is before start_s ({start_s})")
        if self._closed:
            raise ValueError("VideoReader is closed")
        return self._iterate(_Plan(stride, start_s, end_s))

    def _iterate(self, plan: _Plan) -> Generator[Frame, None, None]:
        decoder = _Decoder(self.info, plan)
        self._decoders.add(decoder)
        self.frames_decoded, self.ended_early = 0, False
        decoder.start()
        try:
            yield from decoder.frames()
        finally:
            decoder.stop()
            self._decoders.discard(decoder)
            self.frames_decoded, self.ended_early = decoder.frames_decoded, decoder.ended_early
            if decoder.ended_early:
                log.info(
                    "%s ended after %d frames, short of its stated length",
                    self.info.path,
                    self.frames_decoded,
                )
