"""Results as frozen dataclasses, and their export (JSON-ready dict, per-frame CSV)."""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vision.errors import InputError
from vision.pose.landmarks import Side

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class VideoMeta:
    """The clip as filmed: ``width`` x ``height`` upright. Pixel figures are of the analysed frames, this
    size times ``analysed_scale`` (under 1 for clips over 1920 px on their long side)."""

    fps: float
    frame_count: int
    width: int
    height: int
    rotation_deg: int
    duration_s: float
    codec: str
    analysed_scale: float = 1.0

    @property
    def analysed_size_px(self) -> tuple[int, int]:
        """Width and height of the analysed frames, in whose pixels the pixel figures and points are."""
        scale = self.analysed_scale
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))


#: Where a shin angle came from: the front edge of the shin on the person mask (the inclinometer's line), or,
#: where that edge could not be seen, the knee-ankle axis plus the typical offset between the two lines.
FRONT_OF_SHIN = "front of shin"
AXIS_PLUS_OFFSET = "knee-ankle axis + typical offset"

#: ``Measurement.status``: a result the engine stands behind, or why there is none (``peak`` is None then).
STATUS_OK = "ok"
STATUS_NO_VALID_REP = "no_valid_rep"
STATUS_NOT_A_LUNGE = "not_a_lunge"


@dataclass(frozen=True)
class RepResult:
    """One forward rock. Angles are the median over the hold at the rep's deepest point.

    ``shin_angle_deg`` is the headline: the front of the shin from the floor normal, as a clinician's
    inclinometer resting on the shin reads it (``shin_angle_source`` says when it had to come from the axis
    instead). ``tibia_axis_deg`` is the knee-centre to ankle-centre line, as motion capture reports it. Each
    has a 1-sigma uncertainty.
    """

    index: int
    start_time_s: float
    end_time_s: float
    peak_frame: int
    peak_time_s: float
    hold_start_time_s: float
    hold_end_time_s: float
    shin_angle_deg: float
    shin_angle_uncertainty_deg: float
    shin_angle_source: str
    shin_angle_image_deg: float
    tibia_axis_deg: float
    tibia_axis_uncertainty_deg: float
    knee_over_toe_px: float
    knee_over_toe_foot_ratio: float
    knee_over_toe_cm: float | None
    heel_lift_foot_ratio: float
    heel_lift_cm: float | None
    foot_slide_foot_ratio: float
    heel_down: bool
    valid: bool
    reason: str | None
    foot_planted: bool = True  # False: the toes travelled over the rock (stepping, walking): not a test rep
    heel_visible: bool = True  # False: the foot's points were lost over the hold: the heel was not judged
    hand_on_knee: bool = False  # a hand rested on the knee over the hold: the knee's points may be the hand's


@dataclass(frozen=True)
class PeakResult:
    """The deepest valid rep: the test's result.

    ``knee_over_toe_cm`` runs from the toe tip to the front of the knee along the floor (+ = knee past the
    toes) with its 1-sigma uncertainty from the scale, the silhouette points and the spread across valid reps.
    ``degrees_per_cm`` converts between the two scores at this depth using the measured shin length
    (d(knee travel)/d(angle) = shin length x cos(angle)), instead of a fixed rule of thumb.
    """

    frame: int
    time_s: float
    shin_angle_deg: float
    shin_angle_uncertainty_deg: float
    shin_angle_source: str
    shin_angle_image_deg: float
    tibia_axis_deg: float
    tibia_axis_uncertainty_deg: float
    knee_over_toe_px: float
    knee_over_toe_foot_ratio: float
    knee_over_toe_cm: float | None
    knee_over_toe_uncertainty_cm: float | None
    shin_length_cm: float | None
    degrees_per_cm: float | None
    heel_down: bool
    wall: WallResult | None = None

    @classmethod
    def from_rep(
        cls,
        rep: RepResult,
        knee_over_toe_uncertainty_cm: float | None = None,
        shin_length_cm: float | None = None,
        degrees_per_cm: float | None = None,
        wall: WallResult | None = None,
    ) -> PeakResult:
        return cls(
            frame=rep.peak_frame,
            time_s=rep.peak_time_s,
            shin_angle_deg=rep.shin_angle_deg,
            shin_angle_uncertainty_deg=rep.shin_angle_uncertainty_deg,
            shin_angle_source=rep.shin_angle_source,
            shin_angle_image_deg=rep.shin_angle_image_deg,
            tibia_axis_deg=rep.tibia_axis_deg,
            tibia_axis_uncertainty_deg=rep.tibia_axis_uncertainty_deg,
            knee_over_toe_px=rep.knee_over_toe_px,
            knee_over_toe_foot_ratio=rep.knee_over_toe_foot_ratio,
            knee_over_toe_cm=rep.knee_over_toe_cm,
            knee_over_toe_uncertainty_cm=knee_over_toe_uncertainty_cm,
            shin_length_cm=shin_length_cm,
            degrees_per_cm=degrees_per_cm,
            heel_down=rep.heel_down,
            wall=wall,
        )


