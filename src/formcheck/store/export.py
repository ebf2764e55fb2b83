"""Exports of one stored session: a CSV of its reps and holds, and a printable PDF report
(fpdf2). Both take a :class:`~formcheck.store.records.SessionDetail`, so they work the same
from the CLI and the review page; ``*_bytes`` variants serve download buttons.

The PDF shows, beside each flagged rep or hold's verdict, the frame of its worst moment (from
its clip, when the patient opted in to clips) and the flagged check's value over the rep with
its limit; given the patient's progress points, it ends with the review page's progress plots.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from formcheck.exercises import all_exercises
from formcheck.spreadsheet import SpreadsheetSafeWriter
from formcheck.store import figures
from formcheck.store.records import ItemRecord, ProgressPoint, SessionDetail, SetDetail

CSV_FIXED = ["session_id", "patient", "set_id", "exercise", "set_status", "kind", "index", "side",
             "start_s", "peak_s", "end_s", "duration_s", "range", "range_unit", "score", "flags",
             "verdicts", "notes", "clip"]

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
              Path("/Library/Fonts"), Path("C:/Windows/Fonts"))
#: Noto Color Emoji (Debian: fonts-noto-color-emoji), for emoji in pseudonyms and notes, which
#: DejaVu mostly lacks. Without it those are left out of the PDF (fpdf2 logs which).
_EMOJI_FONTS = (Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
                Path("/usr/share/fonts/noto-emoji/NotoColorEmoji.ttf"))


def reps_csv_text(detail: SessionDetail) -> str:
    """One row per rep or hold: timing, score, flags, the latest verdict per flagged check
    (``check=verdict;...``), notes, and one ``metric_<check>`` column per check (its worst value)."""
    checks = sorted({cid for st in detail.sets for it in st.items for cid in it.metrics})
    buf = io.StringIO()
    w = SpreadsheetSafeWriter(buf, lineterminator="\n")
    w.writerow([*CSV_FIXED, *(f"metric_{c}" for c in checks)])
    for st in detail.sets:
        for it in st.items:
            w.writerow([
                detail.summary.id, detail.summary.patient, st.summary.id, st.summary.exercise, st.summary.status,
                it.kind, it.index, it.side or "", it.start_s, _cell(it.peak_s), it.end_s,
                _cell(it.duration_s if it.duration_s is not None else round(it.end_s - it.start_s, 3)),
                _cell(it.range), it.range_unit or "", _cell(it.score), ";".join(it.flags),
                ";".join(f"{c}={v}" for c, v in sorted(it.verdicts.items())),
                " | ".join(_one_line(r.note) for r in it.reviews if r.note),
                "yes" if it.clip else "",
                *(_cell(it.metrics.get(c)) for c in checks),
            ])
    return buf.getvalue()


def write_reps_csv(detail: SessionDetail, path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    path.write_text(reps_csv_text(detail), encoding="utf-8")
    return path


def _cell(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _one_line(text: str) -> str:
    """A note's line breaks as spaces: one row per rep in a spreadsheet."""
    return text.replace("\r", " ").replace("\n", " ")


