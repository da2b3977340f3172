"""The app against the CLI on the same clip, in one run: where a user's wait goes (not a test).

    .venv/bin/python benchmarks/app_speed.py [--clip PATH] [--side left] [--runs 3] [--no-browser] [--no-live]

Measured on the same clip and machine:

1. ``in-process``: what the app does after an upload, ``vision.app.logic.analyse_clip``, split into its parts:
   the engine's ``measure`` (the CLI's work), the annotated video (the clip decoded and encoded again), the
   per-frame CSV and the peak frame. Median of ``--runs``.
2. ``--runs`` rounds, each: ``cli``, the whole ``dorsiflex measure CLIP --side S --json`` process (start-up,
   imports, model, pose, analysis, JSON), what the issue compares the app with; then ``browser`` (Chromium +
   Playwright, the app served by a fresh ``streamlit run``): the first page load (``goto`` to the "Try the
   sample clips" button), a second load, the upload of the clip to its result (the "Shin angle" figure,
   uploaded as soon as the second page is out) and a foot-length change to its re-measured result. Each
   round's ratio is app / CLI of that round (the same machine load); the medians are printed.
   Beside each wall time, the CPU seconds it cost: the CLI process; the app's server and the browser (every
   process under this script). On a shared machine the CPU seconds move much less than the wall times.
3. ``live``: the Live camera page with Chromium's fake camera playing the clip at 640x480: the frames per
   second the page reports while recording (pose, drawing and recording each frame), read once a second.

Targets (issue 11): the app's upload-to-result at most 1.2x the CLI; the first page load under 3 s; the live
preview at 15 fps or more.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
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


@dataclasses.dataclass(frozen=True)
class Timed:
    """A wall time and the CPU seconds spent meanwhile: (the CLI or the app's server, the browser)."""

    wall_s: float
    cpu_s: float
    browser_cpu_s: float = 0.0


def cli_once(clip: Path, side: str) -> Timed:
    command = [str(BIN / "dorsiflex"), "measure", str(clip), "--side", side, "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timed(wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def tree_cpu_s(server_pid: int) -> tuple[float, float]:
    """CPU seconds so far of the server's processes and of the others under this script (the browser), from
    /proc (Linux; zeros elsewhere). Exited children are not counted: read it while they run."""
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parent[int(entry.name)] = int(fields[1])
            cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick

    def under(pid: int, root: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parent.get(pid, 0)
        return False

    me = os.getpid()
    server = sum(c for pid, c in cpu.items() if under(pid, server_pid))
    others = sum(c for pid, c in cpu.items() if pid != me and under(pid, me) and not under(pid, server_pid))
    return server, others


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
def served_app(home: Path) -> Iterator[tuple[str, int]]:
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
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def browser_times(clip: Path, side: str) -> dict[str, Timed]:
    from playwright.sync_api import sync_playwright

    times: dict[str, Timed] = {}
    with (
        tempfile.TemporaryDirectory(prefix="dorsiflex-bench-") as home,
        served_app(Path(home)) as (url, server),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])

        @contextlib.contextmanager
        def timed(label: str) -> Iterator[None]:
            cpu = tree_cpu_s(server)
            start = time.perf_counter()
            yield
            wall = time.perf_counter() - start
            after = tree_cpu_s(server)
            times[label] = Timed(wall, after[0] - cpu[0], after[1] - cpu[1])

        try:
            for label in ("first page load (fresh server)", "second page load"):
                page = browser.new_page(viewport={"width": 1400, "height": 1600})
                with timed(label):
                    page.goto(url)
                    page.get_by_role("button", name="Try the sample clips").wait_for(timeout=120_000)
            box = page.get_by_test_id("stFileUploader").filter(has_text=f"{side.capitalize()} ankle clip")
            with timed("upload to result"):
                box.locator("input[type=file]").set_input_files(str(clip))
                page.get_by_test_id("stMetric").filter(has_text="Shin angle").first.wait_for(
                    timeout=RESULT_TIMEOUT_MS
                )
            field = page.get_by_test_id("stSidebar").get_by_role(
                "spinbutton", name="Foot length, cm (optional)"
            )
            with timed("foot length changed to result"):
                field.fill("26")
                field.press("Enter")
                measuring = page.get_by_text(f"Measuring {clip.name}").first  # the re-measure's progress bar
                measuring.wait_for(timeout=60_000)
                measuring.wait_for(state="hidden", timeout=RESULT_TIMEOUT_MS)
                page.get_by_test_id("stMetric").filter(has_text="Shin angle").first.wait_for(timeout=60_000)
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
    from playwright.sync_api import sync_playwright

    readings: list[float] = []
    with (
        tempfile.TemporaryDirectory(prefix="dorsiflex-bench-") as home,
        served_app(Path(home)) as (url, _),
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
    for label, seconds in in_process_parts(args.clip, args.side, args.runs).items():
        out(f"in-process: {label:38s} {seconds:6.2f} s")
    rounds: list[tuple[Timed, dict[str, Timed]]] = []
    for number in range(1, args.runs + 1):
        cli = cli_once(args.clip, args.side)
        out(f"round {number}: cli: dorsiflex measure --json {cli.wall_s:6.2f} s (CPU {cli.cpu_s:.2f} s)")
        if args.no_browser:
            rounds.append((cli, {}))
            continue
        app = browser_times(args.clip, args.side)
        rounds.append((cli, app))
        for label, t in app.items():
            ratio = f"  {t.wall_s / cli.wall_s:.2f}x the CLI" if "result" in label else ""
            cpu = f"(CPU: server {t.cpu_s:.2f} s, browser {t.browser_cpu_s:.2f} s)"
            out(f"round {number}: browser: {label:32s} {t.wall_s:6.2f} s {cpu}{ratio}")
        out(f"round {number}: {load_average()}")
    clis = [cli for cli, _ in rounds]
    out(
        f"cli: dorsiflex measure --json process          {_median(c.wall_s for c in clis):6.2f} s "
        f"(CPU {_median(c.cpu_s for c in clis):.2f} s; median of {len(clis)})"
    )
    for label in rounds[0][1]:
        walls = [app[label].wall_s for _, app in rounds]
        line = f"browser: {label:38s} {_median(walls):6.2f} s (median of {len(walls)}"
        if "result" in label:
            ratios = sorted(app[label].wall_s / cli.wall_s for cli, app in rounds)
            each = " ".join(f"{r:.2f}x" for r in ratios)
            line += f"; app / CLI per round {each}, median {_median(ratios):.2f}x"
            server = _median(app[label].cpu_s for _, app in rounds)
            browser = _median(app[label].browser_cpu_s for _, app in rounds)
            line += f"; CPU: server {server:.2f} s, browser {browser:.2f} s"
        out(line + ")")
    if not args.no_live:
        readings = live_fps(args.clip)
        if readings:
            settled = readings[len(readings) // 3 :]  # the first seconds load the pose model
            out(f"live: frames per second while recording       {statistics.median(settled):6.1f} (median)")
            out(f"live: readings once a second                   {' '.join(f'{r:.0f}' for r in readings)}")
    out(f"# {load_average()}")


def _median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


if __name__ == "__main__":
    main()
