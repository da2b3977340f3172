"""End to end in a real browser: ``streamlit run app.py`` driven by Playwright with the system Chromium.

1. Upload a lunge clip, wait for the result, check the figures shown are the engine's for the same clip,
   save it and find it in the history.
2. The live camera page with Chromium's fake camera playing a lunge clip (made into a .y4m with ffmpeg):
   START, rock, STOP, and a measurement comes out.

Screenshots of each page go to ``out/screenshots/``. Needs /usr/bin/chromium (apt: chromium) and the
``playwright`` package; ``playwright install`` is not used (no browser download).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import imageio_ffmpeg
import pytest
from clips import WALK_SIDE, missing_reason, trim
from pypdf import PdfReader

from vision import MeasureOptions, measure
from vision.advice.drills import plan
from vision.advice.trends import trend
from vision.app import logic as app_logic
from vision.app.logic import format_angle_pm
from vision.app.words import metric_cm
from vision.output.report import ReportInput, build_report
from vision.storage import MeasurementRecord

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SYNTHETIC = ROOT.parent / "shared" / "data" / "synthetic"
SCREENSHOTS = ROOT / "out" / "screenshots"
SAMPLE_LEFT = ROOT / "sample_videos" / "lunge_left_aruco.mp4"
SAMPLE_RIGHT = ROOT / "sample_videos" / "lunge_right_heel_lift.mp4"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
RESULT_TIMEOUT_MS = 240_000
# Streamlit scrolls its main area inside the page, so a full-page screenshot is only as tall as the viewport.
VIEWPORT = {"width": 1400, "height": 2600}

if not CHROMIUM.is_file():
    pytest.skip("browser test needs /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser test needs the playwright package (pip install playwright)"
)


def lunge_clip() -> tuple[Path, str]:
    """A lunge clip and its front leg: a synthetic DEV clip when ../shared is there, else a sample clip."""
    dev = SYNTHETIC / "dev01.mp4"
    if dev.is_file():
        truth = json.loads((SYNTHETIC / "dev01_gt.json").read_text())
        return dev, str(truth["front_leg"])
    return SAMPLE_LEFT, "left"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout_s:.0f} s")


@contextlib.contextmanager
def served(home: Path, db: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free localhost port with ``db`` as its history file; stopped after."""
    port = free_port()
    env = {**os.environ, "DORSIFLEX_DB": str(db), "HOME": str(home)}
    log = (home / f"streamlit-{port}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "localhost",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://localhost:{port}"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served on a free localhost port with its own empty history file."""
    home = tmp_path_factory.mktemp("e2e")
    with served(home, home / "history.sqlite3") as url:
        yield url


@pytest.fixture(scope="module")
def playwright() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        yield p


def launch(playwright: object, extra_args: list[str] | None = None) -> object:
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *(extra_args or [])]
    )


def shot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def open_page(page: object, label: str) -> None:
    """Click a page in the sidebar's page list (opening the sidebar first on a phone-width screen)."""
    expand = page.get_by_test_id("stExpandSidebarButton")  # type: ignore[attr-defined]
    phone = expand.is_visible()  # a collapsed sidebar (phone width) is moved off the screen, not hidden
    if phone:
        expand.click()
        page.wait_for_timeout(500)  # type: ignore[attr-defined]
    page.get_by_test_id("stSidebarNavLink").filter(has_text=label).first.click()  # type: ignore[attr-defined]
    collapse = page.get_by_test_id("stSidebarCollapseButton")  # type: ignore[attr-defined]
    if phone and collapse.is_visible():  # give the page its width back, as a phone user does
        collapse.click()
        page.wait_for_timeout(500)  # type: ignore[attr-defined]
    page.get_by_role("heading", name=label).first.wait_for(timeout=60_000)  # type: ignore[attr-defined]


def metric_value(page: object, label: str, index: int = 0) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text=label).nth(index)  # type: ignore[attr-defined]
    return str(metric.get_by_test_id("stMetricValue").inner_text()).strip()


