"""Left vs right page: the difference between the ankles, both deepest lunges side by side, both curves."""

from __future__ import annotations

import streamlit as st

from app_pages import charts
from app_pages.session import current_analyses
from vision.app import logic as al
from vision.app import words as app_words


def main() -> None:
    st.header("Left vs right")
    analyses = current_analyses()
    if len(analyses) < 2:
        missing = [side for side in al.SIDES if side not in analyses]
        st.info(f"Measure both ankles first (missing: {', '.join(missing)}) on the **Measure** page.")
        return
    left, right = analyses["left"], analyses["right"]
    comparison = al.compare(left.measurement, right.measurement)
    if comparison is None:
        st.info("One side has no result to compare: measure it again on the **Measure** page.")
        return
    diff = comparison.asymmetry
    cols = st.columns(3)
    cols[0].metric("Difference in shin angle", f"{al.round_half(diff.diff_deg):.1f}°")
    cols[1].metric(
        "Difference in knee over toe",
        "no scale" if diff.diff_cm is None else f"{al.round_half(diff.diff_cm):.1f} cm",
    )
    cols[2].metric("Stiffer side", diff.stiffer_side or "neither")
    finding = "Asymmetry that matters" if diff.significant else "No asymmetry that matters"
    with st.container(border=True):
        st.markdown(f"**{finding}.** {comparison.text}")  # a finding, not an error: neutral styling
        st.caption(app_words.THRESHOLDS_LINE)
    pair = al.side_by_side(
        al.PairSide(al.decode_png(left.peak_raw_png), left.measurement),
        al.PairSide(al.decode_png(right.peak_raw_png), right.measurement),
    )
    st.image(
        al.png_bytes(pair),
        caption="Both deepest lunges at the same scale, mirrored to face the same way",
        width="stretch",
    )
    st.altair_chart(charts.angle_chart(analyses, colour_by_side=True), width="stretch")


main()
