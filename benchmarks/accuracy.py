"""Accuracy of ``vision.measure`` on the synthetic lunge clips with exact truth (../shared/data/synthetic).

Prints one row per clip, in the spirit of ``baseline_mediapipe.txt`` (raw MediaPipe against the same truth),
then the summary the issue's closing note quotes: median and max |error| of the reported peak shin angle
against the true sagittal angle ``valid_peak_theta_deg``.

Usage::

    .venv/bin/python benchmarks/accuracy.py [--analysis-fps 15] [--data DIR] [--json out.json]

``--data`` defaults to ../shared/data/synthetic; ``--analysis-fps 0`` runs pose estimation on every frame.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from common import REPO, out

import vision
from vision.results import Measurement

DEFAULT_DATA = REPO / ".." / "shared" / "data" / "synthetic"
TARGET_MAX_DEG = 4.0
TARGET_MEDIAN_DEG = 1.5
LEGEND = """\
GTvalid = true sagittal shin angle at the valid peak; measured = reported peak (against the floor normal);
err = measured - GTvalid; errImg = measured - image-plane truth; imgVert = reported peak against the image
vertical; roll = camera roll applied ('-': none); reps = measured/truth; liftFlag = heel-lift reps flagged /
truth heel-lift reps; downRej = heel-down reps rejected / truth heel-down reps; peakRep = reported peak is in
the truth's valid peak rep and valid; KoTsign = knee-over-toe sign agrees (|truth| > 3 cm); sec = wall time"""