def test_upload_measure_save_and_history(app_url: str, playwright: object) -> None:
    clip, front_leg = lunge_clip()
    expected = measure(clip, MeasureOptions(side=front_leg)).to_dict()  # what the CLI's JSON holds
    browser = launch(playwright)
    try:
        page = browser.new_page(viewport=VIEWPORT)  # type: ignore[attr-defined]
        page.goto(app_url)
        page.get_by_role("button", name="Try the sample clips").wait_for(timeout=60_000)
        shot(page, "01_start")
        uploader = page.get_by_test_id("stFileUploader").filter(
            has_text=f"{front_leg.capitalize()} ankle clip"
        )
        uploader.locator("input[type=file]").set_input_files(str(clip))
        page.get_by_test_id("stMetric").filter(has_text="Shin angle").first.wait_for(
            timeout=RESULT_TIMEOUT_MS
        )
        shown_angle = metric_value(page, "Shin angle")
        peak = expected["peak"]
        assert shown_angle == format_angle_pm(peak["shin_angle_deg"], peak["shin_angle_uncertainty_deg"])
        valid = sum(rep["valid"] for rep in expected["reps"])
        page.get_by_text(f"Reps counted: {valid} of {len(expected['reps'])}").first.wait_for(timeout=10_000)
        peak = expected["peak"]
        if peak["knee_over_toe_cm"] is not None:  # a marker or sheet in the clip gives centimetres
            shown, _ = metric_cm(peak["knee_over_toe_cm"], peak["knee_over_toe_uncertainty_cm"])
            assert metric_value(page, "Knee over toe") == shown
        assert page.get_by_text(f"{front_leg.capitalize()} ankle — {clip.name}").count() == 1
        image = page.get_by_test_id("stImage").locator("img").first
        image.wait_for(timeout=60_000)
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        shot(page, "02_result")
        assert page.get_by_test_id("stAlertContentError").count() == 0  # a finding is not an error
        page.get_by_test_id("stExpander").filter(has_text="Annotated video").first.click()  # drawn now
        page.get_by_role("button", name="Download annotated video").wait_for(timeout=RESULT_TIMEOUT_MS)

        page.get_by_test_id("stFormSubmitButton").filter(has_text="Save to history").first.click()
        page.get_by_text("Saved to the history of Me").first.wait_for(timeout=60_000)

        open_page(page, "History")
        page.get_by_text("Edit or delete an entry").wait_for(timeout=60_000)
        angle_field = page.get_by_test_id("stForm").get_by_label("Shin angle (°)", exact=True)
        assert angle_field.input_value() == f"{expected['peak']['shin_angle_deg']:.2f}"
        assert page.get_by_text("One measurement so far").count() == 1
        page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=60_000)
        shot(page, "03_history")

        open_page(page, "Measure")
        page.get_by_role("button", name="Try the sample clips").click()
        page.get_by_text("Right ankle — lunge_right_heel_lift.mp4").wait_for(timeout=RESULT_TIMEOUT_MS)
        assert page.get_by_test_id("stMetric").filter(has_text="Shin angle").count() == 2
        for label, name in (
            ("Left vs right", "04_compare"),
            ("Drills", "05_drills"),
            ("Report", "06_report"),
        ):
            open_page(page, label)
            page.wait_for_timeout(1500)
            shot(page, name)
        assert page.get_by_text("Download the report (HTML)").count() == 1
    finally:
        browser.close()  # type: ignore[attr-defined]


def download_pdf(page: object, name: str) -> tuple[str, bytes]:
    """Press the Report page's PDF button; the download's file name and bytes."""
    button = page.get_by_role("button", name="Download the PDF report")  # type: ignore[attr-defined]
    button.wait_for(timeout=60_000)
    with page.expect_download(timeout=60_000) as download:  # type: ignore[attr-defined]
        button.click()
    data = Path(download.value.path()).read_bytes()
    (SCREENSHOTS / name).write_bytes(data)  # kept beside the screenshots, to look at
    return str(download.value.suggested_filename), data


def one_a4_page_text(data: bytes) -> str:
    """The text of a PDF that must be exactly one A4 page (595 x 842 pt within 1 pt)."""
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.28) <= 1.0, box
    assert abs(float(box.height) - 841.89) <= 1.0, box
    return str(reader.pages[0].extract_text())


