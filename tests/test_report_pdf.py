"""The one-page PDF report, built from a real SQLite history file and read back with pypdf."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream
from test_storage import _make_v3_file

from vision.advice.drills import DISCLAIMER
from vision.advice.norms import Side
from vision.output import peak_crop, report_pdf
from vision.output.annotate import ANGLE_BGR, SHIN_BGR, draw_leg
from vision.output.peak_crop import leg_crop, record_fields
from vision.output.report_pdf import session_pdf
from vision.output.sessions import Session, find_session, report_file_name, session_of_records, sessions
from vision.storage import HistoryStore, MeasurementRecord

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_LEFT = ROOT / "sample_videos" / "lunge_left_aruco.mp4"
A4_PT = (595.28, 841.89)
MM_PER_PT = 25.4 / 72
DAY = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


# --- helpers ------------------------------------------------------------------------------------------------


def leg_points(width: int, height: int, facing: str = "right", shin_px: float = 220.0) -> dict[str, Any]:
    """A lunging lower leg (shin leaning 35 deg forward) standing on the lower part of a frame."""
    ankle = np.array([0.45 * width, 0.85 * height])
    forward = 1.0 if facing == "right" else -1.0
    lean = np.radians(35.0)
    knee = ankle + shin_px * np.array([forward * np.sin(lean), -np.cos(lean)])
    hip = knee + shin_px * np.array([-forward * 0.6, -0.8])
    heel = ankle + np.array([-forward * 0.25 * shin_px, 0.12 * shin_px])
    toe = ankle + np.array([forward * 0.75 * shin_px, 0.16 * shin_px])
    return {
        name: (float(p[0]), float(p[1]))
        for name, p in zip(
            ("hip", "knee", "ankle", "heel", "toe"), (hip, knee, ankle, heel, toe), strict=True
        )
    }


def drawn_frame(width: int = 1280, height: int = 720, facing: str = "right", angle: float = 35.0) -> Any:
    """A drawn stand-in for an annotated peak frame: a textured background with the leg drawn by annotate."""
    rng = np.random.default_rng(0)
    background = rng.integers(60, 200, size=(height // 8, width // 8, 3), dtype=np.uint8)
    frame = cv2.resize(background, (width, height), interpolation=cv2.INTER_NEAREST)
    points = leg_points(width, height, facing, shin_px=0.3 * min(width, height))
    return draw_leg(frame, points, angle, lines=["Left ankle: shin 35.0 deg"], highlight=True), points


def crop_jpeg(facing: str = "right", width: int = 1280, height: int = 720) -> bytes:
    frame, points = drawn_frame(width, height, facing)
    ok, encoded = cv2.imencode(".jpg", leg_crop(frame, points))
    assert ok
    return encoded.tobytes()


def record(
    side: Side = "left",
    when: datetime = DAY,
    angle: float = 38.0,
    person: str = "Ana",
    **fields: Any,
) -> MeasurementRecord:
    values: dict[str, Any] = {
        "person": person,
        "measured_at": when,
        "side": side,
        "shin_angle_deg": angle,
        "knee_over_toe_cm": 11.25,
        "knee_over_toe_uncertainty_cm": 0.6,
        "toe_to_wall_cm": 10.5,
        "knee_reached_wall": True,
        "knee_over_toe_foot_ratio": 0.43,
        "scale_source": "aruco",
        "reps_valid": 3,
        "shin_angle_uncertainty_deg": 2.4,
        "tibia_axis_deg": angle - 3.5,
        "tibia_axis_uncertainty_deg": 2.6,
        "toe_to_wall_uncertainty_cm": 0.8,
    }
    values.update(fields)
    return MeasurementRecord(**values)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore(tmp_path / "history.sqlite3") as opened:
        yield opened


def read(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    return " ".join(read(pdf).pages[0].extract_text().split())


def image_heights_mm(pdf: bytes) -> list[float]:
    """The drawn height of every image on the page (from the matrix set just before it is painted)."""
    reader = read(pdf)
    page = reader.pages[0]
    heights, matrix = [], None
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"cm":
            matrix = [float(value) for value in operands]
        elif operator == b"Do":
            assert matrix is not None
            heights.append(matrix[3] * MM_PER_PT)
    return heights


def text_positions_pt(pdf: bytes) -> list[tuple[float, float]]:
    """Where each piece of text starts on the page (x, y from the bottom left, in points)."""
    positions: list[tuple[float, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip():
            positions.append(
                (float(tm[4]) * float(cm[0]) + float(cm[4]), float(tm[5]) * float(cm[3]) + float(cm[5]))
            )

    read(pdf).pages[0].extract_text(visitor_text=visit)
    return positions


def assert_one_a4_page(pdf: bytes) -> None:
    reader = read(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - A4_PT[0]) < 1.0
    assert abs(float(box.height) - A4_PT[1]) < 1.0
    positions = text_positions_pt(pdf)
    assert positions
    margin_pt = 9.0 / MM_PER_PT  # nothing in the 9 mm next to the paper's edges (printers cut there)
    for x, y in positions:
        assert margin_pt <= x <= A4_PT[0] - margin_pt, (x, y)
        assert margin_pt <= y <= A4_PT[1] - margin_pt, (x, y)


# --- the crop -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facing", "width", "height"),
    [
        ("right", 1280, 720),
        ("left", 1280, 720),
        ("right", 720, 1280),
        ("left", 1920, 1080),
        ("right", 640, 480),
    ],
)
def test_leg_crop_keeps_the_whole_drawn_shin_and_angle(facing: str, width: int, height: int) -> None:
    frame, points = drawn_frame(width, height, facing)
    crop = leg_crop(frame, points)
    for colour in (ANGLE_BGR, SHIN_BGR):  # the angle's arc and label, the shin line
        in_frame = int(np.all(frame == colour, axis=2).sum())
        assert in_frame > 30  # anti-aliased: only the cores have the exact colour
        assert int(np.all(crop == colour, axis=2).sum()) == in_frame
    assert crop.shape[0] * crop.shape[1] < 0.5 * width * height  # a crop, not the frame
    assert not np.shares_memory(crop, frame)


def test_leg_crop_without_a_knee_or_with_bad_input() -> None:
    frame, points = drawn_frame()
    no_knee = {name: point for name, point in points.items() if name != "knee"}
    assert leg_crop(frame, no_knee).shape == frame.shape
    nan_knee = {**points, "knee": (float("nan"), 3.0)}
    assert leg_crop(frame, nan_knee).shape == frame.shape
    with pytest.raises(ValueError, match="BGR"):
        leg_crop(frame[:, :, 0], points)
    with pytest.raises(ValueError, match="margin"):
        leg_crop(frame, points, margin=-1.0)


# --- sessions -----------------------------------------------------------------------------------------------


def test_sessions_pair_the_newest_of_each_side_per_person_and_day(store: HistoryStore) -> None:
    early_left = store.add(record("left", DAY, 30.0))
    late_left = store.add(record("left", DAY + timedelta(hours=2), 31.0))  # a retake: the newest counts
    right = store.add(record("right", DAY + timedelta(hours=1), 33.0))
    ben = store.add(record("left", DAY, 40.0, person="Ben"))
    older = store.add(record("right", DAY - timedelta(days=30), 29.0))
    found = sessions(store, tz=UTC)
    assert [(s.person, s.day, s.record_ids) for s in found] == [
        ("Ana", DAY.date(), (late_left, right)),
        ("Ben", DAY.date(), (ben,)),
        ("Ana", (DAY - timedelta(days=30)).date(), (older,)),
    ]
    assert early_left not in {i for s in found for i in s.record_ids}
    assert [s.label for s in sessions(store, "Ana", tz=UTC)] == [
        "2026-03-10 - Ana - left and right",
        "2026-02-08 - Ana - right",
    ]
    assert all(r.peak_crop_jpeg is None for s in found for r in (s.left, s.right) if r is not None)


def test_a_session_day_is_a_local_day(store: HistoryStore) -> None:
    late_evening = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    store.add(record("left", late_evening))
    store.add(record("right", late_evening + timedelta(hours=1)))  # 00:30 UTC the next day
    assert len(sessions(store, tz=UTC)) == 2
    plus_two = timezone(timedelta(hours=2))  # both are on 11 March there
    (both,) = sessions(store, tz=plus_two)
    assert (both.day, both.left is not None, both.right is not None) == (date(2026, 3, 11), True, True)


def test_find_session_reads_the_crops_and_refuses_a_day_without_tests(store: HistoryStore) -> None:
    jpeg = crop_jpeg()
    store.add(record("left", peak_crop_jpeg=jpeg))
    found = find_session(store, "Ana", DAY.date(), tz=UTC)
    assert found.left is not None
    assert found.left.peak_crop_jpeg == jpeg
    assert found.right is None
    with pytest.raises(KeyError):
        find_session(store, "Ana", DAY.date() + timedelta(days=1), tz=UTC)
    with pytest.raises(KeyError):
        find_session(store, "Nobody", DAY.date(), tz=UTC)


def test_a_session_of_chosen_records(store: HistoryStore) -> None:
    retake = store.add(record("left", DAY, 30.0, peak_crop_jpeg=crop_jpeg()))
    store.add(record("left", DAY + timedelta(hours=1), 31.0))
    right = store.add(record("right", DAY + timedelta(hours=2), 33.0))
    ben = store.add(record("right", DAY, 40.0, person="Ben"))
    chosen = session_of_records(store, [right, retake], tz=UTC)
    assert (chosen.person, chosen.day, chosen.record_ids) == ("Ana", DAY.date(), (retake, right))
    assert chosen.left is not None
    assert chosen.left.peak_crop_jpeg is not None  # read in full
    pdf = report_pdf.report_pdf(chosen, store.list(person="Ana"), tz=UTC)
    assert "30.0° ± 2.5°" in text_of(pdf)
    with pytest.raises(ValueError, match="one person"):
        session_of_records(store, [retake, ben])
    with pytest.raises(ValueError, match="one record per side"):
        session_of_records(store, [retake, retake + 1])
    with pytest.raises(ValueError, match="at least one"):
        session_of_records(store, [])
    with pytest.raises(KeyError):
        session_of_records(store, [999])


def test_report_file_name() -> None:
    session = Session("Ana López / coach", date(2026, 3, 10), record(), None)
    assert report_file_name(session) == "dorsiflex_Ana_López___coach_2026-03-10.pdf"


# --- the page -----------------------------------------------------------------------------------------------


def test_a_session_is_one_a4_page_with_both_sides_asymmetry_crops_and_disclaimer(
    store: HistoryStore, tmp_path: Path
) -> None:
    store.add(record("left", DAY - timedelta(days=60), 30.0, knee_over_toe_cm=8.0))
    store.add(record("right", DAY - timedelta(days=60), 36.0))
    store.add(record("left", DAY, 36.0, peak_crop_jpeg=crop_jpeg("right")))
    store.add(
        record(
            "right",
            DAY + timedelta(minutes=4),
            43.5,
            knee_over_toe_cm=13.5,
            knee_over_toe_uncertainty_cm=0.5,
            toe_to_wall_cm=None,
            knee_reached_wall=None,
            shin_angle_uncertainty_deg=1.6,
            peak_crop_jpeg=crop_jpeg("left"),
        )
    )
    pdf = session_pdf(store, "Ana", DAY.date(), tz=UTC)
    (tmp_path / "report.pdf").write_bytes(pdf)
    assert_one_a4_page(pdf)
    text = text_of(pdf)
    for expected in (
        "Ankle dorsiflexion: Ana",
        "Left ankle",
        "Right ankle",
        "36.0° ± 2.5°",  # left shin angle (2.4 shown to 0.5)
        "32.5° ± 2.5°",  # left tibia axis
        "+11.2 cm ± 0.6 cm",  # left knee over toe
        "10.5 cm ± 0.8 cm (knee at the wall)",  # left toe to wall
        "43.5° ± 1.5°",  # right shin angle
        "+13.5 cm ± 0.5 cm",
        "The sides differ by 7.5° and 2.0 cm",
        "more than the 5° / 1.5 cm",
        "The left ankle is stiffer",
        "vs first (2026-01-09): +6.0° real change",  # left: beyond the 4.7° MDC
        "+7.5° real change",  # right
        "Drill plan",
        DISCLAIMER,
    ):
        assert expected in text, expected
    assert "Toe to wall" in text.split("Right ankle")[0]  # the right side has no wall: no row for it
    heights = image_heights_mm(pdf)
    assert len(heights) == 2
    assert min(heights) >= 60.0
    assert len(read(pdf).pages[0].images) == 2


def test_a_session_of_one_side(store: HistoryStore) -> None:
    store.add(record("right", DAY, 41.0, peak_crop_jpeg=crop_jpeg()))
    pdf = session_pdf(store, "Ana", DAY.date(), tz=UTC)
    assert_one_a4_page(pdf)
    text = text_of(pdf)
    assert "No left ankle test saved on this day" in text
    assert "41.0° ± 2.5°" in text
    assert "Left vs right" not in text
    assert "First saved test of this side" in text
    assert DISCLAIMER in text
    assert len(image_heights_mm(pdf)) == 1
    assert image_heights_mm(pdf)[0] >= 60.0


def test_a_long_history_and_the_longest_plan_still_fit_one_page(store: HistoryStore) -> None:
    person = "Maximiliana Evangelina Bartholomew-Featherstonehaugh"
    start = DAY - timedelta(days=7 * 120)
    for week in range(120):  # two years of weekly tests, the first 40 saved as knee-ankle axis angles
        kind = "tibia_axis" if week < 40 else "front_of_shin"
        for side, offset in (("left", 0.0), ("right", 6.0)):
            store.add(
                record(
                    side,
                    start + timedelta(days=7 * week),
                    22.0 + offset + 8.0 * np.sin(week / 9.0),
                    person=person,
                    angle_kind=kind,
                    notes="x" * 400,
                )
            )
    store.add(record("left", DAY, 22.0, person=person, knee_over_toe_cm=2.0, peak_crop_jpeg=crop_jpeg()))
    store.add(
        record(
            "right",
            DAY,
            31.0,
            person=person,
            knee_over_toe_cm=6.0,
            knee_over_toe_uncertainty_cm=2.4,  # rough
            peak_crop_jpeg=crop_jpeg("left", 720, 1280),
        )
    )
    pdf = session_pdf(store, person, DAY.date(), limit_feel="front_pinch", tz=UTC)
    assert_one_a4_page(pdf)
    text = text_of(pdf)
    assert f"Ankle dorsiflexion: {person}" in text
    assert "Left (81 tests)" in text
    assert "Right (81 tests)" in text
    assert "40 older tests of the knee-ankle axis angle not compared" in text
    assert "about +6 cm (rough: ± 2.4 cm)" in text
    assert "7. " in text  # the longest plan: seven drills
    assert DISCLAIMER in text
    assert min(image_heights_mm(pdf)) >= 60.0


def test_a_very_long_name_is_shortened_in_the_title(store: HistoryStore) -> None:
    person = "Ana " + "Very-Long-Family-Name " * 20
    store.add(record("left", DAY, 36.0, person=person, peak_crop_jpeg=crop_jpeg()))
    store.add(record("right", DAY, 37.0, person=person, peak_crop_jpeg=crop_jpeg()))
    pdf = session_pdf(store, person, DAY.date(), tz=UTC)
    assert_one_a4_page(pdf)
    text = text_of(pdf)
    assert "Ankle dorsiflexion: Ana Very-Long-Family-Name" in text
    assert "…" in text
    assert DISCLAIMER in text
    assert min(image_heights_mm(pdf)) >= 60.0


def test_the_report_is_rebuilt_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as first:
        first.add(record("left", DAY, 37.0, peak_crop_jpeg=crop_jpeg()))
        first.add(record("right", DAY, 38.5, peak_crop_jpeg=crop_jpeg("left")))
        made_then = session_pdf(first, "Ana", DAY.date(), tz=UTC, created_at=DAY)
    with HistoryStore(path) as reopened:
        made_again = session_pdf(reopened, "Ana", DAY.date(), tz=UTC, created_at=DAY)
    assert text_of(made_again) == text_of(made_then)
    assert "37.0° ± 2.5°" in text_of(made_again)
    assert len(image_heights_mm(made_again)) == 2


def test_a_database_of_the_old_schema_migrates_and_reports(tmp_path: Path) -> None:
    """A v3 file (before the crops and the ±), made with test_storage's frozen schema, opens and reports."""
    path = tmp_path / "old.sqlite3"
    _make_v3_file(path)  # Ana: two left knee-ankle axis rows (Jan, Feb 2024), a right front-of-shin row (Mar)
    with HistoryStore(path) as store:
        assert [r.id for r in store.list()] == [10, 11, 12, 13]
        (march,) = [s for s in sessions(store, "Ana", tz=UTC) if s.day == date(2024, 3, 5)]
        pdf = session_pdf(store, "Ana", march.day, tz=UTC)
        assert [r.id for r in store.list()] == [10, 11, 12, 13]
    assert_one_a4_page(pdf)
    text = text_of(pdf)
    assert "36.5°" in text
    assert "36.5° ±" not in text  # no uncertainty was saved then: none is made up
    assert "Tibia axis" not in text
    assert "No left ankle test saved on this day" in text
    assert text.count("No picture saved with this test") == 1
    assert image_heights_mm(pdf) == []


