"""Widgets shared by the app's pages (live, analyse, and the therapist review page).

Two layers, so other pages and tests can reuse them:

- pure builders that turn a :class:`~formcheck.report.SessionReport` or a ``frames.csv`` table
  into pandas tables and Altair charts (``rep_table``, ``hold_table``, ``check_table``,
  ``side_table``, ``flag_spans``, ``metric_chart``);
- ``show_*`` / ``*_picker`` functions that put them on the page.

Everything shown here comes from the report or ``frames.csv``: nothing is measured in the UI.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from formcheck.api import AUTO
from formcheck.exercises import all_exercises
from formcheck.exercises.spec import Exercise
from formcheck.report import CheckSummary, SessionReport

#: Pose tracking without checks: kept in the list, but last.
POSE_ONLY_ID = "pose_only"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~$-])")

FLAG_COLOUR = "#e0463c"
LINE_COLOUR = "#1f6fb2"


# -- exercises -----------------------------------------------------------------------------------
def exercise_ids() -> list[str]:
    """Registry ids in the order the pickers show them: the exercises by display name, then
    ``pose_only``."""
    catalogue = all_exercises()
    middle = sorted((i for i in catalogue if i != POSE_ONLY_ID), key=lambda i: catalogue[i].name.lower())
    return [*middle, POSE_ONLY_ID]


def exercise_label(exercise_id: str) -> str:
    if exercise_id == AUTO:
        return "Recognise it from the first seconds (auto)"
    ex = all_exercises()[exercise_id]
    kind = {"reps": "reps", "hold": "hold", "none": "no checks"}.get(ex.kind, ex.kind)
    side = ", each side" if ex.per_side else ""
    return f"{ex.name} ({kind}{side})"


def exercise_picker(label: str = "Exercise", key: str = "exercise", *, auto: bool = False,
                    placeholder: str | None = None) -> str | None:
    """A selectbox over the registry; returns the chosen exercise's id, ``auto`` (offered
    first with ``auto=True``: recognise it from the first seconds) or, with a ``placeholder``,
    None until one is chosen."""
    ids = [AUTO, *exercise_ids()] if auto else exercise_ids()
    return st.selectbox(label, ids, format_func=exercise_label, key=key,
                        **({"index": None, "placeholder": placeholder} if placeholder else {}))


def show_exercise_brief(ex: Exercise, expanded: bool = True) -> None:
    """Camera placement, cautions and what the camera cannot see, before the set."""
    with st.expander(f"Before you start: {ex.name}", expanded=expanded):
        if ex.description:
            st.markdown(ex.description)
        st.markdown(f"**Camera placement.** {ex.camera}")
        if ex.cautions:
            st.warning("\n".join(f"- {c}" for c in ex.cautions), icon=":material/health_and_safety:")
        for note in ex.cannot_see:
            st.caption(f"Not measured from one camera: {note}")
        if ex.checks:
            st.caption("Checks: " + "; ".join(c.title for c in ex.checks))


def escape_markdown(text: str) -> str:
    """``text`` shown as it is in Streamlit's Markdown (a pseudonym with underscores, an error
    message with asterisks)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


# -- report tables ---------------------------------------------------------------------------------
def check_titles(report: SessionReport) -> dict[str, str]:
    """Check id -> title, plus ``tempo`` (the engine's rushing flag)."""
    return {"tempo": "Tempo (rushed)", **{c.id: c.title for c in report.checks}}


def _verdict(flags: list[str], titles: dict[str, str]) -> str:
    return "pass" if not flags else "flagged: " + ", ".join(titles.get(f, f) for f in flags)


def rep_table(report: SessionReport) -> pd.DataFrame:
    """One row per rep (first column ``Rep``): timing, range, score and which checks flagged
    (by title)."""
    titles = check_titles(report)
    rows = []
    for r in report.reps:
        row = {"Rep": r.index}
        if report.sides is not None or any(x.side for x in report.reps):
            row["Side"] = r.side or MISSING
        row |= {
            "Start (s)": round(r.start_s, 1), "End (s)": round(r.end_s, 1),
            f"Range ({r.range_unit})" if r.range_unit else "Range": r.range,
            "Up (s)": r.time_up_s, "Top pause (s)": r.top_pause_s, "Down (s)": r.time_down_s,
            "Score": round(r.score), "Result": _verdict(r.flags, titles),
        }
        rows.append(row)
    return pd.DataFrame(rows)


