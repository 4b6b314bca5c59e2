"""The fast row writer gives the workbook XlsxWriter's own methods give, byte for byte."""

from __future__ import annotations

import io
import math
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import xlsxwriter

from convoscope_exporter.render.xlsx import _Formats, _write_table, render_xlsx
from convoscope_exporter.render.xlsx_rows import fast_rows_supported
from convoscope_exporter.tables import Column, Table

TRICKY_TEXT = [
    "plain",
    "",
    " leading space",
    "trailing space ",
    "line\nbreak\n",
    "tab\there",
    'quote " & <tag> > done',
    "control \x00 \x07 \x1f chars",
    "literal _x0041_ escape and _x004g_ not one",
    "<r>looks rich</r>",
    "non-characters \ufffe \uffff",
    "emoji 😁 astral 𝄞",
    '=HYPERLINK("x")',
    "é" * 40_000,  # over Excel's cell limit: cut
    "😁" * 20_000,  # under the character limit, over the UTF-16 one
]


def _columns(n: int) -> list[Column]:
    return [Column(f"c{i}", "string", "a column", lambda r, i=i: r[i]) for i in range(n)]


def _tables() -> list[Table]:
    berlin = timezone(timedelta(hours=1))
    values = [
        None,
        True,
        False,
        0,
        -7,
        2**40,
        0.1,
        1 / 3,
        -0.0,
        1e-12,
        123456789.123,
        datetime(2024, 3, 4, 9, 5, 6, 789000, tzinfo=UTC),
        datetime(2024, 3, 4, 9, 5, 6, tzinfo=berlin),
        datetime(1999, 12, 31, 23, 59, 59),
        date(2024, 2, 29),
        *TRICKY_TEXT,
    ]
    width = 7
    rows = [
        [values[(r * 5 + c * 3) % len(values)] for c in range(width)]
        for r in range(len(values) * 12)  # past the 200 rows that set widths
    ]
    rows.insert(4, [None] * width)  # a row without cells
    rows.append([None] * width)  # ... also the last one
    wide = Table(name="wide", description="d", columns=_columns(width), rows=rows)
    empty = Table(name="empty", description="d", columns=_columns(3), rows=[])
    blank = Table(name="blank", description="d", columns=_columns(2), rows=[[None, None]])
    sparse = Table(name="sparse", description="d", columns=_columns(30), rows=[[None] * 29 + ["z"]])
    return [wide, empty, blank, sparse]


def _book_parts(fast: bool, max_rows: int = 10_000) -> dict[str, bytes]:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False})
    # The creation time is the only part that differs between two runs.
    book.set_properties({"created": datetime(2024, 1, 1)})
    fmt = _Formats(book)
    notes: list[str] = []
    for table in _tables():
        sheet = book.add_worksheet(table.name)
        assert fast_rows_supported(sheet)
        _write_table(sheet, table, fmt, max_rows, notes, fast)
    sheet = book.add_worksheet("notes")
    for r, note in enumerate(notes):
        sheet.write_string(r, 0, note)
    book.close()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("max_rows", [10_000, 5])
def test_fast_rows_write_the_same_workbook(max_rows: int) -> None:
    slow, fast = _book_parts(False, max_rows), _book_parts(True, max_rows)
    assert slow.keys() == fast.keys()
    for name in slow:
        assert fast[name] == slow[name], name
    assert b"_x005F_x0041_" in fast["xl/worksheets/sheet1.xml"]  # the tricky text was there


def test_a_whole_export_is_the_same(results, corpus, manifest) -> None:
    def parts(fast: bool) -> dict[str, bytes]:
        (out,) = render_xlsx(results, corpus, manifest=manifest, fast_rows=fast)
        with zipfile.ZipFile(io.BytesIO(out.data)) as archive:
            return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}

    assert parts(True) == parts(False)


def test_nan_fails_as_xlsxwriter_fails() -> None:
    table = Table(name="t", description="d", columns=_columns(1), rows=[[math.nan]])
    for fast in (False, True):
        book = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True})
        with pytest.raises(TypeError, match="NAN/INF"):
            _write_table(book.add_worksheet("t"), table, _Formats(book), 10, [], fast)
        book.close()
