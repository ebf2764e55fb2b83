"""formcheck in the browser: ``streamlit run app.py`` (pages live in ``formcheck.webapp``).

Served as an ``st.App`` (Streamlit 1.67 runs a script declaring one as an ASGI app) so that the
live page's camera has its frame channel (a WebSocket, :func:`formcheck.webapp.live.routes`) on
the app's own origin, and every HTTP response carries formcheck's security headers
(:mod:`formcheck.webapp.server`); each page view runs :data:`formcheck.webapp.APP_SCRIPT`.
"""

import streamlit as st
from starlette.middleware import Middleware

from formcheck.webapp import APP_SCRIPT
from formcheck.webapp.live import routes
from formcheck.webapp.server import SecurityHeaders

app = st.App(APP_SCRIPT, routes=routes(), middleware=[Middleware(SecurityHeaders)])
