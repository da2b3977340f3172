"""Pose landmarks: the only module that imports MediaPipe.

MediaPipe returns coordinates normalised to the image width and height; they are converted to pixels here,
before any angle is computed, because normalised x and y distort angles whenever width != height.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Side = Literal["left", "right"]
FloatArray = npt.NDArray[np.float64]

N_LANDMARKS = 33


class Landmark(IntEnum):
    """BlazePose landmark indices used by this project (the model has 33)."""

    NOSE = 0
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


@dataclass(frozen=True)
class LegLandmarks:
    """The landmark indices of one leg."""

    hip: Landmark
    knee: Landmark
    ankle: Landmark
    heel: Landmark
    toe: Landmark

    @classmethod
    def of(cls, side: Side) -> LegLandmarks:
        if side == "left":
            return cls(
                Landmark.LEFT_HIP,
                Landmark.LEFT_KNEE,
                Landmark.LEFT_ANKLE,
                Landmark.LEFT_HEEL,
                Landmark.LEFT_FOOT_INDEX,
            )
        return cls(
            Landmark.RIGHT_HIP,
            Landmark.RIGHT_KNEE,
            Landmark.RIGHT_ANKLE,
            Landmark.RIGHT_HEEL,
            Landmark.RIGHT_FOOT_INDEX,
        )


@dataclass(frozen=True)
class PoseTrack:
    """Landmarks over a clip, in pixels of the upright frame. Missing frames are NaN, never dropped.

    Attributes:
        xy_px: (n_frames, 33, 2) pixel x (right) and y (down), NaN where no person was found.
        visibility: (n_frames, 33) MediaPipe visibility in [0, 1], 0 where no person was found.
        world_m: (n_frames, 33, 3) MediaPipe world landmarks in metres (hip-centred), NaN where missing.
        time_s: (n_frames,) presentation time of each frame in seconds.
        frame_index: (n_frames,) index of each frame in the decoded stream.
        width_px, height_px: size of the upright frame.
    """

    xy_px: FloatArray
    visibility: FloatArray
    world_m: FloatArray
    time_s: FloatArray
    frame_index: npt.NDArray[np.int64]
    width_px: int
    height_px: int

    def __post_init__(self) -> None:
        n = self.time_s.shape[0]
        expected = {
            "xy_px": (n, N_LANDMARKS, 2),
            "visibility": (n, N_LANDMARKS),
            "world_m": (n, N_LANDMARKS, 3),
            "time_s": (n,),
            "frame_index": (n,),
        }
        for name, shape in expected.items():
            actual = getattr(self, name).shape
            if actual != shape:
                raise ValueError(f"PoseTrack.{name} has shape {actual}, expected {shape}")

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    def point(self, landmark: Landmark) -> FloatArray:
        """(n_frames, 2) pixel track of one landmark."""
        return self.xy_px[:, int(landmark), :]

    def vis(self, landmark: Landmark) -> FloatArray:
        """(n_frames,) visibility track of one landmark."""
        return self.visibility[:, int(landmark)]

    @classmethod
    def from_frames(cls, frames: list[FramePose], width_px: int, height_px: int) -> PoseTrack:
        """Stack per-frame results (in time order) into one track."""
        n = len(frames)
        return cls(
            xy_px=np.array([f.xy_px for f in frames], dtype=np.float64).reshape(n, N_LANDMARKS, 2),
            visibility=np.array([f.visibility for f in frames], dtype=np.float64).reshape(n, N_LANDMARKS),
            world_m=np.array([f.world_m for f in frames], dtype=np.float64).reshape(n, N_LANDMARKS, 3),
            time_s=np.array([f.time_s for f in frames], dtype=np.float64),
            frame_index=np.array([f.frame_index for f in frames], dtype=np.int64),
            width_px=width_px,
            height_px=height_px,
        )


@dataclass(frozen=True)
class FramePose:
    """Landmarks of one frame, in pixels. All NaN (visibility 0) when no person was found."""

    frame_index: int
    time_s: float
    xy_px: FloatArray  # (33, 2)
    visibility: FloatArray  # (33,)
    world_m: FloatArray  # (33, 3)

    @classmethod
    def missing(cls, frame_index: int, time_s: float) -> FramePose:
        return cls(
            frame_index,
            time_s,
            np.full((N_LANDMARKS, 2), np.nan),
            np.zeros(N_LANDMARKS),
            np.full((N_LANDMARKS, 3), np.nan),
        )

    @classmethod
    def from_mediapipe(
        cls, result: Any, frame_index: int, time_s: float, width_px: int, height_px: int
    ) -> FramePose:
        """Adapter from a ``mp.solutions.pose.Pose.process`` result to pixel coordinates."""
        if result.pose_landmarks is None:
            return cls.missing(frame_index, time_s)
        lms = result.pose_landmarks.landmark
        xy = np.array([[lm.x * width_px, lm.y * height_px] for lm in lms], dtype=np.float64)
        vis = np.array([lm.visibility for lm in lms], dtype=np.float64)
        world = np.full((N_LANDMARKS, 3), np.nan)
        if result.pose_world_landmarks is not None:
            world = np.array(
                [[lm.x, lm.y, lm.z] for lm in result.pose_world_landmarks.landmark], dtype=np.float64
            )
        return cls(frame_index, time_s, xy, vis, world)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence native code writing to file descriptor 2 (MediaPipe's start-up logging)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class PoseEstimator:
    """MediaPipe BlazePose (full model, bundled with the wheel) as a context manager.

    ``tracking=True`` uses MediaPipe's video mode: the person detector runs only when tracking is lost and
    each frame's region of interest comes from the previous frame's landmarks. MediaPipe's own landmark
    smoothing is off: it filters causally and lags the peak; :mod:`vision.timeseries` smooths without lag.
    """

    def __init__(self, tracking: bool = True, model_complexity: int = 1) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with _quiet_stderr():
            import mediapipe as mp  # the project's only MediaPipe import

            self._pose = mp.solutions.pose.Pose(
                static_image_mode=not tracking,
                model_complexity=model_complexity,
                smooth_landmarks=False,
                min_detection_confidence=0.5,
                min_tracking_confidence=0.5,
            )

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._pose.close()

    def process(self, rgb: npt.NDArray[np.uint8], frame_index: int = 0, time_s: float = 0.0) -> FramePose:
        """Landmarks of one RGB frame (height, width, 3) in pixel coordinates."""
        height, width = rgb.shape[:2]
        with _quiet_stderr():
            result = self._pose.process(rgb)
        return FramePose.from_mediapipe(result, frame_index, time_s, width, height)
