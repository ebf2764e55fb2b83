"""The live camera as a Streamlit component, and the WebSocket route it talks to.

The component (``frontend/``: plain ES modules, no build step, nothing fetched from anywhere
but this server) shows the camera preview, sends the newest frame to
:class:`~formcheck.webapp.live_camera.channel.FrameChannel` on the app's own origin, draws the
shapes it gets back on a canvas over the preview, and shows the status line
``N fps · frame-to-cue p90 M ms · quality``, measured per frame from the camera's capture time
to the overlay being drawn.

Streamlit has no route of its own for this, so the app is served as an ``st.App`` that adds
:func:`routes` (``app.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.routing import WebSocketRoute

from formcheck.webapp.live_camera.channel import FrameChannel, FrameSink

FRONTEND = Path(__file__).parent / "frontend"
#: Where the frame channel listens, under the app's base URL path.
FRAMES_ROUTE = "_formcheck/live/frames"

_component = None


def frames_path() -> str:
    """The frame channel's path on this server (``server.baseUrlPath`` included)."""
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/{FRAMES_ROUTE}" if base else f"/{FRAMES_ROUTE}"


def routes(find: Callable[[str], FrameSink | None]) -> list[WebSocketRoute]:
    """The frame channel's route, for ``st.App(..., routes=...)``; ``find(token)`` gives the
    live session a token names."""
    return [WebSocketRoute(frames_path(), FrameChannel(find).serve)]


def live_camera(token: str, *, key: str, target_fps: float, width: int = 640, height: int = 480,
                fps: int = 30, jpeg_quality: float = 0.8) -> bool:
    """The camera widget for the live session ``token``; True while the camera is on.

    ``width``, ``height``, ``fps``: what the camera is asked for (ideal values: the camera
    gives what it can). ``target_fps``: below it the status line says the page is slow.
    """
    global _component
    if _component is None:
        # Declared at the first page run, not at import: app.py imports this module before
        # Streamlit's runtime exists, and a component declared then is never served.
        import streamlit.components.v1 as components

        _component = components.declare_component("live_camera", path=str(FRONTEND))
    value = _component(token=token, endpoint=frames_path(), target_fps=target_fps,
                       video={"width": width, "height": height, "fps": fps}, jpeg_quality=jpeg_quality,
                       key=key, default=None)
    return bool(value and value.get("playing"))
