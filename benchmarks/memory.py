"""Peak memory of ``vision.measure`` on 1080p30 clips of different lengths, each in a fresh subprocess.

The child imports vision, starts MediaPipe (so the baseline includes the model), then measures the clip and
reports its peak resident set size (``ru_maxrss``; also ``VmHWM`` from /proc/self/status on Linux), after the
process set-up the command line and the app do (``--plain``: without it). The issue's target: under 600 MB,
and not growing with the clip's length (the decoder streams through a bounded queue; only landmarks, about
2 KB per analysed frame, and a few roll samples are kept).

Usage::

    .venv/bin/python benchmarks/memory.py [--durations 10 60] [--analysis-fps 15] [--cache DIR] [--plain]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

from common import DEFAULT_CACHE, bench_clip, cpus, out

TARGET_MB = 600.0
#: Peak RSS may differ by this much between clip lengths before it counts as growing.
GROWTH_TOLERANCE_MB = 30.0


def _status_mb(field: str) -> float | None:
    """A size field of /proc/self/status (Linux), in MB; None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def vm_hwm_mb() -> float | None:
    """Peak resident set size, in MB."""
    return _status_mb("VmHWM")


def rss_mb() -> float | None:
    """Current resident set size, in MB."""
    return _status_mb("VmRSS")


def child(path: Path, analysis_fps: float, plain: bool) -> None:
    """Runs in the subprocess: measure once, print one JSON line."""
    import numpy as np

    import vision
    from vision.pose.landmarks import PoseEstimator
    from vision.startup import limit_heap_growth

    if not plain:
        limit_heap_growth()  # as the command line and the app do at start-up

    with PoseEstimator() as estimator:  # load the model: part of the baseline, not of the clip
        estimator.process(np.zeros((64, 64, 3), dtype=np.uint8))
    baseline = rss_mb()
    try:
        m = vision.measure(path, vision.MeasureOptions(analysis_fps=analysis_fps))
        ended, analysed = "ok", len(m.frames.time_s)
    except vision.InputError as err:
        ended, analysed = f"InputError: {err}", -1
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux
    result = {"baseline_mb": baseline, "maxrss_mb": maxrss_mb, "vmhwm_mb": vm_hwm_mb()}
    sys.stdout.write(json.dumps({**result, "ended": ended, "analysed": analysed}) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--durations", type=float, nargs="+", default=[10.0, 60.0])
    parser.add_argument("--analysis-fps", type=float, default=15.0)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument(
        "--plain",
        action="store_true",
        help="call vision.measure without the process set-up the command line and the app do "
        "(vision.startup.limit_heap_growth): glibc's per-thread heaps then keep 50-170 MB more",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.analysis_fps, args.plain)
        return 0

    clips = [bench_clip(duration, args.cache) for duration in args.durations]
    out(f"peak RSS of vision.measure(analysis_fps={args.analysis_fps:g}), a fresh process per clip; {cpus()}")
    out()
    out(f"{'clip':32}{'baseline MB':>12}{'peak MB':>9}{'VmHWM MB':>10}{'analysed':>10}  result")
    peaks = []
    for path in clips:
        command = [sys.executable, __file__, "--child", str(path), "--analysis-fps", str(args.analysis_fps)]
        command += ["--plain"] if args.plain else []
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            out(f"{path.name:32}child failed ({done.returncode}): {done.stderr.strip()[-300:]}")
            return 1
        r = json.loads(lines[-1])
        peaks.append(r["maxrss_mb"])
        hwm = "-" if r["vmhwm_mb"] is None else f"{r['vmhwm_mb']:.0f}"
        baseline = "-" if r["baseline_mb"] is None else f"{r['baseline_mb']:.0f}"
        out(f"{path.name:32}{baseline:>12}{r['maxrss_mb']:9.0f}{hwm:>10}{r['analysed']:10d}  {r['ended']}")
    out()
    worst = max(peaks)
    growth = peaks[-1] - peaks[0]
    out(f"target peak < {TARGET_MB:.0f} MB: {worst:.0f} MB, {'met' if worst < TARGET_MB else 'NOT met'}")
    out(
        f"growth from {args.durations[0]:g} s to {args.durations[-1]:g} s: {growth:+.0f} MB "
        f"({'flat' if growth <= GROWTH_TOLERANCE_MB else 'GROWING'}; tolerance {GROWTH_TOLERANCE_MB:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
