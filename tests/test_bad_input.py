"""``vision.measure`` on unusable or doubtful input: a one-line InputError naming the problem, or (for dark or
partial clips) a Measurement whose warnings name it. Any other exception type fails the test.

The clips are made at test time with ffmpeg (tests/clips.py). Cases that need footage from ../shared/data skip
without it; cases that run MediaPipe are marked slow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from clips import (
    SYNTHETIC,
    TWO_PEOPLE,
    WALK_SIDE,
    crop_bottom,
    faststart,
    lavfi_clip,
    missing_reason,
    scaled_brightness,
    still,
    trim,
    truncated,
)

import vision
from vision.results import Measurement

LUNGE = SYNTHETIC / "dev07.mp4"  # left leg, facing left, one slow rock, landscape
LUNGE_PORTRAIT = SYNTHETIC / "dev04.mp4"


@dataclass(frozen=True)
class Case:
    make: Callable[[Path], Path]
    pattern: str  # what the message (or a warning) must say, as a case-insensitive regex
    may_warn: bool = False  # a Measurement whose warnings match is also acceptable
    needs: Path | None = None  # shared test data the case is made from
    slow: bool = False  # runs MediaPipe
    xfail: str | None = None  # a known miss of the engine (strict)


def empty(tmp: Path) -> Path:
    (tmp / "empty.mp4").touch()
    return tmp / "empty.mp4"


def text(tmp: Path) -> Path:
    (tmp / "notes.mp4").write_text("Lunge test, left ankle: 38 degrees\n")
    return tmp / "notes.mp4"


def pattern_still(tmp: Path, name: str, kind: str) -> Path:
    return still(lavfi_clip(tmp / "src.mp4", "testsrc2", 1.0), tmp / name, kind)


def walk_part(tmp: Path, start_s: float, duration_s: float) -> Path:
    return trim(WALK_SIDE, tmp / "walk.mp4", start_s, duration_s)


THREE_S = 3.0
STILL = r"still image|not a video"
TRUNCATED = r"incomplete|damaged|truncated|ends early|cut off"
DARK = r"\bdark"
FEET_OUT = r"(foot|feet|toe|ankle)\b.*(out of (the )?frame|not in view|in view)"
FOOT_CUT = r"foot is cut by the edge of the frame"
SIDE_VIEW = r"side[- ]on|side of|from the front|frontal|facing the camera|square to"

CASES: dict[str, Case] = {
    "empty": Case(empty, r"empty|0 bytes"),
    "text-named-mp4": Case(text, r"not a (readable )?video|cannot be read|unreadable"),
    "png": Case(lambda tmp: pattern_still(tmp, "photo.png", ".png"), STILL),
    "jpg": Case(lambda tmp: pattern_still(tmp, "photo.jpg", ".jpg"), STILL),
    "png-named-mp4": Case(lambda tmp: pattern_still(tmp, "photo.mp4", ".png"), STILL),
    "jpg-named-mp4": Case(lambda tmp: pattern_still(tmp, "photo.mp4", ".jpg"), STILL),
    # The real clip keeps its index (moov) at the end: its first half cannot be opened at all.
    "truncated": Case(lambda tmp: truncated(WALK_SIDE, tmp / "cut.mp4"), TRUNCATED, needs=WALK_SIDE),
    # With the index in front, the first half decodes: measured, with a warning that the file ends early.
    "truncated-faststart": Case(
        lambda tmp: truncated(faststart(WALK_SIDE, tmp / "fs.mp4"), tmp / "cut.mp4"),
        TRUNCATED,
        may_warn=True,
        needs=WALK_SIDE,
        slow=True,
    ),
    "no-person-testsrc": Case(
        lambda tmp: lavfi_clip(tmp / "t.mp4", "testsrc2", THREE_S), r"no person", slow=True
    ),
    "no-person-colour": Case(
        lambda tmp: lavfi_clip(tmp / "c.mp4", "color=c=0x808890", THREE_S), r"no person", slow=True
    ),
    "too-short": Case(lambda tmp: walk_part(tmp, 3.0, 0.5), r"0\.5 s|too short|at least", needs=WALK_SIDE),
    "dark-real": Case(
        lambda tmp: scaled_brightness(walk_part(tmp, 6.6, 4.4), tmp / "dark.mp4", 0.08),
        DARK,
        may_warn=True,
        needs=WALK_SIDE,
        slow=True,
    ),
    "dark-lunge": Case(
        lambda tmp: scaled_brightness(LUNGE, tmp / "dark.mp4", 0.08),
        DARK,
        may_warn=True,
        needs=LUNGE,
        slow=True,
    ),
    "dim-real": Case(
        lambda tmp: scaled_brightness(walk_part(tmp, 6.6, 4.4), tmp / "dim.mp4", 0.2),
        DARK,
        may_warn=True,
        needs=WALK_SIDE,
        slow=True,
    ),
    "feet-out-of-frame": Case(
        lambda tmp: crop_bottom(LUNGE, tmp / "no_feet.mp4", 0.4),
        FEET_OUT,
        may_warn=True,
        needs=LUNGE,
        slow=True,
    ),
    "feet-out-of-frame-portrait": Case(
        lambda tmp: crop_bottom(LUNGE_PORTRAIT, tmp / "no_feet.mp4", 0.4),
        FEET_OUT,
        may_warn=True,
        needs=LUNGE_PORTRAIT,
        slow=True,
    ),
    # The bottom edge through the front foot (its sole at 565-570 px of 720, the frame cut to 568).
    "foot-cut-by-frame-edge": Case(
        lambda tmp: crop_bottom(LUNGE, tmp / "cut_foot.mp4", 0.21),
        FOOT_CUT,
        needs=LUNGE,
        slow=True,
    ),
    # The first 1.8 s of the two-people clip: only the man, standing on a box, facing the camera.
    "frontal-view": Case(
        lambda tmp: trim(TWO_PEOPLE, tmp / "front.mp4", 0.0, 1.8),
        SIDE_VIEW,
        may_warn=True,
        needs=TWO_PEOPLE,
        slow=True,
    ),
}


def params() -> list[Any]:
    out: list[Any] = []
    for name, case in CASES.items():
        marks: list[pytest.MarkDecorator] = []
        if case.slow:
            marks.append(pytest.mark.slow)
        if case.needs is not None and not case.needs.is_file():
            marks.append(pytest.mark.skip(reason=missing_reason(case.needs)))
        if case.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def measure_or_message(path: Path) -> Measurement | str:
    """The Measurement, or the message of the InputError (any other exception propagates: a failure)."""
    try:
        return vision.measure(path)
    except vision.InputError as err:
        return str(err)


@pytest.mark.parametrize("name", params())
def test_bad_input(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    outcome = measure_or_message(case.make(tmp_path))
    if isinstance(outcome, str):
        assert outcome.strip(), "empty InputError message"
        assert "\n" not in outcome, f"message is not one line: {outcome!r}"
        assert re.search(case.pattern, outcome, re.IGNORECASE), (
            f"message does not name the problem: {outcome!r}"
        )
        return
    assert case.may_warn, f"returned a Measurement instead of an InputError (warnings: {outcome.warnings})"
    assert any(re.search(case.pattern, warning, re.IGNORECASE) for warning in outcome.warnings), (
        f"measured (peak {outcome.peak}) without a warning matching {case.pattern!r}: {outcome.warnings}"
    )
    assert all("\n" not in warning for warning in outcome.warnings)
