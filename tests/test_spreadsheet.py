"""formcheck.spreadsheet: CSV cells a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import csv
import io

import pytest

from formcheck.spreadsheet import SpreadsheetSafeWriter, safe_cell


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+1+1", "-1+cmd|' /C calc'!A0", "@SUM(A1)",
                                  "\t=1+1", "\r=1+1", "-", "+"])
def test_text_that_would_run_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-3.5", "+4", "-1e-3", "12", "plank", "", "a=b", 3, -2.5, None])
def test_numbers_and_plain_text_are_left_alone(value):
    assert safe_cell(value) == value


def test_the_writer_applies_it_to_every_cell():
    buf = io.StringIO()
    SpreadsheetSafeWriter(buf, lineterminator="\n").writerow(["=1+1", -3, "-3", "ok"])
    assert next(csv.reader([buf.getvalue().strip()])) == ["'=1+1", "-3", "-3", "ok"]
