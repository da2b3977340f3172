"""The tested leg's per-frame signals, cleaned: the two shin angles in the leg's sagittal plane, knee over
toe along the floor, the heel's rise; and the foot and shin lengths they are judged against."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from vision import geometry
from vision.metrics.angles import MODEL as ANGLE_MODEL
from vision.metrics.distances import along_floor_px
from vision.metrics.timeseries import CleaningParams, clean, smooth
from vision.pose.landmarks import HAND_POINTS, PoseTrack
from vision.pose.legs import LegChoice, LegPoints
from vision.results import FrameSeries
from vision.scene.camera import CameraPose

FloatArray = npt.NDArray[np.float64]

#: Knee, toe and heel of the distances along the floor: read off the person mask, else the landmarks.
SILHOUETTE_POINTS = ("knee_front", "toe_tip", "heel_back")
LANDMARK_POINTS = ("knee", "toe", "heel")
#: The silhouette points must be found in at least this share of frames to be used.
MIN_SILHOUETTE_SHARE = 0.5


def leg_series(
    track: PoseTrack,
    leg: LegPoints,
    choice: LegChoice,
    up: FloatArray,
    camera: CameraPose,
    params: CleaningParams,
) -> tuple[FrameSeries, float, float, bool]:
    """Per-frame signals of the tested leg, cleaned; the foot and shin lengths in px; and whether the
    silhouette points (front of the knee, toe tip, back of the heel) were found (else landmarks are used).

    The shin angle, knee-over-toe and foot length are measured in the tested leg's sagittal plane (see
    :func:`geometry.sagittal_offsets`), so camera tilt, yaw and perspective do not bend them; lengths along
    the floor are in pixels of a square-on view at the toe's depth. ``up`` (the image vertical at the ankle)
    serves the heel height.
    """
    t = track.time_s
    vis = leg.visibility
    shin_vis = np.minimum(vis["knee"], vis["ankle"])
    foot_vis = np.minimum(vis["heel"], vis["toe"])
    silhouette = found_share(leg, SILHOUETTE_POINTS) >= MIN_SILHOUETTE_SHARE
    knee, toe, heel = (getattr(leg, name) for name in (SILHOUETTE_POINTS if silhouette else LANDMARK_POINTS))
    foot_px = typical_length_px(np.abs(along_floor_px(camera, toe, heel, choice.facing)), foot_vis, params)
    shin_px = typical_length_px(geometry.segment_length_px(leg.knee, leg.ankle), shin_vis, params)
    forward = camera.forward(choice.facing)
    plane = camera.shin_plane_normal(choice.facing, choice.side, ANGLE_MODEL.shin_lean_deg)
    knee_rays, ankle_rays = camera.rays(leg.knee), camera.rays(leg.ankle)
    axis = geometry.sagittal_angle_deg(knee_rays, ankle_rays, plane, camera.up, forward)
    top, bottom = leg.shin_front_top, leg.shin_front_bottom
    front = geometry.sagittal_angle_deg(camera.rays(top), camera.rays(bottom), plane, camera.up, forward)
    front_vis = np.minimum(shin_vis, vis["shin_front_top"])
    angle = clean(front, t, front_vis, params)
    axis_angle = clean(axis, t, shin_vis, params)
    angle_image = clean(geometry.shin_angle_deg(top, bottom, choice.facing), t, front_vis, params)
    knee_vis = np.minimum(vis["knee"], vis["toe"])
    knee_over_toe = clean(along_floor_px(camera, knee, toe, choice.facing), t, knee_vis, params)
    heel_params = dataclasses.replace(params, outlier_floor=0.01 * foot_px)
    heel_rise, heel_gap = heel_rise_px(leg, up)
    heel_lift = clean(heel_rise, t, foot_vis, heel_params)
    series = FrameSeries(
        frame_index=track.frame_index,
        time_s=t,
        shin_angle_deg=angle,
        shin_angle_smooth_deg=smooth(angle, t, params),
        shin_angle_image_deg=angle_image,
        tibia_axis_deg=axis_angle,
        tibia_axis_smooth_deg=smooth(axis_angle, t, params),
        knee_over_toe_px=knee_over_toe,
        heel_lift_px=heel_lift,
        heel_lift_gap_px=clean(heel_gap, t, foot_vis, heel_params),
        hand_to_knee_shin=hand_to_knee_shin(track, leg.knee, shin_px),
        visibility=dict(vis),
        leg_px=leg.as_dict(),
    )
    return series, foot_px, shin_px, bool(silhouette)


def heel_rise_px(leg: LegPoints, up: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Heel height above its usual level, and half the gap between its two readings (px).

    The two readings are its rise against the toe landmark (which stays on the floor when the heel lifts,
    and moves with a hand-held camera) and its rise in the image (a still camera); the height is their mean.
    The bottom of the heel on the silhouette is used where it was found, MediaPipe's heel landmark elsewhere
    (each minus its own usual level). The landmark alone rides up the back of the heel by up to about 0.08
    of the foot length with the heel down at deep knee flexion; the sole under the heel does not. The toe
    landmark dips by up to 0.1 foot lengths at deep flexion on some clips, which alone would read as a lift;
    the image height alone reads any camera shake. On the ``tune`` clips their mean read every heel lift of
    1.5-3.1 cm above 0.056 foot lengths and every heel-down rep below 0.04.
    """
    rises, gaps = [], []
    for heel in (leg.heel_bottom, leg.heel):
        against_toe = _from_usual(geometry.height_above_px(heel, leg.toe, up))
        in_image = _from_usual(heel @ up)
        rises.append((against_toe + in_image) / 2)
        gaps.append(np.abs(against_toe - in_image) / 2)
    found = np.isfinite(rises[0])
    return np.where(found, rises[0], rises[1]), np.where(found, gaps[0], gaps[1])


def hand_to_knee_shin(track: PoseTrack, knee_px: FloatArray, shin_px: float) -> FloatArray:
    """Per frame, the distance from the tested knee (n, 2) to the nearest point of either hand (wrist,
    knuckles, thumb), in shin lengths (NaN where either is missing)."""
    hands = track.xy_px[:, list(HAND_POINTS)]
    distance = np.linalg.norm(hands - knee_px[:, None, :], axis=2)
    found = np.isfinite(distance).any(axis=1)
    nearest = np.min(np.where(np.isfinite(distance), distance, np.inf), axis=1)
    return np.where(found, nearest / shin_px, np.nan)


def _from_usual(values: FloatArray) -> FloatArray:
    """``values`` minus their median (NaN in, NaN out)."""
    return values - np.nanmedian(values) if np.isfinite(values).any() else values


def found_share(leg: LegPoints, names: tuple[str, ...]) -> float:
    """Share of frames where all the named points were found."""
    found = np.all([np.isfinite(getattr(leg, name)[:, 0]) for name in names], axis=0)
    return float(found.mean()) if found.size else 0.0


def typical_length_px(lengths_px: FloatArray, visibility: FloatArray, params: CleaningParams) -> float:
    """Median length over the frames where the points are visible (NaN if none)."""
    good = (visibility >= params.min_visibility) & np.isfinite(lengths_px)
    return float(np.median(lengths_px[good])) if good.any() else float("nan")
