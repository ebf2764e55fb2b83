"""formcheck in the browser: ``streamlit run app.py`` (pages live in ``formcheck.webapp``).

Streamlit imports this file as the server (``app``: its server with formcheck's security
headers, :mod:`formcheck.webapp.server`) and runs it as ``__main__`` for every page view."""

import streamlit as st

from formcheck.webapp import PAGE_ICON, build_navigation

if __name__ == "__main__":
    st.set_page_config(page_title="formcheck", page_icon=PAGE_ICON, layout="wide")
    build_navigation().run()
else:
    from starlette.middleware import Middleware

    from formcheck.webapp.server import SecurityHeaders

    app = st.App(__file__, middleware=[Middleware(SecurityHeaders)])
