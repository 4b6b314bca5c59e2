"""XLSX export (XlsxWriter): one sheet per tidy table, native charts, a manifest sheet.

Dates are real Excel dates (analysis-timezone wall time), numbers are numbers,
every sheet has a frozen header row and an autofilter. Excel's limits are
honoured: at most 1,048,575 data rows per sheet and 32,767 characters per cell
(longer text is cut and marked); anything cut is listed on the manifest sheet.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO, Any

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from convoscope_common.corpus import Corpus
from convoscope_common.results import SEVERITIES, AnalysisResults
from convoscope_exporter.charts.palette import SERIES_COLOURS, SEVERITY_COLOURS
from convoscope_exporter.manifest import ExportManifest, manifest_rows
from convoscope_exporter.render.files import RenderedFile, rendered
from convoscope_exporter.render.xlsx_rows import fast_rows_supported, write_rows
from convoscope_exporter.tables import Cell, Table, build_tables, data_dictionary, row_batches
from convoscope_exporter.text_limits import truncate

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767
_MAX_COLUMN_WIDTH = 60
_WIDTH_SAMPLE = 200  # rows whose text sets the column widths
PIVOT_SHEET = "failures_by_severity"
# Deflate level of the workbook's parts. XlsxWriter uses zlib's default (6), which spent
# about a fifth of a large export's time compressing; level 1 is 3-4x faster for a file
# about a fifth larger (the CSV export made the same choice).
_ZIP_LEVEL = 1


class _LevelledZipFile(zipfile.ZipFile):
    """A ``ZipFile`` that deflates at :data:`_ZIP_LEVEL` unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", _ZIP_LEVEL)
        super().__init__(*args, **kwargs)


@contextmanager
def _zip_level() -> Iterator[None]:
    # XlsxWriter opens its ZipFile without a level and offers no option for one: the
    # class it calls is swapped while this workbook is stored (one render at a time
    # per process: the exporter renders in worker processes, one format each).
    original = xlsxwriter.workbook.ZipFile
    xlsxwriter.workbook.ZipFile = _LevelledZipFile
    try:
        yield
    finally:
        xlsxwriter.workbook.ZipFile = original


class _Workbook(xlsxwriter.Workbook):  # type: ignore[misc]
    """XlsxWriter's workbook, stored with a faster deflate level."""

    def _store_workbook(self) -> None:
        with _zip_level():
            super()._store_workbook()


class _Formats:
    def __init__(self, book: Workbook) -> None:
        self.header: Format = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
        self.datetime: Format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.date: Format = book.add_format({"num_format": "yyyy-mm-dd"})
        self.number: Format = book.add_format({"num_format": "0.000"})


def _write_table(
    sheet: Worksheet,
    table: Table,
    fmt: _Formats,
    max_rows: int,
    notes: list[str],
    fast: bool = True,
) -> int:
    """Write header + rows; returns the number of data rows written."""
    widths = [len(c.name) + 2 for c in table.columns]
    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, column.name, fmt.header)
    cut_cells = 0

    def text_of(r: int, col: int, value: object) -> str:
        nonlocal cut_cells
        text, was_cut = truncate(str(value), EXCEL_MAX_CELL_CHARS)
        cut_cells += was_cut
        if r <= _WIDTH_SAMPLE:  # width from a sample: measuring every row costs time
            widths[col] = max(widths[col], min(len(text), _MAX_COLUMN_WIDTH))
        return text

    fast = fast and fast_rows_supported(sheet)
    written = total = 0
    # Batch after batch (a streamed table is never held whole), each from the row
    # after the last one written.
    for batch in row_batches(table):
        total += len(batch)
        rows = batch[: max_rows - written]
        if not rows:
            continue  # past Excel's limit: counted for the note only
        if fast:
            # The same XML as _write_cells, without XlsxWriter's per-cell cost.
            formats = (fmt.number, fmt.datetime, fmt.date)
            datetime_cols, date_cols = write_rows(
                sheet, rows, 1 + written, formats, text_of,
                plain_text=(_WIDTH_SAMPLE, EXCEL_MAX_CELL_CHARS),
            )  # fmt: skip
            for col in datetime_cols:
                widths[col] = max(widths[col], 20)
            for col in date_cols:
                widths[col] = max(widths[col], 12)
        else:
            _write_cells(sheet, rows, 1 + written, fmt, widths, text_of)
        written += len(rows)
    if total > max_rows:
        notes.append(f"{table.name}: first {max_rows} of {total} rows (Excel row limit)")
    if cut_cells:
        notes.append(f"{table.name}: {cut_cells} cell(s) cut to {EXCEL_MAX_CELL_CHARS} characters")
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(width, _MAX_COLUMN_WIDTH))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(written, 1), len(table.columns) - 1)
    return written


def _write_cells(
    sheet: Worksheet,
    rows: list[list[Cell]],
    first_row: int,
    fmt: _Formats,
    widths: list[int],
    text_of: Callable[[int, int, object], str],
) -> None:
    """The data rows through XlsxWriter's ``write_*`` methods, cell by cell, from
    worksheet row ``first_row`` on."""
    for r, row in enumerate(rows, start=first_row):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, col, value)
            elif isinstance(value, int | float):
                sheet.write_number(r, col, value, fmt.number if isinstance(value, float) else None)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, col, value.replace(tzinfo=None), fmt.datetime)
                widths[col] = max(widths[col], 20)
            elif isinstance(value, date):
                sheet.write_datetime(r, col, value, fmt.date)
                widths[col] = max(widths[col], 12)
            else:
                sheet.write_string(r, col, text_of(r, col, value))


