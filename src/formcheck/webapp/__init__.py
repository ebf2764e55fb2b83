"""The Streamlit app (``streamlit run app.py``, which serves :data:`APP_SCRIPT`): one module
per page, shared widgets in :mod:`formcheck.webapp.common`. Pages only arrange widgets;
analysis goes through :mod:`formcheck.api`."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import streamlit as st

log = logging.getLogger(__name__)

REVIEW_MODULE = "formcheck.webapp.review"
#: The script Streamlit runs for each page view (``app.py`` serves it).
APP_SCRIPT = Path(__file__).with_name("app_script.py")
#: The browser tab's icon, an SVG file the app inlines (a ``:material/...:`` page icon would be
#: fetched from fonts.gstatic.com: the app makes no request off the machine).
PAGE_ICON = Path(__file__).with_name("icon.svg")


def _review_page():
    """The therapist review page, when its module (another developer's) is installed."""
    try:
        module = importlib.import_module(REVIEW_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name not in (REVIEW_MODULE, None):
            log.warning("review page left out: %s", exc)
        return None
    except ImportError as exc:
        log.warning("review page left out: %s", exc)
        return None
    return getattr(module, "review_page", None)


def build_navigation():
    """``st.navigation`` over the pages: Live coaching, Analyse a video, and Review when
    :mod:`formcheck.webapp.review` imports.

    The live page is opened both at the root and at ``/live`` (the link a therapist gives a
    patient, ``/live?patient=P-017``). Streamlit serves its default page only at the root, so
    the default is a hidden page that moves on to ``/live`` with the link's parameters.
    """
    from formcheck.webapp.analyse import analyse_page
    from formcheck.webapp.live import live_page

    live = st.Page(live_page, title="Live coaching", icon=":material/videocam:", url_path="live")

    def open_live_page() -> None:
        st.switch_page(live, query_params=st.query_params.to_dict())

    pages = [
        st.Page(open_live_page, title="Live coaching", url_path="start", default=True, visibility="hidden"),
        live,
        st.Page(analyse_page, title="Analyse a video", icon=":material/movie:", url_path="analyse"),
    ]
    review = _review_page()
    if review is not None:
        pages.append(st.Page(review, title="Therapist review", icon=":material/clinical_notes:",
                             url_path="review"))
    return st.navigation(pages, position="top")
