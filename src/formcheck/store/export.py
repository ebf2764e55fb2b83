"""Exports of one stored session: a CSV of its reps and holds, and a printable PDF report
(fpdf2). Both take a :class:`~formcheck.store.records.SessionDetail`, so they work the same
from the CLI and the review page; ``*_bytes`` variants serve download buttons."""

from __future__ import annotations

import io
import os
from pathlib import Path

from formcheck.spreadsheet import SpreadsheetSafeWriter
from formcheck.store.records import ItemRecord, SessionDetail, SetDetail

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
def session_pdf_bytes(detail: SessionDetail) -> bytes:
    """A printable A4 report: the session, then per set a summary, the checks and a table of
    reps/holds with flags and the therapist's verdicts and notes."""
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
    return bytes(pdf.output())


def write_session_pdf(detail: SessionDetail, path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    path.write_bytes(session_pdf_bytes(detail))
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
    if st.items:
        pdf.ln(2)
        pdf.set_font(family, size=9)
        with pdf.table(col_widths=(18, 14, 26, 14, 48, 70), line_height=5, first_row_as_headings=True,
                       text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "LEFT")) as table:
            table.row([_t(x, family) for x in ("Item", "Side", "Time (s)", "Score", "Flags", "Therapist")])
            for it in st.items:
                table.row([_t(f"{it.kind} {it.index}", family), _t(it.side or "", family),
                           f"{it.start_s:.1f}-{it.end_s:.1f}", _fmt(it.score, 0),
                           _t(", ".join(it.flags) or "pass", family), _t(_review_text(it), family)])


def _review_text(it: ItemRecord) -> str:
    parts = [f"{c}: {'overruled' if v == 'overrule' else 'agreed'}" for c, v in sorted(it.verdicts.items())]
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
