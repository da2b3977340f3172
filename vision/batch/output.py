"""Where a batch's results go, and the batch itself: an append-only results store beside the table (what
makes a batch resumable), the CSV (and Parquet) table, one JSON file per clip, the history file, the summary.

Durability: each finished clip is one JSON line appended to ``<table>.batch.jsonl``, flushed and fsynced
before the next; a line cut short by a crash or power loss is dropped when the store is opened again, so a
result is either whole or absent. The table is rewritten from the results as a new file that then replaces
the old one (``os.replace``), so it never holds a half row either. Only the process running the batch writes
these files (workers send their results to it), and a lock keeps a second batch from writing the same store.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import importlib
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from vision.advice import norms
from vision.batch.run import STATUS_CRASHED, STATUS_ERROR, ClipJob, ClipResult, measured_at, with_key
from vision.errors import InputError
from vision.results import STATUS_OK
from vision.storage import HistoryStore, MeasurementRecord

STORE_SUFFIX = ".batch.jsonl"
#: The table's columns: the clip, then the headline figures as ``dorsiflex measure --json`` gives them.
CSV_COLUMNS = (
    "path",
    "person",
    "date",
    "notes",
    "status",
    "status_message",
    "side",
    "shin_angle_deg",
    "shin_angle_uncertainty_deg",
    "shin_angle_source",
    "tibia_axis_deg",
    "tibia_axis_uncertainty_deg",
    "knee_over_toe_cm",
    "knee_over_toe_uncertainty_cm",
    "toe_to_wall_cm",
    "toe_to_wall_uncertainty_cm",
    "knee_reached_wall",
    "scale_source",
    "valid_reps",
    "reps",
    "warnings",
    "sha256",
    "key",
)
_PEAK_COLUMNS = CSV_COLUMNS[7:14]
_WALL_COLUMNS = ("toe_to_wall_cm", "toe_to_wall_uncertainty_cm", "knee_reached_wall")
_NUMBER_COLUMNS = tuple(c for c in CSV_COLUMNS if c.endswith(("_deg", "_cm")))
WARNING_SEPARATOR = " | "
#: The table is rewritten at most this often while clips finish (and always at the end).
TABLE_EVERY_S = 2.0

Cell = str | float | int | bool | None
Row = dict[str, Cell]
Engine = Callable[[Sequence[ClipJob]], Iterator[ClipResult]]


def store_path(table: Path) -> Path:
    """The results store beside a batch's table: ``results.csv`` -> ``results.batch.jsonl``."""
    return table.with_suffix(STORE_SUFFIX)


# ---------------------------------------------------------------- the results store


