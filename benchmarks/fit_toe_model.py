"""Fit ``vision/pose/toe_model.json``: the foot-to-shin band a toe reading must give, and the 1-sigma errors
of the toe tip and of the front of the knee, from clips with exact truth (never ``check``).

For each clip it looks at the frames around the truth's valid peak, as the pipeline's sampled frames are
looked at: MediaPipe (a fresh detection per frame) gives the landmarks and the person mask, and
:func:`vision.pose.toe_tip.grabcut_toe_px` the toe tip from the image's colours. Each toe reading (mask and
colours) is compared with the truth's toe tip along the image's horizontal, in foot lengths; its foot-to-shin
ratio is what :func:`vision.pose.toe_tip.refine_toe_tip` judges it by.

* The band holds the 1-99 % range of the ratios of readings within 1.5 cm of the truth.
* ``toe_sigma_foot``: half the 95th percentile of |error| of the colour reading when both readings pass;
  ``single_sigma_foot`` the same when only one does; ``failed_sigma_foot`` when neither does (so that 95 % of
  clips sit within 2 sigma); ``landmark_sigma_foot`` for MediaPipe's foot-index landmark; ``knee_sigma_foot``
  for the front of the knee.
* ``usual_foot_shin_ratio``: the median body's heel (the mask's) to true toe tip over knee-ankle length, where
  the toe tip is placed when both readings give a foot under ``lost_toe_ratio`` (0.9 of the shortest such
  ratio of any body); ``usual_sigma_foot`` half the 95th percentile of that placement's error.

    .venv/bin/python benchmarks/fit_toe_model.py [--data DIR ...] [--jobs 2]

The shipped model: ``--data ../shared/data/synthetic ../extra_synth ../extra_synth2``, the two extra folders
rendered with ``../shared/tools/synth/make_sets.py --set random --seed 777 (778) --n 24``.

``--data`` defaults to ../shared/data/synthetic (its ``tune`` split); more folders of renders may be added.
``usual_foot_shin_ratio`` and ``usual_sigma_foot`` came later, fitted with ``--only-usual`` into the shipped
model (its other parameters kept) on ``--data ../shared/data/synthetic ../extra_synth ../extra_synth2
../extra_synth3 ../extra_synth5`` (``--renders`` names them; the provenance's ``usual`` entry records it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from accuracy import DEFAULT_DATA, splits
from common import REPO, out

from vision.pose.landmarks import N_LANDMARKS, LegLandmarks, PoseEstimator
from vision.pose.toe_tip import MODEL_PATH, ToeModel, grabcut_toe_px
from vision.video import VideoReader

#: Frames either side of the truth's valid peak that are looked at.
HALF_WINDOW = 2
GOOD_CM = 1.5
#: Fitted by ``--only-usual`` into a model fitted before (see the module docstring).
USUAL_KEYS = ("usual_foot_shin_ratio", "usual_sigma_foot", "lost_toe_ratio")
#: A foot reading under this share of the shortest true one (heel to toe over the shin) has lost the toes.
LOST_SHARE = 0.9
RENDERS = "make_sets.py --set random --seed 777 --n 24, and --seed 778 --n 24 (extra_synth, extra_synth2)"


def readings(job: tuple[Path, str]) -> list[dict[str, Any]]:
    """One row per frame looked at: each reading's error and foot-to-shin ratio."""
    data, name = job
    gt = json.loads((data / f"{name}_gt.json").read_text())
    side, facing = gt["front_leg"], 1 if gt["facing"] == "right" else -1
    leg = LegLandmarks.of(side)
    fps, peak = gt["video"]["fps"], gt["valid_peak_frame"]
    truth = gt["frames"]["points2d"]
    rows = []
    with VideoReader(data / f"{name}.mp4") as reader, PoseEstimator(tracking=False) as estimator:
        frames = reader.frames(start_s=(peak - HALF_WINDOW) / fps, end_s=(peak + HALF_WINDOW + 1) / fps)
        for frame in frames:
            sample = estimator.process_bgr_sample(frame.image, frame.index, frame.time_s)
            xy, silhouette = sample.pose.xy_px, sample.pose.silhouette_px
            shin_px = float(np.linalg.norm(xy[leg.knee] - xy[leg.ankle]))
            heel = silhouette[leg.heel_back - N_LANDMARKS]
            toe_truth = np.array(truth["toe_tip"][frame.index]) - 0.5
            heel_truth = np.array(truth["heel"][frame.index]) - 0.5
            foot_px = abs(toe_truth[0] - heel_truth[0])
            px_per_cm = gt["frames"]["px_per_cm_at_toe"][frame.index]
            knee_truth = np.array(truth["knee_front"][frame.index]) - 0.5
            row: dict[str, Any] = {"clip": name, "foot_cm": foot_px / px_per_cm}
            candidates = {
                "mask": silhouette[leg.toe_tip - N_LANDMARKS],
                "colours": grabcut_toe_px(sample, side, facing),
                "landmark": xy[leg.toe],
            }
            for key, toe in candidates.items():
                row[f"{key}_err_foot"] = float((toe[0] - toe_truth[0]) * facing / foot_px)
                row[f"{key}_ratio"] = float(abs(toe[0] - heel[0]) / shin_px)
            row["usual_ratio"] = float(abs(toe_truth[0] - heel[0]) / shin_px)
            knee = silhouette[leg.knee_front - N_LANDMARKS]
            row["knee_err_foot"] = float((knee[0] - knee_truth[0]) * facing / foot_px)
            rows.append(row)
    return rows


