"""The Streamlit app's pages through ``streamlit.testing.v1.AppTest`` (no browser), with a temporary history.

Most tests measure the bundled sample clips; ``st.cache_data`` keeps their measurements between tests, so
MediaPipe runs on each of them once per settings in the whole module.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

import vision.app.logic
import vision.app.words
import vision.output.report_pdf
import vision.output.sessions
from vision.advice.drills import DISCLAIMER, plan
from vision.output.annotate import AnnotatedVideoWriter
from vision.pipeline import PoseRun
from vision.results import Measurement
from vision.storage import HistoryStore, MeasurementRecord

pytestmark = pytest.mark.slow  # runs MediaPipe on the sample clips

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
SAMPLE_LEFT = ROOT / "sample_videos" / "lunge_left_aruco.mp4"
SAMPLE_RIGHT = ROOT / "sample_videos" / "lunge_right_heel_lift.mp4"
TIMEOUT_S = 600

if not (SAMPLE_LEFT.is_file() and SAMPLE_RIGHT.is_file()):
    pytest.skip("the sample clips in sample_videos/ are missing", allow_module_level=True)


# ---------------------------------------------------------------- helpers


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "history.sqlite3"
    monkeypatch.setenv("DORSIFLEX_DB", str(path))
    return path


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> list[Measurement]:
    """Every measurement the engine actually computes during the test (cache hits do not add one): the app
    analyses a clip's pose pass (cached apart) with the settings."""
    calls: list[Measurement] = []
    real = vision.app.logic.measure_from_pose

    def counting(*args: Any, **kwargs: Any) -> Measurement:
        result = real(*args, **kwargs)
        calls.append(result)
        return result

    monkeypatch.setattr(vision.app.logic, "measure_from_pose", counting)
    return calls


@pytest.fixture
def pose_runs(monkeypatch: pytest.MonkeyPatch) -> list[PoseRun]:
    """Every pose pass (MediaPipe over a clip) the app runs during the test."""
    calls: list[PoseRun] = []
    real = vision.app.logic.run_pose

    def counting(*args: Any, **kwargs: Any) -> PoseRun:
        result = real(*args, **kwargs)
        calls.append(result)
        return result

    monkeypatch.setattr(vision.app.logic, "run_pose", counting)
    return calls


def start(db: Path) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception
    assert at.sidebar.text_input(key="db_path").value == str(db)
    return at


@pytest.fixture
def app(db: Path) -> AppTest:
    return start(db)


def with_samples(at: AppTest) -> AppTest:
    button(at, "Try the sample clips").click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def sampled(app: AppTest) -> AppTest:
    return with_samples(app)


def button(at: AppTest, label: str) -> Any:
    matches = [b for b in at.button if b.label == label]
    assert len(matches) == 1, [b.label for b in at.button]
    return matches[0]


PAGES = {
    "Measure": "app_pages/measure.py",
    "Live camera": "app_pages/live.py",
    "Left vs right": "app_pages/compare.py",
    "Drills": "app_pages/drills.py",
    "History": "app_pages/history.py",
    "Report": "app_pages/report.py",
}


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(PAGES[page]).run()
    assert not at.exception, at.exception
    assert [h.value for h in at.header] == [page]
    return at


def texts(at: AppTest) -> str:
    """Everything written on the page, as one string."""
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "subheader", "header"):
        parts += [str(element.value) for element in getattr(at, kind)]
    parts += [str(e.label) for e in at.expander]
    return "\n".join(parts)


def metrics(at: AppTest, label: str) -> list[str]:
    return [str(m.value) for m in at.metric if m.label == label]


def seeded_record(db: Path) -> int:
    with HistoryStore(db) as store:
        return store.add(
            MeasurementRecord(
                person="Ann",
                measured_at=datetime(2025, 1, 5, 9, tzinfo=UTC),
                side="left",
                shin_angle_deg=38.5,
                knee_over_toe_cm=None,
                knee_over_toe_uncertainty_cm=None,
                toe_to_wall_cm=None,
                knee_reached_wall=None,
                knee_over_toe_foot_ratio=0.3,
                scale_source="none (angle only)",
                reps_valid=3,
                notes="baseline",
            )
        )