class ResultStore:
    """Finished clips (by result key) and content hashes (by path, size and time), one JSON line each."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None
        self._results: dict[str, ClipResult] = {}
        self._hashes: dict[tuple[str, int, int], str] = {}

    def __enter__(self) -> ResultStore:
        created = not self.path.exists()
        try:
            self._file = self.path.open("a+b")
        except OSError as err:
            raise InputError(f"cannot write {self.path}: {err.strerror}") from None
        try:
            _lock(self._file, self.path)
        except InputError:
            self.__exit__()
            raise
        self._file.seek(0)
        content = self._file.read()
        whole = content.rfind(b"\n") + 1
        if whole < len(content):  # the last line was cut short (crash, power loss): drop it
            self._file.truncate(whole)
            _sync(self._file)
        for line in content[:whole].splitlines():
            self._load(line)
        if created:
            _sync_folder(self.path.parent)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def get(self, key: str) -> ClipResult | None:
        return self._results.get(key)

    def add(self, result: ClipResult) -> None:
        """Store a finished clip durably (a crashed clip is not stored: the next run tries it again)."""
        if result.status == STATUS_CRASHED:
            return
        fields = dataclasses.asdict(dataclasses.replace(result, measurement=None))
        del fields["measurement"]
        self._append({"result": fields, "finished_at": datetime.now(UTC).isoformat(timespec="seconds")})
        _sync(self._opened())
        self._results[result.key] = result

    def sha256(self, path: Path) -> str:
        """The file's SHA-256, remembered by path, size and modification time (hashed again on a change)."""
        from vision.batch.run import file_sha256

        try:
            stat = path.stat()
        except OSError as err:
            raise InputError(f"cannot read {path}: {err.strerror}") from None
        ident = (str(path), stat.st_size, stat.st_mtime_ns)
        if ident not in self._hashes:
            self._hashes[ident] = file_sha256(path)
            self._append({"hash": [*ident, self._hashes[ident]]})  # a cache: not synced on its own
        return self._hashes[ident]

    def _load(self, line: bytes) -> None:
        try:
            entry = json.loads(line)
            if "result" in entry:
                result = ClipResult(**entry["result"])
                self._results[result.key] = result
            elif "hash" in entry:
                path, size, mtime_ns, digest = entry["hash"]
                self._hashes[(str(path), int(size), int(mtime_ns))] = str(digest)
        except (ValueError, TypeError, KeyError):
            pass  # not a line this version wrote: ignored (its clip is measured again)

    def _append(self, entry: Mapping[str, Any]) -> None:
        file = self._opened()
        file.write(json.dumps(entry, allow_nan=False, separators=(",", ":")).encode() + b"\n")
        file.flush()

    def _opened(self) -> IO[bytes]:
        if self._file is None:
            raise RuntimeError("ResultStore is not open: use `with ResultStore(path) as store`")
        return self._file


def _lock(file: IO[bytes], path: Path) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        return
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise InputError(f"another dorsiflex batch is writing {path}: wait for it to finish") from None


def _sync(file: IO[bytes]) -> None:
    file.flush()
    os.fsync(file.fileno())


def _sync_folder(folder: Path) -> None:
    """Make a new or replaced file's name durable (POSIX; elsewhere a no-op)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------- table, JSON files


def table_row(job: ClipJob, result: ClipResult) -> Row:
    """One clip's row: who and what, its status, and the headline figures of its JSON (None: no value)."""
    data = result.data or {}
    peak = data.get("peak") or {}
    wall = peak.get("wall") or {}
    reps = data.get("reps") or []
    row: Row = {
        "path": job.shown,
        "person": job.person,
        "date": job.date,
        "notes": job.notes,
        "status": result.status,
        "status_message": message(job, result),
        "side": data.get("side"),
    }
    row |= {column: peak.get(column) for column in _PEAK_COLUMNS}
    row |= {column: wall.get(column) for column in _WALL_COLUMNS}
    row |= {
        "scale_source": (data.get("scale") or {}).get("source"),
        "valid_reps": sum(bool(rep.get("valid")) for rep in reps) if data else None,
        "reps": len(reps) if data else None,
        "warnings": WARNING_SEPARATOR.join(data.get("warnings") or []),
        "sha256": job.sha256,
        "key": job.key,
    }
    return row


def message(job: ClipJob, result: ClipResult) -> str | None:
    """The one-line reason, naming the clip as the user did (as ``dorsiflex measure`` would)."""
    return result.message.replace(result.path, job.shown) if result.message else None


def write_csv(path: Path, rows: Sequence[Row]) -> None:
    """Write the table as a new file that replaces ``path`` whole (never a half row)."""
    with _replacing(path, "w") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        writer.writerows([_csv_cell(row.get(column)) for column in CSV_COLUMNS] for row in rows)


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parquet_problem() -> str | None:
    """Why Parquet cannot be written here (None: it can)."""
    try:
        importlib.import_module("pandas")
        importlib.import_module("pyarrow")
    except ImportError:
        return "writing Parquet needs pandas and pyarrow: pip install pyarrow (or leave out --parquet)"
    return None


