"""The app against the CLI on the same clip, in one run: where a user's wait goes (not a test).

    .venv/bin/python benchmarks/app_speed.py [--clip PATH] [--side left] [--runs 3] [--no-browser]

Measured, in this order, on the same clip and machine:

1. ``cli``: the whole ``dorsiflex measure CLIP --side S --json`` process (start-up, imports, model, pose,
   analysis, JSON), median of ``--runs`` fresh processes. What the issue compares the app with.
2. ``in-process``: what the app does after an upload, ``vision.app.logic.analyse_clip``, split into its parts:
   the engine's ``measure`` (the CLI's work), the annotated video (the clip decoded and encoded again), the
   per-frame CSV and the peak frame. Median of ``--runs``.
3. ``browser`` (Chromium + Playwright, the app served by ``streamlit run``): the first page load on a fresh
   server (``goto`` to the "Try the sample clips" button), a second load (imports done), the upload of the
   clip to its result (the "Shin angle" figure), and a foot-length change to its re-measured result.
4. ``live``: the Live camera page with Chromium's fake camera playing the clip at 640x480: the frames per
   second the page reports while recording (pose, drawing and recording each frame), read once a second.

Targets (issue 11): the app's upload-to-result at most 1.2x the CLI; the first page load under 3 s; the live
preview at 15 fps or more.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from common import REPO, cpus, load_average, out

DEFAULT_CLIP = REPO / "sample_videos" / "lunge_left_aruco.mp4"
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
RESULT_TIMEOUT_MS = 300_000


def median_s(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli_s(clip: Path, side: str, runs: int) -> float:
    command = [str(BIN / "dorsiflex"), "measure", str(clip), "--side", side, "--json"]
    return median_s(runs, lambda: subprocess.run(command, cwd=REPO, check=True, capture_output=True))


def in_process_parts(clip: Path, side: str, runs: int) -> dict[str, float]:
    """Median seconds of each part of ``analyse_clip`` (the imports and the model load are warmed first)."""
    from vision.app import logic as app_logic
    from vision.output import export
    from vision.pipeline import MeasureOptions, measure
    from vision.results import write_frames_csv

    options = MeasureOptions(side=side)  # type: ignore[arg-type]
    settings = app_logic.Settings(side=side)  # type: ignore[arg-type]
    data = clip.read_bytes()
    app_logic.analyse_clip(data, clip.name, settings)  # warm-up: imports, model files, caches
    m = measure(clip, options)
    shown = export.shown_frame(m)
    with tempfile.TemporaryDirectory(prefix="dorsiflex-bench-") as tmp:
        video, csv = Path(tmp) / "a.mp4", Path(tmp) / "f.csv"
        parts = {
            "analyse_clip (what the app does on upload)": median_s(
                runs, lambda: app_logic.analyse_clip(data, clip.name, settings, with_video=False)
            ),
            "  measure (the engine, as the CLI)": median_s(runs, lambda: measure(clip, options)),
            "annotated video (when its box is opened)": median_s(
                runs, lambda: export.write_annotated_video(clip, m, video)
            ),
            "  per-frame CSV": median_s(runs, lambda: write_frames_csv(m.frames, csv)),
        }
        if shown is not None:
            parts["  peak frame (read + PNG)"] = median_s(
                runs, lambda: app_logic.png_bytes(app_logic.read_frame(clip, *shown).image)
            )
    return parts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served_app(home: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DORSIFLEX_DB": str(home / "history.sqlite3"), "HOME": str(home)}
    command = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true"]
    command += [
        "--server.port",
        str(port),
        "--server.address",
        "localhost",
        "--browser.gatherUsageStats",
        "false",
    ]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                break
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def browser_times(clip: Path, side: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    times: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory(prefix="dorsiflex-bench-") as home,
        served_app(Path(home)) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for label in ("first page load (fresh server)", "second page load"):
                page = browser.new_page(viewport={"width": 1400, "height": 1600})
                start = time.perf_counter()
                page.goto(url)
                page.get_by_role("button", name="Try the sample clips").wait_for(timeout=120_000)
                times[label] = time.perf_counter() - start
            box = page.get_by_test_id("stFileUploader").filter(has_text=f"{side.capitalize()} ankle clip")
            start = time.perf_counter()
            box.locator("input[type=file]").set_input_files(str(clip))
            page.get_by_test_id("stMetric").filter(has_text="Shin angle").first.wait_for(
                timeout=RESULT_TIMEOUT_MS
            )
            times["upload to result"] = time.perf_counter() - start
            field = page.get_by_test_id("stSidebar").get_by_role(
                "spinbutton", name="Foot length, cm (optional)"
            )
            start = time.perf_counter()
            field.fill("26")
            field.press("Enter")
            measuring = page.get_by_text(f"Measuring {clip.name}").first  # the progress bar of a re-measure
            measuring.wait_for(timeout=60_000)
            measuring.wait_for(state="hidden", timeout=RESULT_TIMEOUT_MS)
            page.get_by_test_id("stMetric").filter(has_text="Shin angle").first.wait_for(timeout=60_000)
            times["foot length changed to result"] = time.perf_counter() - start
        finally:
            browser.close()
    return times


def fake_camera(clip: Path, directory: Path, seconds: float = 20.0) -> Path:
    """The clip as a looping 640x480 .y4m for Chromium's fake camera."""
    import imageio_ffmpeg

    target = directory / "camera.y4m"
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-loglevel",
        "error",
        "-y",
        "-stream_loop",
        "5",
        "-i",
        str(clip),
    ]
    command += [
        "-t",
        f"{seconds}",
        "-vf",
        "scale=640:480,fps=30",
        "-pix_fmt",
        "yuv420p",
        "-f",
        "yuv4mpegpipe",
    ]
    subprocess.run([*command, str(target)], check=True, timeout=300)
    return target


