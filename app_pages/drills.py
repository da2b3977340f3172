"""Drills page: a plan from both ankles' results and where the limit is felt."""

from __future__ import annotations

import streamlit as st

from app_pages.session import LIMIT_FEELS, current_analyses, limit_feel, make_plan
from app_pages.sidebar import keep
from vision.advice.drills import CATEGORY_ORDER, DISCLAIMER, PlanItem
from vision.app import logic as al
from vision.app.words import app_words

CATEGORY_TITLES = {"soft_tissue": "1. Soft tissue", "joint": "2. Joint", "loading": "3. Loading"}


def main() -> None:
    st.header("Drills")
    st.info(DISCLAIMER)
    analyses = current_analyses()
    if not any(al.has_result(a.measurement) for a in analyses.values()):
        st.info("Measure at least one ankle with a result first on the **Measure** page.")
        return
    # The answer outlives this page (a widget's own state is dropped when another page is shown): the
    # Report page's PDF and summary use it.
    label = st.radio(
        "Where did you feel the limit at the deepest lunge?",
        tuple(LIMIT_FEELS),
        index=tuple(LIMIT_FEELS).index(limit_feel()[0]),
        key="limit_feel_input",
        on_change=keep,
        args=("limit_feel_input", "limit_feel"),
    )
    drill_plan = make_plan(analyses, LIMIT_FEELS[str(label)])
    if drill_plan is None:
        st.info("No result to plan from: measure again on the **Measure** page.")
        return
    for side, band in drill_plan.classification_by_side:
        st.markdown(f"- **{side.capitalize()} ankle:** {al.BAND_WORDS[band]}")
    with st.expander("Why this plan", expanded=True):
        st.markdown("\n".join(f"- {app_words(reason)}" for reason in drill_plan.rationale))
    for category in CATEGORY_ORDER:
        items = [item for item in drill_plan.items if item.drill.category == category]
        if items:
            st.subheader(CATEGORY_TITLES[category])
            for item in items:
                show_drill(item)


def show_drill(item: PlanItem) -> None:
    sets = ", ".join(f"{s} {n} set{'s' if n != 1 else ''}" for s, n in item.sets_by_side)
    with st.expander(f"{item.drill.name} — {sets} x {item.dose}"):
        st.markdown(f"*{item.drill.purpose}*")
        st.markdown(f"**Set-up:** {item.drill.setup}")
        st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(item.drill.steps, start=1)))
        for caution in item.drill.cautions:
            st.caption(f"⚠️ {caution}")


main()