# -- PDF -----------------------------------------------------------------------------------
def session_pdf_bytes(detail: SessionDetail, progress: list[ProgressPoint] | None = None) -> bytes:
    """A printable A4 report: the session, then per set a summary, the checks, a table of
    reps/holds with flags and the therapist's verdicts and notes, and each flagged one with its
    worst frame and its check's value over the rep; then, given the patient's ``progress``
    (:meth:`Store.progress <formcheck.store.db.Store.progress>`), their sets over time."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    family = _font(pdf)
    s = detail.summary

    def footer() -> None:
        pdf.set_y(-12)
        pdf.set_font(family, size=8)
        pdf.cell(0, 6, _t(f"formcheck session {s.id} - {s.patient} - page {pdf.page_no()}/{{nb}}", family),
                 align="C")

    pdf.footer = footer  # type: ignore[method-assign]
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.cell(0, 10, _t(f"Session report: {s.patient}", family), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    lines = [f"Session {s.id}, {s.started_at:%Y-%m-%d %H:%M} UTC, source: {s.source}"
             + (f" ({s.source_name})" if s.source_name else ""),
             f"Sets: {len(s.sets)}; flagged reps/holds: {s.flagged}; awaiting review: {s.to_review}"]
    for line in lines:
        pdf.multi_cell(0, 5, _t(line, family), new_x="LMARGIN", new_y="NEXT")
    for st in detail.sets:
        _pdf_set(pdf, family, st)
    if progress:
        _pdf_progress(pdf, family, s.patient, progress)
    return bytes(pdf.output())


def write_session_pdf(detail: SessionDetail, path: str | os.PathLike[str],
                      progress: list[ProgressPoint] | None = None) -> Path:
    path = Path(path)
    path.write_bytes(session_pdf_bytes(detail, progress))
    return path


def _pdf_set(pdf, family: str, st: SetDetail) -> None:
    sm = st.summary
    pdf.ln(4)
    pdf.set_font(family, "B", 13)
    pdf.cell(0, 8, _t(f"{sm.exercise_name} (set {sm.id})", family), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    score = f"{sm.score:.0f}/100" if sm.score is not None else "-"
    count = "reps" if sm.kind == "reps" else "holds"
    info = (f"Status: {sm.status.replace('_', ' ')}"
            + (f" ({sm.status_reason})" if sm.status_reason else "")
            + f"; {count}: {sm.items}; flagged: {sm.flagged}; set score: {score}"
            + (f"; view: {sm.view}" if sm.view else ""))
    pdf.multi_cell(0, 5, _t(info, family), new_x="LMARGIN", new_y="NEXT")
    for t_s, note in st.pain_stops:
        pdf.multi_cell(0, 5, _t(f"Pain stop at {t_s or 0:.1f} s" + (f": {note}" if note else ""), family),
                       new_x="LMARGIN", new_y="NEXT")
    checks = (st.report or {}).get("checks") or []
    if checks:
        pdf.ln(1)
        pdf.set_font(family, size=9)
        with pdf.table(col_widths=(60, 25, 25, 25, 35), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
                       line_height=5, first_row_as_headings=True) as table:
            table.row([_t(x, family) for x in ("Check", "Limit", "Worst", "Flagged in", "Note")])
            for c in checks:
                op = ">" if c.get("flag_when") == "above" else "<"
                table.row([_t(c.get("title") or c.get("id"), family),
                           _t(f"{op} {c.get('limit'):g} {c.get('unit', '')}", family),
                           _t(_fmt(c.get("worst")), family), str(c.get("flagged_in", 0)),
                           _t("" if c.get("measurable_in_view", True) else "not visible in this view", family)])
    info = _check_info(st)
    if st.items:
        pdf.ln(2)
        pdf.set_font(family, size=9)
        with pdf.table(col_widths=(18, 14, 26, 14, 48, 70), line_height=5, first_row_as_headings=True,
                       text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "LEFT")) as table:
            table.row([_t(x, family) for x in ("Item", "Side", "Time (s)", "Score", "Flags", "Therapist")])
            for it in st.items:
                table.row([_t(f"{it.kind} {it.index}", family), _t(it.side or "", family),
                           f"{it.start_s:.1f}-{it.end_s:.1f}", _fmt(it.score, 0),
                           _t(", ".join(info.get(f, (f,))[0] for f in it.flags) or "pass", family),
                           _t(_review_text(it, info), family)])
    for it in st.items:
        if it.flags:
            _pdf_flagged(pdf, family, it, st.limits, info)


#: The still's width and the charts' on the page, mm (A4 is 210 wide, 10 mm margins).
_STILL_W = 72.0
_CHART_W = 114.0


def _check_info(st: SetDetail) -> dict[str, tuple[str, str, str]]:
    """check id -> (title, unit, flag_when), from the set's report or else the exercise."""
    info = {"tempo": ("Tempo (rushed)", "s", "above")}
    ex = all_exercises().get(st.summary.exercise)
    if ex is not None:
        info.update({c.id: (c.title, c.unit, c.flag_when) for c in ex.checks})
    for c in (st.report or {}).get("checks") or []:
        info[c["id"]] = (c.get("title") or c["id"], c.get("unit", ""), c.get("flag_when", "above"))
    return info


