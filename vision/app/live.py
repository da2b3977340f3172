"""The live camera page's work, without Streamlit: find the front leg in each frame, draw it with its shin
angle and set-up hints, and record the raw frames for the same measurement as an uploaded clip."""

from __future__ import annotations

import contextlib
import math
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from vision import geometry
from vision.app.words import format_angle
from vision.output.annotate import AnnotatedVideoWriter, draw_leg
from vision.pose import quality
from vision.pose.landmarks import FramePose, LegLandmarks, PoseEstimator, Side

ImageBGR = npt.NDArray[np.uint8]
SIDES: tuple[Side, Side] = ("left", "right")
MIN_RECORDED_FRAMES = 5  # fewer live frames than this are not an attempt (e.g. one frame after STOP)
LIVE_RECORD_FPS = 15.0  # the live recording's frame rate (the measurement analyses about 15 fps anyway)
_LEG_NAMES = ("hip", "knee", "ankle", "heel", "toe")

# --- Live camera --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveLeg:
    """The front leg found in one live frame, and what to fix in the set-up."""

    side: Side | None
    points_px: dict[str, tuple[float, float]]
    shin_angle_deg: float | None
    hints: tuple[str, ...]


def live_leg(pose: FramePose, width_px: int, height_px: int, side: Side | None = None) -> LiveLeg:
    """The tested leg in one frame (the front one unless ``side`` is given), its angle and set-up hints."""
    if not np.isfinite(pose.xy_px).any():
        return LiveLeg(None, {}, None, ("Step into view: whole body side-on to the camera",))
    facing = _live_facing(pose)
    chosen = side or _front_side(pose, facing)
    marks = LegLandmarks.of(chosen)
    points = {name: pose.xy_px[int(getattr(marks, name))] for name in _LEG_NAMES}
    vis = {name: float(pose.visibility[int(getattr(marks, name))]) for name in _LEG_NAMES}
    hints: list[str] = []
    inside = all(
        np.all(np.isfinite(points[n])) and 0 <= points[n][0] < width_px and 0 <= points[n][1] < height_px
        for n in ("knee", "ankle", "heel", "toe")
    )
    if not inside or min(vis[n] for n in ("knee", "ankle", "heel", "toe")) < quality.MIN_VISIBILITY:
        hints.append("Keep the whole front foot and knee in the picture")
    shin_px = float(np.linalg.norm(points["knee"] - points["ankle"]))
    foot_px = float(np.linalg.norm(points["toe"] - points["heel"]))
    if math.isfinite(shin_px) and shin_px < quality.SMALL_SHIN_FRACTION * height_px:
        hints.append("Move the camera closer")
    if math.isfinite(shin_px) and math.isfinite(foot_px) and foot_px < quality.MIN_FOOT_TO_SHIN * shin_px:
        hints.append("Turn the camera square to the side of the front foot")
    angle = float(geometry.shin_angle_deg(points["knee"], points["ankle"], facing))
    return LiveLeg(
        chosen,
        {name: (float(p[0]), float(p[1])) for name, p in points.items()},
        angle if math.isfinite(angle) else None,
        tuple(hints),
    )


def _live_facing(pose: FramePose) -> int:
    votes = []
    for side in SIDES:
        marks = LegLandmarks.of(side)
        votes.append(pose.xy_px[int(marks.toe), 0] - pose.xy_px[int(marks.heel), 0])
    finite = [v for v in votes if math.isfinite(v)]
    return 1 if not finite or float(np.median(finite)) >= 0 else -1


def _front_side(pose: FramePose, facing: int) -> Side:
    left = pose.xy_px[int(LegLandmarks.of("left").ankle), 0]
    right = pose.xy_px[int(LegLandmarks.of("right").ankle), 0]
    if not math.isfinite(right) or (math.isfinite(left) and facing * left >= facing * right):
        return "left"
    return "right"


@dataclass
class LiveStatus:
    """What the live page shows beside the picture (read from the recorder's queue)."""

    shin_angle_deg: float | None
    hints: tuple[str, ...]
    frames_recorded: int
    seconds_recorded: float
    fps: float


