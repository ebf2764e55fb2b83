"""The app's HTTP server: Streamlit's own, with security headers on every response.

``streamlit run app.py`` serves the ``st.App`` that ``app.py`` declares (Streamlit 1.67 runs any
script declaring one as an ASGI app); its only addition is :class:`SecurityHeaders`. The
Streamlit server has no setting for response headers, so they are set here:

- ``X-Frame-Options: SAMEORIGIN`` and CSP ``frame-ancestors 'self'``: no other site may frame
  the app (click-jacking); Streamlit's own component iframes (the camera widget) are served by
  the app itself and stay allowed.
- a Content-Security-Policy that lets the page load and connect to nothing but the app: a
  medical app on one machine makes no request off it. Streamlit's inline styles (emotion) need
  ``style-src 'unsafe-inline'``; its one inline script is allowed by its hash, read from the
  installed Streamlit's ``index.html``. Images, video and fonts may also be ``data:``/``blob:``
  (the annotated video, charts, the page icon).
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@cache
def _inline_script_hashes() -> tuple[str, ...]:
    """CSP hashes of the inline scripts in Streamlit's ``index.html``."""
    import streamlit

    html = (Path(streamlit.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.DOTALL)
    return tuple(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                 for s in scripts)


def content_security_policy() -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {' '.join(_inline_script_hashes())}".strip(),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "frame-ancestors 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ])


def security_headers() -> dict[str, str]:
    """The headers every HTTP response of the app carries."""
    return {
        "Content-Security-Policy": content_security_policy(),
        "X-Frame-Options": "SAMEORIGIN",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


class SecurityHeaders:
    """ASGI middleware: :func:`security_headers` on every HTTP response (WebSocket frames have
    no headers to set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = security_headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
