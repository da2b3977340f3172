"""Throughput and memory of ``dorsiflex batch`` against a serial ``dorsiflex measure`` loop, in one run.

Measures the same rendered clips (``../shared/data/synthetic``, copied to a temporary folder) four ways, one
after the other: ``dorsiflex measure CLIP --json`` once per clip (a new process, and pose model, each time),
then ``dorsiflex batch`` with 1 and 2 local worker processes and with 2 actors on a local Ray (its start-up
included). Each batch writes to a fresh table, so nothing is skipped. Prints clips per minute, the speed-up
over the serial loop, the peak resident memory of one worker (the largest ``ru_maxrss`` its clips reported;
for the serial loop the largest ``dorsiflex measure`` process), Ray's overhead against the process pool, and
whether every way gave the same figures. The issue's targets: 2 workers at least 1.7x the serial loop on this
2-core machine, Ray within 15% of the process pool. Wall-clock figures depend on what else runs: the machine's
load is printed before and after.

Usage::

    .venv/bin/python benchmarks/batch.py [--clips 16] [--repeat 1] [--skip-ray] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import REPO, cpus, load_average, out

SYNTHETIC = REPO / ".." / "shared" / "data" / "synthetic"
CONSOLE_SCRIPT = Path(sys.executable).with_name("dorsiflex")
TARGET_SPEEDUP = 1.7
TARGET_RAY_OVERHEAD = 0.15
#: Table columns that hold what was measured (the rest name the clip or the run).
FIGURE_COLUMNS = ("status", "side", "shin_angle_deg", "tibia_axis_deg", "knee_over_toe_cm", "toe_to_wall_cm")


@dataclass(frozen=True)
class Run:
    name: str
    seconds: float
    clips: int
    worker_peak_mb: float | None
    figures: dict[str, tuple[str, ...]]  # clip name -> the figure columns

    @property
    def per_minute(self) -> float:
        return 60.0 * self.clips / self.seconds


#: Runs one command and reports its exit code, output and peak memory: a process of its own per clip, so the
#: peak is that command's alone (``RUSAGE_CHILDREN`` here would also hold the batches' workers).
_MEASURE_ONE = (
    "import json, resource, subprocess, sys; "
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0; "
    "print(json.dumps({'code': done.returncode, 'stdout': done.stdout, 'peak_mb': peak}))"
)


def serial(clips: list[Path]) -> Run:
    """``dorsiflex measure --json`` on each clip in turn, as a shell loop would."""
    figures, peaks = {}, []
    start = time.perf_counter()
    for clip in clips:
        command = [sys.executable, "-c", _MEASURE_ONE, str(CONSOLE_SCRIPT), "measure", str(clip), "--json"]
        done = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        peaks.append(float(done["peak_mb"]))
        data: dict[str, Any] = json.loads(done["stdout"]) if done["code"] in (0, 3) else {"status": "error"}
        peak: dict[str, Any] = data.get("peak") or {}
        wall: dict[str, Any] = peak.get("wall") or {}
        values = {"status": data.get("status"), "side": data.get("side")} | peak | wall
        figures[clip.name] = tuple(_cell(values.get(column)) for column in FIGURE_COLUMNS)
    seconds = time.perf_counter() - start
    return Run("serial `dorsiflex measure` loop", seconds, len(clips), max(peaks), figures)


def batch(name: str, folder: Path, work: Path, *args: str) -> Run:
    """``dorsiflex batch`` on ``folder`` into a fresh table."""
    table = work / f"{name.replace(' ', '_')}.csv"
    table.with_suffix(".batch.jsonl").unlink(missing_ok=True)  # a fresh table: nothing skipped
    start = time.perf_counter()
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "batch", str(folder), "-o", str(table), *args], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 3):
        raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr.strip()}")
    peaks = []
    for line in table.with_suffix(".batch.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if "result" in entry and entry["result"].get("worker_peak_mb"):
            peaks.append(float(entry["result"]["worker_peak_mb"]))
    with table.open(newline="") as file:
        rows = list(csv.DictReader(file))
    figures = {Path(row["path"]).name: tuple(row[column] for column in FIGURE_COLUMNS) for row in rows}
    return Run(name, seconds, len(rows), max(peaks, default=None), figures)


def _median(runs: list[Run]) -> Run:
    """The run of median time (the higher of the middle two), named without its round."""
    middle = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    peak = max((run.worker_peak_mb for run in runs if run.worker_peak_mb), default=None)
    return Run(middle.name.rstrip("0123456789 "), middle.seconds, middle.clips, peak, middle.figures)


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=16, help="how many synthetic clips (default: 16)")
    parser.add_argument("--skip-ray", action="store_true", help="leave out the Ray engine")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every way; medians are quoted")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp folder)")
    args = parser.parse_args(argv)

    sources = sorted(SYNTHETIC.glob("dev*.mp4"))[: args.clips]
    if len(sources) < args.clips:
        raise SystemExit(
            f"{SYNTHETIC} has {len(sources)} clips, not {args.clips}: it lives in ../shared/data"
        )
    work = args.keep or Path(tempfile.mkdtemp(prefix="dorsiflex-batch-bench-"))
    folder = work / "clips"
    folder.mkdir(parents=True, exist_ok=True)
    for source in sources:
        shutil.copyfile(source, folder / source.name)
    clips = sorted(folder.iterdir())
    out(f"{len(clips)} synthetic clips ({', '.join(c.stem for c in clips[:3])}, ...); {cpus()}")
    out(f"before: {load_average()}")

    rounds: list[list[Run]] = []
    for n in range(args.repeat):  # round after round, so that a busy spell hits every way alike
        runs = [serial(clips)]
        runs.append(batch(f"batch 1 worker {n}", folder, work, "--workers", "1"))
        runs.append(batch(f"batch 2 workers {n}", folder, work, "--workers", "2"))
        if not args.skip_ray:
            runs.append(batch(f"batch ray 2 actors {n}", folder, work, "--workers", "2", "--engine", "ray"))
        rounds.append(runs)
        out(f"round {n + 1} of {args.repeat}: " + ", ".join(f"{run.seconds:.1f} s" for run in runs))
    out(f"after: {load_average()}")
    out()
    runs = [_median(list(way)) for way in zip(*rounds, strict=True)]
    base = runs[0]
    seconds = "seconds" if args.repeat == 1 else f"median s of {args.repeat}"
    out(f"{'how':34} {seconds:>18} {'clips/min':>10} {'speed-up':>9} {'peak MB per worker':>19}")
    for run in runs:
        peak = f"{run.worker_peak_mb:.0f}" if run.worker_peak_mb else "n/a"
        speedup = run.per_minute / base.per_minute
        out(f"{run.name:34} {run.seconds:18.1f} {run.per_minute:10.1f} {speedup:8.2f}x {peak:>19}")
    out()
    two = next(run for run in runs if run.name == "batch 2 workers")
    verdict = "meets" if two.per_minute >= TARGET_SPEEDUP * base.per_minute else "misses"
    speedup = two.per_minute / base.per_minute
    out(f"2 workers vs the serial loop: {speedup:.2f}x ({verdict} the {TARGET_SPEEDUP}x target)")
    ray = next((run for run in runs if "ray" in run.name), None)
    if ray is not None:
        overhead = two.per_minute / ray.per_minute - 1.0
        verdict = "meets" if overhead <= TARGET_RAY_OVERHEAD else "misses"
        out(
            f"Ray vs the process pool (2 each): {100 * overhead:+.0f}% time "
            f"({verdict} the {100 * TARGET_RAY_OVERHEAD:.0f}% target; Ray's start-up included)"
        )
    same = all(run.figures == base.figures for way in rounds for run in way)
    out(f"every way gave the same figures as `dorsiflex measure`: {'yes' if same else 'NO'}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
