"""The therapist review page: patients, their sessions, flagged reps as clips with the metric
beside them, agree / overrule / note, progress over sessions, per-check overrule rates, the
patient's own limits and caps, and exports.

Everything is read from and written to the session store (:mod:`formcheck.store`); the page
measures nothing. ``review_page()`` is the only entry point (the app adds it to its navigation).
When ``FORMCHECK_REVIEW_PASSWORD`` is set the page asks for it first.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os

import altair as alt
import pandas as pd
import streamlit as st

from formcheck.errors import FormcheckError
from formcheck.store.records import ItemRecord, SessionDetail, SetDetail

PASSWORD_ENV = "FORMCHECK_REVIEW_PASSWORD"
FLAG_COLOUR = "#e0463c"
LINE_COLOUR = "#1f6fb2"
SPAN_COLOUR = "#999999"
STATUS_LABEL = {"complete": "complete", "interrupted": "interrupted", "pain_stopped": "stopped for pain",
                "in_progress": "in progress"}


# -- store and access ----------------------------------------------------------------------
def _store():
    from formcheck.webapp.patients import app_store  # the one store the app's pages share

    return app_store()


def _authorised() -> bool:
    """True when no password is configured or the right one was entered this session."""
    expected = os.environ.get(PASSWORD_ENV)
    if not expected or st.session_state.get("review_authorised"):
        return True
    with st.form("review_login"):
        given = st.text_input("Review password", type="password")
        if st.form_submit_button("Open"):
            if hmac.compare_digest(given.encode(), expected.encode()):
                st.session_state["review_authorised"] = True
                st.rerun()
            st.error("Wrong password.")
    return False


# -- pure builders (tested without a browser) -----------------------------------------------
def patients_table(overview) -> pd.DataFrame:
    return pd.DataFrame([{
        "Patient": o.patient.pseudonym,
        "Flags to review": o.to_review,
        "Latest session": o.latest_session_at.strftime("%Y-%m-%d %H:%M") if o.latest_session_at else "-",
        "Sessions": o.sessions,
        "Clips kept": "yes" if o.patient.clips_opt_in else "no",
    } for o in overview])


def items_in_review_order(st_detail: SetDetail) -> list[ItemRecord]:
    """Flagged reps/holds, those still awaiting a verdict first, then in time order."""
    flagged = [i for i in st_detail.items if i.flags]
    return sorted(flagged, key=lambda i: (not i.needs_review, i.index))


def series_frame(item: ItemRecord, checks: list[str]) -> pd.DataFrame:
    """The item's stored metric series as long data: t_s, check, value (unknown dropped)."""
    s = item.series or {}
    rows = [(t, c, v) for c in checks if c in s for t, v in zip(s.get("t_s", []), s[c]) if v is not None]
    return pd.DataFrame(rows, columns=["t_s", "check", "value"])


def item_chart(item: ItemRecord, check: str, limit: float | None, title: str, unit: str = "") -> alt.Chart | None:
    """One check's value around the rep: the line, the limit (dashed), the rep's span shaded."""
    data = series_frame(item, [check])
    if data.empty:
        return None
    layers = [
        alt.Chart(pd.DataFrame({"start": [item.start_s], "end": [item.end_s]}))
        .mark_rect(color=SPAN_COLOUR, opacity=0.12).encode(x="start:Q", x2="end:Q"),
        alt.Chart(data).mark_line(color=LINE_COLOUR, strokeWidth=1.8).encode(
            x=alt.X("t_s:Q", title="time in the video (s)", scale=alt.Scale(zero=False, nice=False)),
            y=alt.Y("value:Q", title=unit or check, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("t_s:Q", format=".2f", title="time (s)"),
                     alt.Tooltip("value:Q", format=".1f", title=unit or "value")]),
    ]
    if limit is not None:
        layers.append(alt.Chart(pd.DataFrame({"limit": [limit]})).mark_rule(
            color=FLAG_COLOUR, strokeDash=[6, 4]).encode(y="limit:Q"))
    return alt.layer(*layers).properties(title=title, height=170)


def progress_frame(points) -> pd.DataFrame:
    return pd.DataFrame([{
        "session": f"{p.started_at:%Y-%m-%d %H:%M} #{p.session_id}", "date": p.started_at,
        "exercise": p.exercise, "set": p.set_id, "status": p.status,
        "reps / holds": p.reps, "form score": p.score,
        "range of motion": p.mean_range, "hold (s)": p.mean_hold_s,
        "left/right imbalance": p.balance,
    } for p in points])


def overrules_frame(stats) -> pd.DataFrame:
    return pd.DataFrame([{
        "Exercise": c.exercise, "Check": c.check_id, "Flagged": c.flagged, "Reviewed": c.reviewed,
        "Agreed": c.agreed, "Overruled": c.overruled,
        "Overrule rate": None if c.overrule_rate is None else round(100 * c.overrule_rate),
    } for c in stats])


