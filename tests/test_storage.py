"""History storage on real SQLite files: CRUD, CSV, migrations, refusals, concurrency and crash safety."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import multiprocessing
import os
import signal
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from vision import storage
from vision.advice import trends
from vision.advice.norms import Side
from vision.advice.trends import trend
from vision.errors import InputError
from vision.storage import CSV_COLUMNS, SCHEMA_VERSION, HistoryStore, MeasurementRecord, default_db_path

T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
SPAWN = multiprocessing.get_context("spawn")
CHILD_TIMEOUT_S = 120.0

# The v1 schema exactly as the first release created it: a frozen fixture, deliberately not taken from
# vision.storage, so the test keeps checking upgrades of files made by that release.
V1_SCHEMA = (
    "CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
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
)


def make_record(
    person: str = "Ana", side: Side = "left", days: float = 0, angle_deg: float = 38.0, **fields: Any
) -> MeasurementRecord:
    values: dict[str, Any] = {
        "person": person,
        "measured_at": T0 + timedelta(days=days),
        "side": side,
        "shin_angle_deg": angle_deg,
        "knee_over_toe_cm": 11.25,
        "knee_over_toe_uncertainty_cm": 0.6,
        "toe_to_wall_cm": 10.5,
        "knee_reached_wall": True,
        "knee_over_toe_foot_ratio": 0.43,
        "scale_source": "aruco",
        "reps_valid": 3,
    }
    values.update(fields)
    return MeasurementRecord(**values)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Any:
    with HistoryStore(db_path) as opened:
        yield opened


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- records ------------------------------------------------------------------------------------------------


def test_round_trip_keeps_every_field(store: HistoryStore) -> None:
    record = make_record(notes="felt tight, 3rd rep", clip_name="left.mp4", video_path="/videos/copy.mp4")
    record_id = store.add(record)
    assert store.get(record_id) == dataclasses.replace(record, id=record_id)


@pytest.mark.parametrize("reached", [True, False, None])
def test_round_trip_of_missing_values(store: HistoryStore, reached: bool | None) -> None:
    record = make_record(
        knee_over_toe_cm=None,
        knee_over_toe_uncertainty_cm=None,
        toe_to_wall_cm=None,
        knee_reached_wall=reached,
        knee_over_toe_foot_ratio=None,
        scale_source="none",
        reps_valid=0,
    )
    loaded = store.get(store.add(record))
    assert loaded.knee_reached_wall is reached
    assert dataclasses.replace(loaded, id=None) == record


def test_times_are_stored_as_utc_iso_text(store: HistoryStore, db_path: Path) -> None:
    local = datetime(2024, 3, 1, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    record_id = store.add(make_record(measured_at=local))
    loaded = store.get(record_id)
    assert loaded.measured_at == local
    assert loaded.measured_at.utcoffset() == timedelta(0)
    with sqlite3.connect(db_path) as raw:
        (text,) = raw.execute("SELECT measured_at FROM measurement WHERE id = ?", (record_id,)).fetchone()
    assert text == "2024-03-01T09:30:00.000000+00:00"


def test_add_ignores_a_given_id(store: HistoryStore) -> None:
    first = store.add(make_record(id=999))
    second = store.add(make_record(id=999))
    assert first != second
    assert len(store.list()) == 2


def test_edit(store: HistoryStore) -> None:
    record_id = store.add(make_record(notes=""))
    edited = store.update(
        record_id, notes="re-measured by coach", shin_angle_deg=40.5, knee_reached_wall=None
    )
    assert edited == store.get(record_id)
    assert (edited.notes, edited.shin_angle_deg, edited.knee_reached_wall) == (
        "re-measured by coach",
        40.5,
        None,
    )
    assert edited.id == record_id


def test_edit_person_moves_the_record_and_forgets_empty_people(store: HistoryStore) -> None:
    record_id = store.add(make_record(person="Typo"))
    store.add(make_record(person="Ben"))
    store.update(record_id, person="Ana")
    assert store.people() == ["Ana", "Ben"]
    assert [record.id for record in store.list(person="Ana")] == [record_id]


def test_invalid_edit_changes_nothing(store: HistoryStore) -> None:
    record_id = store.add(make_record())
    before = store.get(record_id)
    with pytest.raises(ValueError, match="side"):
        store.update(record_id, side="up")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        store.update(record_id, shin_angle_deg=float("nan"))
    with pytest.raises(TypeError):
        store.update(record_id, colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="id"):
        store.update(record_id, id=5)  # type: ignore[call-arg]
    assert store.get(record_id) == before


def test_missing_ids(store: HistoryStore) -> None:
    with pytest.raises(KeyError):
        store.get(1)
    with pytest.raises(KeyError):
        store.update(1, notes="x")
    with pytest.raises(KeyError):
        store.delete(1)


def test_delete(store: HistoryStore) -> None:
    keep = store.add(make_record(person="Ana"))
    gone = store.add(make_record(person="Ben", video_path="/videos/ben.mp4"))
    deleted = store.delete(gone)
    assert deleted.video_path == "/videos/ben.mp4"  # so the caller can remove the copy
    with pytest.raises(KeyError):
        store.get(gone)
    assert [record.id for record in store.list()] == [keep]
    assert store.people() == ["Ana"]


def test_list_filters_and_orders_by_time(store: HistoryStore) -> None:
    ids = {
        ("Ana", "left", 2): store.add(make_record("Ana", "left", days=2)),
        ("Ana", "left", 0): store.add(make_record("Ana", "left", days=0)),
        ("Ana", "right", 1): store.add(make_record("Ana", "right", days=1)),
        ("Ben", "left", 1): store.add(make_record("Ben", "left", days=1)),
    }
    all_records = store.list()
    assert [record.measured_at for record in all_records] == sorted(r.measured_at for r in all_records)
    assert len(all_records) == 4
    assert [r.id for r in store.list(person="Ana", side="left")] == [
        ids["Ana", "left", 0],
        ids["Ana", "left", 2],
    ]
    assert [r.id for r in store.list(side="right")] == [ids["Ana", "right", 1]]
    assert {r.person for r in store.list(side="left")} == {"Ana", "Ben"}
    assert store.list(person="Nobody") == []


def test_people(store: HistoryStore) -> None:
    assert store.people() == []
    for name in ("coach", "Zoe", "Ana", "Zoe"):
        store.add(make_record(person=name))
    assert store.people() == ["Ana", "coach", "Zoe"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("person", "  ", "person"),
        ("measured_at", datetime(2024, 3, 1, 9, 30), "timezone"),
        ("side", "middle", "side"),
        ("shin_angle_deg", float("inf"), "finite"),
        ("knee_over_toe_cm", float("nan"), "finite"),
        ("reps_valid", -1, "reps_valid"),
        ("angle_kind", "ankle", "angle_kind"),
    ],
)
def test_record_validation(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_record(**{field: value})


def test_records_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        make_record().notes = "x"  # type: ignore[misc]


# --- CSV ----------------------------------------------------------------------------------------------------


def _parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_csv_parses_back(store: HistoryStore, tmp_path: Path) -> None:
    first = make_record("Ana", notes='said "tight", then, ok\nsecond line', video_path="/v/a.mp4")
    second = make_record("Ben", "right", days=1, knee_over_toe_cm=None, knee_reached_wall=False)
    first_id, second_id = store.add(first), store.add(second)
    out = tmp_path / "export" / "history.csv"
    out.parent.mkdir()
    assert store.export_csv(out) == 2
    rows = _parse_csv(out.read_text(encoding="utf-8"))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [int(row["id"]) for row in rows] == [first_id, second_id]
    ana, ben = rows
    assert ana["person"] == "Ana"
    assert ana["notes"] == first.notes
    assert datetime.fromisoformat(ana["measured_at"]) == first.measured_at
    assert float(ana["shin_angle_deg"]) == first.shin_angle_deg
    assert float(ana["knee_over_toe_cm"]) == first.knee_over_toe_cm
    assert (ana["knee_reached_wall"], ana["video_path"], ana["reps_valid"]) == ("true", "/v/a.mp4", "3")
    assert (ben["side"], ben["knee_over_toe_cm"], ben["knee_reached_wall"], ben["video_path"]) == (
        "right",
        "",
        "false",
        "",
    )


def test_export_csv_to_a_file_object_for_one_person(store: HistoryStore) -> None:
    store.add(make_record("Ana"))
    store.add(make_record("Ben"))
    buffer = io.StringIO()
    assert store.export_csv(buffer, person="Ben") == 1
    assert [row["person"] for row in _parse_csv(buffer.getvalue())] == ["Ben"]


def test_export_csv_with_no_records_writes_the_header(store: HistoryStore) -> None:
    buffer = io.StringIO()
    assert store.export_csv(buffer) == 0
    assert buffer.getvalue().strip() == ",".join(CSV_COLUMNS)


# --- opening, paths and schema ------------------------------------------------------------------------------


def test_new_file_uses_wal_and_current_schema(db_path: Path) -> None:
    nested = db_path.parent / "a" / "b" / "history.sqlite3"
    with HistoryStore(nested) as store:
        store.add(make_record())
    with sqlite3.connect(nested) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []


def test_store_must_be_open(db_path: Path) -> None:
    store = HistoryStore(db_path)
    with pytest.raises(RuntimeError, match="not open"):
        store.list()
    store.open()
    store.open()  # idempotent
    store.close()
    store.close()
    with pytest.raises(RuntimeError, match="not open"):
        store.add(make_record())


def test_reopen_keeps_data(db_path: Path) -> None:
    with HistoryStore(db_path) as store:
        record_id = store.add(make_record())
    with HistoryStore(db_path) as store:
        assert store.get(record_id).person == "Ana"


def test_migration_from_a_hand_made_v1_file(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        for statement in V1_SCHEMA:
            raw.execute(statement)
        raw.execute("INSERT INTO person (id, name) VALUES (7, 'Old Timer')")
        raw.execute(
            "INSERT INTO measurement VALUES (41, 7, '2023-01-02T08:00:00.000000+00:00', 'right', 33.5, 8.25, "
            "0.5, NULL, 0, 0.31, 'foot_length', 2, 'from v1')"
        )
        raw.execute("PRAGMA user_version = 1")
    raw.close()

    with HistoryStore(db_path) as store:
        migrated = store.get(41)
        new_id = store.add(make_record(clip_name="new.mp4"))
        assert store.get(new_id).clip_name == "new.mp4"
    assert migrated == MeasurementRecord(
        person="Old Timer",
        measured_at=datetime(2023, 1, 2, 8, 0, tzinfo=UTC),
        side="right",
        shin_angle_deg=33.5,
        knee_over_toe_cm=8.25,
        knee_over_toe_uncertainty_cm=0.5,
        toe_to_wall_cm=None,
        knee_reached_wall=False,
        knee_over_toe_foot_ratio=0.31,
        scale_source="foot_length",
        reps_valid=2,
        notes="from v1",
        clip_name="",
        video_path=None,
        angle_kind="tibia_axis",
        id=41,
    )
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        indexes = {row[1] for row in raw.execute("PRAGMA index_list(measurement)")}
    raw.close()
    assert "measurement_person_side_time" in indexes


# The v2 schema as the release before the front-of-shin angle left it (v1 plus these), frozen like V1_SCHEMA.
V2_STEPS = (
    "ALTER TABLE measurement ADD COLUMN clip_name TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE measurement ADD COLUMN video_path TEXT",
    "CREATE INDEX measurement_person_side_time ON measurement (person_id, side, measured_at)",
)


def _make_v2_file(path: Path) -> None:
    with sqlite3.connect(path) as raw:
        for statement in (*V1_SCHEMA, *V2_STEPS):
            raw.execute(statement)
        raw.execute("INSERT INTO person (id, name) VALUES (3, 'Ana'), (4, 'Ben')")
        for row in (
            (10, 3, "2024-01-05T10:00:00.000000+00:00", "left", 31.0, 9.5, "first"),
            (11, 3, "2024-02-05T10:00:00.000000+00:00", "left", 33.0, None, ""),
            (12, 4, "2024-02-06T10:00:00.000000+00:00", "right", 40.25, 12.0, "Ben's"),
        ):
            raw.execute(
                "INSERT INTO measurement (id, person_id, measured_at, side, shin_angle_deg, "
                "knee_over_toe_cm, knee_over_toe_uncertainty_cm, toe_to_wall_cm, knee_reached_wall, "
                "knee_over_toe_foot_ratio, "
                "scale_source, reps_valid, notes, clip_name, video_path) "
                "VALUES (?, ?, ?, ?, ?, ?, 0.5, NULL, NULL, 0.3, 'aruco', 2, ?, 'old.mp4', NULL)",
                row,
            )
        raw.execute("PRAGMA user_version = 2")
    raw.close()


def test_migration_marks_rows_saved_before_v3_as_axis_angles(db_path: Path) -> None:
    _make_v2_file(db_path)
    with HistoryStore(db_path) as store:
        old = store.list()
        new_id = store.add(make_record("Ana", days=400, angle_deg=41.0))
        new = store.get(new_id)
    assert [(r.id, r.person, r.side, r.shin_angle_deg, r.notes) for r in old] == [
        (10, "Ana", "left", 31.0, "first"),
        (11, "Ana", "left", 33.0, ""),
        (12, "Ben", "right", 40.25, "Ben's"),
    ]
    assert [r.knee_over_toe_cm for r in old] == [9.5, None, 12.0]
    assert {r.angle_kind for r in old} == {storage.TIBIA_AXIS}
    assert {r.clip_name for r in old} == {"old.mp4"}
    assert new.angle_kind == storage.FRONT_OF_SHIN
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        kinds = raw.execute("SELECT id, angle_kind FROM measurement ORDER BY id").fetchall()
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute("UPDATE measurement SET angle_kind = 'knee' WHERE id = 10")
    raw.close()
    assert kinds == [(10, "tibia_axis"), (11, "tibia_axis"), (12, "tibia_axis"), (new_id, "front_of_shin")]


# The v3 step as the release before the v4 columns left it (v2 plus this), frozen like V1_SCHEMA.
V3_STEPS = (
    "ALTER TABLE measurement ADD COLUMN angle_kind TEXT NOT NULL DEFAULT 'front_of_shin' "
    "CHECK (angle_kind IN ('front_of_shin', 'tibia_axis'))",
    "UPDATE measurement SET angle_kind = 'tibia_axis'",
)
# A small real JPEG: the store checks that the bytes start like a JPEG, the report decodes them.
TINY_JPEG = cv2.imencode(".jpg", np.full((8, 8, 3), 128, np.uint8))[1].tobytes()


def _make_v3_file(path: Path) -> None:
    _make_v2_file(path)
    with sqlite3.connect(path) as raw:
        for statement in V3_STEPS:
            raw.execute(statement)
        raw.execute(
            "INSERT INTO measurement (id, person_id, measured_at, side, shin_angle_deg, knee_over_toe_cm, "
            "knee_over_toe_uncertainty_cm, toe_to_wall_cm, knee_reached_wall, knee_over_toe_foot_ratio, "
            "scale_source, reps_valid, notes, clip_name, video_path, angle_kind) VALUES (13, 3, "
            "'2024-03-05T10:00:00.000000+00:00', 'right', 36.5, 10.0, 0.7, 2.0, 0, 0.4, 'aruco', 3, "
            "'v3 row', 'v3.mp4', NULL, 'front_of_shin')"
        )
        raw.execute("PRAGMA user_version = 3")
    raw.close()


def test_migration_from_a_v3_file_keeps_every_row_and_adds_empty_v4_fields(db_path: Path) -> None:
    _make_v3_file(db_path)
    with sqlite3.connect(db_path) as raw:
        before = raw.execute("SELECT * FROM measurement ORDER BY id").fetchall()
    raw.close()
    with HistoryStore(db_path) as store:
        old = store.list(with_crops=True)
        new_id = store.add(
            make_record(
                "Ana", days=500, shin_angle_uncertainty_deg=2.5, tibia_axis_deg=33.0, peak_crop_jpeg=TINY_JPEG
            )
        )
        new = store.get(new_id)
    assert [r.id for r in old] == [10, 11, 12, 13]
    assert [(r.shin_angle_deg, r.notes, r.angle_kind) for r in old] == [
        (31.0, "first", "tibia_axis"),
        (33.0, "", "tibia_axis"),
        (40.25, "Ben's", "tibia_axis"),
        (36.5, "v3 row", "front_of_shin"),
    ]
    for record in old:
        assert (record.shin_angle_uncertainty_deg, record.tibia_axis_deg) == (None, None)
        assert (record.tibia_axis_uncertainty_deg, record.peak_crop_jpeg) == (None, None)
    assert (new.shin_angle_uncertainty_deg, new.tibia_axis_deg, new.peak_crop_jpeg) == (2.5, 33.0, TINY_JPEG)
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        after = raw.execute("SELECT * FROM measurement WHERE id <= 13 ORDER BY id").fetchall()
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
    assert [row[: len(before[0])] for row in after] == before  # every old value kept, in its column
    assert all(row[len(before[0]) :] == (None,) * 5 for row in after)


def test_v4_fields_round_trip_and_the_crop_is_loaded_only_when_asked(store: HistoryStore) -> None:
    record = make_record(
        shin_angle_uncertainty_deg=2.5,
        tibia_axis_deg=34.25,
        tibia_axis_uncertainty_deg=2.0,
        toe_to_wall_uncertainty_cm=1.0,
        peak_crop_jpeg=TINY_JPEG,
    )
    record_id = store.add(record)
    assert store.get(record_id) == dataclasses.replace(record, id=record_id)
    (listed,) = store.list()
    assert listed.peak_crop_jpeg is None
    assert dataclasses.replace(listed, peak_crop_jpeg=TINY_JPEG) == store.get(record_id)
    assert store.list(with_crops=True) == [store.get(record_id)]
    edited = store.update(record_id, notes="edited")  # an edit keeps the image
    assert edited.peak_crop_jpeg == TINY_JPEG
    assert store.get(record_id).peak_crop_jpeg == TINY_JPEG
    assert store.update(record_id, peak_crop_jpeg=None).peak_crop_jpeg is None


def test_csv_holds_the_v4_figures_but_not_the_image(store: HistoryStore) -> None:
    store.add(make_record(shin_angle_uncertainty_deg=2.5, tibia_axis_deg=34.0, peak_crop_jpeg=TINY_JPEG))
    buffer = io.StringIO()
    store.export_csv(buffer)
    (row,) = _parse_csv(buffer.getvalue())
    assert "peak_crop_jpeg" not in row
    assert (row["shin_angle_uncertainty_deg"], row["tibia_axis_deg"], row["tibia_axis_uncertainty_deg"]) == (
        "2.5",
        "34.0",
        "",
    )
    assert len(buffer.getvalue()) < 1000


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("shin_angle_uncertainty_deg", -1.0, ">= 0"),
        ("tibia_axis_deg", float("nan"), "finite"),
        ("tibia_axis_uncertainty_deg", float("inf"), "finite"),
        ("toe_to_wall_uncertainty_cm", -0.5, ">= 0"),
        ("peak_crop_jpeg", b"\x89PNG\r\n", "JPEG"),
        ("peak_crop_jpeg", "not bytes", "JPEG"),
    ],
)
def test_v4_field_validation(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_record(**{field: value})


def test_reopening_a_migrated_file_does_not_touch_its_kinds(db_path: Path) -> None:
    _make_v2_file(db_path)
    with HistoryStore(db_path) as store:
        new_id = store.add(make_record("Ana", days=400))
    with HistoryStore(db_path) as store:
        assert store.get(new_id).angle_kind == storage.FRONT_OF_SHIN
        assert store.get(10).angle_kind == storage.TIBIA_AXIS
        assert store.update(10, notes="edited").angle_kind == storage.TIBIA_AXIS


def test_a_newer_schema_is_refused_untouched(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute("CREATE TABLE future (x)")
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    before = _digest(db_path)
    with pytest.raises(InputError) as caught:
        HistoryStore(db_path).open()
    message = str(caught.value)
    assert "\n" not in message
    assert "newer" in message
    assert _digest(db_path) == before
    assert not db_path.with_name(db_path.name + "-wal").exists()


def test_a_file_that_is_not_sqlite_is_refused(db_path: Path) -> None:
    db_path.write_bytes(b"this is a video, not a database\x00" * 200)
    before = _digest(db_path)
    with pytest.raises(InputError) as caught, HistoryStore(db_path):
        pass
    assert "\n" not in str(caught.value)
    assert "not an SQLite database" in str(caught.value)
    assert _digest(db_path) == before


def test_someone_elses_sqlite_file_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute("CREATE TABLE person (id INTEGER PRIMARY KEY, full_name TEXT)")
    raw.close()
    with pytest.raises(InputError, match="not a dorsiflex history file"):
        HistoryStore(db_path).open()


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Cannot open"):
        HistoryStore(tmp_path).open()


def test_default_path_per_platform(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    linux = default_db_path({"HOME": home}, "linux")
    assert linux == Path(home, ".local", "share", "dorsiflex", "history.sqlite3")
    xdg = default_db_path({"HOME": home, "XDG_DATA_HOME": "/data"}, "linux")
    assert xdg == Path("/data/dorsiflex/history.sqlite3")
    relative_xdg = default_db_path({"HOME": home, "XDG_DATA_HOME": "relative"}, "linux")
    assert relative_xdg == linux
    mac = default_db_path({"HOME": home}, "darwin")
    assert mac == Path(home, "Library", "Application Support", "dorsiflex", "history.sqlite3")
    windows = default_db_path({"HOME": home, "APPDATA": "C:/Users/a/AppData/Roaming"}, "win32")
    assert windows == Path("C:/Users/a/AppData/Roaming", "dorsiflex", "history.sqlite3")


def test_env_var_and_argument_override_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_env = tmp_path / "env" / "h.sqlite3"
    assert default_db_path({"DORSIFLEX_DB": str(from_env), "XDG_DATA_HOME": "/data"}, "linux") == from_env
    monkeypatch.setenv("DORSIFLEX_DB", str(from_env))
    assert HistoryStore().path == from_env
    argument = tmp_path / "arg.sqlite3"
    assert HistoryStore(argument).path == argument
    with HistoryStore() as store:
        store.add(make_record())
    assert from_env.exists()


# --- concurrency and crashes --------------------------------------------------------------------------------


def _add_many(path: str, person: str, count: int, start: Any, results: Any) -> None:
    """Child process: wait for the sibling, then save ``count`` records one transaction each."""
    try:
        start.wait(CHILD_TIMEOUT_S)
        with HistoryStore(path) as store:
            for index in range(count):
                store.add(make_record(person, days=index / 1000, angle_deg=30.0 + index % 10))
        results.put((person, "ok"))
    except (sqlite3.Error, InputError) as err:  # e.g. "database is locked": reported to the parent
        results.put((person, f"{type(err).__name__}: {err}"))


def test_concurrent_saves_from_two_processes(db_path: Path) -> None:
    count = 100
    start = SPAWN.Barrier(2)
    results = SPAWN.Queue()
    workers = [
        SPAWN.Process(target=_add_many, args=(str(db_path), person, count, start, results)) for person in "AB"
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(CHILD_TIMEOUT_S)
    assert [worker.exitcode for worker in workers] == [0, 0]
    outcomes = dict(results.get(timeout=CHILD_TIMEOUT_S) for _ in workers)
    assert outcomes == {"A": "ok", "B": "ok"}
    with HistoryStore(db_path) as store:
        records = store.list()
        assert len(records) == 2 * count
        assert len({record.id for record in records}) == 2 * count
        per_person = {person: len(store.list(person=person)) for person in store.people()}
    assert per_person == {"A": count, "B": count}


def _add_then_hang(path: str, ready: Any) -> None:
    """Child process: start saving a record, signal once it is inserted but not committed, then hang."""
    insert = storage._insert_measurement

    def insert_then_hang(conn: sqlite3.Connection, record: MeasurementRecord) -> int:
        record_id = insert(conn, record)
        ready.set()
        time.sleep(CHILD_TIMEOUT_S)
        return record_id

    storage._insert_measurement = insert_then_hang  # this child only
    with HistoryStore(path) as store:
        store.add(make_record("Half Saved", notes="must never appear"))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX-only")
def test_a_write_killed_before_commit_leaves_no_trace(db_path: Path) -> None:
    with HistoryStore(db_path) as store:
        saved = [store.add(make_record(days=day)) for day in range(3)]
        before = store.list()
    ready = SPAWN.Event()
    child = SPAWN.Process(target=_add_then_hang, args=(str(db_path), ready))
    child.start()
    try:
        assert ready.wait(CHILD_TIMEOUT_S), "the child never reached the insert"
        with HistoryStore(db_path) as reader:  # WAL: readers are not blocked by the open write
            assert reader.list() == before
    finally:
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join(CHILD_TIMEOUT_S)
    assert child.exitcode == -signal.SIGKILL

    with HistoryStore(db_path) as store:
        assert store.list() == before
        assert [record.id for record in before] == saved
        assert store.people() == ["Ana"]
        store.add(make_record(person="After"))  # the dead writer's lock is gone
        assert len(store.list()) == 4
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        notes = [row[0] for row in raw.execute("SELECT notes FROM measurement")]
    raw.close()
    assert "must never appear" not in notes


# --- trend --------------------------------------------------------------------------------------------------


def test_trend_flags_changes_beyond_the_mdc() -> None:
    records = [
        make_record(days=10, angle_deg=36.0, knee_over_toe_cm=9.0, id=3),
        make_record(days=0, angle_deg=30.0, knee_over_toe_cm=7.0, id=1),
        make_record(days=5, angle_deg=33.0, knee_over_toe_cm=8.0, id=2),
        make_record(days=7, side="right", angle_deg=50.0, id=9),  # other side: ignored
    ]
    result = trend(records, "left")
    assert (result.person, result.side, result.mdc_deg, result.mdc_cm) == ("Ana", "left", 4.7, 1.9)
    assert [point.record_id for point in result.points] == [1, 2, 3]
    baseline, middle, last = result.points
    assert not baseline.from_baseline.detectable
    assert not baseline.from_previous.detectable
    assert (middle.from_baseline.delta_deg, middle.from_baseline.detectable) == (3.0, False)
    assert (last.from_baseline.delta_deg, last.from_baseline.detectable_deg) == (6.0, True)
    assert (last.from_baseline.delta_cm, last.from_baseline.detectable_cm) == (2.0, True)
    assert (last.from_previous.delta_deg, last.from_previous.detectable) == (3.0, False)


def test_trend_threshold_is_exclusive_and_configurable() -> None:
    records = [
        make_record(days=0, angle_deg=30.0, knee_over_toe_cm=10.0),
        make_record(days=1, angle_deg=35.0, knee_over_toe_cm=12.0),
        make_record(days=2, angle_deg=40.5, knee_over_toe_cm=14.5),
    ]
    first, exact, beyond = trend(records, "left", mdc_deg=5.0, mdc_cm=2.0).points
    assert not exact.from_baseline.detectable_deg
    assert not exact.from_baseline.detectable_cm
    assert beyond.from_previous.detectable_deg
    assert beyond.from_previous.detectable_cm
    assert first.from_baseline.delta_cm == 0.0


def test_trend_without_distances_uses_the_angle_only() -> None:
    records = [make_record(days=0, knee_over_toe_cm=None), make_record(days=1, angle_deg=45.0)]
    point = trend(records, "left").points[1]
    assert point.from_baseline.delta_cm is None
    assert not point.from_baseline.detectable_cm
    assert point.from_baseline.detectable


def test_trend_never_compares_the_two_angle_kinds() -> None:
    records = [
        make_record(days=0, angle_deg=30.0, angle_kind="tibia_axis", id=1),
        make_record(days=10, angle_deg=31.0, angle_kind="tibia_axis", id=2),
        make_record(days=20, angle_deg=36.0, id=3),  # front of the shin: reads ~4 deg more, not a change
        make_record(days=30, angle_deg=37.0, id=4),
    ]
    front = trend(records, "left")
    assert (front.angle_kind, front.other_kind_count) == ("front_of_shin", 2)
    assert [p.record_id for p in front.points] == [3, 4]
    assert [p.from_baseline.delta_deg for p in front.points] == [0.0, 1.0]
    assert not any(p.from_baseline.detectable for p in front.points)
    axis = trend(records, "left", angle_kind="tibia_axis")
    assert (axis.angle_kind, axis.other_kind_count) == ("tibia_axis", 2)
    assert [p.record_id for p in axis.points] == [1, 2]
    assert axis.points[-1].from_previous.delta_deg == 1.0
    with pytest.raises(ValueError, match="angle_kind"):
        trend(records, "left", angle_kind="knee")


def test_a_change_across_angle_kinds_is_refused() -> None:
    with pytest.raises(ValueError, match="meaningless"):
        trends._change(make_record(angle_kind="tibia_axis"), make_record(days=1), 4.7, 1.9)


def test_trend_needs_one_person() -> None:
    assert trend([], "left").points == ()
    assert trend([make_record("Ana"), make_record("Ben", "right")], "left").person == "Ana"
    with pytest.raises(ValueError, match="one person"):
        trend([make_record("Ana"), make_record("Ben")], "left")