def no_person_clip(path: Path) -> Path:
    rng = np.random.default_rng(0)
    with AnnotatedVideoWriter(path, 15.0, 320, 240) as writer:
        for _ in range(45):
            writer.write(np.clip(rng.normal(128, 10, (240, 320, 3)), 0, 255).astype(np.uint8))
    return path


def dorsiflex_temp_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("dorsiflex-*")}


@pytest.fixture(autouse=True)
def no_temp_leftovers() -> Iterator[None]:
    """Every clip is processed in a temporary directory that is removed afterwards."""
    before = dorsiflex_temp_dirs()
    yield
    assert dorsiflex_temp_dirs() <= before


# ---------------------------------------------------------------- measure page


def test_app_opens_with_the_filming_guide_and_the_sample_button(app: AppTest) -> None:
    page = texts(app)
    assert "Camera at shin height" in page
    assert "On a phone: tap *Upload*, then the camera" in page  # the button's own word
    assert "marker or an A4 sheet on the floor beside the foot" in page
    assert "No result yet" in page
    assert button(app, "Try the sample clips").label
    assert {u.key for u in app.file_uploader} >= {"up_left", "up_right", "up_check"}


def test_sample_clips_are_measured_once_and_then_served_from_the_cache(
    db: Path, measured: list[Measurement]
) -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    at = with_samples(start(db))
    assert [m.side for m in measured] == ["left", "right"]
    left, right = measured
    assert left.peak is not None
    assert right.peak is not None
    assert metrics(at, "Shin angle") == [
        vision.app.logic.format_angle_pm(m.peak.shin_angle_deg, m.peak.shin_angle_uncertainty_deg)
        for m in (left, right)
        if m.peak is not None
    ]
    page = texts(at)
    for m in (left, right):
        assert f"**Reps counted:** {sum(r.valid for r in m.reps)} of {len(m.reps)}" in page
    page = texts(at)
    assert "Left ankle — lunge_left_aruco.mp4" in page
    assert "Right ankle — lunge_right_heel_lift.mp4" in page
    assert "Rep 2 was not counted: heel lifted" in page  # the right clip lifts the heel on rep 2
    assert "Bennell 1998" in page
    assert "scale from printed marker on the floor" in page  # the app's words, not "ArUco"
    assert "Finding:" in page
    assert not at.error  # findings are not errors: no red box on the page
    assert len(at.image) == 2  # the two annotated peak frames
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("Download per-frame CSV") == 2
    assert "Download annotated video" not in labels  # drawn only when its box is opened
    at.session_state["video_box_left"] = True  # open the left clip's "Annotated video" box
    at.run()
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("Download annotated video") == 1
    assert len(at.get("video")) == 1
    # The same clips with the same settings: from the cache, in another session too.
    at.run()
    with_samples(start(db))
    assert len(measured) == 2


def test_a_new_foot_length_re_runs_the_analysis_and_not_the_pose_pass(
    db: Path, measured: list[Measurement], pose_runs: list[PoseRun]
) -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    at = with_samples(start(db))
    assert len(pose_runs) == 2  # one pose pass per clip
    assert [m.side for m in measured] == ["left", "right"]
    assert metrics(at, "Knee over toe")[1] == "no scale"  # the right clip has no marker
    at.sidebar.number_input(key="foot_length_cm").set_value(26.0).run()
    assert not at.exception
    assert len(pose_runs) == 2  # the scale changed, not the clip: no new pose pass
    assert [m.side for m in measured] == ["left", "right", "left", "right"]  # both analysed again
    right = measured[-1]
    assert right.scale is not None
    assert right.scale.source == "foot"
    assert right.peak is not None
    assert right.peak.knee_over_toe_cm is not None
    peak = right.peak
    shown, _ = vision.app.words.metric_cm(peak.knee_over_toe_cm, peak.knee_over_toe_uncertainty_cm)
    assert metrics(at, "Knee over toe")[1] == shown
    at.sidebar.number_input(key="foot_length_cm").set_value(28.0).run()
    assert len(pose_runs) == 2
    assert len(measured) == 6
    assert measured[-1].peak is not None
    assert measured[-1].peak.knee_over_toe_cm == pytest.approx(right.peak.knee_over_toe_cm * 28 / 26)


