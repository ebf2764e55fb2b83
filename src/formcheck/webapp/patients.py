"""Who a set is for: the app's session store and the patient chooser the live and analyse
pages share.

The chooser offers "Do not save", the patients in the store and "New patient"; the live page
also takes the patient from its link (``/live?patient=P-017``). A pseudonym is checked
(:func:`formcheck.store.db.check_pseudonym`) before anything is looked up or made, and a
patient the store does not know is only created when someone asks for it.
"""

from __future__ import annotations

import os

import streamlit as st

from formcheck.errors import FormcheckError
from formcheck.store import Store, StoreError, check_pseudonym

NO_PATIENT = "Do not save"
NEW_PATIENT = "New patient..."
#: The link parameter naming the patient (``/live?patient=P-017``).
URL_PARAM = "patient"


@st.cache_resource(show_spinner=False)
def _open_store(url: str | None, data_dir: str | None) -> Store:
    from formcheck.store import open_store

    return open_store(url, data_dir)


def app_store() -> Store:
    """The store every page of this server uses (``FORMCHECK_DATABASE_URL``,
    ``FORMCHECK_DATA_DIR``), opened once.

    Raises:
        StoreError: it cannot be opened (the next call tries again).
    """
    return _open_store(os.environ.get("FORMCHECK_DATABASE_URL"), os.environ.get("FORMCHECK_DATA_DIR"))


def _set_choice(key: str, pseudonym: str | None, url: bool) -> None:
    st.session_state[key] = pseudonym or NO_PATIENT
    if url:
        if pseudonym:
            st.query_params[URL_PARAM] = pseudonym
        elif URL_PARAM in st.query_params:
            del st.query_params[URL_PARAM]


def _chosen(key: str, url: bool) -> None:
    """The chooser's callback: keep the link naming the patient chosen."""
    value = st.session_state[key]
    if url and value != NEW_PATIENT:
        _set_choice(key, None if value == NO_PATIENT else value, url)


def _create(store: Store, key: str, pseudonym: str, clips_key: str, url: bool) -> None:
    """Button callback: add the patient and choose them."""
    try:
        info = store.add_patient(pseudonym, clips_opt_in=bool(st.session_state.get(clips_key)))
    except (ValueError, FormcheckError) as exc:
        st.session_state[f"{key}-error"] = str(exc)
        return
    _set_choice(key, info.pseudonym, url)


def _linked_patient(store: Store, key: str) -> None:
    """Act once on the patient the page's link names: choose them if known, offer to create
    them if not, say why not if the name is not a pseudonym."""
    wanted = st.query_params.get(URL_PARAM)
    if not wanted or st.session_state.get(f"{key}-linked") == wanted:
        return
    try:
        name = check_pseudonym(wanted)
    except ValueError as exc:
        st.error(f"The link names no usable patient: {exc}. Nothing is saved unless you choose one below.")
        return
    found = store.find_patient(name)
    if found is not None:
        st.session_state[f"{key}-linked"] = wanted
        _set_choice(key, found.pseudonym, url=False)
        return
    with st.container(border=True):
        st.warning(f"The link is for **{name}**, who is not in this computer's records yet.",
                   icon=":material/person_search:")
        clips_key = f"{key}-new-clips"
        st.checkbox("Keep short clips of reps that need a second look, for the therapist (stored only "
                    "on this computer)", key=clips_key)
        create, skip = st.columns(2)
        create.button(f"Create {name} and save the sets", key=f"{key}-create-linked", type="primary",
                      on_click=_create, args=(store, key, name, clips_key, True))
        if skip.button("Do not save", key=f"{key}-skip-linked"):
            st.session_state[f"{key}-linked"] = wanted
            _set_choice(key, None, url=True)
            st.rerun()


def patient_chooser(key: str, *, label: str = "Save for", url: bool = False) -> str | None:
    """The patient chooser; returns the chosen pseudonym, or None (do not save, or the store is
    unavailable, which the page is told).

    ``url``: take the patient from the page's link, and keep the link naming the one chosen.
    """
    try:
        store = app_store()
        if url:
            _linked_patient(store, key)
        names = [p.pseudonym for p in store.patients()]
    except StoreError as exc:
        st.warning(f"Nothing can be saved: {exc}", icon=":material/cloud_off:")
        return None
    error = st.session_state.pop(f"{key}-error", None)
    if error:
        st.error(error)
    options = [NO_PATIENT, *names, NEW_PATIENT]
    if st.session_state.get(key) not in options:
        st.session_state[key] = NO_PATIENT
    chosen = st.selectbox(label, options, key=key, on_change=_chosen, args=(key, url),
                          help="The sets are saved for this patient, rep by rep, for their therapist to "
                               "review. Use a pseudonym, never a real name.")
    if chosen == NEW_PATIENT:
        with st.container(border=True):
            name_key, clips_key = f"{key}-new-name", f"{key}-new-clips"
            st.text_input("Pseudonym (letters and digits, e.g. P-017; no real names)", key=name_key, max_chars=64)
            st.checkbox("Keep short clips of reps that need a second look (stored only on this computer)",
                        key=clips_key)
            st.button("Add patient", key=f"{key}-add", on_click=lambda: _create(
                store, key, st.session_state.get(name_key, ""), clips_key, url))
        return None
    return None if chosen == NO_PATIENT else chosen
