"""Measure ankle dorsiflexion (the weight-bearing lunge / knee-to-wall test) from a side-on video."""

from vision.errors import InputError
from vision.pipeline import MeasureOptions, measure
from vision.results import FrameSeries, Measurement, PeakResult, RepResult, VideoMeta

__all__ = [
    "FrameSeries",
    "InputError",
    "MeasureOptions",
    "Measurement",
    "PeakResult",
    "RepResult",
    "VideoMeta",
    "measure",
]
