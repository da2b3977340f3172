"""Centimetres against the synthetic set's exact truth: scale, knee over toe, toe to wall.

For each clip the user is assumed to have measured their foot (heel to toe tip, taken from the truth's 3D
points, as a tape measure would), so clips without a marker or sheet fall back to the foot-length scale and
clips with one use it. Targets (issue 3): knee over toe with an ArUco marker within 0.5 cm (median) and 1.0 cm
(every clip); with an A4 sheet within 1.0 cm; with foot length only within 1.5 cm; toe to wall within 1.0 cm.

    .venv/bin/python benchmarks/centimetres.py
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from common import REPO, out

import vision

DEFAULT_DATA = REPO / ".." / "shared" / "data" / "synthetic"


def foot_length_cm(truth_csv: Path) -> float:
    """Heel to toe tip along the walking axis (world y), as the user would measure the foot."""
    with truth_csv.open() as handle:
        row = next(csv.DictReader(handle))
    return float(row["toe_tip_y_cm"]) - float(row["heel_y_cm"])


def evaluate(clip: Path) -> dict[str, Any]:
    gt = json.loads(clip.with_name(f"{clip.stem}_gt.json").read_text())
    m = vision.measure(
        clip, vision.MeasureOptions(foot_length_cm=foot_length_cm(clip.with_name(f"{clip.stem}_gt.csv")))
    )
    peak = m.peak
    if peak is None:  # no valid rep: no result to compare (the accuracy benchmark counts these)
        return {"clip": clip.stem, "source": m.scale.source, "status": m.status}
    true_px_per_cm = gt["frames"]["px_per_cm_at_toe"][peak.frame]
    wall = peak.wall
    knee_truth = gt["knee_front_over_toe_cm_at_valid_peak"]
    wall_truth = gt["toe_to_wall_cm"]
    return {
        "clip": clip.stem,
        "source": m.scale.source,
        "status": m.status,
        "scale_err_pct": 100 * (m.scale.px_per_cm / true_px_per_cm - 1) if m.scale.px_per_cm else None,
        "knee_cm": peak.knee_over_toe_cm,
        "knee_u_cm": peak.knee_over_toe_uncertainty_cm,
        "knee_truth_cm": knee_truth,
        "knee_err_cm": None if peak.knee_over_toe_cm is None else peak.knee_over_toe_cm - knee_truth,
        "wall_cm": wall.toe_to_wall_cm if wall else None,
        "wall_u_cm": wall.toe_to_wall_uncertainty_cm if wall else None,
        "wall_truth_cm": wall_truth,
        "wall_err_cm": None
        if wall is None or wall.toe_to_wall_cm is None
        else wall.toe_to_wall_cm - wall_truth,
        "reached": None if wall is None else wall.knee_reached_wall,
        "reached_truth": knee_truth >= wall_truth - 1.0,
    }


def fmt(value: Any, spec: str = "+.2f") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return format(value, spec) if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with devNN.mp4 + truth")
    args = parser.parse_args(argv)
    clips = sorted(args.data.glob("dev*.mp4"))
    if not clips:
        out(f"no dev*.mp4 in {args.data.resolve()}: the synthetic set lives in ../shared/data/synthetic")
        return 2
    rows = [evaluate(clip) for clip in clips]
    out(
        "clip   scale   px/cm err%  knee-over-toe cm (+-1 sigma)  truth   err  | "
        "toe-to-wall cm (+-1 sigma)  truth   err  knee at wall (truth)"
    )
    for r in rows:
        if r["status"] != "ok":
            out(f"{r['clip']:6} {r['source']:6} no result ({r['status']})")
            continue
        out(
            f"{r['clip']:6} {r['source']:6} {fmt(r['scale_err_pct'], '+10.1f')}  "
            f"{fmt(r['knee_cm'], '+8.2f')} +- {fmt(r['knee_u_cm'], '.2f'):>5}        "
            f"{r['knee_truth_cm']:+6.2f} {fmt(r['knee_err_cm']):>6} | "
            f"{fmt(r['wall_cm'], '8.2f')} +- {fmt(r['wall_u_cm'], '.2f'):>5}        "
            f"{r['wall_truth_cm']:6.2f} {fmt(r['wall_err_cm']):>6}  "
            f"{fmt(r['reached'])} ({fmt(r['reached_truth'])})"
        )
    out()
    for source in sorted({r["source"] for r in rows}):
        errs = [
            abs(r["knee_err_cm"]) for r in rows if r["source"] == source and r.get("knee_err_cm") is not None
        ]
        if errs:
            out(
                f"knee over toe, scale {source}: n={len(errs)}, "
                f"median |error| {statistics.median(errs):.2f} cm, max {max(errs):.2f} cm"
            )
    walls = [abs(r["wall_err_cm"]) for r in rows if r.get("wall_err_cm") is not None]
    out(
        f"toe to wall: wall found in {sum(r.get('wall_cm') is not None for r in rows)}/{len(rows)} clips; "
        + (
            f"median |error| {statistics.median(walls):.2f} cm, max {max(walls):.2f} cm"
            if walls
            else "no wall found"
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
