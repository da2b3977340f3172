"""Live camera page: the skeleton, shin line and angle follow the person live; STOP measures the recording
exactly like an uploaded clip."""

from __future__ import annotations

import queue
from datetime import datetime
from typing import Any

import numpy as np
import streamlit as st
from streamlit import config as st_config

from app_pages.filming import FILMING_GUIDE
from app_pages.result_view import show_result
from app_pages.session import Source, add_source, current_analyses, state
from vision.app import logic as al
from vision.pose.landmarks import Side


def main() -> None:
    ss = state()
    st.header("Live camera")
    st.markdown(
        "Put the camera side-on at shin height, press **START**, step into the lunge and rock 2-3 times: the "
        "skeleton, shin line and angle follow you live. Press **STOP** when done: the recording is measured "
        "exactly like an uploaded clip."
    )
    with st.expander("How to film"):
        st.markdown(FILMING_GUIDE)
    choice = st.selectbox(
        "Tested ankle (the front leg)", ("Detect automatically", "left", "right"), key="live_side"
    )
    side: Side | None = None if choice == "Detect automatically" else choice  # type: ignore[assignment]
    recorder: al.LiveRecorder = ss.setdefault("live_recorder", al.LiveRecorder())
    recorder.side = side
    ctx = live_streamer(recorder)
    playing = bool(ctx is not None and ctx.state.playing)
    if not playing:
        if recorder.recording:
            recorder.finish()  # the stream stopped; on_video_ended may not have run yet
        collect_recording(recorder, side)
    status_box = st.empty()
    while playing and ctx is not None and ctx.state.playing:
        try:
            status = recorder.status.get(timeout=1.0)
        except queue.Empty:
            # An element call on every pass lets Streamlit stop this loop when STOP triggers a rerun.
            status_box.markdown("Waiting for the camera…")
            continue
        hints = " · ".join(status.hints) or "set-up looks good"
        status_box.markdown(
            f"**Recording** {status.seconds_recorded:.0f} s · "
            f"shin {al.format_angle(status.shin_angle_deg)} · "
            f"{status.fps:.0f} fps · {hints}"
        )
    live_result = ss.get("live_result_side")
    analyses = current_analyses()
    for message in ss.errors.values():
        st.error(message)
    if live_result in analyses:
        show_result(analyses[live_result], f"live_{live_result}")


def live_streamer(recorder: al.LiveRecorder) -> Any:
    if st_config.get_option("global.appTest"):
        # Under streamlit.testing the WebRTC component has no server to talk to; the page's logic (what
        # happens to a finished recording) is tested by putting a clip into the recorder's queue.
        st.caption("Live camera: not available in this test run.")
        return None
    try:
        import av
        from streamlit_webrtc import WebRtcMode, webrtc_streamer
    except ImportError:  # pragma: no cover - both are dependencies
        st.error("The live camera needs streamlit-webrtc: pip install streamlit-webrtc")
        return None

    def on_frame(frame: av.VideoFrame) -> av.VideoFrame:
        image = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)  # bgr24 is 8-bit already
        drawn = recorder.process(image, frame.time)
        return av.VideoFrame.from_ndarray(drawn, format="bgr24")

    def on_ended() -> None:
        recorder.finish()

    return webrtc_streamer(
        key="live",
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": []},  # loopback only: no STUN/TURN server, no network call
        media_stream_constraints={
            "video": {"width": {"ideal": 640}, "height": {"ideal": 480}},
            "audio": False,
        },
        video_frame_callback=on_frame,
        on_video_ended=on_ended,
        async_processing=True,
    )


def collect_recording(recorder: al.LiveRecorder, side: Side | None) -> None:
    """Measure a finished live recording (it arrives through the recorder's queue)."""
    ss = state()
    while True:
        try:
            path = recorder.finished.get_nowait()
        except queue.Empty:
            return
        if path is None or not path.is_file():
            continue
        try:
            data = path.read_bytes()
        finally:
            al.discard_recording(path)
        name = f"webcam_{datetime.now().strftime('%Y%m%d_%H%M%S')}.mp4"
        result = add_source(Source(name, data, al.digest(data), side, "webcam"), side or "live")
        if result is not None:
            ss["live_result_side"] = result.measurement.side


main()