def test_foot_length_gives_centimetres(sampled: AppTest) -> None:
    sampled.sidebar.number_input(key="foot_length_cm").set_value(26.0).run()
    assert not sampled.exception
    knee = metrics(sampled, "Knee over toe")
    assert len(knee) == 2
    assert all(value.endswith(" cm") or " cm ± " in value or " cm (rough: ± " in value for value in knee), (
        knee
    )
    assert "foot length 26 cm (entered)" in texts(sampled)  # the right clip has no marker


def test_findings_are_neutral_with_a_gauge_and_notes_are_grouped(sampled: AppTest) -> None:
    """A finding (limited or not) is plain markdown beside its norm gauge, never an error box; the engine's
    notes sit in one collapsed "N notes about this clip" box per side, in the app's words."""
    page = texts(sampled)
    assert page.count("Finding:") == 2
    assert not sampled.error
    assert (
        len(sampled.get("vega_lite_chart")) >= 4
    )  # per side: the rep chart and at least the shin angle gauge
    notes = [e for e in sampled.expander if e.label.endswith("about this clip")]
    assert [e.label.split()[1:] for e in notes] == [
        ["note", "about", "this", "clip"],
        ["notes", "about", "this", "clip"],
    ]
    for banned in ("--side", "+-", "1 sigma"):
        assert banned not in page, banned
    assert not re.search(r"\baruco\b", page, re.IGNORECASE)  # the clip's name "lunge_left_aruco" aside


def test_the_filming_guide_closes_once_a_clip_is_in(app: AppTest) -> None:
    assert app.expander[0].label == "How to film (read this first)"
    with_samples(app)
    labels = [e.label for e in app.expander]
    assert "How to film" in labels
    assert "How to film (read this first)" not in labels


def test_a_bad_upload_replaces_the_old_result_of_its_side(app: AppTest) -> None:
    app.file_uploader(key="up_left").upload("first.mp4", SAMPLE_LEFT.read_bytes(), "video/mp4")
    app.run()
    assert "Left ankle — first.mp4" in texts(app)
    app.file_uploader(key="up_left").upload("notes.mp4", b"my notes, not a video\n" * 50, "video/mp4")
    app.run()
    assert not app.exception
    page = texts(app)
    assert any("notes.mp4 is not a readable video" in e.value for e in app.error)
    assert "Left ankle — first.mp4" not in page  # the error is not shown above the old clip's result
    assert metrics(app, "Shin angle") == []


def test_a_saved_result_is_confirmed_and_not_offered_again(sampled: AppTest, db: Path) -> None:
    sampled.button(key="FormSubmitter:save_left-Save to history").click().run()
    assert not sampled.exception
    assert "Saved to the history of Me (entry #1)." in texts(sampled)
    keys = [b.key for b in sampled.button]
    assert "FormSubmitter:save_left-Save to history" not in keys  # the form is gone: no second save
    assert "FormSubmitter:save_right-Save to history" in keys
    sampled.run()
    with HistoryStore(db) as store:
        assert len(store.list()) == 1


def test_marker_settings_outlive_their_closed_box(app: AppTest) -> None:
    """The marker box is drawn only when open; what was set in it still measures once it is closed."""
    assert "marker_size_input" not in app.session_state  # closed: not drawn
    app.session_state["marker_box"] = True  # AppTest does not keep an expander open: opened for each run
    app.run()
    app.sidebar.number_input(key="marker_size_input").set_value(5.0)
    app.sidebar.radio(key="paper_input").set_value("A4 sheet")
    app.session_state["marker_box"] = True
    app.run()
    app.run()  # closed now: the widgets are gone
    assert "marker_size_input" not in [n.key for n in app.sidebar.number_input]
    app.run()
    assert not app.exception
    assert (app.session_state["marker_size_cm"], app.session_state["paper"]) == (5.0, "A4 sheet")


