"""Speed of ``vision.measure`` on a 1080p 30 fps H.264 clip made from the real side-view walk.

Reports, per analysis rate: wall time, video frames processed per wall second, analysed (pose-estimated)
frames per second, and speed against real time (video seconds / wall seconds). A decode-only pass shows how
much of the time is decoding. The issue's target: at least 2x real time for 1080p30 on 2 cores with the
default options.

Usage::

    .venv/bin/python benchmarks/speed.py [--duration 20] [--analysis-fps 15 0] [--cache DIR]

``--analysis-fps 0`` analyses every frame. The clip is cached in ``--cache`` (default: a temp folder).
The walk is not a lunge: if ``measure`` ends with InputError ("no forward rock") the time still covers the
whole clip (the error comes after pose estimation) and is reported.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
from common import DEFAULT_CACHE, bench_clip, cpus, load_average, out

import vision
from vision.landmarks import PoseEstimator
from vision.pipeline import analysis_stride
from vision.video import VideoReader, limit_heap_growth, probe_video

TARGET_SPEED = 2.0


def decode_only(path: Path, stride: int) -> float:
    """Wall seconds to decode the clip as measure() does (every frame decoded, every stride-th converted)."""
    start = time.perf_counter()
    with VideoReader(path) as reader:
        for _ in reader.frames(stride=stride):
            pass
    return time.perf_counter() - start


def cpu_s() -> float:
    """CPU seconds used so far by this process, all threads (MediaPipe's, the decoder's)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def warm_up() -> float:
    """Import MediaPipe and load the model once, so the runs time the work and not the start-up."""
    start = time.perf_counter()
    with PoseEstimator() as estimator:
        estimator.process(np.zeros((64, 64, 3), dtype=np.uint8))
    return time.perf_counter() - start


def run(path: Path, analysis_fps: float) -> tuple[float, float, int, str]:
    """Wall and CPU seconds of measure(), analysed frames, and how it ended."""
    progress: list[float] = []
    start, start_cpu = time.perf_counter(), cpu_s()
    try:
        m = vision.measure(path, vision.MeasureOptions(analysis_fps=analysis_fps), progress=progress.append)
        ended = f"ok, {len(m.reps)} reps"
        analysed = len(m.frames.time_s)
    except vision.InputError as err:
        ended = f"InputError: {err}"
        analysed = len(progress)
    return time.perf_counter() - start, cpu_s() - start_cpu, analysed, ended


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="clip length in seconds (default 20)")
    parser.add_argument(
        "--analysis-fps", type=float, nargs="+", default=[vision.MeasureOptions().analysis_fps, 0]
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    limit_heap_growth()  # as the command line and the app do at start-up (no measurable effect on speed)

    path = bench_clip(args.duration, args.cache)
    info = probe_video(path)
    out(
        f"clip: {path.name}, {info.width_px}x{info.height_px} {info.codec} {info.fps:g} fps, "
        f"{info.duration_s:.1f} s, {info.frame_count} frames; {cpus()}"
    )
    out(f"MediaPipe import and model load, not timed below: {warm_up():.1f} s; {load_average()}")
    out()
    head = f"{'run':24}{'wall s':>8}{'video fps':>10}{'analysed':>10}{'pose fps':>10}{'x real time':>12}"
    out(f"{head}{'cpu s':>7}  result")
    verdicts = []
    for analysis_fps in args.analysis_fps:
        stride = analysis_stride(info.fps, analysis_fps)
        decode_s = decode_only(path, stride)
        out(
            f"{f'decode only, stride {stride}':24}{decode_s:8.1f}{info.frame_count / decode_s:10.1f}"
            f"{'':>10}{'':>10}{info.duration_s / decode_s:12.2f}"
        )
        wall_s, used_s, analysed, ended = run(path, analysis_fps)
        speed = info.duration_s / wall_s
        label = f"measure, analysis_fps={analysis_fps:g}"
        out(
            f"{label:24}{wall_s:8.1f}{info.frame_count / wall_s:10.1f}{analysed:10d}{analysed / wall_s:10.1f}"
            f"{speed:12.2f}{used_s:7.1f}  {ended}"
        )
        if analysis_fps == vision.MeasureOptions().analysis_fps:
            verdicts.append(
                f"target >= {TARGET_SPEED:g}x real time at the default analysis_fps={analysis_fps:g}: "
                f"{speed:.2f}x, {'met' if speed >= TARGET_SPEED else 'NOT met'} ({cpus()})"
            )
    out()
    for line in verdicts:
        out(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