def per_clip(rows: list[dict[str, Any]]) -> list[dict[str, float]]:
    """The median of each field over a clip's frames (as the pipeline takes the median over its samples)."""
    clips: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        clips.setdefault(row["clip"], []).append(row)
    result = []
    for frames in clips.values():
        keys = [k for k in frames[0] if k != "clip"]
        result.append({k: float(np.nanmedian([f[k] for f in frames])) for k in keys})
    return result


def fit(clips: list[dict[str, float]]) -> dict[str, float]:
    good = [
        c[f"{key}_ratio"]
        for c in clips
        for key in ("mask", "colours")
        if abs(c[f"{key}_err_foot"]) * c["foot_cm"] < GOOD_CM
    ]
    low, high = (float(np.quantile(good, q)) for q in (0.01, 0.99))
    band = ToeModel(low, high, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    both, single, failed = [], [], []
    for c in clips:
        mask_ok, colour_ok = band.plausible(c["mask_ratio"]), band.plausible(c["colours_ratio"])
        if mask_ok and colour_ok:
            both.append(abs(c["colours_err_foot"]))
        elif colour_ok or mask_ok:
            single.append(abs(c["colours_err_foot"] if colour_ok else c["mask_err_foot"]))
        else:
            failed.append(abs(c["mask_err_foot"]))

    def sigma(errors: list[float], floor: float) -> float:
        finite = [e for e in errors if np.isfinite(e)]
        return round(max(floor, float(np.quantile(finite, 0.95)) / 2) if finite else floor, 3)

    toe_sigma = sigma(both, 0.01)
    ratios = [c["usual_ratio"] for c in clips if np.isfinite(c["usual_ratio"]) and c["usual_ratio"] > 0]
    usual = float(np.median(ratios))
    return {
        "foot_shin_ratio_low": round(low, 3),
        "foot_shin_ratio_high": round(high, 3),
        "toe_sigma_foot": toe_sigma,
        "single_sigma_foot": sigma(single, toe_sigma),
        "failed_sigma_foot": sigma(failed, 0.2),
        "landmark_sigma_foot": sigma([abs(c["landmark_err_foot"]) for c in clips], 0.05),
        "knee_sigma_foot": sigma([abs(c["knee_err_foot"]) for c in clips], 0.01),
        "usual_foot_shin_ratio": round(usual, 3),
        "usual_sigma_foot": sigma([abs(usual - r) / r for r in ratios], 0.02),
        "lost_toe_ratio": round(LOST_SHARE * min(ratios), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=[DEFAULT_DATA], help="folders with truth")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--output", type=Path, default=MODEL_PATH, help="where to write the model")
    parser.add_argument(
        "--only-usual",
        action="store_true",
        help="fit only usual_foot_shin_ratio and usual_sigma_foot, keeping the model's other parameters",
    )
    parser.add_argument("--renders", default=RENDERS, help="how the folders of renders were made")
    args = parser.parse_args(argv)
    jobs = []
    for data in args.data:
        split_of = splits(data)
        names = [c.stem for c in sorted(data.glob("*.mp4")) if c.with_name(f"{c.stem}_gt.json").is_file()]
        jobs += [(data, n) for n in names if split_of.get(n, "all") != "check"]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = [row for clip_rows in pool.map(readings, jobs) for row in clip_rows]
    clips = per_clip(rows)
    parameters = fit(clips)
    provenance: dict[str, Any] = {
        "fitted_on": f"{len(clips)} clips: the tune split of ../shared/data/synthetic and renders of "
        "../shared/tools/synth (never check)",
        "folders": [str(d.resolve().relative_to(REPO.parent)) for d in args.data],
        "clips": sorted({row["clip"] for row in rows}),
        "script": "benchmarks/fit_toe_model.py",
        "renders": args.renders,
        "date": datetime.date.today().isoformat(),
        "check_figures": "benchmarks/centimetres.py --split check (README, Accuracy)",
    }
    if args.only_usual:
        model = json.loads(args.output.read_text())
        usual = {key: parameters[key] for key in USUAL_KEYS}
        parameters = model["parameters"] | usual
        provenance = model["provenance"] | {"usual": provenance | {"parameters": sorted(USUAL_KEYS)}}
    args.output.write_text(json.dumps({"parameters": parameters, "provenance": provenance}, indent=2) + "\n")
    out(json.dumps(parameters, indent=1))
    out(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
