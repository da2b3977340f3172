"""The app's light first steps with a clip, before anything is measured: is the upload a video of a sensible
size, its digest (the cache key), a safe file name, and the bundled sample clips.

Kept apart from :mod:`vision.app.logic` so the app's first page loads without the measuring engine (SciPy,
the pose model); the names stay importable from there too. It imports nothing of OpenCV or NumPy either
(about 0.2 s before the first page's script could start).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from vision.advice.norms import Side
from vision.errors import InputError
from vision.startup import VIDEO_SUFFIXES

DEFAULT_MAX_UPLOAD_MB = 200


# --- Uploads ------------------------------------------------------------------------------------------------


def check_upload(name: str, size_bytes: int, max_mb: float = DEFAULT_MAX_UPLOAD_MB) -> None:
    """Refuse an upload that is too large or plainly not a video, with a one-line message."""
    limit_bytes = max_mb * 1024 * 1024
    if size_bytes > limit_bytes:
        raise InputError(
            f"{name} is {size_bytes / 1024 / 1024:.0f} MB, over the {max_mb:g} MB limit: trim the clip to "
            "the 5-15 s of the test, or film at 1080p instead of 4K"
        )
    if size_bytes == 0:
        raise InputError(f"{name} is empty: upload the video file again")
    suffix = Path(name).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        accepted = ", ".join(s.lstrip(".") for s in VIDEO_SUFFIXES)
        raise InputError(f"{name} is not a video ({accepted}): film the test and upload the clip")


def digest(data: bytes) -> str:
    """SHA-256 of a clip's bytes: with the options, the cache key of its measurement."""
    return hashlib.sha256(data).hexdigest()


def safe_file_name(name: str) -> str:
    """``name`` as a plain file name (letters, digits, ``-_``) with a video suffix."""
    suffix = Path(name).suffix.lower()
    suffix = suffix if suffix in VIDEO_SUFFIXES else ".mp4"
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).stem)[:60] or "clip"
    return stem + suffix


# --- Sample clips -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleClip:
    side: Side
    path: Path


def sample_clips(root: Path) -> list[SampleClip]:
    """The bundled sample clips that exist under ``root`` (one per side)."""
    candidates = (
        SampleClip("left", root / "sample_videos" / "lunge_left_aruco.mp4"),
        SampleClip("right", root / "sample_videos" / "lunge_right_heel_lift.mp4"),
    )
    return [clip for clip in candidates if clip.path.is_file()]
