"""CSV files people open in a spreadsheet, written so that no cell runs as a formula.

A spreadsheet treats a cell that starts with ``= + - @`` (or a tab or carriage return, which
some strip first) as a formula: a pseudonym such as ``=HYPERLINK("http://x","y")`` would become
a live link, and worse is possible. Every CSV formcheck writes goes through
:class:`SpreadsheetSafeWriter`, which puts an apostrophe in front of such a text cell (OWASP's
advice; the spreadsheet shows the text as typed). Numbers, negative ones included, are left
alone.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

#: What a spreadsheet may read as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value``, with an apostrophe in front when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class SpreadsheetSafeWriter:
    """``csv.writer`` (``fmt``: its format options) whose cells pass through :func:`safe_cell`."""

    def __init__(self, fh: TextIO, **fmt: Any) -> None:
        self._writer = csv.writer(fh, **fmt)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])