def _topic_chart(book: Workbook, sheet: Worksheet, rows: int) -> None:
    chart = book.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "Conversations",
            "categories": ["topics", 1, 1, rows, 1],
            "values": ["topics", 1, 3, rows, 3],
            "fill": {"color": SERIES_COLOURS[0]},
        }
    )
    chart.set_title({"name": "Conversations per topic"})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True})
    sheet.insert_chart(1, 8, chart)


def _failure_chart(
    book: Workbook, sheet: Worksheet, results: AnalysisResults, fmt: _Formats
) -> None:
    """Failures by type stacked by severity, from a small pivot on a sheet of its own.

    The workbook streams rows (constant memory): cells can only be written in row
    order, so the pivot cannot go beside a table that is already written.
    """
    grid = results.quality.failures.by_type_and_severity if results.quality else {}
    types = sorted(grid)
    if not types:
        return
    pivot = book.add_worksheet(PIVOT_SHEET)
    pivot.write_string(0, 0, "type", fmt.header)
    for i, severity in enumerate(SEVERITIES, start=1):
        pivot.write_string(0, i, severity, fmt.header)
    for r, ftype in enumerate(types, start=1):
        pivot.write_string(r, 0, ftype)
        for i, severity in enumerate(SEVERITIES, start=1):
            pivot.write_number(r, i, grid[ftype].get(severity, 0))
    pivot.set_column(0, 0, 24)
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    for i, severity in enumerate(SEVERITIES, start=1):
        chart.add_series(
            {
                "name": [PIVOT_SHEET, 0, i],
                "categories": [PIVOT_SHEET, 1, 0, len(types), 0],
                "values": [PIVOT_SHEET, 1, i, len(types), i],
                "fill": {"color": SEVERITY_COLOURS[severity]},
            }
        )
    chart.set_title({"name": "Assistant failures per type, by severity"})
    chart.set_y_axis({"name": "failures"})
    sheet.insert_chart(1, 6, chart)


def _monthly_chart(book: Workbook, sheet: Worksheet, rows: int) -> None:
    chart = book.add_chart({"type": "line"})
    chart.add_series(
        {
            "name": "Messages",
            "categories": ["monthly_activity", 1, 0, rows, 0],
            "values": ["monthly_activity", 1, 1, rows, 1],
            "marker": {"type": "circle"},
            "line": {"color": SERIES_COLOURS[0]},
        }
    )
    chart.set_title({"name": "Messages per month"})
    chart.set_y_axis({"name": "messages"})
    chart.set_legend({"none": True})
    sheet.insert_chart(1, 5, chart)


def _write_manifest(
    sheet: Worksheet, manifest: ExportManifest, notes: list[str], fmt: _Formats
) -> None:
    sheet.write_string(0, 0, "key", fmt.header)
    sheet.write_string(0, 1, "value", fmt.header)
    rows = [*manifest_rows(manifest), *((f"note.{i}", n) for i, n in enumerate(notes, 1))]
    for r, (key, value) in enumerate(rows, start=1):
        sheet.write_string(r, 0, key)
        sheet.write_string(r, 1, value)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 80)
    sheet.freeze_panes(1, 0)


def render_xlsx(
    results: AnalysisResults,
    corpus: Corpus,
    *,
    manifest: ExportManifest,
    max_rows: int = EXCEL_MAX_ROWS - 1,
    fast_rows: bool = True,
) -> list[RenderedFile]:
    """The workbook; ``max_rows`` (data rows per sheet) is lowered only by tests, and
    ``fast_rows=False`` (tests) writes every cell through XlsxWriter's methods."""
    buffer = io.BytesIO()
    write_xlsx(results, corpus, manifest, buffer, max_rows=max_rows, fast_rows=fast_rows)
    return [rendered(manifest.job_id, "xlsx", buffer.getvalue())]


def write_xlsx(
    results: AnalysisResults,
    corpus: Corpus,
    manifest: ExportManifest,
    out: IO[bytes],
    *,
    max_rows: int = EXCEL_MAX_ROWS - 1,
    fast_rows: bool = True,
) -> None:
    """The workbook into ``out``; the messages table is streamed into its sheet (rows
    are written in order, so constant-memory mode holds one row at a time)."""
    tables = build_tables(results, corpus, stream=True)
    book = _Workbook(
        out,
        {
            # Rows stream to temporary files as they are written instead of living as
            # one object per cell until the end: less memory, less time.
            "constant_memory": True,
            # Text stays text: no formula, URL or number guessing (no formula injection).
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    fmt = _Formats(book)
    notes: list[str] = []
    written: dict[str, int] = {}
    for table in [*tables, data_dictionary(tables)]:
        sheet = book.add_worksheet(table.name[:31])
        written[table.name] = _write_table(sheet, table, fmt, max_rows, notes, fast_rows)
        if table.name == "topics" and written["topics"]:
            _topic_chart(book, sheet, written["topics"])
        elif table.name == "failure_types":
            _failure_chart(book, sheet, results, fmt)
        elif table.name == "monthly_activity" and written["monthly_activity"]:
            _monthly_chart(book, sheet, written["monthly_activity"])
    _write_manifest(book.add_worksheet("manifest"), manifest, notes, fmt)
    book.close()
