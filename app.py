"""dorsiflex web app: measure the weight-bearing lunge (knee-to-wall) test from a video, in the browser.

Run with ``streamlit run app.py``. This file is the frame around the pages: the page list, the sidebar's
settings and a message carried over from the last action. Each page is one module in ``app_pages/``; every
figure, image and chart row comes from ``vision`` (mostly ``vision.app.logic``), tested without Streamlit.
Nothing here makes a network call: WebRTC runs on the loopback without STUN servers, charts are drawn by
the Vega library bundled with Streamlit, and usage statistics are off (``.streamlit/config.toml``).
"""

from __future__ import annotations

import streamlit as st

from app_pages.sidebar import about, sidebar
from app_pages.warm_up import warm_up

PAGES = (
    st.Page("app_pages/measure.py", title="Measure", icon=":material/straighten:", default=True),
    st.Page("app_pages/live.py", title="Live camera", icon=":material/videocam:"),
    st.Page("app_pages/compare.py", title="Left vs right", icon=":material/compare_arrows:"),
    st.Page("app_pages/drills.py", title="Drills", icon=":material/fitness_center:"),
    st.Page("app_pages/history.py", title="History", icon=":material/show_chart:"),
    st.Page("app_pages/report.py", title="Report", icon=":material/description:"),
)


st.set_page_config(page_title="dorsiflex", page_icon="🦶", layout="wide")
page = st.navigation(list(PAGES))
sidebar()
message = st.session_state.pop("history_message", None)
if message:
    st.success(message)
page.run()
about()
warm_up()