def test_pdf_report_of_a_saved_session_also_after_a_restart(playwright: object, tmp_path: Path) -> None:
    """Both sample clips measured and saved in the app, the Report page's PDF is one A4 page with both
    sides' shin angles as the app showed them (with ±) and the limit felt on the Drills page. After a
    restart of the server (only the history file left) the same saved test gives the same figures."""
    db = tmp_path / "history.sqlite3"
    browser = launch(playwright)
    try:
        with served(tmp_path, db) as url:
            page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)  # type: ignore[attr-defined]
            page.goto(url)
            page.get_by_role("button", name="Try the sample clips").click()
            page.get_by_text("Right ankle — lunge_right_heel_lift.mp4").wait_for(timeout=RESULT_TIMEOUT_MS)
            shown = [metric_value(page, "Shin angle", i) for i in (0, 1)]  # left, then right
            assert all(re.fullmatch(r"\d+\.\d° ± \d+\.\d°", s) for s in shown), shown
            assert shown[0] != shown[1]  # else the PDF could not tell the sides' figures apart
            for entry in (1, 2):
                page.get_by_test_id("stFormSubmitButton").filter(has_text="Save to history").first.click()
                page.get_by_text(f"(entry #{entry})").wait_for(timeout=60_000)
            open_page(page, "Drills")
            page.get_by_text("A pull or stretch in the calf").click()
            page.wait_for_timeout(1000)
            open_page(page, "Report")
            picker = page.get_by_test_id("stSelectbox").filter(has_text="Saved test")
            chosen = picker.get_by_role("combobox").input_value(timeout=60_000)  # the newest saved test
            assert re.fullmatch(r"\d{4}-\d\d-\d\d - Me - left and right", chosen), chosen
            page.wait_for_timeout(1000)
            shot(page, "17_report_pdf")
            name, data = download_pdf(page, "17_report.pdf")
            assert re.fullmatch(r"dorsiflex_Me_\d{4}-\d\d-\d\d\.pdf", name), name
            text = one_a4_page_text(data)
            assert all(figure in text for figure in shown), (shown, text)
            assert "a pull in the calf" in text
        with served(tmp_path, db) as url:  # a restart: nothing measured in this session, the history kept
            page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)  # type: ignore[attr-defined]
            page.goto(f"{url}/report")
            page.get_by_role("heading", name="Report").first.wait_for(timeout=60_000)
            page.get_by_text("Measure at least one ankle with a result first").wait_for(timeout=60_000)
            shot(page, "18_report_after_restart")
            again, data = download_pdf(page, "18_report_after_restart.pdf")
            assert again == name
            text = one_a4_page_text(data)
            assert all(figure in text for figure in shown), (shown, text)
            assert "not recorded / not sure" in text
    finally:
        browser.close()  # type: ignore[attr-defined]


def fake_camera_clip(directory: Path, clip: Path, seconds: float = 8.0) -> Path:
    """The clip as a 640x360 .y4m for Chromium's fake camera (Chromium loops it)."""
    target = directory / "camera.y4m"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-loglevel",
            "error",
            "-y",
            "-stream_loop",
            "2",
            "-i",
            str(clip),
            "-t",
            f"{seconds}",
            "-vf",
            "scale=640:360,fps=30",
            "-pix_fmt",
            "yuv420p",
            "-f",
            "yuv4mpegpipe",
            str(target),
        ],
        check=True,
        timeout=120,
    )
    return target


