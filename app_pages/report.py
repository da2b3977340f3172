"""Report page: the PDF of a saved test (from the history file alone, so it works after a restart) and a
one-page summary of this session's results to print or send.

The downloads sit in :func:`downloads` (this session's HTML summary) and :func:`saved_pdf` (a saved test's
one-page A4 PDF, ``vision.output.report_pdf``).
"""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from app_pages.session import current_analyses, limit_feel, make_plan, open_store, person
from vision.advice.trends import Trend, trend
from vision.app import logic as al
from vision.output.report import ReportInput, build_report
from vision.pose.landmarks import Side


def main() -> None:
    st.header("Report")
    saved_pdf()
    st.subheader("This session's summary")
    analyses = {side: a for side, a in current_analyses().items() if al.has_result(a.measurement)}
    if not analyses:
        st.info("Measure at least one ankle with a result first on the **Measure** page.")
        return
    label, feel = limit_feel()
    html = build_report(
        ReportInput(
            person=person(),
            created_at=datetime.now(),
            sides=analyses,
            plan=make_plan(analyses, feel),
            limit_feel=feel,
            trends=saved_trends(),
        )
    )
    st.markdown(
        "A one-page summary to print or send: both deepest lunges, the figures, the left-right difference, "
        "the trend from your history and the drill plan (limit felt: "
        f"*{label.lower()}*, change it on the **Drills** page)."
    )
    downloads(html)
    with st.expander("Preview of the printed page (A4)"):  # an A4 layout: closed, it spares a phone
        st.iframe(html, height=1100)


def saved_pdf() -> None:
    """A picker of the person's saved tests (newest first) and the chosen one's one-page A4 PDF.

    Everything on the PDF comes from the history file; where the limit was felt is not saved, so the Drills
    page's answer of this session is used ("not sure" without one).
    """
    from vision.output import (  # fpdf2 and the crops' code: loaded when this page is opened
        report_pdf,
        sessions,
    )

    st.subheader("PDF of a saved test")
    who = person()
    store = open_store()
    if store is None:
        return
    try:
        found = sessions.sessions(store, who or None)
        if not found:
            st.info(
                f"No test of {who or 'anyone'} is saved in the history yet: measure both ankles, press "
                "**Save to history** under each result, and its PDF is offered here."
            )
            return
        labels = [s.label for s in found]
        chosen = st.selectbox(
            "Saved test (one day's newest left and right)",
            labels,
            index=0,
            key="report_session",
            help="Any day saved in the history file can be reported again, also after a restart.",
        )
        session = found[labels.index(str(chosen))] if chosen in labels else found[0]
        feel_label, feel = limit_feel()
        data = report_pdf.session_pdf(store, session.person, session.day, feel)
    finally:
        store.close()
    st.caption(
        "One A4 page: each side's deepest lunge, the figures with their ±, the left-right difference, the "
        f"trend, the drill plan (limit felt: *{feel_label.lower()}*) and the disclaimer."
    )
    st.download_button(
        "Download the PDF report",
        data,
        file_name=sessions.report_file_name(session),
        mime="application/pdf",
        type="primary",
        on_click="ignore",
        key="report_pdf",
    )


def saved_trends() -> dict[Side, Trend]:
    """Each side's trend from the person's saved tests (empty without a history)."""
    store = open_store()
    if store is None:
        return {}
    try:
        records = store.list(person=person()) if person() else []
    finally:
        store.close()
    return {side: trend(records, side) for side in al.SIDES if any(r.side == side for r in records)}


def downloads(html: str) -> None:
    st.download_button(
        "Download the report (HTML)",
        html.encode("utf-8"),
        file_name=f"dorsiflex_report_{person() or 'session'}_{date.today():%Y%m%d}.html",
        mime="text/html",
        on_click="ignore",
    )


main()
