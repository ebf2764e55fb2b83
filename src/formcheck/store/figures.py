"""Pictures for the printable report (:mod:`formcheck.store.export`), as PNG bytes: a flagged
rep's worst moment taken from its clip, the check's value over the rep with its limit, and a
patient's progress over their sets. Drawn with matplotlib's Agg canvas (no window, no pyplot
state, safe in a server thread); everything comes from the store's records.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from formcheck.capture import DecodeInterrupted, VideoFile
from formcheck.errors import InputError
from formcheck.store.records import ItemRecord, ProgressPoint
from formcheck.store.series import worst_time

LINE = "#1f6fb2"
FLAG = "#e0463c"
SPAN = "#999999"
#: What the progress plots show, in the review page's words: (title, how to read one set).
PROGRESS_MEASURES = (
    ("reps / holds", lambda p: p.reps),
    ("form score", lambda p: p.score),
    ("range of motion", lambda p: p.mean_range),
    ("hold (s)", lambda p: p.mean_hold_s),
    ("left/right imbalance", lambda p: p.balance),
)
#: A left/right imbalance above this is worth a look (the review page's dashed line).
IMBALANCE_MARK = 0.2


def worst_moment(item: ItemRecord, check: str) -> float | None:
    """When in the rep (seconds of the input) the check was at its recorded worst."""
    worst = next((d.get("worst") for d in item.flag_details if d.get("check") == check), None)
    return worst_time(item.series, check, worst, item.start_s, item.end_s)


def still_from_clip(item: ItemRecord, t_s: float | None) -> np.ndarray | None:
    """The clip's frame nearest ``t_s`` (seconds of the input; None: the middle of the rep), as
    (H, W, 3) RGB; None without a clip or when it cannot be read."""
    if item.clip is None:
        return None
    start = item.clip_start_s if item.clip_start_s is not None else max(item.start_s - 1.0, 0.0)
    target_ms = ((t_s if t_s is not None else (item.start_s + item.end_s) / 2) - start) * 1000.0
    best = None
    try:
        with VideoFile(item.clip) as clip:
            for frame in clip.frames():
                if best is None or abs(frame.t_ms - target_ms) < abs(best.t_ms - target_ms):
                    best = frame
                elif frame.t_ms > target_ms:
                    break
    except (InputError, DecodeInterrupted):
        return None
    return best.image if best is not None else None


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150)
    return buf.getvalue()


def item_chart_png(item: ItemRecord, check: str, title: str, unit: str, limit: float | None,
                   worst_s: float | None) -> bytes | None:
    """The check's value around the rep (the rep's span shaded), its limit dashed and the worst
    moment marked; None when no value of it was stored."""
    series = item.series or {}
    pairs = [(t, v) for t, v in zip(series.get("t_s", []), series.get(check, [])) if v is not None]
    if not pairs:
        return None
    fig = Figure(figsize=(4.6, 1.9))
    ax = fig.add_subplot()
    ax.axvspan(item.start_s, item.end_s, color=SPAN, alpha=0.15, lw=0, label="the rep")
    # a gap in the stored values (not measurable) is a gap in the line
    t = np.array(series["t_s"], float)
    v = np.array([np.nan if x is None else x for x in series[check]], float)
    ax.plot(t, v, color=LINE, lw=1.6)
    if limit is not None:
        ax.axhline(limit, color=FLAG, ls="--", lw=1.2, label=f"limit {limit:g}")
    if worst_s is not None:
        ax.axvline(worst_s, color=FLAG, lw=0.8, alpha=0.6)
    ax.set_title(title, fontsize=9, loc="left")
    ax.set_xlabel("time in the video (s)", fontsize=7)
    ax.set_ylabel(unit, fontsize=7)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6, loc="best", frameon=False)
    fig.tight_layout(pad=0.4)
    return _png(fig)


def progress_png(points: list[ProgressPoint], exercise: str) -> bytes | None:
    """One exercise's sets over time: a small plot per measure that has values (as the review
    page's Progress tab); None when there is nothing to plot."""
    rows = [p for p in points if p.exercise == exercise]
    measures = [(name, get) for name, get in PROGRESS_MEASURES if any(get(p) is not None for p in rows)]
    if not rows or not measures:
        return None
    columns = min(len(measures), 3)
    lines = (len(measures) + columns - 1) // columns
    fig = Figure(figsize=(7.4, 1.9 * lines))
    labels = [f"{p.started_at:%m-%d %H:%M}" for p in rows]
    for k, (name, get) in enumerate(measures):
        ax = fig.add_subplot(lines, columns, k + 1)
        values = [np.nan if get(p) is None else get(p) for p in rows]
        ax.plot(range(len(rows)), values, color=LINE, marker="o", ms=3, lw=1.4)
        if name == "left/right imbalance":
            ax.axhline(IMBALANCE_MARK, color=FLAG, ls="--", lw=1)
        ax.set_title(name, fontsize=8, loc="left")
        ax.set_xticks(range(len(rows)), labels, rotation=30, ha="right", fontsize=6)
        ax.tick_params(axis="y", labelsize=6)
    fig.tight_layout(pad=0.4)
    return _png(fig)
