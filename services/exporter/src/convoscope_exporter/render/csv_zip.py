"""CSV export: a ZIP of tidy CSV tables, the data dictionary and manifest.json."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from typing import IO, cast

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.manifest import ExportManifest, manifest_json
from convoscope_exporter.render.files import RenderedFile, rendered
from convoscope_exporter.tables import Cell, Table, build_tables, data_dictionary, row_batches

# Fixed timestamp inside the zip so identical exports are byte-identical.
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)
_ZIP_LEVEL = 1
# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these as a
# formula (=HYPERLINK(...), +cmd|..., @SUM(...)); a leading apostrophe makes it text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` made inert for spreadsheets: prefixed with ``'`` when it would start a
    formula (OWASP's rule; numbers are written as numbers and never prefixed)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _csv_value(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return value


def _csv_column(values: tuple[Cell, ...]) -> list[str | int | float]:
    """One column's cells as :func:`_csv_value` makes them. Numbers and text that
    cannot start a formula are written as they are; the comprehension tests the type
    inline instead of calling a function for each of the table's cells."""
    converted = [
        v
        if (t := type(v)) is int
        or t is float
        or (t is str and not cast(str, v).startswith(FORMULA_TRIGGERS))
        else _csv_value(v)
        for v in values
    ]
    return cast(list[str | int | float], converted)  # the tests above narrow


def write_table_csv(table: Table, out: IO[str]) -> None:
    """One table as CSV into ``out`` (header row first; RFC 4180 quoting; ISO 8601 dates)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in table.columns])
    # Column by column (a transpose and one comprehension per column), then the rows
    # back in one C loop: the same cells as converting row by row, a few times faster.
    # A streamed table comes in batches, so its whole text is never held.
    for batch in row_batches(table):
        columns = [_csv_column(column) for column in zip(*batch, strict=True)]
        writer.writerows(zip(*columns, strict=True))


def table_csv(table: Table) -> bytes:
    """One table as UTF-8 CSV bytes."""
    buffer = io.StringIO(newline="")
    write_table_csv(table, buffer)
    return buffer.getvalue().encode("utf-8")


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    # ZipFile.open(info, "w") takes the level from the ZipInfo (compress_level from
    # Python 3.13 on, _compresslevel before).
    level = "compress_level" if hasattr(info, "compress_level") else "_compresslevel"
    setattr(info, level, _ZIP_LEVEL)
    return info


def render_csv(
    results: AnalysisResults, corpus: Corpus, *, manifest: ExportManifest
) -> list[RenderedFile]:
    """All tables as ``<table>.csv`` plus ``data_dictionary.csv`` and ``manifest.json``,
    in one ZIP (:func:`write_csv_zip`)."""
    buffer = io.BytesIO()
    write_csv_zip(results, corpus, manifest, buffer)
    return [rendered(manifest.job_id, "zip", buffer.getvalue())]


def write_csv_zip(
    results: AnalysisResults, corpus: Corpus, manifest: ExportManifest, out: IO[bytes]
) -> None:
    """The CSV export's ZIP into ``out``. Each table is written straight into its
    compressed member and the messages table is streamed: its text never exists whole in
    memory (as rows, as a string, as bytes)."""
    tables = build_tables(results, corpus, stream=True)
    with zipfile.ZipFile(out, "w") as archive:
        for table in [*tables, data_dictionary(tables)]:
            with (
                archive.open(_member(f"{table.name}.csv"), "w") as raw,
                io.TextIOWrapper(raw, encoding="utf-8", newline="") as text,
            ):
                write_table_csv(table, text)
        archive.writestr(_member("manifest.json"), manifest_json(manifest))