def hold_table(report: SessionReport) -> pd.DataFrame:
    """One row per hold: duration, time in good form, score and flags."""
    titles = check_titles(report)
    rows = [{
        "Hold": h.index, "Start (s)": round(h.start_s, 1), "End (s)": round(h.end_s, 1),
        "Duration (s)": round(h.duration_s, 1), "Good form (s)": round(h.good_form_s, 1),
        "Longest good (s)": round(h.longest_good_s, 1), "Score": round(h.score),
        "Result": _verdict(h.flags, titles),
    } for h in report.holds]
    return pd.DataFrame(rows)


#: Shown for a missing number. ``st.table`` renders cells as Markdown, where a lone ``-`` is a
#: list bullet and a leading ``>`` a quote, so table text avoids both.
MISSING = "–"


def _limit_text(c: CheckSummary) -> str:
    return f"{'>' if c.flag_when == 'above' else '<'} {c.limit:g} {c.unit}"


def _limit_words(c: CheckSummary) -> str:
    return f"{c.flag_when} {c.limit:g} {c.unit}"


def check_table(report: SessionReport) -> pd.DataFrame:
    """One row per check: limit, worst value, in how many reps/holds it flagged."""
    items = "reps" if report.kind == "reps" else "holds"
    rows = []
    for c in report.checks:
        measured = c.frames_ok + c.frames_flag
        rows.append({
            "Check": c.title, "Flags when": _limit_words(c),
            "Worst": MISSING if c.worst is None else f"{c.worst:.1f} {c.unit}",
            f"Flagged in ({items})": c.flagged_in,
            "Frames flagged": f"{c.frames_flag / measured:.0%}" if measured else MISSING,
            "Note": c.note or "",
        })
    return pd.DataFrame(rows)


def side_table(report: SessionReport) -> pd.DataFrame | None:
    """Left vs right (reps, mean range, duration, flagged reps, score), or None."""
    if report.sides is None:
        return None
    return pd.DataFrame([{
        "Side": side.capitalize(), "Reps": s.reps, "Mean range": s.mean_range,
        "Mean duration (s)": s.mean_duration_s, "Flagged reps": s.flagged_reps,
        "Mean score": s.mean_score,
    } for side, s in report.sides.sides.items()])


def show_table(table: pd.DataFrame) -> None:
    """``st.table`` without the row index, numbers to one decimal, missing as :data:`MISSING`."""
    st.table(table.style.hide(axis="index").format(precision=1, na_rep=MISSING))


def show_summary(report: SessionReport, title: str | None = None) -> None:
    """Headline numbers, flags per check, per-rep/hold table and left vs right."""
    if title:
        st.subheader(title)
    notes = ([f"Incomplete set: {report.incomplete_reason}"]
             if not report.complete and report.incomplete_reason else [])
    notes += [w[:1].upper() + w[1:] for w in report.warnings]
    if notes:
        st.warning("\n".join(f"- {n}" for n in notes))
    cols = st.columns(4)
    if report.kind == "hold":
        cols[0].metric("Holds", len(report.holds))
        good = sum(h.good_form_s for h in report.holds)
        total = sum(h.duration_s for h in report.holds)
        cols[1].metric("Time in good form", f"{good:.1f} s", help=f"of {total:.1f} s holding")
    else:
        cols[0].metric("Reps", report.rep_count)
        cols[1].metric("Reps passed", sum(1 for r in report.reps if r.passed))
    cols[2].metric("Set score", MISSING if report.set_score is None else f"{report.set_score:.0f}/100")
    cols[3].metric("Person found", f"{report.detection_rate:.0%}", help=f"view: {report.view}")
    if report.kind == "reps":
        table = rep_table(report)
        if table.empty:
            st.info("No complete rep was found.")
        else:
            st.markdown("**Reps**")
            show_table(table)
    elif report.kind == "hold":
        table = hold_table(report)
        if table.empty:
            st.info("No hold was found (in position for long enough).")
        else:
            st.markdown("**Holds**")
            show_table(table)
    sides = side_table(report)
    if sides is not None:
        st.markdown("**Left vs right**")
        show_table(sides)
        if report.sides and report.sides.worth_review:
            st.info("Left and right differ by more than "
                    f"{report.sides.review_threshold:.0%}: worth showing your clinician.")
    checks = check_table(report)
    if not checks.empty:
        st.markdown("**Flags per check**")
        show_table(checks)
    for note in report.cannot_see:
        st.caption(f"Not measured: {note}")