class LiveRecorder:
    """Processes live camera frames: draws the leg and angle, and records the raw frames for :func:`measure`.

    ``process`` is called from the camera thread, ``finish`` when the stream stops: the recorded clip then
    goes into ``finished`` (a queue the app reads). The pose model is built once per recorder (per webcam
    session), on the first frame. Raw (undrawn) frames are recorded, so the measurement sees what the camera
    saw. Frames arrive at whatever rate the camera and the pose model allow, so the recording is written at a
    constant ``record_fps`` by time stamp: a frame is repeated when frames come slower and skipped when they
    come faster, and the clip's time line stays true to the wall clock (the rep detection works in seconds).
    """

    def __init__(
        self,
        side: Side | None = None,
        max_seconds: float = 60.0,
        record_fps: float = LIVE_RECORD_FPS,
        estimator_factory: Callable[[], PoseEstimator] | None = None,
    ) -> None:
        self.side = side
        self.max_seconds = max_seconds
        self.record_fps = record_fps
        self.finished: queue.Queue[Path | None] = queue.Queue()
        self.status: queue.Queue[LiveStatus] = queue.Queue(maxsize=1)
        self._factory = estimator_factory or (lambda: PoseEstimator(tracking=True))
        self._estimator: PoseEstimator | None = None
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._dir: Path | None = None
        self._writer: AnnotatedVideoWriter | None = None
        self._first_time: float | None = None
        self._last_time: float | None = None
        self._frames = 0  # camera frames recorded
        self._written = 0  # frames in the file (at record_fps)

    @property
    def recording(self) -> bool:
        return self._frames > 0

    def process(self, image_bgr: ImageBGR, time_s: float | None = None) -> ImageBGR:
        """Draw the front leg, its shin angle and set-up hints on a copy of the frame; record the frame."""
        now = time.monotonic() if time_s is None else time_s
        with self._lock:
            if self._estimator is None:
                self._estimator = self._factory()
            rgb = np.asarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
            pose = self._estimator.process(rgb, self._frames, now)
            self._record(image_bgr, now)
            frames, seconds = self._frames, self._seconds()
        height, width = image_bgr.shape[:2]
        leg = live_leg(pose, width, height, self.side)
        lines = [f"shin {format_angle(leg.shin_angle_deg)}" if leg.side else "no person", *leg.hints[:2]]
        lines.append(f"REC {seconds:.0f} s" if seconds < self.max_seconds else "REC full: press STOP")
        fps = (frames - 1) / seconds if seconds > 0 else 0.0
        self._publish(LiveStatus(leg.shin_angle_deg, leg.hints, frames, seconds, fps))
        return draw_leg(image_bgr, leg.points_px, leg.shin_angle_deg, lines=lines)

    def _seconds(self) -> float:
        if self._first_time is None or self._last_time is None:
            return 0.0
        return self._last_time - self._first_time

    def _record(self, image: ImageBGR, now: float) -> None:
        if self._first_time is None:
            self._first_time = now
            self._dir = Path(tempfile.mkdtemp(prefix="dorsiflex-live-"))
            height, width = image.shape[:2]
            self._writer = AnnotatedVideoWriter(self._dir / "live.mp4", self.record_fps, width, height)
        elapsed = now - self._first_time
        if elapsed > self.max_seconds or elapsed < 0 or self._writer is None:
            return
        self._last_time = now
        self._frames += 1
        if image.shape[:2] != (self._writer.height_px, self._writer.width_px):
            size = (self._writer.width_px, self._writer.height_px)
            image = np.asarray(cv2.resize(image, size), dtype=np.uint8)
        due = int(elapsed * self.record_fps) + 1  # frames the file should hold up to now
        while self._written < due:
            self._writer.write(image)
            self._written += 1

    def _publish(self, status: LiveStatus) -> None:
        with contextlib.suppress(queue.Empty):
            self.status.get_nowait()
        with contextlib.suppress(queue.Full):
            self.status.put_nowait(status)

    def finish(self) -> Path | None:
        """Close the recording and hand it over through ``finished``.

        None is handed over with fewer than ``MIN_RECORDED_FRAMES`` camera frames: a frame or two that
        arrive after the stream was stopped are not an attempt.
        """
        with self._lock:
            path: Path | None = None
            if self._writer is not None:
                enough = self._frames >= MIN_RECORDED_FRAMES
                self._writer.close(check=enough)
                if enough:
                    path = self._writer.path
            if path is None and self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
            self._reset()
        self.finished.put(path)
        return path

    def close(self) -> None:
        """Release the model (the recorder can still be used: the model is rebuilt on the next frame)."""
        with self._lock:
            if self._estimator is not None:
                self._estimator.close()
                self._estimator = None


def discard_recording(path: Path | None) -> None:
    """Remove a recorded live clip and its temporary directory."""
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)
