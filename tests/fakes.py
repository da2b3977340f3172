"""Hand-made measurements for tests of what is built on the engine (CLI summary, app logic, report).

Fields the engine adds later (unknown here) are None, so these keep working while the engine grows.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

import numpy as np

from vision.results import (
    FRONT_OF_SHIN,
    STATUS_NO_VALID_REP,
    STATUS_OK,
    FrameSeries,
    Measurement,
    PeakResult,
    RepResult,
    ScaleResult,
    VideoMeta,
)

T = TypeVar("T")
AXIS_OFFSET_DEG = 4.0  # the hand-made tibia axis reads this much less than the front of the shin
NO_VALID_REP_MESSAGE = "no rep counted: every rep lifted the heel. Keep the heel down and film again"


def build(cls: type[T], **values: object) -> T:
    """A dataclass from the given fields; fields the engine adds later (unknown here) are None."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return cls(**{name: values.get(name) for name in names})


def rep(
    index: int,
    angle: float,
    valid: bool = True,
    cm: float | None = None,
    t0: float = 0.0,
    source: str = FRONT_OF_SHIN,
) -> RepResult:
    return build(
        RepResult,
        index=index,
        start_time_s=t0,
        end_time_s=t0 + 1.0,
        hold_start_time_s=t0 + 0.4,
        hold_end_time_s=t0 + 0.6,
        peak_frame=int((t0 + 0.5) * 10),
        peak_time_s=t0 + 0.5,
        shin_angle_deg=angle,
        shin_angle_uncertainty_deg=1.2,
        shin_angle_source=source,
        shin_angle_image_deg=angle,
        tibia_axis_deg=angle - AXIS_OFFSET_DEG,
        tibia_axis_uncertainty_deg=0.9,
        knee_over_toe_px=10.0,
        knee_over_toe_foot_ratio=0.1,
        knee_over_toe_cm=cm,
        heel_lift_foot_ratio=0.0 if valid else 0.2,
        heel_lift_cm=None,
        foot_slide_foot_ratio=0.0,
        heel_down=valid,
        valid=valid,
        reason=None if valid else "heel lifted by about 2.0 cm",
        foot_planted=True,
        heel_visible=True,
    )


def peak_of(r: RepResult, uncertainty_cm: float | None = None) -> PeakResult:
    return build(
        PeakResult,
        frame=r.peak_frame,
        time_s=r.peak_time_s,
        shin_angle_deg=r.shin_angle_deg,
        shin_angle_uncertainty_deg=r.shin_angle_uncertainty_deg,
        shin_angle_source=r.shin_angle_source,
        shin_angle_image_deg=r.shin_angle_image_deg,
        tibia_axis_deg=r.tibia_axis_deg,
        tibia_axis_uncertainty_deg=r.tibia_axis_uncertainty_deg,
        knee_over_toe_px=r.knee_over_toe_px,
        knee_over_toe_foot_ratio=r.knee_over_toe_foot_ratio,
        knee_over_toe_cm=r.knee_over_toe_cm,
        knee_over_toe_uncertainty_cm=uncertainty_cm,
        heel_down=r.heel_down,
    )


def make_measurement(
    side: str = "left",
    facing: str = "right",
    reps: tuple[RepResult, ...] | None = None,
    px_per_cm: float | None = None,
    points: dict[str, tuple[float, float]] | None = None,
    shin_px: float = 100.0,
    warnings: tuple[str, ...] = (),
    source: str | None = None,
    uncertainty_cm: float | None = None,
    leg_choice: str = "",
) -> Measurement:
    """A measurement of 20 frames at 10 fps with fixed leg points (by default a shin leaning forward).

    With at least one valid rep its status is ok and the deepest valid rep is the result; without one there
    is no result (``peak`` None, status ``no_valid_rep``), as the engine reports it.
    """
    n = 20
    reps = reps if reps is not None else (rep(1, 30.0), rep(2, 35.0, t0=1.0))
    valid = [r for r in reps if r.valid]
    best = max(valid, key=lambda r: r.shin_angle_deg) if valid else None
    points = points or {
        "hip": (260.0, 100.0),
        "knee": (250.0, 200.0),
        "ankle": (200.0, 290.0),
        "heel": (180.0, 300.0),
        "toe": (260.0, 305.0),
    }
    angle = np.linspace(10.0, 35.0, n)
    angle[3] = np.nan
    series = build(
        FrameSeries,
        frame_index=np.arange(n, dtype=np.int64),
        time_s=np.arange(n) / 10.0,
        shin_angle_deg=angle,
        shin_angle_smooth_deg=angle,
        shin_angle_image_deg=angle,
        tibia_axis_deg=angle - AXIS_OFFSET_DEG,
        tibia_axis_smooth_deg=angle - AXIS_OFFSET_DEG,
        knee_over_toe_px=np.zeros(n),
        heel_lift_px=np.zeros(n),
        heel_lift_gap_px=np.zeros(n),
        hand_to_knee_shin=np.full(n, np.nan),
        visibility={},
        leg_px={name: np.tile(np.array(p, dtype=np.float64), (n, 1)) for name, p in points.items()},
    )
    scale = ScaleResult(
        source=source or ("foot" if px_per_cm else "none"),
        px_per_cm=px_per_cm,
        relative_uncertainty=0.02 if px_per_cm else None,
    )
    return build(
        Measurement,
        side=side,
        facing=facing,
        peak=peak_of(best, uncertainty_cm) if best is not None else None,
        reps=reps,
        camera_roll_deg=0.0,
        camera_roll_applied=False,
        camera_roll_source="none",
        up_unit=(0.0, -1.0),
        foot_length_px=80.0,
        shin_length_px=shin_px,
        knee_over_toe_points="landmarks",
        scale=scale,
        analysed_every_n_frames=1,
        warnings=warnings,
        video=VideoMeta(10.0, n, 400, 320, 0, 2.0, "h264"),
        frames=series,
        camera_source="none",
        status=STATUS_OK if best is not None else STATUS_NO_VALID_REP,
        status_message=None if best is not None else NO_VALID_REP_MESSAGE,
        leg_choice=leg_choice,
    )
