"""Sessions of the saved history: one person's tests of one calendar day (in the local time zone unless one
is given), the newest left-ankle and the newest right-ankle record of that day. Either side may be missing.
A report (:mod:`vision.output.report_pdf`) is made of one session."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from vision.advice.norms import Side
from vision.storage import HistoryStore, MeasurementRecord

SIDES: tuple[Side, Side] = ("left", "right")


@dataclass(frozen=True)
class Session:
    """One person's tests of one day: the newest left and the newest right record saved that day."""

    person: str
    day: date
    left: MeasurementRecord | None
    right: MeasurementRecord | None

    def record(self, side: Side) -> MeasurementRecord | None:
        return self.left if side == "left" else self.right

    @property
    def record_ids(self) -> tuple[int, ...]:
        return tuple(r.id for r in (self.left, self.right) if r is not None and r.id is not None)

    @property
    def label(self) -> str:
        """One line for a picker: ``2024-03-01 - Ana - left and right``."""
        sides = " and ".join(side for side in SIDES if self.record(side) is not None)
        return f"{self.day.isoformat()} - {self.person} - {sides}"


def _day(record: MeasurementRecord, tz: tzinfo | None) -> date:
    return record.measured_at.astimezone(tz).date()


def sessions(store: HistoryStore, person: str | None = None, tz: tzinfo | None = None) -> list[Session]:
    """Every session in the history (or one person's), newest first. Days are in ``tz`` (None: local time).

    The records carry no crops (they are read when a report is made).
    """
    newest: dict[tuple[str, date], dict[Side, MeasurementRecord]] = {}
    for record in store.list(person=person):  # oldest first: later records of the day replace earlier ones
        newest.setdefault((record.person, _day(record, tz)), {})[record.side] = record
    found = [
        Session(name, day, sides.get("left"), sides.get("right")) for (name, day), sides in newest.items()
    ]
    return sorted(found, key=_session_order, reverse=True)


def _session_order(session: Session) -> tuple[date, datetime, str]:
    latest = max(r.measured_at for r in (session.left, session.right) if r is not None)
    return session.day, latest, session.person


def find_session(store: HistoryStore, person: str, day: date, tz: tzinfo | None = None) -> Session:
    """The session of ``person`` on ``day`` with its records read in full (crops included).

    Raises KeyError when that person has no test saved on that day.
    """
    for session in sessions(store, person, tz):
        if session.person == person and session.day == day:
            left, right = (
                store.get(r.id) if r is not None and r.id is not None else r
                for r in (session.left, session.right)
            )
            return dataclasses.replace(session, left=left, right=right)
    raise KeyError(f"{person} has no test saved on {day.isoformat()}")


def session_of_records(store: HistoryStore, record_ids: Sequence[int], tz: tzinfo | None = None) -> Session:
    """A session made of chosen records (e.g. the two just saved, or an earlier retake), crops included.

    Its day is the newest record's (in ``tz``, None: local time). Raises KeyError for an unknown id,
    ValueError unless the records are one person's, at most one per side.
    """
    records = [store.get(record_id) for record_id in record_ids]
    if not records:
        raise ValueError("a session needs at least one record")
    if len({r.person for r in records}) != 1:
        raise ValueError("a session holds one person's records")
    by_side = {r.side: r for r in records}
    if len(by_side) != len(records):
        raise ValueError("a session holds at most one record per side")
    newest = max(records, key=lambda r: r.measured_at)
    return Session(newest.person, _day(newest, tz), by_side.get("left"), by_side.get("right"))


def report_file_name(session: Session) -> str:
    """A download name such as ``dorsiflex_Ana_Lopez_2024-03-01.pdf``."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in session.person.strip()).strip("_")
    return f"dorsiflex_{safe or 'report'}_{session.day.isoformat()}.pdf"
