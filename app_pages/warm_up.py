"""The server's background warm-up: once the first page is out, import what measuring and charting need, so
the first clip does not wait for them.

A clip uploaded while the warm-up runs waits for the module being imported; a module the warm-up has not
reached yet is imported by the clip's own script run, sharing the interpreter with the warm-up (both at
half speed). So the modules come in the order a clip needs them: :data:`MEASURING` (the engine and
MediaPipe), then :data:`DRAWING` (the result's tables and charts).

Building the pose model here as well was measured and left out: the measuring resets a model before each
clip, which restarts MediaPipe's graph, and the first frame after a reset costs about as much as on a new
model (0.12 against 0.16 s of CPU; a whole pose pass of the sample clip 1.30 s either way).
"""

from __future__ import annotations

import importlib
import threading

import streamlit as st
from streamlit import config as st_config

#: What measuring a clip imports (``tests/test_app.py`` checks that nothing heavy is left after these).
MEASURING = ("vision.app.logic", "mediapipe")
#: What drawing its result imports.
DRAWING = ("app_pages.result_view", "app_pages.charts", "pandas", "altair")
HEAVY_MODULES = MEASURING + DRAWING


@st.cache_resource(show_spinner=False)
def warm_up() -> bool:
    """Once per server process, after the first page is drawn: :func:`import_heavy` in a thread.

    Not under streamlit.testing (its runs are timed apart, and a test checks what a page itself loads).
    """
    if st_config.get_option("global.appTest"):
        return False
    thread = threading.Thread(target=import_heavy, name="dorsiflex-warm-up", daemon=True)
    thread.start()
    return True


def import_heavy() -> None:
    """One heap for all threads first (:func:`vision.startup.limit_heap_growth`, before the frames'
    threads), then :data:`HEAVY_MODULES`."""
    from vision.startup import limit_heap_growth

    limit_heap_growth()
    for name in HEAVY_MODULES:
        importlib.import_module(name)
