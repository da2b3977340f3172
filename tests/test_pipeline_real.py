"""Metamorphic tests on real footage (../shared/data/real): no ground truth, only how a transform must act.

The walking clip (``sports2d_walk_side.mp4``, a woman in pure side view against a brick wall) is cut to 4.4 s
in which she walks across the whole frame, facing left, feet always in view. It is not a lunge, so
``vision.measure`` may refuse it ("no forward rock"); the series compared then comes from the lower-level API
(:func:`landmark_series`: VideoReader, PoseEstimator, choose_leg/leg_points, the scene's camera,
sagittal_angle_deg), which computes the same per-frame shin angle of the front leg as the pipeline.

Each transform is compared with a reference clip that went through the same encoding, frame by frame (matched
by stream index), and the statistic is the median over the matched frames of the change in shin angle. Every
frame is analysed (``analysis_fps=0``, 132 frames): walking swings the shin by about 50 deg per step, and
the frames where the legs cross (the front leg changes) differ by up to 10 deg between two encodings of the
same clip; the median over 130 frames is not moved by them, the median over 66 would be (about 0.8 deg).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from clips import (
    REVERSE_LUNGE,
    SQUAT,
    TWO_PEOPLE,
    WALK_SIDE,
    filtered,
    hevc,
    hflip,
    missing_reason,
    rotated,
    stored_portrait,
    trim,
)

import vision
from vision import geometry
from vision.metrics.angles import MODEL as ANGLE_MODEL
from vision.pose import quality
from vision.pose.landmarks import FramePose, PoseEstimator, PoseTrack
from vision.pose.legs import choose_leg, leg_points
from vision.results import Measurement
from vision.scene.camera_search import scene_camera
from vision.scene.roll import roll_from_edges, scene_edges
from vision.video import VideoInfo, VideoReader, probe_video

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not WALK_SIDE.is_file(), reason=missing_reason(WALK_SIDE)),
]

FloatArray = npt.NDArray[np.float64]

TRIM_START_S, TRIM_DURATION_S = 6.6, 4.4  # second pass: enters at x=70 px, leaves at x=1230 px, facing left
OPTIONS = vision.MeasureOptions(analysis_fps=0)  # every frame (see the module docstring)
ROLL_TOLERANCE_DEG = 1.0  # roll estimate change vs the applied rotation
ANGLE_TOLERANCE_DEG = 1.0  # median over frames of the change in shin angle
ROLL_SAMPLES = 6  # frames pooled for the roll by the fallback, as MeasureOptions.roll_frames


@dataclass(frozen=True)
class Series:
    """Per-frame shin angle of the front leg against the scene's vertical, and what came with it."""

    level: str  # "measure" or "landmarks" (the fallback)
    frame_index: npt.NDArray[np.int64]
    shin_angle_deg: FloatArray
    roll_deg: float  # NaN when the scene gave no reliable vertical
    facing: str
    info: VideoInfo


def measure_series(path: Path, angle: str = "shin_angle_deg") -> Series | None:
    """From ``vision.measure`` (``angle``: the per-frame series, by default the headline front of the shin);
    None when it finds no forward rock at all."""
    try:
        m = vision.measure(path, OPTIONS)
    except vision.InputError as err:
        if "forward rock" in str(err):
            return None
        raise
    return Series(
        "measure",
        m.frames.frame_index,
        getattr(m.frames, angle),
        m.camera_roll_deg if m.camera_roll_applied else float("nan"),
        m.facing,
        probe_video(path),
    )


