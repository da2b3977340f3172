"""A one-page A4 PDF report of a SAVED session, so any past test can be reported again after a restart.

**Session**: one person's tests saved on one calendar day (in the local time zone unless one is given): the
newest left-ankle record and the newest right-ankle record of that day. Either side may be missing (a
session of one ankle). Everything on the page comes from the history file (`vision.storage`):

* a crop of each side's annotated peak frame around the leg (knee to toes, with the drawn shin line and
  angle), saved with the record (``peak_crop_jpeg``, schema v4; older rows get a placeholder);
* each side's figures with their ± (1 standard uncertainty): the shin angle along the front of the shin, as
  the clinic's inclinometer reads it, the tibia axis (knee-ankle line), knee over toe and toe to wall;
* the left-right asymmetry, counted as real above 5° / 1.5 cm (`vision.advice.norms`);
* each side's trend over the person's history up to this session, a change counted as real beyond the
  minimal detectable change 4.7° / 1.9 cm; rows of the other angle kind are never compared;
* the drill plan (`vision.advice.drills.plan`; the limit feel is not saved, so it is a parameter) and the
  disclaimer.

The crops are saved by :mod:`vision.output.peak_crop`; sessions are found by :mod:`vision.output.sessions`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

import cv2
import matplotlib
import numpy as np
import numpy.typing as npt
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from vision.advice.drills import DISCLAIMER, DrillPlan, LimitFeel, plan
from vision.advice.norms import (
    ASYMMETRY_CM,
    ASYMMETRY_DEG,
    HEALTHY_RANGE_CM,
    HEALTHY_RANGE_DEG,
    MDC_CM,
    MDC_DEG,
    Side,
    SideResult,
    asymmetry,
    asymmetry_words,
)
from vision.advice.trends import Trend, trend
from vision.output.report_words import FEEL_WORDS, figure_rows, point_of, tests_text, trend_lines
from vision.output.sessions import SIDES, Session, find_session
from vision.storage import FRONT_OF_SHIN, HistoryStore, MeasurementRecord

ImageBGR = npt.NDArray[np.uint8]

__all__ = ["report_pdf", "session_pdf"]


def session_pdf(
    store: HistoryStore,
    person: str,
    day: date,
    limit_feel: LimitFeel = "unsure",
    tz: tzinfo | None = None,
    created_at: datetime | None = None,
) -> bytes:
    """The one-page A4 PDF of ``person``'s session on ``day``, from the history alone.

    The trend uses that person's records up to each side's test of this session. Raises KeyError when there
    is no such session.
    """
    session = find_session(store, person, day, tz)
    return report_pdf(session, store.list(person=person), limit_feel, tz, created_at)


# --- The page -----------------------------------------------------------------------------------------------

_FONT = "DejaVu"
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN = 10.0
_GAP = 6.0
_COL_W = (_PAGE_W - 2 * _MARGIN - _GAP) / 2
_NAME_MAX = 90  # characters of the person's name in the title (two lines at most)
_LABEL_W = 27.0  # at least; wider for a longer label
_CHART_H = 21.0
_CROP_MAX_MM = 92.0  # the crops' height: as tall as the page allows between these
_CROP_MIN_MM = 60.0
_INK = (17, 17, 17)
_GREY = (90, 90, 90)
_RULE = (187, 187, 187)
_BLUE = (31, 78, 140)
_RED = (164, 0, 0)
_BAND = (223, 233, 245)
_FLAG = (138, 90, 0)


class _Page(FPDF):
    """FPDF with the report's font, one A4 page, no automatic page breaks."""

    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.add_font(_FONT, "", _FONT_DIR / "DejaVuSans.ttf")
        self.add_font(_FONT, "B", _FONT_DIR / "DejaVuSans-Bold.ttf")
        self.bottom = 0.0  # the lowest point drawn, to check that the page holds everything
        self.crop_height = 0.0  # the height given to the peak crops

    def close_fonts(self) -> None:
        """Close the font files (fontTools keeps a lazily read TrueType file open until then)."""
        for font in self.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    def font(self, size: float, bold: bool = False, colour: tuple[int, int, int] = _INK) -> None:
        self.set_font(_FONT, "B" if bold else "", size)
        self.set_text_color(*colour)

    def para(self, x: float, w: float, h: float, text: str, align: str = "L") -> None:
        """Wrapped text at (x, current y); the cursor moves below it."""
        self.set_x(x)
        self.multi_cell(w, h, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.bottom = max(self.bottom, self.get_y())

    def heading(self, text: str, x: float = _MARGIN, w: float = _PAGE_W - 2 * _MARGIN) -> None:
        self.font(10.5, bold=True)
        self.set_x(x)
        self.cell(w, 5.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*_RULE)
        self.set_line_width(0.2)
        self.line(x, self.get_y(), x + w, self.get_y())
        self.set_y(self.get_y() + 1.2)
        self.bottom = max(self.bottom, self.get_y())


def report_pdf(
    session: Session,
    history: Sequence[MeasurementRecord],
    limit_feel: LimitFeel = "unsure",
    tz: tzinfo | None = None,
    created_at: datetime | None = None,
) -> bytes:
    """The one-page A4 PDF of ``session`` (records with their crops) against the person's ``history``.

    ``history`` may hold any of the person's records (with or without crops, other people's are ignored);
    each side's trend keeps those of its angle kind up to the session's test. Raises ValueError for a session
    without records.
    """
    if session.left is None and session.right is None:
        raise ValueError("a report needs at least one saved side")
    created = created_at or datetime.now(UTC)
    # Laid out with the tallest crops first; if the page overflows, once more with crops shorter by the
    # overflow (everything below them moves up by as much), never below the smallest readable size.
    pdf = _build(session, history, limit_feel, tz, created, _CROP_MAX_MM)
    overflow = pdf.bottom - (_PAGE_H - _MARGIN)
    if overflow > 0:
        pdf.close_fonts()
        height = max(_CROP_MIN_MM, pdf.crop_height - overflow - 0.5)
        pdf = _build(session, history, limit_feel, tz, created, height)
    try:
        return bytes(pdf.output())
    finally:
        pdf.close_fonts()


def _build(
    session: Session,
    history: Sequence[MeasurementRecord],
    limit_feel: LimitFeel,
    tz: tzinfo | None,
    created_at: datetime,
    crop_height: float,
) -> _Page:
    pdf = _Page()
    try:
        _lay_out(pdf, session, history, limit_feel, tz, created_at, crop_height)
    except BaseException:
        pdf.close_fonts()
        raise
    return pdf


def _lay_out(
    pdf: _Page,
    session: Session,
    history: Sequence[MeasurementRecord],
    limit_feel: LimitFeel,
    tz: tzinfo | None,
    created_at: datetime,
    crop_height: float,
) -> None:
    name = session.person if len(session.person) <= _NAME_MAX else session.person[: _NAME_MAX - 1] + "…"
    title = f"Ankle dorsiflexion: {name}"
    pdf.set_title(f"{title}, {session.day.isoformat()}")
    pdf.set_creator("dorsiflex")
    pdf.set_creation_date(created_at)
    pdf.add_page()
    size = 16.0  # smaller for a long name, then wrapped
    pdf.font(size, bold=True)
    while size > 11.0 and pdf.get_string_width(title) > _PAGE_W - 2 * _MARGIN:
        size -= 1.0
        pdf.font(size, bold=True)
    pdf.para(_MARGIN, _PAGE_W - 2 * _MARGIN, size * 0.5, title)
    pdf.font(8.5, colour=_GREY)
    times = ", ".join(
        f"{side} {record.measured_at.astimezone(tz).strftime('%H:%M')}"
        for side in SIDES
        if (record := session.record(side)) is not None
    )
    pdf.para(
        _MARGIN,
        _PAGE_W - 2 * _MARGIN,
        4,
        f"Weight-bearing lunge (knee-to-wall) test of {session.day.strftime('%d %B %Y')} ({times}), measured "
        f"from side-on video with dorsiflex. Report made "
        f"{created_at.astimezone(tz).strftime('%Y-%m-%d %H:%M')} from the saved history.",
    )
    pdf.set_y(pdf.get_y() + 1.5)
    _sides(pdf, session, crop_height)
    _asymmetry(pdf, session)
    _trends(pdf, session, history)
    _plan(pdf, session, limit_feel)
    _footer(pdf, session)


def _aspect(jpeg: bytes | None) -> float | None:
    """Width over height of a JPEG, None without a readable one."""
    if jpeg is None:
        return None
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    return None if image is None else image.shape[1] / image.shape[0]


def _sides(pdf: _Page, session: Session, max_height: float) -> None:
    """Each side's crop (both in boxes of one height, as tall as the page allows) and its figures."""
    aspects = [
        aspect
        for side in SIDES
        if (record := session.record(side)) is not None and (aspect := _aspect(record.peak_crop_jpeg))
    ]
    crop_height = max((min(max_height, _COL_W / a) for a in aspects), default=min(max_height, _CROP_MIN_MM))
    pdf.crop_height = crop_height
    top = pdf.get_y()
    bottoms = []
    for column, side in enumerate(SIDES):
        x = _MARGIN + column * (_COL_W + _GAP)
        pdf.set_y(top)
        pdf.heading(f"{side.capitalize()} ankle", x, _COL_W)
        record = session.record(side)
        y = pdf.get_y()
        if record is None:
            pdf.set_fill_color(240, 240, 240)
            pdf.rect(x, y, _COL_W, crop_height, style="F")
            pdf.font(9, colour=_GREY)
            pdf.set_xy(x, y + crop_height / 2 - 3)
            pdf.cell(_COL_W, 6, f"No {side} ankle test saved on this day", align="C")
            bottoms.append(y + crop_height)
            continue
        _crop(pdf, record, x, y, crop_height)
        pdf.set_y(y + crop_height + 1.5)
        rows = figure_rows(record)
        pdf.font(8.5, bold=True)
        label_w = max(_LABEL_W, *(pdf.get_string_width(label) + 2.0 for label, _ in rows))
        for label, value in rows:
            pdf.set_x(x)
            pdf.font(8.5, bold=True)
            pdf.cell(label_w, 4.3, label)
            pdf.font(8.5)
            pdf.multi_cell(_COL_W - label_w, 4.3, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        bottoms.append(pdf.get_y())
    pdf.set_y(max(bottoms))
    pdf.font(7, colour=_GREY)
    pdf.para(
        _MARGIN,
        _PAGE_W - 2 * _MARGIN,
        3.2,
        "Shin angle: the front of the shin from vertical, as the clinic's inclinometer reads it (healthy "
        f"adults {HEALTHY_RANGE_DEG[0]:g}-{HEALTHY_RANGE_DEG[1]:g}°); tibia axis: the knee-ankle line, not "
        "compared with norms. Knee over toe: front of the knee to the toe tip along the floor (+ = past "
        "the toes); toe to wall: the knee-to-wall score when the knee reached the wall (healthy adults "
        f"{HEALTHY_RANGE_CM[0]:g}-{HEALTHY_RANGE_CM[1]:g} cm). ± is one standard uncertainty.",
    )


def _crop(pdf: _Page, record: MeasurementRecord, x: float, y: float, height: float) -> None:
    pdf.set_fill_color(34, 34, 34)
    if record.peak_crop_jpeg is None:
        pdf.rect(x, y, _COL_W, height, style="F")
        pdf.font(9, colour=(220, 220, 220))
        pdf.set_xy(x, y + height / 2 - 3)
        pdf.cell(_COL_W, 6, "No picture saved with this test", align="C")
        return
    aspect = _aspect(record.peak_crop_jpeg) or 1.0
    w, h = (_COL_W, _COL_W / aspect) if _COL_W / aspect <= height else (height * aspect, height)
    pdf.rect(x, y, _COL_W, height, style="F")
    pdf.image(
        io.BytesIO(record.peak_crop_jpeg),
        x=x + (_COL_W - w) / 2,
        y=y + (height - h) / 2,
        w=w,
        h=h,
        alt_text=f"{record.side} ankle at the deepest valid lunge, shin line and angle drawn",
    )


def _side_results(session: Session) -> dict[Side, SideResult]:
    return {
        side: SideResult(record.shin_angle_deg, record.knee_over_toe_cm)
        for side in SIDES
        if (record := session.record(side)) is not None
    }


def _asymmetry(pdf: _Page, session: Session) -> None:
    left, right = session.left, session.right
    if left is None or right is None:
        return
    pdf.set_y(pdf.get_y() + 1.5)
    pdf.heading("Left vs right")
    if left.angle_kind != right.angle_kind:
        pdf.font(9)
        pdf.para(_MARGIN, _PAGE_W - 2 * _MARGIN, 4.3, "The two sides hold different angles: not compared.")
        return
    results = _side_results(session)
    diff = asymmetry(results["left"], results["right"])
    text = asymmetry_words(diff)
    y = pdf.get_y()
    pdf.font(9, bold=diff.significant)
    pdf.para(_MARGIN + 2.5, _PAGE_W - 2 * _MARGIN - 2.5, 4.3, text)
    pdf.set_draw_color(*(_FLAG if diff.significant else _RULE))
    pdf.set_line_width(0.9)
    pdf.line(_MARGIN + 0.5, y + 0.3, _MARGIN + 0.5, pdf.get_y() - 0.3)


def _trends(pdf: _Page, session: Session, history: Sequence[MeasurementRecord]) -> None:
    pdf.set_y(pdf.get_y() + 1.5)
    pdf.heading("Trend (shin angle over this person's tests, up to this session)")
    top = pdf.get_y()
    bottoms = []
    for column, side in enumerate(SIDES):
        x = _MARGIN + column * (_COL_W + _GAP)
        record = session.record(side)
        pdf.set_y(top)
        if record is None:
            bottoms.append(top)
            continue
        mine = [
            r
            for r in history
            if r.person == session.person and r.side == side and r.measured_at <= record.measured_at
        ]
        if record.id not in {r.id for r in mine}:
            mine.append(record)
        side_trend = trend(mine, side, angle_kind=record.angle_kind)
        pdf.font(8.5, bold=True)
        pdf.set_x(x)
        pdf.cell(_COL_W, 4.3, f"{side.capitalize()} ({tests_text(len(side_trend.points))})")
        _chart(pdf, side_trend, record.id, x, top + 4.6, _COL_W, _CHART_H)
        pdf.set_y(top + 4.6 + _CHART_H + 0.8)
        pdf.font(7.5)
        for line in trend_lines(side_trend, record.id):
            pdf.para(x, _COL_W, 3.4, line)
        bottoms.append(pdf.get_y())
    pdf.set_y(max(bottoms))
    pdf.font(7, colour=_GREY)
    pdf.para(
        _MARGIN,
        _PAGE_W - 2 * _MARGIN,
        3.2,
        f"Shaded: the first test ± {MDC_DEG:g}°, the minimal detectable change between sessions (Powden "
        f"2015); red points lie beyond it, a real change. A smaller change (or one under {MDC_CM:g} cm) may "
        f"be measurement error. This is the re-test threshold; the {ASYMMETRY_DEG:g}° / {ASYMMETRY_CM:g} cm "
        "between sides is another one.",
    )


def _chart(
    pdf: _Page, side_trend: Trend, record_id: int | None, x: float, y: float, w: float, h: float
) -> None:
    """The shin angle over time with the first test ± MDC band; the session's test ringed."""
    points = side_trend.points
    values = [p.shin_angle_deg for p in points]
    times = [p.measured_at.timestamp() for p in points]
    base = values[0]
    low = min(*values, base - side_trend.mdc_deg) - 2.0
    high = max(*values, base + side_trend.mdc_deg) + 2.0
    left, right, top, bottom = x + 9.0, x + w - 3.0, y + 1.0, y + h - 4.0
    t0, t1 = min(times), max(times)

    def px(t: float) -> float:
        return left + (right - left) * ((t - t0) / (t1 - t0) if t1 > t0 else 0.5)

    def py(v: float) -> float:
        return bottom - (bottom - top) * (v - low) / (high - low)

    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.15)
    pdf.rect(left, top, right - left, bottom - top)
    pdf.set_fill_color(*_BAND)
    band_top = py(base + side_trend.mdc_deg)
    pdf.rect(left, band_top, right - left, py(base - side_trend.mdc_deg) - band_top, style="F")
    pdf.font(6.5, colour=_GREY)
    for tick in _ticks(low, high):
        pdf.line(left - 0.8, py(tick), left, py(tick))
        pdf.text(x, py(tick) + 1.0, f"{tick:.0f}°")
    pdf.text(left, y + h, points[0].measured_at.strftime("%Y-%m-%d"))
    last = points[-1].measured_at.strftime("%Y-%m-%d")
    if len(points) > 1:
        pdf.text(right - pdf.get_string_width(last), y + h, last)
    pdf.set_draw_color(*_BLUE)
    pdf.set_line_width(0.35)
    xy = [(px(t), py(v)) for t, v in zip(times, values, strict=True)]
    if len(xy) > 1:
        pdf.polyline(xy)
    radius = 0.9 if len(points) <= 40 else 0.6
    current = point_of(side_trend, record_id)
    for i, ((cx, cy), point) in enumerate(zip(xy, points, strict=True)):
        colour = _RED if point.from_baseline.detectable_deg else _BLUE
        pdf.set_fill_color(*colour)
        pdf.ellipse(cx - radius, cy - radius, 2 * radius, 2 * radius, style="F")
        if i == current:
            pdf.set_draw_color(*_INK)
            pdf.set_line_width(0.3)
            ring = radius + 0.8
            pdf.ellipse(cx - ring, cy - ring, 2 * ring, 2 * ring)
    pdf.bottom = max(pdf.bottom, y + h)


def _ticks(low: float, high: float) -> list[float]:
    step = 5.0 if high - low <= 30 else 10.0
    start = math.ceil(low / step) * step
    return [start + i * step for i in range(int((high - start) // step) + 1)]


def _plan(pdf: _Page, session: Session, limit_feel: LimitFeel) -> None:
    results = _side_results(session)
    drill_plan: DrillPlan = plan(results.get("left"), results.get("right"), limit_feel)
    pdf.set_y(pdf.get_y() + 1.5)
    pdf.heading(f"Drill plan (where the limit is felt: {FEEL_WORDS.get(limit_feel, limit_feel)})")
    items = list(drill_plan.items)
    half = (len(items) + 1) // 2
    top = pdf.get_y()
    bottoms = []
    for column, chunk in enumerate((items[:half], items[half:])):
        x = _MARGIN + column * (_COL_W + _GAP)
        pdf.set_y(top)
        for number, item in enumerate(chunk, start=1 + column * half):
            sets = ", ".join(f"{side} {n} set{'s' if n != 1 else ''}" for side, n in item.sets_by_side)
            pdf.font(8, bold=True)
            pdf.para(x, _COL_W, 3.6, f"{number}. {item.drill.name}")
            pdf.font(7.5)
            pdf.para(x + 3.5, _COL_W - 3.5, 3.3, f"{sets}; one set: {item.dose}")
        bottoms.append(pdf.get_y())
    pdf.set_y(max(bottoms) + 0.8)
    pdf.font(7, colour=_GREY)
    # The per-side sentences repeat the figures and bands shown above: the rest says why this plan.
    side_openings = tuple(f"{side.capitalize()} ankle: " for side in SIDES)
    for reason in drill_plan.rationale:
        if not reason.startswith(side_openings):
            pdf.para(_MARGIN, _PAGE_W - 2 * _MARGIN, 3.1, reason)
    if any(r.angle_kind != FRONT_OF_SHIN for r in (session.left, session.right) if r is not None):
        pdf.para(
            _MARGIN,
            _PAGE_W - 2 * _MARGIN,
            3.1,
            "The angles of this session are knee-ankle axis angles (saved before the front-of-shin angle): "
            "they read a few degrees below the inclinometer norms the plan uses.",
        )


def _footer(pdf: _Page, session: Session) -> None:
    pdf.set_y(pdf.get_y() + 2.0)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    pdf.line(_MARGIN, pdf.get_y(), _PAGE_W - _MARGIN, pdf.get_y())
    pdf.set_y(pdf.get_y() + 1.0)
    pdf.font(8, bold=True)
    pdf.para(_MARGIN, _PAGE_W - 2 * _MARGIN, 3.6, DISCLAIMER)
    pdf.font(6.5, colour=_GREY)
    ids = ", ".join(str(i) for i in session.record_ids)
    pdf.para(
        _MARGIN,
        _PAGE_W - 2 * _MARGIN,
        3.0,
        "A measuring aid, not a diagnosis. Sources: Powden 2015 (minimal detectable change), Hoch & "
        "McKeon 2011 and Chisholm 2012 (between sides), Bennell 1998 and Konor 2012 (norms). "
        f"History records {ids}.",
    )