def live_fps(clip: Path, seconds: float = 12.0) -> list[float]:
    """The fps the Live camera page reports, once a second while recording the fake camera."""
    import re

    from playwright.sync_api import sync_playwright

    readings: list[float] = []
    with (
        tempfile.TemporaryDirectory(prefix="dorsiflex-bench-") as home,
        served_app(Path(home)) as url,
        sync_playwright() as playwright,
    ):
        camera = fake_camera(clip, Path(home))
        args = ["--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream"]
        args += ["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={camera}"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1600})
            context.grant_permissions(["camera"], origin=url)
            page = context.new_page()
            page.goto(f"{url}/live")
            page.get_by_role("heading", name="Live camera").wait_for(timeout=120_000)
            component = next(f for f in _wait_frames(page) if f.get_by_role("button", name="START").count())
            component.get_by_role("button", name="START").click()
            status = page.get_by_text(re.compile(r"Recording \d+ s")).first
            status.wait_for(timeout=120_000)
            for _ in range(int(seconds)):
                page.wait_for_timeout(1000)
                found = re.search(r"(\d+) fps", status.inner_text())
                if found:
                    readings.append(float(found.group(1)))
            component.get_by_role("button", name="STOP").click()
        finally:
            browser.close()
    return readings


def _wait_frames(page: Any) -> list[Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        frames = [f for f in page.frames if f.get_by_role("button", name="START").count()]
        if frames:
            return frames
        time.sleep(0.5)
    raise RuntimeError("the live camera component (START) did not appear")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--side", default="left", choices=("left", "right"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true", help="skip the real-browser timings")
    parser.add_argument("--no-live", action="store_true", help="skip the live camera's frame rate")
    args = parser.parse_args()
    out(f"# app vs CLI on {args.clip.name} ({args.side}); {cpus()}; {load_average()}")
    cli = cli_s(args.clip, args.side, args.runs)
    out(f"cli: dorsiflex measure --json process          {cli:6.2f} s (median of {args.runs})")
    for label, seconds in in_process_parts(args.clip, args.side, args.runs).items():
        out(f"in-process: {label:38s} {seconds:6.2f} s")
    if not args.no_browser:
        for label, seconds in browser_times(args.clip, args.side).items():
            ratio = f"  ({seconds / cli:.2f}x the CLI)" if "result" in label else ""
            out(f"browser: {label:41s} {seconds:6.2f} s{ratio}")
    if not args.no_live:
        readings = live_fps(args.clip)
        if readings:
            settled = readings[len(readings) // 3 :]  # the first seconds load the pose model
            out(f"live: frames per second while recording       {statistics.median(settled):6.1f} (median)")
            out(f"live: readings once a second                   {' '.join(f'{r:.0f}' for r in readings)}")
    out(f"# {load_average()}")


if __name__ == "__main__":
    main()