def _check_info(exercise: str) -> dict[str, tuple[str, str]]:
    """check id -> (title, unit), for a known exercise."""
    from formcheck.exercises import all_exercises

    ex = all_exercises().get(exercise)
    out = {"tempo": ("Tempo (rushed)", "s")}
    if ex is not None:
        out.update({c.id: (c.title, c.unit) for c in ex.checks})
    return out


# -- actions (button callbacks: they run before the page is drawn again) ---------------------
def _review(kind: str, item_id: int, verdict: str, note_key: str | None = None) -> None:
    store = _store()
    note = st.session_state.get(note_key) if note_key else None
    try:
        store.add_review(kind, item_id, verdict, reviewer=st.session_state.get("reviewer") or None,
                         note=note or None)
    except (ValueError, FormcheckError) as exc:
        st.session_state["review_error"] = str(exc)
        return
    if note_key:
        st.session_state[note_key] = ""
    st.session_state["review_done"] = {"agree": "Agreed with the flag", "overrule": "Overruled: not a fault",
                                       "note": "Note saved"}[verdict]


# -- page sections -------------------------------------------------------------------------
def review_page() -> None:
    st.title("Therapist review")
    if not _authorised():
        return
    try:
        store = _store()
    except FormcheckError as exc:
        st.error(str(exc))
        return
    for key, show in (("review_done", st.toast), ("review_error", st.error)):
        if st.session_state.get(key):
            show(st.session_state.pop(key))
    st.text_input("Reviewer", key="reviewer", placeholder="your name or initials, stored with each verdict",
                  max_chars=64)
    overview = store.patients_overview()
    if not overview:
        st.info("No patients yet. Save an analysis for a patient (`formcheck analyze VIDEO --save "
                "--patient P`) or add one below.")
        _add_patient_form(store)
        return
    st.subheader("Patients")
    st.dataframe(patients_table(overview), hide_index=True, width="stretch")
    # (no counts in the option labels: a keyed selectbox keeps showing the label it was given)
    patient = st.selectbox("Patient", [o.patient.pseudonym for o in overview], key="review_patient")
    tabs = st.tabs(["Sessions", "Progress", "Overrules and limits", "Patient"])
    with tabs[0]:
        _sessions_tab(store, patient)
    with tabs[1]:
        _progress_tab(store, patient)
    with tabs[2]:
        _overrules_tab(store, patient)
    with tabs[3]:
        _patient_tab(store, patient)


def _sessions_tab(store, patient: str) -> None:
    sessions = store.sessions(patient)
    if not sessions:
        st.info("No sessions stored for this patient yet.")
        return

    def label(s) -> str:
        exercises = ", ".join(dict.fromkeys(st_.exercise_name for st_ in s.sets)) or "no sets"
        return f"{s.started_at:%Y-%m-%d %H:%M} - {exercises} (#{s.id})"

    # flags awaiting review first, then newest
    ordered = sorted(sessions, key=lambda s: (s.to_review == 0, -s.started_at.timestamp()))
    chosen = st.selectbox("Session", ordered, format_func=label, key=f"session-{patient}")
    detail = store.session_detail(chosen.id)
    _export_buttons(store, detail)
    for st_detail in detail.sets:
        _set_section(st_detail)


def _export_buttons(store, detail: SessionDetail) -> None:
    from formcheck.store.export import reps_csv_text, session_pdf_bytes

    sid = detail.summary.id
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button("Export CSV", reps_csv_text(detail).encode(), file_name=f"session-{sid}-reps.csv",
                       mime="text/csv", key=f"csv-{sid}", icon=":material/table:")
    # made when clicked: the PDF reads each flagged rep's clip and draws its charts
    c2.download_button("Export PDF", lambda: session_pdf_bytes(detail, store.progress(detail.summary.patient)),
                       file_name=f"session-{sid}.pdf", mime="application/pdf", key=f"pdf-{sid}",
                       icon=":material/picture_as_pdf:", on_click="ignore")


def _set_section(st_detail: SetDetail) -> None:
    sm = st_detail.summary
    st.markdown(f"### {sm.exercise_name} (set {sm.id})")
    cols = st.columns(4)
    cols[0].metric("Status", STATUS_LABEL.get(sm.status, sm.status))
    cols[1].metric("Reps" if sm.kind == "reps" else "Holds", sm.items)
    cols[2].metric("Flagged", sm.flagged, help=f"{sm.to_review} awaiting review")
    cols[3].metric("Form score", "-" if sm.score is None else f"{sm.score:.0f}")
    if sm.status_reason:
        st.caption(sm.status_reason)
    for t_s, note in st_detail.pain_stops:
        st.warning(f"Pain stop at {t_s or 0:.1f} s" + (f": {note}" if note else ""), icon=":material/healing:")
    items = items_in_review_order(st_detail)
    if not items:
        st.success("Nothing flagged in this set.")
        return
    info = _check_info(sm.exercise)
    for item in items:
        _item_card(item, st_detail.limits, info)


