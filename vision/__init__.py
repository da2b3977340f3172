"""Measure ankle dorsiflexion (the weight-bearing lunge / knee-to-wall test) from a side-on video.

The names below are imported on first use (PEP 562), so ``import vision.storage`` or the CLI's start-up do
not load OpenCV, SciPy or MediaPipe.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vision.batch.run import ClipResult, measure_many
    from vision.errors import InputError
    from vision.pipeline import MeasureOptions, measure
    from vision.results import FrameSeries, Measurement, PeakResult, RepResult, VideoMeta

_HOMES = {
    "ClipResult": "vision.batch.run",
    "measure_many": "vision.batch.run",
    "InputError": "vision.errors",
    "MeasureOptions": "vision.pipeline",
    "measure": "vision.pipeline",
    "FrameSeries": "vision.results",
    "Measurement": "vision.results",
    "PeakResult": "vision.results",
    "RepResult": "vision.results",
    "VideoMeta": "vision.results",
}

__all__ = [
    "ClipResult",
    "FrameSeries",
    "InputError",
    "MeasureOptions",
    "Measurement",
    "PeakResult",
    "RepResult",
    "VideoMeta",
    "measure",
    "measure_many",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'vision' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
