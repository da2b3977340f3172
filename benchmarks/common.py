"""Shared by the benchmark scripts: the 1080p30 test clip (made once, cached) and plain output."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for entry in (REPO, REPO / "tests"):  # vision, and tests/clips.py (the ffmpeg helpers)
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from clips import WALK_SIDE, loop_to  # noqa: E402

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "dorsiflex-bench"
SIZE = (1920, 1080)
FPS = 30


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def cpus() -> str:
    """Logical CPUs of the machine and those this process may run on."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{usable} usable of {os.cpu_count()} CPUs"


def load_average() -> str:
    """The machine's load: other processes competing for the CPUs slow every wall-clock figure."""
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min)"


def bench_clip(duration_s: float, cache: Path = DEFAULT_CACHE) -> Path:
    """The real side-view walk scaled to 1920x1080 at 30 fps, looped to ``duration_s``: H.264, cached."""
    if not WALK_SIDE.is_file():
        raise SystemExit(
            f"{WALK_SIDE} not found: the benchmarks need ../shared/data/real beside the repository"
        )
    return _looped_1080p(WALK_SIDE, "walk", duration_s, cache)


SAMPLE_LUNGE = REPO / "sample_videos" / "lunge_left_aruco.mp4"


def lunge_clip(duration_s: float, cache: Path = DEFAULT_CACHE) -> Path:
    """The bundled lunge sample (3.5 s, two rocks, an ArUco marker) scaled to 1920x1080 at 30 fps and looped
    to ``duration_s``: a clip that measures successfully, so the whole analysis runs. H.264, cached."""
    return _looped_1080p(SAMPLE_LUNGE, "lunge", duration_s, cache)


def _looped_1080p(source: Path, name: str, duration_s: float, cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{name}_{SIZE[0]}x{SIZE[1]}p{FPS}_{duration_s:g}s.mp4"
    if not path.is_file():
        out(f"making {path} ({duration_s:g} s of 1080p30 H.264) ...")
        partial = path.with_suffix(".part.mp4")
        loop_to(source, partial, duration_s, f"scale={SIZE[0]}:{SIZE[1]}:flags=bicubic,fps={FPS}")
        partial.rename(path)
    return path