def load_truth(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        data: dict[str, Any] = json.load(handle)
    data.pop("frames", None)
    return data


def rep_of(m: Measurement, truth_rep: dict[str, Any]) -> list[int]:
    """Indices (into ``m.reps``) of the measured reps whose peak lies in the truth rep's frame span."""
    first, last = truth_rep["frames"]
    return [i for i, rep in enumerate(m.reps) if first <= rep.peak_frame <= last]


def evaluate(name: str, gt: dict[str, Any], m: Measurement, seconds: float) -> dict[str, Any]:
    """One clip's row: the numbers the table and the JSON output show."""
    assert m.peak is not None
    lifted = [rep for rep in gt["reps"] if not rep["heel_down_at_peak"]]
    lifted_flagged = sum(
        bool(idx) and all(not m.reps[i].valid for i in idx) for idx in map(lambda r: rep_of(m, r), lifted)
    )
    down = [rep for rep in gt["reps"] if rep["heel_down_at_peak"]]
    down_rejected = sum(any(not m.reps[i].valid for i in rep_of(m, rep)) for rep in down)
    # Heel lift read at each rep's hold (foot lengths), for the margin around the validity threshold.
    lift_down = [m.reps[i].heel_lift_foot_ratio for rep in down for i in rep_of(m, rep)]
    lift_lifted = [m.reps[i].heel_lift_foot_ratio for rep in lifted for i in rep_of(m, rep)]
    (valid_rep,) = [rep for rep in gt["reps"] if rep["peak_frame"] == gt["valid_peak_frame"]]
    first, last = valid_rep["frames"]
    peak_rep_ok = first <= m.peak.frame <= last and m.peak.heel_down
    kot_truth = gt["knee_over_toe_cm_at_valid_peak"]
    return {
        "clip": name,
        "leg": gt["front_leg"],
        "face": gt["facing"],
        "res": f"{gt['video']['width']}x{gt['video']['height']}",
        "tilt": gt["camera"]["tilt_deg"],
        "yaw": gt["camera"]["yaw_deg"],
        "truth_deg": gt["valid_peak_theta_deg"],
        "truth_img_deg": gt["valid_peak_theta_img_deg"],
        "measured_deg": m.peak.shin_angle_deg,
        "measured_img_deg": m.peak.shin_angle_image_deg,
        "error_deg": m.peak.shin_angle_deg - gt["valid_peak_theta_deg"],
        "error_img_deg": m.peak.shin_angle_deg - gt["valid_peak_theta_img_deg"],
        "roll_deg": m.camera_roll_deg if m.camera_roll_applied else None,
        "reps": f"{len(m.reps)}/{len(gt['reps'])}",
        "lift_flagged": f"{lifted_flagged}/{len(lifted)}",
        "down_rejected": f"{down_rejected}/{len(down)}",
        "lift_read_down": lift_down,
        "lift_read_lifted": lift_lifted,
        "peak_rep_ok": bool(peak_rep_ok),
        "side_ok": m.side == gt["front_leg"],
        "facing_ok": m.facing == gt["facing"],
        "kot_truth_cm": kot_truth,
        "kot_ratio": m.peak.knee_over_toe_foot_ratio,
        "kot_sign_ok": abs(kot_truth) <= 3.0 or (m.peak.knee_over_toe_foot_ratio > 0) == (kot_truth > 0),
        "seconds": seconds,
        "warnings": list(m.warnings),
    }


def yes(flag: bool) -> str:
    return "ok" if flag else "NO"


def print_table(rows: list[dict[str, Any]], failures: dict[str, str]) -> None:
    head = (
        f"{'clip':8}{'leg':6}{'face':6}{'res':10}{'tilt':>6}{'yaw':>6}{'GTvalid':>8}{'measured':>9}{'err':>7}"
        f"{'errImg':>7}{'imgVert':>8}{'roll':>6}{'reps':>6}{'liftFlag':>9}{'downRej':>8}{'peakRep':>8}"
        f"{'side':>5}{'face':>5}{'KoTsign':>8}{'sec':>6}"
    )
    out(head)
    for r in rows:
        roll = "-" if r["roll_deg"] is None else f"{r['roll_deg']:+.1f}"
        out(
            f"{r['clip']:8}{r['leg']:6}{r['face']:6}{r['res']:10}{r['tilt']:6.1f}{r['yaw']:6.1f}"
            f"{r['truth_deg']:8.1f}{r['measured_deg']:9.1f}{r['error_deg']:+7.1f}{r['error_img_deg']:+7.1f}"
            f"{r['measured_img_deg']:8.1f}{roll:>6}{r['reps']:>6}{r['lift_flagged']:>9}{r['down_rejected']:>8}"
            f"{yes(r['peak_rep_ok']):>8}{yes(r['side_ok']):>5}{yes(r['facing_ok']):>5}{yes(r['kot_sign_ok']):>8}"
            f"{r['seconds']:6.1f}"
        )
    for name, error in failures.items():
        out(f"{name:8}InputError: {error}")


def summary(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["no clip measured"]
    errors = [abs(r["error_deg"]) for r in rows]
    errors_img = [abs(r["error_img_deg"]) for r in rows]
    signed = [r["error_deg"] for r in rows]
    lift = [tuple(map(int, r["lift_flagged"].split("/"))) for r in rows]
    down = [tuple(map(int, r["down_rejected"].split("/"))) for r in rows]
    median, worst, n = statistics.median(errors), max(errors), len(rows)
    return [
        f"reported peak shin angle - true sagittal angle (valid_peak_theta_deg), n={n}: "
        f"median |error| {median:.2f} deg (target <= {TARGET_MEDIAN_DEG}: "
        f"{yes(median <= TARGET_MEDIAN_DEG)}), "
        f"max |error| {worst:.2f} deg (target <= {TARGET_MAX_DEG} in every clip: "
        f"{yes(worst <= TARGET_MAX_DEG)}), mean error {statistics.fmean(signed):+.2f} deg, "
        f"mean |error| {statistics.fmean(errors):.2f} deg",
        f"same against the image-plane truth (valid_peak_theta_img_deg): median |error| "
        f"{statistics.median(errors_img):.2f} deg, max {max(errors_img):.2f} deg",
        f"clips within {TARGET_MAX_DEG} deg: {sum(e <= TARGET_MAX_DEG for e in errors)}/{len(rows)}",
        f"heel-lift reps flagged invalid: {sum(a for a, _ in lift)}/{sum(b for _, b in lift)}; "
        f"heel-down reps wrongly rejected: {sum(a for a, _ in down)}/{sum(b for _, b in down)}",
        f"heel lift read at the hold (foot lengths; a rep is invalid above "
        f"{vision.MeasureOptions().heel_lift_max_foot_ratio}): heel-down reps up to "
        f"{max(x for r in rows for x in r['lift_read_down']):.3f}, heel-lift reps from "
        f"{min((x for r in rows for x in r['lift_read_lifted']), default=float('nan')):.3f}",
        f"reported peak is the truth's valid peak rep: {sum(r['peak_rep_ok'] for r in rows)}/{n}; "
        f"side ok {sum(r['side_ok'] for r in rows)}/{n}; facing ok {sum(r['facing_ok'] for r in rows)}/{n}; "
        f"knee-over-toe sign ok {sum(r['kot_sign_ok'] for r in rows)}/{n}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder with devNN.mp4 + devNN_gt.json"
    )
    parser.add_argument("--analysis-fps", type=float, default=vision.MeasureOptions().analysis_fps)
    parser.add_argument(
        "--detection",
        action="store_true",
        help="a fresh person detection on every frame instead of MediaPipe's tracking (video) mode",
    )
    parser.add_argument("--json", type=Path, help="also write the rows and summary here")
    args = parser.parse_args(argv)
    clips = sorted(args.data.glob("dev*.mp4"))
    if not clips:
        out(f"no dev*.mp4 in {args.data.resolve()}: the synthetic set lives in ../shared/data/synthetic")
        return 2
    options = vision.MeasureOptions(analysis_fps=args.analysis_fps, pose_tracking=not args.detection)
    rows, failures = [], {}
    for clip in clips:
        gt = load_truth(clip.with_name(f"{clip.stem}_gt.json"))
        start = time.perf_counter()
        try:
            m = vision.measure(clip, options)
        except vision.InputError as err:
            failures[clip.stem] = str(err)
            continue
        rows.append(evaluate(clip.stem, gt, m, time.perf_counter() - start))
    out(
        f"vision.measure on {len(clips)} synthetic clips (analysis_fps={args.analysis_fps}, "
        f"pose {'detection on every frame' if args.detection else 'tracking'}, {os.cpu_count()} CPUs)"
    )
    out(LEGEND)
    out()
    print_table(rows, failures)
    out()
    lines = summary(rows)
    if failures:
        lines.append(f"clips that raised InputError: {len(failures)}/{len(clips)}")
    out("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "failures": failures, "summary": lines}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
