"""formcheck in the browser: ``streamlit run app.py`` (pages live in ``formcheck.webapp``)."""

import streamlit as st

from formcheck.webapp import build_navigation

st.set_page_config(page_title="formcheck", page_icon=":material/accessibility_new:", layout="wide")
build_navigation().run()