@dataclass(frozen=True)
class WallResult:
    """The wall in front of the foot at the result's rep: the knee-to-wall score when the knee touched it.

    ``toe_to_wall_cm`` runs along the floor from the toe tip to the wall (None without a scale) with its
    1-sigma uncertainty; ``knee_reached_wall`` says whether the front of the knee was at the wall (within
    about 1 cm) at the deepest point; ``evidence`` names the line the wall was found by.
    """

    toe_to_wall_px: float
    toe_to_wall_cm: float | None
    toe_to_wall_uncertainty_cm: float | None
    knee_reached_wall: bool
    evidence: str
    confidence: float


@dataclass(frozen=True)
class ScaleResult:
    """Where the centimetres come from: ``px_per_cm`` along the floor at the toe tip."""

    source: str  # "aruco", "a4", "letter", "foot" or "none"
    px_per_cm: float | None
    relative_uncertainty: float | None


@dataclass(frozen=True)
class FrameSeries:
    """Per analysed frame: the signals behind the result (for charts and the CSV). NaN where missing."""

    frame_index: npt.NDArray[np.int64]
    time_s: FloatArray
    shin_angle_deg: FloatArray  # front of the shin (the inclinometer's line), cleaned, from the floor normal
    shin_angle_smooth_deg: FloatArray  # zero-phase smoothed (for charts)
    shin_angle_image_deg: FloatArray  # raw, against the image vertical
    tibia_axis_deg: FloatArray  # knee-centre to ankle-centre line, cleaned, against the floor normal
    tibia_axis_smooth_deg: FloatArray  # zero-phase smoothed: reps are found on this
    knee_over_toe_px: FloatArray
    heel_lift_px: FloatArray
    heel_lift_gap_px: FloatArray  # half the gap between the heel rise against the toe and in the image
    hand_to_knee_shin: FloatArray  # the nearest hand point to the tested knee, in shin lengths
    visibility: dict[str, FloatArray] = field(default_factory=dict)
    leg_px: dict[str, FloatArray] = field(
        default_factory=dict
    )  # tested leg: hip, knee, ankle, heel, toe (n, 2)

    def __post_init__(self) -> None:
        n = self.time_s.shape[0]
        for name in (
            "time_s",
            "frame_index",
            "shin_angle_deg",
            "shin_angle_smooth_deg",
            "shin_angle_image_deg",
            "tibia_axis_deg",
            "tibia_axis_smooth_deg",
            "knee_over_toe_px",
            "heel_lift_px",
            "heel_lift_gap_px",
            "hand_to_knee_shin",
        ):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"FrameSeries.{name} must have shape ({n},)")
        for name, values in self.visibility.items():
            if values.shape != (n,):
                raise ValueError(f"FrameSeries.visibility[{name!r}] must have shape ({n},)")
        for name, points in self.leg_px.items():
            if points.shape != (n, 2):
                raise ValueError(f"FrameSeries.leg_px[{name!r}] must have shape ({n}, 2)")


