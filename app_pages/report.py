"""Report page: a one-page summary of this session's results to print or send.

The downloads sit in :func:`downloads`, one ``st.download_button`` each (a PDF built from a saved session
goes there too).
"""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from app_pages.session import current_analyses, limit_feel, make_plan, open_store, person
from vision import app_logic as al
from vision.landmarks import Side
from vision.report import ReportInput, build_report
from vision.storage import Trend, trend


def main() -> None:
    st.header("Report")
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
        type="primary",
        on_click="ignore",
    )


main()
