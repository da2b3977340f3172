"""What the command line and the app need before anything heavy is imported: the video files the engine
opens, and the process's one-heap setting. Imports nothing beyond the standard library, so ``dorsiflex
--help`` and the app's first page stay quick."""

from __future__ import annotations

import ctypes
import ctypes.util

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv")
#: glibc's mallopt parameter for the number of heaps (arenas).
_M_ARENA_MAX = -8


def limit_heap_growth() -> bool:
    """Keep every thread's allocations in one glibc heap (Linux with glibc; elsewhere a no-op).

    Every decoded 1080p frame is a fresh 6 MB array, allocated by the decoding thread and freed by the main
    one, next to MediaPipe's own threads. glibc gives each thread its own heap (arena), and freed frames
    strand memory in them: measuring a 60 s 1080p clip then peaks at 586-706 MB instead of 516-534 MB with
    one heap, at no measurable cost in speed (``benchmarks/memory.py``, ``benchmarks/speed.py``). (Serving
    frames with mmap instead saves as much memory but costs about 10 % of the speed in page faults.) This
    tunes the whole process, so the command line and the app call it at start-up, before any thread exists;
    the library itself never does. Returns whether the setting took.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_ARENA_MAX, 1))
    except (OSError, AttributeError):  # not glibc: no mallopt
        return False