def webrtc_frame(page: object) -> object:
    """The frame of the streamlit-webrtc component (its START/STOP buttons live in that iframe)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for frame in page.frames:  # type: ignore[attr-defined]
            if frame.get_by_role("button", name="START").count():
                return frame
        time.sleep(0.5)
    raise AssertionError("the live camera component (START button) did not appear")


def test_live_camera_records_and_measures(app_url: str, playwright: object, tmp_path: Path) -> None:
    clip, _ = lunge_clip()
    camera = fake_camera_clip(tmp_path, clip)
    browser = launch(
        playwright,
        [
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}",
        ],
    )
    try:
        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
        context.grant_permissions(["camera"], origin=app_url)
        page = context.new_page()
        page.goto(app_url)
        page.get_by_role("button", name="Try the sample clips").wait_for(timeout=60_000)
        open_page(page, "Live camera")
        component = webrtc_frame(page)
        component.get_by_role("button", name="START").click()  # type: ignore[attr-defined]
        component.get_by_role("button", name="STOP").wait_for(timeout=60_000)  # type: ignore[attr-defined]
        page.get_by_text(re.compile(r"Recording \d+ s")).first.wait_for(timeout=60_000)
        page.wait_for_timeout(7_000)  # two rocks of the clip, and more
        shot(page, "07_live")
        component.get_by_role("button", name="STOP").click()  # type: ignore[attr-defined]
        page.get_by_test_id("stMetric").filter(has_text="Shin angle").first.wait_for(
            timeout=RESULT_TIMEOUT_MS
        )
        shown = metric_value(page, "Shin angle")
        assert re.fullmatch(r"\d+\.\d° ± \d+\.\d°", shown), shown
        assert page.get_by_text(re.compile(r"ankle — webcam_\d{8}_\d{6}\.mp4")).count() == 1
        shot(page, "08_live_result")
    finally:
        browser.close()  # type: ignore[attr-defined]


def test_report_prints_on_one_page(playwright: object, tmp_path: Path) -> None:
    """Both sides, their warnings, a trend per side and the longest drill plan fit on one A4 page."""
    sides = {
        side: app_logic.analyse_clip(clip.read_bytes(), clip.name, app_logic.Settings(side=side))
        for side, clip in (("left", SAMPLE_LEFT), ("right", SAMPLE_RIGHT))
    }
    left, right = (app_logic.side_result(sides[side].measurement) for side in ("left", "right"))
    records = [
        MeasurementRecord(
            "Ann", datetime(2025, month, 1, tzinfo=UTC), side, angle, None, None, None, None, None, "none", 2
        )
        for month, side, angle in (
            (1, "left", 18.0),
            (2, "left", 21.0),
            (3, "left", 25.0),
            (1, "right", 12.0),
        )
    ]
    page_html = build_report(
        ReportInput(
            person="Ann",
            created_at=datetime(2025, 3, 1, 9, 0),
            sides=sides,  # type: ignore[arg-type]
            plan=plan(left, right, "front_pinch"),  # the longest plan: limited ankles with a front pinch
            limit_feel="front_pinch",
            trends={side: trend(records, side) for side in ("left", "right")},  # type: ignore[arg-type]
        )
    )
    browser = launch(playwright)
    try:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.set_content(page_html)
        pdf = tmp_path / "report.pdf"
        page.pdf(path=str(pdf), format="A4")
        page.set_viewport_size({"width": 1000, "height": 1400})
        shot(page, "09_report_print")
    finally:
        browser.close()  # type: ignore[attr-defined]
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())) == 1


def test_a_walk_gets_no_figure_no_verdict_and_no_save(
    app_url: str, playwright: object, tmp_path: Path
) -> None:
    """A clip of someone walking is not a lunge test: the page says so and what to do, shows the rocks it
    saw, and offers no shin angle, no norm verdict and no Save (issue 9)."""
    if not WALK_SIDE.is_file():
        pytest.skip(missing_reason(WALK_SIDE))
    walk = trim(WALK_SIDE, tmp_path / "walk.mp4", 6.6, 4.4)
    browser = launch(playwright)
    try:
        page = browser.new_page(viewport=VIEWPORT)  # type: ignore[attr-defined]
        page.goto(app_url)
        page.get_by_role("button", name="Try the sample clips").wait_for(timeout=60_000)
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Left ankle clip")
        uploader.locator("input[type=file]").set_input_files(str(walk))
        page.get_by_text("does not look like a lunge test").first.wait_for(timeout=RESULT_TIMEOUT_MS)
        page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)  # the chart and the frame drawn
        shot(page, "06_not_a_lunge")
        assert page.get_by_test_id("stMetric").filter(has_text="Shin angle").count() == 0
        assert page.get_by_test_id("stFormSubmitButton").filter(has_text="Save to history").count() == 0
        assert page.get_by_text("healthy range").count() == 0
    finally:
        browser.close()  # type: ignore[attr-defined]


def test_the_printable_marker_downloads_from_the_sidebar(app_url: str, playwright: object) -> None:
    """The marker is not a CLI-only dead end (issue 11): the sidebar downloads the A4 PDF at the size set."""
    browser = launch(playwright)
    try:
        page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)  # type: ignore[attr-defined]
        page.goto(app_url)
        page.get_by_role("button", name="Try the sample clips").wait_for(timeout=60_000)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("Marker or sheet on the floor").click()
        button = sidebar.get_by_role("button", name="Printable marker (10 cm, A4 PDF)")
        button.wait_for(timeout=10_000)
        shot(page, "07_marker_download")
        with page.expect_download(timeout=60_000) as download:
            button.click()
        data = Path(download.value.path()).read_bytes()
        assert download.value.suggested_filename == "dorsiflex-marker-10cm.pdf"
        assert data.startswith(b"%PDF")
        assert b"/MediaBox [ 0 0 595" in data  # A4: 595 x 842 pt
    finally:
        browser.close()  # type: ignore[attr-defined]


PHONE = {"width": 390, "height": 2600}  # a phone's width; tall, as Streamlit scrolls inside the page
NO_SIDEWAYS_SCROLL = """() => {
    const wide = el => el.scrollWidth > el.clientWidth + 1;
    const main = document.querySelector('[data-testid="stMain"]');
    const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"] canvas, '
        + '[data-testid="stVegaLiteChart"] svg.marks')];
    return {
        page: document.documentElement.scrollWidth > window.innerWidth,
        main: main !== null && wide(main),
        tables: [...document.querySelectorAll('[data-testid="stTable"]')].filter(wide).length,
        squeezed_charts: charts.filter(c => c.getBoundingClientRect().height < 60).length,
        charts_wider_than_page: charts.filter(c => c.getBoundingClientRect().right > window.innerWidth + 1)
            .length,
    };
}"""


def no_sideways_scroll(page: object) -> None:
    """Nothing scrolls sideways, and no chart is squeezed (a gauge is about 100 px tall, a plot more)."""
    wide = page.evaluate(NO_SIDEWAYS_SCROLL)  # type: ignore[attr-defined]
    assert wide == {
        "page": False,
        "main": False,
        "tables": 0,
        "squeezed_charts": 0,
        "charts_wider_than_page": 0,
    }, wide


def test_phone_width_reads_without_sideways_scrolling_and_findings_are_not_errors(
    app_url: str, playwright: object
) -> None:
    """At 390 px (a phone): both sample results, their rep tables, the comparison and the other pages fit the
    width; a finding (the samples give a limited or borderline ankle) is never shown as an error box."""
    browser = launch(playwright)
    try:
        page = browser.new_page(viewport=PHONE)  # type: ignore[attr-defined]
        page.goto(app_url)
        page.get_by_role("button", name="Try the sample clips").click()
        page.get_by_text("Right ankle — lunge_right_heel_lift.mp4").wait_for(timeout=RESULT_TIMEOUT_MS)
        page.get_by_text("Finding:").nth(1).wait_for(timeout=60_000)
        page.wait_for_timeout(2000)  # charts drawn
        marks = page.locator("strong", has_text=re.compile(r"^Finding: (Limited|Borderline|Normal)\.$"))
        findings = marks.all_inner_texts()
        assert len(findings) == 2, findings
        assert any(not f.startswith("Finding: Normal") for f in findings), findings  # a finding to judge
        assert page.get_by_test_id("stAlertContentError").count() == 0
        assert page.get_by_test_id("stTable").count() == 2
        no_sideways_scroll(page)
        shot(page, "10_phone_measure")
        for label, name in (
            ("Left vs right", "11_phone_compare"),
            ("Drills", "12_phone_drills"),
            ("History", "13_phone_history"),
            ("Report", "14_phone_report"),
            ("Live camera", "15_phone_live"),
        ):
            open_page(page, label)
            page.wait_for_timeout(1500)
            assert page.get_by_test_id("stAlertContentError").count() == 0, label
            no_sideways_scroll(page)
            shot(page, name)
    finally:
        browser.close()  # type: ignore[attr-defined]


def test_a_right_leg_clip_in_the_left_box_is_said_plainly(app_url: str, playwright: object) -> None:
    browser = launch(playwright)
    try:
        page = browser.new_page(viewport=VIEWPORT)  # type: ignore[attr-defined]
        page.goto(app_url)
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Left ankle clip")
        uploader.locator("input[type=file]").set_input_files(str(SAMPLE_RIGHT))
        page.get_by_text("seems to show the right leg in front").wait_for(timeout=RESULT_TIMEOUT_MS)
        assert page.get_by_role("button", name="Measure it as the right ankle").count() == 1
        shot(page, "16_side_mismatch")
    finally:
        browser.close()  # type: ignore[attr-defined]
