"""Many clips at once: the clips that files, folders and CSV manifests name, the per-clip function, the keys
that make a batch resumable, and a pool of worker processes that each build the pose model once.

This is the engine-agnostic core of ``dorsiflex batch`` and of :func:`measure_many`; the results store, the
table and the summary are in :mod:`vision.batch.output`, the Ray engine in :mod:`vision.batch.ray_engine`.

Every clip is measured by :func:`run_clip` exactly as ``dorsiflex measure`` measures it (the same
:func:`vision.pipeline.measure`, the same options, the same JSON), with the worker's pose model reset between
clips. A clip that cannot be measured gets a result with its status and a one-line reason; it never stops the
others.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import ctypes.util
import dataclasses
import hashlib
import io
import json
import math
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2

from vision.errors import InputError
from vision.pipeline import MeasureOptions, measure
from vision.pose.landmarks import PoseEstimator, Side
from vision.startup import VIDEO_SUFFIXES, limit_heap_growth

if TYPE_CHECKING:
    from vision.results import Measurement

#: A clip that could not be measured: unreadable or unusable (the one-line reason ``dorsiflex measure`` gives,
#: exit code 2 there), or named in a manifest but missing. Deterministic for the file's bytes: stored.
STATUS_ERROR = "error"
#: The worker measuring the clip died (killed, out of memory) or failed unexpectedly. Not stored, so the next
#: run of the same batch tries the clip again.
STATUS_CRASHED = "crashed"
MANIFEST_COLUMNS = ("path", "person", "side", "foot_length_cm", "date", "notes")
#: Files whose code does not change what a clip measures (paths inside the package, without ``.py``), and
#: folders of such files (the app's computations, drawings and reports). Every other file of the package (the
#: measuring stages, this module, the fitted models) is part of a result's key.
_NOT_IN_KEY = frozenset(
    {"cli", "cli_batch", "storage", "advice/drills", "batch/output", "batch/ray_engine", "scene/marker"}
)
_NOT_IN_KEY_FOLDERS = frozenset({"app", "output"})
_CHUNK_BYTES = 1 << 20
_PR_SET_PDEATHSIG = 1  # prctl(2)
#: Fields of a history record that come from the person, not the clip: set when the record is saved.
_PERSON_FIELDS = ("person", "measured_at", "notes", "video_path", "id")


@dataclass(frozen=True)
class ClipJob:
    """One clip to measure and what the batch knows about it.

    ``path`` is absolute (a worker, maybe on another machine, opens it); ``shown`` is the path as the user
    named it (the table's ``path`` column). ``person``, ``date`` (ISO text, as given) and ``notes`` come from
    a manifest. ``sha256`` (of the file's bytes) and ``key`` are set by :func:`with_key`. ``problem`` says why
    a clip cannot be read at all (a manifest naming a missing file): it is reported, not measured.
    """

    path: Path
    shown: str
    options: MeasureOptions
    person: str = ""
    date: str = ""
    notes: str = ""
    sha256: str = ""
    key: str = ""
    problem: str = ""


@dataclass(frozen=True)
class ClipResult:
    """What one clip gave.

    ``status`` is the measurement's (``ok``, ``no_valid_rep``, ``not_a_lunge``), :data:`STATUS_ERROR` or
    :data:`STATUS_CRASHED`; ``message`` is the one-line reason when there is no result. ``data`` is
    :meth:`Measurement.to_dict`, what ``dorsiflex measure --json`` prints (None for an error). ``record`` is
    the history record the app would save (its figures; None without a result). ``measurement`` is the
    :class:`~vision.results.Measurement` itself, only from :func:`measure_many` (it is never stored).
    ``seconds`` and ``worker_peak_mb`` (the worker process's peak resident memory so far) are for benchmarks.
    """

    path: str
    key: str
    status: str
    message: str | None
    data: Mapping[str, Any] | None = None
    record: Mapping[str, Any] | None = None
    seconds: float = 0.0
    worker_peak_mb: float | None = None
    measurement: Measurement | None = field(default=None, compare=False, repr=False)

    @property
    def failed(self) -> bool:
        """The clip could not be measured (as opposed to measured without a result)."""
        return self.status in (STATUS_ERROR, STATUS_CRASHED)


#: Measures one clip in a worker: ``(job, models, keep_measurement) -> result``; must be picklable by name.
ClipFunction = Callable[[ClipJob, "PoseModels", bool], ClipResult]


# ---------------------------------------------------------------- inputs


def collect_jobs(inputs: Sequence[Path], options: MeasureOptions, person: str = "") -> list[ClipJob]:
    """The clips named by ``inputs``: video files, folders (searched recursively) and CSV manifests.

    ``options`` apply to every clip; a manifest's ``side`` and ``foot_length_cm`` override them for its
    rows, and its ``person`` overrides ``person``. Raises :class:`InputError` (one line) for a path that
    does not exist, a file neither a video nor a ``.csv`` manifest, a malformed manifest, or no clip at all.
    """
    jobs: list[ClipJob] = []
    for item in inputs:
        if item.is_dir():
            clips = find_videos(item)
            if not clips:
                raise InputError(f"no video ({', '.join(VIDEO_SUFFIXES)}) found in folder {item}")
            jobs += [ClipJob(_absolute(clip), str(clip), options, person=person) for clip in clips]
        elif item.suffix.lower() == ".csv":
            jobs += read_manifest(item, options, person)
        elif not item.exists():
            raise InputError(f"{item} not found")
        elif item.suffix.lower() not in VIDEO_SUFFIXES:
            raise InputError(
                f"{item} is not a video ({', '.join(VIDEO_SUFFIXES)}), a folder or a CSV manifest (.csv)"
            )
        else:
            jobs.append(ClipJob(_absolute(item), str(item), options, person=person))
    if not jobs:
        raise InputError("no clips to measure")
    return jobs


def find_videos(folder: Path) -> list[Path]:
    """Video files under ``folder`` (recursively, by suffix), in name order; hidden files and folders (such
    as macOS's ``._clip.mp4``) are skipped."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [
            Path(root) / name
            for name in sorted(files)
            if not name.startswith(".") and Path(name).suffix.lower() in VIDEO_SUFFIXES
        ]
    return found


def read_manifest(path: Path, options: MeasureOptions, person: str = "") -> list[ClipJob]:
    """The clips of a CSV manifest: a header naming the columns (``path`` required; ``person``, ``side``,
    ``foot_length_cm``, ``date``, ``notes`` optional, in any order), then one clip per row. A relative path
    is relative to the manifest's folder. A row naming a missing file becomes a job with a ``problem``; a bad
    value is an :class:`InputError` naming the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"manifest {path} not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a text CSV file (UTF-8): save it again as CSV") from None
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from None
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=";" if ";" in first and "," not in first else ",")
    header = [cell.strip().lower() for cell in next(reader, [])]
    columns = ", ".join(MANIFEST_COLUMNS)
    if "path" not in header:
        raise InputError(
            f"{path}: the first line must name the columns, at least `path` (columns: {columns})"
        )
    unknown = sorted(set(header) - set(MANIFEST_COLUMNS) - {""})
    if unknown:
        raise InputError(f"{path}: unknown column {', '.join(unknown)} (columns: {columns})")
    jobs = []
    for row in reader:
        where = f"{path} line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise InputError(
                f"{where}: {len(row)} cells but {len(header)} columns (quote a value with a comma)"
            )
        cells = {name: cell.strip() for name, cell in zip(header, row, strict=False)}
        if not cells.get("path"):
            raise InputError(f"{where}: the path is empty")
        clip = Path(cells["path"]).expanduser()
        clip = clip if clip.is_absolute() else path.parent / clip
        side = _manifest_side(cells.get("side", ""), where)
        foot = _manifest_foot(cells.get("foot_length_cm", ""), where)
        date = cells.get("date", "")
        if date:
            measured_at(date, where)  # checked now, not after hours of measuring
        clip_options = dataclasses.replace(
            options,
            side=side or options.side,
            foot_length_cm=foot if foot is not None else options.foot_length_cm,
        )
        problem = "" if clip.is_file() else f"{clip} not found (named in {where})"
        shown = os.path.normpath(clip)
        jobs.append(
            ClipJob(
                _absolute(clip),
                shown,
                clip_options,
                cells.get("person") or person,
                date,
                cells.get("notes", ""),
                problem=problem,
            )
        )
    return jobs


def _absolute(path: Path) -> Path:
    """``path`` from the root, without resolving links (a linked clip keeps its name)."""
    return Path(os.path.abspath(path))


def _manifest_side(text: str, where: str) -> Side | None:
    side = text.lower()
    if side in ("", "auto"):
        return None
    if side in ("left", "l"):
        return "left"
    if side in ("right", "r"):
        return "right"
    raise InputError(f"{where}: side must be left, right or empty, got {text!r}")


def _manifest_foot(text: str, where: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{where}: foot_length_cm must be a length in cm (such as 26.5), got {text!r}")
    return value


def measured_at(date: str, where: str = "date") -> datetime:
    """When a test was done, from a manifest's ISO date (noon UTC: the same calendar day everywhere) or
    date and time (local time unless it names its offset). Raises :class:`InputError`."""
    try:
        moment = datetime.fromisoformat(date)
    except ValueError:
        raise InputError(f"{where}: date must be YYYY-MM-DD (or YYYY-MM-DD HH:MM), got {date!r}") from None
    if len(date) <= len("YYYY-MM-DD"):
        return moment.replace(hour=12, tzinfo=UTC)
    return moment.astimezone(UTC)


# ---------------------------------------------------------------- keys


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes (hex). Raises :class:`InputError` when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as file:
            while chunk := file.read(_CHUNK_BYTES):
                digest.update(chunk)
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from None
    return digest.hexdigest()


@cache
def engine_fingerprint() -> str:
    """SHA-256 of the measuring code and fitted models of this installation: results measured by other code
    are measured again, not reused."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for file in sorted([*package.rglob("*.py"), *package.rglob("*.json")]):
        name = file.relative_to(package).with_suffix("").as_posix()
        folder = name.split("/")[0]
        if name not in _NOT_IN_KEY and file.stem != "__init__" and folder not in _NOT_IN_KEY_FOLDERS:
            digest.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def result_key(sha256: str, options: MeasureOptions) -> str:
    """The key of a clip's result: the clip's bytes, every measuring option and the measuring code."""
    payload = {"clip_sha256": sha256, "options": dataclasses.asdict(options), "engine": engine_fingerprint()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def with_key(job: ClipJob, sha256: str) -> ClipJob:
    """``job`` with its content hash and result key set."""
    return dataclasses.replace(job, sha256=sha256, key=result_key(sha256, job.options))


# ---------------------------------------------------------------- one clip


class PoseModels:
    """A worker's pose models: built on first use (one per tracking mode) and reused for every clip."""

    def __init__(self) -> None:
        self._models: dict[bool, PoseEstimator] = {}

    def get(self, tracking: bool) -> PoseEstimator:
        if tracking not in self._models:
            self._models[tracking] = PoseEstimator(tracking=tracking)
        return self._models[tracking]

    def close(self) -> None:
        for model in self._models.values():
            model.close()
        self._models.clear()


def run_clip(job: ClipJob, models: PoseModels, keep_measurement: bool = False) -> ClipResult:
    """Measure one clip as ``dorsiflex measure`` would, with a reused pose model; never raises for a clip."""
    start = time.perf_counter()
    path = str(job.path)
    if job.problem:
        return ClipResult(path, job.key, STATUS_ERROR, job.problem)
    # OpenCV's random generator as a fresh process has it (RNG(0) is its default state), so that a worker's
    # tenth clip is measured exactly as `dorsiflex measure` measures it even if a step draws from it unseeded.
    cv2.setRNGSeed(0)
    try:
        m = measure(job.path, job.options, estimator=models.get(job.options.pose_tracking))
        data = json.loads(json.dumps(m.to_dict(), allow_nan=False))
        record = _record_fields(job, m)
    except InputError as err:
        return ClipResult(
            path, job.key, STATUS_ERROR, one_line(str(err)), seconds=time.perf_counter() - start
        )
    except Exception as err:  # noqa: BLE001 - one clip's failure must not stop the batch: it is its row
        models.close()  # the model may be in a bad state: the next clip builds a new one
        reason = f"unexpected {type(err).__name__} while measuring: {one_line(str(err))}"
        return ClipResult(path, job.key, STATUS_CRASHED, reason, seconds=time.perf_counter() - start)
    return ClipResult(
        path,
        job.key,
        m.status,
        one_line(m.status_message) if m.status_message else None,
        data,
        record,
        time.perf_counter() - start,
        measurement=m if keep_measurement else None,
    )


def _record_fields(job: ClipJob, m: Measurement) -> dict[str, Any] | None:
    """The clip's figures in the history record the app saves (``record_from_analysis``), without the
    fields the person gives (name, date, notes): None without a result."""
    from vision.app import logic as app_logic  # the app's own rules for what a saved test holds

    if not app_logic.has_result(m):
        return None
    analysis = app_logic.ClipAnalysis(
        clip_name=job.path.name,
        digest=job.sha256,
        foot_length_cm=job.options.foot_length_cm,
        measurement=m,
        peak_png=b"",
        peak_raw_png=b"",
        annotated_mp4=b"",
        frames_csv=b"",
    )
    try:
        record = app_logic.record_from_analysis(analysis, "(batch)", datetime.now(UTC))
    except InputError:  # the app would offer no Save button either
        return None
    fields = dataclasses.asdict(record)
    for name in _PERSON_FIELDS:
        fields.pop(name)
    return fields


def one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"


def peak_rss_mb() -> float | None:
    """This process's peak resident memory in MB (None where the platform does not say)."""
    try:
        import resource
    except ImportError:
        return None
    peak = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


# ---------------------------------------------------------------- worker processes


def default_workers() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _worker_main(conn: Connection, keep_measurement: bool, clip_function: ClipFunction, parent: int) -> None:
    """A worker process: measure the jobs the parent sends (None: stop) with one set of pose models."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the workers
    _die_with_parent(parent)
    limit_heap_growth()
    models = PoseModels()
    try:
        while (job := conn.recv()) is not None:
            result = clip_function(job, models, keep_measurement)
            conn.send(dataclasses.replace(result, worker_peak_mb=peak_rss_mb()))
    except (EOFError, OSError):
        pass  # the parent is gone: nobody wants the result
    finally:
        models.close()


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this worker when the batch process dies (``kill -9``), rather than leaving it
    to finish a clip nobody will collect. Elsewhere the worker stops at its next clip (the pipe is closed)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the call
        os._exit(1)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    job: ClipJob | None = None


class ProcessPool:
    """Worker processes (spawned), each building its pose models once. Clips are handed out one at a time,
    so when a worker dies the clip it held is known: it gets a :data:`STATUS_CRASHED` result and a new
    worker takes the next clip. Results come back as they finish."""

    def __init__(self, workers: int, keep_measurement: bool = False, clip_function: ClipFunction = run_clip):
        self.workers = max(1, workers)
        self.keep_measurement = keep_measurement
        self.clip_function = clip_function
        self._context = multiprocessing.get_context("spawn")

    def map(self, jobs: Iterable[ClipJob]) -> Iterator[ClipResult]:
        """Measure ``jobs``; yield each result as it finishes. Closing the iterator stops the workers."""
        pending = deque(jobs)
        workers: list[_Worker] = []
        finished = False
        try:
            while pending or any(w.job is not None for w in workers):
                while pending and len(workers) < self.workers:
                    workers.append(self._start())
                for worker in workers:
                    if worker.job is None and pending:
                        worker.job = pending.popleft()
                        with contextlib.suppress(OSError):  # it died: seen below
                            worker.conn.send(worker.job)
                busy = [w for w in workers if w.job is not None]
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for worker in busy:
                    if worker.conn in ready or worker.process.sentinel in ready:
                        result = self._collect(worker)
                        if worker.job is not None:  # it died with its clip: replace it
                            workers.remove(worker)
                            worker.conn.close()
                            worker.job = None
                        yield result
            finished = True
        finally:
            for worker in workers:
                _stop(worker, graceful=finished)

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main,
            args=(child, self.keep_measurement, self.clip_function, os.getpid()),
            daemon=True,
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def _collect(self, worker: _Worker) -> ClipResult:
        job = worker.job
        assert job is not None
        try:
            if worker.conn.poll():
                result: ClipResult = worker.conn.recv()
                worker.job = None
                return result
        except (EOFError, OSError):
            pass
        worker.process.join(timeout=5)
        return crashed(job, worker.process.exitcode)


def crashed(job: ClipJob, exitcode: int | None, engine: str = "worker process") -> ClipResult:
    """The result of a clip whose worker died while measuring it."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
        if -exitcode == signal.SIGKILL:
            how += ", perhaps out of memory"
    else:
        how = f"exit code {exitcode}" if exitcode is not None else "no exit code"
    return ClipResult(
        str(job.path), job.key, STATUS_CRASHED, f"the {engine} measuring this clip died ({how})"
    )


def _stop(worker: _Worker, graceful: bool) -> None:
    if graceful:
        with contextlib.suppress(OSError):
            worker.conn.send(None)
        worker.process.join(timeout=10)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join(timeout=10)
    worker.conn.close()


def measure_many(
    paths: Iterable[str | os.PathLike[str]],
    options: MeasureOptions | None = None,
    workers: int | None = None,
) -> Iterator[ClipResult]:
    """Measure many clips in parallel worker processes (``workers``: default one per CPU), each reusing its
    pose model; yield each clip's :class:`ClipResult` as it finishes (``result.measurement`` is the
    :class:`~vision.results.Measurement`, None when ``result.status`` is an error).

    Workers are spawned: in a script, call it under ``if __name__ == "__main__":``.
    """
    options = options or MeasureOptions()
    jobs = [ClipJob(_absolute(Path(p)), str(p), options) for p in paths]
    yield from ProcessPool(workers or default_workers(), keep_measurement=True).map(jobs)