def test_an_axis_angle_session_is_labelled_and_not_banded(store: HistoryStore) -> None:
    store.add(record("left", DAY, 30.0, angle_kind="tibia_axis", shin_angle_uncertainty_deg=None))
    text = text_of(session_pdf(store, "Ana", DAY.date(), tz=UTC))
    assert "Knee-ankle axis 30.0° (saved before the shin angle)" in text
    assert "Against norms" not in text
    assert "knee-ankle axis angles" in text


def test_report_pdf_needs_a_side_and_a_known_limit_feel() -> None:
    with pytest.raises(ValueError, match="at least one"):
        report_pdf.report_pdf(Session("Ana", DAY.date(), None, None), [])
    with pytest.raises(ValueError, match="limit feel"):  # and no font file is left open (warnings are errors)
        report_pdf.report_pdf(Session("Ana", DAY.date(), record(), None), [], "knee")  # type: ignore[arg-type]


# --- from the engine's result (real MediaPipe on the bundled sample) ---------------------------------------


@pytest.mark.slow
def test_record_fields_from_a_real_measurement_crop_the_drawn_leg(tmp_path: Path) -> None:
    from vision.output import export
    from vision.pipeline import MeasureOptions, measure
    from vision.video import VideoReader

    measurement = measure(SAMPLE_LEFT, MeasureOptions())
    assert measurement.peak is not None
    with VideoReader(SAMPLE_LEFT) as reader:
        frame = export._find_peak_frame(reader, measurement)
    assert frame is not None
    annotated = export.peak_image(measurement, frame)
    fields = record_fields(measurement, annotated)
    peak = measurement.peak
    assert fields["shin_angle_uncertainty_deg"] == pytest.approx(peak.shin_angle_uncertainty_deg)
    assert fields["tibia_axis_deg"] == pytest.approx(peak.tibia_axis_deg)
    assert peak.wall is not None
    assert fields["toe_to_wall_uncertainty_cm"] == pytest.approx(peak.wall.toe_to_wall_uncertainty_cm)
    jpeg = fields["peak_crop_jpeg"]
    assert jpeg is not None
    crop = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert crop.shape[0] < annotated.shape[0]
    assert crop.shape[1] < annotated.shape[1]
    uncompressed = leg_crop(annotated, peak_crop.peak_points_px(measurement))
    assert crop.shape == uncompressed.shape
    for colour in (ANGLE_BGR, SHIN_BGR):  # the whole drawn angle (arc and label) and shin line are in it
        assert int(np.all(uncompressed == colour, axis=2).sum()) == int(
            np.all(annotated == colour, axis=2).sum()
        )
    # The app's peak picture is scaled down: the crop follows the scale.
    half = cv2.resize(
        annotated, (annotated.shape[1] // 2, annotated.shape[0] // 2), interpolation=cv2.INTER_AREA
    )
    half_crop = cv2.imdecode(
        np.frombuffer(record_fields(measurement, half)["peak_crop_jpeg"] or b"", np.uint8), 1
    )
    assert abs(half_crop.shape[0] - crop.shape[0] / 2) <= 2
    assert record_fields(measurement, None)["peak_crop_jpeg"] is None
    # A clip filmed at twice the size was analysed (and drawn) at this size: its points are the same pixels.
    video = measurement.video
    filmed_big = dataclasses.replace(
        measurement,
        video=dataclasses.replace(video, width=2 * video.width, height=2 * video.height, analysed_scale=0.5),
    )
    big_crop = cv2.imdecode(
        np.frombuffer(record_fields(filmed_big, annotated)["peak_crop_jpeg"] or b"", np.uint8), 1
    )
    assert big_crop.shape == crop.shape

    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        store.add(
            MeasurementRecord(
                person="Sample",
                measured_at=DAY,
                side=measurement.side,
                shin_angle_deg=peak.shin_angle_deg,
                knee_over_toe_cm=peak.knee_over_toe_cm,
                knee_over_toe_uncertainty_cm=peak.knee_over_toe_uncertainty_cm,
                toe_to_wall_cm=peak.wall.toe_to_wall_cm,
                knee_reached_wall=peak.wall.knee_reached_wall,
                knee_over_toe_foot_ratio=peak.knee_over_toe_foot_ratio,
                scale_source=measurement.scale.source,
                reps_valid=sum(rep.valid for rep in measurement.reps),
                **fields,
            )
        )
    with HistoryStore(path) as store:
        pdf = session_pdf(store, "Sample", DAY.date(), tz=UTC)
    (tmp_path / "sample.pdf").write_bytes(pdf)
    assert_one_a4_page(pdf)
    shown = round(peak.shin_angle_deg * 2) / 2, max(round(peak.shin_angle_uncertainty_deg * 2) / 2, 0.5)
    assert f"{shown[0]:.1f}° ± {shown[1]:.1f}°" in text_of(pdf)  # to 0.5°, as saved from the engine
    assert image_heights_mm(pdf)[0] >= 60.0


def test_record_fields_refuse_a_measurement_without_a_result() -> None:
    from vision.results import STATUS_NO_VALID_REP

    class NoResult:
        peak = None
        status = STATUS_NO_VALID_REP

    with pytest.raises(ValueError, match="no result"):
        record_fields(NoResult(), None)  # type: ignore[arg-type]
