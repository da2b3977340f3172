"""``dorsiflex batch``: many clips measured in parallel, resumable, into one table (the command-line layer;
the work is in :mod:`vision.batch.run`, :mod:`vision.batch.output` and :mod:`vision.batch.ray_engine`).

Like :mod:`vision.cli`, only this module writes to stdout/stderr: the summary goes to stdout, a progress bar
to stderr when it is a terminal. Nothing heavy is imported until the command runs (``--help`` stays fast).
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from vision.errors import InputError

if TYPE_CHECKING:
    from vision.batch.output import BatchProgress, Summary
    from vision.batch.ray_engine import RayPool
    from vision.pipeline import MeasureOptions

EXIT_OK = 0
EXIT_NO_RESULT = 3  # vision.cli.EXIT_NO_RESULT: some clip has no result (or could not be measured)
EXIT_INTERRUPTED = 130
STATUS_OK = "ok"  # vision.results.STATUS_OK (not imported: keeps --help fast)
BAR_WIDTH = 24


def add_parser(commands: Any, measure_options: Sequence[tuple[Sequence[str], dict[str, Any]]]) -> None:
    """The ``batch`` subcommand; ``measure_options`` are ``measure``'s options that change a result."""
    b = commands.add_parser(
        "batch",
        help="measure many clips (files, folders, CSV manifests) in parallel into one table",
        description=(
            "Measure every clip named by INPUT exactly as `dorsiflex measure` would, in parallel worker "
            "processes (or on Ray), into one CSV row per clip. Resumable: results are kept in "
            "<OUTPUT>.batch.jsonl by the clip's content and the options, so running the same command "
            "again only measures what is not done yet."
        ),
        epilog=(
            "A manifest is a CSV file with a header naming its columns: path (required; relative to the "
            "manifest's folder), person, side (left/right), foot_length_cm, date (YYYY-MM-DD), notes. "
            "Exit codes: 0 every clip has a result; 3 some clip has none or could not be measured (its row "
            "says why); 2 bad input or option (nothing measured); 130 interrupted (what finished is kept)."
        ),
    )
    b.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="clip, folder or manifest .csv")
    b.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.csv", help="the table to write")
    b.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="clips measured at once (default: one per CPU here; with --address, per CPU of the cluster)",
    )
    b.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local worker processes (default), or Ray actors (pip install 'dorsiflex[cluster]')",
    )
    b.add_argument(
        "--address",
        metavar="ADDR",
        help="with --engine ray: join this Ray cluster (host:port) instead of starting a local Ray",
    )
    b.add_argument("--json-dir", type=Path, metavar="DIR", help="also write each clip's full JSON here")
    b.add_argument("--parquet", type=Path, metavar="FILE.parquet", help="also write the table as Parquet")
    b.add_argument(
        "--save-history",
        type=Path,
        metavar="DB",
        help="save every result under its person in this history file (the app's), once",
    )
    b.add_argument(
        "--person", default="", metavar="NAME", help="the person of clips a manifest gives none for"
    )
    for flags, kwargs in measure_options:
        b.add_argument(*flags, **kwargs)
    b.set_defaults(handler=batch_command)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {text!r}")
    return value


def measure_options(args: argparse.Namespace) -> MeasureOptions:
    """The measuring options ``measure`` and ``batch`` share (cli.MEASURE_OPTIONS), from parsed arguments."""
    from vision.pipeline import MeasureOptions

    return MeasureOptions(
        side=args.side,
        foot_length_cm=args.foot_length_cm,
        marker_size_cm=args.marker_size_cm,
        paper=args.paper,
        analysis_fps=args.analysis_fps,
        coarse_fps=args.coarse_fps or None,
    )