def write_parquet(path: Path, rows: Sequence[Row]) -> None:
    """The table as Parquet (typed columns: numbers as float, missing values null), replacing ``path``."""
    pd: Any = importlib.import_module("pandas")  # optional here (untyped): only with --parquet
    frame = pd.DataFrame.from_records(list(rows), columns=list(CSV_COLUMNS))
    for column in (*_NUMBER_COLUMNS, "valid_reps", "reps"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame["knee_reached_wall"] = frame["knee_reached_wall"].astype("boolean")
    with _replacing(path, "wb") as file:
        frame.to_parquet(file, index=False)


def json_file(folder: Path, job: ClipJob) -> Path:
    """Where ``--json-dir`` puts a clip's JSON: its name and the start of its result key (unique)."""
    return folder / f"{Path(job.shown).stem}_{job.key[:12]}.json"


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """The clip's JSON, as ``dorsiflex measure --json`` prints it."""
    with _replacing(path, "w") as file:
        file.write(json.dumps(data, indent=2, allow_nan=False) + "\n")


@contextlib.contextmanager
def _replacing(path: Path, mode: str) -> Iterator[Any]:
    """A temporary file beside ``path`` that replaces it once written and synced (removed on failure)."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        binary = "b" in mode
        with open(fd, mode, newline=None if binary else "", encoding=None if binary else "utf-8") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(path.parent)


# ---------------------------------------------------------------- history


class HistorySaver:
    """Saves each good result under its person in the app's history file (the app's record, its store).

    Idempotent: a record already in the file (every field equal) is not saved again. The date is the
    manifest's, else the clip file's modification time. A result without a person is not saved.
    """

    def __init__(self, db: Path | None) -> None:
        self.store = HistoryStore(db) if db is not None else None
        self.counts: Counter[str] = Counter()

    def __enter__(self) -> HistorySaver:
        if self.store is not None:
            self.store.open()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.store is not None:
            self.store.close()

    def save(self, job: ClipJob, result: ClipResult) -> None:
        if self.store is None or result.record is None:
            return
        if not job.person.strip():
            self.counts["no person"] += 1
            return
        record = history_record(job, result.record)
        kept = self.store.list(person=record.person, side=record.side)
        if any(dataclasses.replace(old, id=None) == record for old in kept):
            self.counts["already saved"] += 1
        else:
            self.store.add(record)
            self.counts["saved"] += 1


def history_record(job: ClipJob, fields: Mapping[str, Any]) -> MeasurementRecord:
    """The app's record of a result (``fields`` from ``record_from_analysis``) under the job's person."""
    if job.date:
        when = measured_at(job.date)
    else:
        when = datetime.fromtimestamp(job.path.stat().st_mtime, UTC).replace(microsecond=0)
    return MeasurementRecord(person=job.person.strip(), measured_at=when, notes=job.notes, **fields)


# ---------------------------------------------------------------- summary


@dataclass(frozen=True)
class PersonSides:
    """A person's latest result per side (by manifest date, then input order) and, with both, the asymmetry
    as the app's left-versus-right page judges it."""

    person: str
    left: norms.SideResult | None
    right: norms.SideResult | None
    asymmetry: norms.Asymmetry | None


@dataclass(frozen=True)
class Summary:
    total: int  # clips in the batch
    counts: tuple[tuple[str, int], ...]  # clips by status, most first
    skipped: int  # done by an earlier run
    people: tuple[PersonSides, ...]
    without_result: tuple[tuple[str, str, str], ...]  # path, status, reason of every clip not ok
    history: tuple[tuple[str, int], ...]  # saved / already saved / no person


