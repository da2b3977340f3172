"""Measurement history in a local SQLite file: several people per file, edits and CSV export
(what the saved tests say over time is in :mod:`vision.advice.trends`).

Durability: the file is in WAL mode with ``synchronous=FULL`` and every write runs in its own
``BEGIN IMMEDIATE`` transaction, so a crash (or a killed process) mid-save loses nothing already saved and
leaves no half record; two processes saving at once wait for each other (``busy_timeout``) instead of failing.

Schema: ``PRAGMA user_version`` holds the schema version; ``_MIGRATIONS`` lists the steps from an empty file
to the current version and is applied in one transaction on open. A file from a newer version of this tool is
refused untouched. Timestamps are stored as ISO-8601 UTC text, so text order is time order.

Raw video is not stored: a record holds at most the path of a copy the person asked to keep, and (since
schema v4) a small JPEG crop of the annotated peak frame around the leg, for the printed report. Those image
bytes are loaded by `HistoryStore.get` and by `HistoryStore.list` only when asked (``with_crops=True``), and
never exported to CSV.
"""

from __future__ import annotations

import builtins
import contextlib
import csv
import dataclasses
import math
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypedDict, Unpack

from vision.advice.norms import Side
from vision.errors import InputError

APP_DIR_NAME = "dorsiflex"
DB_FILE_NAME = "history.sqlite3"
DB_ENV_VAR = "DORSIFLEX_DB"
BUSY_TIMEOUT_S = 30.0
_WAL_RETRY_S = 0.01

# Each entry is one schema version: the statements that take a file from the previous version to this one.
# Append only; never edit a released step (files in the wild were made with it).
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # v1: people and their measurements
        """CREATE TABLE person (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        )""",
        """CREATE TABLE measurement (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
            measured_at TEXT NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('left', 'right')),
            shin_angle_deg REAL NOT NULL,
            knee_over_toe_cm REAL,
            knee_over_toe_uncertainty_cm REAL,
            toe_to_wall_cm REAL,
            knee_reached_wall INTEGER,
            knee_over_toe_foot_ratio REAL,
            scale_source TEXT NOT NULL,
            reps_valid INTEGER NOT NULL,
            notes TEXT NOT NULL DEFAULT ''
        )""",
    ),
    (  # v2: where a measurement came from, and an index for per-person/side history
        "ALTER TABLE measurement ADD COLUMN clip_name TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE measurement ADD COLUMN video_path TEXT",
        "CREATE INDEX measurement_person_side_time ON measurement (person_id, side, measured_at)",
    ),
    (  # v3: which shin angle a row holds; rows saved before it hold the knee-ankle axis angle
        "ALTER TABLE measurement ADD COLUMN angle_kind TEXT NOT NULL DEFAULT 'front_of_shin' "
        "CHECK (angle_kind IN ('front_of_shin', 'tibia_axis'))",
        "UPDATE measurement SET angle_kind = 'tibia_axis'",
    ),
    (  # v4: the shin angle's uncertainty, the tibia axis beside it, and a crop of the annotated peak frame
        "ALTER TABLE measurement ADD COLUMN shin_angle_uncertainty_deg REAL",
        "ALTER TABLE measurement ADD COLUMN tibia_axis_deg REAL",
        "ALTER TABLE measurement ADD COLUMN tibia_axis_uncertainty_deg REAL",
        "ALTER TABLE measurement ADD COLUMN toe_to_wall_uncertainty_cm REAL",
        "ALTER TABLE measurement ADD COLUMN peak_crop_jpeg BLOB",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)

#: ``MeasurementRecord.angle_kind``: the front of the shin as a clinician's inclinometer reads it (saved since
#: schema v3), or the knee-centre to ankle-centre line (every row saved before v3). The two read several
#: degrees apart, so they are never compared with each other.
FRONT_OF_SHIN = "front_of_shin"
TIBIA_AXIS = "tibia_axis"
ANGLE_KINDS: tuple[str, ...] = (FRONT_OF_SHIN, TIBIA_AXIS)
ANGLE_KIND_WORDS = {
    FRONT_OF_SHIN: "front of the shin (inclinometer)",
    TIBIA_AXIS: "knee-ankle axis (saved before the front-of-shin angle)",
}

