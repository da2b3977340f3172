"""From a clip to a :class:`~vision.results.Measurement`: the only module that wires the layers together."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vision import geometry
from vision.errors import InputError
from vision.metrics import schedule
from vision.metrics.angles import (
    CameraDoubt,
    angle_warnings,
    implausible_roll,
    roll_doubt_deg,
)
from vision.metrics.distances import (
    camera_doubt_cm,
    centimetre_warnings,
    combined_uncertainty_cm,
    peak_result,
    points_sigma_cm,
    px_per_cm_at_toe,
)
from vision.metrics.reps import (
    RepLimits,
    heel_judged,
    heel_rise_px,
    heel_warnings,
    hidden_warnings,
    largest_other,
    rep_result,
)
from vision.metrics.series import (
    LANDMARK_POINTS,
    MIN_SILHOUETTE_SHARE,
    SILHOUETTE_POINTS,
    found_share,
    leg_series,
    typical_length_px,
)
from vision.metrics.timeseries import CleaningParams, RepParams, find_reps
from vision.pose import quality
from vision.pose.landmarks import FramePose, PoseEstimator, PoseTrack, SampledFrame, Side
from vision.pose.legs import camera_view, foot_at_edge, without_foot
from vision.pose.tested_leg import pick_leg
from vision.pose.toe_tip import (
    ToeTip,
    near_reference,
    refine_toe_tip,
    toe_point_px,
    with_gap_doubt,
)
from vision.results import (
    STATUS_NO_VALID_REP,
    STATUS_NOT_A_LUNGE,
    STATUS_OK,
    FrameSeries,
    Measurement,
    RepResult,
    ScaleResult,
    VideoMeta,
    WallResult,
)
from vision.scene.calibration import FloorScale, Paper, choose_scale, find_references
from vision.scene.camera import CameraPose, camera_from_projection
from vision.scene.camera_search import scene_camera
from vision.scene.roll import RollEstimate, roll_from_edges, scene_edges
from vision.scene.wall import find_wall, knee_reached_wall
from vision.video import Frame, VideoInfo, VideoReader

FloatArray = npt.NDArray[np.float64]
ProgressCallback = Callable[[float], None]
#: Frames (BGR) decoded between two times, for a second look at the peak.
FramesBetween = Callable[[float, float], list[npt.NDArray[np.uint8]]]

#: Frames of the result's hold looked at again to find the wall (their median is analysed).
WALL_FRAMES = 5
#: The front of the knee counts as at the wall within this distance: skin and mask edge are that uncertain.
KNEE_AT_WALL_CM = 1.0
#: Below this, a wall line is too doubtful to report (vertical edges seen only on the person score 0.4).
MIN_WALL_CONFIDENCE = 0.5
#: The person's box handed to the wall search ends this far below the lowest landmark (a foot's), not at the
#: box's usual margin (10 % of its size, 15-20 cm): below the feet is the floor, not the person. It allows
#: for the sole a few cm below MediaPipe's heel and toe points and, seen from above, the sole's near edge a
#: little lower again. The usual margin hides the floor/wall junction in front of the toes when the toe is
#: near the wall and the feet near the frame's edge (the wall must be seen clear of the box). 3-12 cm find
#: the same walls on the tune clips.
WALL_BOX_BELOW_FEET_CM = 5.0
#: Frames of the set-up check looked at for the camera's yaw.
SETUP_SCENE_FRAMES = 3
#: An adult foot (heel to toe) is 23-30 cm: only used to size a 1 cm tolerance when there is no scale.
TYPICAL_FOOT_CM = 26.0


@dataclass(frozen=True)
class MeasureOptions:
    """Settings of one measurement.

    Attributes:
        side: the tested leg, if the user knows better than the automatic choice.
        foot_length_cm: heel-to-toe length of the foot (or shoe) as filmed; a scale when no marker or sheet
            is seen, and a check on them when one is.
        marker_size_cm: printed side of the ArUco marker's black square (``dorsiflex marker`` prints one).
        paper: "a4" or "letter" when a sheet lies on the floor (a side view cannot tell them apart).
        analysis_fps: pose estimation runs on about this many frames per second of video (every frame when
            the clip's rate is lower). A rock lasts 1-3 s, so 15 samples per second resolve it; skipping the
            rest is what lets a 1080p clip run faster than real time on two cores.
        heel_lift_max_foot_ratio: a rep whose heel rose more than this fraction of the foot length during
            the hold is invalid: 0.05 of a 25-30 cm foot is a heel rise of about 1.2-1.5 cm. With the heel
            down, the bottom of the heel reads at most 0.024 of the foot length on the synthetic clips (every
            frame analysed) and 1.5-1.7 cm lifts read 0.070 or more.
        foot_slide_max_foot_ratio: a rep whose toes moved more than this fraction of the foot length from
            their usual place is invalid (the foot slid).
        roll_frames: frames sampled across the clip to estimate the camera roll.
        pose_tracking: MediaPipe's video mode (each frame's region of interest from the previous frame's
            landmarks) rather than a fresh person detection on every frame (``benchmarks/accuracy.py
            --detection`` compares them). Tracking is cheaper (the detector runs only when the person is
            lost) and steadier at the foot: with detection one heel-down rep of the synthetic clips read as
            a heel lift and the wrong rep became the result. Detection's peak angles were closer in the
            median clip (2.0 vs 2.6 deg) but not in the worst (6.4 vs 6.2).
        coarse_fps: coarse-to-fine in time (:mod:`vision.metrics.schedule`): pose runs on about this many
            frames a second while the shins are away from their deepest, and on every analysed frame near it,
            where the result is read; the frames between are interpolated. None: pose on every analysed frame.
    """

    side: Side | None = None
    foot_length_cm: float | None = None
    marker_size_cm: float = 10.0
    paper: Paper | None = None
    analysis_fps: float = 15.0
    heel_lift_max_foot_ratio: float = 0.05
    foot_slide_max_foot_ratio: float = 0.15
    roll_frames: int = 6
    pose_tracking: bool = True
    coarse_fps: float | None = None
    cleaning: CleaningParams = field(default_factory=CleaningParams)
    rep_params: RepParams = field(default_factory=RepParams)


def coarse_step(stride: int, fps: float, coarse_fps: float | None) -> int:
    """Pose runs on every how many analysed frames in the coarse pass (1: every one, no fine pass)."""
    if coarse_fps is None or coarse_fps <= 0 or fps <= 0:
        return 1
    return max(1, round(fps / stride / coarse_fps))


def analysis_stride(fps: float, analysis_fps: float) -> int:
    """Every how many frames pose estimation runs."""
    if analysis_fps <= 0 or fps <= 0:
        return 1
    return max(1, round(fps / analysis_fps))


@dataclass(frozen=True)
class PoseRun:
    """The pose pass over one clip: everything :func:`analyse` needs that costs decoding and pose estimation.

    It depends on the clip and on ``analysis_fps``, ``roll_frames`` and ``pose_tracking`` only, so one run
    serves any side, foot length, marker size or paper (:func:`measure_from_pose`). ``samples`` hold a few
    full frames (a 1080p frame is about 6 MB): keep a handful of runs, not hundreds. ``path`` is the clip,
    reopened for a few frames of the result's hold (the wall); a copy of the same clip elsewhere may replace
    it (``dataclasses.replace(run, path=copy)``). Not to be mutated.
    """

    path: Path
    info: VideoInfo
    stride: int
    track: PoseTrack
    samples: tuple[SampledFrame, ...]
    brightness: FloatArray
    warnings: tuple[str, ...]  # of the decoding (a truncated file)
    ended_early: bool  # the stream stopped well short of its stated end


def measure(
    path: str | Path,
    options: MeasureOptions | None = None,
    progress: ProgressCallback | None = None,
    *,
    estimator: PoseEstimator | None = None,
) -> Measurement:
    """Measure the lunge test in one clip. Raises :class:`InputError` (one line) for unusable input.

    ``estimator``: a pose model to reuse (built with ``tracking=options.pose_tracking``; many clips in one
    process, :mod:`vision.batch.run`). It is reset before the clip, so the result is the same as with a fresh
    one, and is left open. Without it a model is built for the clip and closed.

    The same as ``measure_from_pose(run_pose(path, options, progress), options)``.
    """
    options = options or MeasureOptions()
    _check_options(options)
    return measure_from_pose(run_pose(path, options, progress, estimator=estimator), options)


def _check_options(options: MeasureOptions) -> None:
    if options.foot_length_cm is not None and not 5.0 <= options.foot_length_cm <= 40.0:
        raise InputError(
            f"foot length {options.foot_length_cm} cm is implausible: give the heel-to-toe length in cm"
        )


def run_pose(
    path: str | Path,
    options: MeasureOptions | None = None,
    progress: ProgressCallback | None = None,
    *,
    estimator: PoseEstimator | None = None,
) -> PoseRun:
    """The pose pass of :func:`measure` over one clip (``estimator`` as there). Raises :class:`InputError`."""
    options = options or MeasureOptions()
    with VideoReader(path) as reader, _pose_model(options.pose_tracking, estimator) as pose_model:
        info = reader.info
        quality.check_duration(info.duration_s)
        stride = analysis_stride(info.fps, options.analysis_fps)
        coarse_every = coarse_step(stride, info.fps, options.coarse_fps)
        poses, samples, brightness = _run_pose(
            reader, pose_model, stride, options.roll_frames, progress, coarse_every=coarse_every
        )
        warnings = quality.truncation_warnings(reader.ended_early, reader.frames_decoded, info)
        track = PoseTrack.from_frames(poses, info.width_px, info.height_px)
        return PoseRun(
            Path(path), info, stride, track, tuple(samples), brightness, tuple(warnings), reader.ended_early
        )


def measure_from_pose(run: PoseRun, options: MeasureOptions | None = None) -> Measurement:
    """Everything of :func:`measure` after the pose pass, with ``options``' side and scale (the pose pass's
    own options, ``analysis_fps``, ``roll_frames`` and ``pose_tracking``, are the run's). Raises InputError.
    """
    options = options or MeasureOptions()
    _check_options(options)
    with contextlib.ExitStack() as stack:
        reader: VideoReader | None = None

        def frames_between(start_s: float, end_s: float) -> list[npt.NDArray[np.uint8]]:
            nonlocal reader
            if reader is None:  # opened only when the wall is looked for
                reader = stack.enter_context(VideoReader(run.path))
            with contextlib.closing(reader.frames(start_s=start_s, end_s=end_s)) as frames:
                return [frame.image for frame in itertools.islice(frames, WALL_FRAMES)]

        try:
            return analyse(
                run.track,
                run.info,
                run.stride,
                list(run.samples),
                run.brightness,
                options,
                list(run.warnings),
                frames_between,
            )
        except InputError as err:
            if not run.ended_early:
                raise
            raise InputError(
                f"the file is truncated (it stops at {run.track.time_s[-1]:.1f} s of "
                f"{run.info.duration_s:.1f} s) and the readable part cannot be measured ({err}): copy or "
                "export the clip again"
            ) from err


def check_setup(path: str | Path, seconds: float = 3.0, options: MeasureOptions | None = None) -> list[str]:
    """What to fix in the filming set-up, judged from the first ``seconds`` of a clip ([] when it looks fine).

    The same checks as :func:`measure` (person, light, front foot and knee in frame, size, side-on), on the
    start of the clip only, so a bad set-up is caught before a whole test is filmed.
    """
    options = options or MeasureOptions()
    with VideoReader(path) as reader, _pose_model(options.pose_tracking, None) as pose_model:
        info = reader.info
        stride = analysis_stride(info.fps, options.analysis_fps)
        poses, samples, brightness = _run_pose(
            reader, pose_model, stride, SETUP_SCENE_FRAMES, None, end_s=seconds
        )
    track = PoseTrack.from_frames(poses, info.width_px, info.height_px)
    try:
        clip_brightness = float(np.median(brightness))
        quality.check_person(track, clip_brightness)
        choice, leg, _ = pick_leg(track, options.side)
        quality.check_foot_clear_of_edge(leg, track.width_px, track.height_px)
        params = options.cleaning
        shin_vis = np.minimum(leg.visibility["knee"], leg.visibility["ankle"])
        foot_vis = np.minimum(leg.visibility["heel"], leg.visibility["toe"])
        shin_px = typical_length_px(geometry.segment_length_px(leg.knee, leg.ankle), shin_vis, params)
        foot_px = typical_length_px(geometry.segment_length_px(leg.heel, leg.toe), foot_vis, params)
        quality.check_side_on(track, shin_px)
    except InputError as err:
        return [str(err)]
    _, camera = _scene(samples)
    yaw_deg = camera.yaw_deg(choice.facing) if camera is not None and camera.yaw_known else None
    return quality.scene_warnings(
        track, leg, clip_brightness, foot_px, shin_px, choice
    ) + quality.camera_warnings(yaw_deg)


def _pose_model(
    tracking: bool, estimator: PoseEstimator | None
) -> contextlib.AbstractContextManager[PoseEstimator]:
    """A new pose model for one clip (closed after it), or ``estimator`` reset and left open."""
    if estimator is None:
        return PoseEstimator(tracking=tracking)
    estimator.reset()
    return contextlib.nullcontext(estimator)


def _run_pose(
    reader: VideoReader,
    pose_model: PoseEstimator,
    stride: int,
    n_samples: int,
    progress: ProgressCallback | None,
    end_s: float | None = None,
    coarse_every: int = 1,
) -> tuple[list[FramePose], list[SampledFrame], FloatArray]:
    """One streaming pass over the analysed frames: their poses, a few frames kept for the camera roll, and
    their mean brightness (0-255). ``coarse_every`` > 1: pose runs on every ``coarse_every``-th frame away
    from the shins' deepest and on every frame near it (:mod:`vision.metrics.schedule`); the frames between
    are interpolated."""
    info = reader.info
    expected = max(1, info.frame_count // stride)
    keep_every = max(1, expected // max(n_samples, 1))
    next_sample = (keep_every // 2 - 1) % keep_every
    poses: list[FramePose | None] = []
    grid: list[tuple[int, float]] = []
    samples: list[SampledFrame] = []
    brightness: list[float] = []
    gate = schedule.DensityGate() if coarse_every > 1 else None
    held: list[tuple[int, Frame]] = []  # frames skipped since the last estimated one
    for i, frame in enumerate(reader.frames(stride=stride, end_s=end_s)):
        grid.append((frame.index, frame.time_s))
        brightness.append(float(frame.image[::8, ::8].mean()))
        if gate is not None and not gate.dense and i % coarse_every:
            poses.append(None)
            held.append((i, frame))
            continue
        sample = pose_model.process_bgr_sample(frame.image, frame.index, frame.time_s)
        poses.append(sample.pose)
        if i >= next_sample and len(samples) < n_samples:
            samples.append(sample)
            next_sample += keep_every
        if gate is not None and gate.update(sample.pose):  # the frames held back lead into the deepest
            for j, skipped in held:
                poses[j] = pose_model.process_bgr(skipped.image, skipped.index, skipped.time_s)
        held.clear()
        if progress is not None:
            progress(min(1.0, len(grid) / expected))
    if held:  # the clip's last frame, so none at its end is left missing
        j, last = held[-1]
        poses[j] = pose_model.process_bgr(last.image, last.index, last.time_s)
    if not grid:
        raise InputError(
            f"no frame could be decoded from {info.path.name}: re-export the clip as mp4 (H.264)"
        )
    return schedule.filled(poses, grid), samples, np.array(brightness, dtype=np.float64)


def _scene(samples: list[SampledFrame]) -> tuple[RollEstimate, CameraPose | None]:
    """The camera's roll and, where the room's lines allow, its tilt and yaw (None: no frames sampled)."""
    regions = [
        quality.person_region((s.image.shape[0], s.image.shape[1]), s.pose.xy_px, s.pose.visibility, s.mask)
        for s in samples
    ]
    edges = scene_edges([s.image for s in samples], regions)
    roll = roll_from_edges(edges)
    return roll, scene_camera(edges, roll) if edges.n_frames else None


def analyse(
    track: PoseTrack,
    info: VideoInfo,
    stride: int,
    samples: list[SampledFrame],
    brightness: FloatArray,
    options: MeasureOptions,
    warnings: list[str],
    frames_between: FramesBetween | None = None,
) -> Measurement:
    """Everything after pose estimation: computation on the landmark track, plus a look at a few frames of
    the result's hold (``frames_between``) for the wall in front of the foot.
    """
    clip_brightness = float(np.median(brightness))
    quality.check_person(track, clip_brightness)
    choice, leg, leg_choice = pick_leg(track, options.side)
    quality.check_foot_clear_of_edge(leg, track.width_px, track.height_px)
    # Where the frame's edge may cut the foot, neither its heel's rise nor its toes are read.
    leg = without_foot(leg, foot_at_edge(leg, track.width_px, track.height_px))
    roll, camera = _scene(samples)
    traced = found_share(leg, SILHOUETTE_POINTS) >= MIN_SILHOUETTE_SHARE
    toe = refine_toe_tip(samples, choice.side, choice.facing, traced)
    mask_leg = leg
    leg = dataclasses.replace(leg, toe_tip=toe.track(mask_leg))
    image_size = (track.width_px, track.height_px)
    camera = camera or CameraPose.from_roll(roll, image_size)
    ankle_px = np.nanmedian(leg.ankle, axis=0)
    up = camera.up_at(ankle_px)
    series, foot_px, shin_px, silhouette = leg_series(track, leg, choice, up, camera, options.cleaning)
    quality.check_side_on(track, shin_px)
    warnings += quality.scene_warnings(track, leg, clip_brightness, foot_px, shin_px, choice)
    if not silhouette:
        warnings.append(
            "the outline of the leg could not be traced: knee-over-toe runs from the knee joint to the toe "
            "landmark, not from the front of the knee to the toe tip"
        )
    references = find_references(
        [s.image for s in samples], marker_size_cm=options.marker_size_cm, paper=options.paper
    )
    reference_px = references.outline_px()
    toe_px, heel_px = toe_point_px(leg.toe_tip), toe_point_px(leg.heel)
    if reference_px is not None and near_reference(toe_px, heel_px, reference_px, foot_px):
        # The mask may run onto the marker or sheet under the toes: the toe tip again, leaving it out, before
        # the foot it gives checks the reference.
        toe = refine_toe_tip(samples, choice.side, choice.facing, traced, reference_px=reference_px)
        leg = dataclasses.replace(leg, toe_tip=toe.track(mask_leg))
        toe = with_gap_doubt(toe, float(np.linalg.norm(toe_point_px(leg.toe_tip) - toe_px)) / foot_px)
        series, foot_px, shin_px, silhouette = leg_series(track, leg, choice, up, camera, options.cleaning)
    scale = choose_scale(references, foot_px, options.foot_length_cm, toe_point_px(leg.toe_tip))
    warnings += scale.warnings
    if scale.projection_cm_to_px is not None:
        # The marker or sheet gives the camera's tilt, focal length and, laid square to the foot, its yaw.
        reference = "aruco marker" if scale.source == "aruco" else f"{scale.source} sheet"
        camera = camera_from_projection(scale.projection_cm_to_px, image_size, reference)
        up = camera.up_at(ankle_px)
        series, foot_px, shin_px, silhouette = leg_series(track, leg, choice, up, camera, options.cleaning)
    from_floor = scale.projection_cm_to_px is not None
    level_known = roll.reliable or camera.tilt_known
    roll_sigma_deg, roll_warnings = roll_doubt_deg(camera, level_known, from_floor)
    warnings += roll_warnings
    if implausible_roll(camera, level_known, from_floor):
        camera, level_known = CameraPose.level(image_size), False
        up = camera.up_at(ankle_px)
        series, foot_px, shin_px, silhouette = leg_series(track, leg, choice, up, camera, options.cleaning)
    elif not level_known:
        warnings.append(
            "could not find straight vertical or horizontal edges to check the camera is level: angles are "
            "measured against the image vertical, so hold the phone upright"
        )
    warnings += quality.camera_warnings(camera.yaw_deg(choice.facing) if camera.yaw_known else None)
    knee_name, toe_name, heel_name = SILHOUETTE_POINTS if silhouette else LANDMARK_POINTS
    toe_tip_px = np.nanmedian(series.leg_px[toe_name], axis=0)
    px_per_cm = px_per_cm_at_toe(scale, camera, toe_tip_px)
    reps = find_reps(series.tibia_axis_smooth_deg, series.time_s, options.rep_params)
    if not reps:
        raise InputError(
            "no forward rock found: rock the knee forward toward the wall and back 2-3 times, heel down"
        )
    toe_along = np.stack(
        [
            geometry.distance_along_px(toe_px, toe_point_px(toe_px), choice.facing, up)
            for toe_px in (leg.toe, mask_leg.toe_tip)
        ]
    )
    if not heel_judged(foot_px, options.heel_lift_max_foot_ratio):
        warnings.append(
            f"the foot is too small in the picture ({foot_px:.0f} px) to tell whether the heel lifted: watch "
            "the heel yourself, or film closer"
        )
    view = camera_view(track, choice.side)
    doubt = CameraDoubt(camera, choice.facing, choice.side, roll_sigma_deg, view)
    limits = RepLimits(options.heel_lift_max_foot_ratio, options.foot_slide_max_foot_ratio)
    rises_px = [heel_rise_px(series, rep) for rep in reps]
    rep_results = tuple(
        rep_result(
            i,
            rep,
            series,
            foot_px,
            shin_px,
            px_per_cm,
            toe_along,
            doubt,
            brightness,
            limits,
            largest_other(rises_px, i),
        )
        for i, rep in enumerate(reps)
    )
    valid = [rep for rep in rep_results if rep.valid]
    status, status_message = STATUS_OK, None
    peak = None
    if valid:
        # A rep whose foot MediaPipe lost (heel not judged) is the result only when no other rep shows it.
        seen = [rep for rep in valid if rep.heel_visible] or valid
        best = max(seen, key=lambda rep: rep.shin_angle_deg)
        wall = None
        if frames_between is not None and silhouette:
            wall = _wall(
                frames_between, best, series, track, choice.facing, up, scale, px_per_cm, foot_px, toe
            )
        foot_cm = options.foot_length_cm if scale.source == "foot" else None
        names = (knee_name, toe_name, heel_name)
        camera_cm = camera_doubt_cm(doubt, series, best, names, foot_cm, px_per_cm) if px_per_cm else 0.0
        peak = peak_result(best, valid, shin_px, foot_px, px_per_cm, scale, toe, wall, camera_cm)
        warnings += angle_warnings(best, valid)
        warnings += centimetre_warnings(peak, toe)
        warnings += heel_warnings(best, valid, limits.heel_lift_max_foot_ratio, foot_px, px_per_cm)
        warnings += hidden_warnings(best, series)
    elif not any(rep.foot_planted for rep in rep_results):
        status = STATUS_NOT_A_LUNGE
        status_message = (
            "this does not look like a lunge test: no forward rock of the shin over a planted foot was "
            "found (walking or stepping? or the front foot was lost from view); film side-on with both feet "
            "in view, the front foot planted and the knee rocking toward the wall"
        )
    else:
        status = STATUS_NO_VALID_REP
        status_message = (
            f"no valid rep: each of the {len(rep_results)} forward rocks lifted the heel or moved the front "
            "foot, so there is no result; film again, keeping the heel down and the foot still"
        )
    spread = (
        (max(r.shin_angle_deg for r in valid) - min(r.shin_angle_deg for r in valid))
        if len(valid) > 1
        else None
    )
    return Measurement(
        side=choice.side,
        facing="right" if choice.facing > 0 else "left",
        peak=peak,
        reps=rep_results,
        valid_spread_deg=spread,
        camera_roll_deg=camera.roll_deg if level_known else 0.0,
        camera_roll_applied=level_known,
        camera_roll_source=camera.source if level_known else "none",
        up_unit=(float(up[0]), float(up[1])),
        foot_length_px=foot_px,
        shin_length_px=shin_px,
        knee_over_toe_points="silhouette" if silhouette else "landmarks",
        scale=ScaleResult(
            scale.source, px_per_cm, scale.relative_uncertainty if px_per_cm is not None else None
        ),
        analysed_every_n_frames=stride,
        warnings=tuple(warnings),
        video=VideoMeta(
            info.fps,
            info.frame_count,
            *info.file_size_px,
            info.rotation_deg,
            info.duration_s,
            info.codec,
            info.analysed_scale,
        ),
        frames=series,
        camera_tilt_deg=camera.tilt_deg if camera.tilt_known else None,
        camera_yaw_deg=camera.yaw_deg(choice.facing) if camera.yaw_known else None,
        camera_source=camera.source,
        camera_view=view,
        status=status,
        status_message=status_message,
        leg_choice=leg_choice,
        toe_tip_source=toe.source,
    )


def _wall(
    frames_between: FramesBetween,
    rep: RepResult,
    series: FrameSeries,
    track: PoseTrack,
    facing: int,
    up: FloatArray,
    scale: FloorScale,
    px_per_cm: float | None,
    foot_px: float,
    toe: ToeTip,
) -> WallResult | None:
    """The wall in front of the toe during the rep's hold, or None when there is none."""
    images = frames_between(rep.hold_start_time_s, rep.hold_end_time_s)
    hold = (series.time_s >= rep.hold_start_time_s) & (series.time_s <= rep.hold_end_time_s)
    toe_tip = np.nanmedian(series.leg_px["toe_tip"][hold], axis=0)
    knee_front = np.nanmedian(series.leg_px["knee_front"][hold], axis=0)
    nearest = int(np.argmin(np.abs(track.time_s - rep.peak_time_s)))
    px_per_cm_guess = px_per_cm or foot_px / TYPICAL_FOOT_CM
    below_feet_px = WALL_BOX_BELOW_FEET_CM * px_per_cm_guess
    box = quality.person_box(track.xy_px[nearest], track.visibility[nearest], below_px=below_feet_px)
    usable_scale = scale if px_per_cm is not None else None
    found = find_wall(images, toe_tip, knee_front, facing, up, [box] * len(images), usable_scale)
    if found is None or found.confidence < MIN_WALL_CONFIDENCE:
        return None
    toe_to_wall_cm = found.toe_to_wall_cm(usable_scale)
    uncertainty_cm = None
    if toe_to_wall_cm is not None and px_per_cm is not None:
        points_cm = points_sigma_cm(toe, foot_px / px_per_cm, toe_to_wall_cm, scale, knee=False)
        uncertainty_cm = combined_uncertainty_cm(toe_to_wall_cm, scale.relative_uncertainty, points_cm, [])
    tolerance_px = KNEE_AT_WALL_CM * px_per_cm_guess
    return WallResult(
        toe_to_wall_px=found.distance_px,
        toe_to_wall_cm=toe_to_wall_cm,
        toe_to_wall_uncertainty_cm=uncertainty_cm,
        knee_reached_wall=knee_reached_wall(knee_front, found, tolerance_px),
        evidence=found.evidence,
        confidence=found.confidence,
    )