def landmark_series(path: Path) -> Series:
    """The same series from the lower-level API, every frame, raw (no cleaning); the camera as the pipeline
    takes it, from a few frames spread over the clip with the person masked out.
    """
    poses: list[FramePose] = []
    samples: list[tuple[npt.NDArray[np.uint8], FramePose]] = []
    with VideoReader(path) as reader, PoseEstimator(tracking=True) as estimator:
        info = reader.info
        keep_every = max(1, info.frame_count // ROLL_SAMPLES)
        for frame in reader.frames():
            rgb = np.asarray(cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB), dtype=np.uint8)
            poses.append(estimator.process(rgb, frame.index, frame.time_s))
            if len(poses) % keep_every == keep_every // 2 and len(samples) < ROLL_SAMPLES:
                samples.append((frame.image, poses[-1]))
    track = PoseTrack.from_frames(poses, info.width_px, info.height_px)
    choice = choose_leg(track)
    leg = leg_points(track, choice)
    size = samples[0][0].shape[:2]
    regions = [quality.person_region(size, pose.xy_px, pose.visibility, None) for _, pose in samples]
    edges = scene_edges([image for image, _ in samples], regions)
    roll = roll_from_edges(edges)
    camera = scene_camera(edges, roll)
    plane = camera.shin_plane_normal(choice.facing, choice.side, ANGLE_MODEL.shin_lean_deg)
    angle = geometry.sagittal_angle_deg(
        camera.rays(leg.knee), camera.rays(leg.ankle), plane, camera.up, camera.forward(choice.facing)
    )
    return Series(
        "landmarks",
        track.frame_index,
        np.asarray(angle, dtype=np.float64),
        camera.roll_deg if roll.reliable or camera.tilt_known else float("nan"),
        "right" if choice.facing > 0 else "left",
        info,
    )


