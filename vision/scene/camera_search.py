"""The search for the camera's roll, tilt and turn from the scene's straight edges (:func:`scene_camera`).

A room is taken to be Manhattan: its verticals, its lines square to the wall the person faces (the
floor/wall junction, floor boards) and its lines along the walking axis each meet at one vanishing point.
The orientation whose three vanishing points the most edge length points at is the camera's
(:class:`vision.scene.camera.CameraPose`), when the peak is sharp and well supported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vision.scene.camera import CameraPose
from vision.scene.roll import MAX_ROLL_DEG, RollEstimate, SceneEdges

FloatArray = npt.NDArray[np.float64]
logger = logging.getLogger(__name__)

#: Tilt and yaw are searched within this many degrees of a level, side-on camera ...
MAX_TILT_YAW_DEG = 30.0
#: ... and the roll within this many degrees of the one the edges' directions give.
ROLL_SEARCH_DEG = 4.0
#: Shortest edge used for tilt and yaw, as a fraction of the image diagonal (the visible floor/wall junction
#: and floor boards are short).
MIN_DEPTH_SEGMENT_FRACTION = 0.03
#: Edges supporting a tilt and yaw must add up to this fraction of the image diagonal (per frame) ...
MIN_YAW_SUPPORT_FRACTION = 0.15
#: ... and number at least this many per frame.
MIN_YAW_SEGMENTS = 2
#: Grid step of the first search (degrees); it is then refined to 0.25 degrees.
COARSE_STEP_DEG = 2.0
#: Only the longest edges take part (bounds the search's time).
MAX_EDGES = 400
#: The peak's sharpness is judged over tilts and turns within this many degrees of it: orientations ...
AMBIGUITY_WINDOW_DEG = 8.0
#: ... scoring at least this share of the best one count as equally good ...
NEAR_BEST_SCORE = 0.9
#: ... and must agree on the tilt and the turn to within these spreads for them to be trusted.
MAX_TILT_SPREAD_DEG = 6.0
MAX_TURN_SPREAD_DEG = 6.0
#: Orientations scored at once (bounds the memory of the search: 3 x chunk x edges floats).
CANDIDATE_CHUNK = 256
#: Width (degrees) of the soft window in which an edge counts as pointing at a vanishing point.
LINE_SIGMA_DEG = 1.0
#: Where the roll did not come from the scene's verticals, the orientation found must rest on verticals adding
#: up to this fraction of the diagonal (per frame): floor boards and level lines alone trade the roll against
#: the tilt and the turn, and on rendered rooms gave orientations 5-25 deg off with a sharp-looking peak.
MIN_VERTICAL_SUPPORT_FRACTION = 0.05
#: A phone filming the lunge side-on at shin to hip height looks within about this of level; a steeper tilt
#: read off the scene's lines (on rendered rooms: slanted grass, boards alone) was a misreading.
MAX_SCENE_TILT_DEG = 15.0


@dataclass(frozen=True)
class _Edges:
    """Segments as midpoints, unit directions and lengths (pixels)."""

    mid: FloatArray  # (n, 2)
    direction: FloatArray  # (n, 2)
    length: FloatArray  # (n,)

    @classmethod
    def of(cls, segments_px: FloatArray) -> _Edges:
        seg = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
        delta = seg[:, 2:] - seg[:, :2]
        length = np.linalg.norm(delta, axis=1)
        return cls((seg[:, :2] + seg[:, 2:]) / 2, delta / np.maximum(length, 1e-9)[:, None], length)

    def longest(self, n: int) -> _Edges:
        keep = np.argsort(-self.length)[:n]
        return _Edges(self.mid[keep], self.direction[keep], self.length[keep])

    def longer_than(self, length_px: float) -> _Edges:
        keep = self.length >= length_px
        return _Edges(self.mid[keep], self.direction[keep], self.length[keep])

    def votes(self, vanishing_points: FloatArray, sigma_deg: float = LINE_SIGMA_DEG) -> FloatArray:
        """(c, n) how well each edge points at each of c homogeneous vanishing points (1 = exactly, within
        about ``sigma_deg``)."""
        vp = np.asarray(vanishing_points, dtype=np.float64).reshape(-1, 3)
        to_vp = vp[:, None, :2] - self.mid[None] * vp[:, None, 2:3]
        cross = self.direction[None, :, 0] * to_vp[..., 1] - self.direction[None, :, 1] * to_vp[..., 0]
        dot = np.abs(np.sum(self.direction[None] * to_vp, axis=2))
        residual_deg = np.degrees(np.arctan2(np.abs(cross), dot))
        vote: FloatArray = np.exp(-0.5 * (residual_deg / sigma_deg) ** 2)
        return vote


def _oriented(roll_deg: FloatArray, tilt_deg: FloatArray, turn_deg: FloatArray) -> FloatArray:
    """(c, 3, 3) rows up, across, forward (image-right end of the walking axis) for c orientations: the
    vectorised :meth:`CameraPose.from_up` then :meth:`CameraPose.with_axis_turn`."""
    r, t, y = (np.radians(np.asarray(a, dtype=np.float64)) for a in (roll_deg, tilt_deg, turn_deg))
    up = np.stack([-np.sin(r) * np.cos(t), -np.cos(r) * np.cos(t), -np.sin(t)], axis=-1)
    level_axis = np.array([0.0, 0.0, 1.0]) - up[:, 2:3] * up
    level_axis /= np.linalg.norm(level_axis, axis=1, keepdims=True)
    right = np.cross(level_axis, up)
    across = np.cos(y)[:, None] * level_axis - np.sin(y)[:, None] * right
    forward = np.cos(y)[:, None] * right + np.sin(y)[:, None] * level_axis
    return np.stack([up, across, forward], axis=1)


def _grid(roll: FloatArray, tilt: FloatArray, turn: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Every combination of the given rolls, tilts and turns, as three flat arrays."""
    r, t, y = np.meshgrid(roll, tilt, turn, indexing="ij")
    return r.ravel(), t.ravel(), y.ravel()