# Columns of `measurement` that mirror MeasurementRecord fields (all but id and person).
_COLUMNS: tuple[str, ...] = (
    "measured_at",
    "side",
    "shin_angle_deg",
    "knee_over_toe_cm",
    "knee_over_toe_uncertainty_cm",
    "toe_to_wall_cm",
    "knee_reached_wall",
    "knee_over_toe_foot_ratio",
    "scale_source",
    "reps_valid",
    "notes",
    "clip_name",
    "video_path",
    "angle_kind",
    "shin_angle_uncertainty_deg",
    "tibia_axis_deg",
    "tibia_axis_uncertainty_deg",
    "toe_to_wall_uncertainty_cm",
)
CSV_COLUMNS: tuple[str, ...] = ("id", "person", *_COLUMNS)  # the image bytes are not exported
_CROP_COLUMN = "peak_crop_jpeg"
_WRITTEN_COLUMNS: tuple[str, ...] = (*_COLUMNS, _CROP_COLUMN)
_FROM = " FROM measurement AS m JOIN person AS p ON p.id = m.person_id"
_SELECT_BASE = "SELECT m.id, p.name AS person, " + ", ".join(f"m.{column}" for column in _COLUMNS)
_SELECT = f"{_SELECT_BASE}, m.{_CROP_COLUMN}{_FROM}"
_SELECT_WITHOUT_CROP = f"{_SELECT_BASE}, NULL AS {_CROP_COLUMN}{_FROM}"
_OPTIONAL_FLOATS = (
    "knee_over_toe_cm",
    "knee_over_toe_uncertainty_cm",
    "toe_to_wall_cm",
    "knee_over_toe_foot_ratio",
    "shin_angle_uncertainty_deg",
    "tibia_axis_deg",
    "tibia_axis_uncertainty_deg",
    "toe_to_wall_uncertainty_cm",
)
_UNCERTAINTIES = (
    "knee_over_toe_uncertainty_cm",
    "shin_angle_uncertainty_deg",
    "tibia_axis_uncertainty_deg",
    "toe_to_wall_uncertainty_cm",
)
_JPEG_START = b"\xff\xd8"


@dataclass(frozen=True)
class MeasurementRecord:
    """One saved lunge measurement of one side. ``id`` is None until the record is saved.

    ``angle_kind`` says which line ``shin_angle_deg`` is the angle of (:data:`FRONT_OF_SHIN` or
    :data:`TIBIA_AXIS`).

    Saved since schema v4 (None in older rows and from callers that do not give them):
    ``shin_angle_uncertainty_deg`` (1-sigma of ``shin_angle_deg``), ``tibia_axis_deg`` (the knee-centre to
    ankle-centre line) with its 1-sigma ``tibia_axis_uncertainty_deg``, the 1-sigma
    ``toe_to_wall_uncertainty_cm`` of ``toe_to_wall_cm``, and ``peak_crop_jpeg``, a JPEG of the annotated peak
    frame cut around the leg (knee to toes, with the drawn shin line and angle) for the report.
    """

    person: str
    measured_at: datetime
    side: Side
    shin_angle_deg: float
    knee_over_toe_cm: float | None
    knee_over_toe_uncertainty_cm: float | None
    toe_to_wall_cm: float | None
    knee_reached_wall: bool | None
    knee_over_toe_foot_ratio: float | None
    scale_source: str
    reps_valid: int
    notes: str = ""
    clip_name: str = ""
    video_path: str | None = None
    angle_kind: str = FRONT_OF_SHIN
    id: int | None = None
    shin_angle_uncertainty_deg: float | None = None
    tibia_axis_deg: float | None = None
    tibia_axis_uncertainty_deg: float | None = None
    toe_to_wall_uncertainty_cm: float | None = None
    peak_crop_jpeg: bytes | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.person.strip():
            raise ValueError("person must be a non-empty name")
        if self.measured_at.utcoffset() is None:
            raise ValueError("measured_at must be timezone-aware (e.g. datetime.now(UTC))")
        if self.side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', got {self.side!r}")
        if not math.isfinite(self.shin_angle_deg):
            raise ValueError(f"shin_angle_deg must be a finite number, got {self.shin_angle_deg!r}")
        for name in _OPTIONAL_FLOATS:
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number or None, got {value!r}")
        for name in _UNCERTAINTIES:
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0 or None, got {value!r}")
        crop = self.peak_crop_jpeg
        if crop is not None and not (isinstance(crop, bytes) and crop.startswith(_JPEG_START)):
            raise ValueError("peak_crop_jpeg must be the bytes of a JPEG image or None")
        if self.reps_valid < 0:
            raise ValueError(f"reps_valid must be >= 0, got {self.reps_valid}")
        if self.angle_kind not in ANGLE_KINDS:
            raise ValueError(f"angle_kind must be one of {ANGLE_KINDS}, got {self.angle_kind!r}")