def _pdf_flagged(pdf, family: str, it: ItemRecord, limits: dict[str, float],
                 info: dict[str, tuple[str, str, str]]) -> None:
    """One flagged rep or hold: a heading with the verdict, the frame of its worst moment on the
    left, each flagged check's value over the rep on the right, the worst values below."""
    from PIL import Image

    charts = []
    for check in it.flags:
        title, unit, _ = info.get(check, (check, "", "above"))
        png = figures.item_chart_png(it, check, title, unit, limits.get(check), figures.worst_moment(it, check))
        if png is not None:
            charts.append(png)
    if not charts:  # flagged for its timing only: show the movement itself, as the review page does
        png = figures.item_chart_png(it, "signal", "Rep movement", it.range_unit or "", None, None)
        charts += [png] if png is not None else []
    chart_h = _CHART_W * 1.9 / 4.6
    focus = next((figures.worst_moment(it, c) for c in it.flags if figures.worst_moment(it, c) is not None), None)
    still = figures.still_from_clip(it, focus)
    still_h = _STILL_W * still.shape[0] / still.shape[1] if still is not None else 12.0
    needed = 12 + max(still_h, chart_h * len(charts)) + 6 * len(it.flags)
    if pdf.will_page_break(needed):
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(family, "B", 10)
    titles = ", ".join(info.get(c, (c,))[0] for c in it.flags)
    score = f", score {it.score:.0f}" if it.score is not None else ""
    pdf.multi_cell(0, 5, _t(f"{it.label.capitalize()}, {it.start_s:.1f}-{it.end_s:.1f} s{score}: {titles}", family),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=9)
    pdf.multi_cell(0, 5, _t("Therapist: " + (_review_text(it, info) or "-"), family), new_x="LMARGIN",
                   new_y="NEXT")
    top, left = pdf.get_y() + 1, pdf.l_margin
    if still is not None:
        pdf.image(Image.fromarray(still), x=left, y=top, w=_STILL_W)
        _stamp(pdf, family, left, top, _worst_words(it, info))
        at = f" at {focus:.1f} s" if focus is not None else ""
        pdf.set_xy(left, top + still_h)
        pdf.set_font(family, size=7)
        pdf.multi_cell(_STILL_W, 4, _t(f"The worst moment{at} (from the clip)", family), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.set_xy(left, top)
        pdf.set_font(family, size=8)
        pdf.multi_cell(_STILL_W, 4, _t("No picture: clips are kept only when the patient agrees.", family),
                       new_x="LMARGIN", new_y="NEXT")
    bottom = pdf.get_y()
    for k, png in enumerate(charts):
        pdf.image(io.BytesIO(png), x=left + _STILL_W + 4, y=top + k * chart_h, w=_CHART_W)
    pdf.set_y(max(bottom, top + chart_h * len(charts)) + 1)
    pdf.set_font(family, size=8)
    for d in it.flag_details:
        check = d.get("check")
        title, unit, flag_when = info.get(check, (check, "", "above"))
        limit = limits.get(check, d.get("limit"))
        pdf.multi_cell(0, 4, _t(f"{title}: worst {_fmt(d.get('worst'))} {unit}, flags {flag_when} "
                                f"{_fmt(limit)} {unit}; past it by {_fmt(d.get('past_by'))} {unit}", family),
                       new_x="LMARGIN", new_y="NEXT")
    if "tempo" in it.flags and it.time_up_s is not None:
        pdf.multi_cell(0, 4, _t(f"Tempo: {it.time_up_s:.1f} s up, {it.top_pause_s or 0:.1f} s at the top: "
                                "quicker than the exercise asks", family), new_x="LMARGIN", new_y="NEXT")


def _worst_words(it: ItemRecord, info: dict[str, tuple[str, str, str]]) -> str:
    """The first flagged check's worst value (or the rushed tempo), to print on its picture."""
    d = it.flag_details[0] if it.flag_details else None
    if d is None:
        return f"Tempo (rushed): {it.time_up_s:.1f} s up" if "tempo" in it.flags and it.time_up_s is not None else ""
    title, unit, _ = info.get(d.get("check"), (d.get("check"), "", ""))
    return f"{title}: {_fmt(d.get('worst'))} {unit} (limit {_fmt(d.get('limit'))})"


def _stamp(pdf, family: str, x: float, y: float, text: str) -> None:
    """White text on a red band across the top of a picture."""
    if not text:
        return
    pdf.set_font(family, "B", 8)
    pdf.set_fill_color(224, 70, 60)
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(x, y)
    pdf.cell(min(pdf.get_string_width(_t(text, family)) + 4, _STILL_W), 5, _t(text, family), fill=True)
    pdf.set_text_color(0, 0, 0)


def _pdf_progress(pdf, family: str, patient: str, points: list[ProgressPoint]) -> None:
    """The patient's sets over time, one figure per exercise (as on the review page)."""
    pdf.add_page()
    pdf.set_font(family, "B", 13)
    pdf.cell(0, 8, _t(f"Progress: {patient}", family), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=9)
    pdf.multi_cell(0, 5, _t("Every finished or interrupted set of this patient, oldest first; the dashed line "
                            "on the left/right imbalance marks 20 %.", family), new_x="LMARGIN", new_y="NEXT")
    names = {i: e.name for i, e in all_exercises().items()}
    for exercise in dict.fromkeys(p.exercise for p in points):
        png = figures.progress_png(points, exercise)
        if png is None:
            continue
        width_px, height_px = _png_size(png)
        if pdf.will_page_break(height_px / width_px * (pdf.w - 2 * pdf.l_margin) + 10):
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font(family, "B", 10)
        pdf.cell(0, 6, _t(names.get(exercise, exercise), family), new_x="LMARGIN", new_y="NEXT")
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=pdf.w - 2 * pdf.l_margin)


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels, from the PNG header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _review_text(it: ItemRecord, info: dict[str, tuple[str, str, str]]) -> str:
    parts = [f"{info.get(c, (c,))[0]}: {'overruled' if v == 'overrule' else 'agreed'}"
             for c, v in sorted(it.verdicts.items())]
    if it.flags and it.needs_review:
        parts.append("awaiting review")
    notes = [r.note for r in it.reviews if r.note]
    if notes:
        parts.append("note: " + notes[-1])
    reviewers = sorted({r.reviewer for r in it.reviews if r.reviewer})
    if reviewers:
        parts.append("by " + ", ".join(reviewers))
    return "; ".join(parts)


def _fmt(x: float | None, nd: int = 1) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


def _font(pdf) -> str:
    """DejaVu Sans (any language), with Noto Color Emoji for what it lacks, when installed;
    else the core Helvetica (Latin-1 only)."""
    for d in _FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            emoji = next((f for f in _EMOJI_FONTS if f.is_file()), None)
            if emoji is not None:
                pdf.add_font("NotoColorEmoji", "", str(emoji))
                pdf.set_fallback_fonts(["NotoColorEmoji"], exact_match=False)  # bold titles too
            return "DejaVu"
    return "Helvetica"


def _t(text: object, family: str) -> str:
    s = "" if text is None else str(text)
    if family == "Helvetica":
        return s.encode("latin-1", "replace").decode("latin-1")
    return s
