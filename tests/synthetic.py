"""The rendered lunge clips of ../shared/data/synthetic, each measured once per test run and shared by every
test module that needs it (``vision.measure`` with real MediaPipe, the foot length a user would give).

Each clip takes about 3-5 s on this project's 2-core machine; 48 clips take about 3 minutes once.
"""

from __future__ import annotations

import csv
import functools
import json
from typing import Any

import pytest
from clips import SYNTHETIC, missing_reason

import vision
from vision.results import Measurement, RepResult

CLIP_NAMES = sorted(path.stem for path in SYNTHETIC.glob("dev*.mp4")) if SYNTHETIC.is_dir() else []


@functools.cache
def splits() -> dict[str, str]:
    """Clip name -> "tune" or "check" (manifest.json)."""
    with (SYNTHETIC / "manifest.json").open() as handle:
        return {clip["name"]: clip["split"] for clip in json.load(handle)["clips"]}


def names_in(split: str) -> list[str]:
    return [name for name in CLIP_NAMES if splits().get(name) == split]


def clip_params(misses: dict[str, str] | None = None) -> list[Any]:
    """One param per clip, with a strict xfail (quoting the measured miss) where ``misses`` names it."""
    if not CLIP_NAMES:
        return [pytest.param(None, marks=pytest.mark.skip(reason=missing_reason(SYNTHETIC)))]
    marks = {name: [pytest.mark.xfail(strict=True, reason=reason)] for name, reason in (misses or {}).items()}
    return [pytest.param(name, marks=marks.get(name, [])) for name in CLIP_NAMES]


@functools.cache
def truth(name: str) -> dict[str, Any]:
    with (SYNTHETIC / f"{name}_gt.json").open() as handle:
        data: dict[str, Any] = json.load(handle)
    data.pop("frames", None)  # per-frame arrays: not needed here
    return data


def foot_length_cm(name: str) -> float:
    """Heel to toe tip along the walking axis, as a user would measure it."""
    with (SYNTHETIC / f"{name}_gt.csv").open() as handle:
        row = next(csv.DictReader(handle))
    return float(row["toe_tip_y_cm"]) - float(row["heel_y_cm"])


@functools.cache
def measured(name: str) -> Measurement:
    """The clip measured once per test session, with the foot length given."""
    options = vision.MeasureOptions(foot_length_cm=foot_length_cm(name))
    return vision.measure(SYNTHETIC / f"{name}.mp4", options)


def matching(reps: tuple[RepResult, ...], truth_rep: dict[str, Any]) -> list[RepResult]:
    """The measured reps whose peak lies in the truth rep's frame span (first to last, inclusive)."""
    first, last = truth_rep["frames"]
    return [rep for rep in reps if first <= rep.peak_frame <= last]


def valid_peak_rep(gt: dict[str, Any]) -> dict[str, Any]:
    (rep,) = [rep for rep in gt["reps"] if rep["peak_frame"] == gt["valid_peak_frame"]]
    return rep  # type: ignore[no-any-return]