# -- frames.csv plots --------------------------------------------------------------------------
def read_frames(path: str | os.PathLike[str]) -> pd.DataFrame:
    """``frames.csv`` as a table with a ``t_s`` column (seconds)."""
    frames = pd.read_csv(Path(path), keep_default_na=True)
    frames["t_s"] = frames["t_ms"] / 1000.0
    return frames


def flag_spans(frames: pd.DataFrame, check_id: str) -> list[tuple[float, float]]:
    """(start_s, end_s) of each run of frames where ``<check_id>_state`` is ``flag``; a span
    ends at the first frame after it (or its own last frame at the end of the input)."""
    states = frames[f"{check_id}_state"].astype(str).to_numpy()
    times = frames["t_s"].to_numpy()
    spans: list[tuple[float, float]] = []
    start: float | None = None
    for i, state in enumerate(states):
        if state == "flag" and start is None:
            start = float(times[i])
        elif state != "flag" and start is not None:
            spans.append((start, float(times[i])))
            start = None
    if start is not None:
        spans.append((start, float(times[-1])))
    return spans


def metric_chart(frames: pd.DataFrame, check: CheckSummary, height: int = 220) -> alt.Chart:
    """One check's metric over time: the line (broken where unmeasured), the limit as a dashed
    rule, and the flagged spans shaded."""
    values = frames[["t_s", check.id]].rename(columns={check.id: "value"})
    values["segment"] = values["value"].isna().cumsum()
    values = values.dropna(subset=["value"])
    x = alt.X("t_s:Q", title="time (s)",
              scale=alt.Scale(domain=[0, max(float(frames["t_s"].max()), 0.1)], nice=False))
    layers: list[alt.Chart] = []
    spans = pd.DataFrame(flag_spans(frames, check.id), columns=["start", "end"])
    if not spans.empty:
        layers.append(alt.Chart(spans).mark_rect(color=FLAG_COLOUR, opacity=0.18).encode(
            x=alt.X("start:Q", title="time (s)"), x2="end:Q",
            tooltip=[alt.Tooltip("start:Q", title="flagged from (s)", format=".1f"),
                     alt.Tooltip("end:Q", title="to (s)", format=".1f")]))
    layers.append(alt.Chart(values).mark_line(color=LINE_COLOUR, strokeWidth=1.8).encode(
        x=x, y=alt.Y("value:Q", title=check.unit, scale=alt.Scale(zero=False)),
        detail="segment:N",
        tooltip=[alt.Tooltip("t_s:Q", title="time (s)", format=".2f"),
                 alt.Tooltip("value:Q", title=check.unit, format=".1f")]))
    limit = pd.DataFrame({"limit": [check.limit]})
    layers.append(alt.Chart(limit).mark_rule(color=FLAG_COLOUR, strokeDash=[6, 4]).encode(
        y="limit:Q", tooltip=[alt.Tooltip("limit:Q", title=f"limit ({_limit_text(check)})")]))
    title = alt.TitleParams(check.title, subtitle=f"flags when {_limit_text(check)}", anchor="start")
    return alt.layer(*layers).properties(title=title, height=height)


def show_metric_charts(frames: pd.DataFrame, report: SessionReport, columns: int = 2) -> None:
    """A grid of :func:`metric_chart`, one per check that was measured at least once."""
    checks = [c for c in report.checks if c.id in frames and frames[c.id].notna().any()]
    if not checks:
        st.info("No check could be measured in this video.")
        return
    for start in range(0, len(checks), columns):
        cols = st.columns(columns)
        for col, check in zip(cols, checks[start:start + columns]):
            col.altair_chart(metric_chart(frames, check), width="stretch")


