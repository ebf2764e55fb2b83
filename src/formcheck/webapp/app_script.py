"""The script Streamlit runs for every page view of the app (``app.py`` serves it)."""

import streamlit as st

from formcheck.webapp import PAGE_ICON, build_navigation

st.set_page_config(page_title="formcheck", page_icon=PAGE_ICON, layout="wide")
build_navigation().run()