def batch_command(args: argparse.Namespace) -> int:
    from vision.batch import output as batch_output
    from vision.batch import run as batch

    outputs = _outputs(args)
    if args.address and args.engine != "ray":
        raise InputError("--address is for --engine ray")
    jobs = batch.collect_jobs(args.inputs, measure_options(args), person=args.person.strip())
    pool: RayPool | None = None
    if args.engine == "ray":
        from vision.batch.ray_engine import RayPool, import_ray

        import_ray()  # fail now, not after reading every clip
        pool = RayPool(args.workers or (None if args.address else batch.default_workers()), args.address)
        if args.address:
            pool.connect()  # a local Ray starts only if some clip needs measuring
        engine = pool.map
    else:
        engine = batch.ProcessPool(args.workers or batch.default_workers()).map
    bar = _ProgressBar()
    last: list[BatchProgress] = []

    def progress(state: BatchProgress) -> None:
        last[:] = [state]
        bar.update(state)

    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill`: stop as with Ctrl-C, keeping what finished
    try:
        summary = batch_output.run_batch(jobs, outputs, engine, progress)
    except KeyboardInterrupt:
        bar.clear()
        done = f"{last[0].done} of {last[0].total}" if last else "no"
        sys.stderr.write(
            f"interrupted: {done} clips done, kept in {outputs.table} and "
            f"{batch_output.store_path(outputs.table)}; run the same command again to measure the rest\n"
        )
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
        bar.clear()
        if pool is not None:
            pool.close()
    sys.stdout.write(format_summary(summary, outputs))
    every_ok = all(status == STATUS_OK for status, _ in summary.counts)
    return EXIT_OK if every_ok else EXIT_NO_RESULT


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _outputs(args: argparse.Namespace) -> Any:
    """The output paths, checked before anything is measured."""
    from vision.batch.output import BatchOutputs, parquet_problem

    table: Path = args.output
    if table.suffix.lower() != ".csv":
        raise InputError(f"-o writes a CSV table: name it *.csv, not {table.name}")
    files = [(table, "-o")] + [
        (p, f) for p, f in ((args.parquet, "--parquet"), (args.save_history, "--save-history")) if p
    ]
    inputs = {p.resolve() for p in args.inputs if p.exists()}
    for path, flag in files:
        if path.exists() and path.resolve() in inputs:
            raise InputError(f"{path} ({flag}) is an input: give the output another file name")
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise InputError(f"cannot write {path} ({flag}): folder {folder} does not exist")
        if path.is_dir():
            raise InputError(f"cannot write {path} ({flag}): it is a folder, give a file name")
    if args.parquet is not None:
        if args.parquet.suffix.lower() != ".parquet":
            raise InputError(f"--parquet writes Parquet: name it *.parquet, not {args.parquet.name}")
        problem = parquet_problem()
        if problem:
            raise InputError(problem)
    json_dir: Path | None = args.json_dir
    if json_dir is not None:
        if json_dir.exists() and not json_dir.is_dir():
            raise InputError(f"--json-dir {json_dir} is a file: give a folder")
        try:
            json_dir.mkdir(exist_ok=True)
        except OSError as err:
            raise InputError(f"cannot make folder {json_dir} (--json-dir): {err.strerror}") from None
    return BatchOutputs(table, args.parquet, json_dir, args.save_history)


# ---------------------------------------------------------------- output


def format_summary(summary: Summary, outputs: Any) -> str:
    """What the batch did, in a few lines: counts by status, the clips without a result and why, both
    sides per person with the asymmetry flagged as the app flags it, and what was saved."""
    from vision.advice import norms
    from vision.batch.output import store_path

    counts = ", ".join(f"{n} {status}" for status, n in summary.counts)
    earlier = f"; {summary.skipped} measured by an earlier run" if summary.skipped else ""
    out = [f"{summary.total} clips: {counts}{earlier}\n"]
    written = ", ".join(str(p) for p in (outputs.table, outputs.parquet, outputs.json_dir) if p is not None)
    out.append(f"Wrote {written} (results kept in {store_path(outputs.table)})\n")
    if summary.without_result:
        out.append("Without a result:\n")
        out += [f"  {path}: {status}: {reason}\n" for path, status, reason in summary.without_result]
    if summary.people:
        out.append(
            f"Left and right per person (the latest of each; asymmetry past {norms.ASYMMETRY_DEG:g} deg or "
            f"{norms.ASYMMETRY_CM:g} cm is flagged):\n"
        )
        out += [f"  {_person_line(person)}\n" for person in summary.people]
    if summary.history:
        out.append("History: " + ", ".join(f"{n} {what}" for what, n in summary.history) + "\n")
    return "".join(out)


def _person_line(person: Any) -> str:
    def side(result: Any) -> str:
        cm = result.knee_to_wall_cm
        return f"{result.shin_angle_deg:.1f} deg" + (
            f", {cm:+.1f} cm knee over toe" if cm is not None else ""
        )

    if person.left is None or person.right is None:
        only = "left" if person.left is not None else "right"
        return f"{person.person}: {only} only ({side(person.left or person.right)})"
    a = person.asymmetry
    diff = f"{a.diff_deg:.1f} deg" + (f" and {a.diff_cm:.1f} cm" if a.diff_cm is not None else "")
    verdict = (
        f"ASYMMETRY, the {a.stiffer_side} ankle is stiffer" if a.significant else "within measurement error"
    )
    return (
        f"{person.person}: left {side(person.left)}; right {side(person.right)}; differ by {diff}: {verdict}"
    )


class _ProgressBar:
    """``[####----] 12/40 clips, 1 failed, 5.2 clips/min, 3 min left`` on stderr, only in a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        try:
            self.enabled = self.stream.isatty()
        except (AttributeError, ValueError):
            self.enabled = False
        self._width = 0

    def update(self, state: BatchProgress) -> None:
        if not self.enabled:
            return
        if state.phase == "hashing":
            self._show(f"reading clips {state.done}/{state.total}")
            return
        filled = round(BAR_WIDTH * state.done / max(state.total, 1))
        text = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {state.done}/{state.total} clips"
        text += f", {state.failed} failed" if state.failed else ""
        if state.measured and state.elapsed_s > 0:
            per_min = 60.0 * state.measured / state.elapsed_s
            left_s = (state.total - state.done) * state.elapsed_s / state.measured
            text += f", {per_min:.1f} clips/min, {_duration(left_s)} left"
        self._show(text)

    def clear(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def _show(self, text: str) -> None:
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = max(self._width, len(text))


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