def _item_card(item: ItemRecord, limits: dict[str, float], info: dict[str, tuple[str, str]]) -> None:
    titles = [info.get(f, (f, ""))[0] for f in item.flags]
    state = "awaiting review" if item.needs_review else ", ".join(
        f"{info.get(c, (c, ''))[0]}: {'overruled' if v == 'overrule' else 'agreed'}"
        for c, v in sorted(item.verdicts.items()))
    with st.container(border=True, key=f"card-{item.kind}-{item.id}"):
        score = "-" if item.score is None else f"{item.score:.0f}"
        st.markdown(f"**{item.label.capitalize()}**, {item.start_s:.1f}-{item.end_s:.1f} s, score {score}: "
                    f"flagged for {', '.join(titles)} - *{state}*")
        left, right = st.columns([1, 1])
        with left:
            if item.clip is not None:
                st.video(str(item.clip))
            else:
                st.caption("No clip (the patient has not opted in, or the video was not kept).")
        with right:
            shown = False
            for f in item.flags:
                title, unit = info.get(f, (f, ""))
                chart = item_chart(item, f, limits.get(f), title, unit)
                if chart is not None:
                    st.altair_chart(chart, width="stretch")
                    shown = True
            if "tempo" in item.flags and item.time_up_s is not None:
                st.caption(f"Tempo: {item.time_up_s:.1f} s up, {item.top_pause_s or 0:.1f} s pause at the top.")
            if not shown:
                chart = item_chart(item, "signal", None, "Rep movement", item.range_unit or "")
                if chart is not None:
                    st.altair_chart(chart, width="stretch")
                else:
                    st.caption("No per-frame metric stored for this " + item.kind)
        b1, b2, note_col, b3 = st.columns([1, 1.4, 3, 1])
        key = f"{item.kind}-{item.id}"
        b1.button("Agree", key=f"agree-{key}", on_click=_review, args=(item.kind, item.id, "agree", f"note-{key}"),
                  icon=":material/check:", disabled=not item.flags)
        b2.button("Overrule (not a fault)", key=f"overrule-{key}", on_click=_review,
                  args=(item.kind, item.id, "overrule", f"note-{key}"), icon=":material/block:")
        note_col.text_input("Note", key=f"note-{key}", label_visibility="collapsed", placeholder="note (optional)",
                            max_chars=2000)
        b3.button("Save note", key=f"notebtn-{key}", on_click=_review, args=(item.kind, item.id, "note", f"note-{key}"))
        for r in item.reviews:
            what = {"agree": "agreed", "overrule": "overruled", "note": "noted"}[r.verdict]
            check = f" {info.get(r.check_id, (r.check_id, ''))[0]}" if r.check_id else ""
            st.caption(f"{r.created_at:%Y-%m-%d %H:%M} UTC - {r.reviewer or 'someone'} {what}{check}"
                       + (f": {r.note}" if r.note else ""))


def _progress_tab(store, patient: str) -> None:
    data = progress_frame(store.progress(patient))
    if data.empty:
        st.info("No finished sets yet.")
        return
    for exercise, rows in data.groupby("exercise", sort=True):
        st.markdown(f"#### {exercise}")
        measures = ["reps / holds", "form score", "range of motion", "hold (s)", "left/right imbalance"]
        measures = [m for m in measures if rows[m].notna().any()]
        cols = st.columns(min(len(measures), 3) or 1)
        for i, measure in enumerate(measures):
            chart = alt.Chart(rows).mark_line(point=True, color=LINE_COLOUR).encode(
                x=alt.X("session:O", title=None, sort=None, axis=alt.Axis(labelAngle=-30)),
                y=alt.Y(f"{measure}:Q", title=measure, scale=alt.Scale(zero=False), axis=alt.Axis(format="~g")),
                tooltip=["session:N", "set:Q", "status:N", alt.Tooltip(f"{measure}:Q", format=".2f")],
            ).properties(height=180, title=measure)
            if measure == "left/right imbalance":
                chart = chart + alt.Chart(pd.DataFrame({"y": [0.2]})).mark_rule(
                    color=FLAG_COLOUR, strokeDash=[6, 4]).encode(y="y:Q")
            cols[i % len(cols)].altair_chart(chart, width="stretch")


