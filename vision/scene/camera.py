"""The camera's orientation against the floor and the test's walking axis (:class:`CameraPose`).

Tilt and yaw need vanishing points: where the room's verticals, its lines square to the wall the person faces
(the floor/wall junction, floor boards) and its lines along the walking axis meet
(:func:`vision.scene.camera_search.scene_camera`), or the pose of a marker or sheet laid square to the foot
(:func:`camera_from_projection`). Without them the roll from the scene's edges
(:mod:`vision.scene.roll`) gives the floor normal (:meth:`CameraPose.from_roll`). A camera turned 10-15
degrees from side-on changes the shin's image angle by up to 4 degrees; with its orientation known the shin
is measured in its own sagittal plane (:func:`vision.geometry.sagittal_angle_deg`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from vision.scene.roll import RollEstimate

if TYPE_CHECKING:
    from vision.pose.landmarks import Side

FloatArray = npt.NDArray[np.float64]

#: Typical phone and webcam lenses: focal length as a fraction of the image's long side (about 64 degrees
#: across the long side). Main phone cameras span about 0.65-0.95, so the estimated tilt and yaw carry a
#: few percent of error from it (shared with :mod:`vision.scene.calibration`'s prior).
FOCAL_FRACTION = 0.8


@dataclass(frozen=True)
class CameraPose:
    """A pinhole camera's orientation against the floor and the person's walking axis.

    Directions are unit vectors in camera coordinates (x right, y down, z along the optical axis).

    Attributes:
        focal_px: focal length in pixels (known from a floor marker, else :data:`FOCAL_FRACTION` of the
            long side).
        centre_px: (2,) principal point (the image centre).
        up: (3,) the floor normal, pointing up.
        across: (3,) horizontal and perpendicular to the walking axis, pointing away from the camera: the
            normal of the tested leg's sagittal plane.
        source: where the orientation comes from, e.g. "vertical vanishing point + floor lines".
        yaw_known: whether the walking axis was measured (False: assumed square to the camera).
        tilt_known: whether the tilt was measured (False: assumed level).
    """

    focal_px: float
    centre_px: FloatArray
    up: FloatArray
    across: FloatArray
    source: str
    yaw_known: bool = False
    tilt_known: bool = False

    def __post_init__(self) -> None:
        for name in ("up", "across"):
            vector = getattr(self, name)
            if vector.shape != (3,) or not np.isclose(np.linalg.norm(vector), 1.0, atol=1e-6):
                raise ValueError(f"CameraPose.{name} must be a unit 3-vector")
        if abs(float(self.up @ self.across)) > 1e-6:
            raise ValueError("CameraPose.across must be horizontal (perpendicular to up)")
        if self.centre_px.shape != (2,) or not self.focal_px > 0:
            raise ValueError("CameraPose needs a positive focal length and a (2,) principal point")

    @classmethod
    def level(cls, image_size: tuple[int, int], focal_px: float | None = None) -> CameraPose:
        """An upright camera square to the walking axis: angles against the image vertical."""
        return cls.from_up(np.array([0.0, -1.0, 0.0]), image_size, focal_px, "none", tilt_known=False)

    @classmethod
    def from_up(
        cls,
        up: FloatArray,
        image_size: tuple[int, int],
        focal_px: float | None,
        source: str,
        tilt_known: bool = True,
    ) -> CameraPose:
        """A camera with a known floor normal, assumed square to the walking axis (no yaw)."""
        up = _unit3(up)
        across = _level_axis(up)
        focal = focal_px if focal_px is not None else FOCAL_FRACTION * max(image_size)
        centre = np.array([image_size[0] / 2.0, image_size[1] / 2.0])
        return cls(float(focal), centre, up, across, source, tilt_known=tilt_known)

    @classmethod
    def from_roll(
        cls, roll: RollEstimate, image_size: tuple[int, int], focal_px: float | None = None
    ) -> CameraPose:
        """Floor normal from the verticals: their vanishing point gives roll and tilt, else roll only."""
        if not roll.reliable:
            return cls.level(image_size, focal_px)
        focal = focal_px if focal_px is not None else FOCAL_FRACTION * max(image_size)
        centre = np.array([image_size[0] / 2.0, image_size[1] / 2.0])
        vp = roll.vanishing_point
        tilt_known = vp is not None and roll.source == "vertical vanishing point"
        if vp is not None and tilt_known:
            direction = np.array([vp[0] - centre[0] * vp[2], vp[1] - centre[1] * vp[2], focal * vp[2]])
        else:
            a = np.radians(roll.roll_deg)
            direction = np.array([-np.sin(a), -np.cos(a), 0.0])
        up = _unit3(direction)
        return cls.from_up(up if up[1] < 0 else -up, image_size, focal, roll.source, tilt_known)

    @property
    def intrinsics(self) -> FloatArray:
        return np.array(
            [
                [self.focal_px, 0.0, self.centre_px[0]],
                [0.0, self.focal_px, self.centre_px[1]],
                [0.0, 0.0, 1.0],
            ]
        )

    @property
    def roll_deg(self) -> float:
        """Roll at the image centre, as :attr:`RollEstimate.roll_deg` (+ = scene turned counter-clockwise)."""
        return float(np.degrees(np.arctan2(-self.up[0], -self.up[1])))

    @property
    def tilt_deg(self) -> float:
        """Pitch of the optical axis below the horizon (+ = looking down)."""
        return float(np.degrees(np.arcsin(np.clip(-self.up[2], -1.0, 1.0))))

    @property
    def axis_turn_deg(self) -> float:
        """How far the walking axis turns out of the image plane: + when its image-right end is further."""
        level_axis = _level_axis(self.up)
        return float(np.degrees(np.arcsin(np.clip(self.forward(1) @ level_axis, -1.0, 1.0))))

    def yaw_deg(self, facing: int) -> float:
        """Turn away from side-on: + when the toes point away from the camera (it sees the person's back)."""
        return float(facing) * self.axis_turn_deg

    def forward(self, facing: int) -> FloatArray:
        """The walking axis (horizontal, in the sagittal plane), pointing the way the person faces."""
        image_right: FloatArray = np.cross(self.across, self.up)
        return float(facing) * image_right

    def shin_plane_normal(self, facing: int, side: Side, lean_deg: float) -> FloatArray:
        """Normal of the plane the tested shin rocks in: the sagittal plane (normal :attr:`across`) tipped
        about the walking axis so that the knee sits ``lean_deg`` toward the leg's outside of the ankle
        (negative: toward its inside, as in a lunge). Seen from the side the lean is invisible, but a camera
        tilted or turned from side-on reads it into the shin's angle, with opposite signs from the leg's
        outside and inside (about 1 deg at 10 deg of yaw)."""
        person_right: FloatArray = np.cross(self.forward(facing), self.up)
        outside = person_right if side == "right" else -person_right
        return _unit3(outside - np.tan(np.radians(lean_deg)) * self.up)

    def with_axis_turn(self, turn_deg: float, source: str) -> CameraPose:
        """The same floor normal with the walking axis turned by ``turn_deg`` (see :attr:`axis_turn_deg`),
        now measured (from ``source``)."""
        turned = self._turned(self.up, turn_deg)
        return dataclasses.replace(turned, source=f"{self.source} + {source}", yaw_known=True)

    def tilted(self, by_deg: float) -> CameraPose:
        """The same camera looking ``by_deg`` further down (same roll and axis turn)."""
        a = np.radians(by_deg)
        up = np.cos(a) * self.up - np.sin(a) * _level_axis(self.up)  # the optical axis dips below the horizon
        return self._turned(_unit3(up), self.axis_turn_deg)

    def _turned(self, up: FloatArray, turn_deg: float) -> CameraPose:
        level_axis = _level_axis(up)
        right = np.cross(level_axis, up)
        a = np.radians(turn_deg)
        return dataclasses.replace(self, up=up, across=_unit3(np.cos(a) * level_axis - np.sin(a) * right))

    def doubts(self, sigma_deg: float) -> list[tuple[CameraPose, CameraPose]]:
        """Pairs of cameras with an unmeasured tilt or yaw set to -/+ ``sigma_deg`` (none when both are
        measured): how far a result moves between them is its uncertainty from the camera's orientation."""
        pairs = []
        if not self.tilt_known:
            pairs.append((self.tilted(-sigma_deg), self.tilted(sigma_deg)))
        if not self.yaw_known:
            turn = self.axis_turn_deg
            pairs.append((self._turned(self.up, turn - sigma_deg), self._turned(self.up, turn + sigma_deg)))
        return pairs

    def up_at(self, point_px: FloatArray) -> FloatArray:
        """Unit image direction (x right, y down) in which the floor normal points at ``point_px``."""
        ray = self.rays(np.asarray(point_px, dtype=np.float64).reshape(2))
        direction = self.up[:2] - ray[:2] * self.up[2]  # derivative of the projection along ``up``
        unit: FloatArray = direction / np.linalg.norm(direction)
        return unit

    def rays(self, points_px: FloatArray) -> FloatArray:
        """(..., 3) viewing directions (z = 1) through image points (..., 2)."""
        points = np.asarray(points_px, dtype=np.float64)
        xy = (points - self.centre_px) / self.focal_px
        return np.concatenate([xy, np.ones((*xy.shape[:-1], 1))], axis=-1)


def _level_axis(up: FloatArray) -> FloatArray:
    """The optical axis made horizontal (perpendicular to ``up``): the sagittal normal of a side-on view."""
    return _unit3(np.array([0.0, 0.0, 1.0]) - up[2] * up)


def _unit3(vector: FloatArray) -> FloatArray:
    norm = float(np.linalg.norm(vector))
    if not norm > 0:
        raise ValueError("zero vector has no direction")
    unit: FloatArray = np.asarray(vector, dtype=np.float64) / norm
    return unit


#: A floor reference more than this far from square to the walking axis is not trusted for the yaw.
MAX_REFERENCE_TURN_DEG = 25.0


def camera_from_projection(projection: FloatArray, image_size: tuple[int, int], source: str) -> CameraPose:
    """The camera of a floor reference's fitted projection (reference frame in cm, z up, to image px).

    The reference (marker or sheet) is laid square to the foot, so whichever of its two edge directions lies
    closer to the image horizontal is taken as the walking axis; one turned more than
    :data:`MAX_REFERENCE_TURN_DEG` from square to the camera gives the floor normal only.
    """
    centre = np.array([image_size[0] / 2.0, image_size[1] / 2.0])
    m = np.asarray(projection, dtype=np.float64)[:, :3]
    m = (
        m / np.linalg.norm(m[2]) * np.sign(np.linalg.det(m))
    )  # K R with K = [[f, 0, cx], [0, f, cy], [0, 0, 1]]
    focal = float(np.linalg.norm(m[0] - centre[0] * m[2]))
    rotation = np.linalg.inv(np.array([[focal, 0, centre[0]], [0, focal, centre[1]], [0, 0, 1.0]])) @ m
    up = _unit3(rotation[:, 2])
    camera = CameraPose.from_up(up, image_size, focal, source)
    square_right = np.cross(camera.across, camera.up)
    edges = [_unit3(rotation[:, 0]), _unit3(rotation[:, 1])]
    walking = max(edges, key=lambda edge: abs(float(edge @ square_right)))
    walking = walking if walking @ square_right > 0 else -walking
    turn = float(np.degrees(np.arctan2(walking @ camera.across, walking @ square_right)))
    if abs(turn) > MAX_REFERENCE_TURN_DEG:
        return camera
    return camera.with_axis_turn(turn, "its edges")
