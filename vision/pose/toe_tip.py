"""The toe tip from the image's colours, checked against the body's proportions.

MediaPipe's person mask is reliable at the heel and ankle but not at the toes: a bare foot on a floor of
much the same colour, or a dark shoe on a dark floor, drops out of it, and a sheet or marker under the toes
leaks into it. Either moves the toe tip by several centimetres, and the knee-over-toe and toe-to-wall figures
with it. Here GrabCut (colour models of the foot and of the floor around it, and the image's edges) redraws
the foot in a few whole frames, starting from the mask: the heel and ankle, where the mask holds, are the
foot for certain, the rest of the mask probably. Its toe tip is the drawn foot's furthest point forward.
When the mask's own toe tip stands, a frame whose toe crept back or ran ahead of its usual place is given
the usual place from the foot's landmarks: a planted foot's toes do not move.

Two readings of the toe (the mask's and the colours') are then weighed by what a foot can be: heel to toe,
a foot is 0.57-0.75 of the knee-ankle length on every body measured (:class:`ToeModel`). A reading outside
that band is not used; when both are outside it, the toe tip is not known well and its doubt says so. When
both give a foot far too short for any body (the toes lost against the floor), the toe tip is placed where the
usual foot for the shin ends, with that placement's own doubt.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from vision import geometry
from vision.pose.landmarks import MASK_THRESHOLD, N_LANDMARKS, LegLandmarks, SampledFrame, Side
from vision.pose.legs import LegPoints

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int_]
MODEL_PATH = Path(__file__).with_name("toe_model.json")
#: The region GrabCut looks at, around the heel and foot-index landmarks, in foot lengths.
ROI_AHEAD = 0.6
ROI_ABOVE_ANKLE = 0.3
ROI_BELOW_SOLE = 0.35
#: Pixels within this many foot lengths of the ankle landmark (and inside the mask) are the foot for certain.
SURE_FOOT_RADIUS = 0.3
GRABCUT_ITERATIONS = 4
#: A marker or sheet on the floor is floor for certain, grown by this many px of the mask (its blurred edge,
#: and the toes' shadow on it); it is looked at when the toe tip is within this many foot lengths of it.
REFERENCE_MARGIN_PX = 1
REFERENCE_NEAR_FOOT = 0.2
#: A frame's mask toe tip stands when it gives the foot within this share of its usual length.
MASK_FOOT_TOLERANCE = 0.1
MASK_SOURCE = "mask"
LANDMARK_SOURCE = "foot-index landmark"
SHIN_SOURCE = "the usual foot for the shin (the toes not seen)"


@dataclass(frozen=True)
class ToeModel:
    """Fitted constants; see ``toe_model.json`` for their provenance.

    Attributes:
        foot_shin_ratio_low, foot_shin_ratio_high: heel-to-toe over knee-ankle length (both in the image)
            that a toe reading must give to be used.
        toe_sigma_foot: 1-sigma error of a toe tip that passed, in foot lengths, when the two readings agree.
        single_sigma_foot: the same when only one reading passed.
        failed_sigma_foot: the same when neither passed (the figure is then called doubtful).
        landmark_sigma_foot: the same for MediaPipe's foot-index landmark (no mask at all).
        knee_sigma_foot: 1-sigma error of the front of the knee, in foot lengths.
        usual_foot_shin_ratio: heel (the mask's back of the heel) to the true toe tip over knee-ankle
            length, in the median body: where the toe tip is placed when both readings give a foot shorter
            than ``lost_toe_ratio`` (the toes lost against the floor).
        usual_sigma_foot: 1-sigma error of that placement, in foot lengths.
        lost_toe_ratio: 0.9 of the shortest such ratio on any body the model was fitted on.
    """

    foot_shin_ratio_low: float
    foot_shin_ratio_high: float
    toe_sigma_foot: float
    single_sigma_foot: float
    failed_sigma_foot: float
    landmark_sigma_foot: float
    knee_sigma_foot: float
    usual_foot_shin_ratio: float
    usual_sigma_foot: float
    lost_toe_ratio: float

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ToeModel:
        with path.open() as handle:
            return cls(**json.load(handle)["parameters"])

    def plausible(self, ratio: float) -> bool:
        return bool(self.foot_shin_ratio_low <= ratio <= self.foot_shin_ratio_high)


MODEL = ToeModel.load()


@dataclass(frozen=True)
class ToeTip:
    """Where the toe tip is, and how well it is known.

    ``from_foot_px`` (2,): the toe tip's place from the midpoint of the foot's heel and foot-index landmarks
    when it comes from the image's colours: a planted foot is rigid, and its landmarks follow a hand-held
    camera without the flicker of the mask's toes (the ankle's is left out: it moves with the shin); None
    when the mask's own toe-tip track stands. ``source`` names the reading used; ``sigma_foot`` is the toe
    tip's 1-sigma error in foot lengths; ``plausible`` is False when no reading gave a foot of a possible
    length; ``foot_shin_ratio`` is the ratio the used reading gives (NaN when unknown).
    """

    from_foot_px: FloatArray | None
    source: str
    sigma_foot: float
    plausible: bool
    foot_shin_ratio: float

    def __post_init__(self) -> None:
        if self.from_foot_px is not None and self.from_foot_px.shape != (2,):
            raise ValueError(f"ToeTip.from_foot_px must be (2,), got {self.from_foot_px.shape}")

    def track(self, leg: LegPoints) -> FloatArray:
        """The toe-tip track (n, 2) of ``leg``, whose ``toe_tip`` is the mask's.

        From the image's colours, the toe tip keeps its place from the foot's landmarks. From the mask, each
        frame's toe tip stands where it gives the foot its usual length (see :func:`mask_toe_track`).
        Without a mask, ``leg.toe_tip`` stands as it is.
        """
        centre = foot_centre_px(np.stack([leg.heel, leg.toe], axis=1))
        if self.from_foot_px is not None:
            return centre + self.from_foot_px
        return mask_toe_track(leg, centre) if self.source == MASK_SOURCE else leg.toe_tip


def mask_toe_track(leg: LegPoints, centre_px: FloatArray) -> FloatArray:
    """The mask's toe-tip track (n, 2), where each frame's toe tip gives the foot its usual length (heel to
    toe across the image, within :data:`MASK_FOOT_TOLERANCE` of the clip's median); elsewhere, and where the
    mask gave no toe, the toe tip at its usual place from the foot landmarks' centre ``centre_px`` (n, 2)
    over those frames. Left as it is when no frame gives the usual length.

    A dark shoe on a dark floor drops out of the mask as the shin leans over it (a rendered clip's toe tip
    crept 20 px back at the deepest point while the foot stood still); a planted foot's toes do not move.
    """
    length = np.abs(leg.toe_tip[:, 0] - leg.heel_back[:, 0])
    with np.errstate(invalid="ignore"):
        usual = np.abs(length / geometry.median_finite(length) - 1.0) <= MASK_FOOT_TOLERANCE
    offsets = (leg.toe_tip - centre_px)[usual]
    offsets = offsets[np.all(np.isfinite(offsets), axis=1)]
    if not len(offsets):
        return leg.toe_tip
    track: FloatArray = np.where(usual[:, None], leg.toe_tip, centre_px + np.median(offsets, axis=0))
    return track


def foot_centre_px(points_px: FloatArray) -> FloatArray:
    """The mean of a foot's heel and foot-index points (..., 2, 2)."""
    centre: FloatArray = np.mean(points_px, axis=-2)
    return centre


def toe_point_px(toe_tip_px: FloatArray) -> FloatArray:
    """The toe tip's usual place (2,) over a track (n, 2): the median of each coordinate's finite values."""
    columns = [toe_tip_px[:, axis][np.isfinite(toe_tip_px[:, axis])] for axis in (0, 1)]
    return np.array([float(np.median(c)) if len(c) else math.nan for c in columns])


def grabcut_toe_px(
    sample: SampledFrame, side: Side, facing: int, reference_px: FloatArray | None = None
) -> FloatArray:
    """The toe tip of ``side``'s foot in one frame, from GrabCut seeded by the person mask (frame pixels);
    NaN when the foot's landmarks, the mask or the cut do not give one. ``reference_px``: the (4, 2) outline
    of a marker or sheet on the floor (frame px), which is not the foot even where the mask runs onto it."""
    nan = np.full(2, np.nan)
    if sample.mask is None:
        return nan
    leg = LegLandmarks.of(side)
    height, width = sample.mask.shape
    to_mask = np.array([width / sample.image.shape[1], height / sample.image.shape[0]])
    heel, toe, ankle = (sample.pose.xy_px[i] * to_mask for i in (leg.heel, leg.toe, leg.ankle))
    foot = float(np.linalg.norm(toe - heel))
    if not (np.all(np.isfinite([*heel, *toe, *ankle])) and foot >= 8):
        return nan
    x0 = max(int(min(heel[0], toe[0]) - ROI_AHEAD * foot), 0)
    x1 = min(int(max(heel[0], toe[0]) + ROI_AHEAD * foot), width)
    y0 = max(int(ankle[1] - ROI_ABOVE_ANKLE * foot), 0)
    y1 = min(int(max(heel[1], toe[1]) + ROI_BELOW_SOLE * foot), height)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return nan
    image = cv2.resize(sample.image, (width, height), interpolation=cv2.INTER_AREA)
    roi = np.ascontiguousarray(image[y0:y1, x0:x1])
    person = sample.mask[y0:y1, x0:x1] > MASK_THRESHOLD
    ys, xs = np.mgrid[y0:y1, x0:x1]
    near_ankle = (xs - ankle[0]) ** 2 + (ys - ankle[1]) ** 2 < (SURE_FOOT_RADIUS * foot) ** 2
    sure = cv2.erode(person.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & near_ankle
    if not sure.any():
        return nan
    labels = np.full(person.shape, cv2.GC_PR_BGD, np.uint8)
    labels[person] = cv2.GC_PR_FGD
    labels[sure] = cv2.GC_FGD
    if reference_px is not None:
        labels[_inside_reference(reference_px * to_mask, xs, ys) & ~sure] = cv2.GC_BGD
    background, foreground = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)  # GrabCut seeds its colour models by k-means: the same frame, the same toe
    cv2.grabCut(roi, labels, (0, 0, 0, 0), background, foreground, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    drawn = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    _, parts = cv2.connectedComponents(drawn.astype(np.uint8))
    ankle_part = parts[sure].max()
    foot_px = (parts == ankle_part) & (ys > ankle[1])
    if ankle_part == 0 or not foot_px.any():
        return nan
    points = np.stack([xs[foot_px], ys[foot_px]], axis=1).astype(np.float64)
    tip: FloatArray = points[int(np.argmax(points[:, 0] * facing))] / to_mask
    return tip


def _inside_reference(
    reference_px: FloatArray, xs: npt.NDArray[np.int_], ys: npt.NDArray[np.int_]
) -> BoolArray:
    """Which of the pixels (xs, ys) lie inside the reference's outline grown by REFERENCE_MARGIN_PX."""
    x0, y0 = int(xs.min()), int(ys.min())
    inside = np.zeros(xs.shape, np.uint8)
    corners = np.round((reference_px - [x0 + 0.5, y0 + 0.5]) * 16).astype(np.int32)
    cv2.fillConvexPoly(inside, corners, (1,), lineType=cv2.LINE_8, shift=4)
    grow = 2 * REFERENCE_MARGIN_PX + 1
    return np.asarray(cv2.dilate(inside, np.ones((grow, grow), np.uint8)) > 0)


def _on_reference(toe_px: FloatArray, reference_px: FloatArray) -> bool:
    if not np.all(np.isfinite(toe_px)):
        return False
    contour = reference_px.astype(np.float32).reshape(-1, 1, 2)
    point = (float(toe_px[0]), float(toe_px[1]))
    return bool(cv2.pointPolygonTest(contour, point, True) > -REFERENCE_MARGIN_PX)


def _far_edge_y(outline_px: FloatArray, x_px: float) -> float:
    """The image row of the outline's upper (far) boundary at column ``x_px``: its top where the column
    misses it."""
    ys = []
    for a, b in zip(outline_px, np.roll(outline_px, -1, axis=0), strict=True):
        if min(a[0], b[0]) <= x_px <= max(a[0], b[0]) and a[0] != b[0]:
            ys.append(a[1] + (b[1] - a[1]) * (x_px - a[0]) / (b[0] - a[0]))
    return float(min(ys)) if ys else float(outline_px[:, 1].min())


def near_reference(
    toe_tip_px: FloatArray, heel_px: FloatArray, reference_px: FloatArray, foot_px: float
) -> bool:
    """Whether a toe tip (2,) lies within REFERENCE_NEAR_FOOT foot lengths of a marker's or sheet's outline
    (4, 2) that lies nearer the camera than the foot (the heel above its far edge in the image), where the
    mask may have run onto it. A reference beyond the foot is partly hidden by it: its outline is not taken
    from the toes. Frame px."""
    if not (np.all(np.isfinite(toe_tip_px)) and np.all(np.isfinite(heel_px)) and math.isfinite(foot_px)):
        return False
    if heel_px[1] >= _far_edge_y(reference_px, float(heel_px[0])):
        return False
    contour = reference_px.astype(np.float32).reshape(-1, 1, 2)
    distance = cv2.pointPolygonTest(contour, (float(toe_tip_px[0]), float(toe_tip_px[1])), True)
    return bool(distance > -REFERENCE_NEAR_FOOT * foot_px)


def with_gap_doubt(toe: ToeTip, gap_foot: float) -> ToeTip:
    """``toe`` with half of ``gap_foot`` (how far, in foot lengths, the toe tip moved when read otherwise:
    without a marker or sheet that the mask ran onto) added to its doubt: when leaving the reference out moves
    the toe far, either reading may be the wrong one."""
    if not (math.isfinite(gap_foot) and gap_foot > 0):
        return toe
    return dataclasses.replace(toe, sigma_foot=float(np.hypot(toe.sigma_foot, gap_foot / 2)))


def refine_toe_tip(
    samples: list[SampledFrame],
    side: Side,
    facing: int,
    silhouette: bool,
    model: ToeModel = MODEL,
    reference_px: FloatArray | None = None,
) -> ToeTip:
    """The toe tip from a few whole frames, and its doubt.

    ``silhouette`` False: the toe is MediaPipe's foot-index landmark (no mask), and only its doubt is given.
    ``reference_px``: the (4, 2) outline of a marker or sheet on the floor near the toes: the toe tip is not
    taken from it (the colours' reading leaves it out; a mask's reading on it is not used).
    """
    if not silhouette:
        return ToeTip(None, LANDMARK_SOURCE, model.landmark_sigma_foot, True, float("nan"))
    leg = LegLandmarks.of(side)
    mask_toe, colour_toe, heel, shin, centre, toe_y = [], [], [], [], [], []
    for sample in samples:
        xy = sample.pose.xy_px
        centre.append(foot_centre_px(xy[[leg.heel, leg.toe]]))
        toe_y.append(xy[leg.toe, 1])
        mask_toe.append(sample.pose.silhouette_px[leg.toe_tip - N_LANDMARKS])
        heel.append(sample.pose.silhouette_px[leg.heel_back - N_LANDMARKS])
        shin.append(float(np.linalg.norm(xy[leg.knee] - xy[leg.ankle])))
        colour_toe.append(grabcut_toe_px(sample, side, facing, reference_px))
    mask_arr, colour_arr, heel_arr = np.array(mask_toe), np.array(colour_toe), np.array(heel)
    shin_px = float(np.nanmedian(shin)) if np.isfinite(shin).any() else float("nan")

    def ratio(toes: FloatArray) -> float:
        lengths = np.abs(toes[:, 0] - heel_arr[:, 0])
        finite = lengths[np.isfinite(lengths)]
        return float(np.median(finite)) / shin_px if len(finite) and shin_px > 0 else float("nan")

    if reference_px is not None:  # a mask's toe on the marker or sheet is the mask running onto it
        on_reference = [_on_reference(toe, reference_px) for toe in mask_arr]
        mask_arr[np.array(on_reference, dtype=bool)] = np.nan
    mask_ratio, colour_ratio = ratio(mask_arr), ratio(colour_arr)
    from_centre = colour_arr - np.array(centre)
    found = np.all(np.isfinite(from_centre), axis=1) & np.isfinite(heel_arr[:, 0])
    from_foot = np.median(from_centre[found], axis=0) if found.any() else None
    mask_ok, colour_ok = model.plausible(mask_ratio), model.plausible(colour_ratio) and found.any()
    if colour_ok and mask_ok:
        gap_foot = abs(colour_ratio - mask_ratio) / colour_ratio
        sigma = float(np.hypot(model.toe_sigma_foot, gap_foot / 2))
        return ToeTip(from_foot, "image colours, checked by the mask", sigma, True, colour_ratio)
    if colour_ok:
        return ToeTip(from_foot, "image colours", model.single_sigma_foot, True, colour_ratio)
    if mask_ok:
        return ToeTip(None, MASK_SOURCE, model.single_sigma_foot, True, mask_ratio)
    readings = [r for r in (mask_ratio, colour_ratio) if math.isfinite(r)]
    if readings and max(readings) < model.lost_toe_ratio:
        # Both feet far too short for any body: the toes are lost against the floor. A foot's length
        # follows the shin's more closely than either lost reading follows the toes.
        usual = np.column_stack([heel_arr[:, 0] + facing * model.usual_foot_shin_ratio * shin_px, toe_y])
        from_centre = usual - np.array(centre)
        placed = np.all(np.isfinite(from_centre), axis=1)
        if placed.any():
            from_usual = np.median(from_centre[placed], axis=0)
            return ToeTip(from_usual, SHIN_SOURCE, model.usual_sigma_foot, False, max(readings))
    return ToeTip(None, MASK_SOURCE, model.failed_sigma_foot, False, mask_ratio)
