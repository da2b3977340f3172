"""Live camera speed: frames per second of pose estimation + drawing on 640x480 frames (not a test).

    .venv/bin/python benchmarks/live_fps.py [--frames 150] [--clip sample_videos/lunge_left_aruco.mp4]

Times two things on the same frames (taken from a lunge clip, scaled and padded to 640x480 as a webcam
delivers them):

* ``pose+draw``: ``PoseEstimator.process`` and drawing the leg, shin line and angle (the live view's cost);
* ``recorder``: ``LiveRecorder.process``, which also records the raw frame to an H.264 file for the
  measurement (what the app's frame callback does).

The live view needs at least 15 fps. The first frames (model start-up) are not timed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vision.app.logic import LiveRecorder, discard_recording, live_leg  # noqa: E402
from vision.output.annotate import draw_leg  # noqa: E402
from vision.pose.landmarks import PoseEstimator  # noqa: E402
from vision.video import VideoReader  # noqa: E402

WIDTH, HEIGHT = 640, 480
WARM_UP = 10


def webcam_frames(clip: Path, count: int) -> list[npt.NDArray[np.uint8]]:
    """``count`` frames of the clip, letterboxed to 640x480 (looping the clip if it is short)."""
    frames: list[npt.NDArray[np.uint8]] = []
    with VideoReader(clip) as reader:
        for frame in reader.frames():
            image = frame.image
            scale = min(WIDTH / image.shape[1], HEIGHT / image.shape[0])
            small = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)))
            canvas = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
            y0, x0 = (HEIGHT - small.shape[0]) // 2, (WIDTH - small.shape[1]) // 2
            canvas[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
            frames.append(canvas)
    if not frames:
        raise SystemExit(f"no frames in {clip}")
    return [frames[i % len(frames)] for i in range(count)]


def fps(durations: list[float]) -> tuple[float, float]:
    """(mean fps, 90th-percentile frame time in ms) of the timed frames."""
    timed = durations[WARM_UP:]
    p90 = statistics.quantiles(timed, n=10)[-1] if len(timed) >= 10 else max(timed)
    return len(timed) / sum(timed), 1000 * p90


def bench_pose_and_draw(frames: list[npt.NDArray[np.uint8]]) -> list[float]:
    durations = []
    with PoseEstimator(tracking=True) as estimator:
        for i, image in enumerate(frames):
            start = time.perf_counter()
            rgb = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)
            pose = estimator.process(rgb, i, i / 30)
            leg = live_leg(pose, WIDTH, HEIGHT)
            draw_leg(image, leg.points_px, leg.shin_angle_deg, lines=[f"shin {leg.shin_angle_deg or 0:.1f}°"])
            durations.append(time.perf_counter() - start)
    return durations


def bench_recorder(frames: list[npt.NDArray[np.uint8]]) -> list[float]:
    recorder = LiveRecorder(max_seconds=600)
    durations = []
    for i, image in enumerate(frames):
        start = time.perf_counter()
        recorder.process(image, i / 30)
        durations.append(time.perf_counter() - start)
    discard_recording(recorder.finish())
    recorder.close()
    return durations


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--clip", type=Path, default=ROOT / "sample_videos" / "lunge_left_aruco.mp4")
    args = parser.parse_args()
    frames = webcam_frames(args.clip, max(args.frames, WARM_UP + 10))
    for name, bench in (("pose+draw", bench_pose_and_draw), ("recorder", bench_recorder)):
        mean_fps, p90_ms = fps(bench(frames))
        verdict = "OK" if mean_fps >= 15 else "TOO SLOW"
        print(f"{name:10s} {mean_fps:6.1f} fps  (p90 frame {p90_ms:5.1f} ms, {WIDTH}x{HEIGHT})  {verdict}")  # noqa: T201


if __name__ == "__main__":
    main()
