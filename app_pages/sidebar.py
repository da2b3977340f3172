"""The sidebar under the page list: whose ankles, the scale helpers, the history file and the references."""

from __future__ import annotations

import functools

import streamlit as st

from app_pages.session import PAPERS
from vision.advice.norms import REFERENCES
from vision.storage import default_db_path


def sidebar() -> None:
    with st.sidebar:
        st.caption("Ankle dorsiflexion from a side-on video of the knee-to-wall lunge.")
        st.text_input("Person", key="person", value="Me", help="Whose ankles these are (for the history).")
        st.number_input(
            "Foot length, cm (optional)",
            min_value=0.0,
            max_value=40.0,
            step=0.5,
            key="foot_length_cm",
            help="Heel-to-toe length of the filmed foot (or shoe). Gives knee over toe in cm; "
            "0 = angle only.",
        )
        box = st.expander("Marker or sheet on the floor", key="marker_box", on_change="rerun")
        if box.open:  # drawn when opened: the marker module is not loaded with the first page
            with box:
                marker_box()
        st.text_input(
            "History file",
            key="db_path",
            value=str(default_db_path()),
            help="SQLite file for saved measurements (DORSIFLEX_DB sets the default).",
        )


def keep(widget_key: str, setting_key: str) -> None:
    """Copy a widget's value to a setting that outlives the widget (the box holding it may be closed)."""
    st.session_state[setting_key] = st.session_state[widget_key]


def marker_box() -> None:
    from vision.scene.marker import marker_pdf, max_size_cm

    ss = st.session_state
    st.number_input(
        "Printed marker size, cm",
        min_value=2.0,
        max_value=40.0,
        value=float(ss.get("marker_size_cm") or 10.0),
        step=0.5,
        key="marker_size_input",
        on_change=keep,
        args=("marker_size_input", "marker_size_cm"),
        help="Side of the printed marker's black square.",
    )
    size_cm = float(ss.get("marker_size_cm") or 10.0)
    if size_cm > max_size_cm():
        st.caption(f"A {size_cm:g} cm marker does not fit on A4: print one of {max_size_cm():.0f} cm or less")
    st.download_button(
        f"Printable marker ({size_cm:g} cm, A4 PDF)",
        data=functools.partial(marker_pdf, size_cm),  # drawn only when clicked
        file_name=f"dorsiflex-marker-{size_cm:g}cm.pdf",
        mime="application/pdf",
        on_click="ignore",
        disabled=size_cm > max_size_cm(),
        help="Print at 100 % (no 'fit to page'), check the black square with a ruler, and lay it "
        "flat beside the front foot, its edges parallel to the foot.",
    )
    st.radio(
        "Sheet of paper",
        tuple(PAPERS),
        index=tuple(PAPERS).index(str(ss.get("paper") or "No sheet")),
        key="paper_input",
        on_change=keep,
        args=("paper_input", "paper"),
        help="A sheet lying beside the foot gives the scale; a side view cannot tell A4 from Letter.",
    )


def about() -> None:
    with st.sidebar, st.expander("About the figures"):
        st.caption(
            "Shin angle: the forward lean of the front of the shin from vertical at the deepest heel-down "
            "lunge, as an inclinometer reads it. Knee over toe: how far the knee passes the toes. Toe to "
            "wall: the knee-to-wall score when the knee reached the wall."
        )
        for reference in REFERENCES:
            st.caption(reference)
