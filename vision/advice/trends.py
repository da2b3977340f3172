"""What a person's saved tests say over time: each test's change from the first and the previous one, and
whether it exceeds the minimal detectable change (MDC, :mod:`vision.advice.norms`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from vision.advice.norms import MDC_CM, MDC_DEG, Side
from vision.storage import ANGLE_KINDS, FRONT_OF_SHIN, MeasurementRecord


@dataclass(frozen=True)
class Change:
    """A change between two measurements, and whether it exceeds the minimal detectable change."""

    delta_deg: float
    delta_cm: float | None
    detectable_deg: bool
    detectable_cm: bool

    @property
    def detectable(self) -> bool:
        """True when the angle or the distance changed by more than its MDC."""
        return self.detectable_deg or self.detectable_cm


@dataclass(frozen=True)
class TrendPoint:
    record_id: int | None
    measured_at: datetime
    shin_angle_deg: float
    knee_over_toe_cm: float | None
    from_baseline: Change
    from_previous: Change


@dataclass(frozen=True)
class Trend:
    """One person's measurements of one side over time (oldest first; the first is the baseline).

    Every point holds the same kind of angle (``angle_kind``); ``other_kind_count`` counts that side's records
    of the other kind, which were left out because the two angles cannot be compared.
    """

    person: str | None
    side: Side
    mdc_deg: float
    mdc_cm: float
    points: tuple[TrendPoint, ...]
    angle_kind: str = FRONT_OF_SHIN
    other_kind_count: int = 0


def trend(
    records: Iterable[MeasurementRecord],
    side: Side,
    mdc_deg: float = MDC_DEG,
    mdc_cm: float = MDC_CM,
    angle_kind: str = FRONT_OF_SHIN,
) -> Trend:
    """Each record of ``side`` holding ``angle_kind``, with its change from the first and the previous one.

    Records of the other angle kind are never compared with these: they are left out and counted in
    ``Trend.other_kind_count``. Raises ValueError if the records of that side belong to more than one person,
    or for an unknown ``angle_kind``.
    """
    if angle_kind not in ANGLE_KINDS:
        raise ValueError(f"angle_kind must be one of {ANGLE_KINDS}, got {angle_kind!r}")
    of_side = sorted((r for r in records if r.side == side), key=lambda r: (r.measured_at, r.id or 0))
    people = {r.person for r in of_side}
    if len(people) > 1:
        raise ValueError(f"trend() needs one person's records, got {len(people)} people")
    chosen = [r for r in of_side if r.angle_kind == angle_kind]
    previous_records = chosen[:1] + chosen[:-1]  # the baseline is its own previous measurement
    points = tuple(
        TrendPoint(
            record_id=record.id,
            measured_at=record.measured_at,
            shin_angle_deg=record.shin_angle_deg,
            knee_over_toe_cm=record.knee_over_toe_cm,
            from_baseline=_change(chosen[0], record, mdc_deg, mdc_cm),
            from_previous=_change(previous, record, mdc_deg, mdc_cm),
        )
        for previous, record in zip(previous_records, chosen, strict=True)
    )
    other = len(of_side) - len(chosen)
    return Trend(next(iter(people), None), side, mdc_deg, mdc_cm, points, angle_kind, other)


def _change(before: MeasurementRecord, after: MeasurementRecord, mdc_deg: float, mdc_cm: float) -> Change:
    if before.angle_kind != after.angle_kind:
        raise ValueError("a change between a front-of-shin angle and a knee-ankle axis angle is meaningless")
    delta_deg = after.shin_angle_deg - before.shin_angle_deg
    delta_cm = None
    if before.knee_over_toe_cm is not None and after.knee_over_toe_cm is not None:
        delta_cm = after.knee_over_toe_cm - before.knee_over_toe_cm
    return Change(
        delta_deg=delta_deg,
        delta_cm=delta_cm,
        detectable_deg=abs(delta_deg) > mdc_deg,
        detectable_cm=delta_cm is not None and abs(delta_cm) > mdc_cm,
    )