@dataclass(frozen=True)
class Measurement:
    """Everything measured from one clip.

    ``status`` is :data:`STATUS_OK` when ``peak`` is a result the engine stands behind; otherwise it names why
    there is none (:data:`STATUS_NO_VALID_REP`, :data:`STATUS_NOT_A_LUNGE`), ``peak`` is None,
    ``status_message`` says it in one plain line with what to do, and the reps are still listed.
    """

    side: Side
    facing: str  # "left" or "right": where the person faces in the (upright) image
    peak: PeakResult | None
    reps: tuple[RepResult, ...]
    valid_spread_deg: float | None  # max - min of the valid reps' shin angles (None with < 2 valid reps)
    camera_roll_deg: float
    camera_roll_applied: bool
    camera_roll_source: str  # which scene edges gave the vertical
    up_unit: tuple[float, float]  # the vertical the shin was measured against, at the ankle (image x, y)
    foot_length_px: float
    shin_length_px: float
    knee_over_toe_points: str  # "silhouette" (front of knee to toe tip) or "landmarks" (knee joint to toe)
    scale: ScaleResult
    analysed_every_n_frames: int
    warnings: tuple[str, ...]
    video: VideoMeta
    frames: FrameSeries
    camera_tilt_deg: float | None = None  # pitch below the horizon (+ looks down), None: not measured
    camera_yaw_deg: float | None = None  # turn from side-on (+: the camera sees the back), None: not measured
    camera_source: str = "none"  # what gave the camera's orientation
    camera_view: str = "unknown"  # "lateral" (the camera films the tested leg's outside) or "medial"
    status: str = STATUS_OK
    status_message: str | None = None
    leg_choice: str = ""  # which leg was measured and why, in plain words
    toe_tip_source: str = ""  # what placed the toe tip: "image colours", "mask", "foot-index landmark", ...

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (no per-frame arrays; NaN becomes None)."""
        data = {
            "status": self.status,
            "status_message": self.status_message,
            "side": self.side,
            "leg_choice": self.leg_choice,
            "facing": self.facing,
            "peak": asdict(self.peak) if self.peak else None,
            "reps": [asdict(rep) for rep in self.reps],
            "valid_spread_deg": self.valid_spread_deg,
            "camera_roll_deg": self.camera_roll_deg,
            "camera_roll_applied": self.camera_roll_applied,
            "camera_roll_source": self.camera_roll_source,
            "camera": {
                "tilt_deg": self.camera_tilt_deg,
                "yaw_deg": self.camera_yaw_deg,
                "source": self.camera_source,
                "view": self.camera_view,
            },
            "up_unit": list(self.up_unit),
            "foot_length_px": self.foot_length_px,
            "shin_length_px": self.shin_length_px,
            "knee_over_toe_points": self.knee_over_toe_points,
            "toe_tip_source": self.toe_tip_source,
            "scale": asdict(self.scale),
            "analysed_every_n_frames": self.analysed_every_n_frames,
            "warnings": list(self.warnings),
            "video": asdict(self.video),
        }
        return _json_safe(data)  # type: ignore[no-any-return]


def _json_safe(value: Any) -> Any:
    """Round floats to 4 decimals and turn NaN/inf into None, recursively."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    return value


def write_frames_csv(series: FrameSeries, path: Path) -> None:
    """One row per analysed frame: time, angles, knee-over-toe, heel lift and landmark visibilities."""
    columns: dict[str, FloatArray | npt.NDArray[np.int64]] = {
        "frame": series.frame_index,
        "time_s": series.time_s,
        "shin_angle_deg": series.shin_angle_deg,
        "shin_angle_smooth_deg": series.shin_angle_smooth_deg,
        "shin_angle_image_deg": series.shin_angle_image_deg,
        "tibia_axis_deg": series.tibia_axis_deg,
        "knee_over_toe_px": series.knee_over_toe_px,
        "heel_lift_px": series.heel_lift_px,
        "hand_to_knee_shin": series.hand_to_knee_shin,
    }
    columns.update({f"visibility_{name}": values for name, values in series.visibility.items()})
    try:
        with Path(path).open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in zip(*columns.values(), strict=True):
                writer.writerow(
                    ["" if isinstance(v, float) and not math.isfinite(v) else _cell(v) for v in row]
                )
    except OSError as err:
        raise InputError(f"cannot write the per-frame CSV to {path}: {err.strerror}") from err


def _cell(value: Any) -> str:
    if isinstance(value, np.integer | int):
        return str(int(value))
    return f"{float(value):.4f}"
