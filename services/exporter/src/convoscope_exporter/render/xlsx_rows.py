"""A table's data rows for an XlsxWriter worksheet in constant-memory mode, fast.

XlsxWriter spends ~100 µs of Python per cell (argument checks, a cell tuple, a row
dictionary, attribute lists, escaping each part on its own) — most of an XLSX
export's time on a large corpus. In constant-memory mode a worksheet streams each
finished row as XML to a temporary file; :func:`write_rows` writes the same XML for
the same cells straight to that file, row by row, and keeps the worksheet's own
bookkeeping (dimensions, the last row written) as its ``write_*`` methods would.
The output is byte-for-byte the one of the ``write_*`` path
(``tests/unit/exporter/test_xlsx_rows.py`` compares every part of the two workbooks);
worksheets this module does not handle the same way (row formats, comments, Excel
2010 extensions) are written through the ordinary methods.

Written against XlsxWriter 3.3 (pinned by the lock); its private helpers are imported
by name so that a change in them fails loudly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import cast

from xlsxwriter.format import Format
from xlsxwriter.utility import (
    _preserve_whitespace,
    _utf16_len,
    _utf16_truncate,
    xl_col_to_name,
)
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import xml_escapes

from convoscope_exporter.tables import Cell

# What Worksheet._escape_control_characters changes: "_xHHHH_", control characters
# and the two non-characters (a text without any is returned as it is).
_NEEDS_CONTROL_ESCAPE = re.compile(r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
# Anything in a text that _write_cell would change or mark: control escapes, XML
# escapes (xmlwriter.xml_escapes) and "<r>" rich strings (they start with "<").
_SPECIAL = re.compile(r'_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff"&<>\n]')


def fast_rows_supported(sheet: Worksheet) -> bool:
    """Whether :func:`write_rows` writes what the ``write_*`` methods would here."""
    return bool(
        sheet.constant_memory
        and sheet.excel_version == 2007
        and not sheet.row_info
        and not sheet.comments
        and not sheet.col_info
        and sheet.default_row_height == sheet.original_row_height
        and not sheet.nan_inf_to_errors
    )


def _string_cell(ref: str, text: str, strmax: int) -> str:
    # Worksheet._write_string (constant memory) then _write_cell's string branch.
    if len(text) > strmax // 2 and _utf16_len(text) > strmax:
        text = _utf16_truncate(text, strmax)
    if _NEEDS_CONTROL_ESCAPE.search(text):
        text = Worksheet._escape_control_characters(text)
    if text.startswith("<r>") and text.endswith("</r>"):
        return f'<c r="{ref}" t="inlineStr"><is>{text}</is></c>'
    preserve = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    if xml_escapes.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" t="inlineStr"><is><t{preserve}>{text}</t></is></c>'


def _number_cell(ref: str, number: float, style: str) -> str:
    if math.isnan(number) or math.isinf(number):
        # What write_number raises without the nan_inf_to_errors option.
        raise TypeError(
            "NAN/INF not supported in write_number() without 'nan_inf_to_errors' Workbook() option"
        )
    return f'<c r="{ref}"{style}><v>{number:.16G}</v></c>'


def write_rows(
    sheet: Worksheet,
    rows: Sequence[Sequence[Cell]],
    first_row: int,
    formats: tuple[Format, Format, Format],
    text_of: Callable[[int, int, object], str],
    *,
    plain_text: tuple[int, int] = (0, 0),
) -> tuple[set[int], set[int]]:
    """Write ``rows`` from worksheet row ``first_row`` on, cell by cell as
    ``_write_table`` does: booleans, numbers (floats with ``formats[0]``), datetimes
    (``formats[1]``, timezone dropped), dates (``formats[2]``) and anything else as
    the text ``text_of(row, column, value)`` returns; ``None`` leaves a cell empty.
    ``plain_text=(after_row, max_len)``: a ``str`` of at most ``max_len`` characters
    in a row after ``after_row`` is written as it is, without calling ``text_of``
    (which must then return such a string unchanged).
    Returns the columns that held datetimes and those that held dates.
    Call only when :func:`fast_rows_supported` and after every earlier row is written."""
    number_fmt = formats[0]
    # A format's index is given when a cell using it is first written out, as
    # XlsxWriter does: asking earlier would number the workbook's formats differently.
    styles: dict[int, str] = {}

    def style(fmt: Format) -> str:
        found = styles.get(id(fmt))
        if found is None:
            found = styles[id(fmt)] = f' s="{fmt._get_xf_index()}"'
        return found

    after_row, max_len = plain_text
    strmax = sheet.xls_strmax
    half = strmax // 2
    special = _SPECIAL.search
    isfinite = math.isfinite
    width = max((len(row) for row in rows), default=0)
    letters = [xl_col_to_name(col) for col in range(width)]
    datetime_cols: set[int] = set()
    date_cols: set[int] = set()
    out = sheet.fh
    number_style = ""
    first_written = last_row = -1
    for r, row in enumerate(rows, start=first_row):
        number = str(r + 1)
        cells: list[str] = []
        append = cells.append
        for col, value in enumerate(row):
            if value is None:
                continue
            if first_written < 0:
                # What the first cell makes XlsxWriter do: write the row it still
                # holds (the header) and start this one.
                sheet._write_single_row(r)
                first_written = r
            kind = type(value)
            if kind is str:
                text = cast(str, value)  # the test above narrows; mypy does not see it
                if r <= after_row or len(text) > max_len:
                    text = text_of(r, col, value)
                if (
                    len(text) > half
                    or special(text)
                    or text[:1].isspace()  # what _preserve_whitespace looks for
                    or text[-1:].isspace()
                ):
                    append(_string_cell(letters[col] + number, text, strmax))
                else:
                    append(
                        f'<c r="{letters[col]}{number}" t="inlineStr"><is><t>{text}</t></is></c>'
                    )
            elif kind is float:
                if not isfinite(cast(float, value)):
                    _number_cell("", cast(float, value), "")  # raises as XlsxWriter does
                number_style = number_style or style(number_fmt)
                append(f'<c r="{letters[col]}{number}"{number_style}><v>{value:.16G}</v></c>')
            elif kind is int:
                append(f'<c r="{letters[col]}{number}"><v>{value:.16G}</v></c>')
            else:
                append(
                    _other_cell(
                        letters[col] + number,
                        r,
                        col,
                        value,
                        sheet,
                        formats,
                        style,
                        text_of,
                        datetime_cols,
                        date_cols,
                    )
                )
        if not cells:
            continue  # a row without cells is not written
        out.write(f'<row r="{number}">{"".join(cells)}</row>')
        last_row = r
    if last_row < 0:
        return datetime_cols, date_cols
    sheet.previous_row = last_row
    low = first_written
    sheet.dim_rowmin = low if sheet.dim_rowmin is None else min(sheet.dim_rowmin, low)
    sheet.dim_rowmax = last_row if sheet.dim_rowmax is None else max(sheet.dim_rowmax, last_row)
    if sheet.dim_colmin is None or sheet.dim_colmin > 0 or sheet.dim_colmax < width - 1:
        # The header did not span every column: the columns that held a cell.
        used = [c for row in rows for c, value in enumerate(row) if value is not None]
        col_min, col_max = min(used), max(used)
        sheet.dim_colmin = col_min if sheet.dim_colmin is None else min(sheet.dim_colmin, col_min)
        sheet.dim_colmax = col_max if sheet.dim_colmax is None else max(sheet.dim_colmax, col_max)
    return datetime_cols, date_cols


def _other_cell(
    ref: str,
    r: int,
    col: int,
    value: object,
    sheet: Worksheet,
    formats: tuple[Format, Format, Format],
    style: Callable[[Format], str],
    text_of: Callable[[int, int, object], str],
    datetime_cols: set[int],
    date_cols: set[int],
) -> str:
    # The cells whose type is not exactly str, float or int, in _write_table's order.
    number_fmt, datetime_fmt, date_fmt = formats
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{1 if value else 0}</v></c>'
    if isinstance(value, int | float):
        return _number_cell(ref, value, style(number_fmt) if isinstance(value, float) else "")
    if isinstance(value, datetime):
        datetime_cols.add(col)
        return _number_cell(
            ref, sheet._convert_date_time(value.replace(tzinfo=None)), style(datetime_fmt)
        )
    if isinstance(value, date):
        date_cols.add(col)
        return _number_cell(ref, sheet._convert_date_time(value), style(date_fmt))
    return _string_cell(ref, text_of(r, col, value), sheet.xls_strmax)