FIRST_PAGE = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.run()
assert not at.exception, at.exception
heavy = ("scipy", "altair", "pandas", "matplotlib", "mediapipe", "cv2", "numpy")
print(" ".join(m for m in heavy if m in sys.modules))
"""


def test_the_first_page_loads_without_the_engine_or_the_chart_libraries() -> None:
    """What makes the first page load slow is left for later: nothing is measured or charted on it yet, and
    no image is decoded (not even OpenCV or NumPy are loaded)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", FIRST_PAGE, str(APP)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == ""


WARMED_THEN_MEASURED = """
import importlib
import sys
from pathlib import Path

from app_pages.warm_up import MEASURING

for name in MEASURING:
    importlib.import_module(name)
before = set(sys.modules)
from vision.app import logic as al

clip = Path(sys.argv[1])
al.analyse_clip(clip.read_bytes(), clip.name, al.Settings(side="left"), with_video=False)
print(" ".join(sorted({name.split(".")[0] for name in set(sys.modules) - before})))
"""


def test_the_warm_up_imports_what_measuring_needs_before_the_charts() -> None:
    """The server's warm-up imports the engine and MediaPipe first: a clip uploaded as soon as they are in
    imports nothing heavy of its own (and does not wait for the chart libraries, imported after them)."""
    import subprocess
    import sys

    from app_pages.warm_up import DRAWING, HEAVY_MODULES, MEASURING

    assert HEAVY_MODULES == MEASURING + DRAWING
    assert {"pandas", "altair", "app_pages.result_view"} <= set(DRAWING)
    done = subprocess.run(
        [sys.executable, "-c", WARMED_THEN_MEASURED, str(SAMPLE_LEFT)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=TIMEOUT_S,
    )
    heavy = {"vision", "mediapipe", "cv2", "numpy", "scipy", "matplotlib", "pandas", "altair", "app_pages"}
    assert heavy.isdisjoint(done.stdout.split()), done.stdout


def test_clear_all_results(sampled: AppTest) -> None:
    button(sampled, "Clear all results").click().run()
    assert not sampled.exception
    assert metrics(sampled, "Shin angle") == []
    assert "No result yet" in texts(sampled)


def test_one_clip_with_the_side_detected(app: AppTest) -> None:
    app.radio(key="mode").set_value("One clip, I pick the side").run()
    app.file_uploader(key="up_one").upload(SAMPLE_RIGHT.name, SAMPLE_RIGHT.read_bytes(), "video/mp4")
    app.run()
    assert not app.exception
    assert "Right ankle — lunge_right_heel_lift.mp4" in texts(app)
    assert len(metrics(app, "Shin angle")) == 1


def test_upload_per_side(app: AppTest) -> None:
    app.file_uploader(key="up_left").upload("my lunge.MOV", SAMPLE_LEFT.read_bytes(), "video/quicktime")
    app.run()
    assert not app.exception
    assert "Left ankle — my lunge.MOV" in texts(app)


# ---------------------------------------------------------------- left vs right, drills, report


def test_left_vs_right(sampled: AppTest) -> None:
    go(sampled, "Left vs right")
    left, right = current_measurements(sampled)
    comparison = vision.app.logic.compare(left, right)
    assert comparison is not None
    shown = vision.app.logic.round_half(comparison.asymmetry.diff_deg)
    assert metrics(sampled, "Difference in shin angle") == [f"{shown:.1f}°"]
    page = texts(sampled)
    assert comparison.text in page
    assert vision.app.words.THRESHOLDS_LINE in page  # both thresholds, and why they differ
    assert not sampled.error
    assert len(sampled.image) == 1  # both peak frames in one picture


def test_left_vs_right_needs_both_sides(app: AppTest) -> None:
    go(app, "Left vs right")
    assert "Measure both ankles first (missing: left, right)" in texts(app)


def test_drills_follow_where_the_limit_is_felt(sampled: AppTest) -> None:
    go(sampled, "Drills")
    sampled.radio(key="limit_feel_input").set_value("Pain in the Achilles tendon").run()
    assert not sampled.exception
    page = texts(sampled)
    assert page.count(DISCLAIMER) == 1
    left, right = (vision.app.logic.side_result(m) for m in current_measurements(sampled))
    expected = plan(left, right, "achilles_pain")
    titles = [e.label for e in sampled.expander]
    for item in expected.items:
        assert any(title.startswith(item.drill.name) for title in titles), item.drill.name
    assert "Achilles pain" in page


def current_measurements(at: AppTest) -> list[Measurement]:
    """The left and right measurements the app shows."""
    analyses = at.session_state["analyses"]
    return [analyses[side].measurement for side in ("left", "right")]


def test_report_page_offers_the_html_report(sampled: AppTest) -> None:
    go(sampled, "Report")
    labels = [b.label for b in sampled.get("download_button")]
    assert "Download the report (HTML)" in labels
    assert "Download the PDF report" not in labels  # nothing saved yet
    assert "No test of Me is saved in the history yet" in texts(sampled)


def test_report_page_offers_the_pdf_of_a_saved_test_also_after_a_restart(sampled: AppTest, db: Path) -> None:
    for side in ("left", "right"):
        sampled.button(key=f"FormSubmitter:save_{side}-Save to history").click().run()
    go(sampled, "Drills")
    sampled.radio(key="limit_feel_input").set_value("A pull or stretch in the calf").run()
    go(sampled, "Report")  # the answer outlives the Drills page's radio
    labels = [b.label for b in sampled.get("download_button")]
    assert labels == ["Download the PDF report", "Download the report (HTML)"]
    assert "limit felt: *a pull or stretch in the calf*" in texts(sampled)
    with HistoryStore(db) as store:
        [saved] = vision.output.sessions.sessions(store, "Me")
    assert saved.label.endswith(" - Me - left and right")
    assert sampled.selectbox(key="report_session").options == [saved.label]

    restarted = go(start(db), "Report")  # a new session: only the history file
    assert restarted.selectbox(key="report_session").value == saved.label
    assert [b.label for b in restarted.get("download_button")] == ["Download the PDF report"]
    assert "limit felt: *not sure*" in texts(restarted)


# ---------------------------------------------------------------- history


def test_history_save_edit_delete_and_several_people(sampled: AppTest, db: Path) -> None:
    sampled.text_input(key="notes_left").set_value("after warm-up")
    sampled.button(key="FormSubmitter:save_left-Save to history").click().run()
    assert "Saved to the history of Me (entry #1)." in texts(sampled)
    sampled.sidebar.text_input(key="person").set_value("Bob").run()
    sampled.button(key="FormSubmitter:save_right-Save to history").click().run()
    assert "Saved to the history of Bob (entry #2)." in texts(sampled)
    with HistoryStore(db) as store:
        saved = store.list()
        assert store.people() == ["Bob", "Me"]
    assert [(r.person, r.side, r.notes, r.video_path) for r in saved] == [
        ("Me", "left", "after warm-up", None),  # raw video only if asked
        ("Bob", "right", "", None),
    ]
    with HistoryStore(db) as store:
        full = store.get(saved[0].id or 0)
    left = current_measurements(sampled)[0]
    assert left.peak is not None
    # What the PDF report needs to be made again from the history alone: the ± and the peak crop.
    assert full.shin_angle_uncertainty_deg == pytest.approx(left.peak.shin_angle_uncertainty_deg)
    assert full.peak_crop_jpeg is not None
    assert full.peak_crop_jpeg.startswith(b"\xff\xd8")  # a JPEG

    go(sampled, "History")
    assert sampled.selectbox(key="history_person").value == "Bob"
    sampled.selectbox(key="history_person").set_value("Me").run()
    assert len(sampled.dataframe[0].value) == 1
    assert len(sampled.get("vega_lite_chart")) == 1  # the left trend (no right measurement for Me)
    assert "Export Me's history (CSV)" in [b.label for b in sampled.get("download_button")]

    sampled.text_input(key="edit_1_notes").set_value("re-checked")
    sampled.number_input(key="edit_1_angle").set_value(30.0)
    sampled.button(key="FormSubmitter:edit_1-Save changes").click().run()
    assert not sampled.exception
    assert "Entry #1 updated." in texts(sampled)
    with HistoryStore(db) as store:
        edited = store.get(1)
    assert (edited.notes, edited.shin_angle_deg) == ("re-checked", 30.0)

    sampled.checkbox(key="confirm_delete_1").check().run()
    sampled.button(key="delete_1").click().run()
    assert not sampled.exception
    with HistoryStore(db) as store:
        assert [r.id for r in store.list()] == [2]
    assert sampled.selectbox(key="history_person").value == "Bob"


def test_save_can_keep_the_video_when_asked(sampled: AppTest, db: Path) -> None:
    sampled.checkbox(key="keep_right").check()
    sampled.button(key="FormSubmitter:save_right-Save to history").click().run()
    with HistoryStore(db) as store:
        (saved,) = store.list()
    assert saved.video_path is not None
    assert Path(saved.video_path).read_bytes() == SAMPLE_RIGHT.read_bytes()
    assert Path(saved.video_path).parent == db.parent / "videos"


# ---------------------------------------------------------------- live camera


def test_live_page_measures_a_finished_recording(app: AppTest, tmp_path: Path) -> None:
    go(app, "Live camera")
    assert "Live camera: not available in this test run." in texts(app)
    recording = tmp_path / "dorsiflex-live-test" / "live.mp4"
    recording.parent.mkdir()
    shutil.copy(SAMPLE_LEFT, recording)
    app.session_state["live_recorder"].finished.put(recording)
    app.run()
    assert not app.exception
    page = texts(app)
    assert "Left ankle — webcam_" in page
    assert len(metrics(app, "Shin angle")) == 1
    assert not recording.parent.exists()  # the recording's temporary folder is removed


# ---------------------------------------------------------------- bad input


def test_bad_input_gives_a_message_and_the_app_keeps_working(app: AppTest, db: Path, tmp_path: Path) -> None:
    record_id = seeded_record(db)

    # A .txt never reaches the app: the uploader only takes video extensions (Streamlit refuses the rest).
    # What does reach it: files with a video name that are not videos.
    app.file_uploader(key="up_left").upload("notes.mp4", b"my notes, not a video\n" * 50, "video/mp4")
    app.run()
    assert not app.exception
    assert any("notes.mp4 is not a readable video" in e.value for e in app.error), [
        e.value for e in app.error
    ]

    app.file_uploader(key="up_left").clear()
    photo = vision.app.logic.png_bytes(np.full((240, 320, 3), 200, dtype=np.uint8))
    app.file_uploader(key="up_left").upload("photo.mov", photo, "video/quicktime")
    app.run()
    assert not app.exception
    assert any("photo.mov is a still image, not a video" in e.value for e in app.error), [
        e.value for e in app.error
    ]

    app.file_uploader(key="up_left").clear()
    wall = no_person_clip(tmp_path / "wall.mp4")
    app.file_uploader(key="up_left").upload("wall.mp4", wall.read_bytes(), "video/mp4")
    app.run()
    assert not app.exception
    assert any("wall.mp4: no person found" in e.value for e in app.error), [e.value for e in app.error]

    app.file_uploader(key="up_left").clear()
    app.file_uploader(key="up_right").upload("huge.mp4", b"\x00" * (2 * 1024 * 1024), "video/mp4")
    with patch_config_options({"server.maxUploadSize": 1}):
        app.run()
    assert not app.exception
    assert any("huge.mp4 is 2 MB, over the 1 MB limit" in e.value for e in app.error), [
        e.value for e in app.error
    ]

    # Still working: the samples measure, and the saved history is intact.
    app.file_uploader(key="up_right").clear()
    with_samples(app)
    assert len(metrics(app, "Shin angle")) == 2
    with HistoryStore(db) as store:
        assert [r.id for r in store.list()] == [record_id]
    go(app, "History")
    assert app.selectbox(key="history_person").value in ("Ann", "Me")
    app.selectbox(key="history_person").set_value("Ann").run()
    assert len(app.dataframe[0].value) == 1


def test_an_unusable_history_file_is_reported(app: AppTest, tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.sqlite3"
    not_a_db.write_text("this is not a database")
    app.sidebar.text_input(key="db_path").set_value(str(not_a_db)).run()
    go(app, "History")
    assert any("not a dorsiflex history file" in e.value for e in app.error)
    go(app, "Measure")
    assert not app.exception
