"""What a user waits for: the whole ``dorsiflex measure CLIP --json`` process on 1080p30 lunge clips.

The clips are the bundled lunge sample (``sample_videos/lunge_left_aruco.mp4``) scaled to 1920x1080 at 30 fps
and looped to 20 s and 60 s, so every run measures successfully and the whole analysis runs. Each run is a
fresh process: start-up, imports, model load, decoding, pose, analysis and writing the JSON are all in it.
Reported per clip: the median wall time of the runs, speed against real time (video seconds / wall seconds),
the peak memory of the process, and, in the same run, a raw baseline (a fresh process that decodes every
frame and runs MediaPipe on it, nothing else) as a ratio, so the figure means something on a busy machine.
A breakdown of one in-process run follows: start-up (``dorsiflex --help`` and importing the engine), decode,
pose, and the analysis by stage.

Targets (issue 13): the 20 s clip in <= 10 s (>= 2x real time), the 60 s clip at >= 2.5x, peak memory
< 600 MB and flat from 20 s to 60 s, start-up under 1.5 s.

    .venv/bin/python benchmarks/speed.py [--durations 20 60] [--runs 5] [--coarse-fps 5 0] [--cache DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import DEFAULT_CACHE, REPO, cpus, load_average, lunge_clip, out

BIN = Path(sys.executable).parent
BASELINE = """
import sys
from vision.pose.landmarks import PoseEstimator
from vision.video import VideoReader
with VideoReader(sys.argv[1]) as reader, PoseEstimator() as estimator:
    for frame in reader.frames():
        estimator.process_bgr(frame.image, frame.index, frame.time_s)
"""
#: ``dorsiflex measure`` stopped at its first pose: its wall time is the start-up a user waits for first.
FIRST_POSE = """
import os, sys
from vision import cli
from vision.pose import landmarks
real = landmarks.PoseEstimator.process_bgr_sample
def first(self, *args, **kwargs):
    real(self, *args, **kwargs)
    os._exit(0)
landmarks.PoseEstimator.process_bgr_sample = first
cli.main(["measure", sys.argv[1], "--json"])
"""
#: Stages of the analysis, by the function that does each (cumulative time in the profile).
STAGES = (
    ("camera roll and room lines", "_scene"),
    ("toe tip (GrabCut)", "refine_toe_tip"),
    ("scale: marker and sheet search", "find_references"),
    ("scale: the source chosen against the foot", "choose_scale"),
    ("per-frame series", "leg_series"),
    ("reps and their angles", "rep_result"),
    ("wall (hold frames decoded again)", "_wall"),
)


def timed_process(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak memory in MB, stdout) of one fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO)
    assert process.stdout is not None
    stdout = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    wall_s = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall_s, usage.ru_maxrss / 1024, stdout


def whole_process(clip: Path, runs: int, coarse_fps: float) -> tuple[float, float, str]:
    """Median wall seconds and the largest peak memory of ``runs`` measure processes, and how they ended."""
    walls, peaks, status = [], [], ""
    command = [str(BIN / "dorsiflex"), "measure", str(clip), "--json", "--coarse-fps", f"{coarse_fps:g}"]
    for _ in range(runs):
        wall_s, peak_mb, stdout = timed_process(command)
        walls.append(wall_s)
        peaks.append(peak_mb)
        result = json.loads(stdout)
        peak = result["peak"]
        status = (
            f"{result['status']}, {len(result['reps'])} reps, {peak and round(peak['shin_angle_deg'], 1)} deg"
        )
    return statistics.median(walls), max(peaks), status


def baseline(clip: Path) -> float:
    """Wall seconds of a fresh process that runs MediaPipe on every frame and nothing else."""
    return timed_process([sys.executable, "-c", BASELINE, str(clip)])[0]


def breakdown(clip: Path, coarse_fps: float) -> list[tuple[str, float]]:
    """Seconds per stage of one in-process measurement (start-up is timed in fresh processes)."""
    help_s = timed_process([str(BIN / "dorsiflex"), "--help"])[0]
    import_s = timed_process([sys.executable, "-c", "import vision.pipeline"])[0]
    first_pose_s = timed_process([sys.executable, "-c", FIRST_POSE, str(clip)])[0]
    from vision.pipeline import MeasureOptions, measure
    from vision.video import VideoReader

    start = time.perf_counter()
    with VideoReader(clip) as reader:
        for _ in reader.frames(stride=2):
            pass
    decode_s = time.perf_counter() - start
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    measurement = measure(clip, MeasureOptions(coarse_fps=coarse_fps or None))
    profile.disable()
    total_s = time.perf_counter() - start
    start = time.perf_counter()
    json.dumps(measurement.to_dict())
    write_s = time.perf_counter() - start
    stats = pstats.Stats(profile)
    cumulative = {func[2]: row[3] for func, row in stats.stats.items()}  # type: ignore[attr-defined]
    rows = [
        ("start-up: dorsiflex --help (fresh process)", help_s),
        ("start-up: import vision.pipeline (fresh process)", import_s),
        ("start-up: dorsiflex measure to its first pose (fresh process)", first_pose_s),
        ("decode only, every 2nd frame converted", decode_s),
        ("pose pass: decode + MediaPipe (profiled)", cumulative.get("_run_pose", float("nan"))),
        ("analysis, all of it (profiled)", cumulative.get("analyse", float("nan"))),
    ]
    rows += [(f"  {label}", cumulative.get(name, float("nan"))) for label, name in STAGES]
    rows += [("writing the JSON", write_s), ("measure() in process (profiled, slower)", total_s)]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--durations", type=float, nargs="+", default=[20.0, 60.0])
    parser.add_argument("--runs", type=int, default=5, help="runs per clip (the median is reported)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument(
        "--coarse-fps",
        type=float,
        nargs="+",
        default=[5.0, 0.0],
        help="schemes to compare: pose on this many frames a second away from the reps' deepest (0: every "
        "analysed frame); the breakdown uses the first",
    )
    args = parser.parse_args(argv)
    out(f"{cpus()}; {load_average()} before")
    header = f"{'clip':28}{'coarse':>7}{'wall s':>8}{'x real':>8}{'peak MB':>9}{'baseline s':>11}{'ratio':>7}"
    out(f"{header}  result")
    for duration_s in args.durations:
        clip = lunge_clip(duration_s, args.cache)
        raw_s = baseline(clip)
        for coarse_fps in args.coarse_fps:
            wall_s, peak_mb, status = whole_process(clip, args.runs, coarse_fps)
            out(
                f"{clip.name:28}{coarse_fps:7g}{wall_s:8.1f}{duration_s / wall_s:8.2f}{peak_mb:9.0f}"
                f"{raw_s:11.1f}{wall_s / raw_s:7.2f}  {status} (median of {args.runs})"
            )
    out()
    out(f"breakdown, {lunge_clip(args.durations[0], args.cache).name}, --coarse-fps {args.coarse_fps[0]:g}:")
    for label, seconds in breakdown(lunge_clip(args.durations[0], args.cache), args.coarse_fps[0]):
        out(f"  {label:52}{seconds:7.2f} s")
    out(f"{load_average()} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