def summarise(
    total: int, rows: Sequence[tuple[ClipJob, ClipResult]], skipped: int, history: Counter[str]
) -> Summary:
    counts = Counter(result.status for _, result in rows)
    latest: dict[tuple[str, str], tuple[str, int, norms.SideResult]] = {}
    for index, (job, result) in enumerate(rows):
        fields = result.record
        if fields is None or not job.person:
            continue
        side = norms.SideResult(float(fields["shin_angle_deg"]), fields.get("knee_over_toe_cm"))
        slot = (job.person, str(fields["side"]))
        if slot not in latest or (job.date, index) >= latest[slot][:2]:
            latest[slot] = (job.date, index, side)
    people = []
    for person in sorted({person for person, _ in latest}, key=str.casefold):
        left, right = latest.get((person, "left")), latest.get((person, "right"))
        people.append(
            PersonSides(
                person,
                left[2] if left else None,
                right[2] if right else None,
                norms.asymmetry(left[2], right[2]) if left and right else None,
            )
        )
    without = tuple(
        (job.shown, result.status, message(job, result) or "")
        for job, result in rows
        if result.status != STATUS_OK
    )
    return Summary(
        total, tuple(counts.most_common()), skipped, tuple(people), without, tuple(history.items())
    )


# ---------------------------------------------------------------- the batch


@dataclass(frozen=True)
class BatchOutputs:
    table: Path  # the CSV
    parquet: Path | None = None
    json_dir: Path | None = None
    history_db: Path | None = None


@dataclass(frozen=True)
class BatchProgress:
    phase: str  # "hashing" (reading the clips) or "measuring"
    total: int  # clips in the batch
    done: int  # clips with a row (skipped ones included)
    failed: int  # of those, clips that could not be measured
    skipped: int  # done by an earlier run
    measured: int  # measured by this run
    elapsed_s: float  # since this run's measuring started


def run_batch(
    jobs: Sequence[ClipJob],
    outputs: BatchOutputs,
    engine: Engine,
    progress: Callable[[BatchProgress], None] | None = None,
) -> Summary:
    """Measure the clips not measured yet (by content and options), write every output, return the summary.

    Interrupted (Ctrl-C), the table still gets every clip finished so far; the store has them all anyway.
    """
    total = len(jobs)
    rows: list[ClipResult | None] = [None] * total
    skipped = measured = failed = 0
    start = time.monotonic()

    def report(phase: str, done: int) -> None:
        if progress is not None:
            progress(BatchProgress(phase, total, done, failed, skipped, measured, time.monotonic() - start))

    with ResultStore(store_path(outputs.table)) as store, HistorySaver(outputs.history_db) as history:
        keyed: list[ClipJob] = []
        for index, job in enumerate(jobs):
            report("hashing", index)
            if not job.problem:
                try:
                    job = with_key(job, store.sha256(job.path))
                except InputError as err:
                    job = dataclasses.replace(job, problem=str(err))
            keyed.append(job)

        def finish(index: int, result: ClipResult) -> None:
            nonlocal failed
            rows[index] = result
            failed += result.failed
            job = keyed[index]
            if outputs.json_dir is not None and result.data is not None:
                target = json_file(outputs.json_dir, job)
                if not target.exists():
                    write_json(target, result.data)
            history.save(job, result)

        todo: dict[str, list[int]] = {}
        for index, job in enumerate(keyed):
            stored = store.get(job.key) if not job.problem else None
            if job.problem:
                finish(index, ClipResult(str(job.path), "", STATUS_ERROR, job.problem))
            elif stored is not None:
                skipped += 1
                finish(index, stored)
            else:
                todo.setdefault(job.key, []).append(index)

        def write_tables(final: bool) -> None:
            done = [(keyed[i], result) for i, result in enumerate(rows) if result is not None]
            table = [table_row(job, result) for job, result in done]
            write_csv(outputs.table, table)
            if final and outputs.parquet is not None:
                write_parquet(outputs.parquet, table)

        written = time.monotonic()
        start = time.monotonic()
        report("measuring", skipped + failed)
        try:
            for result in engine([keyed[indices[0]] for indices in todo.values()]):
                store.add(result)
                measured += 1
                for index in todo[result.key]:
                    finish(index, result)
                report("measuring", sum(row is not None for row in rows))
                if time.monotonic() - written >= TABLE_EVERY_S:
                    write_tables(final=False)
                    written = time.monotonic()
        finally:
            write_tables(final=True)
        done_rows = [(keyed[i], result) for i, result in enumerate(rows) if result is not None]
        return summarise(total, done_rows, skipped, history.counts)