class RecordEdit(TypedDict, total=False):
    """The fields `HistoryStore.update` may change (everything but ``id``)."""

    person: str
    measured_at: datetime
    side: Side
    shin_angle_deg: float
    knee_over_toe_cm: float | None
    knee_over_toe_uncertainty_cm: float | None
    toe_to_wall_cm: float | None
    knee_reached_wall: bool | None
    knee_over_toe_foot_ratio: float | None
    scale_source: str
    reps_valid: int
    notes: str
    clip_name: str
    video_path: str | None
    angle_kind: str
    shin_angle_uncertainty_deg: float | None
    tibia_axis_deg: float | None
    tibia_axis_uncertainty_deg: float | None
    toe_to_wall_uncertainty_cm: float | None
    peak_crop_jpeg: bytes | None


def default_db_path(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """``$DORSIFLEX_DB`` if set, else ``history.sqlite3`` in the platform's per-user data directory."""
    env = os.environ if env is None else env
    override = env.get(DB_ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser()
    return user_data_dir(env, platform or sys.platform) / DB_FILE_NAME


def user_data_dir(env: Mapping[str, str], platform: str) -> Path:
    """This app's data directory: XDG on Linux and other Unixes, Application Support on macOS, %APPDATA%."""
    home = Path(env.get("HOME") or Path.home())
    if platform == "win32":
        appdata = env.get("APPDATA")
        base = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = env.get("XDG_DATA_HOME", "")
        # The XDG spec says relative values are invalid and must be ignored.
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / APP_DIR_NAME


class HistoryStore:
    """The measurement history file. Use as a context manager, or call `open` and `close`.

    One store (connection) per thread: open it where it is used (e.g. once per Streamlit script run).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self._conn: sqlite3.Connection | None = None

    def __enter__(self) -> HistoryStore:
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> HistoryStore:
        """Open (creating or upgrading) the file. Raises InputError for a file this tool cannot use."""
        if self._conn is None:
            self._conn = _open_connection(self.path)
        return self

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def add(self, record: MeasurementRecord) -> int:
        """Save a new measurement (``record.id`` is ignored) and return its id."""
        conn = self._connection()
        with _write_transaction(conn):
            return _insert_measurement(conn, record)

    def get(self, record_id: int) -> MeasurementRecord:
        """The measurement with this id. Raises KeyError if there is none."""
        return _fetch(self._connection(), record_id)

    def update(self, record_id: int, **fields: Unpack[RecordEdit]) -> MeasurementRecord:
        """Edit fields of a saved measurement and return the edited record. Raises KeyError if absent."""
        if "id" in fields:
            raise TypeError("update() cannot change a record's id")
        conn = self._connection()
        with _write_transaction(conn):
            edited = dataclasses.replace(_fetch(conn, record_id), **fields)
            assignments = ", ".join(f"{column} = ?" for column in _WRITTEN_COLUMNS)
            conn.execute(
                f"UPDATE measurement SET person_id = ?, {assignments} WHERE id = ?",
                (_person_id(conn, edited.person), *_column_values(edited), edited.peak_crop_jpeg, record_id),
            )
            _drop_people_without_measurements(conn)
        return edited

    def delete(self, record_id: int) -> MeasurementRecord:
        """Delete a measurement and return it (e.g. to remove its video copy). Raises KeyError if absent."""
        conn = self._connection()
        with _write_transaction(conn):
            record = _fetch(conn, record_id)
            conn.execute("DELETE FROM measurement WHERE id = ?", (record_id,))
            _drop_people_without_measurements(conn)
        return record

    def list(
        self, person: str | None = None, side: Side | None = None, *, with_crops: bool = False
    ) -> builtins.list[MeasurementRecord]:
        """Measurements, oldest first, optionally only one person's and/or one side's.

        The peak-frame crops (``peak_crop_jpeg``) stay in the file unless ``with_crops`` is set: without it
        every listed record has ``peak_crop_jpeg=None``, so a history table does not read every image.
        """
        conditions, params = _filters(person, side)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        select = _SELECT if with_crops else _SELECT_WITHOUT_CROP
        rows = self._connection().execute(f"{select}{where} ORDER BY m.measured_at, m.id", params)
        return [_record_from_row(row) for row in rows]

    def people(self) -> builtins.list[str]:
        """Everyone with at least one measurement, alphabetically (case-insensitive)."""
        rows = self._connection().execute("SELECT name FROM person ORDER BY name COLLATE NOCASE, name")
        return [str(row["name"]) for row in rows]

    def export_csv(self, target: str | os.PathLike[str] | IO[str], person: str | None = None) -> int:
        """Write measurements (all, or one person's) as CSV with a header row; return the number of rows.

        Times are ISO-8601 UTC, booleans ``true``/``false``, missing values empty; the peak-frame crops are
        not exported.
        """
        records = self.list(person=person)
        if isinstance(target, str | os.PathLike):
            with Path(target).open("w", newline="", encoding="utf-8") as file:
                _write_csv(file, records)
        else:
            _write_csv(target, records)
        return len(records)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("HistoryStore is not open: use `with HistoryStore(...)` or call open()")
        return self._conn


# --- Opening and migrating ----------------------------------------------------------------------------------


def _open_connection(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except (OSError, sqlite3.Error) as err:
        raise InputError(f"Cannot open the history file {path}: {err}. Check the path and access.") from err
    try:
        _prepare(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _prepare(conn: sqlite3.Connection, path: Path) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    try:
        version = _user_version(conn)
    except sqlite3.DatabaseError as err:
        raise InputError(f"{path} is not a dorsiflex history file (not an SQLite database).") from err
    _refuse_newer(version, path)  # before anything below writes to the file
    try:
        _enable_wal(conn)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version < SCHEMA_VERSION:
            _migrate(conn, path)
    except sqlite3.OperationalError as err:  # read-only file, locked for longer than BUSY_TIMEOUT_S, ...
        raise InputError(f"Cannot use the history file {path}: {err}.") from err


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, retrying while another connection holds the file.

    SQLite does not call the busy handler for this switch, so two processes opening a new file at the same
    moment would otherwise fail with "database is locked". Where WAL is unsupported the file keeps its
    rollback journal, which is just as safe, only less concurrent.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if err.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(_WAL_RETRY_S)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    with _write_transaction(conn):
        version = _user_version(conn)  # again, under the write lock: another process may have migrated
        _refuse_newer(version, path)
        if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise InputError(f"{path} is an SQLite database, but not a dorsiflex history file.")
        for number in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[number - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _refuse_newer(version: int, path: Path) -> None:
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{path} was written by a newer dorsiflex (schema v{version}, this one knows v{SCHEMA_VERSION}): "
            "update dorsiflex to open it."
        )


@contextlib.contextmanager
def _write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE (take the write lock now, waiting up to busy_timeout) ... COMMIT; ROLLBACK on error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# --- Rows ---------------------------------------------------------------------------------------------------


def _insert_measurement(conn: sqlite3.Connection, record: MeasurementRecord) -> int:
    placeholders = ", ".join("?" for _ in range(len(_WRITTEN_COLUMNS) + 1))
    cursor = conn.execute(
        f"INSERT INTO measurement (person_id, {', '.join(_WRITTEN_COLUMNS)}) VALUES ({placeholders})",
        (_person_id(conn, record.person), *_column_values(record), record.peak_crop_jpeg),
    )
    if cursor.lastrowid is None:
        raise RuntimeError("SQLite did not report the new measurement's id")
    return cursor.lastrowid


def _person_id(conn: sqlite3.Connection, name: str) -> int:
    conn.execute("INSERT INTO person (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,))
    return int(conn.execute("SELECT id FROM person WHERE name = ?", (name,)).fetchone()[0])


def _drop_people_without_measurements(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM person WHERE id NOT IN (SELECT person_id FROM measurement)")


def _fetch(conn: sqlite3.Connection, record_id: int) -> MeasurementRecord:
    row = conn.execute(f"{_SELECT} WHERE m.id = ?", (record_id,)).fetchone()
    if row is None:
        raise KeyError(record_id)
    return _record_from_row(row)


def _filters(person: str | None, side: Side | None) -> tuple[list[str], list[str]]:
    conditions: list[str] = []
    params: list[str] = []
    if person is not None:
        conditions.append("p.name = ?")
        params.append(person)
    if side is not None:
        conditions.append("m.side = ?")
        params.append(side)
    return conditions, params


def _column_values(record: MeasurementRecord) -> tuple[object, ...]:
    values = {column: getattr(record, column) for column in _COLUMNS}
    values["measured_at"] = _to_utc_text(record.measured_at)
    return tuple(values[column] for column in _COLUMNS)


def _record_from_row(row: sqlite3.Row) -> MeasurementRecord:
    side = str(row["side"])
    if side not in ("left", "right"):
        raise InputError(f"The history file has a measurement with an unknown side {side!r}.")
    return MeasurementRecord(
        person=str(row["person"]),
        measured_at=datetime.fromisoformat(str(row["measured_at"])),
        side="left" if side == "left" else "right",
        shin_angle_deg=float(row["shin_angle_deg"]),
        knee_over_toe_cm=_optional_float(row["knee_over_toe_cm"]),
        knee_over_toe_uncertainty_cm=_optional_float(row["knee_over_toe_uncertainty_cm"]),
        toe_to_wall_cm=_optional_float(row["toe_to_wall_cm"]),
        knee_reached_wall=None if row["knee_reached_wall"] is None else bool(row["knee_reached_wall"]),
        knee_over_toe_foot_ratio=_optional_float(row["knee_over_toe_foot_ratio"]),
        scale_source=str(row["scale_source"]),
        reps_valid=int(row["reps_valid"]),
        notes=str(row["notes"]),
        clip_name=str(row["clip_name"]),
        video_path=None if row["video_path"] is None else str(row["video_path"]),
        angle_kind=str(row["angle_kind"]),
        id=int(row["id"]),
        shin_angle_uncertainty_deg=_optional_float(row["shin_angle_uncertainty_deg"]),
        tibia_axis_deg=_optional_float(row["tibia_axis_deg"]),
        tibia_axis_uncertainty_deg=_optional_float(row["tibia_axis_uncertainty_deg"]),
        toe_to_wall_uncertainty_cm=_optional_float(row["toe_to_wall_uncertainty_cm"]),
        peak_crop_jpeg=_optional_bytes(row[_CROP_COLUMN]),
    )


def _optional_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    raise InputError(f"The history file has a non-numeric value {value!r} where a number belongs.")


def _optional_bytes(value: object) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes) and value.startswith(_JPEG_START):
        return value
    raise InputError("The history file has a peak-frame image that is not a JPEG.")


def _to_utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _write_csv(file: IO[str], records: Iterable[MeasurementRecord]) -> None:
    writer = csv.writer(file)
    writer.writerow(CSV_COLUMNS)
    for record in records:
        values = (record.id, record.person, *_column_values(record))
        writer.writerow([_csv_cell(value) for value in values])


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
