"""The live page's previous design, the baseline of ``benchmarks/live_browser.py`` (not part of
the app): today's live page with its camera widget swapped for streamlit-webrtc. The browser's
camera goes to the server as VP8; each frame is coached, the coaching drawn into it on the
server, and the annotated video sent back as VP8 for the browser to show.

    streamlit run benchmarks/_live_webrtc_app.py   (through tests/browser/launch_streamlit.py
                                                   offline: it makes aioice offer 127.0.0.1)
"""

import time

import av
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from formcheck.annotate import draw
from formcheck.webapp import live


def webrtc_widget(session: live.LiveSession, app_settings) -> bool:
    def callback(frame: av.VideoFrame) -> av.VideoFrame:
        image = frame.to_ndarray(format="rgb24")
        # as the previous page did: the frame's arrival is its time
        overlay = session.coach_frame(image, time.time() * 1000.0, (frame.width, frame.height))
        if overlay is not None:
            draw(image, overlay.shapes)
        return av.VideoFrame.from_ndarray(image, format="rgb24")

    ctx = webrtc_streamer(
        key="live", mode=WebRtcMode.SENDRECV, rtc_configuration={"iceServers": []},
        media_stream_constraints={
            "video": {"width": {"ideal": 640}, "height": {"ideal": 480}, "frameRate": {"ideal": 30}},
            "audio": False},
        video_frame_callback=callback, async_processing=True,
        video_html_attrs={"autoPlay": True, "controls": False, "muted": True, "style": {"width": "100%"}})
    return bool(ctx.state.playing)


st.set_page_config(page_title="formcheck (WebRTC baseline)", layout="wide")
live.live_page(video_widget=webrtc_widget)