def _overrules_tab(store, patient: str) -> None:
    st.markdown("How often therapists overruled each check's flags (latest verdict per rep). A check "
                "overruled often for this patient may need their own limit.")
    mine, everyone = overrules_frame(store.overrule_stats(patient)), overrules_frame(store.overrule_stats())
    st.markdown(f"**{patient}**")
    if mine.empty:
        st.caption("No flags yet.")
    else:
        st.dataframe(mine, hide_index=True, width="stretch")
    with st.expander("All patients"):
        st.dataframe(everyone, hide_index=True, width="stretch")
    _limits_form(store, patient)


def _limits_form(store, patient: str) -> None:
    from formcheck.exercises import all_exercises

    exercises = {i: e for i, e in all_exercises().items() if e.checks}
    st.markdown("#### This patient's limits")
    ex_id = st.selectbox("Exercise", list(exercises), format_func=lambda i: exercises[i].name,
                         key=f"limits-ex-{patient}")
    ex = exercises[ex_id]
    own = store.limits(patient).get(ex_id, {})
    with st.form(f"limits-{patient}-{ex_id}"):
        values = {}
        for c in ex.checks:
            low, high = c.allowed_limits
            stored = own.get(c.id, c.limit)
            if not low < stored < high:  # stored before limits had ranges: analyses refuse it
                st.error(f"{c.title}: the stored limit {stored:g} is not usable (between {low:g} and {high:g}); "
                         "save a new one.")
                stored = c.limit
            values[c.id] = st.number_input(
                f"{c.title} (flags {c.flag_when} this{', ' + c.unit if c.unit else ''}; default {c.limit:g})",
                min_value=low, max_value=high, value=float(stored), key=f"lim-{patient}-{ex_id}-{c.id}")
        if st.form_submit_button("Save limits"):
            try:
                for c in ex.checks:
                    v = values[c.id]
                    store.set_limit(patient, ex_id, c.id, None if v == c.limit else v,
                                    set_by=st.session_state.get("reviewer") or None)
            except ValueError as exc:
                st.error(str(exc))
            else:
                st.toast("Limits saved; they apply to this patient's next analyses.")
    caps = store.caps(patient)
    st.markdown("#### Caps and clearances")
    with st.form(f"caps-{patient}"):
        c1, c2 = st.columns(2)
        flex = c1.number_input("Flexion cap, deg (herniated disc; 0 = none)", min_value=0.0, max_value=180.0,
                               value=float(caps.get("flexion", (0.0, None))[0]))
        ext = c2.number_input("Extension cap, deg (spinal stenosis; 0 = none)", min_value=0.0, max_value=180.0,
                              value=float(caps.get("extension", (0.0, None))[0]))
        answers = {}
        for needs in (e for e in all_exercises().values() if e.clearance):
            cleared = store.clearance(patient, needs.id)
            ok = st.checkbox(f"Cleared for: {needs.name}", value=cleared is not None, help=needs.clearance,
                             key=f"cleared-{patient}-{needs.id}")
            when = st.date_input("Cleared on", value=cleared[0] if cleared else dt.date.today(),
                                 key=f"cleared-on-{patient}-{needs.id}")
            answers[needs.id] = when if ok else None
        if st.form_submit_button("Save caps and clearance"):
            by = st.session_state.get("reviewer") or None
            store.set_cap(patient, "flexion", flex or None, reason="herniated disc", set_by=by)
            store.set_cap(patient, "extension", ext or None, reason="spinal stenosis", set_by=by)
            for ex_id, when in answers.items():
                store.set_clearance(patient, ex_id, when, cleared_by=by)
            st.toast("Saved.")


def _patient_tab(store, patient: str) -> None:
    info = store.patient(patient)
    opt = st.toggle("Keep clips of flagged reps (kept only on this computer)", value=info.clips_opt_in,
                    key=f"optin-{patient}")
    if opt != info.clips_opt_in:
        store.set_clips_opt_in(patient, opt)
        st.toast("Clip opt-in saved.")
    _add_patient_form(store)
    with st.expander("Delete this patient"):
        st.warning("Deletes every session, review, limit and clip of this patient. This cannot be undone.")
        sure = st.checkbox(f"Yes, delete {patient}", key=f"del-sure-{patient}")
        if st.button("Delete patient", disabled=not sure, type="primary", key=f"del-{patient}"):
            removed = store.delete_patient(patient)
            st.session_state.pop("review_patient", None)
            st.session_state["review_done"] = f"Deleted {patient} ({removed} clips removed)"
            st.rerun()


def _add_patient_form(store) -> None:
    with st.form("add-patient", clear_on_submit=True):
        st.markdown("**Add a patient** (a pseudonym, no real names)")
        name = st.text_input("Pseudonym", max_chars=64)
        clips = st.checkbox("Keep clips of flagged reps")
        if st.form_submit_button("Add"):
            try:
                store.add_patient(name, clips_opt_in=clips)
                st.toast(f"Added {name.strip()}")
            except ValueError as exc:
                st.error(str(exc))