def scene_camera(scene: SceneEdges, roll: RollEstimate) -> CameraPose:
    """The camera's orientation from the scene's straight edges (a Manhattan room: verticals, lines square
    to the wall the person faces, lines along the walking axis).

    Each orientation (roll, tilt, turn) is scored by the summed length of the edges that point at one of its
    three vanishing points: first on a 2 degree grid (within the roll the edges' directions gave, or any roll
    up to :data:`MAX_ROLL_DEG` when they gave none), then refined to 0.25 degrees. Tilt and turn are trusted
    only when the orientations within :data:`AMBIGUITY_WINDOW_DEG` of the peak that score within
    :data:`NEAR_BEST_SCORE` of it agree on them to within :data:`MAX_TILT_SPREAD_DEG` and
    :data:`MAX_TURN_SPREAD_DEG` (floor boards alone, for one, trade tilt against turn), and the edges behind
    them add up to :data:`MIN_YAW_SUPPORT_FRACTION` of the diagonal, with verticals among them
    (:data:`MIN_VERTICAL_SUPPORT_FRACTION`) unless the roll came from verticals, and the tilt is within
    :data:`MAX_SCENE_TILT_DEG` of level; otherwise the camera is :meth:`CameraPose.from_roll`'s.
    """
    image_size, n_frames = scene.image_size, scene.n_frames
    start = CameraPose.from_roll(roll, image_size)
    edges = _Edges.of(scene.segments_px).longest(MAX_EDGES)
    diagonal_px = float(np.hypot(*image_size))
    edges = edges.longer_than(MIN_DEPTH_SEGMENT_FRACTION * diagonal_px)
    if n_frames == 0 or len(edges.length) < MIN_YAW_SEGMENTS * n_frames:
        return start
    k = start.intrinsics
    # 1. The basin: a 2 degree grid, edges counted within about 2 degrees.
    span = np.arange(-MAX_TILT_YAW_DEG, MAX_TILT_YAW_DEG + 0.5, COARSE_STEP_DEG)
    if roll.reliable:
        rolls = roll.roll_deg + np.arange(-ROLL_SEARCH_DEG, ROLL_SEARCH_DEG + 0.5, COARSE_STEP_DEG)
    else:  # the edges' directions did not settle the roll: search all a hand-held phone may have
        rolls = np.arange(-MAX_ROLL_DEG, MAX_ROLL_DEG + 0.5, COARSE_STEP_DEG)
    coarse = _grid(rolls, span, span)
    i = int(np.argmax(_scores(edges, k, *coarse, sigma_deg=COARSE_STEP_DEG)))
    # 2. The peak, to 0.25 degrees, edges counted within about 1 degree.
    fine = np.arange(-COARSE_STEP_DEG, COARSE_STEP_DEG + 0.01, 0.25)
    r, t, y = _grid(coarse[0][i] + fine, coarse[1][i] + fine, coarse[2][i] + fine)
    j = int(np.argmax(_scores(edges, k, r, t, y)))
    best = (float(r[j]), float(t[j]), float(y[j]))
    # 3. How sharp the peak is: the tilts and turns around it that score nearly as well.
    around = np.arange(-AMBIGUITY_WINDOW_DEG, AMBIGUITY_WINDOW_DEG + 0.5, 1.0)
    _, t_near, y_near = local = _grid(np.array([best[0]]), best[1] + around, best[2] + around)
    score = _scores(edges, k, *local)
    near = score >= NEAR_BEST_SCORE * score.max()
    tilt_spread, turn_spread = float(np.ptp(t_near[near])), float(np.ptp(y_near[near]))
    axes = _oriented(*(np.array([value]) for value in best))[0]
    votes = edges.votes(axes @ k.T)
    support = float(edges.length[votes.max(axis=0) > 0.5].sum() / diagonal_px) / n_frames
    vertical_support = float(edges.length[votes[0] > 0.5].sum() / diagonal_px) / n_frames
    from_verticals = roll.reliable and roll.source.startswith("vertical")
    tilt_known = (
        tilt_spread <= MAX_TILT_SPREAD_DEG
        and support >= MIN_YAW_SUPPORT_FRACTION
        and (from_verticals or vertical_support >= MIN_VERTICAL_SUPPORT_FRACTION)
        and abs(best[1]) <= MAX_SCENE_TILT_DEG
    )
    turn_known = tilt_known and turn_spread <= MAX_TURN_SPREAD_DEG
    logger.debug(
        "scene camera: support %.2f (verticals %.2f), tilt spread %.0f, turn spread %.0f, best %s",
        support,
        vertical_support,
        tilt_spread,
        turn_spread,
        best,
    )
    if not tilt_known:
        return start
    camera = CameraPose.from_up(axes[0], image_size, start.focal_px, "scene edges")
    return camera.with_axis_turn(best[2], "room lines") if turn_known else camera


def _scores(
    edges: _Edges,
    intrinsics: FloatArray,
    roll_deg: FloatArray,
    tilt_deg: FloatArray,
    turn_deg: FloatArray,
    sigma_deg: float = LINE_SIGMA_DEG,
) -> FloatArray:
    """Edge length pointing at each candidate orientation's vanishing points (each edge counted once, for
    the vanishing point it points at best)."""
    axes = _oriented(roll_deg, tilt_deg, turn_deg)  # (c, 3, 3)
    score = np.empty(len(roll_deg))
    for lo in range(0, len(roll_deg), CANDIDATE_CHUNK):
        chunk = axes[lo : lo + CANDIDATE_CHUNK]
        votes = np.max(
            [edges.votes(chunk[:, family, :] @ intrinsics.T, sigma_deg) for family in range(3)], axis=0
        )
        score[lo : lo + CANDIDATE_CHUNK] = votes @ edges.length
    return score
