"""formcheck in the browser: ``streamlit run app.py``.

Served as an ``st.App`` so that the live page's camera has its frame channel (a WebSocket) on
the app's own origin; the pages are :data:`formcheck.webapp.APP_SCRIPT`.
"""

import streamlit as st

from formcheck.webapp import APP_SCRIPT
from formcheck.webapp.live import routes

app = st.App(APP_SCRIPT, routes=routes())
