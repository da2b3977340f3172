"""Measure page: film or upload one clip per ankle (or try the samples) and read each side's result."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.filming import FILMING_GUIDE
from app_pages.session import (
    ROOT,
    UPLOAD_TYPES,
    Source,
    add_source,
    current_analyses,
    forget_side,
    max_upload_mb,
    setup_check_cached,
    state,
)
from vision.advice.norms import Side
from vision.app import clips as app_clips
from vision.errors import InputError

SIDES: tuple[Side, Side] = ("left", "right")
Upload = tuple[str, Any, Side | None]  # slot, the uploaded file (or None), the side asked for


def main() -> None:
    ss = state()
    st.header("Measure")
    st.markdown(
        "Film the knee-to-wall lunge side-on and upload the clip: one clip per ankle, or one clip and say "
        "which ankle it is. **On a phone: tap *Upload*, then the camera (*Take video* or *Camcorder*)** to "
        "film straight from the browser."
    )
    guide = st.container()  # filled once this run's clips are in: it stays open only until one is
    samples_button()
    uploads = upload_boxes()
    for slot, upload, side in uploads:
        take_upload(slot, upload, side)
    with guide:
        filming_guide(open_=not ss.sources)
    analyses = current_analyses()
    for message in ss.errors.values():
        st.error(message)
    if not analyses:
        st.info(
            "No result yet: upload a clip, film one on the **Live camera** page, or try the sample clips."
        )
        return
    from app_pages.result_view import show_result  # charts and tables: loaded with the first result

    for side in SIDES:
        if side in analyses:
            show_result(analyses[side], side)
    if len(analyses) == 2:
        st.info("Both ankles measured: see **Left vs right**, **Drills** and **Report** in the sidebar.")


def filming_guide(open_: bool) -> None:
    # A new label is a new box: it opens or closes with the clips, whatever was clicked before.
    label = "How to film (read this first)" if open_ else "How to film"
    with st.expander(label, expanded=open_):
        st.markdown(FILMING_GUIDE)
        setup_check_box()


def samples_button() -> None:
    ss = state()
    samples = app_clips.sample_clips(ROOT)
    if samples and st.button("Try the sample clips", type="primary" if not ss.sources else "secondary"):
        for sample in samples:
            data = sample.path.read_bytes()
            add_source(
                Source(sample.path.name, data, app_clips.digest(data), sample.side, "sample"), sample.side
            )
    if ss.sources and st.button("Clear all results", help="Forget this session's clips (the history stays)."):
        for key in ("sources", "errors", "saved", "analyses"):
            ss[key] = {}


def upload_boxes() -> list[Upload]:
    mode = st.radio("Clips", ("One clip per side", "One clip, I pick the side"), horizontal=True, key="mode")
    help_text = f"mp4, mov, m4v, avi, webm or mkv, up to {max_upload_mb()} MB. Trim long clips to the test."
    if mode == "One clip per side":
        cols = st.columns(2)
        return [
            (
                side,
                col.file_uploader(
                    f"{side.capitalize()} ankle clip", UPLOAD_TYPES, key=f"up_{side}", help=help_text
                ),
                side,
            )
            for col, side in zip(cols, SIDES, strict=True)
        ]
    cols = st.columns([3, 2])
    upload = cols[0].file_uploader("Clip", type=UPLOAD_TYPES, key="up_one", help=help_text)
    choice = cols[1].selectbox("Tested ankle (the front leg)", ("Detect automatically", "left", "right"))
    side: Side | None = None if choice == "Detect automatically" else choice  # type: ignore[assignment]
    return [(side or "one", upload, side)]


def take_upload(slot: str, upload: Any, side: Side | None) -> None:
    """Measure a newly uploaded clip once; a failed one replaces the slot's old result with its message."""
    ss = state()
    if upload is None:
        if ss.seen_uploads.pop(slot, None) is not None:
            ss.errors.pop(slot, None)  # the clip that failed was removed: so is its message
        return
    seen_key = (upload.file_id, side)
    if ss.seen_uploads.get(slot) == seen_key:
        return
    ss.seen_uploads[slot] = seen_key
    try:
        app_clips.check_upload(upload.name, upload.size, max_upload_mb())  # before reading a huge file
    except InputError as err:
        ss.errors[slot] = str(err)
        forget_side(slot)
        return
    data = upload.getvalue()
    add_source(Source(upload.name, data, app_clips.digest(data), side, "upload"), slot)


def setup_check_box() -> None:
    st.markdown("**Check your set-up first** (optional): film 3 s of the start position and upload it.")
    upload = st.file_uploader("Set-up clip (first 3 s are checked)", type=UPLOAD_TYPES, key="up_check")
    if upload is None:
        return
    try:
        app_clips.check_upload(upload.name, upload.size, max_upload_mb())
        issues = setup_check_cached(app_clips.digest(upload.getvalue()), upload.getvalue(), upload.name)
    except InputError as err:
        st.error(str(err))
        return
    if issues:
        st.warning("Fix this before filming the test:\n\n" + "\n".join(f"- {issue}" for issue in issues))
    else:
        st.success("Set-up looks good: person found, front foot and knee in view, camera side-on.")


main()