class WalkClips:
    """The trimmed walking clip and its transforms, each made and measured once per session."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._paths: dict[str, Path] = {}
        self._series: dict[str, Series] = {}

    def path(self, name: str) -> Path:
        if name not in self._paths:
            self._paths[name] = self._make(name)
        return self._paths[name]

    def _make(self, name: str) -> Path:
        out = self.folder / f"{name.replace('+', 'p').replace('-', 'm')}.mp4"
        if name == "base":
            return trim(WALK_SIDE, out, TRIM_START_S, TRIM_DURATION_S)
        if name.startswith("rotate"):
            return rotated(self.path("base"), out, float(name.removeprefix("rotate")))
        if name == "hflip":
            return hflip(self.path("base"), out)
        if name == "hevc":
            return hevc(self.path("base"), out)
        if name.startswith("portrait"):
            return stored_portrait(self.path("base"), out, int(name.removeprefix("portrait")))
        raise ValueError(name)

    def series(self, name: str) -> Series:
        """From ``measure`` when it accepts the base clip, else from the landmarks (same level for all)."""
        if name not in self._series:
            path = self.path(name)
            if name == "base":
                self._series[name] = measure_series(path) or landmark_series(path)
            elif self.series("base").level == "measure":
                found = measure_series(path)
                assert found is not None, f"measure() accepts the base clip but finds no rock in {name}"
                self._series[name] = found
            else:
                self._series[name] = landmark_series(path)
        return self._series[name]


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> WalkClips:
    return WalkClips(tmp_path_factory.mktemp("walk"))


def median_change(after: Series, before: Series) -> tuple[float, int]:
    """Median over the frames present (finite) in both of after - before, and how many frames that was."""
    _, i, j = np.intersect1d(after.frame_index, before.frame_index, return_indices=True)
    change = after.shin_angle_deg[i] - before.shin_angle_deg[j]
    change = change[np.isfinite(change)]
    # Frames where the walking feet pass each other have no known front leg (MediaPipe's two legs meet):
    # about a fifth of this clip's frames are missing by design.
    assert len(change) >= 0.6 * min(len(after.frame_index), len(before.frame_index)), "too few matched frames"
    return float(np.median(change)), len(change)


@pytest.mark.parametrize("ccw_deg", [5.0, -10.0])
def test_rotation_moves_the_roll_not_the_shin_angle(walk: WalkClips, ccw_deg: float) -> None:
    """Turning every frame by a known angle is a crooked phone: the roll estimate follows it, the shin angle
    against the scene's vertical does not move. Reference: the same clip through the same warp at 0 deg.
    """
    before, after = walk.series("rotate+0"), walk.series(f"rotate{ccw_deg:+g}")
    assert np.isfinite(before.roll_deg), "no reliable roll on the level clip (brick wall, floor line)"
    assert np.isfinite(after.roll_deg), f"no reliable roll on the clip turned by {ccw_deg:+g} deg"
    assert after.roll_deg - before.roll_deg == pytest.approx(ccw_deg, abs=ROLL_TOLERANCE_DEG)
    change, n = median_change(after, before)
    assert abs(change) < ANGLE_TOLERANCE_DEG, f"shin angle moved by {change:+.2f} deg (median of {n} frames)"
    assert after.facing == before.facing


def test_mirror_flips_facing_not_the_shin_angle(walk: WalkClips) -> None:
    """A mirrored clip faces the other way; the shin angle is signed relative to facing: it stays."""
    before, after = walk.series("base"), walk.series("hflip")
    assert before.facing == "left"
    assert after.facing == "right"
    change, n = median_change(after, before)
    assert abs(change) < ANGLE_TOLERANCE_DEG, f"shin angle moved by {change:+.2f} deg (median of {n} frames)"


def test_hevc_gives_the_same_frames_and_angles(walk: WalkClips) -> None:
    before, after = walk.series("base"), walk.series("hevc")
    assert after.info.codec == "hevc"
    assert after.info.frame_count == before.info.frame_count
    assert len(after.frame_index) == len(before.frame_index)
    change, n = median_change(after, before)
    assert abs(change) < ANGLE_TOLERANCE_DEG, f"shin angle moved by {change:+.2f} deg (median of {n} frames)"


@pytest.mark.parametrize("tag_deg", [90, 270])
def test_portrait_storage_with_rotation_tag(walk: WalkClips, tag_deg: int) -> None:
    """Landscape content stored as portrait pixels plus a rotation tag (as phones write) reads upright."""
    with VideoReader(walk.path(f"portrait{tag_deg}")) as reader:
        info = reader.info
        first = next(iter(reader.frames()))
    base = walk.series("base").info
    assert info.rotation_deg == tag_deg
    assert (info.width_px, info.height_px) == (base.width_px, base.height_px)
    assert (info.stored_width_px, info.stored_height_px) == (base.height_px, base.width_px)
    assert first.image.shape[:2] == (base.height_px, base.width_px)
    before, after = walk.series("base"), walk.series(f"portrait{tag_deg}")
    assert after.facing == before.facing
    change, n = median_change(after, before)
    assert abs(change) < ANGLE_TOLERANCE_DEG, f"shin angle moved by {change:+.2f} deg (median of {n} frames)"


def test_fallback_matches_measure(walk: WalkClips) -> None:
    """The lower-level series used when measure() refuses a walk computes the knee-ankle axis measure()
    reports."""
    measured = measure_series(walk.path("base"), "tibia_axis_deg")
    if measured is None:
        pytest.skip("measure() finds no forward rock in the walking clip: the fallback is in use already")
    fallback = landmark_series(walk.path("base"))
    assert fallback.facing == measured.facing
    assert fallback.roll_deg == pytest.approx(measured.roll_deg, abs=0.1)
    change, n = median_change(fallback, measured)
    assert abs(change) < 0.1, f"fallback differs by {change:+.2f} deg (median of {n} frames)"


@pytest.mark.skipif(not TWO_PEOPLE.is_file(), reason=missing_reason(TWO_PEOPLE))
def test_two_people_in_view_warns_or_refuses() -> None:
    """A woman walks across while a man jumps on a box: a Measurement with a warning, or a one-line
    InputError; never another exception.
    """
    outcome = measure_or_message(TWO_PEOPLE)
    if isinstance(outcome, str):
        assert outcome
        assert "\n" not in outcome
        return
    assert outcome.warnings, "two people in view, yet no warning"
    assert all("\n" not in warning for warning in outcome.warnings)


def test_a_walk_is_not_a_lunge_test_and_gives_no_result(walk: WalkClips) -> None:
    """Walking across the frame: the rocks seen are not over a planted foot, so there is no result and the
    status says why (the CLI exits 3 on it)."""
    m = vision.measure(walk.path("base"))
    assert m.status == "not_a_lunge"
    assert m.peak is None
    assert m.status_message is not None
    assert "lunge" in m.status_message
    assert m.reps, "the rocks seen are still listed"
    assert not any(rep.valid for rep in m.reps)


@pytest.mark.skipif(not SQUAT.is_file(), reason=missing_reason(SQUAT))
def test_feet_side_by_side_measure_the_near_leg() -> None:
    """A side-on barbell squat, feet level: the near leg (his right, in full view) is measured, not the far
    one and not refused, and the result says why that leg; its dark shin on a dark floor is not taken for
    the front of the shin without saying so."""
    m = vision.measure(SQUAT)
    assert m.side == "right"
    assert "level" in m.leg_choice
    assert m.status == "ok"
    assert m.peak is not None
    assert m.peak.heel_down
    if m.peak.shin_angle_source != "front of shin":
        assert any("could not be traced" in warning for warning in m.warnings)


@pytest.mark.skipif(not REVERSE_LUNGE.is_file(), reason=missing_reason(REVERSE_LUNGE))
def test_a_front_foot_cut_by_the_frame_edge_is_refused_not_measured(tmp_path: Path) -> None:
    """The real side-on lunge measures; cropped to its middle 80 %, the bottom edge runs through the front
    foot (and the back one): no heel or toe tip can be checked, so the clip is refused, naming the edge and
    what to do, rather than measured on a cut foot or on the back leg."""
    assert vision.measure(REVERSE_LUNGE).status == "ok"
    cropped = filtered(REVERSE_LUNGE, tmp_path / "cropped.mp4", "crop=iw*0.8:ih*0.8:iw*0.1:ih*0.1")
    outcome = measure_or_message(cropped)
    assert isinstance(outcome, str), f"measured a cut foot: {outcome}"
    assert "edge of the frame" in outcome
    assert "whole foot" in outcome


@pytest.mark.skipif(not REVERSE_LUNGE.is_file(), reason=missing_reason(REVERSE_LUNGE))
def test_a_clip_over_1920_px_is_measured_as_the_same_clip_at_1080p(tmp_path: Path) -> None:
    """A phone filming at 1440p or 4K gives the same result: the frames are analysed shrunk to 1920 px on
    their long side (the upscaled clip's frames are then the original's at 1.5x), not at full size."""
    start_s, duration_s = 9.0, 8.0  # around the deepest rep (13.4 s)
    original = vision.measure(trim(REVERSE_LUNGE, tmp_path / "720p.mp4", start_s, duration_s))
    big = trim(REVERSE_LUNGE, tmp_path / "1440p.mp4", start_s, duration_s, vf="scale=2560:1440")
    upscaled = vision.measure(big)
    assert (upscaled.video.width, upscaled.video.height) == (2560, 1440)
    assert upscaled.video.analysed_scale == pytest.approx(0.75)
    assert original.peak is not None
    assert upscaled.peak is not None
    assert abs(upscaled.peak.shin_angle_deg - original.peak.shin_angle_deg) < ANGLE_TOLERANCE_DEG
    assert abs(upscaled.peak.tibia_axis_deg - original.peak.tibia_axis_deg) < ANGLE_TOLERANCE_DEG
    assert abs(upscaled.peak.time_s - original.peak.time_s) < 0.2


def measure_or_message(path: Path) -> Measurement | str:
    """The Measurement, or the message of the InputError (any other exception propagates: a failure)."""
    try:
        return vision.measure(path)
    except vision.InputError as err:
        return str(err)
